"""R21: the synthesized SLO burn-rate alarms, evaluated minute by minute over sample months.

Each window alarm's expression is evaluated with the CloudWatch model (tests/helpers/cloudwatch_model.py) on what
ELB would publish for that window: counts summed over the window, the 5xx counts only when non-zero, nothing at
all without traffic (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/
load-balancer-cloudwatch-metrics.html), and the percentile rank `PR(:t)` as the share of requests answered within
t (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html). The window slides
one minute at a time, CloudWatch's default evaluation window
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation-window.html). The composite alarm
rule is read from the template and evaluated on the windows' states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import pytest

from payment_failover.components.observability.slo import FAST_BURN, SLOW_BURN
from tests.helpers.cloudwatch_model import AlarmModel, evaluate
from tests.helpers.synth import SynthesizedStage

MONTH = 30 * 24 * 60
REQUESTS_PER_MINUTE = 1000.0
# The probes' own requests reach the ALB every minute (probes.py): the service and region probes send /health and a
# payment each, the zonal probe both to each of the three AZs' nodes.
PROBE_REQUESTS_PER_MINUTE = 2 + 2 + 2 * 3


@dataclass
class Traffic:
    """Per minute: requests that reached a target, ELB 5xx, target 5xx, requests slower than the objective, and the
    service probe's failed runs (it runs once a minute)."""

    requests: list[float]
    elb_5xx: list[float]
    target_5xx: list[float]
    slow: list[float]
    probe_failed: list[float]

    @classmethod
    def healthy(cls, minutes: int) -> Traffic:
        """A good month: 0.01 % target 5xx, 0.5 % slow requests, two quiet hours a night with only the probes' requests,
        a 3-minute blip a day, and a failed probe run every night."""
        traffic = cls(
            requests=[REQUESTS_PER_MINUTE + PROBE_REQUESTS_PER_MINUTE] * minutes,
            elb_5xx=[0.0] * minutes,
            target_5xx=[REQUESTS_PER_MINUTE * 0.0001] * minutes,
            slow=[REQUESTS_PER_MINUTE * 0.005] * minutes,
            probe_failed=[0.0] * minutes,
        )
        for minute in range(minutes):
            of_day = minute % (24 * 60)
            if of_day < 120:  # nobody pays at night
                traffic.target_5xx[minute] = traffic.slow[minute] = 0.0
                traffic.requests[minute] = PROBE_REQUESTS_PER_MINUTE
                traffic.probe_failed[minute] = 1.0 if of_day == 60 else 0.0  # one lost run, say a DNS hiccup
            elif 600 <= of_day < 603:  # a deployment's blip: 5 % errors for 3 minutes
                traffic.target_5xx[minute] = REQUESTS_PER_MINUTE * 0.05
        return traffic

    def fail(
        self,
        start: int,
        *,
        target_share: float = 0.0,
        outage: bool = False,
        slow_share: float = 0.0,
        unreachable: bool = False,
    ) -> None:
        for minute in range(start, len(self.requests)):
            if outage:  # no healthy target: every request is an ELB 503 that RequestCount never sees
                self.requests[minute], self.target_5xx[minute] = 0.0, 0.0
                self.elb_5xx[minute] = REQUESTS_PER_MINUTE
                self.probe_failed[minute] = 1.0
            if unreachable:  # nothing reaches the load balancer: no ALB metric at all, only the probe fails
                self.requests[minute] = self.elb_5xx[minute] = self.target_5xx[minute] = self.slow[minute] = 0.0
                self.probe_failed[minute] = 1.0
            self.target_5xx[minute] = max(self.target_5xx[minute], self.requests[minute] * target_share)
            self.slow[minute] = max(self.slow[minute], self.requests[minute] * slow_share)


def _window_sums(series: list[float], width: int) -> dict[int, float]:
    """At each minute, the sum of the last `width` minutes."""
    totals = [0.0, *accumulate(series)]
    return {minute: totals[minute + 1] - totals[max(0, minute + 1 - width)] for minute in range(len(series))}


def _published(traffic: Traffic, width: int) -> dict[str, dict[int, float]]:
    """What CloudWatch returns per metric name (and, for the probe, statistic) for a window of `width` minutes ending
    at each minute. The probe runs every minute; its SuccessPercent is 100 or 0 per run, so SampleCount is the runs
    and Sum 100 times the runs that passed."""
    requests = _window_sums(traffic.requests, width)
    slow = _window_sums(traffic.slow, width)
    failed = _window_sums(traffic.probe_failed, width)
    runs = {m: float(min(width, m + 1)) for m in range(len(traffic.requests))}
    return {
        "RequestCount": {m: v for m, v in requests.items() if v > 0},
        "HTTPCode_ELB_5XX_Count": {m: v for m, v in _window_sums(traffic.elb_5xx, width).items() if v > 0},
        "HTTPCode_Target_5XX_Count": {m: v for m, v in _window_sums(traffic.target_5xx, width).items() if v > 0},
        "TargetResponseTime": {m: 100 * (v - slow[m]) / v for m, v in requests.items() if v > 0},
        "SuccessPercent/SampleCount": runs,
        "SuccessPercent/Sum": {m: 100 * (runs[m] - failed[m]) for m in runs},
    }


def _series_name(stat: dict[str, Any]) -> str:
    name: str = stat["Metric"]["MetricName"]
    return f"{name}/{stat['Stat']}" if name == "SuccessPercent" else name


def _window_alarms(stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    found = stage.service.find_resources("AWS::CloudWatch::Alarm")
    return {logical_id: r["Properties"] for logical_id, r in found.items() if "-Slo" in r["Properties"]["AlarmName"]}


def _states(alarm: dict[str, Any], traffic: Traffic) -> list[bool]:
    """Per minute, whether this window alarm is in ALARM."""
    stats = {q["Id"]: q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q}
    (expression,) = [q["Expression"] for q in alarm["Metrics"] if "Expression" in q]
    (width,) = {stat["Period"] // 60 for stat in stats.values()}
    published = _published(traffic, width)
    series = {query_id: published[_series_name(stat)] for query_id, stat in stats.items()}
    minutes = list(range(len(traffic.requests)))
    result = evaluate(expression, series, minutes)
    model = AlarmModel.of(alarm)
    return [model.state([result.get(minute)]) == "ALARM" for minute in minutes]


# The last (stage, traffic) and its window states. The objects themselves are kept and compared by identity: an id()
# alone can be reused by a new object once the old one is freed, which handed a new traffic the old one's states.
_WINDOWS: list[tuple[SynthesizedStage, Traffic, dict[str, list[bool]]]] = []


def _all_window_states(stage: SynthesizedStage, traffic: Traffic) -> dict[str, list[bool]]:
    """Every window alarm's states for this traffic, computed once for both tiers' composites."""
    if not (_WINDOWS and _WINDOWS[0][0] is stage and _WINDOWS[0][1] is traffic):
        _WINDOWS.clear()  # one traffic at a time: the month's series are large
        states = {logical_id: _states(alarm, traffic) for logical_id, alarm in _window_alarms(stage).items()}
        _WINDOWS.append((stage, traffic, states))
    return _WINDOWS[0][2]


def _composite_states(stage: SynthesizedStage, tier: str, traffic: Traffic) -> list[bool]:
    """Per minute, whether the tier's composite alarm is in ALARM, by its synthesized rule."""
    found = stage.service.find_resources("AWS::CloudWatch::CompositeAlarm")
    (rule,) = [r["Properties"]["AlarmRule"] for r in found.values() if r["Properties"]["AlarmName"].endswith(tier)]
    parts = rule["Fn::Join"][1] if isinstance(rule, dict) else [rule]
    text = "".join(part if isinstance(part, str) else part["Fn::GetAtt"][0] for part in parts)
    windows = _all_window_states(stage, traffic)
    python_rule = re.sub(r'ALARM\("(\w+)"\)', r"w['\1'][m]", text).replace(" AND ", " and ").replace(" OR ", " or ")
    rule = compile(python_rule, "<composite rule>", "eval")  # parsed once, evaluated each minute
    return [bool(eval(rule, {}, {"w": windows, "m": m})) for m in range(len(traffic.requests))]


def _first_alarm(states: list[bool], start: int = 0) -> int | None:
    return next((minute - start for minute in range(start, len(states)) if states[minute]), None)


def test_burn_rate_tiers_spend_the_budget_shares_they_claim() -> None:
    assert round(FAST_BURN.budget_spent_percent, 1) == 2.0
    assert round(SLOW_BURN.budget_spent_percent, 1) == 5.0


def test_r21_each_tier_has_a_long_and_a_short_window_per_objective(default_stage: SynthesizedStage) -> None:
    names = sorted(alarm["AlarmName"] for alarm in _window_alarms(default_stage).values())
    assert names == sorted(
        f"payment-failover-dev-Slo{kind}{tier.name}-{minutes}m"
        for tier in (FAST_BURN, SLOW_BURN)
        for kind in ("Availability", "Latency")
        for minutes in (tier.long_minutes, tier.short_minutes)
    )
    for alarm in _window_alarms(default_stage).values():
        assert "AlarmActions" not in alarm  # inputs of a composite: one page per burn, not four
        assert alarm["TreatMissingData"] == "notBreaching"  # no traffic spends no budget


def test_r21_a_healthy_month_never_fires_either_tier(default_stage: SynthesizedStage) -> None:
    month = Traffic.healthy(MONTH)
    assert not any(_composite_states(default_stage, "SloFastBurn", month))
    assert not any(_composite_states(default_stage, "SloSlowBurn", month))


@pytest.mark.parametrize(
    ("situation", "failure"),
    [
        ("total outage: every request an ELB 503", {"outage": True}),
        ("2 % of requests get a 5xx (burn 40)", {"target_share": 0.02}),
        ("20 % of requests slower than the objective (burn 20)", {"slow_share": 0.2}),
        ("nothing reaches the load balancer: only the probe fails", {"unreachable": True}),
    ],
)
def test_r21_a_fast_burn_pages_within_its_one_hour_window(
    default_stage: SynthesizedStage, situation: str, failure: dict[str, Any]
) -> None:
    start = 5 * 24 * 60 + 600 + 30  # mid-morning, away from the night and the daily blip
    traffic = Traffic.healthy(start + 8 * 60)
    traffic.fail(start, **failure)
    fired = _first_alarm(_composite_states(default_stage, "SloFastBurn", traffic), start)
    assert fired is not None, situation
    assert fired <= FAST_BURN.long_minutes, situation


def test_r21_a_slow_burn_notifies_within_its_six_hour_window_and_does_not_page(default_stage: SynthesizedStage) -> None:
    start = 5 * 24 * 60 + 150
    traffic = Traffic.healthy(start + 12 * 60)
    traffic.fail(start, target_share=0.004)  # burn 8: under the fast tier's 14.4, over the slow tier's 6
    fired = _first_alarm(_composite_states(default_stage, "SloSlowBurn", traffic), start)
    assert fired is not None
    assert fired <= SLOW_BURN.long_minutes
    assert _first_alarm(_composite_states(default_stage, "SloFastBurn", traffic), start) is None


def test_r21_burn_rate_composites_notify_the_failover_topic(default_stage: SynthesizedStage) -> None:
    (topic,) = default_stage.service.find_resources("AWS::SNS::Topic")
    found = default_stage.service.find_resources("AWS::CloudWatch::CompositeAlarm")
    composites = {
        r["Properties"]["AlarmName"]: r["Properties"] for r in found.values() if "-Slo" in r["Properties"]["AlarmName"]
    }
    assert set(composites) == {"payment-failover-dev-SloFastBurn", "payment-failover-dev-SloSlowBurn"}
    for alarm in composites.values():
        assert alarm["AlarmActions"] == [{"Ref": topic}]
        assert alarm["OKActions"] == [{"Ref": topic}]
    assert composites["payment-failover-dev-SloFastBurn"]["AlarmDescription"].startswith("PAGE")
    assert composites["payment-failover-dev-SloSlowBurn"]["AlarmDescription"].startswith("NOTIFY")
