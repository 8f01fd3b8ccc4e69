"""R19: the user-data step that ships an instance's logs, executed here against a scratch root and stub commands.

The script is the very file the launch template embeds (payment_failover/components/fleet/runtime/ship_logs.sh);
dnf, systemctl and
the CloudWatch agent's control script are replaced by stubs on PATH that record their arguments in one call log.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from payment_failover.components.fleet.compute import SHIP_LOGS_FILE
from payment_failover.components.fleet.instance_logs import HEALTH_LOG, HEALTH_SYSLOG_IDENTIFIER

AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
CONFIG = {"logs": {"logs_collected": {"files": {"collect_list": [{"file_path": "/var/log/secure"}]}}}}


@dataclass
class Run:
    returncode: int
    calls: list[str]
    root: Path
    stderr: str


def _stub(directory: Path, name: str, failing: dict[str, int]) -> None:
    """A command that records its call and exits non-zero for calls starting with one of `failing`'s keys."""
    cases = "".join(f'  "{prefix}"*) exit {code} ;;\n' for prefix, code in failing.items() if prefix.startswith(name))
    path = directory / name
    path.write_text(f'#!/bin/bash\ncall="{name} $*"\necho "$call" >> "$CALLS"\ncase "$call" in\n{cases}esac\n')
    path.chmod(0o755)


def _run(tmp_path: Path, *, failing: dict[str, int] | None = None, config: str | None = None) -> Run:
    """Run the script; `config` None writes the sample configuration, a string writes that text, "absent" none."""
    bin_dir, root = tmp_path / "bin", tmp_path / "root"
    bin_dir.mkdir()
    root.mkdir()
    for name in ("dnf", "systemctl", "amazon-cloudwatch-agent-ctl"):
        _stub(bin_dir, name, failing or {})
    config_file = tmp_path / "cloudwatch-agent.json"
    if config != "absent":
        config_file.write_text(json.dumps(CONFIG) if config is None else config)
    calls = tmp_path / "calls"
    calls.touch()
    result = subprocess.run(
        ["bash", str(SHIP_LOGS_FILE), "--agent-config", str(config_file), "--root", str(root)],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return Run(result.returncode, calls.read_text().splitlines(), root, result.stderr)


def test_r19_installs_rsyslog_and_the_agent_then_starts_the_agent_on_the_rendered_configuration(
    tmp_path: Path,
) -> None:
    run = _run(tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.calls == [
        "dnf -y -q install rsyslog logrotate amazon-cloudwatch-agent",
        "systemctl enable --now rsyslog.service",
        f"amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:{run.root}{AGENT_CONFIG}",
        "systemctl is-active --quiet amazon-cloudwatch-agent.service",
    ]
    assert json.loads((run.root / AGENT_CONFIG.lstrip("/")).read_text()) == CONFIG


def test_r19_the_health_service_lines_go_to_their_own_file_only_and_it_is_rotated(tmp_path: Path) -> None:
    run = _run(tmp_path)
    rule = (run.root / "etc/rsyslog.d/20-payment-health.conf").read_text()
    assert f"if $programname == '{HEALTH_SYSLOG_IDENTIFIER}' then {{" in rule
    assert f'action(type="omfile" file="{HEALTH_LOG}")' in rule
    # `stop` keeps the lines out of /var/log/messages, which is shipped to the system group.
    assert rule.index("omfile") < rule.index("    stop\n")
    rotation = (run.root / "etc/logrotate.d/payment-health").read_text()
    assert rotation.startswith(f"{HEALTH_LOG} {{")
    assert "systemctl kill -s HUP rsyslog.service" in rotation


def test_r19_a_package_that_cannot_be_installed_fails_the_step_and_starts_no_agent(tmp_path: Path) -> None:
    """Under `set -e` the user data's ERR trap then signals failure: the instance never joins the fleet."""
    run = _run(tmp_path, failing={"dnf": 1})
    assert run.returncode != 0
    assert run.calls == ["dnf -y -q install rsyslog logrotate amazon-cloudwatch-agent"]


def test_r19_an_agent_that_does_not_stay_running_fails_the_step(tmp_path: Path) -> None:
    run = _run(tmp_path, failing={"systemctl is-active": 3})
    assert run.returncode != 0
    assert run.calls[-1] == "systemctl is-active --quiet amazon-cloudwatch-agent.service"


def test_r19_without_rsyslog_running_no_agent_is_started(tmp_path: Path) -> None:
    run = _run(tmp_path, failing={"systemctl enable": 1})
    assert run.returncode != 0
    assert run.calls[-1] == "systemctl enable --now rsyslog.service"


def test_r19_an_agent_that_refuses_its_configuration_fails_the_step(tmp_path: Path) -> None:
    run = _run(tmp_path, failing={"amazon-cloudwatch-agent-ctl": 1})
    assert run.returncode != 0
    assert "systemctl is-active --quiet amazon-cloudwatch-agent.service" not in run.calls


@pytest.mark.parametrize("config", ["", "absent"])
def test_r19_without_a_rendered_configuration_nothing_is_installed(tmp_path: Path, config: str) -> None:
    run = _run(tmp_path, config=config)
    assert (run.returncode, run.calls) == (2, [])


@pytest.mark.skipif(shutil.which("rsyslogd") is None or shutil.which("logger") is None, reason="needs rsyslogd")
def test_r19_rsyslog_routes_health_lines_to_their_file_and_everything_else_to_messages(tmp_path: Path) -> None:
    """The written rule, loaded by a real rsyslogd on a private socket (Debian's build; AL2023 ships rsyslog 8 too)."""
    run = _run(tmp_path)
    health, messages, socket = tmp_path / "health.log", tmp_path / "messages", tmp_path / "log.sock"
    rule = (run.root / "etc/rsyslog.d/20-payment-health.conf").read_text().replace(HEALTH_LOG, str(health))
    (tmp_path / "rule.conf").write_text(rule)
    (tmp_path / "rsyslog.conf").write_text(
        'module(load="imuxsock" SysSock.Use="off")\n'
        f'input(type="imuxsock" Socket="{socket}")\n'
        f'global(workDirectory="{tmp_path}")\n'
        f'include(file="{tmp_path / "rule.conf"}")\n'
        f"*.* {messages}\n"
    )
    daemon = subprocess.Popen(
        ["rsyslogd", "-n", "-f", str(tmp_path / "rsyslog.conf"), "-i", str(tmp_path / "pid")],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        subprocess.run(["logger", "-u", str(socket), "-t", HEALTH_SYSLOG_IDENTIFIER, "health line"], check=True)
        subprocess.run(["logger", "-u", str(socket), "-t", "sshd", "auth line"], check=True)
        while not (health.exists() and messages.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    assert "health line" in health.read_text()
    assert "auth line" not in health.read_text()
    assert "auth line" in messages.read_text()
    assert "health line" not in messages.read_text()
