"""The one validated, frozen settings object, built from CDK context and environment variables.

Precedence for every key: CDK context (``-c key=value`` or ``cdk.json``) over the environment
variable ``PAYMENT_FAILOVER_<KEY>`` over the embedded default. Validation happens here, once,
before any construct exists; every failure is one sentence naming the key, the value and what
is allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from payment_failover import defaults, regions

T = TypeVar("T")

ENV_PREFIX = "PAYMENT_FAILOVER_"

_SUFFIX = re.compile(r"^[a-z](?:[a-z0-9-]{0,14}[a-z0-9])?$")
_ACCOUNT = re.compile(r"^\d{12}$")
_AZ_LETTER = re.compile(r"^[a-z]$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws:acm:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):certificate/[0-9a-f-]{36}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}$")
_TAG_KEY = re.compile(r"^(?!aws:)[\w .:/=+\-@]{1,128}$")
_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{0,256}$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}

# Health-check interval limits of an ALB target group (seconds).
ALB_INTERVAL_RANGE = (5, 300)
# Route 53 health checks: the intervals and checker regions the service accepts.
DNS_INTERVALS = (10, 30)
DNS_FAILURE_THRESHOLD_RANGE = (1, 10)
DNS_CHECKER_REGIONS = frozenset(
    {
        "us-east-1",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "sa-east-1",
    }
)
MIN_DNS_CHECKER_REGIONS = 3
LATENCY_MS_RANGE = (1, 60_000)
ERROR_RATE_RANGE = (1, 100)
# The balance rule of R5: at least 2 and at most 3 instances per Availability Zone.
MIN_PER_AZ = 2
MAX_PER_AZ = 3


class ConfigError(ValueError):
    """A setting is invalid; the message is one sentence meant for the person running synth."""


@dataclass(frozen=True)
class Settings:
    """Everything the app is allowed to vary, already validated."""

    environment_suffix: str = defaults.ENVIRONMENT_SUFFIX
    account: str = defaults.ACCOUNT
    region: str = defaults.REGION
    availability_zones: tuple[str, ...] = defaults.AVAILABILITY_ZONES
    domain_name: str = defaults.DOMAIN_NAME
    hosted_zone_id: str = defaults.HOSTED_ZONE_ID
    hosted_zone_name: str = defaults.HOSTED_ZONE_NAME
    certificate_arn: str | None = None
    instance_type: str = defaults.INSTANCE_TYPE
    min_capacity: int = defaults.MIN_CAPACITY
    max_capacity: int = defaults.MAX_CAPACITY
    health_check_interval_seconds: int = defaults.HEALTH_CHECK_INTERVAL_SECONDS
    alarm_email: str | None = None
    latency_p99_threshold_ms: int = defaults.LATENCY_P99_THRESHOLD_MS
    error_rate_percent: int = defaults.ERROR_RATE_PERCENT
    dns_health_check_interval_seconds: int = defaults.DNS_HEALTH_CHECK_INTERVAL_SECONDS
    dns_failure_threshold: int = defaults.DNS_FAILURE_THRESHOLD
    dns_health_check_regions: tuple[str, ...] = defaults.DNS_HEALTH_CHECK_REGIONS
    tags: tuple[tuple[str, str], ...] = defaults.TAGS
    deploy: bool = False

    @property
    def uses_example_values(self) -> list[str]:
        """The context keys still holding the embedded example values (not deployable)."""
        found = []
        if self.account == defaults.ACCOUNT:
            found.append("account")
        if self.hosted_zone_id == defaults.HOSTED_ZONE_ID:
            found.append("hostedZoneId")
        if _is_within(self.domain_name, defaults.HOSTED_ZONE_NAME):
            found.append("domainName")
        return found

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


# One context key per setting, named after its field: environment_suffix → environmentSuffix.
KEYS = tuple(_camel(setting.name) for setting in fields(Settings))


def context_keys() -> tuple[str, ...]:
    """The CDK context keys the app reads."""
    return KEYS


def env_var(key: str) -> str:
    """The environment variable that sets a key when context does not: minCapacity → PAYMENT_FAILOVER_MIN_CAPACITY."""
    return ENV_PREFIX + re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()


class _Reader:
    """Looks a key up in context, then the environment, and remembers where the value came from."""

    def __init__(self, context: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self._context = context
        self._environ = environ

    def raw(self, name: str) -> tuple[Any, str] | None:
        if self._context.get(name) is not None:
            return self._context[name], f"context key '{name}'"
        if env_var(name) in self._environ:
            return self._environ[env_var(name)], f"environment variable {env_var(name)}"
        return None

    def origin(self, name: str) -> str:
        """Where a key's value came from, for error messages."""
        found = self.raw(name)
        return found[1] if found else f"default of '{name}'"

    def get(self, name: str, default: T, parse: Callable[[Any, str], T]) -> T:
        found = self.raw(name)
        if found is None:
            return default
        value, origin = found
        return parse(value, origin)


def fail(origin: str, value: Any, allowed: str) -> ConfigError:
    """Build the one-sentence error every bad setting produces."""
    return ConfigError(f"Invalid {origin}: {value!r} is not allowed; {allowed}.")


def _text(value: Any, origin: str) -> str:
    if not isinstance(value, str):
        raise fail(origin, value, "expected a string")
    return value.strip()


def _optional_text(value: Any, origin: str) -> str | None:
    text = _text(value, origin)
    return text or None


def _integer(value: Any, origin: str) -> int:
    if isinstance(value, bool):
        raise fail(origin, value, "expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise fail(origin, value, "expected a whole number")


def _boolean(value: Any, origin: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise fail(origin, value, "expected true or false")


def _string_list(value: Any, origin: str) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",") if item.strip()]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise fail(origin, value, "expected a comma-separated list or a JSON list of strings")
    return tuple(items)


def _tag_pairs(value: Any, origin: str) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise fail(origin, value, 'expected a JSON object such as {"Team": "payments"}') from None
    if not isinstance(value, dict) or not value:
        raise fail(origin, value, 'expected a non-empty JSON object such as {"Team": "payments"}')
    pairs = []
    for key, tag_value in value.items():
        if not isinstance(tag_value, str) or not _TAG_KEY.match(key) or not _TAG_VALUE.match(tag_value):
            raise fail(
                origin,
                {key: tag_value},
                "tag keys must be 1-128 and values 0-256 letters, digits, spaces or _.:/=+-@, "
                "keys may not start with 'aws:'",
            )
        pairs.append((key, tag_value))
    return tuple(pairs)


def _check_range(origin: str, value: int, bounds: tuple[int, int], unit: str) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise fail(origin, value, f"use {low} to {high} {unit}")


def _is_within(domain: str, zone: str) -> bool:
    return domain == zone or domain.endswith("." + zone)


def _check_domain(name: str, value: str, origin: str, example: str) -> str:
    labels = value.rstrip(".").lower().split(".")
    if len(labels) < 2 or len(value) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise fail(origin, value, f"{name} must be a DNS name such as {example}")
    if not labels[-1].isalpha():
        raise fail(origin, value, f"{name} must end in an alphabetic top-level domain")
    return ".".join(labels)


def load_settings(context: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
    """Build and validate the settings; raise ConfigError naming the first bad value."""
    read = _Reader(context, environ)
    origin = read.origin

    suffix = read.get("environmentSuffix", defaults.ENVIRONMENT_SUFFIX, _text)
    if not _SUFFIX.match(suffix) or "--" in suffix:
        raise fail(
            origin("environmentSuffix"),
            suffix,
            "use 1-16 lower-case letters, digits or single hyphens, starting with a letter "
            "(it is part of the 32-character load balancer and target group names)",
        )

    account = read.get("account", defaults.ACCOUNT, _text)
    if not _ACCOUNT.match(account):
        raise fail(origin("account"), account, "an AWS account id is exactly 12 digits")

    region = read.get("region", defaults.REGION, _text)
    if region not in regions.COMMERCIAL_REGIONS:
        raise fail(origin("region"), region, "use an AWS commercial region such as eu-central-1")

    default_azs = tuple(region + letter for letter in ("a", "b", "c"))
    azs = read.get("availabilityZones", default_azs, _string_list)
    if len(azs) != 3 or len(set(azs)) != 3:
        raise fail(origin("availabilityZones"), ",".join(azs), "exactly three distinct Availability Zones are required")
    for az in azs:
        if not az.startswith(region) or not _AZ_LETTER.match(az[len(region) :]):
            raise fail(
                origin("availabilityZones"),
                az,
                f"every Availability Zone must belong to region {region} (for example {region}a)",
            )

    zone_name = _check_domain(
        "the hosted zone name",
        read.get("hostedZoneName", defaults.HOSTED_ZONE_NAME, _text),
        origin("hostedZoneName"),
        "example.com",
    )
    domain = _check_domain(
        "the domain name",
        read.get("domainName", defaults.DOMAIN_NAME, _text),
        origin("domainName"),
        "payments.example.com",
    )
    if not _is_within(domain, zone_name):
        raise fail(origin("domainName"), domain, f"the domain must be inside the hosted zone {zone_name}")

    zone_id = read.get("hostedZoneId", defaults.HOSTED_ZONE_ID, _text)
    if not _HOSTED_ZONE_ID.match(zone_id):
        raise fail(
            origin("hostedZoneId"),
            zone_id,
            "a Route 53 hosted zone id is 'Z' followed by up to 31 upper-case letters or digits",
        )

    certificate_arn = read.get("certificateArn", None, _optional_text)
    if certificate_arn is not None:
        match = _CERTIFICATE_ARN.match(certificate_arn)
        if not match:
            raise fail(
                origin("certificateArn"),
                certificate_arn,
                "expected arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>",
            )
        if match["region"] != region:
            raise fail(
                origin("certificateArn"),
                certificate_arn,
                f"the ALB's certificate must be in the stack's region {region}",
            )

    instance_type = read.get("instanceType", defaults.INSTANCE_TYPE, _text)
    if not _INSTANCE_TYPE.match(instance_type):
        raise fail(origin("instanceType"), instance_type, "expected an EC2 instance type such as t3.small")

    zones = len(azs)
    min_capacity = read.get("minCapacity", defaults.MIN_CAPACITY, _integer)
    max_capacity = read.get("maxCapacity", defaults.MAX_CAPACITY, _integer)
    if min_capacity < MIN_PER_AZ * zones or min_capacity % zones:
        raise fail(
            origin("minCapacity"),
            min_capacity,
            f"it must be a multiple of {zones} and at least {MIN_PER_AZ} per Availability Zone "
            f"({MIN_PER_AZ * zones} or more) so every AZ keeps {MIN_PER_AZ} instances at rest",
        )
    if max_capacity > MAX_PER_AZ * zones:
        raise fail(
            origin("maxCapacity"),
            max_capacity,
            f"it may be at most {MAX_PER_AZ} per Availability Zone ({MAX_PER_AZ * zones}) to stay balanced",
        )
    if max_capacity < min_capacity:
        raise fail(origin("maxCapacity"), max_capacity, f"it must be at least minCapacity ({min_capacity})")

    interval = read.get("healthCheckIntervalSeconds", defaults.HEALTH_CHECK_INTERVAL_SECONDS, _integer)
    low, high = ALB_INTERVAL_RANGE
    if not low <= interval <= high:
        raise fail(
            origin("healthCheckIntervalSeconds"), interval, f"an ALB target group accepts {low} to {high} seconds"
        )

    alarm_email = read.get("alarmEmail", None, _optional_text)
    if alarm_email is not None and not _EMAIL.match(alarm_email):
        raise fail(origin("alarmEmail"), alarm_email, "expected an e-mail address such as oncall@example.com")

    latency = read.get("latencyP99ThresholdMs", defaults.LATENCY_P99_THRESHOLD_MS, _integer)
    _check_range(origin("latencyP99ThresholdMs"), latency, LATENCY_MS_RANGE, "milliseconds")
    error_rate = read.get("errorRatePercent", defaults.ERROR_RATE_PERCENT, _integer)
    _check_range(origin("errorRatePercent"), error_rate, ERROR_RATE_RANGE, "percent")

    dns_interval = read.get("dnsHealthCheckIntervalSeconds", defaults.DNS_HEALTH_CHECK_INTERVAL_SECONDS, _integer)
    if dns_interval not in DNS_INTERVALS:
        raise fail(origin("dnsHealthCheckIntervalSeconds"), dns_interval, "Route 53 checks every 10 or 30 seconds")
    dns_threshold = read.get("dnsFailureThreshold", defaults.DNS_FAILURE_THRESHOLD, _integer)
    _check_range(origin("dnsFailureThreshold"), dns_threshold, DNS_FAILURE_THRESHOLD_RANGE, "consecutive failures")
    dns_regions: tuple[str, ...] = read.get("dnsHealthCheckRegions", defaults.DNS_HEALTH_CHECK_REGIONS, _string_list)
    unknown = sorted(set(dns_regions) - DNS_CHECKER_REGIONS)
    if len(set(dns_regions)) < MIN_DNS_CHECKER_REGIONS or unknown:
        raise fail(
            origin("dnsHealthCheckRegions"),
            ",".join(dns_regions),
            f"give at least {MIN_DNS_CHECKER_REGIONS} distinct Route 53 checker regions from "
            + ", ".join(sorted(DNS_CHECKER_REGIONS)),
        )

    settings = Settings(
        environment_suffix=suffix,
        account=account,
        region=region,
        availability_zones=azs,
        domain_name=domain,
        hosted_zone_id=zone_id,
        hosted_zone_name=zone_name,
        certificate_arn=certificate_arn,
        instance_type=instance_type,
        min_capacity=min_capacity,
        max_capacity=max_capacity,
        health_check_interval_seconds=interval,
        alarm_email=alarm_email,
        latency_p99_threshold_ms=latency,
        error_rate_percent=error_rate,
        dns_health_check_interval_seconds=dns_interval,
        dns_failure_threshold=dns_threshold,
        dns_health_check_regions=tuple(dns_regions),
        tags=read.get("tags", defaults.TAGS, _tag_pairs),
        deploy=read.get("deploy", False, _boolean),
    )
    if settings.deploy and settings.uses_example_values:
        keys = ", ".join(settings.uses_example_values)
        raise ConfigError(
            f"Refusing to deploy with the embedded example values of {keys}: "
            "set them to your real account, hosted zone and domain (see README, 'Deploy for real')."
        )
    return settings
