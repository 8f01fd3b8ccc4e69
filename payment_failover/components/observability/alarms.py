"""Failover alarms (R8, R17): per-AZ healthy hosts, no healthy target at all, unhealthy hosts, 5xx rates,
latency, in-service capacity.

Each alarm is described by an `AlarmRule` so its time from failure to notification can be computed
from the same numbers that build it (README, "What pages whom").

Statistics are the ones the ELB metrics page names for each metric
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
Sum for the 5xx and request counts; Minimum/Maximum for the host counts, which every load balancer
node reports on its own ("Minimum" is the worst node's view, "Maximum" the best node's); a percentile
for TargetResponseTime. Missing data follows
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from payment_failover.components.observability.metrics import PERIOD, WebTierMetrics
from payment_failover.components.served_fleet import AlarmPolicy, ServedFleet

PERIOD_SECONDS = int(PERIOD.to_seconds())
MIN_HEALTHY_PER_AZ = 2


@dataclass(frozen=True)
class AlarmRule:
    """How long a condition must hold before the alarm fires."""

    evaluation_periods: int
    datapoints_to_alarm: int
    period_seconds: int = PERIOD_SECONDS

    @property
    def seconds_to_fire(self) -> int:
        return self.datapoints_to_alarm * self.period_seconds


PER_AZ_HEALTHY = AlarmRule(evaluation_periods=1, datapoints_to_alarm=1)
NO_HEALTHY_TARGET = AlarmRule(evaluation_periods=1, datapoints_to_alarm=1)
UNHEALTHY_HOSTS = AlarmRule(evaluation_periods=2, datapoints_to_alarm=2)
# 2 of 3, not 2 of 2: FILL turns a minute whose counts arrive late into 0/0 (dropped), and the metric math
# page advises an M-out-of-N alarm so a late minute cannot hold the alarm in one state.
ERROR_RATE = AlarmRule(evaluation_periods=3, datapoints_to_alarm=2)
LATENCY = AlarmRule(evaluation_periods=3, datapoints_to_alarm=3)
IN_SERVICE = AlarmRule(evaluation_periods=5, datapoints_to_alarm=5)
SERVING_CAPACITY = AlarmRule(evaluation_periods=2, datapoints_to_alarm=2)
DNS_HEALTH = AlarmRule(evaluation_periods=1, datapoints_to_alarm=1)


def serving_floor(*, min_capacity: int, zones: int) -> int:
    """Healthy targets the prescaled design needs: the balanced minimum without one AZ's share."""
    return min_capacity - min_capacity // zones


class FailoverAlarms(Construct):
    """Every regional alarm, each with alarm and OK actions on the failover topic."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        fleet: ServedFleet,
        policy: AlarmPolicy,
    ) -> None:
        super().__init__(scope, id_)
        metrics, availability_zones, min_capacity = fleet.metrics, fleet.availability_zones, fleet.min_capacity
        latency_p99_threshold_ms, error_rate_percent = policy.latency_p99_threshold_ms, policy.error_rate_percent
        topic, name_prefix = policy.topic, policy.name_prefix
        self._topic = topic
        self._prefix = name_prefix
        self.alarms: list[cloudwatch.Alarm] = []

        self._host_health_alarms(metrics, availability_zones)
        self._error_and_latency_alarms(metrics, error_rate_percent, latency_p99_threshold_ms)
        self._capacity_alarms(metrics, availability_zones, min_capacity)

    def _host_health_alarms(self, metrics: WebTierMetrics, availability_zones: tuple[str, ...]) -> None:
        """Healthy and unhealthy host counts, per AZ and target-group wide: an AZ or the whole fleet failing pages."""
        # An AZ that reports no data may have no healthy host at all: missing data counts as breaching.
        self.per_az_healthy = {
            az: self._alarm(
                f"HealthyHosts-{az}",
                metric=metrics.target_metric("HealthyHostCount", availability_zone=az, statistic="Minimum"),
                rule=PER_AZ_HEALTHY,
                threshold=MIN_HEALTHY_PER_AZ,
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                missing=cloudwatch.TreatMissingData.BREACHING,
                description=f"{az} has fewer than {MIN_HEALTHY_PER_AZ} healthy targets: the AZ is failing over",
            )
            for az in availability_zones
        }
        # The blind spot of per-AZ counts and error rates together: with no healthy target anywhere the ALB
        # answers every request itself. Maximum: even the load balancer node that sees the most healthy
        # targets sees none. No data means no registered target at all, which is the same outage.
        self.no_healthy_target = self._alarm(
            "NoHealthyTarget",
            metric=metrics.target_metric("HealthyHostCount", statistic="Maximum"),
            rule=NO_HEALTHY_TARGET,
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.BREACHING,
            description="No healthy target in the whole target group: every client request fails",
        )
        # AWS recommends alarming on a non-zero Minimum for more than one datapoint: every node agrees.
        self.unhealthy_hosts = self._alarm(
            "UnhealthyHosts",
            metric=metrics.target_metric("UnHealthyHostCount", statistic="Minimum"),
            rule=UNHEALTHY_HOSTS,
            threshold=0,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.NOT_BREACHING,
            description="Targets have been failing health checks for 2 minutes",
        )

    def _error_and_latency_alarms(
        self, metrics: WebTierMetrics, error_rate_percent: int, latency_p99_threshold_ms: int
    ) -> None:
        """5xx rates of the load balancer and the instances, and p99 latency: what clients feel, whatever the cause."""
        self.alb_5xx = self._alarm(
            "Alb5xxRate",
            metric=metrics.load_balancer_5xx_rate(),
            rule=ERROR_RATE,
            threshold=error_rate_percent,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.NOT_BREACHING,
            description=(
                f"More than {error_rate_percent}% of client requests get a 5xx from the load balancer, "
                "including the 503s it sends when no target can take them"
            ),
        )
        self.target_5xx = self._alarm(
            "Target5xxRate",
            metric=metrics.target_5xx_rate(),
            rule=ERROR_RATE,
            threshold=error_rate_percent,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.NOT_BREACHING,
            description=f"More than {error_rate_percent}% of requests get a 5xx from the instances",
        )
        self.latency_p99 = self._alarm(
            "LatencyP99",
            metric=metrics.target_metric("TargetResponseTime", statistic="p99"),
            rule=LATENCY,
            threshold=latency_p99_threshold_ms / 1000,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.NOT_BREACHING,
            description=f"p99 target response time above {latency_p99_threshold_ms} ms for 3 minutes",
        )

    def _capacity_alarms(self, metrics: WebTierMetrics, availability_zones: tuple[str, ...], min_capacity: int) -> None:
        """In-service and serving capacity: replacement that lags, and a zonal shift that leaves too few targets."""
        self.in_service = self._alarm(
            "InServiceBelowMinimum",
            metric=metrics.group_metric("GroupInServiceInstances", statistic="Minimum"),
            rule=IN_SERVICE,
            threshold=min_capacity,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.BREACHING,
            description=f"Fewer than {min_capacity} instances in service for 5 minutes: replacement is not keeping up",
        )
        # What the load balancer can send to, not what Auto Scaling counts: during a zonal shift the group keeps the
        # shifted AZ's instances InService and does not replace them (IgnoreUnhealthy: "instances will not be
        # replaced in the Availability Zone with the active zonal shift",
        # https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AvailabilityZoneImpairmentPolicy.html), so
        # InServiceBelowMinimum stays OK while fewer targets serve. The floor is what the prescaled design needs:
        # the instances of all AZs but one. Minimum: the worst load balancer node's count; no data is no target.
        self.serving_floor = serving_floor(min_capacity=min_capacity, zones=len(availability_zones))
        self.serving_capacity = self._alarm(
            "ServingCapacityBelowAzLoss",
            metric=metrics.target_metric("HealthyHostCount", statistic="Minimum"),
            rule=SERVING_CAPACITY,
            threshold=self.serving_floor,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.BREACHING,
            description=(
                f"Fewer than {self.serving_floor} healthy targets for 2 minutes: less than the "
                f"{len(availability_zones) - 1} remaining AZs must carry after losing one; a zonal shift does not "
                "replace the shifted AZ's instances"
            ),
        )

    def _alarm(
        self,
        id_: str,
        *,
        metric: cloudwatch.IMetric,
        rule: AlarmRule,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        missing: cloudwatch.TreatMissingData,
        description: str,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            id_,
            alarm_name=f"{self._prefix}-{id_}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=rule.evaluation_periods,
            datapoints_to_alarm=rule.datapoints_to_alarm,
            treat_missing_data=missing,
        )
        notify(alarm, self._topic)
        self.alarms.append(alarm)
        return alarm


def notify(alarm: cloudwatch.AlarmBase, topic: sns.ITopic) -> None:
    """Page on the way in and on recovery: the on-call engineer sees both edges of a failover."""
    action = actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
