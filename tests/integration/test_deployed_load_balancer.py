"""R3, R4, R7 on the deployed ALB: public HTTPS entry, redirect-only HTTP, the health check, security groups."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from payment_failover.components.edge.load_balancer import HealthCheckTiming
from tests.integration.lookups import (
    launch_template_data,
    listeners_by_port,
    load_balancer,
    security_group,
    subnets,
    target_group,
)
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration

ANYWHERE = "0.0.0.0/0"


def _rules(permissions: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """(protocol, from port, to port, CIDR or security group) of every rule."""
    return {
        (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), peer)
        for p in permissions
        for peer in [r["CidrIp"] for r in p.get("IpRanges", [])] + [g["GroupId"] for g in p.get("UserIdGroupPairs", [])]
    }


def _alb_group_id(deployment: Deployment) -> str:
    (group_id,) = load_balancer(deployment)["SecurityGroups"]
    return str(group_id)


def _instance_group_id(deployment: Deployment) -> str:
    (group_id,) = launch_template_data(deployment)["SecurityGroupIds"]
    return str(group_id)


def test_r3_alb_is_internet_facing_across_the_three_public_subnets(deployment: Deployment) -> None:
    alb = load_balancer(deployment)
    assert (alb["Type"], alb["Scheme"], alb["VpcId"]) == ("application", "internet-facing", deployment.service["VpcId"])
    assert {zone["SubnetId"] for zone in alb["AvailabilityZones"]} == {
        subnet["SubnetId"] for subnet in subnets(deployment, "public")
    }
    assert alb["DNSName"] == deployment.service["LoadBalancerDnsName"]


def test_r3_alb_listens_on_443_and_80_only(deployment: Deployment) -> None:
    assert sorted(listeners_by_port(deployment)) == [80, 443]


def test_r3_https_443_terminates_tls_13_with_the_services_certificate_and_forwards(deployment: Deployment) -> None:
    https = listeners_by_port(deployment)[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-"), https["SslPolicy"]
    (action,) = https["DefaultActions"]
    assert (action["Type"], action["TargetGroupArn"]) == ("forward", deployment.service["TargetGroupArn"])
    (certificate,) = (c["CertificateArn"] for c in https["Certificates"])
    if deployment.settings.certificate_arn:
        assert certificate == deployment.settings.certificate_arn
    described = deployment.client("acm").describe_certificate(CertificateArn=certificate)["Certificate"]
    names = {described["DomainName"], *described.get("SubjectAlternativeNames", [])}
    assert urlparse(deployment.service["ServiceUrl"]).hostname in names
    assert described["Status"] == "ISSUED"


def test_r3_http_80_only_redirects_permanently_to_https_443(deployment: Deployment) -> None:
    http = listeners_by_port(deployment)[80]
    assert http["Protocol"] == "HTTP"
    (action,) = http["DefaultActions"]
    assert action["Type"] == "redirect"
    redirect = action["RedirectConfig"]
    assert (redirect["Protocol"], redirect["Port"], redirect["StatusCode"]) == ("HTTPS", "443", "HTTP_301")


def test_r3_cross_zone_balancing_on_invalid_headers_dropped_access_logged(deployment: Deployment) -> None:
    deployment.not_emulated("load-balancer-attributes")
    attributes = deployment.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=deployment.service["LoadBalancerArn"]
    )["Attributes"]
    values = {attribute["Key"]: attribute["Value"] for attribute in attributes}
    assert values["load_balancing.cross_zone.enabled"] == "true"
    assert values["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert values["access_logs.s3.enabled"] == "true"


def test_r4_target_group_checks_health_on_the_configured_interval(deployment: Deployment) -> None:
    timing = HealthCheckTiming(interval_seconds=deployment.settings.health_check_interval_seconds)
    group = target_group(deployment)
    assert {
        "protocol": group["HealthCheckProtocol"],
        "port": group["HealthCheckPort"],
        "path": group["HealthCheckPath"],
        "interval": group["HealthCheckIntervalSeconds"],
        "timeout": group["HealthCheckTimeoutSeconds"],
        "healthy after": group["HealthyThresholdCount"],
        "unhealthy after": group["UnhealthyThresholdCount"],
        "success codes": group["Matcher"]["HttpCode"],
    } == {
        "protocol": "HTTP",
        "port": "traffic-port",
        "path": "/health",
        "interval": timing.interval_seconds,
        "timeout": timing.timeout_seconds,
        "healthy after": timing.healthy_threshold,
        "unhealthy after": timing.unhealthy_threshold,
        "success codes": "200",
    }
    assert group["LoadBalancerArns"] == [deployment.service["LoadBalancerArn"]]
    assert group["TargetType"] == "instance"


def test_r4_target_group_drains_a_failed_target_quickly(deployment: Deployment) -> None:
    deployment.not_emulated("target-group-attributes")
    timing = HealthCheckTiming(interval_seconds=deployment.settings.health_check_interval_seconds)
    attributes = deployment.client("elbv2").describe_target_group_attributes(
        TargetGroupArn=deployment.service["TargetGroupArn"]
    )["Attributes"]
    values = {attribute["Key"]: attribute["Value"] for attribute in attributes}
    assert values["deregistration_delay.timeout_seconds"] == str(timing.deregistration_delay_seconds)


def test_r7_alb_accepts_only_443_and_80_from_the_internet(deployment: Deployment) -> None:
    group = security_group(deployment, _alb_group_id(deployment))
    assert _rules(group["IpPermissions"]) == {("tcp", 443, 443, ANYWHERE), ("tcp", 80, 80, ANYWHERE)}


def test_r7_instances_accept_the_service_port_from_the_alb_security_group_only(deployment: Deployment) -> None:
    port = target_group(deployment)["Port"]
    group = security_group(deployment, _instance_group_id(deployment))
    assert _rules(group["IpPermissions"]) == {("tcp", port, port, _alb_group_id(deployment))}


def test_r7_alb_sends_traffic_only_to_the_instances_service_port(deployment: Deployment) -> None:
    port = target_group(deployment)["Port"]
    group = security_group(deployment, _alb_group_id(deployment))
    assert _rules(group["IpPermissionsEgress"]) == {("tcp", port, port, _instance_group_id(deployment))}


def test_r7_every_security_group_rule_has_a_description(deployment: Deployment) -> None:
    deployment.not_emulated("rule-descriptions")
    for group_id in (_alb_group_id(deployment), _instance_group_id(deployment)):
        group = security_group(deployment, group_id)
        for permission in group["IpPermissions"] + group["IpPermissionsEgress"]:
            for peer in permission.get("IpRanges", []) + permission.get("UserIdGroupPairs", []):
                assert peer.get("Description"), f"{group_id}: {permission['IpProtocol']} {permission.get('FromPort')}"
