"""Monthly cost of a configuration (R23), from its synthesized templates and a dated price table per region.

`make cost` (``python -m payment_failover.tools.cost [cdk.out]``) counts what the templates create — instances at
rest (the ASG's MinSize, its first instance type), their root volumes and detailed monitoring, NAT gateways and the
public IPv4 addresses they and the load balancer hold, interface-endpoint AZs, the load balancer, the web ACL and
its rules, Route 53 health checks, KMS keys, alarms, dashboards, each synthetic probe's runs at its schedule and the
zonal probe's custom metrics — and multiplies each by a rate. Traffic-driven
charges (requests through AWS WAF, load balancer capacity units, log ingestion, data processed by endpoints and NAT
gateways, data transfer) depend on load the templates cannot know: each is a stated assumption below.

After the configuration's own table it prints what decision 0011's controlled egress to named hosts would add (a NAT
gateway, its address and an AWS Network Firewall endpoint in each AZ of each regional stack), which no configuration
builds yet, so a team sees that price before it asks for the setting.

The prices are NOT verified here. AWS's pricing pages render their tables separately from the page text, and the
`search` tool returned none of them, so every rate is marked as assumed, with the date it was written down; before
a budget decision, check each against the AWS page named beside it. A region without a table is refused with one
sentence instead of being priced with another region's rates.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payment_failover.tools.budget import (
    BURSTABLE,
    HOURS_PER_MONTH,
    STAGE_ASSEMBLIES,
    SURPLUS_CREDIT_USD_PER_VCPU_HOUR,
    Template,
    load_templates,
)

PRICES_AS_OF = "2026-12-04"
# Assumptions for what the templates cannot know, per region and month.
ASSUMED_LCU = 1.0  # average load balancer capacity units
ASSUMED_WAF_MILLION_REQUESTS = 10.0
ASSUMED_LOG_GB = 5.0  # ingested into CloudWatch Logs (instance logs, flow logs, WAF logs, sessions, drills)
ROOT_VOLUME_GIB = 8
DETAILED_MONITORING_METRICS = 7  # EC2 sends 7 metrics per instance at one-minute resolution


@dataclass(frozen=True)
class RegionPrices:
    """USD rates of one region, every one assumed (see the module docstring)."""

    instance_hour: Mapping[str, float]  # EC2 On-Demand, Linux (aws.amazon.com/ec2/pricing/on-demand/)
    gp3_gb_month: float  # EBS (aws.amazon.com/ebs/pricing/)
    nat_gateway_hour: float  # VPC (aws.amazon.com/vpc/pricing/)
    public_ipv4_hour: float  # VPC, public IPv4 addresses (aws.amazon.com/vpc/pricing/)
    interface_endpoint_az_hour: float  # PrivateLink (aws.amazon.com/privatelink/pricing/)
    alb_hour: float  # Elastic Load Balancing (aws.amazon.com/elasticloadbalancing/pricing/)
    alb_lcu_hour: float
    log_ingest_gb: float  # CloudWatch (aws.amazon.com/cloudwatch/pricing/)
    canary_run: float  # CloudWatch Synthetics, per canary run (aws.amazon.com/cloudwatch/pricing/)
    # Network Firewall (aws.amazon.com/network-firewall/pricing/): only for the controlled-egress design of decision
    # 0011, which no configuration builds yet. The page's waiver of NAT gateway charges for gateways behind a firewall
    # was not verified either, so it is not applied.
    firewall_endpoint_hour: float


# Rates that do not depend on the region. AWS WAF's are the same in every region (AWS's networking blog, "Cost-effective
# ways for securing your web applications using AWS WAF"); the amounts themselves are assumed like the rest.
WEB_ACL_MONTH = 5.0
WAF_RULE_MONTH = 1.0
WAF_MILLION_REQUESTS = 0.60
HEALTH_CHECK_MONTH = 0.50  # Route 53, an AWS endpoint
HEALTH_CHECK_OPTION_MONTH = 1.00  # each of HTTPS and the 10-second interval
KMS_KEY_MONTH = 1.0
ALARM_METRIC_MONTH = 0.10
COMPOSITE_ALARM_MONTH = 0.50
DASHBOARD_MONTH = 3.0
CUSTOM_METRIC_MONTH = 0.30
PUT_METRIC_THOUSAND_REQUESTS = 0.01  # CloudWatch API requests (PutMetricData)
MINUTES_PER_MONTH = 30 * 24 * 60  # the probes' runs are counted over a 30-day month (probes.monthly_runs)

PRICES: dict[str, RegionPrices] = {
    "eu-central-1": RegionPrices(
        instance_hour={
            "t3.micro": 0.012,
            "t3.small": 0.024,
            "t3a.small": 0.0216,
            "t3.medium": 0.048,
            "t3a.medium": 0.0432,
            "m7g.large": 0.0952,
        },
        gp3_gb_month=0.0952,
        nat_gateway_hour=0.052,
        public_ipv4_hour=0.005,
        interface_endpoint_az_hour=0.012,
        alb_hour=0.027,
        alb_lcu_hour=0.0096,
        log_ingest_gb=0.63,
        canary_run=0.0012,
        firewall_endpoint_hour=0.395,
    ),
    "eu-west-1": RegionPrices(
        instance_hour={
            "t3.micro": 0.0114,
            "t3.small": 0.0228,
            "t3a.small": 0.0204,
            "t3.medium": 0.0456,
            "t3a.medium": 0.0408,
            "m7g.large": 0.0892,
        },
        gp3_gb_month=0.088,
        nat_gateway_hour=0.048,
        public_ipv4_hour=0.005,
        interface_endpoint_az_hour=0.011,
        alb_hour=0.0252,
        alb_lcu_hour=0.008,
        log_ingest_gb=0.57,
        canary_run=0.0012,
        firewall_endpoint_hour=0.395,
    ),
}


@dataclass(frozen=True)
class Item:
    stack: str
    what: str
    quantity: str
    monthly: float


def _resources(template: Template, type_: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in template.get("Resources", {}).values() if r["Type"] == type_]


def _region_of(template: Template) -> str:
    """The region a regional template deploys to, read from its interface endpoints' service names."""
    for endpoint in _resources(template, "AWS::EC2::VPCEndpoint"):
        name = endpoint.get("ServiceName")
        if isinstance(name, str) and name.startswith("com.amazonaws."):
            return name.split(".")[2]
    raise ValueError("cannot tell the template's region from its VPC endpoints")


def _regional(name: str, template: Template) -> list[Item]:
    """Every priced item of a regional stack at its region's rates: no rate is borrowed from another region."""
    region = _region_of(template)
    if region not in PRICES:
        raise ValueError(f"no dated price table for {region}: add one to payment_failover/tools/cost.py")
    p = PRICES[region]
    (group,) = _resources(template, "AWS::AutoScaling::AutoScalingGroup")
    (launch,) = _resources(template, "AWS::EC2::LaunchTemplate")
    instances = int(group["MinSize"])
    instance_type = str(launch["LaunchTemplateData"]["InstanceType"])
    if instance_type not in p.instance_hour:
        raise ValueError(f"no dated price for {instance_type} in {region}: add it to payment_failover/tools/cost.py")
    items = _instance_items(name, template, p, instances=instances, instance_type=instance_type)
    items += _network_items(name, template, p)
    items += _waf_and_log_items(name, template, p)
    items += _probe_items(name, template, p)
    return items + _shared(name, template)


def _instance_items(
    name: str, template: Template, p: RegionPrices, *, instances: int, instance_type: str
) -> list[Item]:
    """The fleet at rest: instance hours, surplus CPU credits of burstable types, root volumes, detailed monitoring."""
    hours = HOURS_PER_MONTH
    items = [
        Item(
            name,
            f"EC2 {instance_type} at rest",
            f"{instances} x {hours} h",
            instances * hours * p.instance_hour[instance_type],
        )
    ]
    if instance_type in BURSTABLE:
        vcpus, baseline = BURSTABLE[instance_type]
        target = max(
            float(pol["TargetTrackingConfiguration"]["TargetValue"])
            for pol in _resources(template, "AWS::AutoScaling::ScalingPolicy")
            if "TargetTrackingConfiguration" in pol
        )
        surplus = max(0.0, target - baseline) / 100 * vcpus
        items.append(
            Item(
                name,
                "surplus CPU credits at the CPU target (unlimited)",
                f"{instances} x {surplus:g} vCPU x {hours} h",
                instances * surplus * hours * SURPLUS_CREDIT_USD_PER_VCPU_HOUR,
            )
        )
    items += [
        Item(
            name,
            "EBS gp3 root volumes",
            f"{instances} x {ROOT_VOLUME_GIB} GiB",
            instances * ROOT_VOLUME_GIB * p.gp3_gb_month,
        ),
        Item(
            name,
            "EC2 detailed monitoring",
            f"{instances} x {DETAILED_MONITORING_METRICS} metrics",
            instances * DETAILED_MONITORING_METRICS * CUSTOM_METRIC_MONTH,
        ),
    ]
    return items


def _network_items(name: str, template: Template, p: RegionPrices) -> list[Item]:
    """What the network holds every hour: NAT gateways, public IPv4 addresses, endpoint AZs, the load balancer."""
    hours = HOURS_PER_MONTH
    nats = len(_resources(template, "AWS::EC2::NatGateway"))
    albs = len(_resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"))
    alb_ips = sum(len(a.get("Subnets", [])) for a in _resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"))
    endpoint_azs = sum(
        len(e.get("SubnetIds", []))
        for e in _resources(template, "AWS::EC2::VPCEndpoint")
        if e.get("VpcEndpointType") == "Interface"
    )
    return [
        Item(name, "NAT gateways", f"{nats} x {hours} h", nats * hours * p.nat_gateway_hour),
        Item(
            name,
            "public IPv4 addresses (NAT gateways, ALB nodes)" if nats else "public IPv4 addresses (ALB nodes)",
            f"{nats + alb_ips} x {hours} h",
            (nats + alb_ips) * hours * p.public_ipv4_hour,
        ),
        Item(
            name,
            "interface endpoints",
            f"{endpoint_azs} endpoint-AZs x {hours} h",
            endpoint_azs * hours * p.interface_endpoint_az_hour,
        ),
        Item(
            name,
            "Application Load Balancer",
            f"{albs} x {hours} h + {ASSUMED_LCU:g} LCU (assumed)",
            albs * hours * (p.alb_hour + ASSUMED_LCU * p.alb_lcu_hour),
        ),
    ]


def _waf_and_log_items(name: str, template: Template, p: RegionPrices) -> list[Item]:
    """The web ACL and its rules, and the traffic-driven WAF and log charges, at the stated assumptions."""
    items: list[Item] = []
    acls = _resources(template, "AWS::WAFv2::WebACL")
    rules = sum(len(a.get("Rules", [])) for a in acls)
    items.append(
        Item(
            name,
            "AWS WAF web ACL, rules, requests",
            f"{len(acls)} ACL, {rules} rules, {ASSUMED_WAF_MILLION_REQUESTS:g} M requests (assumed)",
            len(acls) * WEB_ACL_MONTH + rules * WAF_RULE_MONTH + ASSUMED_WAF_MILLION_REQUESTS * WAF_MILLION_REQUESTS,
        )
    )
    items.append(
        Item(name, "CloudWatch Logs ingestion", f"{ASSUMED_LOG_GB:g} GB (assumed)", ASSUMED_LOG_GB * p.log_ingest_gb)
    )
    return items


def canary_runs_per_month(expression: str) -> int:
    """Runs of a canary in a 30-day month for its `rate(N minute(s)|hour(s))` schedule."""
    match = re.fullmatch(r"rate\((\d+) (minute|hour)s?\)", expression)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"cannot price a canary scheduled {expression!r}: only rate(N minutes|hours) is counted")
    minutes = int(match.group(1)) * (60 if match.group(2) == "hour" else 1)
    return MINUTES_PER_MONTH // minutes


def _probe_items(name: str, template: Template, p: RegionPrices) -> list[Item]:
    """Each synthetic probe's runs at its schedule; the zonal probe's per-AZ metrics and the calls that put them."""
    items: list[Item] = []
    for canary in _resources(template, "AWS::Synthetics::Canary"):
        expression = str(canary["Schedule"]["Expression"])
        runs = canary_runs_per_month(expression)
        items.append(
            Item(name, f"Synthetics canary {canary['Name']}", f"{runs} runs ({expression})", runs * p.canary_run)
        )
        zones = str(canary.get("RunConfig", {}).get("EnvironmentVariables", {}).get("PROBE_ZONES", ""))
        if zones:
            metrics = 2 * len(zones.split(","))  # success and latency per AZ (probe_canary.metric_data)
            items.append(
                Item(
                    name,
                    f"custom metrics of {canary['Name']}",
                    f"{metrics} metrics, {runs} PutMetricData calls",
                    metrics * CUSTOM_METRIC_MONTH + runs / 1000 * PUT_METRIC_THOUSAND_REQUESTS,
                )
            )
    return items


def _shared(name: str, template: Template) -> list[Item]:
    """Resources priced the same everywhere: keys, alarms, dashboards, health checks."""
    keys = len(_resources(template, "AWS::KMS::Key"))
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    alarm_metrics = sum(len([m for m in a["Metrics"] if "MetricStat" in m]) if "Metrics" in a else 1 for a in alarms)
    composites = len(_resources(template, "AWS::CloudWatch::CompositeAlarm"))
    dashboards = len(_resources(template, "AWS::CloudWatch::Dashboard"))
    items = [
        Item(name, "KMS keys", str(keys), keys * KMS_KEY_MONTH),
        Item(
            name,
            "CloudWatch alarms",
            f"{alarm_metrics} alarm metrics, {composites} composite",
            alarm_metrics * ALARM_METRIC_MONTH + composites * COMPOSITE_ALARM_MONTH,
        ),
        Item(name, "CloudWatch dashboards", str(dashboards), dashboards * DASHBOARD_MONTH),
    ]
    checks = _resources(template, "AWS::Route53::HealthCheck")
    if checks:
        monthly = 0.0
        for check in checks:
            config = check["HealthCheckConfig"]
            options = (config.get("Type") == "HTTPS") + (int(config.get("RequestInterval", 30)) == 10)
            monthly += HEALTH_CHECK_MONTH + options * HEALTH_CHECK_OPTION_MONTH
        items.append(Item(name, "Route 53 health checks (HTTPS, 10 s)", str(len(checks)), monthly))
    return items


def controlled_egress(templates: Mapping[str, Template]) -> list[Item]:
    """What decision 0011's egress to named hosts would add to each regional stack, before traffic: a NAT gateway, its
    public address and an AWS Network Firewall endpoint in every AZ of the VPC. Not built; priced so a team sees it."""
    items: list[Item] = []
    hours = HOURS_PER_MONTH
    for name, template in sorted(templates.items()):
        if not _resources(template, "AWS::AutoScaling::AutoScalingGroup"):
            continue
        p = PRICES[_region_of(template)]
        zones = len({s["AvailabilityZone"] for s in _resources(template, "AWS::EC2::Subnet")})
        items += [
            Item(name, "NAT gateways (controlled egress)", f"{zones} x {hours} h", zones * hours * p.nat_gateway_hour),
            Item(
                name,
                "public IPv4 addresses of the NAT gateways",
                f"{zones} x {hours} h",
                zones * hours * p.public_ipv4_hour,
            ),
            Item(
                name,
                "Network Firewall endpoints (controlled egress)",
                f"{zones} x {hours} h",
                zones * hours * p.firewall_endpoint_hour,
            ),
        ]
    return items


def compute(templates: Mapping[str, Template]) -> list[Item]:
    """Every priced item of a Stage's templates, by stack (template file stem)."""
    items: list[Item] = []
    for name, template in sorted(templates.items()):
        if _resources(template, "AWS::AutoScaling::AutoScalingGroup"):
            items += _regional(name, template)
        else:
            items += _shared(name, template)
    return [item for item in items if item.monthly]


def render(items: list[Item]) -> str:
    rows = [
        f"Prices assumed as of {PRICES_AS_OF}; check them on AWS's pricing pages.",
        "",
        "| stack | item | quantity | USD/month |",
        "|---|---|---|---|",
    ]
    rows += [f"| {i.stack} | {i.what} | {i.quantity} | {i.monthly:.2f} |" for i in items]
    rows.append(f"| **total** | | | **{sum(i.monthly for i in items):.2f}** |")
    return "\n".join(rows)


EGRESS_HEADING = (
    "**Controlled egress to named hosts, if built** ([decision 0011](decisions/0011-no-nat-gateways-by-default.md): "
    "not built; what it would add to the default configuration before traffic):"
)


def markdown_tables(default: list[Item], standby: list[Item], egress: list[Item]) -> str:
    """The docs page's block: the default configuration and the documented standby example, each in full, then what
    decision 0011's controlled egress would add to the default."""
    return "\n".join(
        [
            "**Default configuration** (eu-central-1, no standby):",
            "",
            render(default),
            "",
            "**With the documented standby** (eu-west-1, t3.micro, `make diagram`'s example):",
            "",
            render(standby),
            "",
            EGRESS_HEADING,
            "",
            render(egress),
        ]
    )


def load_named_templates(out_dir: Path) -> dict[str, Template]:
    """The stand-alone Stage's templates in a cloud assembly directory, by stack name (from each assembly's
    manifest.json, which names the template file and the stack of every stack artifact)."""
    load_templates(out_dir)  # the same 'run make synth first' error when there are none
    named: dict[str, Template] = {}
    for path in sorted(out_dir.glob(STAGE_ASSEMBLIES)):
        manifest = json.loads((path.parent / "manifest.json").read_text())
        for artifact_id, artifact in manifest.get("artifacts", {}).items():
            properties = artifact.get("properties", {})
            if properties.get("templateFile") == path.name:
                named[str(properties.get("stackName", artifact_id))] = json.loads(path.read_text())
    return named


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        templates = load_named_templates(Path(args[0] if args else "cdk.out"))
        items = compute(templates)
    except (FileNotFoundError, ValueError) as error:
        print(f"cost: {error}", file=sys.stderr)
        return 2
    print(render(items))
    print("\nControlled egress to named hosts (decision 0011, not built) would add, before traffic:\n")
    print(render(controlled_egress(templates)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
