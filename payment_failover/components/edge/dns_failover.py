"""DNS failover (R11, R18): a regional name per region, and the global records and health checks that use them.

Each region's service stack publishes its own endpoint, `<region>.<domain>`, a simple alias to its ALB
(`RegionalEndpoint`). The global DNS stack (us-east-1) holds everything global: one Route 53 HTTPS health
check per region, aimed at that region's name, and the records clients resolve (`GlobalDns`).

Why the checks never target the record they are attached to: the Route 53 API reference says that when
`FullyQualifiedDomainName` matches the name of the records a health check is associated with, "health check
results will be unpredictable"
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html); with a SECONDARY in
place the checkers would resolve to the standby during an outage, report healthy and the record would flap.

Why nothing crosses a region: the failover records alias the regional *names* (a failover alias may target
"another record in this hosted zone",
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-failover-alias.html), so
the global stack needs no ALB DNS name or zone id from another region; every value it uses is a setting.

Failback gate (`regionFailback=manual`, docs/decisions/0010-failback-gate.md): the PRIMARY record carries a
CALCULATED check whose one child is the primary's HTTPS check. With `HealthThreshold` 1 it follows the child;
an operator sets it to 2, more than its children, and "Route 53 always considers this health check to be
unhealthy" (https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html), so clients
stay on the SECONDARY however healthy the primary is, until the operator sets it back to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import jsii
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from payment_failover.components.edge.load_balancer import HEALTH_CHECK_PATH, HTTPS_PORT
from payment_failover.components.observability.metrics import PERIOD

# The calculated gate's HealthThreshold: open follows its one child (the primary's check); closed asks for more
# healthy children than it has, which Route 53 treats as always unhealthy (UpdateHealthCheck, HealthThreshold).
GATE_OPEN = 1
GATE_CLOSED = 2

# Route 53 publishes health-check metrics in this region only.
ROUTE53_METRICS_REGION = "us-east-1"


def regional_name(region: str, domain_name: str) -> str:
    """The name that reaches exactly one region's ALB: eu-central-1.payments.example.com."""
    return f"{region}.{domain_name}"


@jsii.implements(targets.IAliasRecordTargetProps)
class _EvaluateTargetHealth:
    """Alias answers only while the ALB itself has healthy targets."""

    @property
    def evaluate_target_health(self) -> bool:
        return True


@jsii.implements(route53.IAliasRecordTarget)
class _RecordInThisZone:
    """An alias to another record of the same hosted zone, named by a plain string (no cross-stack token)."""

    def __init__(self, *, name: str, zone_id: str, evaluate_target_health: bool) -> None:
        self._config = route53.AliasRecordTargetConfig(
            dns_name=name, hosted_zone_id=zone_id, evaluate_target_health=evaluate_target_health
        )

    def bind(
        self, record: route53.IRecordSet, zone: route53.IHostedZone | None = None
    ) -> route53.AliasRecordTargetConfig:
        return self._config


def health_check_status_metric(health_check_id: str, *, label: str = "Route 53 health check") -> cloudwatch.Metric:
    """1 while the endpoint is healthy, 0 when Route 53 considers it failed."""
    return cloudwatch.Metric(
        namespace="AWS/Route53",
        metric_name="HealthCheckStatus",
        dimensions_map={"HealthCheckId": health_check_id},
        statistic="Minimum",
        period=PERIOD,
        region=ROUTE53_METRICS_REGION,
        label=f"{label} (1 = healthy)",
    )


class RegionalEndpoint(Construct):
    """`<region>.<domain>`: a simple alias to this region's ALB, the name the region's health check targets.

    The certificate covers this name too (components/edge/certificate.py), so the check's HTTPS handshake with SNI
    succeeds exactly as a client's does.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        domain_name: str,
        region: str,
        hosted_zone: route53.IHostedZone,
        load_balancer: elbv2.IApplicationLoadBalancer,
    ) -> None:
        super().__init__(scope, id_)
        self.name = regional_name(region, domain_name)
        self.record = route53.ARecord(
            self,
            "Record",
            zone=hosted_zone,
            record_name=self.name,
            target=route53.RecordTarget.from_alias(
                targets.LoadBalancerTarget(
                    load_balancer, cast(targets.IAliasRecordTargetProps, _EvaluateTargetHealth())
                )
            ),
        )


@dataclass(frozen=True)
class RegionCheck:
    """One region's health check and the name it probes."""

    region: str
    endpoint: str
    health_check: route53.HealthCheck


class GlobalDns(Construct):
    """One HTTPS health check per regional endpoint, and the records `domain_name` resolves through.

    With a standby: a PRIMARY and a SECONDARY failover alias, each tied to its own region's check and with
    `EvaluateTargetHealth` on (required for failover alias records: "For failover alias resource record sets,
    you must also include the EvaluateTargetHealth element and set the value to true",
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html). The check adds what
    target health cannot see: the path from the internet through TLS to `/health`.

    Without a standby: a simple alias to the only region. A failover record alone would not fail over to
    anything ("If the health check status for all resource record sets in the group is unhealthy, Route 53
    considers all resource record sets in the group healthy", same page), so it does not pretend to.
    The region's check still runs, for its alarm.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        domain_name: str,
        hosted_zone: route53.IHostedZone,
        regions: Sequence[str],
        request_interval_seconds: int,
        failure_threshold: int,
        checker_regions: Sequence[str],
        manual_failback: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        self._health_checks(
            domain_name=domain_name,
            regions=regions,
            request_interval_seconds=request_interval_seconds,
            failure_threshold=failure_threshold,
            checker_regions=checker_regions,
        )
        self.failback_gate = self._failback_gate() if manual_failback and len(self.checks) > 1 else None
        self._records(domain_name=domain_name, hosted_zone=hosted_zone)

    def _failback_gate(self) -> route53.HealthCheck:
        """The operator's switch: a CALCULATED check over the primary's HTTPS check, deployed open.

        The template always says open (`HealthThreshold` 1); the operator's `update-health-check --health-threshold`
        is the only thing that closes it. CloudFormation writes the property again only when this resource's
        template properties change (its child is replaced when `dnsHealthCheckIntervalSeconds` changes).
        """
        return route53.HealthCheck(
            self,
            "FailbackGate",
            type=route53.HealthCheckType.CALCULATED,
            child_health_checks=[self.checks[0].health_check],
            health_threshold=GATE_OPEN,
        )

    def _health_checks(
        self,
        *,
        domain_name: str,
        regions: Sequence[str],
        request_interval_seconds: int,
        failure_threshold: int,
        checker_regions: Sequence[str],
    ) -> None:
        """One HTTPS check per region, aimed at its regional name, never at the record it is attached to."""
        self.checks: list[RegionCheck] = []
        for role, region in zip(("Primary", "Standby"), regions, strict=False):
            endpoint = regional_name(region, domain_name)
            health_check = route53.HealthCheck(
                self,
                f"{role}HealthCheck",
                type=route53.HealthCheckType.HTTPS,
                fqdn=endpoint,
                port=HTTPS_PORT,
                resource_path=HEALTH_CHECK_PATH,
                enable_sni=True,
                request_interval=Duration.seconds(request_interval_seconds),
                failure_threshold=failure_threshold,
                measure_latency=True,
                regions=list(checker_regions),
            )
            self.checks.append(RegionCheck(region, endpoint, health_check))

    def _records(self, *, domain_name: str, hosted_zone: route53.IHostedZone) -> None:
        """The records clients resolve: failover aliases with a standby, a simple alias to the only region without."""

        def alias(endpoint: str, *, evaluate: bool) -> route53.RecordTarget:
            return route53.RecordTarget.from_alias(
                _RecordInThisZone(name=endpoint, zone_id=hosted_zone.hosted_zone_id, evaluate_target_health=evaluate)
            )

        self.records: list[route53.ARecord] = []
        if len(self.checks) == 1:
            (only,) = self.checks
            self.records.append(
                route53.ARecord(
                    self,
                    "Record",
                    zone=hosted_zone,
                    record_name=domain_name,
                    target=alias(only.endpoint, evaluate=False),
                )
            )
            return
        for check, failover in zip(self.checks, (route53.Failover.PRIMARY, route53.Failover.SECONDARY), strict=True):
            self.records.append(
                route53.ARecord(
                    self,
                    f"{failover.value.capitalize()}Record",
                    zone=hosted_zone,
                    record_name=domain_name,
                    target=alias(check.endpoint, evaluate=True),
                    failover=failover,
                    set_identifier=f"{failover.value.lower()}-{check.region}",
                    health_check=(
                        self.failback_gate
                        if failover is route53.Failover.PRIMARY and self.failback_gate
                        else check.health_check
                    ),
                )
            )
