"""R17: one AZ much worse than its peers is detected (gray failure), pages the failover topic, and not
when the whole region is equally bad; the synthesized detectors are evaluated with tests/helpers/cloudwatch_model.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers.cloudwatch_model import AlarmModel, Series, evaluate
from tests.helpers.synth import SynthesizedStage

AZS = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
MINUTES = list(range(5))


@pytest.fixture(scope="module")
def alarms(default_stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    found = default_stage.service.find_resources("AWS::CloudWatch::Alarm")
    return {r["Properties"]["AlarmName"]: dict(r["Properties"], LogicalId=k) for k, r in found.items()}


@pytest.fixture(scope="module")
def composites(default_stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    found = default_stage.service.find_resources("AWS::CloudWatch::CompositeAlarm")
    return {r["Properties"]["AlarmName"]: r["Properties"] for r in found.values()}


def _rule_alarms(rule: Any) -> list[str]:
    """Logical ids of the alarms an AlarmRule (a string or an Fn::Join of parts) refers to."""
    text = json.dumps(rule)
    return [part.split('"')[0] for part in text.split('{"Fn::GetAtt": ["')[1:]]


@pytest.mark.parametrize("az", AZS)
def test_r17_each_az_has_an_outlier_composite_that_pages_the_failover_topic(
    default_stage: SynthesizedStage, alarms: dict, composites: dict, az: str
) -> None:
    (topic_id,) = default_stage.service.find_resources("AWS::SNS::Topic")
    composite = composites[f"payment-failover-dev-AzOutlier-{az}"]
    assert composite["AlarmActions"] == [{"Ref": topic_id}]
    assert composite["OKActions"] == [{"Ref": topic_id}]
    by_id = {a["LogicalId"]: name for name, a in alarms.items()}
    assert sorted({by_id[i] for i in _rule_alarms(composite["AlarmRule"])}) == [
        f"payment-failover-dev-AzErrorOutlier-{az}",
        f"payment-failover-dev-AzLatencyOutlier-{az}",
        *(f"payment-failover-dev-ProbeZoneFailing-{zone}" for zone in AZS),
    ]
    assert " OR " in json.dumps(composite["AlarmRule"])


def _fires(rule: Any, alarms: dict[str, dict[str, Any]], in_alarm: set[str]) -> bool:
    """The composite rule evaluated on alarm states (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
    API_PutCompositeAlarm.html: ALARM("x") is TRUE when x is in ALARM, OK("x") when x is OK); every alarm not in
    `in_alarm` is OK."""
    parts = rule["Fn::Join"][1] if isinstance(rule, dict) else [rule]
    text = "".join(part if isinstance(part, str) else part["Fn::GetAtt"][0] for part in parts)
    names = {a["LogicalId"]: name for name, a in alarms.items()}
    python = re.sub(r'(ALARM|OK)\("(\w+)"\)', lambda m: f"(s[{names[m.group(2)]!r}] == {m.group(1)!r})", text)
    python = python.replace(" AND ", " and ").replace(" OR ", " or ").replace("NOT ", "not ")
    states = {name: "ALARM" if name in in_alarm else "OK" for name in alarms}
    return bool(eval(python, {}, {"s": states}))


@pytest.mark.parametrize("az", AZS)
def test_r21_one_azs_failing_probe_alone_pages_its_outlier_alarm_and_all_three_do_not(
    alarms: dict, composites: dict, az: str
) -> None:
    """R21: the AZ's node probe failing while another AZ's passes is that AZ's gray failure, seen with no client
    traffic; every AZ's probe failing at once is the region's failure (the regional probe pages), not an outlier."""
    rule = composites[f"payment-failover-dev-AzOutlier-{az}"]["AlarmRule"]
    probe = {zone: f"payment-failover-dev-ProbeZoneFailing-{zone}" for zone in AZS}
    assert _fires(rule, alarms, {probe[az]})
    assert _fires(rule, alarms, {probe[az], next(p for zone, p in probe.items() if zone != az)})
    assert not _fires(rule, alarms, set(probe.values()))
    assert not _fires(rule, alarms, {p for zone, p in probe.items() if zone != az})
    assert _fires(rule, alarms, {f"payment-failover-dev-AzErrorOutlier-{az}"})


def test_r17_detectors_only_feed_the_composites(alarms: dict) -> None:
    detectors = [a for name, a in alarms.items() if "Outlier-" in name]
    assert len(detectors) == 2 * len(AZS)
    for detector in detectors:
        assert not detector.get("AlarmActions")
        assert not detector.get("OKActions")
        assert (detector["EvaluationPeriods"], detector["DatapointsToAlarm"]) == (5, 3)
        assert (detector["ComparisonOperator"], detector["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
        assert detector["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("az", AZS)
def test_r17_detectors_read_the_albs_availability_zone_dimension(alarms: dict, az: str) -> None:
    detector = alarms[f"payment-failover-dev-AzLatencyOutlier-{az}"]
    (own,) = [q for q in detector["Metrics"] if q["Id"] == "p99"]
    dims = {d["Name"]: d["Value"] for d in own["MetricStat"]["Metric"]["Dimensions"]}
    assert dims["AvailabilityZone"] == az
    assert set(dims) == {"AvailabilityZone", "LoadBalancer", "TargetGroup"}
    assert own["MetricStat"]["Stat"] == "p99"
    errors = alarms[f"payment-failover-dev-AzErrorOutlier-{az}"]
    zones = {
        d["Value"]
        for q in errors["Metrics"]
        if "MetricStat" in q
        for d in q["MetricStat"]["Metric"]["Dimensions"]
        if d["Name"] == "AvailabilityZone"
    }
    assert zones == set(AZS), "the share of errors compares the AZ with all three"


# --- evaluated ------------------------------------------------------------------------------------


def _every_minute(value: float) -> Series:
    return dict.fromkeys(MINUTES, value)


def _published(per_az: dict[str, dict[str, float]]) -> dict[tuple[str, str], Series]:
    return {(metric, az): _every_minute(value) for az, metrics in per_az.items() for metric, value in metrics.items()}


def _state(alarm: dict[str, Any], published: dict[tuple[str, str], Series]) -> str:
    """Evaluate the alarm's metric math (inner expressions first) on datapoints keyed by (metric, AZ)."""
    series: dict[str, Series] = {}
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            az = {d["Name"]: d["Value"] for d in metric["Dimensions"]}.get("AvailabilityZone", "")
            stat = query["MetricStat"]["Stat"]
            series[query["Id"]] = published.get((f"{metric['MetricName']}:{stat}", az), {})
    pending = [q for q in alarm["Metrics"] if "Expression" in q]
    while pending:
        query = next(q for q in pending if all(i in series for i in _ids(q["Expression"], alarm)))
        series[query["Id"]] = evaluate(query["Expression"], series, MINUTES)
        pending.remove(query)
    (result,) = [q["Id"] for q in alarm["Metrics"] if q.get("ReturnData", True)]
    return AlarmModel.of(alarm).state([series[result].get(minute) for minute in MINUTES])


def _ids(expression: str, alarm: dict[str, Any]) -> list[str]:
    return [q["Id"] for q in alarm["Metrics"] if q["Id"] in expression.replace("(", " ").replace(")", " ").split()]


HEALTHY = {"RequestCount:Sum": 400.0, "TargetResponseTime:p99": 0.1}
ONE_AZ_FAILING = {
    "eu-central-1a": {"RequestCount:Sum": 400.0, "HTTPCode_Target_5XX_Count:Sum": 300.0, "TargetResponseTime:p99": 0.1},
    "eu-central-1b": HEALTHY,
    "eu-central-1c": HEALTHY,
}
REGION_FAILING = {
    az: {"RequestCount:Sum": 400.0, "HTTPCode_Target_5XX_Count:Sum": 300.0, "TargetResponseTime:p99": 0.1} for az in AZS
}
ONE_AZ_SLOW = {"eu-central-1a": {"RequestCount:Sum": 400.0, "TargetResponseTime:p99": 3.0}} | {
    az: HEALTHY for az in AZS[1:]
}
REGION_SLOW = {az: {"RequestCount:Sum": 400.0, "TargetResponseTime:p99": 3.0} for az in AZS}
NORMAL = dict.fromkeys(AZS, HEALTHY)
QUIET: dict[str, dict[str, float]] = {}


@pytest.mark.parametrize(
    ("situation", "per_az", "state_a", "state_b"),
    [
        ("one AZ answers 5xx", ONE_AZ_FAILING, "ALARM", "OK"),
        ("the whole region answers 5xx", REGION_FAILING, "OK", "OK"),
        ("normal minute", NORMAL, "OK", "OK"),
        ("quiet minute", QUIET, "OK", "OK"),
    ],
)
def test_r17_error_outlier_fires_only_for_the_one_failing_az(
    alarms: dict, situation: str, per_az: dict, state_a: str, state_b: str
) -> None:
    published = _published(per_az)
    assert _state(alarms["payment-failover-dev-AzErrorOutlier-eu-central-1a"], published) == state_a, situation
    assert _state(alarms["payment-failover-dev-AzErrorOutlier-eu-central-1b"], published) == state_b, situation


@pytest.mark.parametrize(
    ("situation", "per_az", "state_a", "state_b"),
    [
        ("one AZ is slow", ONE_AZ_SLOW, "ALARM", "OK"),
        ("the whole region is slow", REGION_SLOW, "OK", "OK"),
        ("normal minute", NORMAL, "OK", "OK"),
        ("quiet minute", QUIET, "OK", "OK"),
    ],
)
def test_r17_latency_outlier_fires_only_for_the_one_slow_az(
    alarms: dict, situation: str, per_az: dict, state_a: str, state_b: str
) -> None:
    published = _published(per_az)
    assert _state(alarms["payment-failover-dev-AzLatencyOutlier-eu-central-1a"], published) == state_a, situation
    assert _state(alarms["payment-failover-dev-AzLatencyOutlier-eu-central-1b"], published) == state_b, situation
