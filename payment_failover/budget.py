"""Failover budget: timings and surviving capacity, read from the synthesized templates alone.

`make budget` (``python -m payment_failover.budget [cdk.out]``) prints the table and exits 1 when
the configuration misses a product target: a replacement launched within 2 minutes of a failure
(R5), and at least 4 healthy targets left after losing a whole AZ.

Two figures are not in any template and are stated as assumptions: how quickly the ASG acts on an
ELB health change, and how long a new instance takes to boot and start the health service.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ASG_REACTION_SECONDS = 15  # assumption: ASG acts on an ELB "unhealthy" within one of its health sweeps
BOOT_SECONDS = 90  # assumption: AL2023 boot + user data (no package installs) until /health answers
ALIAS_TTL_SECONDS = 60  # Route 53 answers alias records to an ALB with the ALB's 60 s TTL
TARGET_LAUNCH_SECONDS = 120
TARGET_HEALTHY_AFTER_AZ_LOSS = 4
# The per-instance CPU the design allows when one AZ carries nothing (compute.CPU_CEILING_PERCENT, R17).
TARGET_CPU_CEILING_PERCENT = 60

Template = Mapping[str, Any]


@dataclass(frozen=True)
class Line:
    what: str
    value: int
    unit: str
    how: str
    target: str = ""
    met: bool = True


def _resources(templates: Iterable[Template], type_: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for t in templates for r in t.get("Resources", {}).values() if r["Type"] == type_]


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


def compute(templates: list[Template]) -> list[Line]:
    tg = _one(templates, "AWS::ElasticLoadBalancingV2::TargetGroup")
    asg = _one(templates, "AWS::AutoScaling::AutoScalingGroup")
    interval = int(tg["HealthCheckIntervalSeconds"])
    unhealthy = interval * int(tg["UnhealthyThresholdCount"])
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
            Line("DNS TTL of the failover alias", ALIAS_TTL_SECONDS, "s", "ALB alias records"),
        ]

    for alarm in sorted(_resources(templates, "AWS::CloudWatch::Alarm"), key=lambda a: str(a.get("AlarmName"))):
        metric, period, datapoints = _alarm_timing(alarm)
        before = {"HealthyHostCount": unhealthy, "UnHealthyHostCount": unhealthy, "HealthCheckStatus": detect_dns}
        detection = before.get(metric, 0)
        lines.append(
            Line(
                f"first notification: {alarm.get('AlarmName', metric)}",
                detection + period * datapoints,
                "s",
                f"{detection} s detection + {datapoints} x {period} s",
            )
        )

    zones = len(asg["VPCZoneIdentifier"])
    minimum, maximum = int(asg["MinSize"]), int(asg["MaxSize"])
    left = minimum - minimum // zones
    restored = min(minimum, maximum)
    lines += _load_during_a_shift(templates, zones)
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
            "healthy capacity once the ASG restores it",
            restored,
            "instances",
            f"desired {minimum} in the {zones - 1} remaining AZs (max {maximum})",
        ),
    ]
    return lines


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
    ]


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
