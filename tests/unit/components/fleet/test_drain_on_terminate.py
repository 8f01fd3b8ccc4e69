"""runtime/drain_on_terminate.sh against fakes (R20): a loopback instance metadata service that answers the target
lifecycle state (retrieving-target-lifecycle-state-through-imds page), and stub `systemctl` and `aws` executables
that record their calls."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from payment_failover.components.fleet.compute import DRAIN_SCRIPT_FILE

TOKEN = "fake-token"
ARGS = ["--unit", "payment-health.service", "--hook", "fleet-drain", "--group", "fleet", "--region", "eu-central-1"]


class _Imds(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        self._answer(TOKEN)

    def do_GET(self) -> None:
        server = self.server
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            self._answer("", status=401)
        elif self.path.endswith("/autoscaling/target-lifecycle-state"):
            states: list[str] = server.states  # type: ignore[attr-defined]
            self._answer(states.pop(0) if len(states) > 1 else states[0])
        elif self.path.endswith("/instance-id"):
            self._answer("i-0leaving")
        else:
            self._answer("", status=404)

    def _answer(self, body: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def imds() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Imds)
    server.states = ["InService", "InService", "Terminated"]  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _run(tmp_path: Path, url: str, *, aws_exit: int = 0, systemctl_exit: int = 0) -> tuple[int, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for name, code in (("systemctl", systemctl_exit), ("aws", aws_exit)):
        stub = bin_dir / name
        stub.write_text(f'#!/bin/bash\necho "{name} $*" >> "{calls}"\nexit {code}\n')
        stub.chmod(0o755)
    done = subprocess.run(
        ["bash", str(DRAIN_SCRIPT_FILE), *ARGS, "--metadata-url", url, "--interval", "0.1"],
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LC_ALL": "C"},
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    return done.returncode, calls.read_text().splitlines() if calls.exists() else []


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_on_termination_it_stops_the_service_first_and_then_completes_the_action_with_continue(
    tmp_path: Path, imds: ThreadingHTTPServer
) -> None:
    returncode, calls = _run(tmp_path, _url(imds))
    assert returncode == 0
    assert calls == [
        "systemctl stop payment-health.service",
        "aws autoscaling complete-lifecycle-action --lifecycle-action-result CONTINUE --instance-id i-0leaving "
        "--lifecycle-hook-name fleet-drain --auto-scaling-group-name fleet --region eu-central-1",
    ]


def test_a_failed_completion_is_reported_and_left_to_the_hooks_timeout(
    tmp_path: Path, imds: ThreadingHTTPServer
) -> None:
    returncode, calls = _run(tmp_path, _url(imds), aws_exit=255)
    assert returncode == 1
    assert calls[0] == "systemctl stop payment-health.service"


def test_while_in_service_it_touches_nothing(tmp_path: Path, imds: ThreadingHTTPServer) -> None:
    imds.states = ["InService"]  # type: ignore[attr-defined]
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(
            ["bash", str(DRAIN_SCRIPT_FILE), *ARGS, "--metadata-url", _url(imds), "--interval", "0.1"],
            env={"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"},
            capture_output=True,
            timeout=1.5,
            check=False,
        )


@pytest.mark.parametrize("missing", ["--unit", "--hook", "--group", "--region"])
def test_bad_arguments_touch_nothing(tmp_path: Path, missing: str) -> None:
    args = [arg for i, arg in enumerate(ARGS) if arg != missing and (i == 0 or ARGS[i - 1] != missing)]
    done = subprocess.run(["bash", str(DRAIN_SCRIPT_FILE), *args], capture_output=True, timeout=10, check=False)
    assert done.returncode == 2
