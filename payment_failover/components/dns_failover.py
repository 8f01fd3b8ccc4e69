"""DNS failover (R11): a Route 53 HTTPS health check of the public endpoint and a PRIMARY failover alias."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import jsii
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from payment_failover.components.load_balancer import HEALTH_CHECK_PATH, HTTPS_PORT
from payment_failover.components.metrics import PERIOD

# Route 53 publishes health-check metrics in this region only.
ROUTE53_METRICS_REGION = "us-east-1"


@jsii.implements(targets.IAliasRecordTargetProps)
class _EvaluateTargetHealth:
    """Alias answers only while the ALB itself has healthy targets."""

    @property
    def evaluate_target_health(self) -> bool:
        return True


def health_check_status_metric(health_check_id: str) -> cloudwatch.Metric:
    """1 while the endpoint is healthy, 0 when Route 53 considers it failed."""
    return cloudwatch.Metric(
        namespace="AWS/Route53",
        metric_name="HealthCheckStatus",
        dimensions_map={"HealthCheckId": health_check_id},
        statistic="Minimum",
        period=PERIOD,
        region=ROUTE53_METRICS_REGION,
        label="Route 53 health check (1 = healthy)",
    )


class DnsFailover(Construct):
    """Checks the service exactly as a client reaches it (HTTPS, SNI, /health) and routes on the result."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        domain_name: str,
        hosted_zone: route53.IHostedZone,
        load_balancer: elbv2.IApplicationLoadBalancer,
        request_interval_seconds: int,
        failure_threshold: int,
        checker_regions: Sequence[str],
    ) -> None:
        super().__init__(scope, id_)
        self.health_check = route53.HealthCheck(
            self,
            "HealthCheck",
            type=route53.HealthCheckType.HTTPS,
            fqdn=domain_name,
            port=HTTPS_PORT,
            resource_path=HEALTH_CHECK_PATH,
            enable_sni=True,
            request_interval=Duration.seconds(request_interval_seconds),
            failure_threshold=failure_threshold,
            measure_latency=True,
            regions=list(checker_regions),
        )
        self.record = route53.ARecord(
            self,
            "PrimaryRecord",
            zone=hosted_zone,
            record_name=domain_name,
            target=route53.RecordTarget.from_alias(
                targets.LoadBalancerTarget(
                    load_balancer, cast(targets.IAliasRecordTargetProps, _EvaluateTargetHealth())
                )
            ),
            failover=route53.Failover.PRIMARY,
            set_identifier=f"primary-{load_balancer.stack.region}",
            health_check=self.health_check,
        )
