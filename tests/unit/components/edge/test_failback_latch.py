"""R21: with manual failback the gate closes by itself when clients move to the standby (components/edge/
failback_latch.py): the rule's pattern against CloudWatch's documented alarm event, the runbook's one API call, and
roles that may do exactly that.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aws_cdk.assertions import Template

from payment_failover.components.edge.dns_failover import GATE_CLOSED
from payment_failover.names import ResourceNames
from payment_failover.stacks.global_dns_stack import GlobalDnsStack
from tests.helpers.event_pattern import matches
from tests.helpers.support import settings_from
from tests.helpers.synth import SynthesizedStage, project_app

# The single-metric alarm's state-change event of "Alarm events and EventBridge"
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html), its
# configuration trimmed; the alarm's ARN is replaced by ours where the test needs it.
ALARM_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
    "detail-type": "CloudWatch Alarm State Change",
    "source": "aws.cloudwatch",
    "account": "123456789012",
    "time": "2019-10-02T17:04:40Z",
    "region": "us-east-1",
    "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"],
    "detail": {
        "alarmName": "ServerCpuTooHigh",
        "state": {
            "value": "ALARM",
            "reason": "Threshold Crossed: 1 out of the last 1 datapoints was greater than the threshold (50.0).",
            "timestamp": "2019-10-02T17:04:40.989+0000",
        },
        "previousState": {"value": "OK", "timestamp": "2019-10-02T17:03:40.989+0000"},
    },
}


def _resources(stage: SynthesizedStage, kind: str) -> dict[str, dict[str, Any]]:
    return {
        k: r["Properties"] for k, r in stage.global_dns.find_resources(kind).items() if k.startswith("FailbackLatch")
    }


def _statements(stage: SynthesizedStage, role_id: str) -> list[dict[str, Any]]:
    (policy,) = [p for p in _resources(stage, "AWS::IAM::Policy").values() if p["Roles"] == [{"Ref": role_id}]]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def _gate_id(stage: SynthesizedStage) -> str:
    return str(stage.global_dns.to_json()["Outputs"]["FailbackGateId"]["Value"]["Ref"])


def _alarm_id(stage: SynthesizedStage, name: str) -> str:
    (alarm_id,) = [
        k
        for k, r in stage.global_dns.find_resources("AWS::CloudWatch::Alarm").items()
        if r["Properties"]["AlarmName"] == name
    ]
    return alarm_id


@pytest.fixture(scope="module")
def rule(standby_stage: SynthesizedStage) -> dict[str, Any]:
    (found,) = _resources(standby_stage, "AWS::Events::Rule").values()
    return found


def test_r21_the_rule_fires_when_traffic_on_standby_enters_alarm_and_on_nothing_else(
    standby_stage: SynthesizedStage, rule: dict[str, Any]
) -> None:
    pattern = copy.deepcopy(rule["EventPattern"])
    alarm = _alarm_id(standby_stage, "payment-failover-dev-TrafficOnStandby")
    assert pattern["resources"] == [{"Fn::GetAtt": [alarm, "Arn"]}]
    ours = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:payment-failover-dev-TrafficOnStandby"
    pattern["resources"] = [ours]
    event = copy.deepcopy(ALARM_EVENT) | {"resources": [ours]}
    assert matches(pattern, event)
    assert not matches(pattern, ALARM_EVENT)  # another alarm
    back_to_ok = copy.deepcopy(event)
    back_to_ok["detail"]["state"]["value"] = "OK"
    assert not matches(pattern, back_to_ok)  # the gate opens only by the operator's hand


def test_r21_the_rule_starts_the_runbook_with_its_own_role(
    standby_stage: SynthesizedStage, rule: dict[str, Any]
) -> None:
    (target,) = rule["Targets"]
    (document_id,) = _resources(standby_stage, "AWS::SSM::Document")
    parts = target["Arn"]["Fn::Join"][1]
    assert parts[-3:] == [":automation-definition/", {"Ref": document_id}, ":$DEFAULT"]
    (role_id, _) = target["RoleArn"]["Fn::GetAtt"]
    trust = standby_stage.global_dns.to_json()["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/*"},
    }
    actions = {s["Action"]: s["Resource"] for s in _statements(standby_stage, role_id)}
    assert set(actions) == {"ssm:StartAutomationExecution", "iam:PassRole"}
    assert {"Ref": document_id} in actions["ssm:StartAutomationExecution"]["Fn::Join"][1]


def test_r21_the_runbook_closes_exactly_the_gate_with_a_role_that_may_do_only_that(
    standby_stage: SynthesizedStage,
) -> None:
    (document,) = _resources(standby_stage, "AWS::SSM::Document").values()
    assert document["DocumentType"] == "Automation"
    content = document["Content"]
    (step,) = content["mainSteps"]
    assert step["action"] == "aws:executeAwsApi"
    gate = _gate_id(standby_stage)
    assert step["inputs"] == {
        "Service": "route53",
        "Api": "UpdateHealthCheck",
        "HealthCheckId": {"Ref": gate},
        "HealthThreshold": GATE_CLOSED,
    }
    (role_id, _) = content["assumeRole"]["Fn::GetAtt"]
    (statement,) = _statements(standby_stage, role_id)
    assert statement["Action"] == "route53:UpdateHealthCheck"
    assert statement["Resource"]["Fn::Join"][1][-2:] == [":route53:::healthcheck/", {"Ref": gate}]
    trust = standby_stage.global_dns.to_json()["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    # The start role may pass this role and no other.
    (start_role,) = [r for r in _resources(standby_stage, "AWS::IAM::Role") if r != role_id]
    (pass_role,) = [s for s in _statements(standby_stage, start_role) if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_r21_no_latch_without_a_gate(default_stage: SynthesizedStage) -> None:
    """Without a standby there is no gate and nothing to latch; automatic failback has no gate either (the global
    stack alone, no other Stage synthesis)."""
    assert not _resources(default_stage, "AWS::Events::Rule")
    settings = settings_from({"standbyRegion": "eu-west-1", "regionFailback": "automatic"})
    stack = GlobalDnsStack(
        project_app(), "GlobalDns", settings=settings, names=ResourceNames(settings.environment_suffix), regional=()
    )
    resources = Template.from_stack(stack).to_json()["Resources"].values()
    assert not [r for r in resources if r["Type"] in ("AWS::SSM::Document", "AWS::IAM::Role")]
    rules = [r["Properties"]["Name"] for r in resources if r["Type"] == "AWS::Events::Rule"]
    assert not [name for name in rules if "FailbackGate" in name]
