"""The zonal release's rows of `make budget` (R20), read from a region's template: how long a new version takes
to cross every AZ with its bakes, how soon an alarm can stop a bad one in the first AZ and how much of the fleet it
reaches meanwhile, and what a planned stop gives the requests in flight.

The template gives the bakes, the per-AZ minimum, the group's sizes, the target group's deregistration delay and
health-check timing, and the alarms the deployment group watches; config/release_timing.py holds the arithmetic
(and its two assumptions: install and start times). How CodeDeploy reacts to an alarm is its page's: an alarm in
ALARM stops the deployment, and automatic rollback then redeploys the last good revision
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-codedeploy-deploymentgroup-alarmconfiguration.html).
How often CodeDeploy polls the alarms is on no page found; the figure is the alarm's own time to fire.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payment_failover.config.release_timing import ReleaseTiming
from payment_failover.tools.budget import Line

Template = Mapping[str, Any]


def _resources(template: Template, type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template.get("Resources", {}).items() if v["Type"] == type_}


def _only(template: Template, type_: str) -> dict[str, Any]:
    (resource,) = _resources(template, type_).values()
    properties: dict[str, Any] = resource["Properties"]
    return properties


def _timing(template: Template, *, instances_per_zone: int) -> ReleaseTiming:
    config = _only(template, "AWS::CodeDeploy::DeploymentConfig")["ZonalConfig"]
    tg = _only(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    attributes = {a["Key"]: a["Value"] for a in tg.get("TargetGroupAttributes", [])}
    return ReleaseTiming(
        first_zone_bake_seconds=int(config["FirstZoneMonitorDurationInSeconds"]),
        zone_bake_seconds=int(config["MonitorDurationInSeconds"]),
        zones=len(_only(template, "AWS::AutoScaling::AutoScalingGroup")["VPCZoneIdentifier"]),
        instances_per_zone=instances_per_zone,
        drain_seconds=int(attributes["deregistration_delay.timeout_seconds"]),
        seconds_to_mark_healthy=int(tg["HealthCheckIntervalSeconds"]) * int(tg["HealthyThresholdCount"]),
    )


def _fastest_alarm(template: Template) -> tuple[str, int]:
    """(name, seconds to fire) of the deployment group's alarm that fires first on a sustained breach."""
    group = _only(template, "AWS::CodeDeploy::DeploymentGroup")
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    timings = []
    for entry in group["AlarmConfiguration"]["Alarms"]:
        alarm = alarms[entry["Name"]["Ref"]]["Properties"]
        period = int(alarm["Period"]) if "Period" in alarm else _math_period(alarm)
        timings.append(
            (str(alarm["AlarmName"]), period * int(alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"])))
        )
    return min(timings, key=lambda timing: timing[1])


def _math_period(alarm: Mapping[str, Any]) -> int:
    stats = [q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q]
    return int(stats[0]["Period"]) if stats else int(next(q["Period"] for q in alarm["Metrics"] if "Period" in q))


def release_lines(template: Template) -> list[Line]:
    """The rows for one region; none when the template has no zonal release."""
    if not _resources(template, "AWS::CodeDeploy::DeploymentConfig"):
        return []
    asg = _only(template, "AWS::AutoScaling::AutoScalingGroup")
    zones = len(asg["VPCZoneIdentifier"])
    at_rest = _timing(template, instances_per_zone=int(asg["MinSize"]) // zones)
    largest = _timing(template, instances_per_zone=-(-int(asg["MaxSize"]) // zones))
    alarm, seconds_to_alarm = _fastest_alarm(template)
    exposed = at_rest.instances_exposed(seconds_to_alarm)
    fleet = at_rest.zones * at_rest.instances_per_zone
    per_instance = (
        f"deregistration {at_rest.drain_seconds} s + stop {at_rest.drain_seconds + 5} s + install and start 40 s "
        f"(assumed) + {at_rest.seconds_to_mark_healthy} s to healthy"
    )
    return [
        Line("release: one instance out and back", at_rest.instance_seconds, "s", per_instance),
        Line(
            "release: a new version crosses every AZ (at rest)",
            at_rest.release_seconds,
            "s",
            f"{zones} AZs x {at_rest.instances_per_zone} instances one at a time + bakes {at_rest.bake_seconds} s",
            f"<= {at_rest.allowed_seconds} s",
            at_rest.release_seconds <= at_rest.allowed_seconds,
        ),
        Line(
            "release: a new version crosses every AZ (group at its maximum)",
            largest.release_seconds,
            "s",
            f"{zones} AZs x {largest.instances_per_zone} instances + bakes {largest.bake_seconds} s",
            f"<= {largest.allowed_seconds} s",
            largest.release_seconds <= largest.allowed_seconds,
        ),
        Line(
            "release: a bad version's first alarm fires after",
            seconds_to_alarm,
            "s",
            f"{alarm}: period x datapoints, from the first instance serving it",
        ),
        Line(
            "release: instances that can run a bad version before it is stopped",
            exposed,
            "instances",
            f"first AZ only; one more each {at_rest.instance_seconds} s until the alarm",
            f"<= {at_rest.instances_per_zone} (one AZ)",
            exposed <= at_rest.instances_per_zone,
        ),
        Line(
            "release: share of requests a bad version can answer before it is stopped",
            round(100 * exposed / fleet),
            "%",
            f"{exposed} of {fleet} instances behind a cross-zone load balancer",
        ),
        Line(
            "planned stop: time requests in flight get to finish",
            at_rest.drain_seconds,
            "s",
            "deregistration delay; then SIGTERM and the service's own drain of the same length",
        ),
    ]
