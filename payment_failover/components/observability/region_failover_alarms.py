"""Region failover alarms (R11, R18): each regional check failed, traffic on the standby, both regions down.

They live in us-east-1 next to the checks, where SPEC R11 places alarms on Route 53 health-check metrics
(`HealthCheckStatus`: "1 indicates healthy and 0 indicates unhealthy",
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html).

With the Minimum statistic a minute counts as healthy only if the check was healthy throughout it. The two
region-level conditions are products of those 0/1 series, so no logical operator is needed and tests evaluate
them exactly (tests/helpers/cloudwatch_model.py):
- traffic on the standby: (1 - primary) x standby = 1 only when the primary failed and the standby is
  healthy, which is when Route 53 answers with the SECONDARY record;
- both regions unhealthy: (1 - primary) x (1 - standby) = 1 only when both failed; Route 53 then answers
  with the PRIMARY record anyway ("When the secondary resource record set is unhealthy, Route 53 responds to
  DNS queries with the applicable value from the primary resource record set regardless of the health of the
  primary", https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html), so this
  alarm means no region is serving.
A minute without a datapoint counts as failed (FILL with 0): Route 53 reporting nothing is not health.

With the failback gate (`regionFailback=manual`) the PRIMARY record's check is the gate, not the primary's HTTPS
check, so `TrafficOnStandby` reads the gate: it is in ALARM exactly while Route 53 answers with the SECONDARY,
including while the closed gate holds clients on a healthy primary's standby, and returns to OK only when the gate
is opened and passes. That alarm entering ALARM is what closes the gate (components/edge/failback_latch.py).
`BothRegionsDown` keeps reading the two regions' own checks.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_sns as sns
from constructs import Construct

from payment_failover.components.edge.dns_failover import RegionCheck, health_check_status_metric
from payment_failover.components.observability.alarms import DNS_HEALTH, notify
from payment_failover.components.observability.metrics import PERIOD

TRAFFIC_ON_STANDBY = "(1 - FILL(primary, 0)) * FILL(standby, 0)"
BOTH_REGIONS_DOWN = "(1 - FILL(primary, 0)) * (1 - FILL(standby, 0))"


class RegionFailoverAlarms(Construct):
    """An alarm per regional check, and with a standby the two region-level alarms, all on `topic`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        checks: Sequence[RegionCheck],
        topic: sns.ITopic,
        name_prefix: str,
        failback_gate: route53.HealthCheck | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.check_alarms: list[cloudwatch.Alarm] = []
        for role, check in zip(("Primary", "Standby"), checks, strict=False):
            alarm = cloudwatch.Alarm(
                self,
                f"{role}HealthCheckFailed",
                alarm_name=f"{name_prefix}-{check.region}-DnsHealthCheckFailed",
                alarm_description=f"Route 53 sees https://{check.endpoint}/health ({role.lower()} region) as failed",
                metric=health_check_status_metric(
                    check.health_check.health_check_id, label=f"{check.region} health check"
                ),
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=DNS_HEALTH.evaluation_periods,
                datapoints_to_alarm=DNS_HEALTH.datapoints_to_alarm,
                # Missing data means Route 53 stopped reporting: treat it as a failed check.
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
            notify(alarm, topic)
            self.check_alarms.append(alarm)

        self.traffic_on_standby: cloudwatch.Alarm | None = None
        self.both_regions_down: cloudwatch.Alarm | None = None
        if len(checks) < 2:
            return
        self._region_alarms(checks[0], checks[1], topic=topic, name_prefix=name_prefix, failback_gate=failback_gate)

    def _region_alarms(
        self,
        primary: RegionCheck,
        standby: RegionCheck,
        *,
        topic: sns.ITopic,
        name_prefix: str,
        failback_gate: route53.HealthCheck | None,
    ) -> None:
        """TrafficOnStandby on the PRIMARY record's check (the gate, if any), BothRegionsDown on the regions' own."""
        series: dict[str, cloudwatch.IMetric] = {
            "primary": health_check_status_metric(primary.health_check.health_check_id),
            "standby": health_check_status_metric(standby.health_check.health_check_id),
        }
        primary_record = {"primary": health_check_status_metric(failback_gate.health_check_id)} if failback_gate else {}
        self.traffic_on_standby = self._region_alarm(
            "TrafficOnStandby",
            f"{name_prefix}-TrafficOnStandby",
            (
                f"The PRIMARY record's check (the failback gate over {primary.region}'s) is unhealthy and "
                f"{standby.region} is healthy: Route 53 sends clients to the standby, and the gate closes until an "
                "operator opens it"
                if failback_gate
                else f"{primary.region} failed its check and {standby.region} is healthy: Route 53 sends clients to "
                "the standby"
            ),
            TRAFFIC_ON_STANDBY,
            series | primary_record,
            topic,
        )
        self.both_regions_down = self._region_alarm(
            "BothRegionsDown",
            f"{name_prefix}-BothRegionsDown",
            f"Both {primary.region} and {standby.region} failed their checks: no region serves the payment service",
            BOTH_REGIONS_DOWN,
            series,
            topic,
        )

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        return [*self.check_alarms, *(a for a in (self.traffic_on_standby, self.both_regions_down) if a)]

    def _region_alarm(
        self,
        id_: str,
        name: str,
        description: str,
        expression: str,
        series: dict[str, cloudwatch.IMetric],
        topic: sns.ITopic,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            id_,
            alarm_name=name,
            alarm_description=description,
            metric=cloudwatch.MathExpression(expression=expression, using_metrics=series, period=PERIOD, label=id_),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=DNS_HEALTH.evaluation_periods,
            datapoints_to_alarm=DNS_HEALTH.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        notify(alarm, topic)
        return alarm
