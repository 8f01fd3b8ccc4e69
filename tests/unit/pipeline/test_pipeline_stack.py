"""R14: the self-mutating pipeline tests, synthesizes and ships the same Stage to staging, then production."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from payment_failover.compliance import confused_deputy
from payment_failover.pipeline.settings import PipelineSettings
from payment_failover.pipeline.stack import PIPELINE_STACK_NAME, PipelineStack
from payment_failover.stage import PaymentFailoverStage
from tests.helpers.pipeline_context import BRANCH, CONNECTION_ARN, PIPELINE_ACCOUNT, REPOSITORY, pipeline_settings
from tests.helpers.service_principals import grants
from tests.helpers.support import comparable, scrubbed
from tests.helpers.synth import project_app

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class SynthesizedPipeline:
    settings: PipelineSettings
    stack: PipelineStack
    template: Template

    @property
    def stages(self) -> list[dict[str, Any]]:
        (pipeline,) = self.template.find_resources("AWS::CodePipeline::Pipeline").values()
        stages: list[dict[str, Any]] = pipeline["Properties"]["Stages"]
        return stages

    def stage(self, name: str) -> dict[str, Any]:
        (found,) = [stage for stage in self.stages if stage["Name"] == name]
        return found

    def build_spec(self, action: dict[str, Any]) -> dict[str, Any]:
        """The buildspec of the CodeBuild project a pipeline action runs."""
        project = self.template.to_json()["Resources"][action["Configuration"]["ProjectName"]["Ref"]]
        spec: dict[str, Any] = json.loads(project["Properties"]["Source"]["BuildSpec"])
        return spec


@pytest.fixture(scope="module")
def synthesized() -> SynthesizedPipeline:
    """The pipeline as app.py builds it for the shared configuration, synthesized once for this module."""
    settings = pipeline_settings()
    stack = PipelineStack(project_app(), PIPELINE_STACK_NAME, settings=settings)
    return SynthesizedPipeline(settings, stack, Template.from_stack(stack))


def _providers(stage: dict[str, Any]) -> list[str]:
    return [action["ActionTypeId"]["Provider"] for action in stage["Actions"]]


def _deploy_run_orders(stage: dict[str, Any]) -> list[int]:
    return [a["RunOrder"] for a in stage["Actions"] if a["ActionTypeId"]["Provider"] == "CloudFormation"]


def test_r14_pipeline_stack_lives_in_the_tooling_account(synthesized: SynthesizedPipeline) -> None:
    stack = synthesized.stack
    assert (stack.stack_name, stack.account, stack.region) == (PIPELINE_STACK_NAME, PIPELINE_ACCOUNT, "eu-central-1")


def test_r14_source_is_the_configured_connection_repository_and_branch(synthesized: SynthesizedPipeline) -> None:
    (action,) = synthesized.stages[0]["Actions"]
    assert action["ActionTypeId"] == {
        "Category": "Source",
        "Owner": "AWS",
        "Provider": "CodeStarSourceConnection",
        "Version": "1",
    }
    assert action["Configuration"] == {
        "ConnectionArn": CONNECTION_ARN,
        "FullRepositoryId": REPOSITORY,
        "BranchName": BRANCH,
    }


def test_r14_synth_installs_the_pins_and_runs_the_tests_before_it_synthesizes(
    synthesized: SynthesizedPipeline,
) -> None:
    """A failing test fails the build phase before `make synth`, so nothing is synthesized or deployed."""
    (action,) = synthesized.stage("Build")["Actions"]
    spec = synthesized.build_spec(action)
    assert spec["phases"]["install"]["commands"] == ["make setup"]
    assert spec["phases"]["install"]["runtime-versions"] == {"python": "3.11", "nodejs": "22"}
    build = spec["phases"]["build"]["commands"]
    assert build == ["make test", "make synth"]
    assert spec["artifacts"]["base-directory"] == "cdk.out"
    makefile = (ROOT / "Makefile").read_text()
    assert "npm ci" in makefile
    assert "--require-hashes --no-deps" in makefile
    assert "-r requirements-dev.lock" in makefile


def test_r14_the_pipeline_updates_itself_after_synth_and_before_any_deployment(
    synthesized: SynthesizedPipeline,
) -> None:
    names = [stage["Name"] for stage in synthesized.stages]
    assert names[:3] == ["Source", "Build", "UpdatePipeline"]
    deploying = [i for i, stage in enumerate(synthesized.stages) if "CloudFormation" in _providers(stage)]
    assert deploying
    assert min(deploying) > names.index("UpdatePipeline")
    (action,) = synthesized.stage("UpdatePipeline")["Actions"]
    assert action["Name"] == "SelfMutate"
    assert synthesized.build_spec(action)["phases"]["build"]["commands"] == [
        f"cdk -a . deploy {PIPELINE_STACK_NAME} --require-approval=never --verbose"
    ]


def test_r14_the_cli_version_is_the_project_pin_not_latest(synthesized: SynthesizedPipeline) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    (action,) = synthesized.stage("UpdatePipeline")["Actions"]
    assert synthesized.build_spec(action)["phases"]["install"]["commands"] == [f"npm install -g aws-cdk@{pinned}"]


def test_r14_assets_are_published_with_the_pinned_cdk_assets_not_latest(synthesized: SynthesizedPipeline) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["cdk-assets"]
    assert synthesized.settings.assets_cli_version == pinned
    actions = [action for stage in synthesized.stages if stage["Name"] == "Assets" for action in stage["Actions"]]
    if not actions:
        # Since no reference crosses a region, the Stage has no Lambda-backed custom resource and no file asset
        # (CDK Pipelines then adds no Assets stage); the pin above is what a future asset would be published with.
        assembly = json.dumps([Template.from_stack(s).to_json() for s in synthesized.stack.staging.regional])
        assert "AWS::Lambda::Function" not in assembly
    for action in actions:
        install = synthesized.build_spec(action)["phases"]["install"]["commands"]
        assert install == [f"npm install -g cdk-assets@{pinned}"]


def test_r14_staging_deploys_before_production(synthesized: SynthesizedPipeline) -> None:
    names = [stage["Name"] for stage in synthesized.stages]
    assert names.index("Staging") < names.index("Production")
    assert names[-2:] == ["Staging", "Production"]
    stack_names = {
        stage["Name"]: {a["Configuration"]["StackName"] for a in stage["Actions"] if "StackName" in a["Configuration"]}
        for stage in synthesized.stages[-2:]
    }
    assert stack_names == {
        "Staging": _stack_names(synthesized.stack.staging),
        "Production": _stack_names(synthesized.stack.production),
    }
    assert "payment-failover-staging" in stack_names["Staging"]
    assert "payment-failover-prod" in stack_names["Production"]


def test_r14_a_manual_approval_comes_before_any_production_deployment(synthesized: SynthesizedPipeline) -> None:
    production = synthesized.stage("Production")
    (approval,) = [a for a in production["Actions"] if a["ActionTypeId"]["Category"] == "Approval"]
    assert approval["ActionTypeId"]["Provider"] == "Manual"
    assert approval["RunOrder"] < min(_deploy_run_orders(production))
    assert all(a["ActionTypeId"]["Category"] != "Approval" for a in synthesized.stage("Staging")["Actions"])


@pytest.mark.parametrize(("stage_name", "suffix"), [("Staging", "staging"), ("Production", "prod")])
def test_r14_each_stage_ends_with_a_health_check_of_what_it_just_deployed(
    synthesized: SynthesizedPipeline, stage_name: str, suffix: str
) -> None:
    """The URLs come from this stage's stacks' outputs, read after their deployment, and each must answer 200:
    the domain (global DNS stack) and the region's own name (service stack)."""
    stage = synthesized.stage(stage_name)
    (check,) = [a for a in stage["Actions"] if a["Name"] == "HealthCheck"]
    assert check["RunOrder"] > max(_deploy_run_orders(stage))
    (global_deploy,) = [a for a in stage["Actions"] if a["Name"] == f"payment-failover-{suffix}-global-dns.Deploy"]
    (service_deploy,) = [a for a in stage["Actions"] if a["Name"] == f"payment-failover-{suffix}.Deploy"]
    assert global_deploy["RunOrder"] > service_deploy["RunOrder"], "records only after the names they alias"
    variables = json.loads(check["Configuration"]["EnvironmentVariables"])
    assert variables == [
        {"name": "SERVICE_URL", "type": "PLAINTEXT", "value": f"#{{{global_deploy['Namespace']}.ServiceUrl}}"},
        {"name": "REGION_1_URL", "type": "PLAINTEXT", "value": f"#{{{service_deploy['Namespace']}.ServiceUrl}}"},
    ]
    commands = synthesized.build_spec(check)["phases"]["build"]["commands"]
    assert len(commands) == 2
    for command, variable in zip(commands, ("SERVICE_URL", "REGION_1_URL"), strict=True):
        assert "curl --silent --show-error --fail --connect-timeout 5 --max-time 10 --retry 20" in command
        assert f'"${variable}"' in command
        assert command.endswith('&& test "$status" = 200')


def test_r14_the_service_url_output_is_the_stage_domains_health_url(synthesized: SynthesizedPipeline) -> None:
    for stage, settings in [
        (synthesized.stack.staging, synthesized.settings.staging),
        (synthesized.stack.production, synthesized.settings.production),
    ]:
        outputs = Template.from_stack(stage.global_dns).find_outputs("ServiceUrl")
        assert outputs["ServiceUrl"]["Value"] == f"https://{settings.domain_name}/health"
        regional = Template.from_stack(stage.service).find_outputs("ServiceUrl")
        assert regional["ServiceUrl"]["Value"] == f"https://{settings.region}.{settings.domain_name}/health"


def test_r14_artifacts_are_encrypted_with_a_rotated_key_other_accounts_can_use(
    synthesized: SynthesizedPipeline,
) -> None:
    synthesized.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    (pipeline,) = synthesized.template.find_resources("AWS::CodePipeline::Pipeline").values()
    for store in pipeline["Properties"]["ArtifactStores"]:
        assert store["ArtifactStore"]["EncryptionKey"]["Type"] == "KMS"


@pytest.mark.parametrize("stage_name", ["staging", "production"])
def test_r14_the_pipeline_stage_synthesizes_the_same_templates_as_the_stand_alone_stage(
    synthesized: SynthesizedPipeline, stage_name: str
) -> None:
    """One definition, two doors: for the same settings, every stack's template is identical but for its path.

    CDK writes a construct's path into a few Name tags (subnets, launch template); those are compared relative
    to the Stage, everything else exactly, logical ids included (the ALB-to-instance rule ids are pinned).
    """
    settings = getattr(synthesized.settings, stage_name)
    in_pipeline: PaymentFailoverStage = getattr(synthesized.stack, stage_name)
    stand_alone = PaymentFailoverStage(
        project_app(), f"PaymentFailover-{settings.environment_suffix}", settings=settings
    )
    assert in_pipeline.node.path != stand_alone.node.path
    assert _templates(in_pipeline) == _templates(stand_alone)


def test_r14_the_pipeline_templates_pass_cfn_lint(
    synthesized: SynthesizedPipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make test` lints what `cdk synth` writes; CI has no pipeline configured, so lint the pipeline here, with the
    project's ignore list and without its template glob (cfn-lint reads .cfnlintrc.yaml from the working directory)."""
    ignored = yaml.safe_load((ROOT / ".cfnlintrc.yaml").read_text())["ignore_checks"]
    monkeypatch.chdir(tmp_path)
    support = [region.stack for region in synthesized.stack.pipeline.pipeline.cross_region_support.values()]
    assert support, "a stage in us-east-1 needs a replication bucket there"
    for template in [synthesized.template, *(Template.from_stack(stack) for stack in support)]:
        findings = lint(
            json.dumps(template.to_json()),
            regions=[synthesized.stack.region],
            config=ManualArgs(ignore_checks=ignored),
        )
        assert [str(finding) for finding in findings] == []


def test_r14_the_pipeline_template_matches_its_snapshot(
    synthesized: SynthesizedPipeline, snapshot: SnapshotAssertion
) -> None:
    assert scrubbed(synthesized.template) == snapshot.use_extension(JSONSnapshotExtension)


def _stack_names(stage: cdk.Stage) -> set[str]:
    return {child.stack_name for child in stage.node.children if isinstance(child, cdk.Stack)}


def _templates(stage: cdk.Stage) -> dict[str, str]:
    """Every stack's template JSON without path metadata, with the Stage's own path (written into Name tags)
    neutralized."""
    path = stage.node.path
    stacks = [child for child in stage.node.children if isinstance(child, cdk.Stack)]
    assert stacks
    templates = {}
    for stack in stacks:
        text = json.dumps(comparable(Template.from_stack(stack).to_json()), sort_keys=True).replace(
            f"{path}/", "<stage>/"
        )
        templates[stack.stack_name] = text
    return templates


def test_r16_every_pipeline_stage_refuses_deletion_of_its_stacks_and_its_load_balancer(
    synthesized: SynthesizedPipeline,
) -> None:
    """Pipeline stages always deploy for real (deploy=true): termination protection on both stacks, ALB deletion
    protection on (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-protect-stacks.html)."""
    for stage in (synthesized.stack.staging, synthesized.stack.production):
        stacks = [child for child in stage.node.children if isinstance(child, cdk.Stack)]
        assert len(stacks) >= 2
        assert all(stack.termination_protection for stack in stacks)
    (alb,) = (
        Template.from_stack(synthesized.stack.production.service)
        .find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
        .values()
    )
    attributes = {a["Key"]: a["Value"] for a in alb["Properties"]["LoadBalancerAttributes"]}
    assert attributes["deletion_protection.enabled"] == "true"


def test_r19_pipeline_service_principals_are_bound_or_listed_with_the_page_checked(
    synthesized: SynthesizedPipeline,
) -> None:
    """The pipeline's roles are CDK Pipelines' own: each service that may assume one is either bound to this account
    or listed in confused_deputy.UNCONDITIONED as a pipeline principal with its reason, and nothing listed is stale."""
    found = list(grants(synthesized.template))
    assert found
    assert all(g.policy != "unknown" for g in found)
    unbound = {(g.principal, g.policy) for g in found if not g.bound}
    listed = {(e.principal, e.policy) for e in confused_deputy.UNCONDITIONED if e.stack == "pipeline"}
    assert unbound == listed
