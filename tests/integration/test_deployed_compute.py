"""R4, R5, R6, R9, R12 on the deployed Auto Scaling group, its launch template and the instances it runs."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.integration.lookups import (
    auto_scaling_group,
    in_service_instances,
    launch_template_data,
    load_balancer,
    subnets,
    tag_map,
)
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration

GRACE_SECONDS = 300
ROOT_DEVICE = "/dev/xvda"
NOTIFICATIONS = {
    "autoscaling:EC2_INSTANCE_LAUNCH",
    "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE",
    "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
}


def test_r5_group_keeps_min_to_max_instances_on_elb_health_with_300s_grace(deployment: Deployment) -> None:
    group = auto_scaling_group(deployment)
    settings = deployment.settings
    assert (group["MinSize"], group["MaxSize"]) == (settings.min_capacity, settings.max_capacity)
    assert group["MinSize"] <= group["DesiredCapacity"] <= group["MaxSize"]
    assert (group["HealthCheckType"], group["HealthCheckGracePeriod"]) == ("ELB", GRACE_SECONDS)
    assert group["TargetGroupARNs"] == [deployment.service["TargetGroupArn"]]


def test_r5_group_launches_only_into_the_three_private_subnets(deployment: Deployment) -> None:
    private = {subnet["SubnetId"] for subnet in subnets(deployment, "private")}
    assert set(auto_scaling_group(deployment)["VPCZoneIdentifier"].split(",")) == private
    assert {instance["SubnetId"] for instance in in_service_instances(deployment)} <= private


def test_r5_desired_capacity_is_in_service_and_balanced_two_or_more_per_az(deployment: Deployment) -> None:
    group = auto_scaling_group(deployment)
    instances = in_service_instances(deployment)
    assert len(instances) == group["DesiredCapacity"]
    deployment.not_emulated("instance-placement")
    per_az = Counter(instance["Placement"]["AvailabilityZone"] for instance in instances)
    assert set(per_az) == set(deployment.settings.availability_zones)
    assert min(per_az.values()) >= 2
    assert max(per_az.values()) - min(per_az.values()) <= 1, per_az


def test_r5_group_balances_azs_reports_metrics_and_honours_zonal_shift(deployment: Deployment) -> None:
    deployment.not_emulated("group-balance")
    group = auto_scaling_group(deployment)
    distribution = group.get("AvailabilityZoneDistribution", {})
    assert distribution.get("CapacityDistributionStrategy") == "balanced-best-effort"
    assert group.get("AvailabilityZoneImpairmentPolicy", {}).get("ZonalShiftEnabled") is True
    assert "GroupInServiceInstances" in {metric["Metric"] for metric in group.get("EnabledMetrics", [])}


def test_r5_group_scales_out_on_cpu_within_its_bounds(deployment: Deployment) -> None:
    deployment.not_emulated("AWS::AutoScaling::ScalingPolicy")
    policies = deployment.client("autoscaling").describe_policies(
        AutoScalingGroupName=deployment.service["AutoScalingGroupName"]
    )["ScalingPolicies"]
    assert [
        (
            policy["PolicyType"],
            policy["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"],
        )
        for policy in policies
    ] == [("TargetTrackingScaling", "ASGAverageCPUUtilization")]


def test_r4_target_group_registers_exactly_the_in_service_instances_and_sees_them_healthy(
    deployment: Deployment,
) -> None:
    health = deployment.client("elbv2").describe_target_health(TargetGroupArn=deployment.service["TargetGroupArn"])
    targets = health["TargetHealthDescriptions"]
    assert {target["Target"]["Id"] for target in targets} == {i["InstanceId"] for i in in_service_instances(deployment)}
    deployment.not_emulated("target-health")
    assert {target["Target"]["Id"]: target["TargetHealth"]["State"] for target in targets} == {
        target["Target"]["Id"]: "healthy" for target in targets
    }


def test_r6_launch_template_requires_imdsv2_encrypts_a_gp3_root_and_has_no_ssh_key(deployment: Deployment) -> None:
    data = launch_template_data(deployment)
    options = data["MetadataOptions"]
    assert (options["HttpTokens"], options["HttpPutResponseHopLimit"]) == ("required", 1)
    assert options.get("HttpEndpoint", "enabled") == "enabled"
    (root,) = (mapping["Ebs"] for mapping in data["BlockDeviceMappings"] if mapping["DeviceName"] == ROOT_DEVICE)
    assert (root["Encrypted"], root["VolumeType"]) == (True, "gp3")
    assert "KeyName" not in data
    assert data["InstanceType"] == deployment.settings.instance_type
    assert data["IamInstanceProfile"]


def test_r6_r20_launch_template_boots_amazon_linux_2023_and_installs_the_codedeploy_agent(
    deployment: Deployment,
) -> None:
    """The service itself comes from CodeDeploy (R20), which the emulator does not model (UNMODELLED_RESOURCES):
    the deployed user data installs the agent and configures the service's unit, and carries no service code."""
    data = launch_template_data(deployment)
    (image,) = deployment.client("ec2").describe_images(ImageIds=[data["ImageId"]])["Images"]
    assert image["Name"].startswith("al2023-ami-"), image["Name"]
    assert "/latestv2/install /tmp/codedeploy-install" in data["UserData"]
    assert "/etc/systemd/system/payment-health.service.d/tier.conf" in data["UserData"]
    assert "health_service.py" not in data["UserData"]


def test_r16_instances_signal_the_group_of_their_own_stack_and_the_stack_received_the_signals(
    deployment: Deployment,
) -> None:
    """The signal step names the deployed stack and group; on AWS, each signal shows in the stack events.

    cfn-signal page: "For each valid signal that CloudFormation receives, it publishes the signals to the stack
    events" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-signal.html).
    """
    cloudformation = deployment.client("cloudformation")
    stack = deployment.names.service_stack
    resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    name = deployment.service["AutoScalingGroupName"]
    signalled = re.search(
        r"^/opt/payment-failover/signal_when_healthy\.sh --stack (\S+) --resource (\S+) --region \S+ --role \S+ --url",
        launch_template_data(deployment)["UserData"],
        re.MULTILINE,
    )
    assert signalled, "the user data has no signal step"
    assert signalled[2] in {r["LogicalResourceId"] for r in resources if r.get("PhysicalResourceId") == name}
    assert signalled[1] == stack
    group = signalled[2]
    deployment.not_emulated("resource-signals")
    events = cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
    assert any(
        "signal" in event.get("ResourceStatusReason", "").lower()
        for event in events
        if event["LogicalResourceId"] == group
    )


def test_r6_running_instances_come_from_the_template_and_enforce_imdsv2(deployment: Deployment) -> None:
    data = launch_template_data(deployment)
    instances = in_service_instances(deployment)
    assert instances
    assert {(i["ImageId"], i["InstanceType"]) for i in instances} == {(data["ImageId"], data["InstanceType"])}
    deployment.not_emulated("instance-metadata")
    assert {i["InstanceId"]: i["MetadataOptions"]["HttpTokens"] for i in instances} == {
        i["InstanceId"]: "required" for i in instances
    }


def test_r9_group_tells_the_failover_topic_of_launches_and_terminations(deployment: Deployment) -> None:
    deployment.not_emulated("group-notifications")
    found = deployment.client("autoscaling").describe_notification_configurations(
        AutoScalingGroupNames=[deployment.service["AutoScalingGroupName"]]
    )["NotificationConfigurations"]
    assert {(n["TopicARN"], n["NotificationType"]) for n in found} == {
        (deployment.service["FailoverTopicArn"], kind) for kind in NOTIFICATIONS
    }


def test_r12_tags_reach_the_vpc_the_group_and_every_instance_it_launches(deployment: Deployment) -> None:
    expected = deployment.settings.tag_map
    vpc = deployment.client("ec2").describe_vpcs(VpcIds=[deployment.service["VpcId"]])["Vpcs"][0]
    assert tag_map(vpc["Tags"]).items() >= expected.items()
    group_tags = auto_scaling_group(deployment)["Tags"]
    assert {t["Key"]: (t["Value"], t["PropagateAtLaunch"]) for t in group_tags if t["Key"] in expected} == {
        key: (value, True) for key, value in expected.items()
    }
    for instance in in_service_instances(deployment):
        assert tag_map(instance["Tags"]).items() >= expected.items(), instance["InstanceId"]


def test_r12_tags_reach_the_load_balancer_and_the_failover_topic(deployment: Deployment) -> None:
    deployment.not_emulated("resource-tags")
    expected = deployment.settings.tag_map
    alb = load_balancer(deployment)["LoadBalancerArn"]
    (described,) = deployment.client("elbv2").describe_tags(ResourceArns=[alb])["TagDescriptions"]
    assert tag_map(described["Tags"]).items() >= expected.items()
    topic_tags = deployment.client("sns").list_tags_for_resource(ResourceArn=deployment.service["FailoverTopicArn"])
    assert tag_map(topic_tags["Tags"]).items() >= expected.items()
