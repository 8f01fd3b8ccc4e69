"""R21: every automatic action reaches the failover topic — each rule's pattern against the documented event shape.

The sample events are written in the shape each service's page documents (cited beside each); the synthesized
patterns are matched with the small EventBridge model of tests/helpers/event_pattern.py, itself first held to
the examples on EventBridge's own pages. Each rule must take its event and refuse a near miss (another group,
another detail-type, another service, another certificate).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.helpers.event_pattern import matches
from tests.helpers.synth import SynthesizedStage

ACCOUNT = "123456789012"
CERTIFICATE = "<Ref:CertificateBDDE2430>"


def _envelope(source: str, detail_type: str, detail: dict[str, Any], resources: list[str]) -> dict[str, Any]:
    """The fields every event carries (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html)."""
    return {
        "version": "0",
        "id": "12345678-1234-1234-1234-123456789012",
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": "2026-12-04T06:51:08Z",
        "region": "eu-central-1",
        "resources": resources,
        "detail": detail,
    }


# https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-arc-zonal-shift.html : the detail-types and source;
# the page shows no detail body, so the sample has none of its own.
AUTOSHIFT = _envelope("aws.arc-zonal-shift", "Autoshift In Progress", {}, [])
PRACTICE_RUN_FAILED = _envelope("aws.arc-zonal-shift", "Practice Run Failed", {}, [])
# https://docs.aws.amazon.com/fis/latest/userguide/monitoring-eventbridge.html
FIS_STATE = _envelope(
    "aws.fis",
    "FIS Experiment State Change",
    {
        "experiment-id": "EXPaBCD1efg2HIJkL3",
        "experiment-template-id": "EXTa1b2c3de5f6g7h",
        "new-state": {"status": "running", "reason": "Experiment is running."},
        "old-state": {"status": "initiating", "reason": "Experiment is initiating."},
    },
    [f"arn:aws:fis:eu-central-1:{ACCOUNT}:experiment/EXPaBCD1efg2HIJkL3"],
)
# https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html
HEALTH_EC2 = _envelope(
    "aws.health",
    "AWS Health Event",
    {
        "eventArn": "arn:aws:health:eu-central-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1",
        "service": "EC2",
        "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
        "eventTypeCategory": "issue",
        "eventRegion": "eu-central-1",
        "startTime": "Fri, 4 Dec 2026 06:02:00 GMT",
        "eventDescription": [{"language": "en_US", "latestDescription": "Increased API error rates."}],
    },
    [],
)
# https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html (unsuccessful scaling)
LAUNCH_FAILED = _envelope(
    "aws.autoscaling",
    "EC2 Instance Launch Unsuccessful",
    {
        "StatusCode": "Failed",
        "AutoScalingGroupName": "payment-failover-dev",
        "ActivityId": "87654321-4321-4321-4321-210987654321",
        "Details": {"Availability Zone": "eu-central-1b", "Subnet ID": "subnet-12345678"},
        "RequestId": "12345678-1234-1234-1234-123456789012",
        "StatusMessage": "There is no t3.small capacity in the Availability Zone you requested.",
        "EndTime": "2026-12-04T06:51:08Z",
        "EC2InstanceId": "i-1234567890abcdef0",
        "StartTime": "2026-12-04T06:50:08Z",
        "Cause": "description-text",
    },
    ["arn:aws:autoscaling:eu-central-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/payment-failover-dev"],
)
# https://docs.aws.amazon.com/acm/latest/userguide/supported-events.html
CERTIFICATE_EXPIRING = _envelope(
    "aws.acm",
    "ACM Certificate Approaching Expiration",
    {"DaysToExpiry": 31, "CommonName": "payments.example.com"},
    [CERTIFICATE],
)

# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-status-change.html : the detail's
# stack-id and status-details; the stack's ARN written as the template's `AWS::StackId` stands for it.
STACK_ID = "<Ref:AWS::StackId>"
STACK_ROLLING_BACK = _envelope(
    "aws.cloudformation",
    "CloudFormation Stack Status Change",
    {
        "stack-id": STACK_ID,
        "status-details": {
            "status": "UPDATE_ROLLBACK_IN_PROGRESS",
            "status-reason": "Received 0 SUCCESS signal(s) out of 1.",
        },
        "client-request-token": "Console-UpdateStack-7f59c3cf-00d2-40c7-b2ff-e75db0987002",
    },
    [STACK_ID],
)
# https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-codedeploy.html : source and detail-type; the detail
# carries application, deploymentGroup, deploymentId, instanceGroupId, region and state (the fields of CDK's
# CodeDeployDeploymentStateChangeNotification pattern class). The application's name stands as its reference.
RELEASE_FAILED = _envelope(
    "aws.codedeploy",
    "CodeDeploy Deployment State-change Notification",
    {
        "instanceGroupId": "9fd2fbef-2157-40d8-91e7-6845af69e2d2",
        "region": "eu-central-1",
        "application": "<Ref:ReleaseApplicationC503599B>",
        "deploymentId": "d-123456789",
        "state": "FAILURE",
        "deploymentGroup": "payment-failover-dev",
    },
    [
        f"arn:aws:codedeploy:eu-central-1:{ACCOUNT}:application:payment-failover-dev",
        f"arn:aws:codedeploy:eu-central-1:{ACCOUNT}:deploymentgroup:payment-failover-dev/payment-failover-dev",
    ],
)
# Route 53's Health events, in the Health event schema above, delivered in us-east-1.
HEALTH_ROUTE53 = {
    **HEALTH_EC2,
    "region": "us-east-1",
    "detail": {
        **HEALTH_EC2["detail"],
        "eventArn": "arn:aws:health:global::event/ROUTE53/AWS_ROUTE53_OPERATIONAL_ISSUE/ISSUE_1",
        "service": "ROUTE53",
        "eventTypeCode": "AWS_ROUTE53_OPERATIONAL_ISSUE",
        "eventRegion": "global",
    },
}


def _with(event: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


CASES = {
    "ZonalShiftEvents": (
        [AUTOSHIFT, PRACTICE_RUN_FAILED, _with(AUTOSHIFT, ("detail-type",), "Autoshift Completed")],
        [_with(AUTOSHIFT, ("source",), "aws.fis")],
    ),
    "DrillEvents": (
        [FIS_STATE, _with(FIS_STATE, ("detail", "new-state", "status"), "completed")],
        [_with(FIS_STATE, ("detail-type",), "AWS API Call via CloudTrail")],
    ),
    "HealthEvents": (
        [HEALTH_EC2, _with(HEALTH_EC2, ("detail", "service"), "ELASTICLOADBALANCING")],
        [_with(HEALTH_EC2, ("detail", "service"), "RDS")],
    ),
    "ScalingFailures": (
        [LAUNCH_FAILED, _with(LAUNCH_FAILED, ("detail-type",), "EC2 Instance Terminate Unsuccessful")],
        [
            _with(LAUNCH_FAILED, ("detail", "AutoScalingGroupName"), "another-group"),
            _with(LAUNCH_FAILED, ("detail-type",), "EC2 Instance Launch Successful"),
        ],
    ),
    "CertificateExpiry": (
        [CERTIFICATE_EXPIRING, _with(CERTIFICATE_EXPIRING, ("detail-type",), "ACM Certificate Expired")],
        [_with(CERTIFICATE_EXPIRING, ("resources",), [f"arn:aws:acm:eu-central-1:{ACCOUNT}:certificate/other"])],
    ),
    "StackRollbacks": (
        [
            STACK_ROLLING_BACK,
            _with(STACK_ROLLING_BACK, ("detail", "status-details", "status"), "UPDATE_ROLLBACK_FAILED"),
            _with(STACK_ROLLING_BACK, ("detail", "status-details", "status"), "ROLLBACK_COMPLETE"),
        ],
        [
            _with(STACK_ROLLING_BACK, ("detail", "status-details", "status"), "UPDATE_COMPLETE"),
            _with(
                STACK_ROLLING_BACK, ("detail", "stack-id"), f"arn:aws:cloudformation:eu-central-1:{ACCOUNT}:stack/x/1"
            ),
        ],
    ),
}
CASES["ReleaseFailures"] = (
    [RELEASE_FAILED, _with(RELEASE_FAILED, ("detail", "state"), "STOP")],
    [
        _with(RELEASE_FAILED, ("detail", "state"), "SUCCESS"),
        _with(RELEASE_FAILED, ("detail", "application"), "another-application"),
        _with(RELEASE_FAILED, ("detail-type",), "CodeDeploy Instance State-change Notification"),
    ],
)
GLOBAL_CASES = {
    "Route53HealthEvents": ([HEALTH_ROUTE53], [HEALTH_EC2, _with(HEALTH_ROUTE53, ("source",), "aws.route53")]),
    "StackRollbacks": CASES["StackRollbacks"],
}


# --- the model against EventBridge's own examples ---------------------------------------------------


def test_model_matches_named_fields_and_ignores_the_rest_like_the_pattern_syntax_page() -> None:
    pattern = {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["terminated"]},
    }
    event = _envelope("aws.ec2", "EC2 Instance State-change Notification", {"state": "terminated", "x": 1}, [])
    assert matches(pattern, event)
    assert not matches(pattern, _with(event, ("detail", "state"), "running"))
    assert not matches(pattern, _with(event, ("detail",), {}))
    assert matches({"source": ["aws.ec2", "aws.fargate"]}, _envelope("aws.fargate", "x", {}, []))


def test_model_matches_an_array_in_the_event_when_the_arrays_intersect_like_the_arrays_page() -> None:
    pattern = {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f", "arn:aws:ec2:other"]}
    event = {
        "resources": [
            "arn:aws:autoscaling:us-east-1:123456789012:asg",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        ]
    }
    assert matches(pattern, event)
    assert not matches(pattern, {"resources": ["arn:aws:autoscaling:us-east-1:123456789012:asg"]})


def test_model_refuses_operators_it_does_not_model() -> None:
    with pytest.raises(NotImplementedError):
        matches({"source": [{"prefix": "aws."}]}, {"source": "aws.fis"})


# --- the synthesized rules -----------------------------------------------------------------------------


def _placeholders(value: Any) -> Any:
    """Write CloudFormation references as the strings the sample events carry for them."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return f"<Ref:{value['Ref']}>"
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        resource, attribute = value["Fn::GetAtt"]
        return f"<GetAtt:{resource}.{attribute}>"
    if isinstance(value, dict):
        return {key: _placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_placeholders(item) for item in value]
    return value


def _rules(stage: SynthesizedStage, *, global_dns: bool = False) -> dict[str, dict[str, Any]]:
    found = (stage.global_dns if global_dns else stage.service).find_resources("AWS::Events::Rule")
    return {
        r["Properties"]["Name"].removeprefix("payment-failover-dev-"): r["Properties"]
        for r in found.values()
        if "Targets" in r["Properties"] and r["Properties"]["Targets"][0].get("InputTransformer")
    }


def test_r21_one_rule_per_kind_of_automatic_action(default_stage: SynthesizedStage) -> None:
    assert set(_rules(default_stage)) == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_r21_each_rule_takes_its_documented_event_and_refuses_a_near_miss(
    default_stage: SynthesizedStage, rule: str
) -> None:
    pattern = _placeholders(_rules(default_stage)[rule]["EventPattern"])
    delivered, refused = CASES[rule]
    for event in delivered:
        assert matches(pattern, event), (rule, event["detail-type"])
    for event in refused:
        assert not matches(pattern, event), (rule, event)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_r21_each_rule_publishes_one_readable_line_to_the_failover_topic_without_a_role(
    default_stage: SynthesizedStage, rule: str
) -> None:
    (target,) = _rules(default_stage)[rule]["Targets"]
    (topic,) = default_stage.service.find_resources("AWS::SNS::Topic")
    assert target["Arn"] == {"Ref": topic}
    assert "RoleArn" not in target  # EventBridge's page: no role on an SNS target, or KMS delivery may fail
    template = target["InputTransformer"]["InputTemplate"]
    assert template.startswith('"payment-failover-dev: <detail-type> (<source>) in <region> at <time>: ')


def test_r21_topic_lets_only_this_accounts_rules_publish(default_stage: SynthesizedStage) -> None:
    (policy,) = default_stage.service.find_resources("AWS::SNS::TopicPolicy").values()
    (statement,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "AllowEventBridgeRulesToPublish"
    ]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:events:eu-central-1:{ACCOUNT}:rule/*"}


def test_r21_topic_key_lets_eventbridge_encrypt_what_it_publishes(default_stage: SynthesizedStage) -> None:
    keys = default_stage.service.find_resources("AWS::KMS::Key")
    statements = [
        s
        for key in keys.values()
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowFailoverPublishersToUseTheKey"
    ]
    (statement,) = statements
    principals = statement["Principal"]["Service"]
    assert "events.amazonaws.com" in (principals if isinstance(principals, list) else [principals])
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_r21_the_global_stack_announces_route53_health_events_and_its_own_rollbacks(
    default_stage: SynthesizedStage,
) -> None:
    """AWS Health's global events need a rule in us-east-1 (https://docs.aws.amazon.com/health/latest/ug/
    choosing-a-region.html): the global DNS stack's rules, on its own topic."""
    rules = _rules(default_stage, global_dns=True)
    assert set(rules) == set(GLOBAL_CASES)
    (topic,) = default_stage.global_dns.find_resources("AWS::SNS::Topic")
    for rule_id, (delivered, refused) in GLOBAL_CASES.items():
        pattern = _placeholders(rules[rule_id]["EventPattern"])
        assert all(matches(pattern, event) for event in delivered), rule_id
        assert not any(matches(pattern, event) for event in refused), rule_id
        (target,) = rules[rule_id]["Targets"]
        assert target["Arn"] == {"Ref": topic}
        assert "RoleArn" not in target
    (policy,) = default_stage.global_dns.find_resources("AWS::SNS::TopicPolicy").values()
    (statement,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "AllowEventBridgeRulesToPublish"
    ]
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/*"}
