"""Issue 6: the failover budget read from templates; known answers, the real templates, missed targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from payment_failover.tools import budget
from tests.helpers.synth import SynthesizedStage


def _template(
    *,
    interval: int = 30,
    unhealthy: int = 2,
    min_size: int = 6,
    max_size: int = 9,
    pause: str = "PT6M",
    signals: bool = True,
    cpu_target: float = 40,
) -> dict[str, Any]:
    """The smallest template the budget can read: a target group, a health-gated ASG over three subnets with a
    CPU target-tracking policy, a launch template whose user data signals, two alarms."""
    group: dict[str, Any] = {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {"MinSize": str(min_size), "MaxSize": str(max_size), "VPCZoneIdentifier": ["a", "b", "c"]},
        "UpdatePolicy": {"AutoScalingRollingUpdate": {"MaxBatchSize": 3, "PauseTime": pause}},
    }
    if signals:
        group["UpdatePolicy"]["AutoScalingRollingUpdate"]["WaitOnResourceSignals"] = True
        group["CreationPolicy"] = {"ResourceSignal": {"Count": min_size, "Timeout": pause}}
    user_data = ["#!/bin/bash\n/opt/signal --stack ", {"Ref": "AWS::StackName"}, " --deadline 150 --settle 90"]
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
                    "TargetGroupAttributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "20"}],
                },
            },
            "Asg": group,
            "Lt": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {"LaunchTemplateData": {"UserData": {"Fn::Base64": {"Fn::Join": ["", user_data]}}}},
            },
            "PerAz": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "per-az",
                    "AlarmActions": [{"Ref": "Topic"}],
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
                    "AlarmActions": [{"Ref": "Topic"}],
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
    assert figures["healthy capacity once the ASG replaces the lost AZ's instances (no zonal shift)"].value == 6
    assert figures["CPU per serving instance during a zonal shift or after losing an AZ"].value == 60


SHIFTED = "healthy capacity for the whole of a zonal shift (autoshift, drill, runbook)"
NOT_SHIFTED = "healthy capacity once the ASG replaces the lost AZ's instances (no zonal shift)"


@pytest.mark.parametrize(("behaviour", "during_shift"), [("IgnoreUnhealthy", 4), ("ReplaceUnhealthy", 6)])
def test_r22_capacity_during_a_zonal_shift_follows_the_groups_impaired_zone_behaviour(
    behaviour: str, during_shift: int
) -> None:
    """AvailabilityZoneImpairmentPolicy: with IgnoreUnhealthy "instances will not be replaced in the Availability
    Zone with the active zonal shift", so the group serves with the other AZs' instances for the whole shift."""
    template = _template()
    template["Resources"]["Asg"]["Properties"]["AvailabilityZoneImpairmentPolicy"] = {
        "ZonalShiftEnabled": True,
        "ImpairedZoneHealthCheckBehavior": behaviour,
    }
    figures = _figures([template])
    assert figures[NOT_SHIFTED].value == 6
    assert figures[SHIFTED].value == during_shift
    assert figures[SHIFTED].met


def test_r22_the_shipped_group_serves_four_for_a_whole_shift_and_six_once_replaced(
    default_stage: SynthesizedStage,
) -> None:
    figures = _figures([t.to_json() for t in default_stage.templates.values()])
    assert (figures[SHIFTED].value, figures[NOT_SHIFTED].value) == (4, 6)
    assert "IgnoreUnhealthy" in figures[SHIFTED].how


def test_r22_burstable_fleet_states_unlimited_credits_and_prices_its_surplus(default_stage: SynthesizedStage) -> None:
    figures = _figures([t.to_json() for t in default_stage.templates.values()])
    assert figures["CPU credit option of the launch template"].met
    assert figures["CPU baseline of t3.small"].value == 20
    # (40 % - 20 %) x 2 vCPUs x 730 h x $0.05
    assert figures["surplus CPU credits at the CPU target, per instance"].value == pytest.approx(14.6)


def test_deployment_figures_for_a_hand_made_template() -> None:
    """30 s x 3 to healthy, user data holds /health 90 s within 150 s, batches of 3, 20 s deregistration."""
    figures = _figures([_template(pause="PT5M")])
    assert figures["new instance healthy in the target group"].value == budget.BOOT_SECONDS + 90
    assert figures["one batch proves healthy (success signals)"].value == budget.BOOT_SECONDS + 90
    assert figures["a broken instance signals failure at the latest"].value == budget.BOOT_SECONDS + 150
    assert figures["update signal timeout (PauseTime)"].value == 300
    assert figures["whole rollout of the default fleet"].value == 2 * (budget.BOOT_SECONDS + 90 + 20)
    assert figures["failed rollout detected (an instance never signals)"].value == 300
    assert (
        figures["failed rollout rolled back to the previous launch template"].value
        == 300 + budget.BOOT_SECONDS + 90 + 20
    )
    assert all(line.met for line in figures.values())


def test_inputs_of_a_composite_are_not_notifications_and_the_composite_fires_with_its_quickest_input() -> None:
    template = _template()
    resources = template["Resources"]
    for name, periods in (("slow-input", 5), ("quick-input", 3)):
        resources[name] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {"AlarmName": name, "MetricName": "X", "Period": 60, "EvaluationPeriods": periods},
        }
    resources["Either"] = {
        "Type": "AWS::CloudWatch::CompositeAlarm",
        "Properties": {
            "AlarmName": "either",
            "AlarmActions": [{"Ref": "Topic"}],
            "AlarmRule": {
                "Fn::Join": [
                    "",
                    [
                        'ALARM("',
                        {"Fn::GetAtt": ["slow-input", "Arn"]},
                        '") OR ALARM("',
                        {"Fn::GetAtt": ["quick-input", "Arn"]},
                        '")',
                    ],
                ]
            },
        },
    }
    resources["Silent"] = {
        "Type": "AWS::CloudWatch::CompositeAlarm",
        "Properties": dict(resources["Either"]["Properties"], AlarmName="silent", AlarmActions=[]),
    }
    figures = _figures([template])
    assert "first notification: slow-input" not in figures
    assert figures["first notification: either"].value == 3 * 60
    # A composite without actions (a practice run's outcome) tells nobody either.
    assert "first notification: silent" not in figures


def test_error_windows_of_a_failed_instance_and_a_lost_az_are_bounded_by_the_health_check() -> None:
    template = _template(interval=10, unhealthy=3)
    figures = _figures([template])
    assert figures["errors from one failed instance, without anomaly mitigation"].value == 30
    assert "errors from one failed instance, with anomaly mitigation" not in figures
    assert figures["errors from a lost AZ's instances (zonal autoshift on)"].value == 30
    template["Resources"]["Tg"]["Properties"]["TargetGroupAttributes"] = [
        {"Key": "load_balancing.algorithm.anomaly_mitigation", "Value": "on"}
    ]
    mitigated = _figures([template])["errors from one failed instance, with anomaly mitigation"]
    assert mitigated.value == 30
    assert "5 s" in mitigated.how


def test_real_templates_meet_every_target(default_stage: SynthesizedStage) -> None:
    figures = _figures([t.to_json() for t in default_stage.templates.values()])
    assert figures["replacement launched"].value == 75
    assert figures["replacement launched"].met
    assert figures["healthy capacity right after losing an AZ"].value == 4
    assert figures["Route 53 marks the endpoint failed"].value == 30
    assert figures["first notification: payment-failover-dev-eu-central-1-DnsHealthCheckFailed"].value == 90
    assert figures["first notification: payment-failover-dev-HealthyHosts-eu-central-1b"].value == 120
    assert figures["CPU target of the group (average of all instances)"].value == 40
    assert figures["errors from one failed instance, with anomaly mitigation"].value == 60
    # The AZ's node probe is the quickest input (R21): 2 failed one-minute runs, before the detectors' 3 of 5 minutes.
    assert figures["first notification: payment-failover-dev-AzOutlier-eu-central-1a"].value == 120
    assert not [what for what in figures if "Outlier-" in what and "AzOutlier" not in what]
    assert figures["CPU per serving instance during a zonal shift or after losing an AZ"].value == 60
    # The deploy gate waits for CodeDeploy's launch deployment and the ALB's verdict too: signal deadline
    # 120 + 60 + 60 s, so PauseTime 120 + 240 + 60 s.
    assert figures["a broken instance signals failure at the latest"].value == budget.BOOT_SECONDS + 240
    assert figures["update signal timeout (PauseTime)"].value == 420
    assert figures["creation signal timeout"].value == 420
    assert figures["whole rollout of the default fleet"].value == 2 * (budget.BOOT_SECONDS + 60 + 30)
    assert (
        figures["failed rollout rolled back to the previous launch template"].value
        == 420 + budget.BOOT_SECONDS + 60 + 30
    )
    assert all(line.met for line in figures.values())


@pytest.mark.parametrize(
    ("template", "missed"),
    [
        (_template(interval=60), "replacement launched"),
        (_template(min_size=3, max_size=9), "healthy capacity right after losing an AZ"),
        (_template(cpu_target=60), "CPU per serving instance during a zonal shift or after losing an AZ"),
        (_template(signals=False), "deployment waits for each new instance's health signal"),
        (_template(pause="PT4M"), "update signal timeout (PauseTime)"),
        (_template(interval=100, pause="PT6M"), "creation signal timeout"),
    ],
    ids=[
        "slow-health-check",
        "too-few-per-az",
        "scaled-on-demand",
        "no-signals",
        "pause-shorter-than-failure-signal",
        "slow-to-healthy",
    ],
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


def test_r18_region_failover_and_failback_times_come_from_the_global_templates(
    standby_stage: SynthesizedStage,
) -> None:
    figures = _figures([t.to_json() for t in standby_stage.templates.values()])
    # dnsHealthCheckIntervalSeconds 10 x dnsFailureThreshold 3 + the ALB alias TTL of 60 s.
    assert figures["region failover: clients resolve to the standby"].value == 10 * 3 + budget.ALIAS_TTL_SECONDS
    # regionFailback=manual (the default with a standby): the TTL after the operator opens the gate.
    failback = figures["region failback: clients resolve to the primary again"]
    assert failback.value == budget.ALIAS_TTL_SECONDS
    assert "opens the failback gate" in failback.how
    assert "10 s x 3 + TTL 60 s" in failback.how
    capacity = figures["standby capacity when it takes all traffic"]
    assert capacity.value == 6
    assert capacity.how.startswith("6 x t3.micro (primary: 6 x t3.small)")
    assert "up to 7" in capacity.how
    assert figures["standby: healthy capacity right after losing an AZ"].met


def test_automatic_failback_waits_for_the_primarys_healthy_streak(standby_stage: SynthesizedStage) -> None:
    """regionFailback=automatic: the PRIMARY record carries the primary's HTTPS check itself."""
    templates = [json.loads(json.dumps(t.to_json())) for t in standby_stage.templates.values()]
    (global_dns,) = [
        t
        for t in templates
        if any(
            r["Type"] == "AWS::Route53::RecordSet" and "Failover" in r["Properties"] for r in t["Resources"].values()
        )
    ]
    resources = global_dns["Resources"]
    (gate_id,) = [
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::Route53::HealthCheck" and r["Properties"]["HealthCheckConfig"]["Type"] == "CALCULATED"
    ]
    (child,) = resources.pop(gate_id)["Properties"]["HealthCheckConfig"]["ChildHealthChecks"]
    for record in resources.values():
        if record["Properties"].get("HealthCheckId") == {"Ref": gate_id}:
            record["Properties"]["HealthCheckId"] = child
    failback = _figures(templates)["region failback: clients resolve to the primary again"]
    assert failback.value == 10 * 3 + budget.ALIAS_TTL_SECONDS
    assert failback.how == "primary check passes: 10 s x 3 + TTL 60 s"


def test_without_a_standby_there_is_no_region_failover_figure(default_stage: SynthesizedStage) -> None:
    figures = _figures([t.to_json() for t in default_stage.templates.values()])
    assert not [what for what in figures if what.startswith(("region ", "standby"))]
