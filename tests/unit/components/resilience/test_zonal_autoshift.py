"""R17, failure 15: zonal shift and zonal autoshift act on the ALB and the ASG together.

https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-zonal-shift.html (the ASG is a zonal
shift resource of its own; for prescaled groups AWS recommends zonal autoshift and "Ignore unhealthy"),
https://docs.aws.amazon.com/r53recovery/latest/dg/getting-started-cli-update-zonal_autoshift.create-practice-run.html
(practice runs need an outcome alarm in the resource's Region; a blocking alarm is optional).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers.support import single
from tests.helpers.synth import SynthesizedStage, stage_for


@pytest.fixture(scope="module")
def configurations(default_stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    found = default_stage.service.find_resources("AWS::ARCZonalShift::ZonalAutoshiftConfiguration")
    return {logical_id: resource["Properties"] for logical_id, resource in found.items()}


def _identified(template: Any, type_: str) -> str:
    (logical_id,) = template.find_resources(type_)
    return str(logical_id)


def test_r17_autoshift_is_enabled_for_exactly_the_alb_and_the_asg(
    default_stage: SynthesizedStage, configurations: dict
) -> None:
    alb = _identified(default_stage.service, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    asg = _identified(default_stage.service, "AWS::AutoScaling::AutoScalingGroup")
    assert sorted(str(c["ResourceIdentifier"]) for c in configurations.values()) == sorted(
        [str({"Ref": alb}), str({"Fn::GetAtt": [asg, "AutoScalingGroupARN"]})]
    )
    assert {c["ZonalAutoshiftStatus"] for c in configurations.values()} == {"ENABLED"}


def test_r17_practice_run_alarms_resolve_to_alarms_of_the_same_stack(
    default_stage: SynthesizedStage, configurations: dict
) -> None:
    alarms = default_stage.service.find_resources("AWS::CloudWatch::Alarm")
    composites = default_stage.service.find_resources("AWS::CloudWatch::CompositeAlarm")
    names = {
        k: r["Properties"].get("AlarmName") or r["Properties"]["CompositeAlarmName"]
        for k, r in (alarms | composites).items()
    }
    for configuration in configurations.values():
        practice = configuration["PracticeRunConfiguration"]
        resolved = {}
        for kind in ("OutcomeAlarms", "BlockingAlarms"):
            (condition,) = practice[kind]  # CloudFormation's schema takes one of each
            assert condition["Type"] == "CLOUDWATCH"
            logical_id, attribute = condition["AlarmIdentifier"]["Fn::GetAtt"]
            assert attribute == "Arn"
            assert logical_id in names, f"{kind} is not an alarm of this stack"
            resolved[kind] = logical_id
        # Blocking: the group is short of instances.
        assert names[resolved["BlockingAlarms"]] == "payment-failover-dev-InServiceBelowMinimum"
        # Outcome (R21 for the probes): one composite, in ALARM when clients get errors (total outage included), the
        # region's own name fails its probe with no client traffic, or two AZs' load balancer nodes fail theirs (more
        # than the one AZ a practice run shifts away).
        outcome = composites[resolved["OutcomeAlarms"]]["Properties"]
        assert outcome["AlarmName"] == "payment-failover-dev-PracticeRunOutcome"
        assert "AlarmActions" not in outcome  # the practice run ends; ARC's own events announce it
        rule = json.dumps(outcome["AlarmRule"])
        referenced = sorted(names[i] for i in re.findall(r'"Fn::GetAtt": \["(\w+)", "Arn"\]', rule))
        assert referenced == [
            "payment-failover-dev-Alb5xxRate",
            "payment-failover-dev-ProbeRegionFailing",
            "payment-failover-dev-ProbeZonesFailing",
        ]
        assert " OR " in rule
        assert " AND " not in rule


def test_r17_both_resources_are_registered_for_zonal_shift(default_stage: SynthesizedStage) -> None:
    attributes = single(default_stage.service, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
    assert {"Key": "zonal_shift.config.enabled", "Value": "true"} in attributes
    # R3: cross-zone stays on; ALB zonal shift supports it (README, Decisions).
    assert {"Key": "load_balancing.cross_zone.enabled", "Value": "true"} in attributes
    policy = single(default_stage.service, "AWS::AutoScaling::AutoScalingGroup")["AvailabilityZoneImpairmentPolicy"]
    assert policy == {"ZonalShiftEnabled": True, "ImpairedZoneHealthCheckBehavior": "IgnoreUnhealthy"}


def test_the_asg_arn_is_an_output_for_the_runbook(default_stage: SynthesizedStage) -> None:
    asg = _identified(default_stage.service, "AWS::AutoScaling::AutoScalingGroup")
    outputs = default_stage.service.find_outputs("AutoScalingGroupArn")
    assert outputs["AutoScalingGroupArn"]["Value"] == {"Fn::GetAtt": [asg, "AutoScalingGroupARN"]}


def test_r17_autoshift_can_be_switched_off_and_then_nothing_shifts_on_its_own() -> None:
    stage = stage_for({"zonalAutoshift": "false"})
    stage.service.resource_count_is("AWS::ARCZonalShift::ZonalAutoshiftConfiguration", 0)
    # Zonal shift by hand and the drills' shift still work: both resources stay registered.
    policy = single(stage.service, "AWS::AutoScaling::AutoScalingGroup")["AvailabilityZoneImpairmentPolicy"]
    assert policy["ZonalShiftEnabled"] is True
    drills = stage.service.find_resources("AWS::FIS::ExperimentTemplate").values()
    shifting = [d for d in drills if "-lose-" in str(d["Properties"]["Tags"])]
    assert len(shifting) == 3  # the AZ-loss drills, each ending in a shift; the replacement drills never shift
