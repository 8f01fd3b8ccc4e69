"""Gray-failure detection per AZ (R17): one AZ much worse than its peers while they are fine.

Per AZ, two detectors, the AZ's synthetic probe, and one composite alarm that pages on the failover topic:
- errors: the AZ's 5xx rate is above `errorRatePercent` *and* the AZ accounts for at least two thirds of
  the region's 5xx (twice its fair share of three), so a region-wide problem does not point at one AZ;
- latency: the AZ's p99 is above `latencyP99ThresholdMs` *and* at least twice the p99 of every other AZ;
- probe: the probe of the AZ's load balancer node fails (or is slow) *while at least one other AZ's passes*
  (probes.py): it sees the AZ with no client traffic at all, and a probe failing everywhere is the region's
  problem, which the regional probe pages for.
The composite is what an operator (or a person deciding on a zonal shift) acts on: shift this AZ away.

The rules take the "impact and outlier" pairing of AWS's construct library cdklabs/cdk-multi-az-observability
(evaluated and not adopted: README Decisions) and its static share rule, written here as plain metric math:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html (FILL, comparisons and
arithmetic; tests/helpers/cloudwatch_model.py evaluates them). Only the composite has actions, the use of composite
alarms to cut noise that https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-combining.html
describes.
The per-AZ metrics are the ALB's AvailabilityZone dimension
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from payment_failover.components.observability.alarms import AlarmRule, notify
from payment_failover.components.observability.metrics import PERIOD
from payment_failover.components.served_fleet import AlarmPolicy, ServedFleet

# One AZ of three with two thirds of the errors: twice its fair share.
ERROR_SHARE_PERCENT = 66
# One AZ's p99 at least this many times every other AZ's.
LATENCY_FACTOR = 2
# Sustained, not a blip: 3 of the last 5 minutes.
OUTLIER = AlarmRule(evaluation_periods=5, datapoints_to_alarm=3)


class GrayFailureAlarms(Construct):
    """`self.per_az[az]` pages when `az` alone is failing; `self.detectors` are its inputs (no actions)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        fleet: ServedFleet,
        policy: AlarmPolicy,
        probe_alarms: Mapping[str, cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, id_)
        metrics, availability_zones = fleet.metrics, fleet.availability_zones
        latency_p99_threshold_ms, error_rate_percent = policy.latency_p99_threshold_ms, policy.error_rate_percent
        topic, name_prefix = policy.topic, policy.name_prefix
        self.detectors: list[cloudwatch.Alarm] = []
        # Each AZ's 5xx outlier detector alone, which the zonal releases watch (components/delivery).
        self.error_outliers: dict[str, cloudwatch.Alarm] = {}
        self.per_az: dict[str, cloudwatch.CompositeAlarm] = {}
        latency_seconds = latency_p99_threshold_ms / 1000
        for az in availability_zones:
            others = [other for other in availability_zones if other != az]
            errors = self._detector(
                f"AzErrorOutlier-{az}",
                name_prefix,
                expression=f"(rate > {error_rate_percent}) * (share > {ERROR_SHARE_PERCENT})",
                using={"rate": metrics.az_error_rate(az), "share": metrics.az_error_share(az, availability_zones)},
                description=(
                    f"{az}: more than {error_rate_percent}% of its requests get a 5xx and it has at least "
                    f"{ERROR_SHARE_PERCENT}% of the region's 5xx"
                ),
            )
            self.error_outliers[az] = errors
            slower = " * ".join(f"(p99 > {LATENCY_FACTOR} * other{i})" for i in range(len(others)))
            latency = self._detector(
                f"AzLatencyOutlier-{az}",
                name_prefix,
                expression=f"(p99 > {latency_seconds:g}) * {slower}",
                using={"p99": metrics.az_latency(az)}
                | {f"other{i}": metrics.az_latency(other) for i, other in enumerate(others)},
                description=(
                    f"{az}: p99 above {latency_p99_threshold_ms} ms and at least {LATENCY_FACTOR}x every other AZ"
                ),
            )
            composite = cloudwatch.CompositeAlarm(
                self,
                f"AzOutlier-{az}",
                composite_alarm_name=f"{name_prefix}-AzOutlier-{az}",
                alarm_description=(
                    f"{az} is much worse than the other AZs while they are fine (gray failure): "
                    "consider a zonal shift of the ALB and the ASG away from it"
                ),
                alarm_rule=cloudwatch.AlarmRule.any_of(
                    cloudwatch.AlarmRule.from_alarm(errors, cloudwatch.AlarmState.ALARM),
                    cloudwatch.AlarmRule.from_alarm(latency, cloudwatch.AlarmState.ALARM),
                    *_probe_alone(az, probe_alarms),
                ),
            )
            notify(composite, topic)
            self.per_az[az] = composite

    def _detector(
        self, id_: str, name_prefix: str, *, expression: str, using: Mapping[str, cloudwatch.IMetric], description: str
    ) -> cloudwatch.Alarm:
        """A 1/0 metric-math signal; it has no actions of its own, the AZ's composite alarm notifies."""
        alarm = cloudwatch.Alarm(
            self,
            id_,
            alarm_name=f"{name_prefix}-{id_}",
            alarm_description=description,
            metric=cloudwatch.MathExpression(expression=expression, using_metrics=dict(using), period=PERIOD),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=OUTLIER.evaluation_periods,
            datapoints_to_alarm=OUTLIER.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.detectors.append(alarm)
        return alarm


def _probe_alone(az: str, probe_alarms: Mapping[str, cloudwatch.IAlarm]) -> list[cloudwatch.IAlarmRule]:
    """`az`'s probe in ALARM while some other AZ's is not: empty when `az` has no probe alarm."""
    if az not in probe_alarms:
        return []
    others = [alarm for other, alarm in probe_alarms.items() if other != az]
    return [
        cloudwatch.AlarmRule.all_of(
            cloudwatch.AlarmRule.from_alarm(probe_alarms[az], cloudwatch.AlarmState.ALARM),
            cloudwatch.AlarmRule.any_of(
                *(cloudwatch.AlarmRule.from_alarm(other, cloudwatch.AlarmState.OK) for other in others)
            ),
        )
    ]
