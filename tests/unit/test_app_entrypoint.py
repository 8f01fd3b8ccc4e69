"""The two doors a person uses: `python app.py` under the CDK CLI, and `cdk synth` of the Stage's stacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers.cli import ROOT, run_app


def _run_app(tmp_path: Path, context: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_app(tmp_path, context, timeout=120)


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


def test_cli_synth_of_the_stage_writes_every_template_with_three_azs(cli_assembly: Path) -> None:
    """What `make synth` runs: the '**' pattern selects the stacks inside the Stage."""
    out = cli_assembly
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


def test_every_template_cdk_synth_writes_passes_cfn_lint(cli_assembly: Path) -> None:
    """`make test`'s template lint: cfn-lint run as `make templates` runs it, on what `cdk synth` wrote, under the
    project's .cfnlintrc.yaml (its template glob and its ignore list)."""
    workdir = cli_assembly.parent
    shutil.copy(ROOT / ".cfnlintrc.yaml", workdir)
    assert len(list(cli_assembly.glob("**/*.template.json"))) == 2
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint")],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "")
