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
    """A value the schema refuses: what the user gave, and what is allowed (the end of the sentence)."""

    def __init__(self, value: Any, allowed: str) -> None:
        super().__init__(allowed)
        self.value = value
        self.allowed = allowed


class WholeSentenceError(ValueError):
    """A refusal that is a whole sentence of its own (the deploy guard, a pipeline stage's error)."""


class DeployRefusedError(WholeSentenceError):
    """`deploy=true` with example values."""


_SUFFIX = re.compile(r"^[a-z](?:[a-z0-9-]{0,14}[a-z0-9])?$", re.ASCII)
_ACCOUNT = re.compile(r"^[0-9]{12}$", re.ASCII)
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.ASCII)
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$", re.ASCII)
_CERTIFICATE_ARN = re.compile(
    r"^arn:aws:acm:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):certificate/[0-9a-f-]{36}$", re.ASCII
)
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}$", re.ASCII)
_WHOLE = re.compile(r"^-?[0-9]+$", re.ASCII)
_URL_MAX = 2048
_PERCENT = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,3})?$", re.ASCII)
# AWS tag rules: letters, digits, spaces and + - = . _ : / @ (Unicode letters allowed); "aws:" is reserved.
_TAG_KEY = re.compile(r"^(?![Aa][Ww][Ss]:)[\w .:/=+\-@]{1,128}$")
_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{0,256}$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}

ALB_INTERVAL_RANGE = (5, 300)
LATENCY_MS_RANGE = (1, 60_000)
ERROR_RATE_RANGE = (1, 100)
DNS_INTERVALS = (10, 30)
DNS_FAILURE_THRESHOLD_RANGE = (1, 10)
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


def _whole_number(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE.match(value.strip()):
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


def text_list(value: Any) -> tuple[str, ...]:
    """A list given as `a,b,c` or as a JSON array, from `-c`, `cdk.json` or the environment alike."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise SettingError(value, 'expected a comma-separated list or a JSON array such as ["a", "b"]') from None
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


def _dns_name(value: str) -> str:
    labels = value.rstrip(".").lower().split(".")
    if len(labels) < 2 or len(value) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise SettingError(
            value, "expected a DNS name of ASCII letters, digits and hyphens such as payments.example.com"
        )
    if not labels[-1].isalpha():
        raise SettingError(value, "a DNS name must end in an alphabetic top-level domain")
    return ".".join(labels)


def _hosted_zone_id(value: str) -> str:
    if not _HOSTED_ZONE_ID.match(value):
        raise SettingError(
            value, "a Route 53 hosted zone id is 'Z' followed by up to 31 upper-case ASCII letters or digits"
        )
    return value


def _email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise SettingError(value, "expected an e-mail address such as oncall@example.com")
    return value


def certificate_parts(arn: str) -> tuple[str, str]:
    """(region, account) of an ACM certificate ARN; SettingError when it is not one."""
    match = _CERTIFICATE_ARN.match(arn)
    if not match:
        raise SettingError(arn, "expected arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>")
    return match["region"], match["account"]


def _tag_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """User tags merged over the default tags: a key given here replaces the default's value."""
    if isinstance(value, str):
        try:
            value = json.loads(value, object_pairs_hook=_refuse_duplicate_keys)
        except json.JSONDecodeError:
            raise SettingError(value, 'expected a JSON object such as {"Team": "payments"}') from None
    if not isinstance(value, dict):
        raise SettingError(value, 'expected a JSON object such as {"Team": "payments"}')
    for key, tag_value in value.items():
        if not isinstance(tag_value, str):
            raise SettingError({key: tag_value}, f'tag values are strings, so write {{"{key}": "{tag_value}"}}')
        if not _TAG_KEY.match(key) or not _TAG_VALUE.match(tag_value):
            raise SettingError(
                {key: tag_value},
                "tag keys must be 1-128 and values 0-256 letters, digits, spaces or _.:/=+-@, "
                "keys may not start with 'aws:'",
            )
    return tuple({**dict(defaults.TAGS), **value}.items())


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise SettingError(dict(pairs), f"the tag key {key!r} is given twice; give each key once")
    return dict(pairs)


def choice_map(keys: tuple[str, ...], choices: tuple[str, ...]) -> Callable[[Any], tuple[tuple[str, str], ...]]:
    """A JSON object whose keys come from `keys` and whose values from `choices` (a mode per rule, for example)."""
    allowed = (
        f"expected a JSON object mapping some of {', '.join(keys)} to {' or '.join(choices)}, "
        f'such as {{"{keys[0]}": "{choices[-1]}"}}'
    )

    def parse(value: Any) -> tuple[tuple[str, str], ...]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise SettingError(value, allowed) from None
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
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
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
