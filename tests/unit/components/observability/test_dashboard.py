"""R10: the dashboard body is valid CloudWatch dashboard JSON built only from Metric objects."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.dashboard_body import metric_errors, resolve
from tests.helpers.support import single
from tests.helpers.synth import SynthesizedStage


@pytest.fixture(scope="module")
def body(default_stage: SynthesizedStage) -> dict[str, Any]:
    return resolve(single(default_stage.service, "AWS::CloudWatch::Dashboard")["DashboardBody"])


def _metrics(body: dict[str, Any], title_part: str) -> list[list[Any]]:
    (widget,) = [w for w in body["widgets"] if title_part in w["properties"].get("title", "")]
    return widget["properties"]["metrics"]


def test_r10_every_metric_is_a_flat_array_with_at_most_one_trailing_options_object(body: dict[str, Any]) -> None:
    assert metric_errors(body) == []
    assert sum(len(w["properties"].get("metrics", [])) for w in body["widgets"]) >= 12


def test_r10_the_seeds_dimensions_object_form_is_rejected() -> None:
    """The body the seed shipped (CloudWatch answered "Should NOT have more than 2 items")."""
    seed = {
        "widgets": [
            {
                "type": "metric",
                "properties": {
                    "metrics": [
                        ["AWS/AutoScaling", "GroupDesiredCapacity", {"stat": "Average", "dimensions": {"A": "b"}}],
                        [{"stat": "Sum"}, "AWS/ApplicationELB", "RequestCount"],
                        ["AWS/ApplicationELB", "HealthyHostCount", "LoadBalancer", "app/x/1"],
                    ]
                },
            }
        ]
    }
    errors = metric_errors(seed)
    assert errors == [
        "widgets/0/metrics/0: dimensions belong in the array as name/value pairs, not in options",
        "widgets/0/metrics/1: the options object may appear once, last",
        "widgets/0/metrics/2: HealthyHostCount lacks the TargetGroup dimension(s)",
    ]


def test_r10_dot_repeats_inherit_the_dimensions_of_the_entry_above() -> None:
    body = {
        "widgets": [
            {
                "properties": {
                    "metrics": [
                        ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", "app/x/1"],
                        [".", "HTTPCode_ELB_5XX_Count", ".", ".", {"stat": "Sum"}],
                        [{"expression": "100 * m2 / m1", "label": "5xx %"}],
                    ]
                }
            }
        ]
    }
    assert metric_errors(body) == []


def test_r10_healthy_hosts_widget_has_one_line_per_az_with_every_dimension_and_the_threshold(
    body: dict[str, Any],
) -> None:
    (widget,) = [w for w in body["widgets"] if "Healthy hosts per AZ" in w["properties"].get("title", "")]
    metrics = widget["properties"]["metrics"]
    azs = []
    for metric in metrics:
        dims = dict(zip(metric[2:-1:2], metric[3:-1:2], strict=True))
        assert metric[:2] == ["AWS/ApplicationELB", "HealthyHostCount"]
        assert dims["TargetGroup"].startswith("<GetAtt LoadBalancerTargetGroup")
        assert dims["LoadBalancer"].startswith("<GetAtt LoadBalancerAlb")
        assert metric[-1]["stat"] == "Minimum"
        azs.append(dims["AvailabilityZone"])
    assert azs == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    assert widget["properties"]["annotations"]["horizontal"][0]["value"] == 2


def test_r10_asg_desired_and_in_service_capacity(body: dict[str, Any]) -> None:
    names = [m[1] for m in _metrics(body, "ASG desired vs in service")]
    assert names == ["GroupDesiredCapacity", "GroupInServiceInstances"]


def test_r10_route53_status_is_on_the_global_dashboard_read_from_us_east_1(standby_stage: SynthesizedStage) -> None:
    """The checks are global resources in the us-east-1 stack: their widget is on that stack's dashboard."""
    body = resolve(single(standby_stage.global_dns, "AWS::CloudWatch::Dashboard")["DashboardBody"])
    assert metric_errors(body) == []
    metrics = _metrics(body, "Route 53 health check per region")
    checks = sorted(standby_stage.global_dns.find_resources("AWS::Route53::HealthCheck"))
    assert sorted(m[3] for m in metrics) == [f"<Ref {c}>" for c in checks]
    for metric in metrics:
        assert metric[:3] == ["AWS/Route53", "HealthCheckStatus", "HealthCheckId"]
        assert metric[-1]["region"] == "us-east-1"


def test_r10_requests_latency_and_5xx_widgets(body: dict[str, Any]) -> None:
    assert _metrics(body, "Requests")[0][1] == "RequestCount"
    latency = _metrics(body, "Target response time")
    assert [m[-1]["stat"] for m in latency] == ["p50", "p99"]
    expressions = [m[0]["expression"] for m in _metrics(body, "5xx responses") if "expression" in m[0]]
    assert len(expressions) == 2


def test_r17_gray_failure_widgets_compare_the_azs(body: dict[str, Any]) -> None:
    """Each AZ's 5xx rate and p99, the signals of the AzOutlier-<az> alarms, side by side."""
    rates = [m[0]["expression"] for m in _metrics(body, "5xx % per AZ") if "expression" in m[0]]
    assert len(rates) == 3
    assert all(rate.startswith("100 * (FILL(az") for rate in rates)
    latency = _metrics(body, "p99 target response time per AZ")
    zones = [m[m.index("AvailabilityZone") + 1] for m in latency]
    assert zones == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    assert {m[-1]["stat"] for m in latency} == {"p99"}
    weights = _metrics(body, "automatic target weights")
    assert [m[1] for m in weights] == ["AnomalousHostCount", "MitigatedHostCount"]


def test_r10_alarm_states_widget_lists_every_regional_alarm(
    body: dict[str, Any], default_stage: SynthesizedStage
) -> None:
    (widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    notifying = {
        logical_id
        for logical_id, alarm in default_stage.service.find_resources("AWS::CloudWatch::Alarm").items()
        if alarm["Properties"].get("AlarmActions")
    }
    composites = set(default_stage.service.find_resources("AWS::CloudWatch::CompositeAlarm"))
    shown = {ref.split()[1].split(".")[0] for ref in widget["properties"]["alarms"]}
    # Every alarm that notifies anyone; the gray-failure detectors, SLO windows and per-AZ probe alarms show through
    # their composites.
    assert shown == notifying | composites
    # AzOutlier per AZ, SloFastBurn and SloSlowBurn, ProbeZonesFailing, PracticeRunOutcome; the per-AZ probe alarms
    # show through them.
    assert len(composites) == 3 + 2 + 1 + 1


def test_r21_probe_widgets_show_each_named_probe_and_each_azs_node(body: dict[str, Any]) -> None:
    for title, per_az in (("Probe success %", "ZoneProbeSuccess"), ("Probe latency ms", "ZoneProbeLatency")):
        metrics = _metrics(body, title)
        named = [m[3] for m in metrics if m[0] == "CloudWatchSynthetics"]
        assert named == ["payment-failover-dev-service", "payment-failover-dev-region"]
        zones = [m[m.index("AvailabilityZone") + 1] for m in metrics if m[:2] == ["PaymentFailover/Probes", per_az]]
        assert zones == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]


def test_r21_the_error_budget_left_is_shown_over_the_last_30_days_from_the_alarms_own_burn_rates(
    body: dict[str, Any], default_stage: SynthesizedStage
) -> None:
    (widget,) = [w for w in body["widgets"] if "Error budget left" in w["properties"].get("title", "")]
    properties = widget["properties"]
    assert (properties["view"], properties["start"], properties["setPeriodToTimeRange"]) == (
        "singleValue",
        "-P30D",
        True,
    )
    shown = [m[0]["expression"] for m in properties["metrics"] if "expression" in m[0] and m[0].get("visible", True)]
    assert shown == ["100 - 100 * availability", "100 - 100 * latency"]
    inner = {m[0]["id"]: m[0]["expression"] for m in properties["metrics"] if "id" in m[0]}
    alarms = default_stage.service.find_resources("AWS::CloudWatch::Alarm").values()
    windows = {
        a["Properties"]["AlarmName"]: next(q["Expression"] for q in a["Properties"]["Metrics"] if "Expression" in q)
        for a in alarms
        if "-Slo" in a["Properties"]["AlarmName"]
    }
    # The same burn rate as the alarms, over 30 days: 1 spends exactly the budget, so 100 - 100 x burn is what is left.
    assert inner["availability"] == windows["payment-failover-dev-SloAvailabilityFastBurn-60m"]
    assert inner["latency"] == windows["payment-failover-dev-SloLatencyFastBurn-60m"]


def test_r21_burn_rate_widgets_draw_each_tiers_threshold(body: dict[str, Any]) -> None:
    for title, threshold in (("SLO burn rate over 1 h", 14.4), ("SLO burn rate over 6 h", 6)):
        (widget,) = [w for w in body["widgets"] if title in w["properties"].get("title", "")]
        assert [a["value"] for a in widget["properties"]["annotations"]["horizontal"]] == [threshold]
        labels = [m[0]["label"] for m in widget["properties"]["metrics"] if "expression" in m[0]]
        assert labels == ["availability burn rate", "latency burn rate"]
