"""The one validated, frozen settings object: a declarative schema of every key the app reads.

Each field declares its context key (camelCase alias), its default, the sentence that says what is allowed,
and the validator that enforces it. The same schema validates a hand deploy, each pipeline stage (base plus
the stage's object) and any later overlay; it is also the source of the README's configuration table
(`make readme`). A failure is one sentence naming the key, the value the user gave and what is allowed.

Precedence for every key: CDK context (``-c key=value`` or ``cdk.json``) over ``PAYMENT_FAILOVER_<KEY>`` over
the default (`config_sources.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from payment_failover.config import defaults, geography, images, instance_types
from payment_failover.config import setting_types as type_limits
from payment_failover.config import waf_rules as waf
from payment_failover.config.instance_types import Architecture
from payment_failover.config.release_timing import ReleaseTiming
from payment_failover.config.service_bundle import bundle_problem
from payment_failover.config.setting_types import (
    ALB_INTERVAL_RANGE,
    AVAILABILITY_OBJECTIVE_RANGE,
    BAKE_SECONDS_RANGE,
    DNS_FAILURE_THRESHOLD_RANGE,
    DNS_INTERVALS,
    DRAIN_SECONDS_RANGE,
    ERROR_RATE_RANGE,
    LATENCY_MS_RANGE,
    LATENCY_OBJECTIVE_PERCENT_RANGE,
    Account,
    DeployRefusedError,
    DnsName,
    Email,
    Flag,
    HostedZoneId,
    HttpsUrl,
    OptionalText,
    Percent,
    SettingError,
    Suffix,
    TagPairs,
    Text,
    TextList,
    WholeNumber,
    WholeSentenceError,
    certificate_parts,
    choice_map,
    example_findings,
    in_percent_range,
    in_range,
    json_value,
    one_of,
    short,
    text_list,
    whole_number,
)
from payment_failover.config.sources import ConfigError, Sources, closest_key, env_var, read_sources

__all__ = ["ConfigError", "Settings", "context_keys", "env_var", "load_settings"]

MIN_DNS_CHECKER_REGIONS = 3
# What a standby region may set differently from the primary (`standbySettings`); everything else is shared.
STANDBY_OVERLAY = (
    "availabilityZones",
    "certificateArn",
    "instanceType",
    "additionalInstanceTypes",
    "imageId",
    "minCapacity",
    "maxCapacity",
)
# What the standby never inherits from the primary: where it runs, its own certificate, its own overlay. A key
# whose value belongs to one region (the AMI id) goes in both tuples: without its own imageId the standby runs
# the image pinned for its region.
NOT_INHERITED = frozenset(
    {
        "region",
        "availabilityZones",
        "certificateArn",
        "imageId",
        "additionalInstanceTypes",
        "standbyRegion",
        "standbySettings",
    }
)
# Region failback (docs/decisions/0010-failback-gate.md): manual holds clients on the standby behind a gate.
FAILBACK_AUTOMATIC = "automatic"
FAILBACK_MANUAL = "manual"
FAILBACK_MODES = (FAILBACK_AUTOMATIC, FAILBACK_MANUAL)
_OVERLAY_EXAMPLE = 'expected a JSON object such as {"minCapacity": "6", "instanceType": "t3.small"}'

# A mixed instances policy takes at most 40 overrides (AWS::AutoScaling::AutoScalingGroup LaunchTemplate page); the
# tier keeps the list short enough to review.
MAX_ADDITIONAL_INSTANCE_TYPES = 5
# The target group's healthy threshold (components/edge/load_balancer.py HealthCheckTiming): checks in a row before a
# target that rejoins it serves again.
HEALTHY_THRESHOLD = 2

# The balance rule of R5: at least 2 and at most 3 instances per Availability Zone at rest. A deployment launches
# each new batch above minCapacity, so maxCapacity must exceed it (CloudFormation's UpdatePolicy attribute page:
# MinInstancesInService must be less than the group's MaxSize). At 3 per AZ at rest (minCapacity 9) the group
# may therefore grow to one more per AZ (12), for a deployment's batch and for scale-out.
MIN_PER_AZ = 2
MAX_PER_AZ = 3
BATCH_PER_AZ = 1
# ACM puts a new certificate's first name (its Common Name) in a field of at most 64 characters (RFC 5280); the
# other names, up to 253, go in the Subject Alternative Names. ACM RequestCertificate reference, as published in the
# SDK model: https://docs.rs/aws-sdk-acm/1.62.0/src/aws_sdk_acm/operation/request_certificate/_request_certificate_input.rs.html
ACM_FIRST_NAME_MAX = 64


def setting(default: Any, allowed: str, *, shown: str | None = None) -> Any:
    """A field of the schema: its default, what is allowed (README and errors), and how the README shows the default."""
    return Field(default, description=allowed, json_schema_extra={"shown": shown} if shown else None)


class Settings(BaseModel):
    """Everything the app is allowed to vary, already validated."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, validate_default=False
    )

    environment_suffix: Suffix = setting(
        defaults.ENVIRONMENT_SUFFIX, "1-16 lower-case letters, digits or single hyphens, starting with a letter"
    )
    account: Account = setting(defaults.ACCOUNT, "12 ASCII digits", shown="`123456789012` *(example)*")
    region: Annotated[Text, AfterValidator(lambda region: _check_region(region))] = setting(
        defaults.REGION, "an AWS commercial region (from the pinned botocore) with at least 3 Availability Zones"
    )
    availability_zones: tuple[str, ...] = Field(
        None,
        description="three distinct AZs of the region, from the package's AZ table; lists as `a,b,c` or a JSON array",
        json_schema_extra={"shown": "the region's first three AZs"},
        validate_default=True,
    )
    hosted_zone_name: DnsName = setting(
        defaults.HOSTED_ZONE_NAME, "the Route 53 zone's DNS name", shown="`example.com` *(example)*"
    )
    domain_name: DnsName = setting(
        defaults.DOMAIN_NAME, "a DNS name inside `hostedZoneName`", shown="`payments.example.com` *(example)*"
    )
    hosted_zone_id: HostedZoneId = setting(
        defaults.HOSTED_ZONE_ID,
        "`Z` + up to 31 upper-case ASCII letters/digits",
        shown="`Z00000000EXAMPLE` *(example)*",
    )
    certificate_arn: OptionalText = setting(
        None,
        "an ACM certificate ARN in the stack's account and region, covering `domainName` and `<region>.<domainName>`",
        shown="*(none: a DNS-validated certificate is created)*",
    )
    instance_type: Text = setting(
        defaults.INSTANCE_TYPE, "an EC2 instance type in the pinned botocore's catalogue (Graviton types run arm64)"
    )
    image_id: str = Field(
        None,
        description="`ami-` + 8 or 17 lower-case hex digits: an AL2023 image of `instanceType`'s architecture in the "
        "region; `make refresh-ami` rewrites the pinned defaults",
        json_schema_extra={
            "shown": "the pinned AL2023 image of the region and architecture (`data/al2023_images.json`)"
        },
        validate_default=True,
    )
    additional_instance_types: tuple[str, ...] = Field(
        None,
        description="more EC2 instance types the group may launch when `instanceType` has no capacity in a zone, in "
        "that order: each catalogued, of `instanceType`'s architecture, burstable exactly when it is, at most "
        f"{MAX_ADDITIONAL_INSTANCE_TYPES}; lists as `a,b` or a JSON array, an empty string for none",
        json_schema_extra={
            "shown": "`"
            + ",".join(defaults.ADDITIONAL_INSTANCE_TYPES)
            + "` with the default `instanceType`, none with any other"
        },
        validate_default=True,
    )
    min_capacity: WholeNumber = setting(
        defaults.MIN_CAPACITY, "a multiple of 3, from 2 to 3 per AZ (6-9): `9` keeps 3 per AZ at rest"
    )
    max_capacity: int = Field(
        None,
        description="above `minCapacity` (room for a deployment's new batch): at most 3 per AZ (9), or 4 per AZ "
        "(12) when `minCapacity` is 9",
        json_schema_extra={"shown": "`9`; `12` when `minCapacity` is 9"},
        validate_default=True,
    )
    health_check_interval_seconds: Annotated[
        WholeNumber, AfterValidator(in_range(ALB_INTERVAL_RANGE, "an ALB target group accepts {low} to {high} seconds"))
    ] = setting(
        defaults.HEALTH_CHECK_INTERVAL_SECONDS,
        "5-300 (ALB target group), and short enough for a zonal release to fit in CloudFormation's hour: each "
        "instance rejoins after 2 checks (with the other defaults: at most 74)",
    )
    alarm_email: Email = setting(None, "an e-mail address subscribed to both failover topics", shown="*(none)*")
    paging_https_url: HttpsUrl = setting(
        None,
        "an https:// URL of an incident tool (no credentials in it), subscribed to every failover topic; the tool "
        "must confirm each subscription",
        shown="*(none)*",
    )
    latency_p99_threshold_ms: Annotated[
        WholeNumber, AfterValidator(in_range(LATENCY_MS_RANGE, "use {low} to {high} milliseconds"))
    ] = setting(defaults.LATENCY_P99_THRESHOLD_MS, "1-60000")
    error_rate_percent: Annotated[
        WholeNumber, AfterValidator(in_range(ERROR_RATE_RANGE, "use {low} to {high} percent"))
    ] = setting(defaults.ERROR_RATE_PERCENT, "1-100 (ALB and target 5xx rates)")
    availability_objective_percent: Annotated[
        Percent,
        AfterValidator(
            in_percent_range(
                AVAILABILITY_OBJECTIVE_RANGE,
                "use {low} to {high} percent (above {high} the 30-day error budget is shorter than the 5-minute "
                "fast-burn window)",
            )
        ),
    ] = setting(
        defaults.AVAILABILITY_OBJECTIVE_PERCENT,
        "90-99.99: the SLO, the share of requests over 30 days that get no 5xx (burn-rate alarms)",
    )
    latency_objective_ms: Annotated[
        WholeNumber, AfterValidator(in_range(LATENCY_MS_RANGE, "use {low} to {high} milliseconds"))
    ] = setting(defaults.LATENCY_OBJECTIVE_MS, "1-60000: the latency SLO's bound on the target response time")
    latency_objective_percent: Annotated[
        Percent,
        AfterValidator(in_percent_range(LATENCY_OBJECTIVE_PERCENT_RANGE, "use {low} to {high} percent of requests")),
    ] = setting(
        defaults.LATENCY_OBJECTIVE_PERCENT,
        "50-99.99: the latency SLO, the share of requests over 30 days answered within `latencyObjectiveMs` "
        "(99 is a p99)",
    )
    dns_health_check_interval_seconds: Annotated[
        WholeNumber, AfterValidator(one_of(DNS_INTERVALS, "Route 53 checks every 10 or 30 seconds"))
    ] = setting(defaults.DNS_HEALTH_CHECK_INTERVAL_SECONDS, "10 or 30 (Route 53)")
    dns_failure_threshold: Annotated[
        WholeNumber, AfterValidator(in_range(DNS_FAILURE_THRESHOLD_RANGE, "use {low} to {high} consecutive failures"))
    ] = setting(defaults.DNS_FAILURE_THRESHOLD, "1-10")
    dns_health_check_regions: TextList = setting(
        defaults.DNS_HEALTH_CHECK_REGIONS, "at least 3 distinct Route 53 checker regions"
    )
    tags: TagPairs = setting(
        defaults.TAGS,
        "a JSON object of string tags, merged over the defaults (a key given here replaces the default's value)",
    )
    zonal_autoshift: Flag = setting(
        True,
        "`false` turns zonal autoshift and its weekly practice runs off for both the ALB and the ASG "
        "(zonal shift by hand and the drills stay)",
    )
    waf_rule_modes: Annotated[
        tuple[tuple[str, str], ...], BeforeValidator(choice_map(waf.RULE_KEYS, waf.RULE_MODES))
    ] = setting(
        (),
        "a JSON object setting AWS WAF rules to `count` (watch only) or `block`: keys "
        + ", ".join(f"`{key}`" for key in waf.RULE_KEYS),
        shown="*(every rule blocks)*",
    )
    waf_rate_limit: Annotated[
        WholeNumber,
        AfterValidator(
            in_range(waf.RATE_LIMIT_RANGE, "AWS WAF takes {low} to {high} requests per client IP per 5 minutes")
        ),
    ] = setting(
        waf.RATE_LIMIT_PER_5_MINUTES,
        "10-2000000000 requests per client IP per 5 minutes (AWS WAF rate rule), for addresses outside "
        "`wafTrustedCidrs`",
    )
    waf_merchant_header: Annotated[Text, AfterValidator(lambda name: _merchant_header(name))] = setting(
        waf.MERCHANT_HEADER,
        "the request header naming the merchant (1-64 ASCII letters, digits or hyphens): AWS WAF limits each of its "
        "values to `wafMerchantRateLimit`; requests without it are limited per IP only",
    )
    waf_merchant_rate_limit: Annotated[
        WholeNumber,
        AfterValidator(
            in_range(waf.RATE_LIMIT_RANGE, "AWS WAF takes {low} to {high} requests per merchant per 5 minutes")
        ),
    ] = setting(
        waf.MERCHANT_RATE_LIMIT_PER_5_MINUTES,
        "10-2000000000 requests per value of `wafMerchantHeader` per 5 minutes (AWS WAF rate rule)",
    )
    waf_trusted_cidrs: Annotated[TextList, AfterValidator(lambda cidrs: _trusted_cidrs(cidrs))] = setting(
        (),
        "known merchant and PSP egress ranges (IPv4 CIDR, /16 to /32; lists as `a,b` or a JSON array) left out of "
        "the per-IP limit and limited per merchant only",
        shown="*(none: every address is limited per IP; no IP set)*",
    )
    # R20: one drain time from which the deregistration delay, the service's stop timeout and the termination
    # lifecycle hook's timeout all follow (components/fleet/drain.py).
    drain_seconds: Annotated[
        WholeNumber,
        AfterValidator(
            in_range(DRAIN_SECONDS_RANGE, "use {low} to {high} seconds (a deregistration delay is at most 3600)")
        ),
    ] = setting(
        defaults.DRAIN_SECONDS,
        "1-3600: the longest request the service answers, in seconds; requests in flight get this long to finish "
        "when an instance stops. A zonal release drains each instance, so it must fit in CloudFormation's hour "
        "(with the other defaults: at most 74)",
    )
    # R20: the service's revision and how it is released, one AZ at a time (components/delivery).
    service_bundle: Annotated[Text, AfterValidator(lambda value: _service_bundle(value))] = setting(
        defaults.SERVICE_BUNDLE,
        "a directory (relative to the project root) with the service's `appspec.yml` and the hook scripts it "
        "names, ValidateService among them: the revision CodeDeploy installs (docs/your-service.md)",
    )
    first_zone_bake_seconds: Annotated[
        WholeNumber, AfterValidator(in_range(BAKE_SECONDS_RANGE, "use {low} to {high} seconds"))
    ] = setting(
        defaults.FIRST_ZONE_BAKE_SECONDS,
        "0-3000: how long a new version runs under alarms in the first Availability Zone before the next one",
    )
    zone_bake_seconds: Annotated[
        WholeNumber, AfterValidator(in_range(BAKE_SECONDS_RANGE, "use {low} to {high} seconds"))
    ] = setting(
        defaults.ZONE_BAKE_SECONDS,
        "0-3000: how long it runs under alarms after each further Availability Zone; the whole release must fit "
        "in CloudFormation's hour",
    )
    deploy: Flag = setting(False, "`true` refuses example values (set by `make deploy` and every pipeline stage)")
    standby_region: OptionalText = setting(
        None,
        "an AWS commercial region with at least 3 Availability Zones, other than `region`: the same service "
        "stack runs there behind Route 53 failover records",
        shown="*(none: one region, no region failover)*",
    )
    standby_settings: Any = setting(
        None,
        "a JSON object of what the standby may set differently: " + ", ".join(f"`{k}`" for k in STANDBY_OVERLAY),
        shown="`{}` (the standby inherits every other key; its AZs default to its region's first three)",
    )
    region_failback: Annotated[Text, AfterValidator(lambda mode: _failback_mode(mode))] = setting(
        FAILBACK_MANUAL,
        "`manual` (clients stay on the standby until an operator opens the failback gate; the standby's writes "
        "may not have replicated back) or `automatic` (Route 53 returns them as soon as the primary's check "
        "passes again); no effect without `standbyRegion`",
        shown="`manual` (with a standby; ignored without one)",
    )
    # Not a setting: the standby region's complete settings, built from this object's input by the same schema.
    standby: Settings | None = Field(None, exclude=True, description="the standby region's settings (derived)")

    # --- cross-field rules, in field order: each may look only at the fields declared above it -------------

    @field_validator("availability_zones", mode="before")
    @classmethod
    def _azs_of_the_region(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        region = info.data.get("region", defaults.REGION)
        if value is None:
            return geography.default_availability_zones(region)
        azs = text_list(value)
        shown = ",".join(azs)
        if len(azs) != geography.REQUIRED_AZS or len(set(azs)) != len(azs):
            raise SettingError(shown, "exactly three distinct Availability Zones are required")
        existing = geography.availability_zones(region)
        for az in azs:
            if az not in existing:
                raise SettingError(az, f"the Availability Zones of {region} are {', '.join(existing)}")
        return azs

    @field_validator("certificate_arn")
    @classmethod
    def _certificate_of_this_stack(cls, arn: str | None, info: ValidationInfo) -> str | None:
        if arn is None:
            return None
        region, account = certificate_parts(arn)
        if region != info.data.get("region"):
            raise SettingError(arn, f"the ALB's certificate must be in the stack's region {info.data.get('region')}")
        if account != info.data.get("account"):
            raise SettingError(arn, f"the ALB's certificate must be in the stack's account {info.data.get('account')}")
        return arn

    @field_validator("instance_type")
    @classmethod
    def _catalogued_type(cls, instance_type: str) -> str:
        if instance_type not in instance_types.known_instance_types():
            raise SettingError(instance_type, "expected an EC2 instance type such as t3.small or m7g.large")
        reason = instance_types.unsupported_reason(instance_type)
        if reason:
            raise SettingError(instance_type, reason)
        return instance_type

    @field_validator("image_id", mode="before")
    @classmethod
    def _pinned_image(cls, value: Any, info: ValidationInfo) -> str:
        """The fleet's image (R16): the pinned AL2023 image of the region and architecture, or a checked override."""
        region = info.data.get("region", defaults.REGION)
        instance_type = info.data.get("instance_type", defaults.INSTANCE_TYPE)
        arch = instance_types.architecture(instance_type)
        if value is not None and not isinstance(value, str):
            raise SettingError(value, "expected a string (in cdk.json, write it in quotes)")
        if value is None or not value.strip():
            pinned = images.pinned_image(region, arch)
            if pinned is None:
                raise WholeSentenceError(
                    f"No Amazon Linux 2023 image is pinned for {arch} in {region} (instanceType {instance_type}): "
                    f"run `make refresh-ami REFRESH_AMI_ARGS=--region={region}` with AWS credentials, or set 'imageId' "
                    f"to an {arch} AL2023 image of {region}."
                )
            return pinned.image_id
        image_id = value.strip()
        if not images.AMI_ID.match(image_id):
            raise SettingError(image_id, "expected `ami-` followed by 8 or 17 lower-case hexadecimal digits")
        known = images.known_image(image_id)
        if known is not None and known.architecture != arch:
            raise SettingError(
                image_id,
                f"it is the pinned {known.architecture} image of {known.region}, and instanceType {instance_type} "
                f"runs {arch}",
            )
        if known is not None and known.region != region:
            raise SettingError(
                image_id,
                f"it is the pinned image of {known.region}; an AMI id belongs to one region, and this is {region}",
            )
        return image_id

    @field_validator("additional_instance_types", mode="before")
    @classmethod
    def _alternative_types(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        """Fallback types for an AZ loss: one launch template (one pinned image, one credit option) fits them all."""
        instance_type = info.data.get("instance_type", defaults.INSTANCE_TYPE)
        if value is None:
            return defaults.ADDITIONAL_INSTANCE_TYPES if instance_type == defaults.INSTANCE_TYPE else ()
        types = text_list(value)
        shown = ",".join(types)
        if len(types) > MAX_ADDITIONAL_INSTANCE_TYPES or len(set(types)) != len(types) or instance_type in types:
            raise SettingError(
                shown,
                f"give at most {MAX_ADDITIONAL_INSTANCE_TYPES} distinct types, each once and none equal to "
                f"instanceType {instance_type}",
            )
        arch, burstable = instance_types.architecture(instance_type), instance_types.is_burstable(instance_type)
        for extra in types:
            if extra not in instance_types.known_instance_types() or instance_types.unsupported_reason(extra):
                raise SettingError(extra, "expected an EC2 instance type such as t3a.small or m6g.large")
            if instance_types.architecture(extra) != arch:
                raise SettingError(
                    extra,
                    f"it runs {instance_types.architecture(extra)}, and the pinned image of {instance_type} is {arch}",
                )
            if instance_types.is_burstable(extra) != burstable:
                raise SettingError(
                    extra,
                    f"{instance_type} {'is' if burstable else 'is not'} burstable and {extra} "
                    f"{'is not' if burstable else 'is'}: the group's one CPU credit option must fit every type",
                )
        return types

    @field_validator("min_capacity")
    @classmethod
    def _balanced_minimum(cls, minimum: int, info: ValidationInfo) -> int:
        zones = len(info.data.get("availability_zones") or ()) or geography.REQUIRED_AZS
        low, high = MIN_PER_AZ * zones, MAX_PER_AZ * zones
        if not low <= minimum <= high or minimum % zones:
            raise SettingError(
                minimum,
                f"it must be a multiple of {zones} from {low} to {high} ({MIN_PER_AZ} to {MAX_PER_AZ} per "
                f"Availability Zone) so every AZ keeps {MIN_PER_AZ} instances at rest and the group stays balanced",
            )
        return minimum

    @field_validator("max_capacity", mode="before")
    @classmethod
    def _maximum_or_its_default(cls, value: Any, info: ValidationInfo) -> int:
        """maxCapacity as given, or its default: 3 per AZ, or one per AZ above a minCapacity already at 3 per AZ."""
        if value is not None:
            return whole_number(value)
        zones = len(info.data.get("availability_zones") or ()) or geography.REQUIRED_AZS
        minimum: int = info.data.get("min_capacity", defaults.MIN_CAPACITY)
        return max(defaults.MAX_CAPACITY, minimum + BATCH_PER_AZ * zones)

    @field_validator("dns_health_check_regions")
    @classmethod
    def _checker_regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        allowed = geography.route53_checker_regions()
        if len(regions) < MIN_DNS_CHECKER_REGIONS or len(set(regions)) != len(regions) or set(regions) - set(allowed):
            raise SettingError(
                ",".join(regions),
                f"give at least {MIN_DNS_CHECKER_REGIONS} distinct Route 53 checker regions, each once, from "
                + ", ".join(allowed),
            )
        return regions

    @field_validator("deploy")
    @classmethod
    def _no_examples_in_a_deploy(cls, deploy: bool, info: ValidationInfo) -> bool:
        findings = example_findings(
            {key: info.data.get(key) for key in ("account", "hosted_zone_id", "hosted_zone_name", "domain_name")}
        )
        if deploy and findings:
            raise DeployRefusedError(
                f"Refusing to deploy with example values ({'; '.join(findings)}): set your real account, hosted "
                "zone and domain (see docs/deploy-and-teardown.md, 'Deploy for real')."
            )
        return deploy

    @field_validator("standby_region")
    @classmethod
    def _another_region(cls, standby: str | None, info: ValidationInfo) -> str | None:
        if standby is None:
            return None
        _check_region(standby)
        if standby == info.data.get("region"):
            raise SettingError(
                standby, "the standby must be another region than `region`, or a region failure takes both down"
            )
        return standby

    @field_validator("standby_settings", mode="before")
    @classmethod
    def _overlay_keys(cls, value: Any, info: ValidationInfo) -> dict[str, Any] | None:
        overlay = _json_object(value)
        if not overlay:
            return None
        if info.data.get("standby_region") is None:
            raise SettingError(overlay, "set standbyRegion too, or leave standbySettings unset")
        differ = f"the standby may differ only in {', '.join(STANDBY_OVERLAY)}"
        for key in overlay:
            if key in STANDBY_OVERLAY:
                continue
            if key == "region":
                raise SettingError(overlay, "the standby's region is set by standbyRegion, not inside standbySettings")
            if key in KEYS:
                raise SettingError(overlay, f"{key} is shared by both regions ({differ})")
            closest = closest_key(key, STANDBY_OVERLAY) or closest_key(key, KEYS)
            hint = f"did you mean '{closest}'?" if closest else f"{differ}"
            raise SettingError(overlay, f"{key} is not a setting; {hint}")
        return overlay

    @model_validator(mode="after")
    def _rules_between_keys(self, info: ValidationInfo) -> Settings:
        """The rules that relate two keys, on the whole resolved configuration, defaults included.

        The sentence names the key the user set; when the conflict comes from a default, it names the key that
        was set and says which other key to set. `given` is what the user set for this object (for a standby: its
        own overlay, not what it inherits).
        """
        given: set[str] = set((info.context or {}).get("given", self.model_fields_set))
        zone, domain = self.hosted_zone_name, self.domain_name
        if domain != zone and not domain.endswith("." + zone):
            if "domain_name" in given:
                raise SettingError(domain, f"the domain must be inside the hosted zone {zone}", key="domainName")
            raise SettingError(
                zone,
                f"domainName keeps its default {domain}, which is outside this zone: set domainName to a name "
                f"inside {zone} too",
                key="hostedZoneName",
            )
        if self.certificate_arn is None and len(domain) > ACM_FIRST_NAME_MAX:
            raise SettingError(
                short(domain),
                f"it has {len(domain)} characters, and the certificate this app requests names it first, where ACM "
                f"allows {ACM_FIRST_NAME_MAX}: use a shorter domainName, or set certificateArn to a certificate "
                "that covers it",
                key="domainName",
            )
        regional = f"{self.region}.{domain}"
        if len(regional) > type_limits.DNS_NAME_MAX:
            raise SettingError(
                short(domain),
                f"the region's own name {short(regional)} would have {len(regional)} characters, and a DNS name may "
                f"have at most {type_limits.DNS_NAME_MAX}",
                key="domainName",
            )
        self._check_capacity(given)
        self._check_release_window(given)
        if self.deploy and self.alarm_email is None:
            raise WholeSentenceError(
                "Refusing to deploy without an alarm destination: the failover topics would tell nobody; set "
                "alarmEmail (context key or PAYMENT_FAILOVER_ALARM_EMAIL) to the on-call address."
            )
        return self

    @property
    def release_timing(self) -> ReleaseTiming:
        """A zonal release at the largest balanced fleet (maxCapacity), the slowest case (R20)."""
        zones = len(self.availability_zones)
        return ReleaseTiming(
            first_zone_bake_seconds=self.first_zone_bake_seconds,
            zone_bake_seconds=self.zone_bake_seconds,
            zones=zones,
            instances_per_zone=-(-self.max_capacity // zones),
            drain_seconds=self.drain_seconds,
            seconds_to_mark_healthy=self.health_check_interval_seconds * HEALTHY_THRESHOLD,
        )

    def _check_release_window(self, given: set[str]) -> None:
        """A release waits inside a CloudFormation custom resource: it must end within that resource's hour."""
        timing = self.release_timing
        if timing.release_seconds <= timing.allowed_seconds:
            return
        # Name what the user set that makes a release long, the bakes first; with only defaults, the first bake.
        lengtheners = (
            "first_zone_bake_seconds",
            "zone_bake_seconds",
            "drain_seconds",
            "health_check_interval_seconds",
            "max_capacity",
            "min_capacity",
        )
        key = next((k for k in lengtheners if k in given), "first_zone_bake_seconds")
        raise SettingError(
            getattr(self, key),
            f"a release would take about {timing.release_seconds} s ({timing.bake_seconds} s of bakes, "
            f"{timing.instance_seconds} s per instance, {timing.instances_per_zone} per AZ), and CloudFormation "
            f"waits at most {timing.allowed_seconds} s for it: shorten the bakes, drainSeconds or "
            "healthCheckIntervalSeconds",
            key=_alias(key),
        )

    def _check_capacity(self, given: set[str]) -> None:
        zones = len(self.availability_zones)
        minimum, maximum = self.min_capacity, self.max_capacity
        ceiling = max(MAX_PER_AZ * zones, minimum + BATCH_PER_AZ * zones)
        if minimum < maximum <= ceiling:
            return
        if "max_capacity" not in given:
            # Only inherited (a standby's) or derived maxima get here: the user set minCapacity alone.
            raise SettingError(
                minimum,
                f"maxCapacity is {maximum} here, and it must exceed minCapacity so a deployment can launch new "
                f"instances before it retires old ones: set maxCapacity too (up to {ceiling})",
                key="minCapacity",
            )
        if maximum > ceiling:
            allowed = f"it may be at most {MAX_PER_AZ} per Availability Zone ({MAX_PER_AZ * zones}) to stay balanced"
            if ceiling > MAX_PER_AZ * zones:
                allowed = (
                    f"with minCapacity {minimum} it may be at most {ceiling} ({BATCH_PER_AZ} more per Availability "
                    "Zone, for a deployment's new batch)"
                )
            raise SettingError(maximum, allowed, key="maxCapacity")
        # A rolling deployment keeps minCapacity in service and launches each new batch above it; CloudFormation
        # requires MinInstancesInService < MaxSize (UpdatePolicy attribute page, R16).
        raise SettingError(
            maximum,
            f"it must exceed minCapacity ({minimum}) so a deployment can launch new instances "
            "before it retires old ones",
            key="maxCapacity",
        )

    @model_validator(mode="wrap")
    @classmethod
    def _with_standby(cls, data: Any, handler: ModelWrapValidatorHandler[Settings]) -> Settings:
        """Validate the standby region's settings with this very schema: the input, minus what belongs to one
        region, with `standbySettings` laid over it and `standbyRegion` as its region."""
        primary = handler(data)
        if primary.standby_region is None or not isinstance(data, Mapping):
            return primary
        overlay = dict(primary.standby_settings or {})
        inherited = {key: value for key, value in data.items() if _alias(key) not in NOT_INHERITED}
        values = {**inherited, **overlay, "region": primary.standby_region}
        origins = {key: f"standbySettings key '{key}'" for key in overlay} | {"region": "context key 'standbyRegion'"}
        given = {_field_name(key) for key in overlay} | {"region"}
        try:
            standby = Settings.model_validate(values, context={"given": given})
        except ValidationError as error:
            raise WholeSentenceError(str(config_error(error, Sources(values, origins)))) from None
        return primary.model_copy(update={"standby": standby})

    # --- what the constructs read ------------------------------------------------------------------------

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)

    @property
    def architecture(self) -> Architecture:
        return instance_types.architecture(self.instance_type)

    @property
    def uses_example_values(self) -> list[str]:
        """What still holds an example value (not deployable), one phrase per finding."""
        return example_findings(
            {
                "account": self.account,
                "hosted_zone_id": self.hosted_zone_id,
                "hosted_zone_name": self.hosted_zone_name,
                "domain_name": self.domain_name,
            }
        )


def _json_object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        value = json_value(value, _OVERLAY_EXAMPLE) if value.strip() else {}
    if not isinstance(value, dict):
        raise SettingError(value, _OVERLAY_EXAMPLE)
    return value


def _alias(key: str) -> str:
    field = Settings.model_fields.get(key)
    return (field.alias or key) if field else key


def _field_name(key: str) -> str:
    """The field behind a context key: minCapacity → min_capacity."""
    return next((name for name, field in Settings.model_fields.items() if field.alias == key), key)


def _merchant_header(name: str) -> str:
    problem = waf.header_name_problem(name)
    if problem:
        raise SettingError(name, problem)
    return name


def _trusted_cidrs(cidrs: tuple[str, ...]) -> tuple[str, ...]:
    problem = waf.trusted_cidr_problem(cidrs)
    if problem:
        raise SettingError(*problem)
    return cidrs


def _service_bundle(value: str) -> str:
    problem = bundle_problem(value)
    if problem:
        raise SettingError(value, problem)
    return value


def _failback_mode(mode: str) -> str:
    if mode not in FAILBACK_MODES:
        raise SettingError(
            mode,
            f"use {FAILBACK_MANUAL} (an operator opens the failback gate) or {FAILBACK_AUTOMATIC} (clients return "
            "when the primary's check passes)",
        )
    return mode


def _check_region(region: str) -> str:
    if region not in geography.commercial_regions():
        raise SettingError(region, "use an AWS commercial region such as eu-central-1")
    zones = geography.availability_zones(region)
    if len(zones) < geography.REQUIRED_AZS:
        offered = f"offers only {len(zones)} Availability Zones to an account" if zones else "has no published AZ names"
        raise SettingError(region, f"{region} {offered}, and this app needs {geography.REQUIRED_AZS}")
    return region


# One context key per setting, named after its field: environment_suffix → environmentSuffix.
KEYS = tuple(field.alias or name for name, field in Settings.model_fields.items() if not field.exclude)


def context_keys() -> tuple[str, ...]:
    """The CDK context keys the app reads."""
    return KEYS


def load_settings(
    context: Mapping[str, Any], environ: Mapping[str, str], *, extra_keys: tuple[str, ...] = ()
) -> Settings:
    """Build and validate the settings; raise ConfigError naming the first bad value.

    `extra_keys` are other settings read from the same context (the pipeline's), which are not unknown here.
    """
    sources = read_sources(context, environ, (*KEYS, *extra_keys))
    return settings_from_sources(sources)


def settings_from_sources(sources: Sources) -> Settings:
    values = {key: value for key, value in sources.values.items() if key in KEYS}
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        raise config_error(error, sources) from None


def config_error(error: ValidationError, sources: Sources) -> ConfigError:
    """Turn pydantic's first error into the one sentence the user reads."""
    first = error.errors(include_url=False)[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, WholeSentenceError):
        return ConfigError(str(cause))
    key = str(first["loc"][0]) if first["loc"] else "?"
    if isinstance(cause, SettingError):
        key = cause.key or key
        end = "" if cause.allowed.endswith("?") else "."
        return ConfigError(
            f"Invalid {sources.origin(key)}: {short(cause.value)!r} is not allowed; {cause.allowed}{end}"
        )
    return ConfigError(f"Invalid {sources.origin(key)}: {short(first.get('input'))!r} is not allowed; {first['msg']}.")


def markdown_table(model: type[BaseModel] = Settings) -> str:
    """The README's configuration table, generated from the schema (`make readme`; a test keeps them equal)."""
    rows = ["| key | environment variable | default | allowed |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if field.exclude:
            continue  # not a setting: filled in by the loader (the pinned CLI versions)
        key = field.alias or name
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        rows.append(f"| `{key}` | `{env_var(key)}` | {extra.get('shown') or _shown(field)} | {field.description} |")
    return "\n".join(rows)


def _shown(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return "`" + json.dumps(dict(value)) + "`"
    if isinstance(value, tuple):
        return "`" + ",".join(value) + "`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"
