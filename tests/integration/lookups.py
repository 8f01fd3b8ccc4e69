"""Reading the live resources of a deployment: small helpers over boto3's answers, shared by the tests."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from tests.integration.rehearsal import DNS_REGION, Deployment

# The subnet group's name, which CDK writes whatever the group's type (public, isolated or with egress).
SUBNET_GROUP_TAG = "aws-cdk:subnet-name"


def tag_map(tags: Iterable[dict[str, Any]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


def subnets(deployment: Deployment, group: str) -> list[dict[str, Any]]:
    """The VPC's subnets of one subnet group ('public' or 'private')."""
    found = deployment.client("ec2").describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [deployment.service["VpcId"]]}]
    )["Subnets"]
    return [subnet for subnet in found if tag_map(subnet.get("Tags", [])).get(SUBNET_GROUP_TAG) == group]


def load_balancer(deployment: Deployment) -> dict[str, Any]:
    arn = deployment.service["LoadBalancerArn"]
    return dict(deployment.client("elbv2").describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0])


def target_group(deployment: Deployment) -> dict[str, Any]:
    arn = deployment.service["TargetGroupArn"]
    return dict(deployment.client("elbv2").describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0])


def listeners_by_port(deployment: Deployment) -> dict[int, dict[str, Any]]:
    arn = deployment.service["LoadBalancerArn"]
    found = deployment.client("elbv2").describe_listeners(LoadBalancerArn=arn)["Listeners"]
    return {listener["Port"]: listener for listener in found}


def security_group(deployment: Deployment, group_id: str) -> dict[str, Any]:
    return dict(deployment.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0])


def auto_scaling_group(deployment: Deployment) -> dict[str, Any]:
    name = deployment.service["AutoScalingGroupName"]
    found = deployment.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return dict(found["AutoScalingGroups"][0])


def in_service_instances(deployment: Deployment) -> list[dict[str, Any]]:
    """EC2's view of the group's in-service instances."""
    group = auto_scaling_group(deployment)
    ids = [i["InstanceId"] for i in group["Instances"] if i["LifecycleState"] == "InService"]
    if not ids:
        return []
    reservations = deployment.client("ec2").describe_instances(InstanceIds=ids)["Reservations"]
    return [instance for reservation in reservations for instance in reservation["Instances"]]


def launch_template_data(deployment: Deployment) -> dict[str, Any]:
    """The launch template version the group launches, with its user data decoded."""
    group = auto_scaling_group(deployment)
    # With several instance types the group names its launch template inside its mixed instances policy.
    template = (
        group.get("LaunchTemplate") or group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]
    )
    versions = deployment.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=template["LaunchTemplateId"], Versions=[template["Version"]]
    )["LaunchTemplateVersions"]
    data = dict(versions[0]["LaunchTemplateData"])
    data["UserData"] = base64.b64decode(data.get("UserData", "")).decode()
    return data


def metric_alarms(deployment: Deployment, region: str | None = None) -> list[dict[str, Any]]:
    paginator = deployment.client("cloudwatch", region).get_paginator("describe_alarms")
    prefix = deployment.names.alarm_prefix
    return [alarm for page in paginator.paginate(AlarmNamePrefix=prefix) for alarm in page["MetricAlarms"]]


def alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric name, dimensions) of every metric an alarm reads, plain or inside metric math."""
    found = []
    if alarm.get("MetricName"):
        found.append((alarm["Namespace"], alarm["MetricName"], _dimensions(alarm.get("Dimensions", []))))
    for query in alarm.get("Metrics", []):
        metric = query.get("MetricStat", {}).get("Metric")
        if metric:
            found.append((metric["Namespace"], metric["MetricName"], _dimensions(metric.get("Dimensions", []))))
    return found


def _dimensions(dimensions: Iterable[dict[str, str]]) -> dict[str, str]:
    return {dimension["Name"]: dimension["Value"] for dimension in dimensions}


def stack_template(deployment: Deployment, stack: str, region: str | None = None) -> dict[str, Any]:
    return dict(deployment.client("cloudformation", region).get_template(StackName=stack)["TemplateBody"])


def stack_resources(deployment: Deployment, stack: str, region: str | None = None) -> list[dict[str, Any]]:
    paginator = deployment.client("cloudformation", region).get_paginator("list_stack_resources")
    return [summary for page in paginator.paginate(StackName=stack) for summary in page["StackResourceSummaries"]]


def stacks(deployment: Deployment) -> list[tuple[str, str]]:
    """(stack name, region) of every stack of the Stage: each region's service stack, then the global DNS stack."""
    names = deployment.names
    found = [(names.service_stack, deployment.settings.region)]
    if deployment.settings.standby is not None:
        found.append((names.for_standby().service_stack, deployment.settings.standby.region))
    return [*found, (names.global_dns_stack, DNS_REGION)]
