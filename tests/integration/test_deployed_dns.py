"""R11, R18 on the deployed Route 53 resources: regional names, a check per region, the failover records, and the
us-east-1 alarms, all read back from Route 53 and CloudWatch (the global DNS stack's outputs name them)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.integration.lookups import alarm_metrics
from tests.integration.rehearsal import DNS_REGION, Deployment

pytestmark = pytest.mark.integration

HTTPS_PORT = 443
REQUEST_SECONDS = 10


def _regions(deployment: Deployment) -> list[tuple[str, str, dict[str, str]]]:
    """(role, region, that region's service-stack outputs), primary first."""
    found = [("Primary", deployment.settings.region, deployment.service)]
    if deployment.settings.standby is not None:
        found.append(("Standby", deployment.settings.standby.region, deployment.standby))
    return found


def _health_check(deployment: Deployment, role: str) -> dict[str, Any]:
    check_id = deployment.dns[f"{role}HealthCheckId"]
    found = deployment.client("route53").get_health_check(HealthCheckId=check_id)
    return dict(found["HealthCheck"]["HealthCheckConfig"])


def _records(deployment: Deployment, name: str) -> list[dict[str, Any]]:
    zone = deployment.settings.hosted_zone_id
    answer = deployment.client("route53").list_resource_record_sets(
        HostedZoneId=zone, StartRecordName=name, StartRecordType="A"
    )["ResourceRecordSets"]
    return [r for r in answer if (r["Name"].rstrip("."), r["Type"]) == (name, "A")]


def test_r11_each_region_is_checked_over_https_443_on_its_own_name(deployment: Deployment) -> None:
    for role, region, outputs in _regions(deployment):
        url = urlparse(outputs["ServiceUrl"])
        assert url.hostname == f"{region}.{deployment.settings.domain_name}"
        config = _health_check(deployment, role)
        assert {key: config[key] for key in ("Type", "Port", "ResourcePath", "FullyQualifiedDomainName")} == {
            "Type": "HTTPS",
            "Port": HTTPS_PORT,
            "ResourcePath": "/health",
            "FullyQualifiedDomainName": url.hostname,
        }
        assert (config["RequestInterval"], config["FailureThreshold"]) == (
            deployment.settings.dns_health_check_interval_seconds,
            deployment.settings.dns_failure_threshold,
        )


def test_r11_health_check_sends_sni_and_measures_latency_from_the_configured_regions(deployment: Deployment) -> None:
    deployment.not_emulated("health-check-options")
    config = _health_check(deployment, "Primary")
    assert (config["EnableSNI"], config["MeasureLatency"]) == (True, True)
    assert sorted(config["Regions"]) == sorted(deployment.settings.dns_health_check_regions)


def test_r18_each_regional_name_aliases_its_own_regions_alb(deployment: Deployment) -> None:
    for _, region, outputs in _regions(deployment):
        (record,) = _records(deployment, f"{region}.{deployment.settings.domain_name}")
        alias = record["AliasTarget"]
        assert alias["DNSName"].rstrip(".").lower().removeprefix("dualstack.") == outputs["LoadBalancerDnsName"].lower()
        assert alias["EvaluateTargetHealth"] is True
        assert "Failover" not in record


def test_r18_the_domain_fails_over_between_the_regional_names_on_their_checks(deployment: Deployment) -> None:
    records = _records(deployment, deployment.settings.domain_name)
    if deployment.settings.standby is None:
        (record,) = records
        assert "Failover" not in record
        assert "HealthCheckId" not in record
        return
    by_role = {r["Failover"]: r for r in records}
    assert set(by_role) == {"PRIMARY", "SECONDARY"}
    # With regionFailback manual (the default with a standby) the PRIMARY record answers to the failback gate, a
    # calculated check over the primary's own (docs/decisions/0010-failback-gate.md); SECONDARY to its own check.
    manual = deployment.settings.region_failback == "manual"
    for failover, (role, region, _) in zip(("PRIMARY", "SECONDARY"), _regions(deployment), strict=True):
        record = by_role[failover]
        gated = manual and failover == "PRIMARY"
        expected = deployment.dns["FailbackGateId"] if gated else deployment.dns[f"{role}HealthCheckId"]
        assert record["HealthCheckId"] == expected
        assert record["AliasTarget"]["DNSName"].rstrip(".") == f"{region}.{deployment.settings.domain_name}"
        assert record["AliasTarget"]["EvaluateTargetHealth"] is True
        # Failure 11: the check never probes the name of the record it is attached to.
        assert _health_check(deployment, role)["FullyQualifiedDomainName"] != record["Name"].rstrip(".")


def test_r11_us_east_1_alarms_watch_every_regional_check(deployment: Deployment) -> None:
    """Route 53 publishes health-check metrics only in us-east-1, where the checks and their alarms live."""
    cloudwatch = deployment.client("cloudwatch", DNS_REGION)
    topic = deployment.dns["DnsTopicArn"]
    for role, _, _ in _regions(deployment):
        (alarm,) = cloudwatch.describe_alarms(AlarmNames=[deployment.dns[f"{role}DnsHealthAlarmName"]])["MetricAlarms"]
        assert alarm_metrics(alarm) == [
            ("AWS/Route53", "HealthCheckStatus", {"HealthCheckId": deployment.dns[f"{role}HealthCheckId"]})
        ]
        assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["TreatMissingData"]) == (
            "LessThanThreshold",
            1,
            "breaching",
        )
        assert (alarm["AlarmActions"], alarm["OKActions"]) == ([topic], [topic])


def test_r18_failover_event_alarms_notify_the_dns_topic(deployment: Deployment) -> None:
    if deployment.settings.standby is None:
        pytest.skip("a single-region deployment has no region failover alarms")
    cloudwatch = deployment.client("cloudwatch", DNS_REGION)
    prefix = deployment.names.alarm_prefix
    names = [f"{prefix}-TrafficOnStandby", f"{prefix}-BothRegionsDown"]
    alarms = cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(names)
    for alarm in alarms:
        assert alarm["AlarmActions"] == alarm["OKActions"] == [deployment.dns["DnsTopicArn"]]


def test_r11_service_url_answers_200_with_the_serving_az(deployment: Deployment) -> None:
    deployment.not_emulated("live-endpoint")
    with urllib.request.urlopen(deployment.dns["ServiceUrl"], timeout=REQUEST_SECONDS) as response:
        assert response.status == 200
        answer = json.load(response)
    assert answer["status"] == "ok"
    assert answer["availabilityZone"] in deployment.settings.availability_zones
