"""The synthetic probe's code (R21) against loopback HTTPS servers: what it passes and what it fails.

Each server is a real TLS endpoint on 127.0.0.1 with a certificate from a throw-away CA made by openssl; the probe
connects to the server's address but sends the service's name as SNI and Host, as it does to a load balancer node.
Nothing here leaves the machine.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from payment_failover.components.observability.runtime.canary.python import probe_canary
from payment_failover.components.observability.runtime.canary.python.probe_canary import Probe, ProbeFailedError

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
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Host") != SERVICE:
                self.send_response(421)  # misdirected: the probe must send the service's name
            else:
                time.sleep(delay)
                self.send_response(status)
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
            paths=("/health", "/api/payments/ping"),
            timeout_seconds=timeout,
            ca_file=str(cert.parent / "ca.pem"),
        )

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_probe_passes_when_every_path_answers_200_with_the_services_certificate(serve: Callable[..., Probe]) -> None:
    latencies = probe_canary.run(serve())
    assert set(latencies) == {"/health", "/api/payments/ping"}


def test_probe_fails_on_a_500(serve: Callable[..., Probe]) -> None:
    with pytest.raises(ProbeFailedError, match="HTTP 500"):
        probe_canary.run(serve(status=500))


def test_probe_fails_when_no_answer_comes_within_the_timeout(serve: Callable[..., Probe]) -> None:
    with pytest.raises(ProbeFailedError, match=r"no answer within 0\.3 s"):
        probe_canary.run(serve(delay=1.0, timeout=0.3))


def test_probe_fails_on_a_certificate_for_another_name(serve: Callable[..., Probe]) -> None:
    with pytest.raises(ProbeFailedError, match=f"certificate not valid for {SERVICE}"):
        probe_canary.run(serve(cert_name="other.example.net"))


def test_one_failing_az_fails_only_its_own_probe(serve: Callable[..., Probe]) -> None:
    """Three addresses as three AZs' load balancer nodes: the one answering 503 fails, the others pass."""
    probes = {"a": serve(), "b": serve(status=503), "c": serve()}
    outcomes = {}
    for az, probe in probes.items():
        try:
            probe_canary.run(probe)
            outcomes[az] = "passed"
        except ProbeFailedError:
            outcomes[az] = "failed"
    assert outcomes == {"a": "passed", "b": "failed", "c": "passed"}


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
    assert probe_canary.handler({}, None).startswith(f"{SERVICE} via {LOOPBACK}: /health ")
