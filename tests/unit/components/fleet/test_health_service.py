"""Tests for the instance health service (requirement R6).

R6: "user data installs a small service that answers /health with 200 and the instance's AZ".

The real service runs on loopback against a fake IMDSv2 endpoint, which is itself a small http.server
on 127.0.0.1. The fake refuses metadata reads without a valid session token, so an IMDSv1-style
client cannot pass these tests. Nothing here talks to any address other than 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer
from typing import cast

import pytest

from sample_service.app import health_service

LOOPBACK = "127.0.0.1"
INSTANCE_ID = "i-0abc"
AVAILABILITY_ZONE = "eu-central-1b"
TOKEN = "fake-imdsv2-token"
ALB_TIMEOUT_BOUND_SECONDS = 3.0
# Short poll so fixture teardown (server.shutdown) does not wait the default 0.5 s per server.
POLL_INTERVAL = 0.05

# Client calls bypass any proxy configured in the environment: loopback traffic must stay local.
_CLIENT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Reply:
    """A response as the ALB would see it."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, str]:
        return cast(dict[str, str], json.loads(self.body))


@dataclass
class SeenRequest:
    """One request received by the fake metadata service."""

    method: str
    path: str
    token: str | None
    ttl: str | None


@dataclass
class FakeImds:
    """State of the fake IMDSv2 endpoint: what it answers and what it was asked."""

    url: str = ""
    available: bool = True
    seen: list[SeenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _fake_imds_handler(state: FakeImds) -> type[BaseHTTPRequestHandler]:
    values = {
        "/latest/meta-data/instance-id": INSTANCE_ID,
        "/latest/meta-data/placement/availability-zone": AVAILABILITY_ZONE,
    }

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            seen = SeenRequest(
                method=self.command,
                path=self.path,
                token=self.headers.get("X-aws-ec2-metadata-token"),
                ttl=self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"),
            )
            with state.lock:
                state.seen.append(seen)

        def _send(self, status: int, text: str) -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self) -> None:
            self._record()
            if not state.available:
                self._send(503, "metadata service unavailable")
            elif self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                self._send(400, "missing token TTL")
            else:
                self._send(200, TOKEN)

        def do_GET(self) -> None:
            self._record()
            if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                self._send(401, "IMDSv1 is disabled")
            elif self.path not in values:
                self._send(404, "not found")
            else:
                self._send(200, values[self.path])

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    return Handler


def _start(server: BaseServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True)
    thread.start()
    return thread


def _stop(server: BaseServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://{LOOPBACK}:{server.server_address[1]}"


def _closed_loopback_port() -> int:
    """A loopback port nothing listens on, so connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return cast(int, sock.getsockname()[1])


def call(url: str, method: str = "GET") -> Reply:
    """Issue one request and return the reply, including 4xx/5xx ones."""
    request = urllib.request.Request(url, method=method)
    try:
        with _CLIENT.open(request, timeout=10) as response:
            return Reply(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, dict(error.headers.items()), error.read())


@pytest.fixture
def fake_imds() -> Iterator[FakeImds]:
    """A fake IMDSv2 endpoint on loopback."""
    state = FakeImds()
    server = ThreadingHTTPServer((LOOPBACK, 0), _fake_imds_handler(state))
    server.daemon_threads = True
    state.url = _url(server)
    thread = _start(server)
    yield state
    _stop(server, thread)


@pytest.fixture
def serve() -> Iterator[Callable[[health_service.IdentitySource], str]]:
    """Start the real health service on an ephemeral loopback port; returns its base URL."""
    running: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(metadata: health_service.IdentitySource) -> str:
        server = health_service.make_server(LOOPBACK, 0, metadata)
        running.append((server, _start(server)))
        return _url(server)

    yield start
    for server, thread in running:
        _stop(server, thread)


def _client_for(url: str, monkeypatch: pytest.MonkeyPatch) -> health_service.MetadataClient:
    """Configure the client the way systemd does: through HEALTH_METADATA_URL."""
    monkeypatch.setenv("HEALTH_METADATA_URL", url)
    return health_service.MetadataClient.from_env()


def test_health_answers_200_with_instance_id_and_az(
    fake_imds: FakeImds, serve: Callable[[health_service.IdentitySource], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R6: /health answers 200 with a JSON body naming the instance and its AZ."""
    base = serve(_client_for(fake_imds.url, monkeypatch))

    reply = call(base + "/health")

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {"status": "ok", "instanceId": INSTANCE_ID, "availabilityZone": AVAILABILITY_ZONE}


def test_health_reads_metadata_with_imdsv2_token_only(
    fake_imds: FakeImds, serve: Callable[[health_service.IdentitySource], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R6: the AZ comes from IMDSv2 - a token PUT first, then reads carrying that token (IMDSv1 is refused)."""
    base = serve(_client_for(fake_imds.url, monkeypatch))

    assert call(base + "/health").json()["availabilityZone"] == AVAILABILITY_ZONE

    first, *reads = fake_imds.seen
    assert (first.method, first.path, first.ttl) == ("PUT", "/latest/api/token", "21600")
    assert {(r.method, r.path) for r in reads} == {
        ("GET", "/latest/meta-data/instance-id"),
        ("GET", "/latest/meta-data/placement/availability-zone"),
    }
    assert all(r.token == TOKEN for r in reads)


def test_health_stays_200_quickly_when_metadata_is_unreachable(
    serve: Callable[[health_service.IdentitySource], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R6: a metadata outage must not fail the check (no fleet-wide replacement); AZ is reported as unknown."""
    base = serve(_client_for(f"http://{LOOPBACK}:{_closed_loopback_port()}", monkeypatch))

    started = time.monotonic()
    reply = call(base + "/health")
    elapsed = time.monotonic() - started

    assert reply.status == 200
    assert reply.json() == {
        "status": "ok",
        "instanceId": "unknown",
        "availabilityZone": "unknown",
        "metadata": "unavailable",
    }
    assert elapsed < ALB_TIMEOUT_BOUND_SECONDS


def test_health_stays_within_alb_timeout_when_metadata_hangs(
    serve: Callable[[health_service.IdentitySource], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R6: a metadata endpoint that accepts but never answers is cut off by the 1 s call timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind((LOOPBACK, 0))
        silent.listen(8)  # the kernel completes handshakes; nobody ever reads or answers
        base = serve(_client_for(f"http://{LOOPBACK}:{silent.getsockname()[1]}", monkeypatch))

        started = time.monotonic()
        reply = call(base + "/health")
        elapsed = time.monotonic() - started

    assert reply.status == 200
    assert reply.json()["metadata"] == "unavailable"
    assert elapsed < ALB_TIMEOUT_BOUND_SECONDS


def test_health_retries_metadata_after_failure_and_caches_success(
    fake_imds: FakeImds, serve: Callable[[health_service.IdentitySource], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R6: a failed lookup is not cached, so the AZ appears once metadata recovers; a success is cached."""
    base = serve(_client_for(fake_imds.url, monkeypatch))
    fake_imds.available = False

    assert call(base + "/health").json()["availabilityZone"] == "unknown"

    fake_imds.available = True
    recovered = call(base + "/health").json()
    assert recovered["availabilityZone"] == AVAILABILITY_ZONE
    assert "metadata" not in recovered

    calls_after_success = len(fake_imds.seen)
    assert call(base + "/health").json()["availabilityZone"] == AVAILABILITY_ZONE
    assert len(fake_imds.seen) == calls_after_success


def test_head_health_answers_like_get_without_body(
    fake_imds: FakeImds, serve: Callable[[health_service.IdentitySource], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R6: HEAD /health gives the same status and headers as GET, with no body."""
    base = serve(_client_for(fake_imds.url, monkeypatch))

    head = call(base + "/health", method="HEAD")
    get = call(base + "/health")

    assert head.status == 200
    assert head.body == b""
    assert head.headers["Content-Type"] == "application/json"
    assert head.headers["Content-Length"] == str(len(get.body))


def test_unknown_path_answers_404(
    fake_imds: FakeImds, serve: Callable[[health_service.IdentitySource], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R6: only /health is served; any other path is a JSON 404."""
    base = serve(_client_for(fake_imds.url, monkeypatch))

    reply = call(base + "/status")

    assert reply.status == 404
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json()["status"] == "error"


def test_post_health_answers_405(
    fake_imds: FakeImds, serve: Callable[[health_service.IdentitySource], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R6: /health is read-only; POST is refused with 405 and an Allow header."""
    base = serve(_client_for(fake_imds.url, monkeypatch))

    reply = call(base + "/health", method="POST")

    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, HEAD"
    assert reply.json()["status"] == "error"
