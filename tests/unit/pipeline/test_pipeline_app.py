"""R14 through the front door: app.py adds the pipeline only when configured, and refuses a bad configuration."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import CDK, cdk_synth, run_app
from tests.helpers.pipeline_context import PIPELINE_CONTEXT, PRODUCTION, as_cli_context


def _run_app(out: Path, context: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return run_app(out, as_cli_context(context))


def _without(key: str) -> dict[str, Any]:
    return {name: value for name, value in PIPELINE_CONTEXT.items() if name != key}


BAD_PIPELINES = {
    "no connection ARN": (_without("pipelineConnectionArn"), "but pipelineConnectionArn is not set; "),
    "malformed connection ARN": (
        {**PIPELINE_CONTEXT, "pipelineConnectionArn": "arn:aws:codeconnections:eu-central-1:1:connection/x"},
        "Invalid context key 'pipelineConnectionArn': 'arn:aws:codeconnections:eu-central-1:1:connection/x' "
        "is not allowed; ",
    ),
    "malformed repository": (
        {**PIPELINE_CONTEXT, "pipelineRepository": "payment-failover"},
        "Invalid context key 'pipelineRepository': 'payment-failover' is not allowed; ",
    ),
    "same suffix": (
        {**PIPELINE_CONTEXT, "productionSettings": {**PRODUCTION, "environmentSuffix": "staging"}},
        "Invalid context key 'productionSettings': 'staging' is not allowed; staging already uses this ",
    ),
}


@pytest.mark.parametrize(("context", "expected"), BAD_PIPELINES.values(), ids=BAD_PIPELINES.keys())
def test_r14_a_bad_pipeline_configuration_stops_the_app_with_one_sentence_and_nothing_synthesized(
    tmp_path: Path, context: dict[str, Any], expected: str
) -> None:
    result = _run_app(tmp_path, context)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("payment-failover: ")
    assert expected in line
    assert line.endswith(".")
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())


def test_r14_without_pipeline_settings_the_app_synthesizes_only_the_stage(cli_assembly: Path) -> None:
    artifacts = json.loads((cli_assembly / "manifest.json").read_text())["artifacts"]
    deployable = {
        name
        for name, artifact in artifacts.items()
        if artifact["type"] in {"aws:cloudformation:stack", "cdk:cloud-assembly"}
    }
    assert deployable == {"assembly-PaymentFailover-dev"}
    assert not list(cli_assembly.glob("*.template.json"))


@pytest.mark.skipif(not CDK.exists(), reason="the pinned CDK CLI is installed by `make test` (npm ci)")
def test_r14_cli_synth_writes_the_pipeline_template_next_to_the_stage_templates(tmp_path: Path) -> None:
    """What `make synth` runs, with the pipeline configured through `-c` as a person would try it."""
    out = tmp_path / "cdk.out"
    result = cdk_synth(out, as_cli_context(PIPELINE_CONTEXT))
    assert result.returncode == 0, result.stderr
    templates = sorted(str(path.relative_to(out).parent) for path in out.glob("**/*.template.json"))
    assert templates.count(".") == 2  # the pipeline and its us-east-1 replication support stack
    assert (out / "payment-failover-pipeline.template.json").is_file()
    assert sorted(set(templates) - {"."}) == [
        "assembly-PaymentFailover-dev",
        "assembly-payment-failover-pipeline-Production",
        "assembly-payment-failover-pipeline-Staging",
    ]
