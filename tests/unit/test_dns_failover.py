"""R11: Route 53 HTTPS health check, PRIMARY failover alias tied to it, and its alarm in us-east-1."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import SynthesizedStage, single


@pytest.fixture(scope="module")
def check(default_stage: SynthesizedStage) -> dict[str, Any]:
    return single(default_stage.service, "AWS::Route53::HealthCheck")["HealthCheckConfig"]


def test_r11_health_check_is_https_443_health_with_sni(check: dict[str, Any]) -> None:
    assert (check["Type"], check["Port"], check["ResourcePath"], check["EnableSNI"]) == ("HTTPS", 443, "/health", True)
    assert check["FullyQualifiedDomainName"] == "payments.example.com"


def test_r11_fast_interval_explicit_threshold_latency_and_three_checker_regions(check: dict[str, Any]) -> None:
    assert (check["RequestInterval"], check["FailureThreshold"], check["MeasureLatency"]) == (10, 3, True)
    assert sorted(check["Regions"]) == ["ap-southeast-1", "eu-west-1", "us-east-1"]


def test_r11_check_settings_are_configurable(custom_stage: SynthesizedStage) -> None:
    config = single(custom_stage.service, "AWS::Route53::HealthCheck")["HealthCheckConfig"]
    assert (config["RequestInterval"], config["FailureThreshold"]) == (30, 2)
    assert len(config["Regions"]) == 4
    assert config["FullyQualifiedDomainName"] == "pay.payments-corp.net"


def test_r11_primary_failover_alias_to_the_alb_tied_to_the_health_check(default_stage: SynthesizedStage) -> None:
    template = default_stage.service
    (check_id,) = template.find_resources("AWS::Route53::HealthCheck")
    (alb_id,) = template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    record = single(template, "AWS::Route53::RecordSet")
    assert (record["Name"], record["Type"], record["Failover"]) == ("payments.example.com.", "A", "PRIMARY")
    assert record["HostedZoneId"] == "Z00000000EXAMPLE"
    assert record["HealthCheckId"] == {"Ref": check_id}
    alias = record["AliasTarget"]
    assert alias["EvaluateTargetHealth"] is True
    assert alias["HostedZoneId"] == {"Fn::GetAtt": [alb_id, "CanonicalHostedZoneID"]}
    assert {"Fn::GetAtt": [alb_id, "DNSName"]} in alias["DNSName"]["Fn::Join"][1]


def test_r11_the_https_listener_and_the_health_check_agree(
    default_stage: SynthesizedStage, check: dict[str, Any]
) -> None:
    """The seed checked HTTPS on 443 against an ALB that had only HTTP: that check could never pass."""
    template = default_stage.service
    listeners = [r["Properties"] for r in template.find_resources("AWS::ElasticLoadBalancingV2::Listener").values()]
    serving = [listener for listener in listeners if listener["Port"] == check["Port"]]
    assert len(serving) == 1
    assert serving[0]["Protocol"] == check["Type"] == "HTTPS"
    assert serving[0]["DefaultActions"][0]["Type"] == "forward"
    target_group = single(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert target_group["HealthCheckPath"] == check["ResourcePath"]


def test_r11_route53_alarm_lives_in_us_east_1_and_watches_the_real_health_check(
    default_stage: SynthesizedStage,
) -> None:
    service, alarms = default_stage.stage.service, default_stage.stage.dns_alarms
    assert alarms.region == "us-east-1"
    assert alarms.account == service.account
    (check_id,) = default_stage.service.find_resources("AWS::Route53::HealthCheck")

    # The service stack writes the check's real id to us-east-1 ...
    writer = single(default_stage.service, "Custom::CrossRegionExportWriter")["WriterProps"]
    assert writer["region"] == "us-east-1"
    ((export_name, exported),) = writer["exports"].items()
    assert exported == {"Ref": check_id}

    # ... and the alarm's dimension reads exactly that export.
    dns = default_stage.templates[alarms.stack_name]
    (reader_id,) = dns.find_resources("Custom::CrossRegionExportReader")
    alarm = single(dns, "AWS::CloudWatch::Alarm")
    (query,) = alarm["Metrics"]
    metric = query["MetricStat"]["Metric"]
    assert (metric["Namespace"], metric["MetricName"]) == ("AWS/Route53", "HealthCheckStatus")
    assert metric["Dimensions"] == [{"Name": "HealthCheckId", "Value": {"Fn::GetAtt": [reader_id, export_name]}}]
    assert (query["MetricStat"]["Stat"], query["MetricStat"]["Period"]) == ("Minimum", 60)
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["TreatMissingData"]) == (
        "LessThanThreshold",
        1,
        "breaching",
    )


def test_r11_route53_alarm_notifies_a_topic_in_its_own_region(default_stage: SynthesizedStage) -> None:
    dns = default_stage.templates[default_stage.stage.dns_alarms.stack_name]
    (topic_id,) = dns.find_resources("AWS::SNS::Topic")
    alarm = single(dns, "AWS::CloudWatch::Alarm")
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    assert alarm["OKActions"] == [{"Ref": topic_id}]
    key_policy = single(dns, "AWS::KMS::Key")["KeyPolicy"]["Statement"]
    assert any(s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com" for s in key_policy)


def test_outputs_name_the_dashboard_topic_and_health_check(default_stage: SynthesizedStage) -> None:
    outputs = default_stage.service.to_json()["Outputs"]
    assert {"DashboardUrl", "FailoverTopicArn", "HealthCheckId"} <= set(outputs)
    dns_outputs = default_stage.templates[default_stage.stage.dns_alarms.stack_name].to_json()["Outputs"]
    assert {"DnsTopicArn", "DnsHealthAlarmName"} <= set(dns_outputs)
