"""R5, R6: balanced ASG over the private subnets, replaced on ELB health, hardened launch template."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from payment_failover.components.fleet import compute
from payment_failover.components.fleet.compute import CPU_CEILING_PERCENT, Compute, prescaled_cpu_target
from payment_failover.components.fleet.drain import DrainTiming
from payment_failover.components.fleet.rollout import RolloutTiming
from tests.helpers.support import installed_files, single, stack_with_network, user_data_script
from tests.helpers.synth import SynthesizedStage

# 30 s checks, 2 to be healthy: the instance must hold /health for 60 s, then the ALB may need 60 s more to call it
# healthy; PauseTime = 120 + (60 + 60 + 60) + 60 s.
IMAGE_ID = "ami-0123456789abcdef0"
SIGNAL_STATEMENT = {"Action": "cloudformation:SignalResource", "Effect": "Allow", "Resource": {"Ref": "AWS::StackId"}}
ROLLOUT = RolloutTiming(health_check_interval_seconds=30, healthy_threshold=2)
TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/payment/0123456789abcdef"
TARGET_HEALTH_STATEMENT = {
    "Sid": "ReadTargetHealth",
    "Action": "elasticloadbalancing:DescribeTargetHealth",
    "Effect": "Allow",
    "Resource": "*",
}
LAUNCH_HOOKS_STATEMENT = {
    "Sid": "ReadLaunchHooks",
    "Action": "autoscaling:DescribeLifecycleHooks",
    "Effect": "Allow",
    "Resource": "*",
}
CODEDEPLOY_AGENT_STATEMENT = {
    "Sid": "CodeDeployAgent",
    "Action": [
        "codedeploy-commands-secure:GetDeploymentSpecification",
        "codedeploy-commands-secure:PollHostCommand",
        "codedeploy-commands-secure:PutHostCommandAcknowledgement",
        "codedeploy-commands-secure:PutHostCommandComplete",
    ],
    "Effect": "Allow",
    "Resource": "*",
}
AGENT_CONFIG = '{"logs": {"logs_collected": {"files": {"collect_list": [{"file_path": "/var/log/secure"}]}}}}'


def _template(
    instance_type: str = "t3.small",
    *,
    min_capacity: int = 6,
    max_capacity: int = 9,
    additional: tuple[str, ...] = (),
) -> Template:
    stack, network = stack_with_network()
    Compute(
        stack,
        "Compute",
        vpc=network.vpc,
        subnets=network.private_subnets,
        instance_type=instance_type,
        additional_instance_types=additional,
        image_id=IMAGE_ID,
        min_capacity=min_capacity,
        max_capacity=max_capacity,
        service_port=8080,
        name="payment-failover-test",
        notifications_topic=sns.Topic(stack, "Events"),
        rollout=ROLLOUT,
        agent_config=AGENT_CONFIG,
        drain=DrainTiming(drain_seconds=30),
        target_group_arn=TARGET_GROUP_ARN,
    )
    return Template.from_stack(stack)


def _group(template: Template) -> tuple[str, dict]:
    ((logical_id, resource),) = template.find_resources("AWS::AutoScaling::AutoScalingGroup").items()
    return logical_id, resource


@pytest.fixture(scope="module")
def template() -> Template:
    return _template()


@pytest.fixture(scope="module")
def launch_data(template: Template) -> dict:
    return single(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]


def test_r5_asg_runs_6_to_9_instances_in_the_three_private_subnets(template: Template) -> None:
    asg = single(template, "AWS::AutoScaling::AutoScalingGroup")
    assert (asg["MinSize"], asg["MaxSize"]) == ("6", "9")
    private = template.find_resources(
        "AWS::EC2::Subnet",
        {"Properties": {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-name", "Value": "private"}])}},
    )
    assert sorted(ref["Ref"] for ref in asg["VPCZoneIdentifier"]) == sorted(private)


def test_r5_desired_capacity_is_left_to_min_size_so_deploys_never_shrink_a_scaled_out_group(
    template: Template,
) -> None:
    """CloudFormation creates the group at MinSize (2 per AZ); pinning DesiredCapacity would reset scale-out."""
    assert "DesiredCapacity" not in single(template, "AWS::AutoScaling::AutoScalingGroup")


def test_r5_elb_health_checks_with_300_second_grace(template: Template) -> None:
    template.has_resource_properties(
        "AWS::AutoScaling::AutoScalingGroup", {"HealthCheckType": "ELB", "HealthCheckGracePeriod": 300}
    )


def test_r5_capacity_is_kept_balanced_across_azs(template: Template) -> None:
    asg = template.find_resources("AWS::AutoScaling::AutoScalingGroup")
    (resource,) = asg.values()
    assert resource["Properties"]["AvailabilityZoneDistribution"] == {
        "CapacityDistributionStrategy": "balanced-best-effort"
    }


def test_r5_failover_stays_on_during_a_rolling_deployment(template: Template) -> None:
    """Health checks, replacement and AZ rebalancing are never suspended by an update."""
    (resource,) = template.find_resources("AWS::AutoScaling::AutoScalingGroup").values()
    rolling = resource["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert not {"HealthCheck", "ReplaceUnhealthy", "AZRebalance"} & set(rolling["SuspendProcesses"])
    assert rolling["MinInstancesInService"] == 6


def test_r5_r17_a_scaling_policy_tracks_cpu_prescaled_for_an_az_loss(template: Template) -> None:
    """40 % over three AZs is 60 % over the two that remain: static stability, no scaling on demand needed."""
    template.has_resource_properties(
        "AWS::AutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                "TargetValue": 40,
            },
        },
    )


@pytest.mark.parametrize(("zones", "target"), [(3, 40), (2, 30), (4, 45)])
def test_r17_prescaled_target_leaves_the_ceiling_for_the_remaining_zones(zones: int, target: int) -> None:
    assert prescaled_cpu_target(zones) == target
    assert target * zones / (zones - 1) <= CPU_CEILING_PERCENT


def test_r17_a_single_az_cannot_be_prescaled_for_its_own_loss() -> None:
    with pytest.raises(ValueError, match="at least 2 AZs"):
        prescaled_cpu_target(1)


def test_r6_r16_t3_small_on_the_pinned_image_given_as_a_fixed_id(template: Template, launch_data: dict) -> None:
    """Failure 10: the image id is a literal, not a parameter CloudFormation re-resolves at every deploy."""
    assert launch_data["InstanceType"] == "t3.small"
    assert launch_data["ImageId"] == IMAGE_ID
    assert "Parameters" not in template.to_json() or not any(
        "Image" in str(p["Type"]) for p in template.to_json()["Parameters"].values()
    )


def test_r6_imdsv2_required(launch_data: dict) -> None:
    assert launch_data["MetadataOptions"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 1}


def test_r6_encrypted_gp3_root_volume(launch_data: dict) -> None:
    assert launch_data["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {"Encrypted": True, "VolumeType": "gp3", "VolumeSize": 8, "DeleteOnTermination": True},
        }
    ]


SESSION_MANAGER_STATEMENT = {
    "Sid": "SessionManagerAgentOnly",
    "Action": [
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ],
    "Effect": "Allow",
    "Resource": "*",
}


def test_r6_r22_no_ssh_key_and_only_aws_minimal_session_manager_instance_policy(
    template: Template, launch_data: dict
) -> None:
    """AWS's minimal Session Manager instance policy ("Create a custom IAM role for Session Manager"), and no
    AmazonSSMManagedInstanceCore, whose ssm:GetParameter(s) on * would read every parameter of the account."""
    assert "KeyName" not in launch_data
    roles = template.find_resources(
        "AWS::IAM::Role",
        {"Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "ec2.amazonaws.com"}}]}}},
    )
    ((role_id, resource),) = roles.items()
    role = resource["Properties"]
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in role
    attached = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    (statements,) = attached
    assert SESSION_MANAGER_STATEMENT in statements
    assert SIGNAL_STATEMENT in statements
    assert "ssm:GetParameter" not in json.dumps(template.to_json())
    # R20: the CodeDeploy agent's host commands and its installer are the only other grants of the construct (the
    # revisions' read is the delivery's, tests/unit/components/delivery).
    others = [s for s in statements if s not in (SIGNAL_STATEMENT, SESSION_MANAGER_STATEMENT)]
    assert CODEDEPLOY_AGENT_STATEMENT in others
    assert [(s["Sid"], s["Action"]) for s in others if s != CODEDEPLOY_AGENT_STATEMENT] == [
        ("CodeDeployAgentInstaller", "s3:GetObject")
    ]


def test_r20_user_data_gives_the_service_its_port_and_drain_time_but_not_its_code(launch_data: dict) -> None:
    """The service is CodeDeploy's to install (components/delivery): no code, no unit in the user data; only what
    the tier decides, in an environment file and a systemd drop-in for the unit the revision brings."""
    script = user_data_script(launch_data)
    assert "health_service.py" not in script
    assert f"/etc/systemd/system/{compute.UNIT_NAME}\n" not in script
    assert f"cat > {compute.TIER_ENV_PATH} <<'PAYMENT_FAILOVER_EOF'\nHEALTH_PORT=8080\nSERVICE_DRAIN_SECONDS=30\n" in (
        script
    )
    drop_in = script[script.index(f"cat > /etc/systemd/system/{compute.UNIT_NAME}.d/tier.conf") :]
    assert f"EnvironmentFile={compute.TIER_ENV_PATH}\n" in drop_in
    # R20: the service drains for drainSeconds after SIGTERM; systemd kills it only 5 s after that.
    assert "TimeoutStopSec=35\n" in drop_in
    assert script.startswith("#!/bin/bash")


def test_r20_user_data_installs_the_codedeploy_agent_for_its_vpc_endpoint_inside_the_error_trap(
    launch_data: dict,
) -> None:
    """The 2.x installer from the region's resource kit bucket (through the S3 gateway endpoint), then
    `:enable_auth_policy: true`, which the CodeDeploy VPC endpoint page asks for; a failed install signals failure."""
    script = user_data_script(launch_data)
    fetch = script.index(
        "aws s3 cp --only-show-errors --region <Ref:AWS::Region> s3://aws-codedeploy-<Ref:AWS::Region>/latestv2/install"
    )
    install = script.index("/tmp/codedeploy-install auto\n")
    policy = script.index(f">> {compute.CODEDEPLOY_AGENT_CONFIG}")
    assert ":enable_auth_policy: true" in script[policy - 60 : policy]
    running = script.index("systemctl is-active --quiet codedeploy-agent")
    assert script.index("--failed' ERR") < fetch < install < policy < running < script.index("trap - ERR")


def test_r20_the_agent_setting_is_appended_as_a_line_of_its_own(launch_data: dict, tmp_path: Path) -> None:
    """The printf of the user data, run by bash against a copy of the installer's configuration file."""
    script = user_data_script(launch_data)
    (line,) = [line for line in script.splitlines() if line.endswith(f">> {compute.CODEDEPLOY_AGENT_CONFIG}")]
    config = tmp_path / "codedeployagent.yml"
    config.write_text("---\n:log_aws_wire: false")  # the installer's file may end without a newline
    subprocess.run(["bash", "-c", line.replace(compute.CODEDEPLOY_AGENT_CONFIG, str(config))], check=True)
    assert config.read_text().splitlines() == ["---", ":log_aws_wire: false", ":enable_auth_policy: true"]


def test_r7_instances_accept_traffic_from_nothing_by_themselves(template: Template) -> None:
    """The only ingress comes from wiring to the ALB (tested on the Stage)."""
    sg = template.find_resources(
        "AWS::EC2::SecurityGroup", {"Properties": {"GroupDescription": Match.string_like_regexp("Payment instances")}}
    )
    (props,) = [resource["Properties"] for resource in sg.values()]
    assert "SecurityGroupIngress" not in props
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)


def test_r9_asg_notifies_launches_terminations_and_their_failures(template: Template) -> None:
    asg = single(template, "AWS::AutoScaling::AutoScalingGroup")
    (config,) = asg["NotificationConfigurations"]
    assert set(config["NotificationTypes"]) == {
        "autoscaling:EC2_INSTANCE_LAUNCH",
        "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
        "autoscaling:EC2_INSTANCE_TERMINATE",
        "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
    }
    (topic_id,) = template.find_resources("AWS::SNS::Topic")
    assert config["TopicARN"] == {"Ref": topic_id}


def test_r8_group_metrics_are_enabled_for_the_in_service_alarm(template: Template) -> None:
    (collection,) = single(template, "AWS::AutoScaling::AutoScalingGroup")["MetricsCollection"]
    assert collection["Granularity"] == "1Minute"


def test_user_data_refuses_a_file_that_would_end_its_heredoc_early() -> None:
    with pytest.raises(ValueError, match="heredoc marker"):
        compute._write_file("/tmp/x", "a\nPAYMENT_FAILOVER_EOF\nb", mode="0644")


def test_zonal_shift_cooperation_keeps_the_impaired_azs_instances_and_launches_elsewhere(template: Template) -> None:
    asg = single(template, "AWS::AutoScaling::AutoScalingGroup")
    assert asg["AvailabilityZoneImpairmentPolicy"] == {
        "ZonalShiftEnabled": True,
        "ImpairedZoneHealthCheckBehavior": "IgnoreUnhealthy",
    }


# R16 — health-gated deployments. Behaviour cited from the CloudFormation UpdatePolicy and CreationPolicy pages:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-creationpolicy.html


def test_r16_creation_waits_for_a_success_signal_from_every_instance_of_the_minimum(template: Template) -> None:
    _, group = _group(template)
    assert group["CreationPolicy"] == {
        "AutoScalingCreationPolicy": {"MinSuccessfulInstancesPercent": 100},
        "ResourceSignal": {"Count": 6, "Timeout": "PT7M"},
    }


def test_r16_rolling_update_waits_for_every_new_instances_signal_while_the_minimum_keeps_serving(
    template: Template,
) -> None:
    _, group = _group(template)
    rolling = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert {key: value for key, value in rolling.items() if key != "SuspendProcesses"} == {
        "WaitOnResourceSignals": True,
        "MinSuccessfulInstancesPercent": 100,
        "MinInstancesInService": 6,
        "MaxBatchSize": 3,
        "PauseTime": "PT7M",
    }
    assert rolling["MinInstancesInService"] < int(group["Properties"]["MaxSize"])


def test_r16_pause_time_covers_boot_the_signal_deadline_and_a_margin() -> None:
    """The deadline covers CodeDeploy's launch deployment and the service's start (120 s), the loopback settle time
    and then the ALB's HealthyThresholdCount x interval."""
    assert (ROLLOUT.settle_seconds, ROLLOUT.load_balancer_confirm_seconds) == (60, 60)
    assert ROLLOUT.signal_deadline_seconds == 120 + 60 + 60
    assert ROLLOUT.pause_seconds == 120 + 240 + 60 > ROLLOUT.time_to_healthy_seconds


def test_r16_a_batch_never_exceeds_the_room_above_the_minimum() -> None:
    _, group = _group(_template(min_capacity=6, max_capacity=7))
    assert group["UpdatePolicy"]["AutoScalingRollingUpdate"]["MaxBatchSize"] == 1


def test_r16_no_room_above_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="must exceed min_capacity"):
        _template(min_capacity=9, max_capacity=9)


def test_r16_user_data_ends_by_signalling_the_group_after_waiting_for_its_own_health(
    template: Template, launch_data: dict
) -> None:
    logical_id, _ = _group(template)
    (role_id,) = template.find_resources(
        "AWS::IAM::Role",
        {"Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "ec2.amazonaws.com"}}]}}},
    )
    lines = user_data_script(launch_data).rstrip().splitlines()
    assert lines[-1] == (
        f"{compute.SIGNAL_SCRIPT_PATH} --stack <Ref:AWS::StackName> --resource {logical_id}"
        f" --region <Ref:AWS::Region> --role <Ref:{role_id}>"
        " --url http://127.0.0.1:8080/health --deadline 240 --settle 60 --interval 5"
        f" --target-group-arn {TARGET_GROUP_ARN} --release-group payment-failover-test"
    )


def test_r16_user_data_embeds_the_tested_signal_script_and_fails_fast_on_any_earlier_error(launch_data: dict) -> None:
    script = user_data_script(launch_data)
    assert installed_files(script)[compute.SIGNAL_SCRIPT_PATH] == compute.SIGNAL_SCRIPT_FILE.read_text()
    trap = script.index("trap '/opt/payment-failover/signal_when_healthy.sh --stack")
    assert "--failed' ERR" in script[trap : script.index("\n", trap)]
    assert (
        script.index("set -euo pipefail") < trap < script.index("systemctl enable --now") < script.index("trap - ERR")
    )


def test_r19_logs_are_shipped_before_the_health_service_starts_and_a_shipping_failure_fails_the_instance(
    launch_data: dict,
) -> None:
    """The tested runtime/ship_logs.sh and the agent configuration are embedded; they run inside the ERR trap
    (a failure signals failure) and before the CodeDeploy agent can install the service, so its first lines
    already leave the instance."""
    script = user_data_script(launch_data)
    assert installed_files(script)[compute.SHIP_LOGS_PATH] == compute.SHIP_LOGS_FILE.read_text()
    assert f"cat > {compute.AGENT_CONFIG_PATH} <<'PAYMENT_FAILOVER_EOF'\n{AGENT_CONFIG}\n" in script
    run = script.index(f"\n{compute.SHIP_LOGS_PATH} --agent-config {compute.AGENT_CONFIG_PATH}\n")
    assert script.index("--failed' ERR") < run < script.index("/tmp/codedeploy-install auto")


def test_r16_the_instance_role_may_signal_only_its_own_stack(template: Template) -> None:
    """cfn-signal needs no credentials (CloudFormation then checks stack membership, cfn-signal page); the one
    statement CDK adds for signals lets the instances signal their own stack and nothing else."""
    statements = [
        p["Properties"]["PolicyDocument"]["Statement"] for p in template.find_resources("AWS::IAM::Policy").values()
    ]
    signals = [s for policy in statements for s in policy if "cloudformation" in str(s)]
    assert signals == [SIGNAL_STATEMENT]


def test_r20_the_deploy_gates_two_reads_sit_alone_in_a_policy_of_their_own(template: Template) -> None:
    """The Service Authorization Reference lists no resource type for DescribeTargetHealth or
    DescribeLifecycleHooks, so "*" is their only Resource; the statements sit alone in one customer-managed policy
    on the instance role, which is what the IAM5 acknowledgement (governance.py) is scoped to."""
    (role_id,) = template.find_resources(
        "AWS::IAM::Role",
        {"Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "ec2.amazonaws.com"}}]}}},
    )
    policies = template.find_resources("AWS::IAM::ManagedPolicy")
    ((policy_id, policy),) = policies.items()
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [TARGET_HEALTH_STATEMENT, LAUNCH_HOOKS_STATEMENT]
    inline = [str(p["Properties"]["PolicyDocument"]) for p in template.find_resources("AWS::IAM::Policy").values()]
    assert not [document for document in inline if "elasticloadbalancing" in document]
    # Instances launch only once the permission is attached.
    assert policy_id in _group(template)[1]["DependsOn"]


def test_r5_replacements_outside_deployments_launch_before_they_terminate_within_the_ceiling(
    template: Template,
) -> None:
    """Instance maintenance policy: 100 % of desired stays healthy; 150 % of 6 is the 9-instance ceiling."""
    asg = single(template, "AWS::AutoScaling::AutoScalingGroup")
    assert asg["InstanceMaintenancePolicy"] == {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 150}


@pytest.mark.parametrize(("low", "high", "expected"), [(6, 9, 150), (6, 7, 116), (6, 12, 200), (3, 9, 200)])
def test_max_healthy_percentage_stays_within_what_auto_scaling_accepts(low: int, high: int, expected: int) -> None:
    assert compute.max_healthy_percentage(min_capacity=low, max_capacity=high) == expected


def test_r6_the_packed_files_unpack_byte_for_byte_when_the_instance_runs_them(
    launch_data: dict, tmp_path: Path
) -> None:
    """The unpack commands as written into the user data, run by bash with their target moved into tmp_path."""
    script = user_data_script(launch_data)
    packed = installed_files(script)
    assert len(packed) == 3
    for path, content in packed.items():
        start = script.index(f"| gunzip > {path}\n")
        command = script[script.rindex("\n", 0, start) + 1 : script.index("\nchmod ", start)]
        target = tmp_path / Path(path).name
        subprocess.run(["bash", "-c", command.replace(f"> {path}\n", f"> {target}\n", 1)], check=True)
        assert target.read_text() == content


@pytest.mark.parametrize("fixture", ["default_stage", "custom_stage", "standby_stage"])
def test_r6_user_data_stays_within_ec2s_16_kb_with_every_reference_at_its_longest(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """EC2 refuses user data above 16 KB before base64 encoding (instancedata-add-user-data page), and a launch
    that fails fails every deployment. Each CloudFormation reference counts as 256 characters here, longer than
    any stack, resource or log group name it can resolve to in this Stage."""
    stage = request.getfixturevalue(fixture)
    for template in stage.templates.values():
        for resource in template.find_resources("AWS::EC2::LaunchTemplate").values():
            script = re.sub(r"<Ref:[^>]+>", "x" * 256, user_data_script(resource["Properties"]["LaunchTemplateData"]))
            assert len(script.encode()) < compute.USER_DATA_LIMIT_BYTES


MIXED = ("t3a.small", "t3.medium")


def test_r22_burstable_instances_run_unlimited_explicitly(launch_data: dict) -> None:
    """RunInstances' default credit option depends on the family and the account: the template states it."""
    assert launch_data["CreditSpecification"] == {"CpuCredits": "unlimited"}


def test_r22_a_fixed_performance_type_carries_no_credit_option() -> None:
    launch = single(_template("m7g.large"), "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert "CreditSpecification" not in launch


def test_r22_one_type_launches_from_the_template_alone(template: Template) -> None:
    _, group = _group(template)
    assert "MixedInstancesPolicy" not in group["Properties"]
    assert "LaunchTemplate" in group["Properties"]


def test_r22_several_types_share_the_launch_template_and_its_pinned_image_in_priority_order() -> None:
    """AWS Config's autoscaling-multiple-instance-types: a group with one type is non-compliant."""
    template = _template(additional=MIXED)
    _, group = _group(template)
    policy = group["Properties"]["MixedInstancesPolicy"]
    assert "LaunchTemplate" not in group["Properties"]
    (launch_id,) = template.find_resources("AWS::EC2::LaunchTemplate")
    assert policy["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateId"] == {"Ref": launch_id}
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == ["t3.small", *MIXED]
    assert policy["InstancesDistribution"] == {
        "OnDemandAllocationStrategy": "prioritized",
        "OnDemandBaseCapacity": 0,
        "OnDemandPercentageAboveBaseCapacity": 100,
    }
    launch = single(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert launch["ImageId"] == IMAGE_ID


def test_r20_the_stages_user_data_gives_the_gate_its_own_target_group(default_stage: SynthesizedStage) -> None:
    """In the shipped template the signal step names the one target group the group registers its instances in."""
    template = default_stage.service
    (target_group,) = template.find_resources("AWS::ElasticLoadBalancingV2::TargetGroup")
    group = single(template, "AWS::AutoScaling::AutoScalingGroup")
    assert group["TargetGroupARNs"] == [{"Ref": target_group}]
    script = user_data_script(single(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"])
    last = script.rstrip().splitlines()[-1]
    assert last.endswith(f" --target-group-arn <Ref:{target_group}> --release-group payment-failover-dev")
