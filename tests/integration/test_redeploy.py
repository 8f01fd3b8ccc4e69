"""R13, R18: changed settings redeploy; the network, ALB and ASG are never replaced, and a replaced Route 53
check (failure 12) deploys in the global stack with the records following it."""

from __future__ import annotations

import pytest

from tests.integration.lookups import auto_scaling_group, stack_resources
from tests.integration.rehearsal import DNS_REGION, UPDATED_SETTINGS, Deployment, stack_outputs

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


def _check_interval(deployment: Deployment, check_id: str) -> int:
    found = deployment.client("route53").get_health_check(HealthCheckId=check_id)["HealthCheck"]
    return int(found["HealthCheckConfig"]["RequestInterval"])


def test_r13_redeploy_with_max_capacity_7_and_a_30_s_dns_interval(deployment: Deployment) -> None:
    if deployment.rehearsal is None:
        pytest.skip("the aws target checks existing stacks and never deploys")
    before = _physical_ids(deployment)
    assert len(before) == len(NEVER_REPLACED)
    deployment.rehearsal.deploy("updated")
    try:
        after = _physical_ids(deployment)
        updated_max = auto_scaling_group(deployment)["MaxSize"]
        outputs = stack_outputs(deployment.client("cloudformation"), deployment.names.service_stack)
        # stack_outputs raises unless the global stack's update completed.
        dns = stack_outputs(deployment.client("cloudformation", DNS_REGION), deployment.names.global_dns_stack)
        assert "PrimaryHealthCheckId" in dns, dns
        interval = _check_interval(deployment, dns["PrimaryHealthCheckId"])
    finally:
        deployment.rehearsal.deploy("initial")  # the other tests expect the Stage as first deployed
        deployment.read_outputs()  # the checks were replaced twice: new ids
    assert after == before
    assert updated_max == int(UPDATED_SETTINGS["maxCapacity"])
    assert outputs == deployment.service
    assert auto_scaling_group(deployment)["MaxSize"] == deployment.settings.max_capacity
    assert interval == int(UPDATED_SETTINGS["dnsHealthCheckIntervalSeconds"])
    assert dns["PrimaryHealthCheckId"] != deployment.dns["PrimaryHealthCheckId"], "RequestInterval replaces a check"
    restored = _check_interval(deployment, deployment.dns["PrimaryHealthCheckId"])
    assert restored == deployment.settings.dns_health_check_interval_seconds
