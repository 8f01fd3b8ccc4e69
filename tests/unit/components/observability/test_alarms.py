"""R8, R9: every alarm's metric, dimensions, statistic, period, threshold and actions; the failover topic."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from payment_failover.components.observability.alerting import FailoverTopic
from tests.helpers.support import bare_stack, single
from tests.helpers.synth import SynthesizedStage

AZS = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]


@pytest.fixture(scope="module")
def alarms(default_stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    found = default_stage.service.find_resources("AWS::CloudWatch::Alarm")
    return {resource["Properties"]["AlarmName"]: resource["Properties"] for resource in found.values()}


@pytest.fixture(scope="module")
def topic_ref(default_stage: SynthesizedStage) -> dict[str, str]:
    (topic_id,) = default_stage.service.find_resources("AWS::SNS::Topic")
    return {"Ref": topic_id}


def _dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


@pytest.mark.parametrize("az", AZS)
def test_r8_each_az_alarms_below_two_healthy_targets(alarms: dict, topic_ref: dict, az: str) -> None:
    alarm = alarms[f"payment-failover-dev-HealthyHosts-{az}"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"], alarm["Period"]) == (
        "AWS/ApplicationELB",
        "HealthyHostCount",
        "Minimum",
        60,
    )
    dims = _dimensions(alarm)
    assert dims["AvailabilityZone"] == az
    assert dims["TargetGroup"]["Fn::GetAtt"][1] == "TargetGroupFullName"
    assert dims["LoadBalancer"]["Fn::GetAtt"][1] == "LoadBalancerFullName"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 2)
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["AlarmActions"] == [topic_ref]
    assert alarm["OKActions"] == [topic_ref]


def test_r8_exactly_one_per_az_alarm_per_az(alarms: dict) -> None:
    per_az = sorted(
        _dimensions(a)["AvailabilityZone"]
        for a in alarms.values()
        if "Dimensions" in a and "AvailabilityZone" in _dimensions(a)
    )
    assert per_az == AZS


def test_r17_no_healthy_target_in_the_whole_target_group(alarms: dict, topic_ref: dict) -> None:
    alarm = alarms["payment-failover-dev-NoHealthyTarget"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/ApplicationELB",
        "HealthyHostCount",
        "Maximum",
    )
    assert set(_dimensions(alarm)) == {"TargetGroup", "LoadBalancer"}
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["AlarmActions"] == [topic_ref]


def test_r8_unhealthy_hosts_sustained(alarms: dict, topic_ref: dict) -> None:
    alarm = alarms["payment-failover-dev-UnhealthyHosts"]
    # Minimum: every load balancer node sees the target unhealthy (the ELB metrics page's recommendation).
    assert (alarm["MetricName"], alarm["Statistic"], alarm["Threshold"]) == ("UnHealthyHostCount", "Minimum", 0)
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (2, 2)
    assert set(_dimensions(alarm)) == {"TargetGroup", "LoadBalancer"}
    assert alarm["AlarmActions"] == [topic_ref]


@pytest.mark.parametrize(
    ("name", "numerator", "dimensions", "expected"),
    [
        # ELB 5xx for requests no target could take are not in RequestCount: added back below the line.
        (
            "Alb5xxRate",
            "HTTPCode_ELB_5XX_Count",
            {"LoadBalancer"},
            "100 * FILL(alb_errors, 0) / (FILL(alb_requests, 0) + FILL(alb_errors, 0))",
        ),
        (
            "Target5xxRate",
            "HTTPCode_Target_5XX_Count",
            {"LoadBalancer", "TargetGroup"},
            "100 * FILL(target_errors, 0) / FILL(target_requests, 0)",
        ),
    ],
)
def test_r8_r17_5xx_rates_above_the_configured_percentage(
    alarms: dict, topic_ref: dict, name: str, numerator: str, dimensions: set[str], expected: str
) -> None:
    alarm = alarms[f"payment-failover-dev-{name}"]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (5, "GreaterThanThreshold")
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 2)
    assert alarm["TreatMissingData"] == "notBreaching"
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    (expression,) = [q for q in queries.values() if "Expression" in q]
    assert expression["Expression"] == expected
    stats = [q["MetricStat"] for q in queries.values() if "MetricStat" in q]
    assert sorted(s["Metric"]["MetricName"] for s in stats) == sorted([numerator, "RequestCount"])
    for stat in stats:
        assert {d["Name"] for d in stat["Metric"]["Dimensions"]} == dimensions
        assert (stat["Period"], stat["Stat"]) == (60, "Sum")
    assert alarm["OKActions"] == [topic_ref]


def test_r8_latency_p99_above_threshold(alarms: dict) -> None:
    alarm = alarms["payment-failover-dev-LatencyP99"]
    assert (alarm["MetricName"], alarm["ExtendedStatistic"], alarm["Threshold"]) == ("TargetResponseTime", "p99", 1)
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 3)


def test_r8_in_service_instances_below_minimum(alarms: dict) -> None:
    alarm = alarms["payment-failover-dev-InServiceBelowMinimum"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/AutoScaling", "GroupInServiceInstances")
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (6, "LessThanThreshold")
    assert set(_dimensions(alarm)) == {"AutoScalingGroupName"}


def test_r22_serving_capacity_below_what_two_azs_must_carry(alarms: dict, topic_ref: dict) -> None:
    """Healthy targets, not lifecycle state: during a zonal shift (IgnoreUnhealthy) the shifted AZ's instances stay
    InService, so InServiceBelowMinimum cannot see the fleet serving with fewer."""
    alarm = alarms["payment-failover-dev-ServingCapacityBelowAzLoss"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/ApplicationELB",
        "HealthyHostCount",
        "Minimum",
    )
    assert set(_dimensions(alarm)) == {"TargetGroup", "LoadBalancer"}
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
        4,
        "LessThanThreshold",
        "breaching",
    )
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (2, 2)
    assert alarm["AlarmActions"] == [topic_ref]


def test_r8_every_regional_alarm_pages_and_clears_through_the_topic(alarms: dict, topic_ref: dict) -> None:
    # Ten failover alarms (serving capacity included), the web firewall's blocked-request spike (R19) and the two
    # synthetic probes' failure alarms (R21, test_probes.py); the gray-failure detectors notify through their AZ's
    # composite alarm (test_gray_failure.py), the SLO burn-rate windows through their tier's composite
    # (test_burn_rate.py), the per-AZ probe alarms through their AZ's composite (test_probes.py); the AZ drills'
    # runaway 5xx alarms are FIS stop conditions only (test_az_drills.py).
    inputs = ("Outlier-", "-Slo", "DrillRunaway", "ProbeZoneFailing-")
    paging = {name: a for name, a in alarms.items() if not any(part in name for part in inputs)}
    assert len(paging) == 13
    for alarm in paging.values():
        assert alarm["AlarmActions"] == [topic_ref]
        assert alarm["OKActions"] == [topic_ref]


def test_r8_thresholds_are_configurable(custom_stage: SynthesizedStage) -> None:
    found = custom_stage.service.find_resources("AWS::CloudWatch::Alarm")
    by_name = {r["Properties"]["AlarmName"]: r["Properties"] for r in found.values()}
    assert by_name["payment-failover-prod-eu-LatencyP99"]["Threshold"] == 0.25
    assert by_name["payment-failover-prod-eu-Alb5xxRate"]["Threshold"] == 2
    assert by_name["payment-failover-prod-eu-InServiceBelowMinimum"]["Threshold"] == 6


def test_r9_topic_is_encrypted_with_a_key_cloudwatch_and_autoscaling_can_use(default_stage: SynthesizedStage) -> None:
    template = default_stage.service
    topic = single(template, "AWS::SNS::Topic")
    key_id, _ = topic["KmsMasterKeyId"]["Fn::GetAtt"]
    key = template.to_json()["Resources"][key_id]["Properties"]
    statements = key["KeyPolicy"]["Statement"]
    (grant,) = [s for s in statements if s.get("Sid") == "AllowFailoverPublishersToUseTheKey"]
    assert set(grant["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    principals = grant["Principal"]
    # CloudWatch alarms, and EventBridge's operator events (R21, test_operator_events.py).
    assert principals["Service"] == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    assert "AWSServiceRoleForAutoScaling" in str(principals["AWS"])
    assert key["EnableKeyRotation"] is True


def test_r9_topic_accepts_only_tls_and_lets_cloudwatch_publish(default_stage: SynthesizedStage) -> None:
    statements = single(default_stage.service, "AWS::SNS::TopicPolicy")["PolicyDocument"]["Statement"]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (allow,) = [s for s in statements if s.get("Sid") == "AllowCloudWatchAlarmsToPublish"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"


def test_r9_email_subscription_only_when_configured(default_stage: SynthesizedStage) -> None:
    default_stage.service.resource_count_is("AWS::SNS::Subscription", 0)


def test_r9_email_subscription_from_settings(email_stage: SynthesizedStage) -> None:
    for template in email_stage.templates.values():
        template.has_resource_properties(
            "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@example.com"}
        )


def test_r21_an_incident_tool_subscribes_over_https_when_configured() -> None:
    """Paging beyond e-mail: one HTTPS subscription on the topic, and none without the setting."""
    stack = bare_stack()
    FailoverTopic(
        stack,
        "Alerting",
        topic_name="t",
        alarm_email=None,
        autoscaling_publishes=False,
        https_url="https://events.incident-tool.example/sns",
    )
    FailoverTopic(stack, "Quiet", topic_name="q", alarm_email=None, autoscaling_publishes=False)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SNS::Subscription", 1)
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "https", "Endpoint": "https://events.incident-tool.example/sns"},
    )
