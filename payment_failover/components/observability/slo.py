"""Service level objectives (R21): an availability and a latency objective, and alarms on how fast they burn.

An objective over 30 days leaves an error budget: `100 % - objective` of the requests may fail (or be slow). The
burn rate is how fast a window spends it, as Application Signals defines it: "burn rate = error rate over the
look-back window / (100% - attainment goal percentage)", where 1 spends exactly the budget in the SLO's period
(https://docs.aws.amazon.com/applicationsignals/latest/APIReference/API_BurnRateConfiguration.html).

Two tiers, each a long and a short window that must both burn above the tier's rate (multi-window,
multi-burn-rate):
- fast (pages): 1 hour and 5 minutes at 14.4, i.e. 2 % of the 30-day budget in one hour;
- slow (notifies): 6 hours and 30 minutes at 6, i.e. 5 % of the budget in six hours.
The long window says the burn is significant; the short one says it is still going on, so the alarm clears soon
after the burn stops. Each window is one metric alarm whose period is the window: CloudWatch's default sliding
evaluation window "advances each time the alarm is evaluated, forming a rolling time window"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation-window.html). The windows have no
actions; per tier one composite alarm, `(availability long AND short) OR (latency long AND short)`, notifies the
failover topic (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-combining.html).

What counts, from ALB metrics (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/
load-balancer-cloudwatch-metrics.html):
- availability: a bad request is a 5xx from the load balancer or from a target, over the requests plus the ELB's
  own 5xx (RequestCount leaves out requests no target could take, as for `Alb5xxRate`); a 502/504 for a request
  that reached a target is counted on both sides, which can only read the burn high;
- latency: the share of requests slower than `latencyObjectiveMs` is 100 % minus the percentile rank
  `PR(:seconds)` of TargetResponseTime, "the percentage of data points that have a value of" at most that
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
A window without requests divides 0 by 0 and yields no datapoint (metric math drops it): no traffic spends no
budget, and the windows treat missing data as not breaching.

The service name's synthetic probe is the floor of the availability objective when traffic is low: each of its
runs (one a minute, probes.py) counts as one more event, and a failed run as a bad one. Its `SuccessPercent` is 100
for a run that passed and 0 for one that failed, so over a window the SampleCount is the runs and Sum / 100 the runs
that passed (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_metrics.html).
A busy hour's thousands of requests drown a failed run; with no clients, the probes' own requests (which reach the
ALB and are counted there) and runs are the events, and a probe that cannot reach the load balancer at all — DNS,
TLS, an unreachable node, which no ALB metric records — still spends the budget. A probe's request that failed with
a 5xx is counted twice, as a 5xx and as a failed run, which can only read the burn high.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from payment_failover.components.observability.alarms import notify
from payment_failover.components.observability.probes import SYNTHETICS_NAMESPACE
from payment_failover.components.served_fleet import AlarmPolicy, Objectives, ServedFleet

SLO_PERIOD_HOURS = 30 * 24


@dataclass(frozen=True)
class BurnRateTier:
    """One tier of the multi-window alarm: both windows must burn above `burn_rate`."""

    name: str
    long_minutes: int
    short_minutes: int
    burn_rate: float
    pages: bool

    @property
    def budget_spent_percent(self) -> float:
        """The share of the 30-day budget the long window spends at exactly this burn rate."""
        return 100 * self.burn_rate * self.long_minutes / 60 / SLO_PERIOD_HOURS


FAST_BURN = BurnRateTier("FastBurn", long_minutes=60, short_minutes=5, burn_rate=14.4, pages=True)
SLOW_BURN = BurnRateTier("SlowBurn", long_minutes=360, short_minutes=30, burn_rate=6, pages=False)
TIERS = (FAST_BURN, SLOW_BURN)


class BurnRateAlarms(Construct):
    """`self.composites[tier.name]` notifies the failover topic; `self.windows` are its inputs (no actions)."""

    def __init__(
        self, scope: Construct, id_: str, *, fleet: ServedFleet, policy: AlarmPolicy, probe_canary_name: str
    ) -> None:
        super().__init__(scope, id_)
        self.probe_canary_name = probe_canary_name
        self._fleet, self.objectives = fleet, policy.objectives
        objectives = policy.objectives
        self.windows: list[cloudwatch.Alarm] = []
        self.composites: dict[str, cloudwatch.CompositeAlarm] = {}
        self.burn_rates: dict[str, cloudwatch.MathExpression] = {}
        for tier in TIERS:
            rules = []
            for kind in ("Availability", "Latency"):
                long_, short = (
                    self._window(fleet, policy, objectives, kind, tier, minutes)
                    for minutes in (tier.long_minutes, tier.short_minutes)
                )
                rules.append(cloudwatch.AlarmRule.all_of(long_, short))
            composite = cloudwatch.CompositeAlarm(
                self,
                tier.name,
                composite_alarm_name=f"{policy.name_prefix}-Slo{tier.name}",
                alarm_description=(
                    f"{'PAGE' if tier.pages else 'NOTIFY'}: the error budget burns at {tier.burn_rate}x or more over "
                    f"{tier.long_minutes} min and {tier.short_minutes} min ({tier.budget_spent_percent:.0f} % of the "
                    f"30-day budget in {tier.long_minutes} min): availability {objectives.availability_percent} %, "
                    f"{objectives.latency_percent} % of requests within {objectives.latency_ms} ms"
                ),
                alarm_rule=cloudwatch.AlarmRule.any_of(*rules),
            )
            notify(composite, policy.topic)
            self.composites[tier.name] = composite

    def budget_left(self) -> list[cloudwatch.MathExpression]:
        """Per objective, the share of the error budget not yet spent over the query's range: 100 at a burn rate of 0,
        0 once the range has spent a whole 30-day budget (a dashboard shows it over the last 30 days)."""
        period = Duration.days(30)
        objectives = self.objectives
        burns = {
            "availability": availability_burn_rate(
                self._fleet, objectives.availability_percent, period, self.probe_canary_name
            ),
            "latency": latency_burn_rate(self._fleet, objectives.latency_ms, objectives.latency_percent, period),
        }
        return [
            cloudwatch.MathExpression(
                expression=f"100 - 100 * {kind}",
                using_metrics={kind: burn},
                label=f"{kind} budget left (%)",
                period=period,
            )
            for kind, burn in burns.items()
        ]

    def _window(
        self,
        fleet: ServedFleet,
        policy: AlarmPolicy,
        objectives: Objectives,
        kind: str,
        tier: BurnRateTier,
        minutes: int,
    ) -> cloudwatch.Alarm:
        period = Duration.minutes(minutes)
        if kind == "Availability":
            burn = availability_burn_rate(fleet, objectives.availability_percent, period, self.probe_canary_name)
        else:
            burn = latency_burn_rate(fleet, objectives.latency_ms, objectives.latency_percent, period)
        self.burn_rates[f"{kind}{minutes}"] = burn
        alarm = cloudwatch.Alarm(
            self,
            f"{kind}{tier.name}{minutes}m",
            alarm_name=f"{policy.name_prefix}-Slo{kind}{tier.name}-{minutes}m",
            alarm_description=f"Input of Slo{tier.name}: {kind.lower()} burn rate over {minutes} min",
            metric=burn,
            threshold=tier.burn_rate,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.windows.append(alarm)
        return alarm


def availability_burn_rate(
    fleet: ServedFleet, objective_percent: float, period: Duration, probe_canary_name: str
) -> cloudwatch.MathExpression:
    """How many times faster than the 30-day budget allows the window's 5xx and failed probe runs are spending it."""
    metrics = fleet.metrics

    def probe(statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=SYNTHETICS_NAMESPACE,
            metric_name="SuccessPercent",
            dimensions_map={"CanaryName": probe_canary_name},
            statistic=statistic,
            period=period,
        )

    return cloudwatch.MathExpression(
        expression=(
            "100 * (FILL(elb, 0) + FILL(target, 0) + FILL(runs, 0) - FILL(passed, 0) / 100)"
            " / (FILL(requests, 0) + FILL(elb, 0) + FILL(runs, 0))"
            f" / {_budget(objective_percent)}"
        ),
        using_metrics={
            "elb": metrics.load_balancer_metric("HTTPCode_ELB_5XX_Count").with_(period=period),
            "target": metrics.target_metric("HTTPCode_Target_5XX_Count").with_(period=period),
            "requests": metrics.load_balancer_metric("RequestCount").with_(period=period),
            "runs": probe("SampleCount"),
            "passed": probe("Sum"),
        },
        label="availability burn rate",
        period=period,
    )


def latency_burn_rate(
    fleet: ServedFleet, latency_ms: int, objective_percent: float, period: Duration
) -> cloudwatch.MathExpression:
    """How many times faster than the budget allows the window's slow requests are spending it."""
    within = fleet.metrics.target_metric("TargetResponseTime", statistic=f"PR(:{latency_ms / 1000:g})")
    return cloudwatch.MathExpression(
        expression=f"(100 - within) / {_budget(objective_percent)}",
        using_metrics={"within": within.with_(period=period)},
        label="latency burn rate",
        period=period,
    )


def _budget(objective_percent: float) -> str:
    """The error budget in percent, written for metric math (no float noise such as 0.04999999)."""
    return f"{100 - objective_percent:.6g}"
