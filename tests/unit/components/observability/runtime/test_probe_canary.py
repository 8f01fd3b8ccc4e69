"""The synthetic probe's code (R21) against loopback HTTPS servers: what it passes and what it fails.

Each server is a real TLS endpoint on 127.0.0.1 with a certificate from a throw-away CA made by openssl; the probe
connects to the server's address but sends the service's name as SNI and Host, as it does to a load balancer node.
Nothing here leaves the machine.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from payment_failover.components.observability.runtime.canary.python import probe_canary
from payment_failover.components.observability.runtime.canary.python.probe_canary import (
    Probe,
    ProbeFailedError,
    Request,
)

SERVICE = "payments.example.com"
LOOPBACK = "127.0.0.1"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make test certificates")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, Path]]:
    """A CA (ca.pem) and a function issuing a server certificate for a name, signed by it."""
    root = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=probe test CA",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=root)  # fmt: skip

    def issue(name: str) -> tuple[Path, Path]:
        (root / f"{name}.ext").write_text(f"subjectAltName=DNS:{name}\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
                 "-out", f"{name}.csr", cwd=root)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "1", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=root)  # fmt: skip
        return root / f"{name}.pem", root / f"{name}.key"

    return issue


def _handler(status: int, delay: float) -> type[BaseHTTPRequestHandler]:
    """GET /health answers `status`; POST /payments answers 201 to the sample service's request body (or `status`
    when that is not 200), 400 to anything else; a request without the service's name as Host gets 421."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(status)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            valid = self.path == "/payments" and set(body) == {"amount", "currency"}
            if self.headers.get("Content-Type") != "application/json" or not valid:
                self._answer(400)
            else:
                self._answer(201 if status == 200 else status)

        def _answer(self, code: int) -> None:
            if self.headers.get("Host") != SERVICE:
                code = 421  # misdirected: the probe must send the service's name
            else:
                time.sleep(delay)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def serve(pki: Callable[[str], tuple[Path, Path]]) -> Iterator[Callable[..., Probe]]:
    """Start a loopback HTTPS server; return the probe that a client of SERVICE would run against it."""
    servers: list[ThreadingHTTPServer] = []

    def start(*, status: int = 200, delay: float = 0.0, cert_name: str = SERVICE, timeout: float = 2.0) -> Probe:
        cert, key = pki(cert_name)
        server = ThreadingHTTPServer((LOOPBACK, 0), _handler(status, delay))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return Probe(
            host=SERVICE,
            address=LOOPBACK,
            port=server.server_address[1],
            requests=(Request.parse("/health"), Request.parse("POST /payments 201")),
            timeout_seconds=timeout,
            ca_file=str(cert.parent / "ca.pem"),
        )

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_requests_are_read_as_method_path_and_expected_status() -> None:
    assert Request.parse("/health") == Request("GET", "/health", 200)
    assert Request.parse("POST /payments") == Request("POST", "/payments", 201)
    assert Request.parse("get /ready 200") == Request("GET", "/ready", 200)
    with pytest.raises(ValueError, match="no path"):
        Request.parse("POST")


def test_probe_passes_when_health_answers_200_and_a_payment_is_authorised(serve: Callable[..., Probe]) -> None:
    latencies = probe_canary.run(serve())
    assert set(latencies) == {"GET /health", "POST /payments"}


def test_probe_fails_on_a_500(serve: Callable[..., Probe]) -> None:
    with pytest.raises(ProbeFailedError, match="GET /health: HTTP 500, expected 200"):
        probe_canary.run(serve(status=500))


def test_probe_fails_when_no_answer_comes_within_the_timeout(serve: Callable[..., Probe]) -> None:
    with pytest.raises(ProbeFailedError, match=r"no answer within 0\.3 s"):
        probe_canary.run(serve(delay=1.0, timeout=0.3))


def test_probe_fails_on_a_certificate_for_another_name(serve: Callable[..., Probe]) -> None:
    with pytest.raises(ProbeFailedError, match=f"certificate not valid for {SERVICE}"):
        probe_canary.run(serve(cert_name="other.example.net"))


class _FakeEc2:
    """DescribeNetworkInterfaces through its paginator: the load balancer's interfaces, one page per interface."""

    def __init__(self, interfaces: list[dict[str, Any]]) -> None:
        self.interfaces: list[dict[str, Any]] = interfaces
        self.filters: object = None

    def get_paginator(self, operation: str) -> _FakeEc2:
        assert operation == "describe_network_interfaces"
        return self

    def paginate(self, *, Filters: object) -> Iterator[dict[str, object]]:  # noqa: N803 (the SDK's argument name)
        self.filters = Filters
        for interface in self.interfaces:
            yield {"NetworkInterfaces": [interface]}


class _FakeCloudWatch:
    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def put_metric_data(self, **call: object) -> None:
        self.calls.append(call)


ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
FULL_NAME = "app/payment-failover-dev/50dc6c495c0c9188"


def _zonal(
    probes: dict[str, Probe], *, zones: tuple[str, ...] = ZONES
) -> tuple[_FakeEc2, _FakeCloudWatch, Callable[[], str]]:
    """The zonal probe over loopback servers, one per AZ: each AZ's node is a server's port on 127.0.0.1."""
    ports = {LOOPBACK + f"#{zone}": probe for zone, probe in probes.items()}
    ec2 = _FakeEc2(
        [
            {"AvailabilityZone": zone, "Association": {"PublicIp": LOOPBACK + f"#{zone}"}, "Description": "ELB x"}
            for zone in probes
        ]
        + [{"AvailabilityZone": "eu-central-1a", "Description": "ELB x"}]  # no public address: ignored
    )
    cloudwatch = _FakeCloudWatch()
    first = next(iter(probes.values()))
    environ = {
        "PROBE_HOST": SERVICE,
        "PROBE_PATHS": "/health,POST /payments 201",
        "PROBE_TIMEOUT_SECONDS": str(first.timeout_seconds),
        "PROBE_CA_FILE": first.ca_file or "",
        "PROBE_LOAD_BALANCER": FULL_NAME,
        "PROBE_ZONES": ",".join(zones),
        "PROBE_METRIC_NAMESPACE": "PaymentFailover/Probes",
    }

    def runner(probe: Probe) -> dict[str, float]:
        node = ports[probe.address]  # the fake address names the AZ's loopback server
        return probe_canary.run(Probe(probe.host, node.address, node.port, probe.requests, probe.timeout_seconds,
                                      probe.ca_file))  # fmt: skip

    return ec2, cloudwatch, lambda: probe_canary.run_zonal(environ, ec2, cloudwatch, runner)


def _success_by_zone(cloudwatch: _FakeCloudWatch) -> dict[str, float]:
    (call,) = cloudwatch.calls
    assert call["Namespace"] == "PaymentFailover/Probes"
    data = call["MetricData"]
    assert isinstance(data, list)
    return {
        {d["Name"]: d["Value"] for d in datum["Dimensions"]}["AvailabilityZone"]: datum["Value"]
        for datum in data
        if datum["MetricName"] == probe_canary.SUCCESS_METRIC
    }


def test_zonal_probe_finds_each_nodes_address_on_the_load_balancers_interfaces(serve: Callable[..., Probe]) -> None:
    ec2, cloudwatch, run_zonal = _zonal({zone: serve() for zone in ZONES})
    assert run_zonal().startswith(f"{SERVICE} via eu-central-1a ")
    assert ec2.filters == [{"Name": "description", "Values": [f"ELB {FULL_NAME}"]}]
    assert _success_by_zone(cloudwatch) == dict.fromkeys(ZONES, 100.0)
    (call,) = cloudwatch.calls
    latencies = [d for d in call["MetricData"] if d["MetricName"] == probe_canary.LATENCY_METRIC]  # type: ignore[attr-defined]
    assert [d["Unit"] for d in latencies] == ["Milliseconds"] * 3
    assert {d["Name"] for d in latencies[0]["Dimensions"]} == {"Host", "AvailabilityZone"}


def test_one_failing_az_fails_only_its_own_metric_and_the_run_names_it(
    serve: Callable[..., Probe],
) -> None:
    """Three loopback servers as three AZs' load balancer nodes: the one answering 503 reports 0, the others 100."""
    probes = {"eu-central-1a": serve(), "eu-central-1b": serve(status=503), "eu-central-1c": serve()}
    _, cloudwatch, run_zonal = _zonal(probes)
    with pytest.raises(ProbeFailedError, match=r"^eu-central-1b: .*HTTP 503") as failure:
        run_zonal()
    assert "eu-central-1a" not in str(failure.value)
    assert _success_by_zone(cloudwatch) == {"eu-central-1a": 100.0, "eu-central-1b": 0.0, "eu-central-1c": 100.0}


def test_an_az_without_a_load_balancer_node_is_a_failure_of_that_az(serve: Callable[..., Probe]) -> None:
    probes = {"eu-central-1a": serve(), "eu-central-1b": serve()}
    _, cloudwatch, run_zonal = _zonal(probes)
    with pytest.raises(ProbeFailedError, match="eu-central-1c: no load balancer node found"):
        run_zonal()
    assert _success_by_zone(cloudwatch)["eu-central-1c"] == 0.0


def test_a_slow_az_costs_the_run_one_timeout_not_one_per_az(serve: Callable[..., Probe]) -> None:
    probes = {zone: serve(delay=0.6, timeout=0.3) for zone in ZONES}
    _, cloudwatch, run_zonal = _zonal(probes)
    started = time.monotonic()
    with pytest.raises(ProbeFailedError, match=r"no answer within 0\.3 s"):
        run_zonal()
    assert time.monotonic() - started < 3 * 0.3
    assert _success_by_zone(cloudwatch) == dict.fromkeys(ZONES, 0.0)


def test_handler_reads_its_settings_from_the_environment(
    serve: Callable[..., Probe], monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = serve()
    for name, value in {
        "PROBE_HOST": SERVICE,
        "PROBE_ADDRESS": probe.address,
        "PROBE_PORT": str(probe.port),
        "PROBE_PATHS": "/health",
        "PROBE_TIMEOUT_SECONDS": "2",
        "PROBE_CA_FILE": probe.ca_file or "",
    }.items():
        monkeypatch.setenv(name, value)
    assert probe_canary.handler({}, None).startswith(f"{SERVICE} via {LOOPBACK}: GET /health ")
