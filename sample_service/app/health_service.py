"""The sample payment service: the application contract every team's service on this fleet follows (R20).

Installed as ``/opt/payment-failover/service/health_service.py`` by AWS CodeDeploy (``sample_service/appspec.yml``)
and started by systemd with the system ``python3`` of Amazon Linux 2023, so it stays stdlib-only: nothing is
pip-installed on the instance. It is stateless: every answer is computed from the request alone, so any instance
in any AZ can serve any request.

The contract (docs/your-service.md):

- ``GET /health`` (liveness, what the load balancer checks): 200 while the process serves, with the instance
  id and AZ. It never looks at dependencies: if every target failed at once because a shared dependency did,
  the ALB would fail open and send traffic to all of them anyway ("If a target group contains only unhealthy
  registered targets, the load balancer routes requests to all those targets",
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
- ``GET /ready`` (readiness, what an operator and a deployment's validation check): 200 when every dependency
  the service declares in ``SERVICE_DEPENDENCIES`` (``name=host:port``, comma-separated) accepts a TCP
  connection, 503 naming the ones that do not, and 503 once the service is draining.
- ``POST /payments`` with a JSON body ``{"amount": "12.50", "currency": "EUR"}``: 201 with an authorisation
  id. ``PAYMENT_PROCESSING_MS`` stands in for the time a real payment processor takes.
- Stop: on SIGTERM (``systemctl stop`` sends it) the service stops accepting connections, answers the ones
  already accepted or queued, waits up to ``SERVICE_DRAIN_SECONDS`` for requests in flight to finish, then
  exits 0. The load balancer has stopped sending requests by then: Auto Scaling deregisters a terminating
  instance from the load balancer before the termination lifecycle hook runs
  (https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html).

The identity comes from the instance metadata service over IMDSv2 only, because the launch template requires
tokens. A metadata outage deliberately does *not* fail the health check: the instance can still serve
payments, and failing every health check at once would make the ALB/ASG replace a whole healthy fleet. The
check then answers 200 with ``"unknown"`` values and retries metadata on the next request.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Protocol, cast
from urllib.parse import urlsplit

LOG = logging.getLogger("payment_failover.health")

DEFAULT_METADATA_URL = "http://169.254.169.254"
DEFAULT_BIND = "0.0.0.0"
DEFAULT_PORT = 8080
HEALTH_PATH = "/health"
READY_PATH = "/ready"
PAYMENTS_PATH = "/payments"
DEFAULT_DRAIN_SECONDS = 30.0
# A dependency that does not accept a TCP connection within this time counts as down for /ready.
DEPENDENCY_TIMEOUT = 1.0
MAX_BODY_BYTES = 16 * 1024
CURRENCIES = frozenset({"EUR", "USD", "GBP", "CHF"})

# Each metadata call gets 1 s and a whole lookup (token + two reads) at most 2 s, so even a hanging
# metadata service leaves /health well inside the ALB health-check timeout (4-5 s).
METADATA_CALL_TIMEOUT = 1.0
METADATA_TOTAL_BUDGET = 2.0
TOKEN_TTL_SECONDS = 21600
# IMDS values are a few dozen bytes; a cap keeps a misbehaving endpoint from bloating memory.
MAX_METADATA_BYTES = 4096
UNKNOWN = "unknown"


@dataclass(frozen=True)
class InstanceIdentity:
    """What /health reports about the instance; immutable because it never changes for a running instance."""

    instance_id: str
    availability_zone: str


class IdentitySource(Protocol):
    """Anything that can name the instance, or return None when it cannot (lets tests inject fakes)."""

    def identity(self) -> InstanceIdentity | None: ...


class MetadataError(Exception):
    """A metadata lookup failed; internal to MetadataClient, never escapes to the HTTP handler."""


class MetadataClient:
    """IMDSv2 client that caches the first complete answer and never caches a failure.

    Caching is safe because an instance never changes instance id or AZ; not caching failures means a
    transient metadata outage heals on the next health check without restarting the service.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_METADATA_URL,
        timeout: float = METADATA_CALL_TIMEOUT,
        total_budget: float = METADATA_TOTAL_BUDGET,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.total_budget = total_budget
        self._cached: InstanceIdentity | None = None
        # An HTTP(S)_PROXY in the environment must never see metadata traffic: proxies cannot reach the
        # link-local address, and the token would leak to them.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @classmethod
    def from_env(cls) -> MetadataClient:
        """Build the client from ``HEALTH_METADATA_URL`` (tests point it at a fake on loopback)."""
        return cls(os.environ.get("HEALTH_METADATA_URL") or DEFAULT_METADATA_URL)

    def identity(self) -> InstanceIdentity | None:
        """Return the instance identity, or None if metadata is unavailable right now.

        Concurrent first requests may each fetch once; that is harmless and avoids holding a lock
        across network calls, which could queue health checks behind a hanging metadata service.
        """
        cached = self._cached
        if cached is not None:
            return cached
        try:
            fetched = self._fetch()
        except MetadataError as exc:
            LOG.warning("instance metadata unavailable: %s", exc)
            return None
        self._cached = fetched
        return fetched

    def _fetch(self) -> InstanceIdentity:
        deadline = time.monotonic() + self.total_budget
        token = self._call(
            "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": str(TOKEN_TTL_SECONDS)}, deadline
        )
        headers = {"X-aws-ec2-metadata-token": token}
        instance_id = self._call("GET", "/latest/meta-data/instance-id", headers, deadline)
        zone = self._call("GET", "/latest/meta-data/placement/availability-zone", headers, deadline)
        return InstanceIdentity(instance_id=instance_id, availability_zone=zone)

    def _call(self, method: str, path: str, headers: dict[str, str], deadline: float) -> str:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise MetadataError(f"{method} {path}: lookup budget of {self.total_budget}s exhausted")
        request = urllib.request.Request(self.base_url + path, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=min(self.timeout, remaining)) as response:
                status: int = response.status
                body: bytes = response.read(MAX_METADATA_BYTES)
            value = body.decode("ascii").strip()
        # URLError/HTTPError/timeouts are OSError; HTTPException covers malformed responses and
        # ValueError covers undecodable bodies.
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise MetadataError(f"{method} {path}: {exc}") from exc
        if status != 200 or not value:
            raise MetadataError(f"{method} {path}: status {status}, {len(value)} bytes")
        return value


@dataclass(frozen=True)
class Dependency:
    """Something the service needs to do its work, checked by /ready with a TCP connection."""

    name: str
    host: str
    port: int


def parse_dependencies(text: str) -> tuple[Dependency, ...]:
    """``name=host:port,...`` as ``SERVICE_DEPENDENCIES`` holds it; raises ValueError on anything else."""
    found = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, address = item.partition("=")
        host, _, port = address.rpartition(":")
        if not name or not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"dependency {item!r} is not name=host:port")
        found.append(Dependency(name=name.strip(), host=host.strip(), port=int(port)))
    return tuple(found)


def unreachable(dependencies: tuple[Dependency, ...], timeout: float = DEPENDENCY_TIMEOUT) -> list[str]:
    """The names of the dependencies that do not accept a TCP connection right now."""
    down = []
    for dependency in dependencies:
        try:
            with socket.create_connection((dependency.host, dependency.port), timeout=timeout):
                pass
        except OSError:
            down.append(dependency.name)
    return down


class HealthHandler(BaseHTTPRequestHandler):
    """Serves the contract's endpoints; everything else gets a small JSON error.

    HTTP/1.0 (the default): one request per connection, so a stopping service never waits on an idle
    keep-alive connection.
    """

    server_version = "payment-failover-sample/2"
    # A client that connects and goes silent must not pin a handler thread forever.
    timeout = 10

    def handle(self) -> None:
        service = cast(HealthServer, self.server)
        service.request_started()
        try:
            super().handle()
        finally:
            service.request_finished()

    def do_GET(self) -> None:
        self._respond(include_body=True)

    def do_HEAD(self) -> None:
        self._respond(include_body=False)

    def do_POST(self) -> None:
        if urlsplit(self.path).path != PAYMENTS_PATH:
            self._method_not_allowed()
            return
        status, payload = cast(HealthServer, self.server).authorise(self._read_body())
        self._send_json(status, payload, True)

    def _method_not_allowed(self) -> None:
        allowed = "POST" if urlsplit(self.path).path == PAYMENTS_PATH else "GET, HEAD"
        self._send_json(405, {"status": "error", "error": "method not allowed"}, True, {"Allow": allowed})

    # Known methods get 405; unrecognised ones keep http.server's 501, which is what HTTP prescribes.
    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _method_not_allowed

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length", "")
        if not length.isascii() or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return None
        return self.rfile.read(int(length))

    def _respond(self, include_body: bool) -> None:
        path = urlsplit(self.path).path
        service = cast(HealthServer, self.server)
        if path == HEALTH_PATH:
            self._send_json(200, service.liveness(), include_body)
        elif path == READY_PATH:
            ready, payload = service.readiness()
            self._send_json(200 if ready else 503, payload, include_body)
        elif path == PAYMENTS_PATH:
            self._method_not_allowed()
        else:
            self._send_json(404, {"status": "error", "error": "not found"}, include_body)

    def _send_json(
        self, status: int, payload: dict[str, str], include_body: bool, extra_headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        # Health answers and authorisations describe this instant; intermediaries must not replay them.
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if include_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """One line per request on stderr, which systemd sends to the journal."""
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


class HealthServer(ThreadingHTTPServer):
    """The service: a threading HTTP server that counts its requests in flight, so it can stop without cutting one."""

    # The process exits once the drain has ended or timed out; a handler stuck past that must not keep it alive.
    daemon_threads = True
    # Room for connections the kernel accepted while the service was busy: they are answered on the way out.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        metadata: IdentitySource,
        *,
        dependencies: tuple[Dependency, ...] = (),
        processing_seconds: float = 0.0,
    ) -> None:
        self.metadata = metadata
        self.dependencies = dependencies
        self.processing_seconds = processing_seconds
        self.draining = threading.Event()
        self._in_flight = 0
        self._idle = threading.Condition()
        super().__init__(address, HealthHandler)

    # --- the contract's answers ------------------------------------------------------------------------

    def liveness(self) -> dict[str, str]:
        identity = self.metadata.identity()
        payload: dict[str, str] = {"status": "ok"}
        if identity is None:
            payload.update(instanceId=UNKNOWN, availabilityZone=UNKNOWN, metadata="unavailable")
        else:
            payload.update(instanceId=identity.instance_id, availabilityZone=identity.availability_zone)
        return payload

    def readiness(self) -> tuple[bool, dict[str, str]]:
        if self.draining.is_set():
            return False, {"status": "draining"}
        down = unreachable(self.dependencies)
        if down:
            return False, {"status": "unavailable", "unreachable": ",".join(down)}
        return True, {"status": "ready"}

    def authorise(self, body: bytes | None) -> tuple[int, dict[str, str]]:
        """Validate one payment request and authorise it (the sample's whole business logic)."""
        try:
            request = json.loads(body or b"")
            amount = Decimal(str(request["amount"]))
            currency = str(request["currency"])
        except (ValueError, KeyError, TypeError, InvalidOperation):
            return 400, {"status": "error", "error": 'expected {"amount": "12.50", "currency": "EUR"}'}
        exponent = amount.as_tuple().exponent  # an int for a finite Decimal, a letter for NaN and infinities
        if not amount.is_finite() or amount <= 0 or not isinstance(exponent, int) or exponent < -2:
            return 422, {"status": "declined", "error": "amount must be positive with at most 2 decimals"}
        if currency not in CURRENCIES:
            return 422, {"status": "declined", "error": "currency must be one of " + ", ".join(sorted(CURRENCIES))}
        if self.processing_seconds:
            time.sleep(self.processing_seconds)
        return 201, {"status": "authorised", "authorisationId": str(uuid.uuid4()), "amount": str(amount)}

    # --- graceful stop ---------------------------------------------------------------------------------

    def request_started(self) -> None:
        with self._idle:
            self._in_flight += 1

    def request_finished(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    @property
    def in_flight(self) -> int:
        with self._idle:
            return self._in_flight

    def answer_queued(self) -> None:
        """Answer the connections the kernel has already accepted on the listening socket, then stop listening."""
        while select.select([self.socket], [], [], 0)[0]:
            # socketserver's own one-request step (what serve_forever calls), not in its typeshed stubs.
            self._handle_request_noblock()  # type: ignore[attr-defined]

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight, at most `timeout` seconds; True when none is left."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)


def make_server(
    host: str,
    port: int,
    metadata: IdentitySource,
    *,
    dependencies: tuple[Dependency, ...] = (),
    processing_seconds: float = 0.0,
) -> HealthServer:
    """Bind the service (port 0 picks a free port, which is what tests use)."""
    return HealthServer((host, port), metadata, dependencies=dependencies, processing_seconds=processing_seconds)


def serve_until_stopped(server: HealthServer, drain_seconds: float) -> bool:
    """Serve until SIGTERM or SIGINT, then drain: stop accepting, answer what is queued, wait for what is in flight.

    Returns True when every request finished within `drain_seconds`.
    """

    def _stop(signum: int, frame: FrameType | None) -> None:
        if not server.draining.is_set():
            server.draining.set()
            LOG.info("signal %d: draining, %d request(s) in flight", signum, server.in_flight)
            # shutdown() waits for serve_forever to return, which runs in this very thread: call it from another.
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        server.serve_forever(poll_interval=0.1)
        server.answer_queued()
    finally:
        server.socket.close()
    drained = server.wait_idle(drain_seconds)
    LOG.info("stopped %s", "after the last request" if drained else f"with requests cut after {drain_seconds}s")
    return drained


def main() -> int:
    """Entry point for systemd: configure from the environment and serve until stopped."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    host = os.environ.get("HEALTH_BIND") or DEFAULT_BIND
    port = int(os.environ.get("HEALTH_PORT") or DEFAULT_PORT)
    drain_seconds = float(os.environ.get("SERVICE_DRAIN_SECONDS") or DEFAULT_DRAIN_SECONDS)
    server = make_server(
        host,
        port,
        MetadataClient.from_env(),
        dependencies=parse_dependencies(os.environ.get("SERVICE_DEPENDENCIES", "")),
        processing_seconds=float(os.environ.get("PAYMENT_PROCESSING_MS") or 0) / 1000,
    )
    LOG.info("serving on %s:%d", host, server.server_address[1])
    serve_until_stopped(server, drain_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
