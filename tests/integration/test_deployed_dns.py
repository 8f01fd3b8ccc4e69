"""R11 on the deployed Route 53 health check, the PRIMARY failover record and the us-east-1 alarm."""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.integration.lookups import alarm_metrics, stack_template
from tests.integration.rehearsal import DNS_REGION, Deployment

pytestmark = pytest.mark.integration

HTTPS_PORT = 443
REQUEST_SECONDS = 10


def _health_check(deployment: Deployment) -> dict[str, Any]:
    found = deployment.client("route53").get_health_check(HealthCheckId=deployment.service["HealthCheckId"])
    return dict(found["HealthCheck"]["HealthCheckConfig"])


def test_r11_route53_checks_https_443_health_on_the_service_domain(deployment: Deployment) -> None:
    url = urlparse(deployment.service["ServiceUrl"])
    config = _health_check(deployment)
    assert {key: config[key] for key in ("Type", "Port", "ResourcePath", "FullyQualifiedDomainName")} == {
        "Type": "HTTPS",
        "Port": HTTPS_PORT,
        "ResourcePath": url.path,
        "FullyQualifiedDomainName": url.hostname,
    }
    assert url.path == "/health"
    assert (config["RequestInterval"], config["FailureThreshold"]) == (
        deployment.settings.dns_health_check_interval_seconds,
        deployment.settings.dns_failure_threshold,
    )


def test_r11_health_check_sends_sni_and_measures_latency_from_the_configured_regions(deployment: Deployment) -> None:
    deployment.not_emulated("health-check-options")
    config = _health_check(deployment)
    assert (config["EnableSNI"], config["MeasureLatency"]) == (True, True)
    assert sorted(config["Regions"]) == sorted(deployment.settings.dns_health_check_regions)


def test_r11_primary_failover_record_aliases_the_alb_and_follows_the_health_check(deployment: Deployment) -> None:
    template = stack_template(deployment, deployment.names.service_stack)
    (zone_id,) = {
        resource["Properties"]["HostedZoneId"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Route53::RecordSet"
    }
    domain = urlparse(deployment.service["ServiceUrl"]).hostname
    alb = deployment.service["LoadBalancerDnsName"].lower()
    records = deployment.client("route53").list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=domain, StartRecordType="A"
    )["ResourceRecordSets"]
    (record,) = (
        r
        for r in records
        if (r["Name"].rstrip("."), r["Type"]) == (domain, "A")
        and r.get("AliasTarget", {}).get("DNSName", "").rstrip(".").lower().removeprefix("dualstack.") == alb
    )
    assert (record.get("Failover"), record.get("HealthCheckId")) == ("PRIMARY", deployment.service["HealthCheckId"])
    assert record["AliasTarget"]["EvaluateTargetHealth"] is True


def test_r11_us_east_1_alarm_watches_the_service_stacks_health_check(deployment: Deployment) -> None:
    """Route 53 publishes health-check metrics only in us-east-1; the id crosses regions through CDK's reference."""
    cloudwatch = deployment.client("cloudwatch", DNS_REGION)
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[deployment.dns["DnsHealthAlarmName"]])["MetricAlarms"]
    assert alarm_metrics(alarm) == [
        ("AWS/Route53", "HealthCheckStatus", {"HealthCheckId": deployment.service["HealthCheckId"]})
    ]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
    assert alarm["TreatMissingData"] == "breaching"
    topic = deployment.dns["DnsTopicArn"]
    assert (alarm["AlarmActions"], alarm["OKActions"]) == ([topic], [topic])


def test_r11_service_url_answers_200_with_the_serving_az(deployment: Deployment) -> None:
    deployment.not_emulated("live-endpoint")
    with urllib.request.urlopen(deployment.service["ServiceUrl"], timeout=REQUEST_SECONDS) as response:
        assert response.status == 200
        answer = json.load(response)
    assert answer["status"] == "ok"
    assert answer["availabilityZone"] in deployment.settings.availability_zones
