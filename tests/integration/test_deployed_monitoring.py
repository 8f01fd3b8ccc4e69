"""R8, R9, R10 on the deployed alarms, failover topics and dashboard, read back from CloudWatch, SNS and KMS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers.dashboard_body import metric_errors
from tests.integration.lookups import alarm_metrics, metric_alarms
from tests.integration.rehearsal import DNS_REGION, Deployment

pytestmark = pytest.mark.integration

ALB = "AWS/ApplicationELB"
CLOUDWATCH = "cloudwatch.amazonaws.com"
AUTOSCALING_ROLE = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def _alarms_on(deployment: Deployment, metric_name: str) -> list[dict[str, Any]]:
    """This Stage's regional paging alarms that read `metric_name` for this load balancer or group (the gray-failure
    detectors and the SLO burn-rate windows are inputs of composites, checked on their own)."""
    ours = {deployment.service["LoadBalancerFullName"], deployment.service["AutoScalingGroupName"]}
    return [
        alarm
        for alarm in metric_alarms(deployment)
        if "Outlier-" not in alarm["AlarmName"]
        and "-Slo" not in alarm["AlarmName"]
        and any(name == metric_name and ours & set(dims.values()) for _, name, dims in alarm_metrics(alarm))
    ]


def test_r17_each_az_has_gray_failure_detectors_on_its_own_dimension(deployment: Deployment) -> None:
    """The inputs of the AzOutlier-<az> composites: per-AZ ALB metrics, no actions of their own."""
    detectors = [a for a in metric_alarms(deployment) if "Outlier-" in a["AlarmName"]]
    assert len(detectors) == 2 * len(deployment.settings.availability_zones)
    for az in deployment.settings.availability_zones:
        (latency,) = [a for a in detectors if a["AlarmName"].endswith(f"AzLatencyOutlier-{az}")]
        zones = {dims.get("AvailabilityZone") for _, name, dims in alarm_metrics(latency)}
        assert zones == set(deployment.settings.availability_zones)
    assert all(not a["AlarmActions"] and not a["OKActions"] for a in detectors)


def _notifies(alarm: dict[str, Any], topic: str) -> bool:
    return bool(alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic])


def test_r8_each_az_alarms_below_two_healthy_targets_with_its_az_dimension(deployment: Deployment) -> None:
    out = deployment.service
    zones = []
    per_az = [
        alarm
        for alarm in _alarms_on(deployment, "HealthyHostCount")
        if not alarm["AlarmName"].endswith(("-NoHealthyTarget", "-ServingCapacityBelowAzLoss"))
    ]
    for alarm in per_az:
        ((namespace, _, dims),) = alarm_metrics(alarm)
        zone = dims.get("AvailabilityZone", "(no AvailabilityZone dimension)")
        zones.append(zone)
        assert (namespace, dims) == (
            ALB,
            {
                "AvailabilityZone": zone,
                "LoadBalancer": out["LoadBalancerFullName"],
                "TargetGroup": out["TargetGroupFullName"],
            },
        ), alarm["AlarmName"]
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 2), alarm["AlarmName"]
        assert alarm["TreatMissingData"] == "breaching", alarm["AlarmName"]
        assert _notifies(alarm, out["FailoverTopicArn"]), alarm["AlarmName"]
    assert sorted(zones) == sorted(deployment.settings.availability_zones)


def test_r17_an_alarm_fires_when_no_target_in_the_whole_target_group_is_healthy(deployment: Deployment) -> None:
    out = deployment.service
    (alarm,) = [a for a in _alarms_on(deployment, "HealthyHostCount") if a["AlarmName"].endswith("-NoHealthyTarget")]
    ((namespace, _, dims),) = alarm_metrics(alarm)
    assert (namespace, dims) == (
        ALB,
        {"LoadBalancer": out["LoadBalancerFullName"], "TargetGroup": out["TargetGroupFullName"]},
    )
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Statistic"]) == ("LessThanThreshold", 1, "Maximum")
    assert alarm["TreatMissingData"] == "breaching"
    assert _notifies(alarm, out["FailoverTopicArn"])


def test_r8_unhealthy_hosts_5xx_rates_latency_and_in_service_capacity_alarm(deployment: Deployment) -> None:
    out, settings = deployment.service, deployment.settings
    target_dims = {"LoadBalancer": out["LoadBalancerFullName"], "TargetGroup": out["TargetGroupFullName"]}
    expected = {
        # metric read: (dimensions, comparison, threshold)
        "UnHealthyHostCount": (target_dims, "GreaterThanThreshold", 0),
        "TargetResponseTime": (target_dims, "GreaterThanThreshold", settings.latency_p99_threshold_ms / 1000),
        "HTTPCode_ELB_5XX_Count": (
            {"LoadBalancer": out["LoadBalancerFullName"]},
            "GreaterThanThreshold",
            settings.error_rate_percent,
        ),
        "HTTPCode_Target_5XX_Count": (target_dims, "GreaterThanThreshold", settings.error_rate_percent),
        "GroupInServiceInstances": (
            {"AutoScalingGroupName": out["AutoScalingGroupName"]},
            "LessThanThreshold",
            settings.min_capacity,
        ),
    }
    for metric_name, (dims, comparison, threshold) in expected.items():
        # The drills' runaway alarms read the same 5xx metrics and notify nobody (test_az_drills.py): not these.
        (alarm,) = [a for a in _alarms_on(deployment, metric_name) if "DrillRunaway" not in a["AlarmName"]]
        assert {tuple(sorted(d.items())) for _, name, d in alarm_metrics(alarm) if name == metric_name} == {
            tuple(sorted(dims.items()))
        }, metric_name
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (comparison, threshold), metric_name
        assert _notifies(alarm, out["FailoverTopicArn"]), metric_name
    (latency,) = _alarms_on(deployment, "TargetResponseTime")
    assert latency["ExtendedStatistic"] == "p99"


def _topics(deployment: Deployment) -> list[tuple[str, str]]:
    return [
        (deployment.service["FailoverTopicArn"], deployment.settings.region),
        (deployment.dns["DnsTopicArn"], DNS_REGION),
    ]


def _principals(statement: dict[str, Any]) -> set[str]:
    principal = statement.get("Principal", {})
    if principal == "*":
        return {"*"}
    return {value for values in principal.values() for value in ([values] if isinstance(values, str) else values)}


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement.get("Action", [])
    return {actions} if isinstance(actions, str) else set(actions)


def test_r9_both_topics_use_a_rotating_key_that_cloudwatch_and_autoscaling_may_use(deployment: Deployment) -> None:
    """The AWS-managed SNS key would silently drop alarm notifications: a customer key must grant CloudWatch."""
    for topic, region in _topics(deployment):
        key = deployment.client("sns", region).get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"]
        assert "alias/aws/sns" not in key, topic
        kms = deployment.client("kms", region)
        policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        granted = {
            principal
            for statement in policy["Statement"]
            if statement["Effect"] == "Allow" and {"kms:Decrypt", "kms:GenerateDataKey*"} <= _actions(statement)
            for principal in _principals(statement)
        }
        assert CLOUDWATCH in granted, topic
        if topic == deployment.service["FailoverTopicArn"]:
            assert any(principal.endswith(AUTOSCALING_ROLE) for principal in granted), granted
        assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True, topic


def test_r9_both_topics_refuse_plain_http_and_let_cloudwatch_publish(deployment: Deployment) -> None:
    deployment.not_emulated("AWS::SNS::TopicPolicy")
    for topic, region in _topics(deployment):
        attributes = deployment.client("sns", region).get_topic_attributes(TopicArn=topic)["Attributes"]
        statements = json.loads(attributes["Policy"])["Statement"]
        assert any(
            s["Effect"] == "Deny"
            and "sns:Publish" in _actions(s)
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        ), topic
        assert any(
            s["Effect"] == "Allow" and CLOUDWATCH in _principals(s) and "sns:Publish" in _actions(s) for s in statements
        ), topic


def test_r9_both_topics_mail_exactly_the_configured_on_call_address(deployment: Deployment) -> None:
    deployment.not_emulated("AWS::SNS::Subscription")
    email = deployment.settings.alarm_email
    for topic, region in _topics(deployment):
        found = deployment.client("sns", region).list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert {(s["Protocol"], s["Endpoint"]) for s in found} == ({("email", email)} if email else set()), topic


def _dashboard_metrics(body: dict[str, Any]) -> list[list[str]]:
    """Every metric of the body as a full flat array, with '.' (same as the entry above) filled in."""
    found = []
    for widget in body.get("widgets", []):
        previous: list[str] = []
        for entry in widget.get("properties", {}).get("metrics", []):
            strings = [item for item in entry if isinstance(item, str)]
            expanded = [previous[i] if item == "." and i < len(previous) else item for i, item in enumerate(strings)]
            if expanded:
                found.append(expanded)
                previous = expanded
    return found


def test_r10_dashboard_renders_flat_metric_arrays_for_this_alb_per_az(deployment: Deployment) -> None:
    out = deployment.service
    name = out["DashboardUrl"].split("#dashboards:name=", 1)[1]
    body = json.loads(deployment.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])
    assert metric_errors(body) == []
    healthy_per_az = {
        dims.get("AvailabilityZone"): dims
        for namespace, metric, *pairs in _dashboard_metrics(body)
        if (namespace, metric) == (ALB, "HealthyHostCount")
        for dims in [dict(zip(pairs[::2], pairs[1::2], strict=True))]
    }
    for az in deployment.settings.availability_zones:
        assert healthy_per_az.get(az) == {
            "AvailabilityZone": az,
            "LoadBalancer": out["LoadBalancerFullName"],
            "TargetGroup": out["TargetGroupFullName"],
        }, az
