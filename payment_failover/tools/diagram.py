"""Architecture diagram generated from the synthesized templates (`make diagram` → docs/architecture.svg).

Every box and label comes from a resource in the templates — AZs from the subnets, the NAT gateways
per public subnet (none by default: decision 0011), the ALB and target group by name, the ASG's sizes,
each alarm, topic, health check and FIS drill — so the picture cannot show something the templates do not
build. Plain SVG, no dependencies, deterministic output (a test compares it with the committed file).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from payment_failover.tools.budget import load_templates

Template = Mapping[str, Any]

WIDTH = 1260
COLUMN = 270
LEFT = 30
FONT = "font-family='Helvetica, Arial, sans-serif'"


@dataclass
class Zone:
    name: str
    public_subnets: int = 0
    private_subnets: int = 0
    nat_gateways: int = 0
    drills: list[str] = field(default_factory=list)


@dataclass
class Model:
    zones: dict[str, Zone]
    load_balancers: list[str]
    listeners: list[str]
    target_groups: list[str]
    groups: list[str]
    alarms: dict[str, list[str]]  # region → alarm names
    topics: dict[str, list[str]]  # region → topic names
    health_checks: list[str]
    records: list[str]
    dashboards: list[str]


def _resources(template: Template, type_: str) -> list[tuple[str, dict[str, Any]]]:
    return [(k, r.get("Properties", {})) for k, r in template.get("Resources", {}).items() if r["Type"] == type_]


def _region(template: Template) -> str:
    """us-east-1 holds the Route 53 alarms; every other template is a regional web tier (primary or standby)."""
    for _, alarm in _resources(template, "AWS::CloudWatch::Alarm"):
        if "HealthCheckStatus" in str(alarm):
            return "us-east-1"
    return "regional"


def build_model(templates: Sequence[Template]) -> Model:
    model = Model({}, [], [], [], [], {}, {}, [], [], [])
    for template in templates:
        subnets = dict(_resources(template, "AWS::EC2::Subnet"))
        for props in subnets.values():
            zone = model.zones.setdefault(props["AvailabilityZone"], Zone(props["AvailabilityZone"]))
            # The subnet-type tag CDK writes, not MapPublicIpOnLaunch: public subnets assign no addresses (R19).
            if {"Key": "aws-cdk:subnet-type", "Value": "Public"} in props.get("Tags", []):
                zone.public_subnets += 1
            else:
                zone.private_subnets += 1
        for _, nat in _resources(template, "AWS::EC2::NatGateway"):
            model.zones[subnets[nat["SubnetId"]["Ref"]]["AvailabilityZone"]].nat_gateways += 1
        for _, drill in _resources(template, "AWS::FIS::ExperimentTemplate"):
            for target in drill["Targets"].values():
                for flt in target.get("Filters", []):
                    if flt["Path"] == "Placement.AvailabilityZone":
                        model.zones[flt["Values"][0]].drills.append(drill["Tags"].get("Name", "drill"))
        model.load_balancers += [
            f"{p.get('Name', k)} ({p.get('Scheme', '')})"
            for k, p in _resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        ]
        model.listeners += sorted(
            f"{p['Protocol']} :{p['Port']} → {p['DefaultActions'][0]['Type']}"
            for _, p in _resources(template, "AWS::ElasticLoadBalancingV2::Listener")
        )
        model.target_groups += [
            f"{p.get('Name', k)}: {p.get('HealthCheckPath')} every {p.get('HealthCheckIntervalSeconds')} s"
            for k, p in _resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
        ]
        model.groups += [
            f"{p.get('AutoScalingGroupName', k)}: {p['MinSize']}..{p['MaxSize']} instances,"
            f" {p.get('HealthCheckType', 'EC2')} health checks, grace {p.get('HealthCheckGracePeriod', 0)} s"
            for k, p in _resources(template, "AWS::AutoScaling::AutoScalingGroup")
        ]
        region = _region(template)
        model.alarms.setdefault(region, []).extend(
            sorted(p.get("AlarmName", k) for k, p in _resources(template, "AWS::CloudWatch::Alarm"))
        )
        model.topics.setdefault(region, []).extend(
            p.get("TopicName", k) for k, p in _resources(template, "AWS::SNS::Topic")
        )
        model.health_checks += [
            _health_check_label(c["HealthCheckConfig"]) for _, c in _resources(template, "AWS::Route53::HealthCheck")
        ]
        model.records += [
            f"{p['Name']} {p.get('Failover', 'simple')} alias → {_alias_target(p['AliasTarget'])}"
            for _, p in _resources(template, "AWS::Route53::RecordSet")
        ]
        model.dashboards += [p.get("DashboardName", k) for k, p in _resources(template, "AWS::CloudWatch::Dashboard")]
    return model


def _alias_target(alias: Mapping[str, Any]) -> str:
    """Another record of the zone is named by a plain string; an ALB by its DNS name attribute."""
    name = alias["DNSName"]
    return name if isinstance(name, str) else "ALB"


def _health_check_label(config: Mapping[str, Any]) -> str:
    if config["Type"] == "CALCULATED":
        return f"CALCULATED check of {len(config.get('ChildHealthChecks', []))} child (failback gate)"
    target = f"{config.get('FullyQualifiedDomainName', '')}:{config['Port']}{config.get('ResourcePath', '')}"
    return f"{config['Type']} check of {target} every {config.get('RequestInterval', 30)} s"


class _Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def box(self, x: int, y: int, w: int, h: int, fill: str, title: str, lines: Sequence[str] = ()) -> None:
        self.parts.append(f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='8' fill='{fill}' stroke='#33415c'/>")
        self.text(x + 10, y + 20, title, bold=True)
        for i, line in enumerate(lines):
            self.text(x + 10, y + 38 + 15 * i, line)

    def text(self, x: int, y: int, value: str, *, bold: bool = False) -> None:
        weight = " font-weight='bold'" if bold else ""
        size = 12 if bold else 11
        self.parts.append(f"<text x='{x}' y='{y}' {FONT} font-size='{size}'{weight}>{escape(value)}</text>")

    def arrow(self, x1: int, y1: int, x2: int, y2: int) -> None:
        self.parts.append(f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='#33415c' marker-end='url(#arrow)'/>")

    def render(self, height: int, width: int = WIDTH) -> str:
        head = (
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>"
            "<defs><marker id='arrow' markerWidth='10' markerHeight='7' refX='9' refY='3.5' orient='auto'>"
            "<polygon points='0 0, 10 3.5, 0 7' fill='#33415c'/></marker></defs>"
            f"<rect width='{width}' height='{height}' fill='white'/>"
        )
        return head + "".join(self.parts) + "</svg>\n"


def render_svg(model: Model) -> str:
    svg = _Svg()
    # Three AZs per region; with a standby its three AZs stand to the right of the primary's.
    span = max(len(model.zones), 3) * (COLUMN + 20) - 20
    svg.text(LEFT, 24, "payment-failover — generated from the synthesized templates", bold=True)
    svg.box(LEFT, 40, span, 60, "#fde2e4", "Route 53", model.records + model.health_checks)
    svg.arrow(LEFT + span // 2, 100, LEFT + span // 2, 120)
    alb_lines = model.load_balancers + model.listeners + model.target_groups
    svg.box(LEFT, 120, span, 90, "#e2ece9", "Application Load Balancer", alb_lines)
    top = 240
    for i, zone in enumerate(sorted(model.zones.values(), key=lambda z: z.name)):
        x = LEFT + i * (COLUMN + 20)
        svg.arrow(x + COLUMN // 2, 210, x + COLUMN // 2, top)
        svg.box(x, top, COLUMN, 250, "#f8f9fa", zone.name)
        nat = f"{zone.nat_gateways} NAT gateway" if zone.nat_gateways else "no NAT gateway"
        public = [f"{zone.public_subnets} subnet, {nat}"]
        svg.box(x + 10, top + 35, COLUMN - 20, 60, "#dbe7f7", "public subnet", public)
        private = [f"{zone.private_subnets} subnet, ASG instances"]
        svg.box(x + 10, top + 110, COLUMN - 20, 60, "#e8f0da", "private subnet", private)
        svg.box(x + 10, top + 185, COLUMN - 20, 40 + 15 * len(zone.drills), "#fff1cc", "FIS drill", zone.drills)
        svg.arrow(x + COLUMN // 2, top + 250, x + COLUMN // 2, top + 270)
    group_height = 30 + 15 * len(model.groups)
    svg.box(LEFT, top + 270, span, group_height, "#e8f0da", "Auto Scaling group", model.groups)

    side, side_width = LEFT + span + 30, 350
    y = 40
    for title, lines, fill in (
        ("CloudWatch alarms", model.alarms.get("regional", []), "#ede7f6"),
        ("SNS (KMS, TLS only) → e-mail", model.topics.get("regional", []), "#fde2e4"),
        ("Dashboard", model.dashboards, "#ede7f6"),
        (
            "us-east-1: Route 53 health and failover alarms → SNS",
            model.alarms.get("us-east-1", []) + model.topics.get("us-east-1", []),
            "#fce8d5",
        ),
    ):
        height = 30 + 15 * max(len(lines), 1)
        svg.box(side, y, side_width, height, fill, title, lines)
        if title.startswith("CloudWatch"):
            svg.arrow(side + side_width // 2, y + height, side + side_width // 2, y + height + 20)
        y += height + 20
    return svg.render(max(top + 270 + group_height + 20, y), max(WIDTH, side + side_width + LEFT))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir, target = Path(args[0] if args else "cdk.out"), Path(args[1] if len(args) > 1 else "docs/architecture.svg")
    try:
        model = build_model(load_templates(out_dir))
    except FileNotFoundError as error:
        print(f"diagram: {error}", file=sys.stderr)
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_svg(model))
    print(f"diagram: wrote {target} ({len(model.zones)} AZs, {sum(len(a) for a in model.alarms.values())} alarms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
