"""The sample payment service's contract (R20): liveness vs readiness, the payment API, and a stop that drops nothing.

The drain test runs two real service processes on loopback behind a tiny round-robin "load balancer" in the test,
streams payments at them, takes one out of rotation the way Auto Scaling deregisters a terminating instance
before its termination lifecycle hook runs
(https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html), and stops it at once with
SIGTERM, which is what `systemctl stop` sends. Requests still in flight on the stopped process must all succeed.
Nothing here talks to any address other than 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from sample_service.app import health_service

LOOPBACK = "127.0.0.1"
PROCESSING_MS = 200
CLIENTS = 8
# The stop must end within the time its longest request takes plus start-up noise, far inside the drain setting.
STOP_BOUND_SECONDS = 3.0
DRAIN_SECONDS = 10
_CLIENT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _NoMetadata:
    def identity(self) -> health_service.InstanceIdentity | None:
        return health_service.InstanceIdentity(instance_id="i-0sample", availability_zone="eu-central-1a")


@pytest.fixture
def serve() -> Iterator[health_service.HealthServer]:
    server = health_service.make_server(LOOPBACK, 0, _NoMetadata())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _get(server: health_service.HealthServer, path: str) -> tuple[int, dict[str, str]]:
    url = f"http://{LOOPBACK}:{server.server_address[1]}{path}"
    try:
        with _CLIENT.open(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _post(port: int, body: object) -> tuple[int, dict[str, str]]:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        connection.request("POST", "/payments", json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _listening_port() -> tuple[socket.socket, int]:
    listener = socket.socket()
    listener.bind((LOOPBACK, 0))
    listener.listen()
    return listener, listener.getsockname()[1]


def test_liveness_answers_200_while_a_declared_dependency_is_down_and_readiness_answers_503(
    serve: health_service.HealthServer,
) -> None:
    """The ALB checks liveness only: a shared dependency down on every target would fail them all, and the ALB then
    fails open to all of them anyway (target-group-health-checks page)."""
    listener, port = _listening_port()
    listener.close()  # nothing listens there any more
    serve.dependencies = health_service.parse_dependencies(f"processor={LOOPBACK}:{port}")
    assert _get(serve, "/health")[0] == 200
    status, payload = _get(serve, "/ready")
    assert (status, payload["unreachable"]) == (503, "processor")


def test_readiness_answers_200_when_every_declared_dependency_accepts_a_connection(
    serve: health_service.HealthServer,
) -> None:
    listener, port = _listening_port()
    with listener:
        serve.dependencies = health_service.parse_dependencies(f"processor={LOOPBACK}:{port}")
        assert _get(serve, "/ready") == (200, {"status": "ready"})


def test_readiness_answers_503_once_the_service_drains(serve: health_service.HealthServer) -> None:
    serve.draining.set()
    assert _get(serve, "/ready") == (503, {"status": "draining"})
    assert _get(serve, "/health")[0] == 200


@pytest.mark.parametrize("text", ["processor", "processor=host", "processor=host:0", "p=host:99999", "=host:80"])
def test_a_malformed_dependency_list_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="name=host:port"):
        health_service.parse_dependencies(text)


def test_a_payment_is_authorised_with_an_id(serve: health_service.HealthServer) -> None:
    status, payload = _post(serve.server_address[1], {"amount": "12.50", "currency": "EUR"})
    assert (status, payload["status"], payload["amount"]) == (201, "authorised", "12.50")
    assert len(payload["authorisationId"]) == 36


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"amount": "12.50"}, 400),
        ("not an object", 400),
        ({"amount": "abc", "currency": "EUR"}, 400),
        ({"amount": "-1", "currency": "EUR"}, 422),
        ({"amount": "1.001", "currency": "EUR"}, 422),
        ({"amount": "1", "currency": "XXX"}, 422),
    ],
)
def test_a_malformed_or_impossible_payment_is_refused(
    serve: health_service.HealthServer, body: object, status: int
) -> None:
    assert _post(serve.server_address[1], body)[0] == status


def test_get_payments_answers_405_with_the_allowed_method(serve: health_service.HealthServer) -> None:
    request = urllib.request.Request(f"http://{LOOPBACK}:{serve.server_address[1]}/payments")
    with pytest.raises(urllib.error.HTTPError) as raised:
        _CLIENT.open(request, timeout=5)
    assert (raised.value.code, raised.value.headers["Allow"]) == (405, "POST")


# --- the graceful stop, on real processes ----------------------------------------------------------------


@dataclass
class Instance:
    process: subprocess.Popen[bytes]
    port: int


@dataclass
class Stream:
    """A round-robin balancer over live instances and the outcome of every request it sent."""

    live: list[Instance]
    lock: threading.Lock = field(default_factory=threading.Lock)
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    served_by: dict[int, int] = field(default_factory=dict)
    finished_after_stop: int = 0
    stopped_at: float | None = None
    turn: int = 0

    def one_request(self) -> None:
        # Choosing a target and connecting happen under the balancer's lock, as one step: once an instance is
        # deregistered, no new connection reaches it (the ALB's side of the contract).
        with self.lock:
            target = self.live[self.turn % len(self.live)]
            self.turn += 1
            connection = http.client.HTTPConnection(LOOPBACK, target.port, timeout=10)
            try:
                connection.connect()
            except OSError as error:
                self.failures.append(f"connect to {target.port}: {error}")
                return
        try:
            connection.request("POST", "/payments", json.dumps({"amount": "9.99", "currency": "EUR"}))
            response = connection.getresponse()
            response.read()
            outcome = None if response.status == 201 else f"status {response.status}"
        except (OSError, http.client.HTTPException) as error:
            outcome = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        with self.lock:
            if outcome:
                self.failures.append(f"{target.port}: {outcome}")
            else:
                self.ok += 1
                self.served_by[target.port] = self.served_by.get(target.port, 0) + 1
                if self.stopped_at is not None and target not in self.live:
                    self.finished_after_stop += 1

    def deregister(self, instance: Instance) -> None:
        with self.lock:
            self.live.remove(instance)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _start_instance(closed_port: int) -> Instance:
    port = _free_port()
    environ = {
        **os.environ,
        "HEALTH_BIND": LOOPBACK,
        "HEALTH_PORT": str(port),
        "HEALTH_METADATA_URL": f"http://{LOOPBACK}:{closed_port}",
        "PAYMENT_PROCESSING_MS": str(PROCESSING_MS),
        "SERVICE_DRAIN_SECONDS": str(DRAIN_SECONDS),
    }
    process = subprocess.Popen(
        [sys.executable, health_service.__file__], env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with _CLIENT.open(f"http://{LOOPBACK}:{port}/health", timeout=1) as response:
                if response.status == 200:
                    return Instance(process, port)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"the service did not answer on {port}")


def test_a_stop_in_the_middle_of_a_stream_of_payments_drops_no_request_and_ends_within_its_bound() -> None:
    closed_port = _free_port()
    leaving, staying = _start_instance(closed_port), _start_instance(closed_port)
    stream = Stream(live=[leaving, staying])
    running = threading.Event()
    running.set()

    def client() -> None:
        while running.is_set():
            stream.one_request()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        stream.deregister(leaving)
        stream.stopped_at = time.monotonic()
        # No deregistration delay here at all: SIGTERM lands while the leaving instance still has requests in flight.
        leaving.process.send_signal(signal.SIGTERM)
        returncode = leaving.process.wait(timeout=DRAIN_SECONDS + 5)
        stop_seconds = time.monotonic() - stream.stopped_at
        time.sleep(0.5)
    finally:
        running.clear()
        for thread in threads:
            thread.join(timeout=15)
        for instance in (leaving, staying):
            if instance.process.poll() is None:
                instance.process.kill()
            instance.process.wait()
    print(
        f"drain test: {stream.ok} payments, {len(stream.failures)} failed, {stream.finished_after_stop} finished after "
        f"SIGTERM, stop took {stop_seconds:.2f}s"
    )
    assert stream.failures == []
    assert returncode == 0
    assert stop_seconds < STOP_BOUND_SECONDS
    # The test proves something only if requests were in flight when the signal landed, and both served.
    assert stream.finished_after_stop > 0
    assert set(stream.served_by) == {leaving.port, staying.port}
