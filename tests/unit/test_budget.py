"""Issue 6: the failover budget read from templates; known answers, the real templates, missed targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from payment_failover import budget
from tests.support import SynthesizedStage


def _template(
    *, interval: int = 30, unhealthy: int = 2, min_size: int = 6, max_size: int = 9, cpu_target: float = 40
) -> dict[str, Any]:
    """The smallest template the budget can read: a target group, an ASG over three subnets with a CPU
    target-tracking policy, two alarms."""
    return {
        "Resources": {
            "Cpu": {
                "Type": "AWS::AutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingConfiguration": {
                        "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                        "TargetValue": cpu_target,
                    },
                },
            },
            "Tg": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {
                    "HealthCheckIntervalSeconds": interval,
                    "UnhealthyThresholdCount": unhealthy,
                    "HealthyThresholdCount": 3,
                },
            },
            "Asg": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "MinSize": str(min_size),
                    "MaxSize": str(max_size),
                    "VPCZoneIdentifier": ["a", "b", "c"],
                },
            },
            "PerAz": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "per-az",
                    "MetricName": "HealthyHostCount",
                    "Period": 60,
                    "EvaluationPeriods": 2,
                    "DatapointsToAlarm": 2,
                },
            },
            "Errors": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "errors",
                    "EvaluationPeriods": 3,
                    "Metrics": [
                        {"Id": "e", "Expression": "100 * a / b"},
                        {"Id": "a", "MetricStat": {"Metric": {"MetricName": "HTTPCode_ELB_5XX_Count"}, "Period": 60}},
                    ],
                },
            },
        }
    }


def _figures(templates: list[dict[str, Any]]) -> dict[str, budget.Line]:
    return {line.what: line for line in budget.compute(templates)}


def test_known_answers_for_a_hand_made_template() -> None:
    figures = _figures([_template(interval=10, unhealthy=3)])
    assert figures["failed instance marked unhealthy"].value == 30
    assert figures["replacement launched"].value == 30 + budget.ASG_REACTION_SECONDS
    assert figures["replacement takes traffic"].value == 30 + budget.ASG_REACTION_SECONDS + budget.BOOT_SECONDS + 30
    assert figures["first notification: per-az"].value == 30 + 2 * 60
    assert figures["first notification: errors"].value == 3 * 60
    assert figures["healthy capacity right after losing an AZ"].value == 4
    assert figures["healthy capacity once the ASG restores it"].value == 6
    assert figures["CPU per serving instance during a zonal shift or after losing an AZ"].value == 60


def test_real_templates_meet_every_target(default_stage: SynthesizedStage) -> None:
    figures = _figures([t.to_json() for t in default_stage.templates.values()])
    assert figures["replacement launched"].value == 75
    assert figures["replacement launched"].met
    assert figures["healthy capacity right after losing an AZ"].value == 4
    assert figures["Route 53 marks the endpoint failed"].value == 30
    assert figures["first notification: payment-failover-dev-DnsHealthCheckFailed"].value == 90
    assert figures["first notification: payment-failover-dev-HealthyHosts-eu-central-1b"].value == 120
    assert figures["CPU target of the group (average of all instances)"].value == 40
    assert figures["CPU per serving instance during a zonal shift or after losing an AZ"].value == 60
    assert all(line.met for line in figures.values())


@pytest.mark.parametrize(
    ("template", "missed"),
    [
        (_template(interval=60), "replacement launched"),
        (_template(min_size=3, max_size=9), "healthy capacity right after losing an AZ"),
        (_template(cpu_target=60), "CPU per serving instance during a zonal shift or after losing an AZ"),
    ],
    ids=["slow-health-check", "too-few-per-az", "scaled-on-demand"],
)
def test_a_configuration_that_misses_a_target_makes_the_command_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: dict[str, Any], missed: str
) -> None:
    assembly = tmp_path / "assembly-PaymentFailover-test"
    assembly.mkdir()
    (assembly / "Test.template.json").write_text(json.dumps(template))
    assert budget.main([str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert f"{missed} |" in captured.out
    assert "MISSED" in captured.out
    assert missed in captured.err


def test_the_command_passes_for_a_compliant_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assembly = tmp_path / "assembly-PaymentFailover-test"
    assembly.mkdir()
    (assembly / "Test.template.json").write_text(json.dumps(_template()))
    assert budget.main([str(tmp_path)]) == 0
    assert "MISSED" not in capsys.readouterr().out


def test_no_templates_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert budget.main([str(tmp_path)]) == 2
    assert "run `make synth` first" in capsys.readouterr().err


def test_the_pipelines_stage_assemblies_are_not_mixed_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With pipeline settings, cdk.out also holds the pipeline's Staging/Production assemblies."""
    for assembly, template in (
        ("assembly-PaymentFailover-dev", _template()),
        ("assembly-payment-failover-pipeline-Staging", _template(interval=60)),
    ):
        (tmp_path / assembly).mkdir()
        (tmp_path / assembly / "Service.template.json").write_text(json.dumps(template))
    assert budget.main([str(tmp_path)]) == 0
    assert "| failed instance marked unhealthy | 60 s | 30 s x 2 |" in capsys.readouterr().out
