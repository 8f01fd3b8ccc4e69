"""The app as a person runs it: `python app.py` under the CDK CLI's environment, and the pinned `cdk` itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from payment_failover.config.cli_context import project_context
from tests.helpers.synth import LEDGER

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"


def cli_env(**extra: str) -> dict[str, str]:
    """The caller's environment without AWS, CDK or product settings, with the pinned CLI first on PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_", "PAYMENT_"))}
    env["PATH"] = f"{CDK.parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CDK_DISABLE_VERSION_CHECK="true",
        CDK_DISABLE_CLI_TELEMETRY="true",
        **extra,
    )
    return env


def run_app(out: Path, context: dict[str, Any], *, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """app.py as the CLI starts it: the project's context (cdk.json and the CLI's switches) plus `context` in
    CDK_CONTEXT_JSON, the assembly into `out`."""
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=cli_env(CDK_OUTDIR=str(out), CDK_CONTEXT_JSON=json.dumps(project_context(context))),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    _count("python app.py", result)
    return result


def cdk_synth(out: Path, context: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """What `make synth` runs, with any context given as `-c key=value` the way a person types it."""
    options = [arg for key, value in (context or {}).items() for arg in ("-c", f"{key}={value}")]
    result = subprocess.run(
        [str(CDK), "synth", "**", "--quiet", "--output", str(out), *options],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    _count("cdk synth", result)
    return result


def _count(door: str, result: subprocess.CompletedProcess[str]) -> None:
    """A run that exits 0 synthesized the Stage; a refused configuration (exit 2) built nothing."""
    if result.returncode == 0:
        LEDGER.processes[door] += 1
