"""R17, failure 13: the synthesized error-rate alarms, evaluated the way CloudWatch evaluates them.

The model (tests/helpers/cloudwatch_model.py) is first held to AWS's own worked examples, then fed the
expressions and alarm settings of the synthesized template with the datapoints ELB publishes in a total
outage, a normal minute and a quiet minute. What ELB publishes when, per
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html:
the 5xx counts only in minutes where they are non-zero; RequestCount only for requests for which a
target could be chosen, and only while targets are registered; nothing at all without traffic.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.cloudwatch_model import AlarmModel, Series, evaluate
from tests.helpers.synth import SynthesizedStage

MINUTES = list(range(5))

# --- the model against the examples on AWS's pages -------------------------------------------------


def test_model_comparison_treats_a_missing_value_as_zero_like_the_metric_math_page() -> None:
    metric1 = {0: 30.0, 1: 20.0, 2: 0.0, 3: 0.0}
    metric2 = {0: 20.0, 2: 20.0}
    series = {"metric1": metric1, "metric2": metric2}
    assert list(evaluate("metric1 < metric2", series, MINUTES[:4]).values()) == [0, 0, 1, 0]
    assert list(evaluate("metric1 >= 30", series, MINUTES[:4]).values()) == [1, 0, 0, 0]


def test_model_if_keeps_drops_and_zeroes_like_the_metric_math_page() -> None:
    series = {
        "metric1": {0: 1.0, 1: 1.0, 2: 0.0, 3: 0.0},
        "metric2": {0: 30.0, 2: 0.0, 3: 0.0, 4: 30.0},
        "metric3": {0: 0.0, 1: 0.0, 2: 20.0, 4: 20.0},
    }
    assert evaluate("IF(metric1, metric2, metric3)", series, MINUTES) == {0: 30, 1: 0, 2: 20}
    assert evaluate("IF(metric1, 5, metric3)", series, MINUTES) == {0: 5, 1: 5, 2: 20}


def test_model_drops_a_division_by_zero_and_fill_covers_the_whole_range() -> None:
    series = {"a": {1: 4.0}, "b": {1: 2.0, 2: 0.0}}
    assert evaluate("a / b", series, MINUTES) == {1: 2.0}
    assert evaluate("FILL(a, 0)", series, MINUTES) == {0: 0, 1: 4, 2: 0, 3: 0, 4: 0}


@pytest.mark.parametrize(
    ("datapoints", "missing_as", "state"),
    [
        # 2-out-of-3 rows of the table on the alarms page (0: not breaching, 9: breaching, None: missing).
        ([0, None, 9, None, 9], "notBreaching", "ALARM"),
        ([0, 0, 9, 0, 9], "notBreaching", "ALARM"),
        ([0, None, 9, None, None], "notBreaching", "OK"),
        ([0, None, 9, None, None], "breaching", "ALARM"),
        ([None, None, None, None, 0], "breaching", "ALARM"),
        ([None, None, None, None, 9], "notBreaching", "OK"),
    ],
)
def test_model_alarm_state_matches_the_alarms_pages_two_out_of_three_table(
    datapoints: list[float | None], missing_as: str, state: str
) -> None:
    alarm = AlarmModel(
        threshold=5,
        comparison="GreaterThanThreshold",
        evaluation_periods=3,
        datapoints_to_alarm=2,
        treat_missing_data=missing_as,
    )
    assert alarm.state(datapoints) == state


# --- the synthesized alarms ------------------------------------------------------------------------


def _every_minute(value: float) -> Series:
    return dict.fromkeys(MINUTES, value)


# What CloudWatch holds, by metric name, in each situation (absent name: no datapoint published).
TOTAL_OUTAGE_NOTHING_REGISTERED = {"HTTPCode_ELB_5XX_Count": _every_minute(600)}
TOTAL_OUTAGE_TARGETS_UNHEALTHY = {
    "HTTPCode_ELB_5XX_Count": _every_minute(600),
    "RequestCount": _every_minute(0),
    "HealthyHostCount": _every_minute(0),
    "UnHealthyHostCount": _every_minute(6),
}
NORMAL_MINUTE = {
    "RequestCount": _every_minute(1200),
    "HTTPCode_Target_5XX_Count": {2: 1.0},
    "HealthyHostCount": _every_minute(6),
}
QUIET_MINUTE = {"HealthyHostCount": _every_minute(6)}
INSTANCES_FAILING = {
    "RequestCount": _every_minute(1200),
    "HTTPCode_Target_5XX_Count": _every_minute(1200),
    "HealthyHostCount": _every_minute(6),
}


def _alarm(stage: SynthesizedStage, name: str) -> dict[str, Any]:
    found = stage.service.find_resources("AWS::CloudWatch::Alarm")
    # The drills' own runaway alarms watch the same metrics under a longer rule (test_az_drills.py): not these.
    (alarm,) = [
        r["Properties"]
        for r in found.values()
        if r["Properties"]["AlarmName"].endswith(f"-{name}") and "DrillRunaway" not in r["Properties"]["AlarmName"]
    ]
    return alarm


def _state(alarm: dict[str, Any], published: dict[str, Series]) -> str:
    """The state CloudWatch would give this synthesized alarm for these published datapoints."""
    if "Metrics" in alarm:
        stats = {q["Id"]: q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q}
        (expression,) = [q["Expression"] for q in alarm["Metrics"] if q.get("ReturnData", True) and "Expression" in q]
        series = {query_id: published.get(stat["Metric"]["MetricName"], {}) for query_id, stat in stats.items()}
        result = evaluate(expression, series, MINUTES)
    else:
        result = published.get(alarm["MetricName"], {})
    return AlarmModel.of(alarm).state([result.get(minute) for minute in MINUTES])


@pytest.mark.parametrize(
    ("situation", "published", "state"),
    [
        ("total outage, no target registered", TOTAL_OUTAGE_NOTHING_REGISTERED, "ALARM"),
        ("total outage, every target unhealthy", TOTAL_OUTAGE_TARGETS_UNHEALTHY, "ALARM"),
        ("normal minute", NORMAL_MINUTE, "OK"),
        ("quiet minute", QUIET_MINUTE, "OK"),
    ],
)
def test_r17_alb_error_rate_alarm_fires_on_a_total_outage_and_only_then(
    default_stage: SynthesizedStage, situation: str, published: dict[str, Series], state: str
) -> None:
    assert _state(_alarm(default_stage, "Alb5xxRate"), published) == state, situation


@pytest.mark.parametrize(
    ("situation", "published", "state"),
    [
        ("instances answer 5xx", INSTANCES_FAILING, "ALARM"),
        ("normal minute", NORMAL_MINUTE, "OK"),
        ("quiet minute", QUIET_MINUTE, "OK"),
    ],
)
def test_r17_target_error_rate_alarm(
    default_stage: SynthesizedStage, situation: str, published: dict[str, Series], state: str
) -> None:
    assert _state(_alarm(default_stage, "Target5xxRate"), published) == state, situation


@pytest.mark.parametrize(
    ("situation", "published", "state"),
    [
        ("total outage, no target registered", TOTAL_OUTAGE_NOTHING_REGISTERED, "ALARM"),
        ("total outage, every target unhealthy", TOTAL_OUTAGE_TARGETS_UNHEALTHY, "ALARM"),
        ("normal minute", NORMAL_MINUTE, "OK"),
        ("quiet minute", QUIET_MINUTE, "OK"),
    ],
)
def test_r17_no_healthy_target_alarm(
    default_stage: SynthesizedStage, situation: str, published: dict[str, Series], state: str
) -> None:
    assert _state(_alarm(default_stage, "NoHealthyTarget"), published) == state, situation


def test_failure_13_the_former_expression_really_was_blind_to_a_total_outage(default_stage: SynthesizedStage) -> None:
    """The model reproduces the defect the review found, so the passing tests above mean something."""
    former = dict(_alarm(default_stage, "Alb5xxRate"))
    former["Metrics"] = [
        dict(q, Expression="IF(alb_requests > 0, 100 * alb_errors / alb_requests, 0)") if "Expression" in q else q
        for q in former["Metrics"]
    ]
    assert _state(former, TOTAL_OUTAGE_TARGETS_UNHEALTHY) == "OK"
    assert _state(former, TOTAL_OUTAGE_NOTHING_REGISTERED) == "OK"
