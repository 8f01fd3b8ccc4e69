"""R20: the sample service's revision, executed here: its hook scripts against a stub systemctl and the real sample
service on loopback, and its AppSpec against what the tier expects.

CodeDeploy runs each hook as root on the instance and fails the instance (and so, past the minimum healthy hosts,
the deployment) when a hook exits non-zero
(https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html). What cannot
run here: the agent itself, and systemd (a stub records what the hooks ask of it).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from payment_failover.components.fleet import compute
from payment_failover.config.service_bundle import bundle_problem
from sample_service.app import health_service
from tests.helpers.cli import ROOT

BUNDLE = ROOT / "sample_service"
HOOKS = BUNDLE / "hooks"
LOOPBACK = "127.0.0.1"


class _Identity:
    def identity(self) -> health_service.InstanceIdentity:
        return health_service.InstanceIdentity(instance_id="i-0sample", availability_zone="eu-central-1a")


def _run_hook(tmp_path: Path, hook: str, *, systemctl_exit: int = 0, **env: str) -> tuple[int, list[str], str]:
    """Run a hook with a stub `systemctl` that records its arguments; `systemctl cat` answers `systemctl_exit`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "systemctl-calls"
    stub = bin_dir / "systemctl"
    stub.write_text(
        f'#!/bin/bash\nprintf "%s\\n" "$*" >> "{calls}"\n'
        f'if [ "$1" = cat ]; then exit {systemctl_exit}; fi\n'
        f'[ "$1" = restart ] && [ -n "${{FAIL_RESTART:-}}" ] && exit 1\nexit 0\n'
    )
    stub.chmod(0o755)
    environ = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LC_ALL": "C", **env}
    done = subprocess.run(
        ["bash", str(HOOKS / hook)], env=environ, capture_output=True, text=True, timeout=30, check=False
    )
    recorded = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, recorded, done.stderr


def test_r20_the_revision_is_a_bundle_the_settings_accept_with_every_hook_present() -> None:
    assert bundle_problem(str(BUNDLE)) is None
    appspec = (BUNDLE / "appspec.yml").read_text()
    hooks = re.findall(r"^  (\w+):\n    - location: (\S+)", appspec, re.M)
    assert hooks == [
        ("ApplicationStop", "hooks/stop.sh"),
        ("AfterInstall", "hooks/install.sh"),
        ("ApplicationStart", "hooks/start.sh"),
        ("ValidateService", "hooks/validate.sh"),
    ]
    assert all(os.access(BUNDLE / location, os.X_OK) for _, location in hooks)


def test_r20_the_unit_the_revision_installs_is_the_one_the_tier_configures_and_stops() -> None:
    """The tier's drop-in, its drain watcher and the hooks all name compute.UNIT_NAME; ExecStart runs the file where
    the AppSpec puts it."""
    appspec = (BUNDLE / "appspec.yml").read_text()
    assert f"  - source: systemd/{compute.UNIT_NAME}\n    destination: /etc/systemd/system\n" in appspec
    assert "  - source: app\n    destination: /opt/payment-failover/service\n" in appspec
    unit = (BUNDLE / "systemd" / compute.UNIT_NAME).read_text()
    assert "ExecStart=/usr/bin/python3 /opt/payment-failover/service/health_service.py\n" in unit
    # The port, the drain time and the stop timeout are the tier's (user data), never the revision's.
    directives = [line for line in unit.splitlines() if not line.startswith("#")]
    assert not [line for line in directives if line.startswith(("Environment", "TimeoutStopSec"))]
    for hook in ("stop.sh", "install.sh", "start.sh"):
        assert f"${{PAYMENT_SERVICE_UNIT:-{compute.UNIT_NAME}}}" in (HOOKS / hook).read_text()
    assert compute.TIER_ENV_PATH in (HOOKS / "validate.sh").read_text()


def test_r20_application_stop_stops_the_running_service(tmp_path: Path) -> None:
    code, calls, _ = _run_hook(tmp_path, "stop.sh")
    assert (code, calls) == (0, [f"cat {compute.UNIT_NAME}", f"stop {compute.UNIT_NAME}"])


def test_r20_application_stop_on_a_new_instance_has_nothing_to_stop(tmp_path: Path) -> None:
    code, calls, _ = _run_hook(tmp_path, "stop.sh", systemctl_exit=1)
    assert (code, calls) == (0, [f"cat {compute.UNIT_NAME}"])


def test_r20_after_install_reloads_systemd_and_enables_the_unit(tmp_path: Path) -> None:
    code, calls, _ = _run_hook(tmp_path, "install.sh")
    assert (code, calls) == (0, ["daemon-reload", f"enable {compute.UNIT_NAME}"])


def test_r20_application_start_restarts_and_a_failed_start_fails_the_hook(tmp_path: Path) -> None:
    assert _run_hook(tmp_path, "start.sh")[:2] == (0, [f"restart {compute.UNIT_NAME}"])
    code, _, _ = _run_hook(tmp_path, "start.sh", FAIL_RESTART="1")
    assert code != 0


@pytest.fixture
def service() -> Iterator[tuple[health_service.HealthServer, socket.socket]]:
    """The sample service on loopback, depending on `ledger`, a listener the test can close."""
    ledger = socket.socket()
    ledger.bind((LOOPBACK, 0))
    ledger.listen()
    dependency = health_service.Dependency(name="ledger", host=LOOPBACK, port=ledger.getsockname()[1])
    server = health_service.make_server(LOOPBACK, 0, _Identity(), dependencies=(dependency,))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server, ledger
    server.shutdown()
    server.server_close()
    ledger.close()


def _validate(tmp_path: Path, port: int, deadline: int = 2) -> tuple[int, float, str]:
    tier_env = tmp_path / "tier.env"
    tier_env.write_text(f"HEALTH_PORT={port}\nSERVICE_DRAIN_SECONDS=30\n")
    started = time.monotonic()
    code, _, stderr = _run_hook(
        tmp_path,
        "validate.sh",
        PAYMENT_TIER_ENV=str(tier_env),
        VALIDATE_DEADLINE_SECONDS=str(deadline),
        VALIDATE_INTERVAL_SECONDS="0.2",
    )
    return code, time.monotonic() - started, stderr


def test_r20_validate_service_passes_once_the_service_is_ready(
    tmp_path: Path, service: tuple[health_service.HealthServer, socket.socket]
) -> None:
    server, _ = service
    code, seconds, stderr = _validate(tmp_path, server.server_address[1])
    assert code == 0, stderr
    assert seconds < 2


def test_r20_validate_service_fails_when_a_dependency_is_down_although_liveness_passes(
    tmp_path: Path, service: tuple[health_service.HealthServer, socket.socket]
) -> None:
    """Readiness, not liveness: the load balancer's /health still answers 200, yet the release stops here."""
    server, ledger = service
    ledger.close()
    port = server.server_address[1]
    with socket.create_connection((LOOPBACK, port), timeout=2) as connection:
        connection.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        assert connection.recv(64).startswith(b"HTTP/1.0 200")
    code, seconds, stderr = _validate(tmp_path, port)
    assert code == 1
    assert f"http://127.0.0.1:{port}/ready did not answer 200 within 2 s (last answer: 503)" in stderr
    assert 1 <= seconds < 5  # bash counts SECONDS in whole seconds: the deadline ends within one of 2 s


def test_r20_validate_service_fails_within_its_deadline_when_nothing_listens(tmp_path: Path) -> None:
    closed = socket.socket()
    closed.bind((LOOPBACK, 0))
    port = closed.getsockname()[1]
    closed.close()
    code, seconds, _ = _validate(tmp_path, port)
    assert code == 1
    assert 1 <= seconds < 5  # bash counts SECONDS in whole seconds: the deadline ends within one of 2 s
