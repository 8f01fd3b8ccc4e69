"""The two doors a person uses: `python app.py` under the CDK CLI, and `cdk synth` of the Stage's stacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_", "PAYMENT_"))}
    env["PATH"] = f"{CDK.parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", CDK_DISABLE_VERSION_CHECK="true", **extra)
    return env


def _run_app(tmp_path: Path, context: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=_env(CDK_OUTDIR=str(tmp_path), CDK_CONTEXT_JSON=json.dumps(context)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bad_setting_stops_the_app_with_one_sentence_and_nothing_synthesized(tmp_path: Path) -> None:
    result = _run_app(tmp_path, {"maxCapacity": "12"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "payment-failover: Invalid context key 'maxCapacity': 12 is not allowed; "
        "it may be at most 3 per Availability Zone (9) to stay balanced."
    ]
    assert "Traceback" not in result.stderr
    assert "jsii" not in result.stderr
    assert not list(tmp_path.iterdir())


def test_deploy_mode_refuses_example_values_before_anything_is_synthesized(tmp_path: Path) -> None:
    result = _run_app(tmp_path, {"deploy": "true"})
    assert result.returncode == 2
    assert result.stderr.startswith("payment-failover: Refusing to deploy with example values (account 123456789012")
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not CDK.exists(), reason="the pinned CDK CLI is installed by `make test` (npm ci)")
def test_cli_synth_of_the_stage_writes_every_template_with_three_azs(tmp_path: Path) -> None:
    """What `make synth` runs: the '**' pattern selects the stacks inside the Stage."""
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [str(CDK), "synth", "**", "--quiet", "--output", str(out)],
        cwd=ROOT,
        env=_env(CDK_DISABLE_CLI_TELEMETRY="true"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assembly = out / "assembly-PaymentFailover-dev"
    artifacts = json.loads((assembly / "manifest.json").read_text())["artifacts"]
    stacks = {
        artifact["displayName"]: artifact["properties"]["templateFile"]
        for artifact in artifacts.values()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert sorted(stacks) == ["PaymentFailover-dev/GlobalDns", "PaymentFailover-dev/Service"]
    body = json.loads((assembly / stacks["PaymentFailover-dev/Service"]).read_text())
    subnets = [r for r in body["Resources"].values() if r["Type"] == "AWS::EC2::Subnet"]
    assert {s["Properties"]["AvailabilityZone"] for s in subnets} == {"eu-central-1a", "eu-central-1b", "eu-central-1c"}
    assert (
        not (ROOT / "cdk.context.json").exists() or "availability-zones" not in (ROOT / "cdk.context.json").read_text()
    )
    shutil.rmtree(out)
