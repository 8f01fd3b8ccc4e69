"""R20: zonal releases in the shipped templates — the deployment group, its zonal configuration and bakes, the alarms
that stop it and the automatic rollback, the custom resource that holds the stack until a release is out, and what
the instances may read.

CodeDeploy pages behind the assertions: ZonalConfig (one AZ at a time, first-zone and per-zone monitor durations,
minimum healthy hosts per zone: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ZonalConfig.html);
AlarmConfiguration (at most 10 alarms:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-codedeploy-deploymentgroup-alarmconfiguration.html);
the Auto Scaling integration (new instances get the group's last successful revision:
https://docs.aws.amazon.com/codedeploy/latest/userguide/integrations-aws-auto-scaling.html).
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from tests.helpers.support import single
from tests.helpers.synth import SynthesizedStage


def _only(template: Template, type_: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = template.find_resources(type_).items()
    return logical_id, resource


def test_r20_one_az_at_a_time_with_a_longer_first_bake_and_one_instance_per_az_out_at_a_time(
    default_stage: SynthesizedStage,
) -> None:
    config = single(default_stage.service, "AWS::CodeDeploy::DeploymentConfig")
    # No fixed name: a change of the bakes replaces the configuration, under a name CloudFormation generates.
    assert config == {
        # Two per AZ at the minimum: one of them keeps serving in the AZ being deployed, the other AZs serve whole.
        "MinimumHealthyHosts": {"Type": "HOST_COUNT", "Value": 4},
        "ZonalConfig": {
            "FirstZoneMonitorDurationInSeconds": 600,
            "MonitorDurationInSeconds": 300,
            "MinimumHealthyHostsPerZone": {"Type": "HOST_COUNT", "Value": 1},
        },
    }


def test_r20_the_group_deploys_in_place_behind_the_load_balancer_to_the_auto_scaling_group(
    default_stage: SynthesizedStage,
) -> None:
    """Traffic control: each instance leaves the target group (and drains) before it changes, and rejoins after its
    ValidateService hook and the health check; naming the ASG makes CodeDeploy put its launch hook on it."""
    template = default_stage.service
    group = single(template, "AWS::CodeDeploy::DeploymentGroup")
    (asg,) = template.find_resources("AWS::AutoScaling::AutoScalingGroup")
    (target_group,) = template.find_resources("AWS::ElasticLoadBalancingV2::TargetGroup")
    (config,) = template.find_resources("AWS::CodeDeploy::DeploymentConfig")
    assert group["AutoScalingGroups"] == [{"Ref": asg}]
    assert group["DeploymentStyle"] == {"DeploymentOption": "WITH_TRAFFIC_CONTROL"}  # IN_PLACE is the default type
    assert group["LoadBalancerInfo"] == {
        "TargetGroupInfoList": [{"Name": {"Fn::GetAtt": [target_group, "TargetGroupName"]}}]
    }
    assert group["DeploymentConfigName"] == {"Ref": config}
    # Instances launched during a release get it by a follow-up deployment, not a mixed fleet.
    assert group["OutdatedInstancesStrategy"] == "UPDATE"
    assert group["DeploymentGroupName"] == "payment-failover-dev"


def test_r20_clients_errors_latency_each_azs_errors_and_the_probes_stop_a_release_and_roll_it_back(
    default_stage: SynthesizedStage,
) -> None:
    template = default_stage.service
    group = single(template, "AWS::CodeDeploy::DeploymentGroup")
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    named = [alarm["Name"]["Ref"] for alarm in group["AlarmConfiguration"]["Alarms"]]
    assert len(named) == len(set(named)) == 10  # CodeDeploy's maximum
    names = sorted(alarms[logical_id]["Properties"]["AlarmName"] for logical_id in named)
    zones = default_stage.settings.availability_zones
    assert names == sorted(
        [
            "payment-failover-dev-Alb5xxRate",
            "payment-failover-dev-Target5xxRate",
            "payment-failover-dev-LatencyP99",
            *(f"payment-failover-dev-AzErrorOutlier-{az}" for az in zones),
            # The probes fail with no client traffic at all: the region's own name, and each AZ's node.
            *(f"payment-failover-dev-ProbeZoneFailing-{az}" for az in zones),
            "payment-failover-dev-ProbeRegionFailing",
        ]
    )
    assert group["AlarmConfiguration"]["Enabled"] is True
    # An alarm state CodeDeploy cannot read stops the release rather than letting it proceed blind.
    assert group["AlarmConfiguration"]["IgnorePollAlarmFailure"] is False
    assert group["AutoRollbackConfiguration"] == {
        "Enabled": True,
        "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"],
    }


def test_r20_the_stack_waits_for_the_release_after_the_auto_scaling_group_within_cloudformations_hour(
    default_stage: SynthesizedStage,
) -> None:
    """The release runs after any rolling update of the same deploy (DependsOn the group), and its custom resource
    may take CloudFormation's longest wait, 3600 s (ServiceTimeout)."""
    template = default_stage.service
    _, resource = _only(template, "Custom::ZonalRelease")
    (asg,) = template.find_resources("AWS::AutoScaling::AutoScalingGroup")
    (group,) = template.find_resources("AWS::CodeDeploy::DeploymentGroup")
    (application,) = template.find_resources("AWS::CodeDeploy::Application")
    assert {asg, group} <= set(resource["DependsOn"])
    props = resource["Properties"]
    assert props["ServiceTimeout"] == "3600"
    assert props["ApplicationName"] == {"Ref": application}
    assert props["DeploymentGroupName"] == {"Ref": group}
    assert props["FirstReleaseConfig"] == "CodeDeployDefault.AllAtOnce"
    assert props["Bucket"] == "cdk-hnb659fds-assets-123456789012-eu-central-1"
    assert props["Key"].endswith(".zip")
    assert default_stage.settings.release_timing.release_seconds <= 3600 - 120


def test_r20_the_release_handlers_may_use_this_group_and_its_two_configurations_only(
    default_stage: SynthesizedStage,
) -> None:
    template = default_stage.service
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for logical_id, p in template.find_resources("AWS::IAM::Policy").items()
        if logical_id.startswith(("ReleaseReleaseStart", "ReleaseReleaseCheck"))
    ]
    assert len(policies) == 2
    for (statement,) in policies:
        assert statement["Sid"] == "ReleaseThroughThisGroupOnly"
        resources = json.dumps(statement["Resource"])
        assert '"*"' not in resources
        assert "deploymentgroup:" in resources
        assert "deploymentconfig:CodeDeployDefault.AllAtOnce" in resources
        assert all(action.startswith("codedeploy:") for action in statement["Action"])


def test_r20_the_instances_read_the_revisions_of_the_asset_bucket_and_nothing_else_of_it(
    default_stage: SynthesizedStage,
) -> None:
    """The agent copies each revision with the instance role, through the S3 gateway endpoint; a rollback and a
    launch-hook deployment read older ones, so it is every zip of the bucket, not only today's object."""
    template = default_stage.service
    revisions = "arn:aws:s3:::cdk-hnb659fds-assets-123456789012-eu-central-1/*.zip"
    instance_policies = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "ReadServiceRevisions"
    ]
    assert instance_policies == [
        {"Sid": "ReadServiceRevisions", "Action": "s3:GetObject", "Effect": "Allow", "Resource": revisions}
    ]
    (gateway,) = template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Gateway"}}
    ).values()
    statements = {s["Sid"]: s for s in gateway["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["ReadTheServiceRevisionsOnly"]["Resource"] == revisions
    assert statements["ReadTheServiceRevisionsOnly"]["Action"] == "s3:GetObject"


def test_r20_the_standby_is_released_only_after_the_primary(standby_stage: SynthesizedStage) -> None:
    """Each region's stack holds until its release is out; the standby's stack depends on the primary's, so
    `cdk deploy` and the pipeline start the standby only once the primary has baked."""
    assert standby_stage.standby.find_resources("Custom::ZonalRelease")
    assert standby_stage.service.find_resources("Custom::ZonalRelease")
    stage = standby_stage.stage
    assert stage.standby is not None
    assert stage.service in stage.standby.dependencies


def test_r20_the_release_timing_counts_the_target_groups_own_healthy_threshold() -> None:
    from payment_failover.components.edge.load_balancer import HealthCheckTiming
    from payment_failover.config.settings import HEALTHY_THRESHOLD

    assert HealthCheckTiming(interval_seconds=30).healthy_threshold == HEALTHY_THRESHOLD
