"""Failover budget: timings and surviving capacity, read from the synthesized templates alone.

`make budget` (``python -m payment_failover.tools.budget [cdk.out]``) prints the table and exits 1 when
the configuration misses a product target: a replacement launched within 2 minutes of a failure
(R5), at least 4 healthy targets left after losing a whole AZ, and a deployment that waits for every
new instance's signal for longer than that instance needs to become healthy (R16).

Three figures are not in any template and are stated as assumptions: how quickly the ASG acts on an
ELB health change, how long a new instance takes to boot and start the health service, and that a
rollback replaces at most the one batch that failed.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payment_failover.components.fleet.rollout import BOOT_SECONDS, parse_iso_duration

ASG_REACTION_SECONDS = 15  # assumption: ASG acts on an ELB "unhealthy" within one of its health sweeps
ALIAS_TTL_SECONDS = 60  # Route 53 answers alias records to an ALB with the ALB's 60 s TTL
TARGET_LAUNCH_SECONDS = 120
TARGET_HEALTHY_AFTER_AZ_LOSS = 4
# The per-instance CPU the design allows when one AZ carries nothing (compute.CPU_CEILING_PERCENT, R17).
TARGET_CPU_CEILING_PERCENT = 60

Template = Mapping[str, Any]


@dataclass(frozen=True)
class Line:
    what: str
    value: float
    unit: str
    how: str
    target: str = ""
    met: bool = True


def _resources(templates: Iterable[Template], type_: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for t in templates for r in t.get("Resources", {}).values() if r["Type"] == type_]


def _by_logical_id(templates: Iterable[Template], type_: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: r.get("Properties", {})
        for t in templates
        for logical_id, r in t.get("Resources", {}).items()
        if r["Type"] == type_
    }


def _referenced_ids(value: Any) -> list[str]:
    """Logical ids named by Fn::GetAtt anywhere inside a template value (e.g. a composite's AlarmRule)."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return [str(value["Fn::GetAtt"][0])]
        return [i for item in value.values() for i in _referenced_ids(item)]
    if isinstance(value, list):
        return [i for item in value for i in _referenced_ids(item)]
    return []


def _one(templates: Iterable[Template], type_: str) -> dict[str, Any]:
    found = _resources(templates, type_)
    if len(found) != 1:
        raise ValueError(f"expected exactly one {type_} in the templates, found {len(found)}")
    return found[0]


def _alarm_timing(alarm: Mapping[str, Any]) -> tuple[str, int, int]:
    """(metric name, period, datapoints to alarm) of a single-metric or metric-math alarm."""
    datapoints = int(alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"]))
    if "MetricName" in alarm:
        return alarm["MetricName"], int(alarm["Period"]), datapoints
    stats = [q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q]
    return stats[0]["Metric"]["MetricName"], int(stats[0]["Period"]), datapoints


STANDBY_MARKER = "-standby"  # the standby's names end so (names.py); its ASG tells its template apart


def compute(templates: list[Template]) -> list[Line]:
    """The budget of a Stage: the primary region (with the global DNS checks and alarms), then, when a standby
    exists, the standby region and the region failover itself."""
    regional = [t for t in templates if _resources([t], "AWS::AutoScaling::AutoScalingGroup")]
    global_dns = [t for t in templates if t not in regional]
    standby = [t for t in regional if _asg_name(t).endswith(STANDBY_MARKER)]
    primary = [t for t in regional if t not in standby]
    if len(primary) != 1 or len(standby) > 1:
        raise ValueError(
            f"expected one primary and at most one standby region, found {len(primary)} and {len(standby)}"
        )
    lines = _region(primary + global_dns, prefix="")
    if standby:
        lines += _region(standby, prefix="standby: ")
        lines += _region_failover(global_dns, primary[0], standby[0])
    return lines


def _asg_name(template: Template) -> str:
    return str(_one([template], "AWS::AutoScaling::AutoScalingGroup").get("AutoScalingGroupName", ""))


def _failback_line(primary_record: Template, global_dns: list[Template], switch: int, formula: str) -> Line:
    """Automatic: the primary's healthy streak plus the TTL. Manual: the PRIMARY record carries the calculated
    failback gate, and clients return only after an operator opens it (then the TTL)."""
    gate_id = primary_record.get("HealthCheckId", {}).get("Ref")
    gate = next((t["Resources"][gate_id] for t in global_dns if gate_id in t.get("Resources", {})), None)
    if gate and gate["Properties"]["HealthCheckConfig"]["Type"] == "CALCULATED":
        return Line(
            "region failback: clients resolve to the primary again",
            ALIAS_TTL_SECONDS,
            "s",
            f"regionFailback=manual: TTL {ALIAS_TTL_SECONDS} s after an operator opens the failback gate (a gate "
            f"left open: {formula}, as automatic)",
        )
    return Line(
        "region failback: clients resolve to the primary again", switch, "s", f"primary check passes: {formula}"
    )


def _region_failover(global_dns: list[Template], primary: Template, standby: Template) -> list[Line]:
    """Route 53 moves clients when the primary's check fails, and back when it passes again; the TTL bounds
    how long a resolver keeps the old answer. The standby serves with its own fleet (`standbySettings` may give
    it smaller instances or a lower maximum) and grows it by CPU target tracking."""
    records = _resources(global_dns, "AWS::Route53::RecordSet")
    checks = {
        c.get("HealthCheckConfig", {}).get("FullyQualifiedDomainName"): c
        for c in _resources(global_dns, "AWS::Route53::HealthCheck")
    }
    primary_record = next(r for r in records if r.get("Failover") == "PRIMARY")
    config = checks[primary_record["AliasTarget"]["DNSName"]]["HealthCheckConfig"]
    interval, threshold = int(config["RequestInterval"]), int(config["FailureThreshold"])
    switch = interval * threshold + ALIAS_TTL_SECONDS
    formula = f"{interval} s x {threshold} + TTL {ALIAS_TTL_SECONDS} s"
    primary_size, primary_type = _fleet(primary)
    standby_size, standby_type = _fleet(standby)
    standby_max = _one([standby], "AWS::AutoScaling::AutoScalingGroup")["MaxSize"]
    lines = [
        Line("region failover: clients resolve to the standby", switch, "s", f"primary check fails: {formula}"),
        _failback_line(primary_record, global_dns, switch, formula),
        Line(
            "standby capacity when it takes all traffic",
            standby_size,
            "instances",
            f"{standby_size} x {standby_type} (primary: {primary_size} x {primary_type}); CPU target tracking "
            f"grows it up to {standby_max}",
        ),
    ]
    return lines


def _fleet(template: Template) -> tuple[int, str]:
    """(instances at rest, instance type) of a region: the ASG's MinSize and its launch template's type."""
    asg = _one([template], "AWS::AutoScaling::AutoScalingGroup")
    launch = _one([template], "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    return int(asg["MinSize"]), str(launch["InstanceType"])


def _region(templates: list[Template], *, prefix: str) -> list[Line]:
    """The figures of one region: instance replacement, DNS detection, alarms, capacity through an AZ loss."""
    lines = [
        Line(prefix + line.what, line.value, line.unit, line.how, line.target, line.met)
        for line in _region_lines(templates)
    ]
    return lines


def _region_lines(templates: list[Template]) -> list[Line]:
    """A region's figures in table order: replacement, client errors, DNS, notifications, capacity, deployment."""
    tg = _one(templates, "AWS::ElasticLoadBalancingV2::TargetGroup")
    asg = _one(templates, "AWS::AutoScaling::AutoScalingGroup")
    interval = int(tg["HealthCheckIntervalSeconds"])
    unhealthy = interval * int(tg["UnhealthyThresholdCount"])
    lines = _replacement_lines(tg, interval, unhealthy)
    lines += _client_visible_errors(tg, unhealthy, interval)
    lines += _lost_node_lines(templates)
    dns_lines, detect_dns = _dns_detection(templates)
    lines += dns_lines
    lines += _notification_lines(templates, unhealthy, detect_dns)
    lines += _capacity_lines(templates, asg)
    # R20's rows live beside this module, which they import their Line from.
    from payment_failover.tools.release_budget import release_lines

    regional = next(t for t in templates if _resources([t], "AWS::AutoScaling::AutoScalingGroup"))
    return lines + deployment(templates) + release_lines(regional)


def _replacement_lines(tg: Mapping[str, Any], interval: int, unhealthy: int) -> list[Line]:
    """R5: how soon a failed instance is marked, replaced, and its replacement serves."""
    healthy = interval * int(tg["HealthyThresholdCount"])
    launch = unhealthy + ASG_REACTION_SECONDS
    lines = [
        Line("failed instance marked unhealthy", unhealthy, "s", f"{interval} s x {tg['UnhealthyThresholdCount']}"),
        Line(
            "replacement launched",
            launch,
            "s",
            f"{unhealthy} s + ASG reaction {ASG_REACTION_SECONDS} s (assumed)",
            f"<= {TARGET_LAUNCH_SECONDS} s",
            launch <= TARGET_LAUNCH_SECONDS,
        ),
        Line(
            "replacement takes traffic",
            launch + BOOT_SECONDS + healthy,
            "s",
            f"{launch} s + boot {BOOT_SECONDS} s (assumed) + {interval} s x {tg['HealthyThresholdCount']}",
        ),
    ]
    return lines


def _dns_detection(templates: list[Template]) -> tuple[list[Line], int]:
    """Route 53's time to mark the endpoint failed (0 without a health check), which alarms on it add to theirs."""
    lines: list[Line] = []
    checks = _resources(templates, "AWS::Route53::HealthCheck")
    detect_dns = 0
    if checks:
        config = checks[0]["HealthCheckConfig"]
        detect_dns = int(config["RequestInterval"]) * int(config["FailureThreshold"])
        lines += [
            Line(
                "Route 53 marks the endpoint failed",
                detect_dns,
                "s",
                f"{config['RequestInterval']} s x {config['FailureThreshold']}",
            ),
            Line("DNS TTL of the service name", ALIAS_TTL_SECONDS, "s", "alias records to an ALB"),
        ]
    return lines, detect_dns


def _notification_lines(templates: list[Template], unhealthy: int, detect_dns: int) -> list[Line]:
    """How long after a failure each notifying alarm first tells someone; a composite, by its quickest input."""
    lines: list[Line] = []
    before = {"HealthyHostCount": unhealthy, "UnHealthyHostCount": unhealthy, "HealthCheckStatus": detect_dns}
    alarms = _by_logical_id(templates, "AWS::CloudWatch::Alarm")
    for alarm in sorted(alarms.values(), key=lambda a: str(a.get("AlarmName"))):
        if not alarm.get("AlarmActions"):
            continue  # an input of a composite alarm: it notifies nobody itself
        metric, period, datapoints = _alarm_timing(alarm)
        detection = before.get(metric, 0)
        lines.append(
            Line(
                f"first notification: {alarm.get('AlarmName', metric)}",
                detection + period * datapoints,
                "s",
                f"{detection} s detection + {datapoints} x {period} s",
            )
        )
    for composite in sorted(
        _by_logical_id(templates, "AWS::CloudWatch::CompositeAlarm").values(), key=lambda a: str(a.get("AlarmName"))
    ):
        if not composite.get("AlarmActions"):
            continue  # an input of something else (a practice run's outcome, a zonal deployment): it notifies nobody
        # A composite fires with its quickest input in ALARM (the others, in an AND or an OK(), hold already).
        inputs = [alarms[i] for i in _referenced_ids(composite.get("AlarmRule")) if i in alarms]
        if not inputs:
            continue
        fastest = min(inputs, key=lambda a: _alarm_timing(a)[1] * _alarm_timing(a)[2])
        _, period, datapoints = _alarm_timing(fastest)
        lines.append(
            Line(
                f"first notification: {composite.get('AlarmName')}",
                period * datapoints,
                "s",
                f"{datapoints} x {period} s of its quickest input",
            )
        )
    return lines


def _capacity_lines(templates: list[Template], asg: Mapping[str, Any]) -> list[Line]:
    """R17: the load on, and the healthy capacity of, the AZs left after losing one or shifting away from it."""
    zones = len(asg["VPCZoneIdentifier"])
    minimum, maximum = int(asg["MinSize"]), int(asg["MaxSize"])
    left = minimum - minimum // zones
    restored = min(minimum, maximum)
    policy = asg.get("AvailabilityZoneImpairmentPolicy", {})
    ignores = policy.get("ZonalShiftEnabled") and policy.get("ImpairedZoneHealthCheckBehavior") == "IgnoreUnhealthy"
    during_shift = left if ignores else restored
    lines = _load_during_a_shift(templates, zones)
    lines += [
        Line("healthy capacity at rest", minimum, "instances", f"{minimum // zones} per AZ x {zones} AZs"),
        Line(
            "healthy capacity right after losing an AZ",
            left,
            "instances",
            f"{minimum} - {minimum // zones}",
            f">= {TARGET_HEALTHY_AFTER_AZ_LOSS}",
            left >= TARGET_HEALTHY_AFTER_AZ_LOSS,
        ),
        Line(
            "healthy capacity once the ASG replaces the lost AZ's instances (no zonal shift)",
            restored,
            "instances",
            f"ELB health checks replace them; desired {minimum} in the {zones - 1} remaining AZs (max {maximum})",
        ),
        Line(
            "healthy capacity for the whole of a zonal shift (autoshift, drill, runbook)",
            during_shift,
            "instances",
            (
                f"IgnoreUnhealthy: the shifted AZ's {minimum // zones} stay InService, not replaced; "
                f"{left} prescaled instances carry the load"
                if ignores
                else f"ReplaceUnhealthy: replaced in the {zones - 1} other AZs"
            ),
            f">= {TARGET_HEALTHY_AFTER_AZ_LOSS}",
            during_shift >= TARGET_HEALTHY_AFTER_AZ_LOSS,
        ),
    ]
    return lines


_SIGNAL_ARGS = re.compile(r"--deadline (\d+) --settle (\d+)")


def _signal_timing(templates: Iterable[Template]) -> tuple[int, int] | None:
    """(deadline, settle) of the signal step in the launch template's user data, if it has one."""
    for template in templates:
        launch = _resources([template], "AWS::EC2::LaunchTemplate")
        for data in (lt.get("LaunchTemplateData", {}) for lt in launch):
            match = _SIGNAL_ARGS.search(_flatten(data.get("UserData", "")))
            if match:
                return int(match[1]), int(match[2])
    return None


def _flatten(value: Any) -> str:
    """The literal text of a CloudFormation string expression (references left out)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_flatten(item) for item in value)
    if isinstance(value, dict):
        return "".join(_flatten(item) for item in value.values())
    return ""


def _group_resource(templates: Iterable[Template]) -> dict[str, Any]:
    found = [r for t in templates for r in t.get("Resources", {}).values() if r["Type"] == AUTO_SCALING_GROUP]
    if len(found) != 1:
        raise ValueError(f"expected exactly one {AUTO_SCALING_GROUP} in the templates, found {len(found)}")
    group: dict[str, Any] = found[0]
    return group


AUTO_SCALING_GROUP = "AWS::AutoScaling::AutoScalingGroup"
DEFAULT_DEREGISTRATION_SECONDS = 300  # ELB's default deregistration delay when the template sets none


def deployment(templates: list[Template]) -> list[Line]:
    """R16: how long a health-gated rolling deployment takes, and whether its timeouts cover time-to-healthy.

    Timeout semantics (PauseTime with WaitOnResourceSignals, creation signals):
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-creationpolicy.html
    """
    tg = _one(templates, "AWS::ElasticLoadBalancingV2::TargetGroup")
    group = _group_resource(templates)
    interval, healthy_count = int(tg["HealthCheckIntervalSeconds"]), int(tg["HealthyThresholdCount"])
    time_to_healthy = BOOT_SECONDS + interval * healthy_count
    attributes = {a["Key"]: a["Value"] for a in tg.get("TargetGroupAttributes", [])}
    deregistration = int(attributes.get("deregistration_delay.timeout_seconds", DEFAULT_DEREGISTRATION_SECONDS))
    rolling = group.get("UpdatePolicy", {}).get("AutoScalingRollingUpdate", {})
    signal = group.get("CreationPolicy", {}).get("ResourceSignal", {})
    timing = _signal_timing(templates)
    waits = bool(rolling.get("WaitOnResourceSignals")) and bool(signal) and timing is not None
    lines = _health_gate_lines(waits, time_to_healthy, interval=interval, healthy_count=healthy_count)
    if not waits or timing is None:
        return lines
    deadline, settle = timing
    pause = parse_iso_duration(str(rolling.get("PauseTime", "PT5M")))
    creation = parse_iso_duration(str(signal.get("Timeout", "PT5M")))
    latest_failure = BOOT_SECONDS + deadline
    needed = max(time_to_healthy, latest_failure)
    success = BOOT_SECONDS + settle
    batch = int(rolling.get("MaxBatchSize", 1))
    minimum = int(group["Properties"]["MinSize"])
    batches = math.ceil(minimum / batch)
    one_batch = success + deregistration
    lines += _signal_timeout_lines(
        rolling,
        signal,
        deadline=deadline,
        settle=settle,
        success=success,
        latest_failure=latest_failure,
        pause=pause,
        creation=creation,
        needed=needed,
    )
    lines += _rollout_duration_lines(
        pause, batches=batches, batch=batch, success=success, deregistration=deregistration, one_batch=one_batch
    )
    return lines


def _health_gate_lines(waits: bool, time_to_healthy: int, *, interval: int, healthy_count: int) -> list[Line]:
    """R16: whether a deployment is gated on each new instance's health, and how long that instance needs."""
    return [
        Line(
            "deployment waits for each new instance's health signal",
            int(waits),
            "(1 = yes)",
            "WaitOnResourceSignals, CreationPolicy and the user data's signal step",
            "= 1",
            waits,
        ),
        Line(
            "new instance healthy in the target group",
            time_to_healthy,
            "s",
            f"boot {BOOT_SECONDS} s (assumed) + {interval} s x {healthy_count}",
        ),
    ]


def _signal_timeout_lines(
    rolling: Mapping[str, Any],
    signal: Mapping[str, Any],
    *,
    deadline: int,
    settle: int,
    success: int,
    latest_failure: int,
    pause: int,
    creation: int,
    needed: int,
) -> list[Line]:
    """R16: the signal timeouts must outlast the slowest verdict, or CloudFormation gives up on a sound instance."""
    return [
        Line(
            "one batch proves healthy (success signals)",
            success,
            "s",
            f"boot {BOOT_SECONDS} s + /health held {settle} s",
        ),
        Line(
            "a broken instance signals failure at the latest",
            latest_failure,
            "s",
            f"boot {BOOT_SECONDS} s + signal deadline {deadline} s",
        ),
        Line(
            "update signal timeout (PauseTime)",
            pause,
            "s",
            str(rolling.get("PauseTime")),
            f"> {needed} s",
            pause > needed,
        ),
        Line(
            "creation signal timeout",
            creation,
            "s",
            f"{signal.get('Count')} signals within {signal.get('Timeout')}",
            f"> {needed} s",
            creation > needed,
        ),
    ]


def _rollout_duration_lines(
    pause: int, *, batches: int, batch: int, success: int, deregistration: int, one_batch: int
) -> list[Line]:
    """How long a whole rollout takes, and a failed one until it is detected and rolled back."""
    return [
        Line(
            "whole rollout of the default fleet",
            batches * one_batch,
            "s",
            f"{batches} batches of {batch} x ({success} s + deregistration {deregistration} s)",
        ),
        Line(
            "failed rollout detected (an instance never signals)",
            pause,
            "s",
            "PauseTime; a failure signal ends it sooner",
        ),
        Line(
            "failed rollout rolled back to the previous launch template",
            pause + one_batch,
            "s",
            f"{pause} s + one batch {one_batch} s (assumed: rollback replaces only the failed batch)",
        ),
    ]


ATW_STEP_SECONDS = 5  # AWS: anomaly mitigation adjusts an anomalous target's traffic "every five seconds"


def _client_visible_errors(tg: Mapping[str, Any], unhealthy: int, interval: int) -> list[Line]:
    """How long clients can get errors from a failed instance, and from a lost AZ's instances.

    Health checks bound both. Automatic target weights (anomaly mitigation) shorten the first, but AWS
    publishes only its adjustment step, not how long detection takes, so the bound stays the health check's.
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html
    """
    attributes = {a["Key"]: a["Value"] for a in tg.get("TargetGroupAttributes", [])}
    mitigated = attributes.get("load_balancing.algorithm.anomaly_mitigation") == "on"
    lines = [
        Line(
            "errors from one failed instance, without anomaly mitigation",
            unhealthy,
            "s",
            f"its share of requests until marked unhealthy ({interval} s x {tg['UnhealthyThresholdCount']})",
        )
    ]
    if mitigated:
        lines.append(
            Line(
                "errors from one failed instance, with anomaly mitigation",
                unhealthy,
                "s at most",
                f"traffic cut in steps of {ATW_STEP_SECONDS} s once ATW finds it anomalous (detection time "
                "not published); never longer than the health check",
            )
        )
    lines.append(
        Line(
            "errors from a lost AZ's instances (zonal autoshift on)",
            unhealthy,
            "s",
            f"until its targets are marked unhealthy ({interval} s x {tg['UnhealthyThresholdCount']}); "
            "autoshift's start is AWS's call, not a template value",
        )
    )
    return lines


def _refs(value: Any) -> list[str]:
    """Logical ids named by Ref anywhere inside a template value (e.g. a subnet inside an Fn::Join'd ARN)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return [str(value["Ref"])]
        return [i for item in value.values() for i in _refs(item)]
    if isinstance(value, list):
        return [i for item in value for i in _refs(item)]
    return []


def _lost_node_lines(templates: list[Template]) -> list[Line]:
    """Connection failures at a lost AZ's load balancer node, in the AZ drill that cuts the node's subnet.

    With cross-zone load balancing, an AZ's node address stays in DNS while the target group has a healthy target in
    any AZ (https://www.repost.aws/knowledge-center/elb-dns-cross-zone-balance-configuration); a zonal shift takes the
    AZ out (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/zonal-shift.html). So clients reach a
    node whose subnet is cut until the drill's shift starts, plus the alias TTL of the answers they cached.
    """
    node_subnets = set(
        _refs([b.get("Subnets", []) for b in _resources(templates, "AWS::ElasticLoadBalancingV2::LoadBalancer")])
    )
    delays = []
    for drill in _resources(templates, "AWS::FIS::ExperimentTemplate"):
        actions = list(drill.get("Actions", {}).values())
        cuts = [a for a in actions if a["ActionId"] == "aws:network:disrupt-connectivity"]
        waits = [a for a in actions if a["ActionId"] == "aws:fis:wait"]
        if cuts and waits and node_subnets & set(_refs(drill["Targets"][cuts[0]["Targets"]["Subnets"]])):
            delays.append(parse_iso_duration(waits[0]["Parameters"]["duration"]))
    if not delays:
        return []
    delay = max(delays)
    return [
        Line(
            "connection failures at a lost AZ's load balancer node (AZ drill)",
            delay + ALIAS_TTL_SECONDS,
            "s at most",
            f"the node's share of new connections until the drill's shift ({delay} s) takes its address out of DNS, "
            f"+ alias TTL {ALIAS_TTL_SECONDS} s; not 5xx, so no 5xx alarm counts them; in a real event, until "
            "autoshift (AWS's call) or an operator shifts",
        )
    ]


def _load_during_a_shift(templates: list[Template], zones: int) -> list[Line]:
    """Per-instance CPU when one AZ's instances serve nothing (shifted away, or lost), at the group's CPU target.

    Target tracking holds the average over every instance of the group; during a zonal shift the idle
    instances of the shifted AZ stay in the group (IgnoreUnhealthy, no scale-in during a shift), so the
    instances of the other AZs carry zones / (zones - 1) times the target.
    """
    targets = [
        float(policy["TargetTrackingConfiguration"]["TargetValue"])
        for policy in _resources(templates, "AWS::AutoScaling::ScalingPolicy")
        if policy.get("TargetTrackingConfiguration", {})
        .get("PredefinedMetricSpecification", {})
        .get("PredefinedMetricType")
        == "ASGAverageCPUUtilization"
    ]
    if not targets:
        return []
    target = targets[0]
    during = round(target * zones / (zones - 1))
    return [
        Line("CPU target of the group (average of all instances)", round(target), "%", "target tracking"),
        Line(
            "CPU per serving instance during a zonal shift or after losing an AZ",
            during,
            "%",
            f"{target:g} % x {zones}/{zones - 1} AZs",
            f"<= {TARGET_CPU_CEILING_PERCENT} %",
            during <= TARGET_CPU_CEILING_PERCENT,
        ),
        *_cpu_credits(templates, target),
    ]


# Burstable types (vCPUs, baseline % per vCPU) from EC2's "Key concepts for burstable performance instances" table
# (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-credits-baseline-concepts.html). Unlimited mode:
# "If the average CPU usage over a 24-hour period exceeds the baseline, you incur charges for surplus credits"
# (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-performance-instances-unlimited-mode.html), at a
# flat rate per vCPU-hour that the EC2 On-Demand pricing page lists; $0.05 for T3/T3a on Linux is taken from that
# page as commonly quoted (the search tool did not return its price table): assumed, 2026-05.
BURSTABLE = {
    f"{family}.{size}": spec
    for family in ("t3", "t3a")
    for size, spec in {
        "nano": (2, 5),
        "micro": (2, 10),
        "small": (2, 20),
        "medium": (2, 20),
        "large": (2, 30),
        "xlarge": (4, 40),
        "2xlarge": (8, 40),
    }.items()
}
SURPLUS_CREDIT_USD_PER_VCPU_HOUR = 0.05
HOURS_PER_MONTH = 730


def _cpu_credits(templates: list[Template], target: float) -> list[Line]:
    """Burstable types at the CPU target: the credit option the template states and what its surplus costs."""
    launch = _one(templates, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    instance_type = str(launch.get("InstanceType", ""))
    if instance_type not in BURSTABLE:
        return []
    vcpus, baseline = BURSTABLE[instance_type]
    option = launch.get("CreditSpecification", {}).get("CpuCredits", "not stated (account default)")
    unlimited = option == "unlimited"
    surplus = max(0.0, target - baseline) / 100 * vcpus
    monthly = surplus * HOURS_PER_MONTH * SURPLUS_CREDIT_USD_PER_VCPU_HOUR
    return [
        Line(
            f"CPU baseline of {instance_type}",
            baseline,
            "% per vCPU",
            f"{vcpus} vCPUs, burstable; the group runs above it at its {target:g} % target",
        ),
        Line(
            "CPU credit option of the launch template",
            int(unlimited),
            "(1 = unlimited)",
            f"{option}: standard would throttle toward {baseline} % during an AZ loss",
            "= 1",
            unlimited,
        ),
        Line(
            "surplus CPU credits at the CPU target, per instance",
            round(monthly, 2),
            "USD/month",
            f"({target:g} % - {baseline} %) x {vcpus} vCPUs x {HOURS_PER_MONTH} h x "
            f"${SURPLUS_CREDIT_USD_PER_VCPU_HOUR} per vCPU-hour (rate assumed)",
        ),
    ]


def region_failover(lines: list[Line]) -> list[Line]:
    """Only the region failover figures (the README's Region failover section shows these)."""
    return [line for line in lines if line.what.startswith(("region ", "standby capacity"))]


def render(lines: list[Line]) -> str:
    rows = ["| figure | value | from | target |", "|---|---|---|---|"]
    for line in lines:
        verdict = f"{line.target} {'ok' if line.met else 'MISSED'}" if line.target else ""
        rows.append(f"| {line.what} | {line.value} {line.unit} | {line.how} | {verdict.strip()} |")
    return "\n".join(rows)


# The stand-alone Stage's assembly (`app.py` names it PaymentFailover-<suffix>); the pipeline's stages, when
# configured, sit in assemblies of their own and are the same Stage for other environments.
STAGE_ASSEMBLIES = "assembly-PaymentFailover-*/*.template.json"


def load_templates(out_dir: Path) -> list[Template]:
    """The templates of the stand-alone Stage in a cloud assembly directory."""
    paths = sorted(out_dir.glob(STAGE_ASSEMBLIES))
    if not paths:
        raise FileNotFoundError(f"no templates under {out_dir}: run `make synth` first")
    return [json.loads(path.read_text()) for path in paths]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0] if args else "cdk.out")
    try:
        lines = compute(load_templates(out_dir))
    except (FileNotFoundError, ValueError) as error:
        print(f"budget: {error}", file=sys.stderr)
        return 2
    print(render(lines))
    missed = [line.what for line in lines if not line.met]
    if missed:
        print("\nMissed targets: " + "; ".join(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
