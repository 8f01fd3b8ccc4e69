"""Health endpoint for the payment instances behind the Application Load Balancer.

Installed by user data as ``/opt/payment-failover/health_service.py`` and started by systemd with the
system ``python3`` of Amazon Linux 2023, so it must stay stdlib-only: nothing is pip-installed on the
instance.

``GET /health`` answers 200 with the instance id and Availability Zone, which lets an operator (or a
test) see from the load balancer which AZ served a request. The identity comes from the instance
metadata service over IMDSv2 only, because the launch template requires tokens (IMDSv1 is disabled).

A metadata outage deliberately does *not* fail the health check: the instance can still serve
payments, and failing every health check at once would make the ALB/ASG replace a whole healthy
fleet. The check then answers 200 with ``"unknown"`` values and retries metadata on the next request.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import sys
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Protocol, cast
from urllib.parse import urlsplit

LOG = logging.getLogger("payment_failover.health")

DEFAULT_METADATA_URL = "http://169.254.169.254"
DEFAULT_BIND = "0.0.0.0"
DEFAULT_PORT = 8080
HEALTH_PATH = "/health"

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


class HealthHandler(BaseHTTPRequestHandler):
    """Serves GET/HEAD /health; everything else gets a small JSON error."""

    server_version = "payment-failover-health/1"
    # A client that connects and goes silent must not pin a handler thread forever.
    timeout = 10

    def do_GET(self) -> None:
        self._respond(include_body=True)

    def do_HEAD(self) -> None:
        self._respond(include_body=False)

    def _method_not_allowed(self) -> None:
        self._send_json(405, {"status": "error", "error": "method not allowed"}, True, {"Allow": "GET, HEAD"})

    # Known methods get 405; unrecognised ones keep http.server's 501, which is what HTTP prescribes.
    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _method_not_allowed

    def _respond(self, include_body: bool) -> None:
        if urlsplit(self.path).path != HEALTH_PATH:
            self._send_json(404, {"status": "error", "error": "not found"}, include_body)
            return
        metadata = cast(HealthServer, self.server).metadata
        identity = metadata.identity()
        payload: dict[str, str] = {"status": "ok"}
        if identity is None:
            payload.update(instanceId=UNKNOWN, availabilityZone=UNKNOWN, metadata="unavailable")
        else:
            payload.update(instanceId=identity.instance_id, availabilityZone=identity.availability_zone)
        self._send_json(200, payload, include_body)

    def _send_json(
        self, status: int, payload: dict[str, str], include_body: bool, extra_headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        # Health answers describe this instant; intermediaries must not replay them.
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
    """ThreadingHTTPServer carrying the identity source, so handlers need no globals."""

    # Handler threads must not keep the process alive when systemd stops the service.
    daemon_threads = True

    def __init__(self, address: tuple[str, int], metadata: IdentitySource) -> None:
        self.metadata = metadata
        super().__init__(address, HealthHandler)


def make_server(host: str, port: int, metadata: IdentitySource) -> ThreadingHTTPServer:
    """Bind the health server (port 0 picks a free port, which is what tests use)."""
    return HealthServer((host, port), metadata)


def _stop(signum: int, frame: FrameType | None) -> None:
    """Turn systemd's SIGTERM into SystemExit so ``main`` closes the socket on the way out."""
    raise SystemExit(0)


def main() -> int:
    """Entry point for systemd: configure from the environment and serve until stopped."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    host = os.environ.get("HEALTH_BIND") or DEFAULT_BIND
    port = int(os.environ.get("HEALTH_PORT") or DEFAULT_PORT)
    server = make_server(host, port, MetadataClient.from_env())
    signal.signal(signal.SIGTERM, _stop)
    LOG.info("serving %s on %s:%d", HEALTH_PATH, host, server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
