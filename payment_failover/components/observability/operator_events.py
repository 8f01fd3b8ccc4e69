"""Operator events (R21): what AWS, or the tier itself, does on its own is announced on the failover topic.

"Nobody paged, only told" holds only if on-call is told of every automatic action. Each rule below matches one
kind of event the service documents as sent to EventBridge, in this region, and publishes one readable line to the
failover topic. The patterns are data (`PATTERNS`), so tests match them against the sample events of the pages
cited beside each one (tests/unit/components/observability/test_operator_events.py).

- Zonal autoshift and its practice runs: ARC sends "Autoshift In Progress/Completed", "Practice Run
  Started/Interrupted/Failed/Succeeded" and the FIS-started autoshift events with source `aws.arc-zonal-shift`
  (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-arc-zonal-shift.html). That page documents no
  detail body, so the rule matches on source and detail-type alone: an autoshift of another resource of this
  account in this region is announced too.
- AZ-loss drills: FIS sends "FIS Experiment State Change"
  (https://docs.aws.amazon.com/fis/latest/userguide/monitoring-eventbridge.html). Every experiment of the account in
  this region is announced, not only this stack's drills: any fault injected here can touch the tier, and a filter
  on `detail.experiment-template-id` would tie the rule to the drill templates' ids, which the deploy rehearsal's
  emulator cannot create (tests/integration/emulator.py, AWS::FIS::ExperimentTemplate).
- AWS Health: "AWS Health Event" with `detail.service` (https://docs.aws.amazon.com/health/latest/ug/
  aws-health-events-eventbridge-schema.html); a rule receives the events of its own region
  (https://docs.aws.amazon.com/health/latest/ug/cloudwatch-events-health.html), so this stack's rule covers EC2
  and Elastic Load Balancing here. Route 53 is a global service: "The default event bus for the us-east-1 Region
  receives all events that the global services generate" (https://repost.aws/knowledge-center/
  eventbridge-rule-triggers-iam-single-region), and AWS Health's global events need a rule in US East (N.
  Virginia) (https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html), so the global DNS stack's
  `GlobalOperatorEvents` announces Health events of service `ROUTE53` on the DNS topic.
- Replacement stuck: Auto Scaling's "EC2 Instance Launch Unsuccessful"/"EC2 Instance Terminate Unsuccessful"
  with `detail.AutoScalingGroupName`
  (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html).
- Deployment rollbacks: CloudFormation sends "CloudFormation Stack Status Change" with `detail.stack-id` and
  `detail.status-details.status` (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
  event-detail-stack-status-change.html); the rule takes this stack's rollback and failure statuses (the stack status
  codes of https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html): a deployment that
  failed and rolled back — the health-gated rollout's way of refusing a broken fleet — or could not roll back.
- Releases that fail or stop: CodeDeploy sends "CodeDeploy Deployment State-change Notification" with source
  `aws.codedeploy` (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-codedeploy.html), whose detail
  names the application, the deployment group and the state (the fields of the event's pattern class in CDK's
  reference: https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.mixins_preview.aws_codedeploy.events/CodeDeployDeploymentStateChangeNotification.html);
  the rule takes this tier's application in state FAILURE or STOP: a release the alarms stopped, or whose
  instances failed, and which CodeDeploy then rolls back by itself (components/delivery).
- Certificate expiry: ACM's "ACM Certificate Approaching Expiration" (daily from 45 days before expiry) and
  "ACM Certificate Expired", whose `resources` holds the certificate ARN
  (https://docs.aws.amazon.com/acm/latest/userguide/supported-events.html).

The target is the topic itself with no role: EventBridge delivers to SNS under the topic's resource policy, and a
`RoleArn` on such a target can make delivery to a KMS-encrypted topic fail
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html). The topic policy and key
statement are `FailoverTopic(eventbridge_publishes=True)`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces import aws_events as events_refs
from constructs import Construct

from payment_failover.components.served_fleet import AlarmPolicy, ServedFleet

ZONAL_SHIFT_EVENTS = (
    "Autoshift In Progress",
    "Autoshift Completed",
    "Practice Run Started",
    "Practice Run Interrupted",
    "Practice Run Failed",
    "Practice Run Succeeded",
    "FIS Experiment Autoshift In Progress",
    "FIS Experiment Autoshift Completed",
    "FIS Experiment Autoshift Canceled",
)
# AWS Health's service codes: "EC2" is the EventType page's own example
# (https://docs.aws.amazon.com/health/latest/APIReference/API_EventType.html); "ELASTICLOADBALANCING" is the code
# Health uses for Elastic Load Balancing (DescribeEventTypes lists the codes of an account).
HEALTH_SERVICES = ("EC2", "ELASTICLOADBALANCING")
SCALING_FAILURES = ("EC2 Instance Launch Unsuccessful", "EC2 Instance Terminate Unsuccessful")
CERTIFICATE_EVENTS = ("ACM Certificate Approaching Expiration", "ACM Certificate Expired")
RELEASE_FAILURES = ("FAILURE", "STOP")
ROLLBACK_STATUSES = (
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "UPDATE_FAILED",
)


@dataclass(frozen=True)
class Announcement:
    """One rule: what it matches, and the one field of the event that says most about it."""

    description: str
    pattern: Mapping[str, Any]
    key_field: str


def stack_rollbacks(stack_id: str) -> Announcement:
    """The stack `stack_id` (its ARN, `AWS::StackId`) rolling back, or failing to."""
    return Announcement(
        "This stack's deployments that failed and roll back, or could not roll back (CloudFormation)",
        {
            "source": ["aws.cloudformation"],
            "detail-type": ["CloudFormation Stack Status Change"],
            "detail": {"stack-id": [stack_id], "status-details": {"status": list(ROLLBACK_STATUSES)}},
        },
        "$.detail.status-details.status",
    )


def global_patterns(*, stack_id: str) -> dict[str, Announcement]:
    """Every operator-event rule of the global DNS stack (us-east-1), by construct id."""
    return {
        "Route53HealthEvents": Announcement(
            "AWS Health events for Route 53 (a global service: its events reach us-east-1)",
            {"source": ["aws.health"], "detail-type": ["AWS Health Event"], "detail": {"service": ["ROUTE53"]}},
            "$.detail.eventTypeCode",
        ),
        "StackRollbacks": stack_rollbacks(stack_id),
    }


def patterns(
    *, auto_scaling_group_name: str, certificate_arn: str, stack_id: str, release_application: str
) -> dict[str, Announcement]:
    """Every operator-event rule of one regional stack, by construct id."""
    return {
        "ZonalShiftEvents": Announcement(
            "Zonal autoshift and practice runs (ARC) in this region",
            {"source": ["aws.arc-zonal-shift"], "detail-type": list(ZONAL_SHIFT_EVENTS)},
            "$.detail-type",
        ),
        "DrillEvents": Announcement(
            "State changes of FIS experiments in this region, the AZ-loss drills among them",
            {"source": ["aws.fis"], "detail-type": ["FIS Experiment State Change"]},
            "$.detail.new-state.status",
        ),
        "HealthEvents": Announcement(
            "AWS Health events for EC2 and Elastic Load Balancing in this region",
            {
                "source": ["aws.health"],
                "detail-type": ["AWS Health Event"],
                "detail": {"service": list(HEALTH_SERVICES)},
            },
            "$.detail.eventTypeCode",
        ),
        "ScalingFailures": Announcement(
            "The fleet's instance launches and terminations that failed",
            {
                "source": ["aws.autoscaling"],
                "detail-type": list(SCALING_FAILURES),
                "detail": {"AutoScalingGroupName": [auto_scaling_group_name]},
            },
            "$.detail.StatusMessage",
        ),
        "CertificateExpiry": Announcement(
            "The load balancer's certificate nears or passes its expiry (ACM)",
            {"source": ["aws.acm"], "detail-type": list(CERTIFICATE_EVENTS), "resources": [certificate_arn]},
            "$.detail.DaysToExpiry",
        ),
        "StackRollbacks": stack_rollbacks(stack_id),
        "ReleaseFailures": Announcement(
            "Releases of the service that failed or were stopped, which CodeDeploy rolls back (R20)",
            {
                "source": ["aws.codedeploy"],
                "detail-type": ["CodeDeploy Deployment State-change Notification"],
                "detail": {"application": [release_application], "state": list(RELEASE_FAILURES)},
            },
            "$.detail.deploymentId",
        ),
    }


class OperatorEvents(Construct):
    """EventBridge rules that announce AWS's automatic actions on the failover topic, one readable line each."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        fleet: ServedFleet,
        policy: AlarmPolicy,
        certificate_arn: str,
        release_application: str,
    ) -> None:
        super().__init__(scope, id_)
        announcements = patterns(
            auto_scaling_group_name=fleet.auto_scaling_group_name,
            certificate_arn=certificate_arn,
            stack_id=Stack.of(self).stack_id,
            release_application=release_application,
        )
        self.rules = _announce(self, announcements, topic=policy.topic, name_prefix=policy.name_prefix)


class GlobalOperatorEvents(Construct):
    """The global DNS stack's rules (us-east-1): Route 53's AWS Health events and this stack's rollbacks."""

    def __init__(self, scope: Construct, id_: str, *, topic: sns.ITopic, name_prefix: str) -> None:
        super().__init__(scope, id_)
        announcements = global_patterns(stack_id=Stack.of(self).stack_id)
        self.rules = _announce(self, announcements, topic=topic, name_prefix=name_prefix)


def _announce(
    scope: Construct, announcements: Mapping[str, Announcement], *, topic: sns.ITopic, name_prefix: str
) -> dict[str, events.Rule]:
    """One rule per announcement, publishing its one line to `topic`."""
    rules: dict[str, events.Rule] = {}
    for rule_id, announcement in announcements.items():
        rule = events.Rule(
            scope,
            rule_id,
            rule_name=f"{name_prefix}-{rule_id}",
            description=announcement.description,
            event_pattern=_event_pattern(announcement.pattern),
        )
        rule.add_target(_TopicTarget(topic, _message(name_prefix, announcement.key_field)))
        rules[rule_id] = rule
    return rules


def _event_pattern(pattern: Mapping[str, Any]) -> events.EventPattern:
    return events.EventPattern(
        source=pattern.get("source"),
        detail_type=pattern.get("detail-type"),
        detail=pattern.get("detail"),
        resources=pattern.get("resources"),
    )


def _message(prefix: str, key_field: str) -> events.RuleTargetInput:
    """One line an engineer can read on a phone: who, what, where, when, and the event's telling field."""
    field = events.EventField.from_path
    return events.RuleTargetInput.from_text(
        f"{prefix}: {field('$.detail-type')} ({field('$.source')}) in {field('$.region')} at {field('$.time')}: "
        f"{field(key_field)}"
    )


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """The failover topic as a rule target, without CDK's SnsTopic grant.

    CDK's `targets.SnsTopic` adds its own unconditioned `events.amazonaws.com` statement to the topic policy and
    key; the topic grants EventBridge itself, bound to this account's rules (confused_deputy.event_rule_publisher).
    """

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput) -> None:
        self._topic = topic
        self._message = message

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        del rule, id  # the topic needs nothing from the rule: its policy admits every rule of this account
        return events.RuleTargetConfig(arn=self._topic.topic_arn, input=self._message)
