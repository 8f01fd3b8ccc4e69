"""Region by region (R20): with a standby, the primary deploys first, then the standby, then the global DNS stack.

A Stage's stacks "will be deployed in dependency order" in CDK Pipelines
(https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.pipelines.StageDeployment.html), which writes that order
as CodePipeline RunOrder: "RunOrder determines the relative order in which multiple Actions in the same Stage
execute" (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_codepipeline.CommonActionProps.html).
`cdk deploy` of several stacks follows the same dependencies from the cloud assembly, so `make deploy` keeps the
order too.
"""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template

from payment_failover.pipeline.stack import PIPELINE_STACK_NAME, PipelineStack
from tests.helpers.pipeline_context import PIPELINE_CONTEXT, pipeline_settings
from tests.helpers.synth import SynthesizedStage, project_app


def _run_orders(stage: dict[str, Any], stack_name: str) -> list[int]:
    return [action["RunOrder"] for action in stage["Actions"] if action["Name"].startswith(f"{stack_name}.")]


def test_r20_the_standby_stack_depends_on_the_primary_so_make_deploy_deploys_it_second(
    standby_stage: SynthesizedStage,
) -> None:
    stage = standby_stage.stage
    assert stage.standby is not None
    assert stage.service in stage.standby.dependencies
    assert {stage.service, stage.standby} <= set(stage.global_dns.dependencies)


def test_r20_with_a_standby_the_pipeline_deploys_primary_then_standby_then_global_dns() -> None:
    settings = pipeline_settings({**PIPELINE_CONTEXT, "standbyRegion": "eu-west-1"})
    template = Template.from_stack(PipelineStack(project_app(), PIPELINE_STACK_NAME, settings=settings))
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    (production,) = [stage for stage in pipeline["Properties"]["Stages"] if stage["Name"] == "Production"]
    primary = _run_orders(production, "payment-failover-prod")
    standby = _run_orders(production, "payment-failover-prod-standby")
    global_dns = _run_orders(production, "payment-failover-prod-global-dns")
    assert primary
    assert standby
    assert global_dns
    assert max(primary) < min(standby), "the standby starts only once the primary has deployed"
    assert max(standby) < min(global_dns), "the records come last, once both regions answer"
