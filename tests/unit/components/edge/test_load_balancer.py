"""R3, R4, R7: HTTPS-only ALB across the public subnets, an explicit health check, described rules."""

from __future__ import annotations

import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from payment_failover.components.edge.load_balancer import HealthCheckTiming, LoadBalancer
from tests.helpers.support import single, stack_with_network

CERT_ARN = "arn:aws:acm:eu-central-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"


def _template(interval: int) -> Template:
    stack, network = stack_with_network()
    LoadBalancer(
        stack,
        "LoadBalancer",
        vpc=network.vpc,
        subnets=network.public_subnets,
        certificate=acm.Certificate.from_certificate_arn(stack, "Cert", CERT_ARN),
        target_port=8080,
        health_check=HealthCheckTiming(interval_seconds=interval),
        load_balancer_name="pf-alb-test",
        target_group_name="pf-tg-test",
        access_log_bucket=s3.Bucket(stack, "Logs"),
    )
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def template() -> Template:
    return _template(interval=30)


def test_r3_internet_facing_alb_over_the_three_public_subnets(template: Template) -> None:
    alb = single(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert alb["Scheme"] == "internet-facing"
    public = template.find_resources(
        "AWS::EC2::Subnet",
        {"Properties": {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-name", "Value": "public"}])}},
    )
    assert sorted(ref["Ref"] for ref in alb["Subnets"]) == sorted(public)


def test_r3_cross_zone_on_and_invalid_headers_dropped(template: Template) -> None:
    attributes = {
        a["Key"]: a["Value"]
        for a in single(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
    }
    assert attributes["load_balancing.cross_zone.enabled"] == "true"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"


def test_r3_r19_https_listener_on_443_with_certificate_and_gcm_only_tls13_policy_forwards_to_targets(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 443,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": CERT_ARN}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": Match.any_value()}],
        },
    )


def test_r3_port_80_only_redirects_to_https(template: Template) -> None:
    template.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 2)
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
            ],
        },
    )


def test_r4_health_check_on_health_every_30_seconds_with_explicit_thresholds(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "Port": 8080,
            "Protocol": "HTTP",
            "HealthCheckPath": "/health",
            "HealthCheckProtocol": "HTTP",
            "HealthCheckIntervalSeconds": 30,
            "HealthCheckTimeoutSeconds": 5,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 2,
            "Matcher": {"HttpCode": "200"},
            "TargetGroupAttributes": Match.array_with([{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]),
        },
    )


def test_r4_interval_is_configurable_and_timeout_stays_below_it() -> None:
    props = single(_template(interval=5), "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert props["HealthCheckIntervalSeconds"] == 5
    assert props["HealthCheckTimeoutSeconds"] == 4


def test_r4_detection_time_is_interval_times_unhealthy_threshold() -> None:
    timing = HealthCheckTiming(interval_seconds=30)
    assert timing.seconds_to_mark_unhealthy == 60
    assert timing.seconds_to_mark_healthy == 60


def test_r7_alb_accepts_only_443_and_80_from_the_internet_with_descriptions(template: Template) -> None:
    sg = template.find_resources(
        "AWS::EC2::SecurityGroup", {"Properties": {"GroupDescription": Match.string_like_regexp("Payment ALB")}}
    )
    (props,) = [resource["Properties"] for resource in sg.values()]
    rules = {(rule["FromPort"], rule["ToPort"], rule["CidrIp"]) for rule in props["SecurityGroupIngress"]}
    assert rules == {(443, 443, "0.0.0.0/0"), (80, 80, "0.0.0.0/0")}
    assert all(rule["Description"].strip() for rule in props["SecurityGroupIngress"])


def test_r17_automatic_target_weights_isolate_a_failing_target(template: Template) -> None:
    """Anomaly mitigation needs weighted random, which excludes slow start and stickiness (ELB docs)."""
    (group,) = template.find_resources("AWS::ElasticLoadBalancingV2::TargetGroup").values()
    attributes = {a["Key"]: a["Value"] for a in group["Properties"]["TargetGroupAttributes"]}
    assert attributes["load_balancing.algorithm.type"] == "weighted_random"
    assert attributes["load_balancing.algorithm.anomaly_mitigation"] == "on"
    assert attributes.get("slow_start.duration_seconds", "0") == "0"
    assert attributes.get("stickiness.enabled", "false") == "false"


def test_zonal_shift_is_enabled_on_the_alb(template: Template) -> None:
    alb = single(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
    assert attributes["zonal_shift.config.enabled"] == "true"


def test_access_logs_go_to_the_given_bucket(template: Template) -> None:
    alb = single(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    (bucket_id,) = template.find_resources("AWS::S3::Bucket")
    assert attributes["access_logs.s3.bucket"] == {"Ref": bucket_id}


def test_r19_the_payment_entry_point_has_deletion_protection(template: Template) -> None:
    attributes = {
        a["Key"]: a["Value"]
        for a in single(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
    }
    assert attributes["deletion_protection.enabled"] == "true"
