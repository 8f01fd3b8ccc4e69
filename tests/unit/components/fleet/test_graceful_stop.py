"""The termination lifecycle hook and the instances' one permission to end it (R20), and the drain on the Stage."""

from __future__ import annotations

from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from payment_failover.components.fleet.drain import DrainTiming
from payment_failover.components.fleet.graceful_stop import GracefulStop
from tests.helpers.support import stack_with_network
from tests.helpers.synth import SynthesizedStage


def _template(drain: int = 30) -> Template:
    stack, network = stack_with_network()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    group = autoscaling.AutoScalingGroup(
        stack,
        "Group",
        vpc=network.vpc,
        instance_type=ec2.InstanceType("t3.small"),
        machine_image=ec2.MachineImage.generic_linux({"eu-central-1": "ami-0123456789abcdef0"}),
        role=role,
    )
    GracefulStop(
        stack,
        "GracefulStop",
        auto_scaling_group=group,
        group_name="fleet",
        auto_scaling_group_arn=group.auto_scaling_group_arn,
        instance_role=role,
        drain=DrainTiming(drain_seconds=drain),
    )
    return Template.from_stack(stack)


def test_a_terminating_instance_waits_for_its_drain_and_then_continues() -> None:
    """Terminating:Wait follows deregistration (lifecycle-hooks-overview page); CONTINUE once the timeout runs out
    (completing-lifecycle-hooks page)."""
    _template(drain=45).has_resource_properties(
        "AWS::AutoScaling::LifecycleHook",
        {
            "LifecycleHookName": "fleet-drain",
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
            "DefaultResult": "CONTINUE",
            "HeartbeatTimeout": DrainTiming(drain_seconds=45).hook_timeout_seconds,
        },
    )


def test_the_instances_may_complete_the_lifecycle_action_of_their_own_group_only() -> None:
    _template().has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "CompleteOwnTerminationHook",
                            "Action": "autoscaling:CompleteLifecycleAction",
                            "Effect": "Allow",
                            "Resource": Match.any_value(),
                        }
                    ]
                )
            }
        },
    )


def test_the_stage_drains_for_the_same_time_at_the_load_balancer_and_at_the_hook(
    default_stage: SynthesizedStage,
) -> None:
    template = default_stage.service
    drain = DrainTiming(drain_seconds=30)
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "TargetGroupAttributes": Match.array_with(
                [{"Key": "deregistration_delay.timeout_seconds", "Value": str(drain.deregistration_delay_seconds)}]
            )
        },
    )
    template.has_resource_properties(
        "AWS::AutoScaling::LifecycleHook", {"HeartbeatTimeout": drain.hook_timeout_seconds}
    )


def test_the_stage_reaches_the_auto_scaling_api_through_a_vpc_endpoint(default_stage: SynthesizedStage) -> None:
    default_stage.service.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {"ServiceName": "com.amazonaws.eu-central-1.autoscaling", "VpcEndpointType": "Interface"},
    )
