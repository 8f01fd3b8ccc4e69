"""The front door: `make help` names every target, and `make deploy` cannot be talked out of its guard."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _phony_targets() -> list[str]:
    found = re.search(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert found is not None
    return found.group(1).split()


def test_make_help_lists_every_target() -> None:
    result = _make("help")
    assert result.returncode == 0
    listed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("make ")}
    assert set(_phony_targets()) - {"help"} == listed


def test_make_deploy_refuses_cdk_args_that_set_deploy() -> None:
    result = _make("-n", "deploy", "CDK_ARGS=-c account=210987654321 -c deploy=false")
    assert result.returncode != 0
    assert "make deploy always deploys with deploy=true; remove 'deploy=' from CDK_ARGS" in result.stderr


def test_make_deploy_passes_the_guard_last_so_no_earlier_context_can_override_it() -> None:
    result = _make("-n", "deploy", "CDK_ARGS=-c account=210987654321")
    assert result.returncode == 0
    command = next(line for line in result.stdout.splitlines() if " deploy " in line and "cdk" in line)
    assert command.endswith("-c account=210987654321 -c deploy=true")


def test_make_diff_selects_the_stand_alone_stages_stacks() -> None:
    """A bare `cdk diff` selects no stack inside a Stage and reports 0 differences having compared nothing."""
    result = _make("-n", "diff")
    assert result.returncode == 0
    assert "cdk diff 'PaymentFailover-*/*'" in result.stdout
