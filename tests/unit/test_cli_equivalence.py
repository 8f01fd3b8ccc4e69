"""R24, failure 16 (docs/requirements.md): the templates the tests assert are the templates `cdk synth` writes.

The default and the standby configurations are synthesized once through the pinned CLI (`cdk synth '**'`, which
reads cdk.json and adds its own switches) and once in-process by tests/helpers/synth.py; every template must be
equal, CDK's analytics and path metadata included, with only asset hashes (content digests of staged files)
scrubbed. A feature flag in cdk.json that the in-process synth missed would fail here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from payment_failover.config.cli_context import project_context
from tests.conftest import STANDBY_CONTEXT
from tests.helpers.cli import CDK, ROOT, cdk_synth
from tests.helpers.support import scrub_asset_hashes
from tests.helpers.synth import SynthesizedStage


def _cli_templates(out: Path) -> dict[str, Any]:
    """Every stack template of the Stage's nested assembly, by stack name."""
    (assembly,) = out.glob("assembly-*")
    artifacts = json.loads((assembly / "manifest.json").read_text())["artifacts"]
    return {
        artifact["properties"].get("stackName", name): json.loads(
            (assembly / artifact["properties"]["templateFile"]).read_text()
        )
        for name, artifact in artifacts.items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


@pytest.fixture(scope="module")
def cli_standby_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CDK.exists():
        pytest.skip("the pinned CDK CLI is installed by `make test` (npm ci)")
    out = tmp_path_factory.mktemp("cli-standby") / "cdk.out"
    result = cdk_synth(out, STANDBY_CONTEXT)
    assert result.returncode == 0, result.stderr
    return out


def _assert_same(cli: dict[str, Any], in_process: SynthesizedStage) -> None:
    assert sorted(cli) == sorted(in_process.templates)
    for name, template in in_process.templates.items():
        assert scrub_asset_hashes(cli[name]) == scrub_asset_hashes(template.to_json()), name


def test_r24_the_default_templates_in_process_are_the_ones_cdk_synth_writes(
    cli_assembly: Path, default_stage: SynthesizedStage
) -> None:
    _assert_same(_cli_templates(cli_assembly), default_stage)


def test_r24_the_standby_templates_in_process_are_the_ones_cdk_synth_writes(
    cli_standby_assembly: Path, standby_stage: SynthesizedStage
) -> None:
    _assert_same(_cli_templates(cli_standby_assembly), standby_stage)


def _merged_policy_statements(extra: dict[str, Any]) -> int:
    """A role with two grants on the same actions, synthesized in an App built the way the tests build theirs."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk.assertions import Template

    from tests.helpers.synth import project_app

    stack = cdk.Stack(project_app(extra), "Flags")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    for bucket in ("a", "b"):
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"arn:aws:s3:::{bucket}/*"])
        )
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
    return len(policy["Properties"]["PolicyDocument"]["Statement"])


def test_r24_a_feature_flag_of_cdk_json_reaches_every_app_the_tests_build() -> None:
    """cdk.json turns on `@aws-cdk/aws-iam:minimizePolicies`, which merges two grants of the same actions into one
    statement; the tests' App sees it, and the same App with the flag off does not. A flag that the tests' context
    missed would leave the tests checking a template `cdk synth` never writes (failure 16)."""
    cdk_json = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert cdk_json["@aws-cdk/aws-iam:minimizePolicies"] is True
    assert project_context().items() >= cdk_json.items()
    assert _merged_policy_statements({}) == 1
    assert _merged_policy_statements({"@aws-cdk/aws-iam:minimizePolicies": False}) == 2
