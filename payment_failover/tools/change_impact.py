"""What changing one setting does on the next deploy (R16): which resources CloudFormation updates in place,
and which it replaces, computed from two synths rather than written by hand.

CloudFormation replaces a resource when an update changes one of its create-only properties: a resource type
schema lists in `createOnlyProperties` the properties a customer can set only when the resource is created,
every other property can be updated
(https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html). cfn-lint ships
those schemas (`cfnlint/data/schemas`), pinned in requirements-dev.txt, so this runs offline.

Two kinds of replacement matter for a deploy:
- a resource with a fixed physical name (a create-only `...Name` property set in the template): "You can't
  perform an update that causes a custom-named resource to be replaced. If you must replace the resource,
  specify a new name." (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html);
- a resource whose replacement interrupts service (the ALB, its listeners and target group, the Auto Scaling
  group, the network it runs in, the DNS records and health check), even when the deploy succeeds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

Template = Mapping[str, Any]
SCHEMA_REGION = "eu-central-1"

# Resource types whose replacement takes serving capacity, traffic or DNS away for a while.
INTERRUPTING = frozenset(
    {
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::NatGateway",
        "AWS::EC2::SecurityGroup",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::CertificateManager::Certificate",
        "AWS::Route53::RecordSet",
        "AWS::Route53::HealthCheck",
        "AWS::WAFv2::WebACL",
        "AWS::WAFv2::WebACLAssociation",
    }
)


# CDK's version-reporting resource (`aws:cdk:version-reporting`): it changes with the constructs used, creates
# nothing a client depends on, and would otherwise appear in every row.
CDK_ANALYTICS = "AWS::CDK::Metadata"


@cache
def _schemas_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("cfnlint")  # a dev dependency: only tests and `make readme` get here
    if spec is None or spec.origin is None:
        raise RuntimeError("cfn-lint is not installed: run `make setup`")
    return Path(spec.origin).resolve().parent / "data" / "schemas"


@cache
def create_only_properties(resource_type: str) -> tuple[str, ...]:
    """The type's createOnlyProperties as JSON pointers (`/properties/Name`), from cfn-lint's pinned schemas."""
    providers = json.loads((_schemas_dir() / "providers" / f"{SCHEMA_REGION}.json").read_text(encoding="utf-8"))
    digest = providers.get(resource_type)
    if digest is None:
        return ()
    schema = json.loads((_schemas_dir() / "resources" / f"{digest}.json").read_text(encoding="utf-8"))
    return tuple(schema.get("createOnlyProperties", ()))


def _at(properties: Mapping[str, Any], pointer: str) -> Any:
    """The value at a `/properties/A/B` pointer, or a marker when it is not set."""
    value: Any = {"properties": properties}
    for part in pointer.strip("/").split("/"):
        if not isinstance(value, Mapping) or part not in value:
            return _UNSET
        value = value[part]
    return value


_UNSET = object()


@dataclass(frozen=True)
class Replacement:
    stack: str
    logical_id: str
    resource_type: str
    properties: tuple[str, ...]
    fixed_name: bool
    name_kept: bool

    @property
    def interrupts(self) -> bool:
        return self.resource_type in INTERRUPTING

    @property
    def matters(self) -> bool:
        """A replacement the README must own up to: it fails on a fixed name or interrupts service."""
        return self.fixed_name or self.interrupts


@dataclass
class Impact:
    """What a change does to the resources of the Stage's templates."""

    updated: set[str] = field(default_factory=set)  # resource types updated in place
    replaced: list[Replacement] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    new_stacks: set[str] = field(default_factory=set)  # stacks that get another name, account or region


def _short(resource_type: str) -> str:
    """`AWS::EC2::VPC` reads `EC2::VPC`; a custom type (`Custom::AWS`) keeps its prefix."""
    return resource_type.removeprefix("AWS::")


def compare(before: Mapping[str, Template], after: Mapping[str, Template]) -> Impact:
    """Classify every resource that differs between two synths of the same Stage (templates keyed by stack)."""
    impact = Impact()
    for stack in sorted(set(before) | set(after)):
        old = before.get(stack, {}).get("Resources", {})
        new = after.get(stack, {}).get("Resources", {})
        for logical_id in sorted(set(old) | set(new)):
            if (old.get(logical_id) or new[logical_id])["Type"] == CDK_ANALYTICS:
                continue
            if logical_id not in new:
                impact.deleted.add(old[logical_id]["Type"])
                continue
            if logical_id not in old:
                impact.created.add(new[logical_id]["Type"])
                continue
            _classify(impact, stack, logical_id, old[logical_id], new[logical_id])
    return impact


def _classify(impact: Impact, stack: str, logical_id: str, old: Template, new: Template) -> None:
    resource_type = new["Type"]
    old_props, new_props = old.get("Properties", {}), new.get("Properties", {})
    if old_props == new_props and old["Type"] == resource_type:
        return
    create_only = create_only_properties(resource_type)
    changed = tuple(p for p in create_only if "*" not in p and _at(old_props, p) != _at(new_props, p))
    if changed or old["Type"] != resource_type:
        names = [p for p in _name_properties(resource_type, create_only) if _at(old_props, p) is not _UNSET]
        kept = any(_at(old_props, p) == _at(new_props, p) for p in names)
        changed_names = tuple(p.rsplit("/", 1)[-1] for p in changed)
        impact.replaced.append(Replacement(stack, logical_id, resource_type, changed_names, bool(names), kept))
    else:
        impact.updated.add(resource_type)


def _name_properties(resource_type: str, create_only: tuple[str, ...]) -> list[str]:
    """The create-only properties that set a custom physical name: `Name`, or `<Type>Name` (AlarmName, ...)."""
    own = {"/properties/Name", f"/properties/{resource_type.rsplit('::', 1)[-1]}Name"}
    return [p for p in create_only if p in own]


def summary(impact: Impact) -> tuple[str, str]:
    """(updated in place, replaced) as README cell text."""
    updated = ", ".join(sorted(_short(t) for t in impact.updated)) or "—"
    replaced_types: dict[str, list[Replacement]] = {}
    for replacement in impact.replaced:
        replaced_types.setdefault(replacement.resource_type, []).append(replacement)
    cells = []
    for resource_type, found in sorted(replaced_types.items()):
        flags = (
            ("same fixed name: the deploy fails", any(r.name_kept for r in found)),
            ("renamed", any(r.fixed_name and not r.name_kept for r in found)),
            ("interrupts service", any(r.interrupts for r in found)),
        )
        marks = [mark for mark, on in flags if on]
        count = f" x{len(found)}" if len(found) > 1 else ""
        cells.append(f"{_short(resource_type)}{count}" + (f" ({', '.join(marks)})" if marks else ""))
    if impact.new_stacks:
        stacks = ", ".join(sorted(impact.new_stacks))
        return updated, f"**a new environment**: stack(s) {stacks} get another name or place; the old ones stay"
    extra = [f"creates {', '.join(sorted(_short(t) for t in impact.created))}"] if impact.created else []
    extra += [f"deletes {', '.join(sorted(_short(t) for t in impact.deleted))}"] if impact.deleted else []
    return updated, "; ".join(cells + extra) or "—"


def markdown_table(impacts: Mapping[str, Impact | str]) -> str:
    """One row per setting; a string instead of an Impact says why that key has no other value to try."""
    rows = ["| key | updated in place | replaced on deploy |", "|---|---|---|"]
    for key, impact in impacts.items():
        if isinstance(impact, str):
            rows.append(f"| `{key}` | *{impact}* | |")
            continue
        updated, replaced = summary(impact)
        rows.append(f"| `{key}` | {updated} | {replaced} |")
    return "\n".join(rows)


def keys_that_must_be_acknowledged(impacts: Mapping[str, Impact | str]) -> dict[str, list[str]]:
    """Settings whose change replaces a fixed-name or service-interrupting resource, or moves whole stacks."""
    found: dict[str, list[str]] = {}
    for key, impact in impacts.items():
        if isinstance(impact, str):
            continue
        reasons = [f"{_short(r.resource_type)} {r.logical_id}" for r in impact.replaced if r.matters]
        reasons += [f"new stack {stack}" for stack in sorted(impact.new_stacks)]
        if reasons:
            found[key] = reasons
    return found


# --- the settings and the synths -----------------------------------------------------------------------------

# Real-looking values (not the embedded examples), for the one change that needs them: deploy=true.
_DEPLOYABLE = {
    "account": "210987654321",
    "hostedZoneName": "payments-corp.net",
    "domainName": "pay.payments-corp.net",
    "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "alarmEmail": "oncall@payments-corp.net",  # deploy=true requires an alarm destination
}
# For each setting: (context before, context after) differing in that setting only (plus what it must drag
# along), or why no other value can be tried. A new setting needs an entry here; the tests name a missing one.
CHANGES: dict[str, tuple[dict[str, str], dict[str, str]] | str] = {
    "environmentSuffix": ({}, {"environmentSuffix": "qa"}),
    "account": ({}, {"account": "210987654321"}),
    "region": ({}, {"region": "eu-west-1"}),
    "availabilityZones": ({}, {"availabilityZones": "eu-central-1b,eu-central-1c,eu-central-1a"}),
    "hostedZoneName": ({}, {"hostedZoneName": "example.net", "domainName": "payments.example.net"}),
    "domainName": ({}, {"domainName": "pay.example.com"}),
    "hostedZoneId": ({}, {"hostedZoneId": "Z0123456789EXAMPLE"}),
    "certificateArn": (
        {},
        {"certificateArn": "arn:aws:acm:eu-central-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
    ),
    "instanceType": ({}, {"instanceType": "t3.medium"}),
    "additionalInstanceTypes": ({}, {"additionalInstanceTypes": "t3a.small"}),
    "imageId": ({}, {"imageId": "ami-0123456789abcdef0"}),
    "minCapacity": ({}, {"minCapacity": "9"}),
    "maxCapacity": ({}, {"maxCapacity": "8"}),
    "healthCheckIntervalSeconds": ({}, {"healthCheckIntervalSeconds": "10"}),
    "alarmEmail": ({}, {"alarmEmail": "oncall@example.com"}),
    "pagingHttpsUrl": ({}, {"pagingHttpsUrl": "https://events.incident-tool.example/sns"}),
    "latencyP99ThresholdMs": ({}, {"latencyP99ThresholdMs": "250"}),
    "errorRatePercent": ({}, {"errorRatePercent": "2"}),
    "availabilityObjectivePercent": ({}, {"availabilityObjectivePercent": "99.9"}),
    "latencyObjectiveMs": ({}, {"latencyObjectiveMs": "300"}),
    "latencyObjectivePercent": ({}, {"latencyObjectivePercent": "95"}),
    "dnsHealthCheckIntervalSeconds": ({}, {"dnsHealthCheckIntervalSeconds": "30"}),
    "dnsFailureThreshold": ({}, {"dnsFailureThreshold": "2"}),
    "dnsHealthCheckRegions": ({}, {"dnsHealthCheckRegions": "us-west-2,eu-west-1,sa-east-1"}),
    "tags": ({}, {"tags": '{"CostCenter": "payments-42"}'}),
    "deploy": (_DEPLOYABLE, {**_DEPLOYABLE, "deploy": "true"}),
    "zonalAutoshift": ({}, {"zonalAutoshift": "false"}),
    "wafRuleModes": ({}, {"wafRuleModes": '{"common": "count"}'}),
    "wafRateLimit": ({}, {"wafRateLimit": "1000"}),
    "wafMerchantHeader": ({}, {"wafMerchantHeader": "x-api-key"}),
    "wafMerchantRateLimit": ({}, {"wafMerchantRateLimit": "5000"}),
    "wafTrustedCidrs": ({}, {"wafTrustedCidrs": "203.0.113.0/24"}),
    "drainSeconds": ({}, {"drainSeconds": "60"}),
    # Another revision is another asset object: only the release's Key changes, and the release rolls it out zonally.
    "serviceBundle": (
        "a new version of the service: the zonal release's revision key changes and CodeDeploy rolls it out one AZ "
        "at a time; no resource is replaced and the launch template is untouched"
    ),
    "firstZoneBakeSeconds": ({}, {"firstZoneBakeSeconds": "900"}),
    "zoneBakeSeconds": ({}, {"zoneBakeSeconds": "120"}),
    "standbyRegion": ({}, {"standbyRegion": "eu-west-1"}),
    "standbySettings": (
        {"standbyRegion": "eu-west-1"},
        {"standbyRegion": "eu-west-1", "standbySettings": '{"instanceType": "t3.medium"}'},
    ),
    # Only a standby has failover records; without one the setting changes nothing.
    "regionFailback": ({"standbyRegion": "eu-west-1"}, {"standbyRegion": "eu-west-1", "regionFailback": "automatic"}),
}


@dataclass(frozen=True)
class Synth:
    """The Stage's templates keyed by stack construct id, and where each stack would be deployed."""

    templates: dict[str, dict[str, Any]]
    identities: dict[str, tuple[str, str, str]]


def synthesize(context: Mapping[str, str]) -> Synth:
    """The real Stage for these `-c` values, synthesized in-process with the context the CLI gives app.py
    (`cdk.json`'s feature flags included), without the compliance packs (they add only metadata, never a
    property)."""
    import tempfile

    import aws_cdk as cdk

    from payment_failover.application import new_app
    from payment_failover.config.cli_context import project_context
    from payment_failover.config.settings import load_settings
    from payment_failover.stage import PaymentFailoverStage

    with tempfile.TemporaryDirectory() as out:
        app = new_app(context=project_context(context), outdir=out, validate=False)
        settings = load_settings(app.node.get_all_context(), {})
        stage = PaymentFailoverStage(
            app, f"PaymentFailover-{settings.environment_suffix}", settings=settings, compliance_checks=False
        )
        assembly = stage.synth()
        stacks = {stack.node.id: stack for stack in stage.node.children if isinstance(stack, cdk.Stack)}
        templates = {
            construct_id: assembly.get_stack_by_name(s.stack_name).template for construct_id, s in stacks.items()
        }
        identities = {construct_id: (s.stack_name, s.account, s.region) for construct_id, s in stacks.items()}
    return Synth(templates, identities)


def impact_of(before: Synth, after: Synth) -> Impact:
    impact = compare(before.templates, after.templates)
    impact.new_stacks.update(k for k in before.identities if before.identities[k] != after.identities.get(k))
    return impact


def compute_impacts(synth: Callable[[Mapping[str, str]], Synth] = synthesize) -> dict[str, Impact | str]:
    """Every setting's impact, in the schema's key order; asks `synth` once for each distinct context (the tests
    hand in their session-wide synthesis, `make readme` this module's own)."""
    from payment_failover.config.settings import context_keys

    synths: dict[str, Synth] = {}

    def once(context: Mapping[str, str]) -> Synth:
        key = json.dumps(context, sort_keys=True)
        if key not in synths:
            synths[key] = synth(context)
        return synths[key]

    result: dict[str, Impact | str] = {}
    for key in context_keys():
        change = CHANGES.get(key, f"no change is defined for {key}: add one to change_impact.CHANGES")
        result[key] = change if isinstance(change, str) else impact_of(once(change[0]), once(change[1]))
    return result
