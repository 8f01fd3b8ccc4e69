"""R16: the user data's last step, executed here against a loopback /health and a stub cfn-signal.

The script is the very file the launch template embeds
(payment_failover/components/fleet/runtime/signal_when_healthy.sh);
only the signalling tool is replaced, by a stub on PATH that records its arguments.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from payment_failover.components.fleet.compute import SIGNAL_SCRIPT_FILE

STACK, RESOURCE, REGION = "payment-failover-test", "ComputeGroupASG", "eu-central-1"
# Small numbers keep the suite fast; the script treats them exactly like the template's 120 s / 60 s.
DEADLINE, INTERVAL = 2, "0.2"
# What may pass beyond the deadline: one poll interval, one probe and process start-up on a busy machine.
SLACK_SECONDS = 2.5

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the script probes /health with curl")


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        statuses: list[int] = self.server.statuses  # type: ignore[attr-defined]
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Run:
    returncode: int
    seconds: float
    signals: list[list[str]]
    stderr: str


@pytest.fixture
def health() -> Iterator[ThreadingHTTPServer]:
    """A loopback /health whose answers the test scripts through `server.statuses` (the last one repeats)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    server.statuses = [200]  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/health"


def _closed_port_url() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/health"


def _run(tmp_path: Path, *args: str, stub_exit: int = 0) -> Run:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    stub = bin_dir / "cfn-signal"
    stub.write_text(f'#!/bin/bash\nprintf "%s\\n" "$*" >> "{calls}"\nexit {stub_exit}\n')
    stub.chmod(0o755)
    environ = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LC_ALL": "C"}
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(SIGNAL_SCRIPT_FILE), "--stack", STACK, "--resource", RESOURCE, "--region", REGION, *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    seconds = time.monotonic() - started
    signals = [line.split() for line in calls.read_text().splitlines()] if calls.exists() else []
    return Run(done.returncode, seconds, signals, done.stderr)


def _expected(success: str) -> list[str]:
    return ["--success", success, "--stack", STACK, "--resource", RESOURCE, "--region", REGION]


def test_r16_signals_success_once_health_answers_200(tmp_path: Path, health: ThreadingHTTPServer) -> None:
    run = _run(tmp_path, "--url", _url(health), "--deadline", str(DEADLINE), "--interval", INTERVAL)
    assert (run.returncode, run.signals) == (0, [_expected("true")]), run.stderr
    assert run.seconds < DEADLINE


def test_r16_signals_failure_when_health_never_answers_and_stays_within_its_deadline(tmp_path: Path) -> None:
    run = _run(tmp_path, "--url", _closed_port_url(), "--deadline", str(DEADLINE), "--interval", INTERVAL)
    assert (run.returncode, run.signals) == (1, [_expected("false")]), run.stderr
    assert DEADLINE <= run.seconds < DEADLINE + SLACK_SECONDS


def test_r16_a_health_endpoint_answering_500_is_a_failure(tmp_path: Path, health: ThreadingHTTPServer) -> None:
    health.statuses = [500]  # type: ignore[attr-defined]
    run = _run(tmp_path, "--url", _url(health), "--deadline", str(DEADLINE), "--interval", INTERVAL)
    assert (run.returncode, run.signals) == (1, [_expected("false")])
    assert run.seconds < DEADLINE + SLACK_SECONDS


def test_r16_success_waits_until_health_has_held_for_the_settle_time(
    tmp_path: Path, health: ThreadingHTTPServer
) -> None:
    """A 200 that flaps back to 503 restarts the clock; success comes only after an unbroken settle period."""
    health.statuses = [503, 200, 503, 200]  # type: ignore[attr-defined]
    run = _run(tmp_path, "--url", _url(health), "--deadline", "6", "--settle", "1", "--interval", INTERVAL)
    assert (run.returncode, run.signals) == (0, [_expected("true")]), run.stderr
    assert "stopped answering 200" in run.stderr
    assert 1 <= run.seconds < 6


def test_r16_health_that_never_holds_for_the_settle_time_fails(tmp_path: Path, health: ThreadingHTTPServer) -> None:
    run = _run(tmp_path, "--url", _url(health), "--deadline", str(DEADLINE), "--settle", "5", "--interval", INTERVAL)
    assert (run.returncode, run.signals) == (1, [_expected("false")])
    assert run.seconds < DEADLINE + SLACK_SECONDS


def test_r16_a_failed_user_data_step_signals_failure_at_once(tmp_path: Path) -> None:
    run = _run(tmp_path, "--failed")
    assert (run.returncode, run.signals) == (1, [_expected("false")])
    assert run.seconds < 1


def test_an_undeliverable_signal_is_reported_with_its_own_exit_status(
    tmp_path: Path, health: ThreadingHTTPServer
) -> None:
    run = _run(tmp_path, "--url", _url(health), "--deadline", str(DEADLINE), "--interval", INTERVAL, stub_exit=1)
    assert run.returncode == 2
    assert "could not deliver" in run.stderr


@pytest.mark.parametrize(
    "args", [["--deadline", "soon"], ["--bogus"]], ids=["non-numeric-deadline", "unknown-argument"]
)
def test_bad_arguments_signal_nothing(tmp_path: Path, args: list[str]) -> None:
    run = _run(tmp_path, *args)
    assert (run.returncode, run.signals) == (2, [])


def test_r22_with_a_role_the_signal_is_signed_with_that_roles_credentials(
    tmp_path: Path, health: ThreadingHTTPServer
) -> None:
    """cfn-signal's --role option (cfn-signal page): the CloudFormation endpoint admits this account's principals."""
    run = _run(
        tmp_path, "--url", _url(health), "--deadline", str(DEADLINE), "--interval", INTERVAL, "--role", "fleet-role"
    )
    assert (run.returncode, run.signals) == (0, [[*_expected("true"), "--role", "fleet-role"]]), run.stderr
