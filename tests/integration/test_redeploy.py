"""R13: a changed setting redeploys as an in-place update; the network, ALB and ASG are never replaced."""

from __future__ import annotations

import pytest

from tests.integration.lookups import auto_scaling_group, stack_resources
from tests.integration.rehearsal import UPDATED_SETTINGS, Deployment, stack_outputs

pytestmark = pytest.mark.integration

NEVER_REPLACED = (
    "AWS::EC2::VPC",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::AutoScaling::AutoScalingGroup",
)


def _physical_ids(deployment: Deployment) -> dict[str, str]:
    return {
        summary["LogicalResourceId"]: summary["PhysicalResourceId"]
        for summary in stack_resources(deployment, deployment.names.service_stack)
        if summary["ResourceType"] in NEVER_REPLACED
    }


def test_r13_redeploy_with_max_capacity_7_updates_the_group_in_place(deployment: Deployment) -> None:
    if deployment.rehearsal is None:
        pytest.skip("the aws target checks existing stacks and never deploys")
    before = _physical_ids(deployment)
    assert len(before) == len(NEVER_REPLACED)
    deployment.rehearsal.deploy("updated")
    try:
        after = _physical_ids(deployment)
        updated_max = auto_scaling_group(deployment)["MaxSize"]
        outputs = stack_outputs(deployment.client("cloudformation"), deployment.names.service_stack)
    finally:
        deployment.rehearsal.deploy("initial")  # the other tests expect the Stage as first deployed
    assert after == before
    assert updated_max == int(UPDATED_SETTINGS["maxCapacity"])
    assert outputs == deployment.service
    assert auto_scaling_group(deployment)["MaxSize"] == deployment.settings.max_capacity
