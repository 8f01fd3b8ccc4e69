"""The failback gate's automatic latch (R21): when clients move to the standby, the gate closes by itself.

With `regionFailback=manual` the PRIMARY record carries a calculated health check, the failback gate
(dns_failover.py, docs/decisions/0010-failback-gate.md), deployed open. This construct closes it — sets its
`HealthThreshold` to 2, above its one child, so that "Route 53 always considers this health check to be unhealthy"
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html) — as soon as the
`TrafficOnStandby` alarm goes into ALARM, so that clients stay on the standby until an operator opens it again.

The chain, each link from its page:
- CloudWatch "sends events to Amazon EventBridge whenever a CloudWatch alarm is created, updated, deleted, or changes
  alarm state" and "guarantees the delivery of alarm state change events to EventBridge"
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html); the rule matches
  `CloudWatch Alarm State Change` of this one alarm (its ARN in `resources`) into `ALARM`.
- EventBridge cannot call Route 53: its targets are a fixed list (API destinations, Lambda, SNS, SQS, Step
  Functions, "SSM Automation", ...; https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html).
  "You can start an automation by specifying a runbook as the target of an Amazon EventBridge event"
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-cwe-target.html), so the target is this
  construct's own Automation runbook, started with a role that may start only it and pass only its assume role.
- The runbook has one `aws:executeAwsApi` step, which "calls and runs AWS API operations"
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-executeAwsApi.html):
  `route53 UpdateHealthCheck` of the gate with `HealthThreshold` 2, under an assume role that may call exactly that
  action on exactly that health check (`arn:aws:route53:::healthcheck/<id>`). No code of ours runs.

Both trusts are bound to this account: EventBridge's by the rule ARN and account
(https://docs.aws.amazon.com/eventbridge/latest/userguide/policy-keys-eventbridge.html), Automation's by the account
(https://docs.aws.amazon.com/systems-manager/latest/userguide/cloud-connector-gcp-automation-assume-role.html).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from payment_failover.compliance.confused_deputy import automation_trust, event_rule_trust
from payment_failover.components.edge.dns_failover import GATE_CLOSED

CLOSE_STEP = "CloseFailbackGate"


def alarm_pattern(alarm_arn: str) -> dict[str, Any]:
    """The rule's pattern: this alarm entering ALARM (test_failback_latch.py matches it against the page's sample)."""
    return {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "resources": [alarm_arn],
        "detail": {"state": {"value": ["ALARM"]}},
    }


def runbook(*, health_check_id: str, assume_role_arn: str, gate_name: str) -> dict[str, Any]:
    """The Automation runbook (schema 0.3): one step that closes the gate."""
    return {
        "schemaVersion": "0.3",
        "description": (
            f"Close the failback gate of {gate_name}: clients stay on the standby until an operator opens it"
        ),
        "assumeRole": assume_role_arn,
        "mainSteps": [
            {
                "name": CLOSE_STEP,
                "action": "aws:executeAwsApi",
                "inputs": {
                    "Service": "route53",
                    "Api": "UpdateHealthCheck",
                    "HealthCheckId": health_check_id,
                    "HealthThreshold": GATE_CLOSED,
                },
            }
        ],
    }


class FailbackLatch(Construct):
    """`self.rule` starts `self.document` when `alarm` enters ALARM; the runbook closes `gate`."""

    def __init__(
        self, scope: Construct, id_: str, *, gate: route53.HealthCheck, alarm: cloudwatch.IAlarm, name_prefix: str
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        gate_arn = f"arn:{Aws.PARTITION}:route53:::healthcheck/{gate.health_check_id}"
        self.automation_role = iam.Role(
            self,
            "AutomationRole",
            assumed_by=iam.ServicePrincipal("ssm.amazonaws.com", conditions=automation_trust(stack)),
            description="Closes the failback gate: route53:UpdateHealthCheck on that one health check, nothing else",
        )
        self.automation_role.add_to_policy(
            iam.PolicyStatement(actions=["route53:UpdateHealthCheck"], resources=[gate_arn])
        )
        self.document = ssm.CfnDocument(
            self,
            "Runbook",
            document_type="Automation",
            document_format="JSON",
            name=f"{name_prefix}-CloseFailbackGate",
            content=runbook(
                health_check_id=gate.health_check_id,
                assume_role_arn=self.automation_role.role_arn,
                gate_name=name_prefix,
            ),
        )
        definition_arn = (
            f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:automation-definition/{self.document.ref}"
        )
        self.events_role = iam.Role(
            self,
            "StartRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com", conditions=event_rule_trust(stack)),
            description="Starts the close-the-failback-gate runbook, and passes it its assume role",
        )
        self.events_role.add_to_policy(
            iam.PolicyStatement(actions=["ssm:StartAutomationExecution"], resources=[f"{definition_arn}:*"])
        )
        self.events_role.add_to_policy(
            iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.automation_role.role_arn])
        )
        self.rule = events.CfnRule(
            self,
            "Rule",
            name=f"{name_prefix}-CloseFailbackGate",
            description="TrafficOnStandby entered ALARM: close the failback gate so clients stay on the standby",
            event_pattern=alarm_pattern(alarm.alarm_arn),
            targets=[
                events.CfnRule.TargetProperty(
                    id="CloseFailbackGate", arn=f"{definition_arn}:$DEFAULT", role_arn=self.events_role.role_arn
                )
            ],
        )
