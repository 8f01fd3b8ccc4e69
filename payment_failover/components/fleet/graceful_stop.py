"""Graceful stop (R20): a termination lifecycle hook that holds a leaving instance until its service has drained.

Auto Scaling deregisters a terminating instance from the load balancer, waits out the deregistration delay, then
puts it in ``Terminating:Wait`` for this hook
(https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html). The instance notices the
``Terminated`` target state in its metadata, stops the service with SIGTERM and completes the action itself
(runtime/drain_on_terminate.sh); the hook's timeout, derived from `drainSeconds` (drain.py), ends the wait with
CONTINUE when it cannot (https://docs.aws.amazon.com/autoscaling/ec2/userguide/completing-lifecycle-hooks.html).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_iam as iam
from constructs import Construct

from payment_failover.components.fleet.drain import DrainTiming


def drain_hook_name(group_name: str) -> str:
    """The hook's name, which the instances also need to complete the action."""
    return f"{group_name}-drain"


class GracefulStop(Construct):
    """The termination hook on the group, and the one permission the instances need to end it early."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        auto_scaling_group: autoscaling.AutoScalingGroup,
        group_name: str,
        auto_scaling_group_arn: str,
        instance_role: iam.IRole,
        drain: DrainTiming,
    ) -> None:
        super().__init__(scope, id_)
        self.group_name = group_name
        self.hook = autoscaling.LifecycleHook(
            self,
            "TerminationHook",
            auto_scaling_group=auto_scaling_group,
            lifecycle_hook_name=drain_hook_name(group_name),
            lifecycle_transition=autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
            heartbeat_timeout=Duration.seconds(drain.hook_timeout_seconds),
            # Termination goes ahead either way; CONTINUE only says the wait is over.
            default_result=autoscaling.DefaultResult.CONTINUE,
        )
        # A policy of its own, not the role's default policy: the group launches with the role (and so depends on
        # it), while this statement names the group's own ARN; nothing depends on this policy. A customer-managed
        # policy, as the PCI DSS and NIST packs ask of every grant (IAMNoInlinePolicy).
        iam.ManagedPolicy(
            self,
            "CompleteOwnHook",
            roles=[instance_role],
            statements=[
                iam.PolicyStatement(
                    sid="CompleteOwnTerminationHook",
                    actions=["autoscaling:CompleteLifecycleAction"],
                    resources=[auto_scaling_group_arn],
                )
            ],
        )
