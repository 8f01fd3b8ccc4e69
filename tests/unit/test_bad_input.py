"""Bad input fails before any construct exists, with one sentence naming key, value and what is allowed."""

from __future__ import annotations

import pytest

from payment_failover.settings import ConfigError, load_settings

CERT = "arn:aws:acm:{region}:111122223333:certificate/12345678-1234-1234-1234-123456789012"

BAD_CONTEXT = [
    ("environmentSuffix", "Prod", "'Prod'", "1-16 lower-case letters"),
    ("environmentSuffix", "my env", "'my env'", "1-16 lower-case letters"),
    ("environmentSuffix", "a-very-long-suffix-x", "'a-very-long-suffix-x'", "32-character load balancer"),
    ("environmentSuffix", "dev-", "'dev-'", "single hyphens"),
    ("account", "12345", "'12345'", "exactly 12 digits"),
    ("region", "eu-middle-9", "'eu-middle-9'", "commercial region"),
    ("availabilityZones", "eu-central-1a,eu-central-1b", "'eu-central-1a,eu-central-1b'", "exactly three distinct"),
    (
        "availabilityZones",
        "eu-central-1a,eu-central-1b,eu-central-1c,eu-central-1d",
        "'eu-central-1a,eu-central-1b,eu-central-1c,eu-central-1d'",
        "exactly three distinct",
    ),
    (
        "availabilityZones",
        "eu-central-1a,eu-central-1a,eu-central-1b",
        "'eu-central-1a,eu-central-1a,eu-central-1b'",
        "exactly three distinct",
    ),
    (
        "availabilityZones",
        "eu-central-1a,eu-central-1b,eu-west-1c",
        "'eu-west-1c'",
        "every Availability Zone must belong to region eu-central-1",
    ),
    ("domainName", "not a domain", "'not a domain'", "DNS name"),
    ("domainName", "payments.other.org", "'payments.other.org'", "inside the hosted zone example.com"),
    ("hostedZoneName", "localhost", "'localhost'", "DNS name"),
    ("hostedZoneId", "zone-1", "'zone-1'", "'Z' followed by"),
    (
        "certificateArn",
        "arn:aws:acm:eu-central-1:1:certificate/x",
        "'arn:aws:acm:eu-central-1:1:certificate/x'",
        "expected arn:aws:acm:",
    ),
    ("certificateArn", CERT.format(region="us-east-1"), repr(CERT.format(region="us-east-1")), "region eu-central-1"),
    ("instanceType", "huge", "'huge'", "EC2 instance type"),
    ("minCapacity", "six", "'six'", "whole number"),
    ("minCapacity", "4", "4", "at least 2 per Availability Zone"),
    ("minCapacity", "7", "7", "multiple of 3"),
    ("maxCapacity", "12", "12", "at most 3 per Availability Zone (9)"),
    ("maxCapacity", "9.5", "'9.5'", "whole number"),
    ("healthCheckIntervalSeconds", "2", "2", "5 to 300 seconds"),
    ("healthCheckIntervalSeconds", "301", "301", "5 to 300 seconds"),
    ("alarmEmail", "oncall@", "'oncall@'", "e-mail address"),
    ("latencyP99ThresholdMs", "-5", "-5", "use 1 to 60000 milliseconds"),
    ("latencyP99ThresholdMs", "fast", "'fast'", "whole number"),
    ("errorRatePercent", "0", "0", "use 1 to 100 percent"),
    ("errorRatePercent", "150", "150", "use 1 to 100 percent"),
    ("dnsHealthCheckIntervalSeconds", "15", "15", "Route 53 checks every 10 or 30 seconds"),
    ("dnsFailureThreshold", "11", "11", "use 1 to 10 consecutive failures"),
    ("dnsHealthCheckRegions", "us-east-1,eu-west-1", "'us-east-1,eu-west-1'", "at least 3 distinct"),
    ("dnsHealthCheckRegions", "us-east-1,eu-west-1,eu-central-1", "'us-east-1,eu-west-1,eu-central-1'", "at least 3"),
    ("tags", "Environment=Production", "'Environment=Production'", "JSON object"),
    ("tags", '{"aws:reserved": "x"}', "{'aws:reserved': 'x'}", "may not start with 'aws:'"),
    ("deploy", "maybe", "'maybe'", "true or false"),
]


@pytest.mark.parametrize(
    ("key", "value", "shown", "allowed"), BAD_CONTEXT, ids=[f"{row[0]}={row[1]}" for row in BAD_CONTEXT]
)
def test_bad_value_is_one_clear_sentence(key: str, value: str, shown: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({key: value}, {})
    message = str(error.value)
    assert message.startswith(f"Invalid context key '{key}': {shown} is not allowed; ")
    assert allowed in message
    assert message.endswith(".")
    assert "\n" not in message


def test_min_above_max_names_both() -> None:
    with pytest.raises(ConfigError, match=r"maxCapacity'.*6 is not allowed; it must be at least minCapacity \(9\)"):
        load_settings({"minCapacity": "9", "maxCapacity": "6"}, {})


def test_error_names_the_environment_variable_when_that_is_the_source() -> None:
    with pytest.raises(ConfigError, match=r"^Invalid environment variable PAYMENT_FAILOVER_MIN_CAPACITY: 'lots'"):
        load_settings({}, {"PAYMENT_FAILOVER_MIN_CAPACITY": "lots"})
