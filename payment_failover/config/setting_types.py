"""The value types settings are made of: how each parses what the user typed, and the sentence when it cannot.

Every parser accepts what `-c key=value`, `cdk.json` and environment variables deliver alike (strings, or JSON
values from `cdk.json`) and raises `SettingError(value, allowed)`; the schema turns that into the one sentence
the user reads. Numbers and identifiers are ASCII only: Python's `\\d` and `int()` accept Arabic-Indic and
full-width digits, which the CDK then rejects with a stack trace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator

from payment_failover.config import defaults


class SettingError(ValueError):
    """A value the schema refuses: what the user gave, and what is allowed (the end of the sentence).

    `key` names the setting when the refusal comes from a rule between keys (which pydantic reports without a
    field): the key the user set, or, when the conflict comes from defaults, the key to set.
    """

    def __init__(self, value: Any, allowed: str, *, key: str | None = None) -> None:
        super().__init__(allowed)
        self.value = value
        self.allowed = allowed
        self.key = key


class WholeSentenceError(ValueError):
    """A refusal that is a whole sentence of its own (the deploy guard, a pipeline stage's error)."""


class DeployRefusedError(WholeSentenceError):
    """`deploy=true` with example values."""


_SUFFIX = re.compile(r"^[a-z](?:[a-z0-9-]{0,14}[a-z0-9])?$", re.ASCII)
_ACCOUNT = re.compile(r"^[0-9]{12}$", re.ASCII)
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]+(?<!-)$", re.ASCII)
# A top-level domain is alphabetic, or an internationalized one in its ASCII (punycode) form: xn--...
_TOP_LEVEL = re.compile(r"^(?:[a-z]+|xn--[a-z0-9-]*[a-z0-9])$", re.ASCII)
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$", re.ASCII)
_CERTIFICATE_ARN = re.compile(
    r"^arn:aws:acm:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):certificate/[0-9a-f-]{36}$", re.ASCII
)
# The local part of an address as a dot-atom (RFC 5322 3.2.3): atoms of letters, digits and !#$%&'*+/=?^_`{|}~-
# joined by single dots; no quoted local parts, no IP-literal domains.
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$", re.ASCII)
# RFC 5321 4.5.3.1: a local part of at most 64 octets, a path of at most 256 (so an address of at most 254).
EMAIL_LOCAL_MAX = 64
EMAIL_MAX = 254
_WHOLE = re.compile(r"^-?[0-9]+$", re.ASCII)
# No setting takes a number above 2,000,000,000 (AWS WAF's rate limit): ten digits are enough, and a longer
# string is refused before int() (which gives up past 4,300 digits with a message of its own).
WHOLE_NUMBER_DIGITS = 10
_URL_MAX = 2048
_PERCENT = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,3})?$", re.ASCII)
# AWS tag rules: letters, digits, spaces and + - = . _ : / @ (Unicode letters allowed); "aws:" is reserved.
# Pages: https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/tagging-restrictions.html and
# https://docs.aws.amazon.com/personalize/latest/dg/personalize-managing-tags.html (50 per resource, keys of
# 1-128 and values of up to 256 characters, one value per key, the characters, the reserved aws: prefix).
_TAG_TEXT = re.compile(r"^[\w .:/=+\-@]*$")
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_PER_RESOURCE = 50
# Tags the CDK itself puts on some resources of this app, which count against the 50 as well: a subnet carries
# Name, aws-cdk:subnet-name and aws-cdk:subnet-type (tests/unit/config/test_limits.py reads the most any
# resource carries from the synthesized templates and keeps this number equal).
APP_TAGS_PER_RESOURCE = 3
MAX_TAGS = TAGS_PER_RESOURCE - APP_TAGS_PER_RESOURCE
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}

ALB_INTERVAL_RANGE = (5, 300)
LATENCY_MS_RANGE = (1, 60_000)
ERROR_RATE_RANGE = (1, 100)
DNS_INTERVALS = (10, 30)
DNS_FAILURE_THRESHOLD_RANGE = (1, 10)
# ELB's deregistration delay attribute (deregistration_delay.timeout_seconds) accepts 0-3600 seconds.
DRAIN_SECONDS_RANGE = (1, 3600)
# A bake is a wait under alarms inside one release, which must end within CloudFormation's hour.
BAKE_SECONDS_RANGE = (0, 3000)
# SLOs (R21): at 99.99 % the 30-day error budget is 4.3 minutes of full outage, under the 5-minute fast-burn window.
AVAILABILITY_OBJECTIVE_RANGE = (90.0, 99.99)
LATENCY_OBJECTIVE_PERCENT_RANGE = (50.0, 99.99)

# AWS documentation's example account ids: never a real deployment.
EXAMPLE_ACCOUNTS = frozenset({defaults.ACCOUNT, "111122223333", "444455556666", "777788889999", "012345678901"})
# Names reserved for examples and testing (RFC 2606, RFC 6761): no one can own a zone there.
_RESERVED_TLDS = ("example", "invalid", "localhost", "test")
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise SettingError(value, "expected a string (in cdk.json, write it in quotes)")
    return value.strip()


def _optional_text(value: Any) -> str | None:
    return _text(value) or None


def whole_number(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if len(str(abs(value))) > WHOLE_NUMBER_DIGITS:
            raise SettingError(
                short(str(value), 24), f"expected a whole number of at most {WHOLE_NUMBER_DIGITS} digits"
            )
        return value
    if isinstance(value, str) and _WHOLE.match(value.strip()):
        if len(value.strip().lstrip("-")) > WHOLE_NUMBER_DIGITS:
            raise SettingError(short(value, 24), f"expected a whole number of at most {WHOLE_NUMBER_DIGITS} digits")
        return int(value.strip())
    raise SettingError(value, "expected a whole number in ASCII digits")


def _percent(value: Any) -> float:
    """A percentage such as 99.95: ASCII digits, at most three decimals (an SLO, R21)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and _PERCENT.match(value.strip()):
        return float(value.strip())
    raise SettingError(value, "expected a percentage in ASCII digits with at most 3 decimals, such as 99.95")


def in_percent_range(bounds: tuple[float, float], allowed: str) -> Callable[[float], float]:
    low, high = bounds

    def check(value: float) -> float:
        if not low <= value <= high:
            raise SettingError(value, allowed.format(low=f"{low:g}", high=f"{high:g}"))
        return value

    return check


def _https_url(value: str | None) -> str | None:
    """An incident tool's HTTPS endpoint for SNS (R21): https, a DNS host, no credentials, no spaces."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or " " in value or len(value) > _URL_MAX:
        raise SettingError(value, "expected an https:// URL such as https://events.incident-tool.example/sns")
    if parts.username or parts.password:
        raise SettingError(value, "put no user name or password in the URL: the template and the subscription show it")
    try:
        _dns_name(parts.hostname)
    except SettingError:
        raise SettingError(value, "its host must be a public DNS name such as events.incident-tool.example") from None
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise SettingError(value, "expected true or false")


def json_value(value: str, allowed: str) -> Any:
    """Parse JSON the way every setting does: a duplicate object key is refused, never resolved to its last value."""
    try:
        return json.loads(value, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError:
        raise SettingError(value, allowed + quoting_hint(value)) from None


def quoting_hint(value: str) -> str:
    """When JSON arrives with its double quotes stripped, say how to quote it so the quotes survive.

    `make synth CDK_ARGS='-c tags={"Team":"x"}'` hands make's shell `{"Team":"x"}` unquoted, and the shell removes
    the double quotes: the app receives `{Team:x}`. Quoted once more inside CDK_ARGS, the shell keeps them.
    """
    text = value.strip()
    if text[:1] in ("{", "[") and '"' not in text and len(text) > 2:
        return (
            "; its double quotes were lost to a shell: through make, quote the whole -c argument inside CDK_ARGS, "
            """as in make synth CDK_ARGS="-c 'tags={\\"Team\\": \\"payments\\"}'", """
            "or set the PAYMENT_FAILOVER_ variable in single quotes"
        )
    return ""


def text_list(value: Any) -> tuple[str, ...]:
    """A list given as `a,b,c` or as a JSON array, from `-c`, `cdk.json` or the environment alike."""
    if isinstance(value, str) and value.strip().startswith("["):
        value = json_value(value, 'expected a comma-separated list or a JSON array such as ["a", "b"]')
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value)
    raise SettingError(value, "expected a comma-separated list or a JSON array of strings")


def _suffix(value: str) -> str:
    if not _SUFFIX.match(value) or "--" in value:
        raise SettingError(
            value,
            "use 1-16 lower-case letters, digits or single hyphens, starting with a letter "
            "(it is part of the 32-character load balancer and target group names)",
        )
    return value


def _account(value: str) -> str:
    if not _ACCOUNT.match(value):
        raise SettingError(value, "an AWS account id is exactly 12 ASCII digits (0-9)")
    return value


# DNS limits: a label has at most 63 octets, a name at most 253 (255 on the wire, with the length bytes). Pages:
# https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html (labels up to 63 bytes) and
# ACM's RequestCertificate reference (a DNS name of at most 253 octets, no label over 63), as published in the
# SDK model: https://docs.rs/aws-sdk-acm/1.62.0/src/aws_sdk_acm/operation/request_certificate/_request_certificate_input.rs.html
DNS_LABEL_MAX = 63
DNS_NAME_MAX = 253


def _dns_name(value: str) -> str:
    name = value.rstrip(".").lower()
    labels = name.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise SettingError(
            value, "expected a DNS name of ASCII letters, digits and hyphens such as payments.example.com"
        )
    long_label = next((label for label in labels if len(label) > DNS_LABEL_MAX), None)
    if long_label is not None:
        raise SettingError(
            value,
            f"its label {short(long_label)} has {len(long_label)} characters, and a DNS label may have at most "
            f"{DNS_LABEL_MAX}",
        )
    if len(name) > DNS_NAME_MAX:
        raise SettingError(value, f"it has {len(name)} characters, and a DNS name may have at most {DNS_NAME_MAX}")
    if not _TOP_LEVEL.match(labels[-1]):
        raise SettingError(
            value, "a DNS name must end in a top-level domain of letters, or its xn-- form for an internationalized one"
        )
    return name


def _hosted_zone_id(value: str) -> str:
    if not _HOSTED_ZONE_ID.match(value):
        raise SettingError(
            value, "a Route 53 hosted zone id is 'Z' followed by up to 31 upper-case ASCII letters or digits"
        )
    return value


def _email(value: str | None) -> str | None:
    """An address SNS can deliver to (https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html: the
    endpoint of an email subscription is the address itself, which must confirm): a dot-atom local part of at most
    64 characters, `@`, and a DNS name with a top-level domain, at most 254 characters in all (RFC 5321)."""
    if value is None:
        return None
    local, at, domain = value.rpartition("@")
    sentence = "expected an e-mail address such as oncall@example.com"
    if not at or not _EMAIL_LOCAL.match(local) or len(local) > EMAIL_LOCAL_MAX:
        raise SettingError(value, sentence)
    try:
        _dns_name(domain)
    except SettingError:
        raise SettingError(value, sentence) from None
    if domain.endswith(".") or len(value) > EMAIL_MAX:
        raise SettingError(value, f"{sentence}, of at most {EMAIL_MAX} characters")
    return value


def certificate_parts(arn: str) -> tuple[str, str]:
    """(region, account) of an ACM certificate ARN; SettingError when it is not one."""
    match = _CERTIFICATE_ARN.match(arn)
    if not match:
        raise SettingError(arn, "expected arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>")
    return match["region"], match["account"]


_TAG_RULE = (
    "tag keys must be 1-128 and values 1-256 letters, digits, spaces or _.:/=+-@, keys may not start with 'aws:'"
)


def _tag_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """User tags merged over the default tags: a key given here replaces the default's value."""
    if isinstance(value, str):
        value = json_value(value, 'expected a JSON object such as {"Team": "payments"}')
    if not isinstance(value, dict):
        raise SettingError(value, 'expected a JSON object such as {"Team": "payments"}')
    for key, tag_value in value.items():
        if not isinstance(tag_value, str):
            raise SettingError(
                {key: tag_value}, f"tag values are strings, so write {json.dumps({key: json.dumps(tag_value)})}"
            )
        # An empty value is a valid tag elsewhere, but CloudWatch alarms and SSM documents (both in this app) refuse
        # one: CloudFormation's schema for their Tag.Value has a minimum length of 1.
        if (
            not key
            or not tag_value
            or len(key) > TAG_KEY_MAX
            or len(tag_value) > TAG_VALUE_MAX
            or not _TAG_TEXT.match(key)
            or not _TAG_TEXT.match(tag_value)
            or key.lower().startswith("aws:")
        ):
            raise SettingError({short(key): short(tag_value)}, _TAG_RULE)
    merged = {**dict(defaults.TAGS), **value}
    if len(merged) > MAX_TAGS:
        raise SettingError(
            Verbatim(f"{len(value)} tags"),
            f"with the {len(defaults.TAGS)} default tags that makes {len(merged)}, and a resource may carry "
            f"{TAGS_PER_RESOURCE} tags of which the CDK already uses {APP_TAGS_PER_RESOURCE} on the subnets: give at "
            f"most {MAX_TAGS - len(defaults.TAGS)} tags of your own (or {MAX_TAGS} counting Environment and "
            "FailoverEnabled)",
        )
    return tuple(merged.items())


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise SettingError(dict(pairs), f"the key {key!r} is given twice; give each key once")
    return dict(pairs)


class Verbatim(str):
    """A value a sentence shows as it is, without quotes (a count, say, rather than what the user typed)."""

    def __repr__(self) -> str:
        return str(self)


def short(value: Any, limit: int = 160) -> Any:
    """A value as a sentence may echo it: a long string is cut, with its length, so a message stays one line."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[: limit - 10]}…({len(value)} characters)"
    return value


def choice_map(keys: tuple[str, ...], choices: tuple[str, ...]) -> Callable[[Any], tuple[tuple[str, str], ...]]:
    """A JSON object whose keys come from `keys` and whose values from `choices` (a mode per rule, for example)."""
    allowed = (
        f"expected a JSON object mapping some of {', '.join(keys)} to {' or '.join(choices)}, "
        f'such as {{"{keys[0]}": "{choices[-1]}"}}'
    )

    def parse(value: Any) -> tuple[tuple[str, str], ...]:
        if isinstance(value, str):
            value = json_value(value, allowed)
        if not isinstance(value, dict) or any(k not in keys or v not in choices for k, v in value.items()):
            raise SettingError(value, allowed)
        return tuple(value.items())

    return parse


def in_range(bounds: tuple[int, int], allowed: str) -> Callable[[int], int]:
    low, high = bounds

    def check(value: int) -> int:
        if not low <= value <= high:
            raise SettingError(value, allowed.format(low=low, high=high))
        return value

    return check


def one_of(choices: Iterable[int], allowed: str) -> Callable[[int], int]:
    options = tuple(choices)

    def check(value: int) -> int:
        if value not in options:
            raise SettingError(value, allowed)
        return value

    return check


def example_findings(values: dict[str, str | None]) -> list[str]:
    """The example values among account, hosted zone and domain, one phrase each, for the deploy guard."""
    findings = []
    if values.get("account") in EXAMPLE_ACCOUNTS:
        findings.append(f"account {values['account']} is an AWS documentation example")
    if values.get("hosted_zone_id") == defaults.HOSTED_ZONE_ID:
        findings.append(f"hostedZoneId {values['hosted_zone_id']} is the embedded example")
    for key, name in (("hostedZoneName", values.get("hosted_zone_name")), ("domainName", values.get("domain_name"))):
        if name and is_reserved_domain(name):
            findings.append(f"{key} {name} is reserved for examples by RFC 2606")
    return findings


def is_reserved_domain(name: str) -> bool:
    labels = name.rstrip(".").lower().split(".")
    return labels[-1] in _RESERVED_TLDS or ".".join(labels[-2:]) in _RESERVED_DOMAINS


Text = Annotated[str, BeforeValidator(_text)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
WholeNumber = Annotated[int, BeforeValidator(whole_number)]
Percent = Annotated[float, BeforeValidator(_percent)]
Flag = Annotated[bool, BeforeValidator(_flag)]
TextList = Annotated[tuple[str, ...], BeforeValidator(text_list)]
Suffix = Annotated[str, BeforeValidator(_text), AfterValidator(_suffix)]
Account = Annotated[str, BeforeValidator(_text), AfterValidator(_account)]
DnsName = Annotated[str, BeforeValidator(_text), AfterValidator(_dns_name)]
HostedZoneId = Annotated[str, BeforeValidator(_text), AfterValidator(_hosted_zone_id)]
Email = Annotated[str | None, BeforeValidator(_optional_text), AfterValidator(_email)]
HttpsUrl = Annotated[str | None, BeforeValidator(_optional_text), AfterValidator(_https_url)]
TagPairs = Annotated[tuple[tuple[str, str], ...], BeforeValidator(_tag_pairs)]
