"""The bad-configuration suite (R13, issue 5): every invalid setting stops `app.py` before any construct
exists, with one exact sentence naming the key, the value and what is allowed, and nothing synthesized.

Each case runs the real entry point, `app.main`, in-process with the context the CLI would pass;
tests/unit/test_app_entrypoint.py runs the same door as a subprocess under the CLI's environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import app
from payment_failover.settings import ConfigError, load_settings

SUFFIX_RULE = (
    "use 1-16 lower-case letters, digits or single hyphens, starting with a letter "
    "(it is part of the 32-character load balancer and target group names)."
)
THREE_AZS = "exactly three distinct Availability Zones are required."
MIN_RULE = (
    "it must be a multiple of 3 and at least 2 per Availability Zone (6 or more) so every AZ keeps 2 instances at rest."
)
WHOLE = "expected a whole number."
DNS_REGIONS = (
    "give at least 3 distinct Route 53 checker regions from ap-northeast-1, ap-southeast-1, ap-southeast-2, "
    "eu-west-1, sa-east-1, us-east-1, us-west-1, us-west-2."
)
CERT_US = "arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012"

# (context, the key named, the rest of the sentence after "Invalid context key '<key>': ")
BAD_CONFIGURATIONS: list[tuple[dict[str, Any], str, str]] = [
    ({"environmentSuffix": "Prod"}, "environmentSuffix", f"'Prod' is not allowed; {SUFFIX_RULE}"),
    ({"environmentSuffix": "my env"}, "environmentSuffix", f"'my env' is not allowed; {SUFFIX_RULE}"),
    (
        {"environmentSuffix": "a-very-long-suffix-x"},
        "environmentSuffix",
        f"'a-very-long-suffix-x' is not allowed; {SUFFIX_RULE}",
    ),
    ({"environmentSuffix": "dev-"}, "environmentSuffix", f"'dev-' is not allowed; {SUFFIX_RULE}"),
    ({"account": "12345"}, "account", "'12345' is not allowed; an AWS account id is exactly 12 digits."),
    (
        {"region": "eu-middle-9"},
        "region",
        "'eu-middle-9' is not allowed; use an AWS commercial region such as eu-central-1.",
    ),
    (
        {"availabilityZones": "eu-central-1a,eu-central-1b"},
        "availabilityZones",
        f"'eu-central-1a,eu-central-1b' is not allowed; {THREE_AZS}",
    ),
    (
        {"availabilityZones": "eu-central-1a,eu-central-1b,eu-central-1c,eu-central-1d"},
        "availabilityZones",
        f"'eu-central-1a,eu-central-1b,eu-central-1c,eu-central-1d' is not allowed; {THREE_AZS}",
    ),
    (
        {"availabilityZones": "eu-central-1a,eu-central-1a,eu-central-1b"},
        "availabilityZones",
        f"'eu-central-1a,eu-central-1a,eu-central-1b' is not allowed; {THREE_AZS}",
    ),
    (
        {"availabilityZones": "eu-central-1a,eu-central-1b,eu-west-1c"},
        "availabilityZones",
        "'eu-west-1c' is not allowed; "
        "every Availability Zone must belong to region eu-central-1 (for example eu-central-1a).",
    ),
    (
        {"domainName": "not a domain"},
        "domainName",
        "'not a domain' is not allowed; the domain name must be a DNS name such as payments.example.com.",
    ),
    (
        {"domainName": "payments.other.org"},
        "domainName",
        "'payments.other.org' is not allowed; the domain must be inside the hosted zone example.com.",
    ),
    (
        {"hostedZoneName": "localhost"},
        "hostedZoneName",
        "'localhost' is not allowed; the hosted zone name must be a DNS name such as example.com.",
    ),
    (
        {"hostedZoneId": "zone-1"},
        "hostedZoneId",
        "'zone-1' is not allowed; a Route 53 hosted zone id is 'Z' followed by up to 31 upper-case letters or digits.",
    ),
    (
        {"certificateArn": "arn:aws:acm:eu-central-1:1:certificate/x"},
        "certificateArn",
        "'arn:aws:acm:eu-central-1:1:certificate/x' is not allowed; "
        "expected arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>.",
    ),
    (
        {"certificateArn": CERT_US},
        "certificateArn",
        f"'{CERT_US}' is not allowed; the ALB's certificate must be in the stack's region eu-central-1.",
    ),
    (
        {"instanceType": "huge"},
        "instanceType",
        "'huge' is not allowed; expected an EC2 instance type such as t3.small.",
    ),
    ({"minCapacity": "six"}, "minCapacity", f"'six' is not allowed; {WHOLE}"),
    ({"minCapacity": "4"}, "minCapacity", f"4 is not allowed; {MIN_RULE}"),
    ({"minCapacity": "7"}, "minCapacity", f"7 is not allowed; {MIN_RULE}"),
    (
        {"maxCapacity": "12"},
        "maxCapacity",
        "12 is not allowed; it may be at most 3 per Availability Zone (9) to stay balanced.",
    ),
    ({"maxCapacity": "9.5"}, "maxCapacity", f"'9.5' is not allowed; {WHOLE}"),
    ({"minCapacity": "9", "maxCapacity": "6"}, "maxCapacity", "6 is not allowed; it must be at least minCapacity (9)."),
    (
        {"healthCheckIntervalSeconds": "2"},
        "healthCheckIntervalSeconds",
        "2 is not allowed; an ALB target group accepts 5 to 300 seconds.",
    ),
    (
        {"healthCheckIntervalSeconds": "301"},
        "healthCheckIntervalSeconds",
        "301 is not allowed; an ALB target group accepts 5 to 300 seconds.",
    ),
    (
        {"alarmEmail": "oncall@"},
        "alarmEmail",
        "'oncall@' is not allowed; expected an e-mail address such as oncall@example.com.",
    ),
    ({"latencyP99ThresholdMs": "-5"}, "latencyP99ThresholdMs", "-5 is not allowed; use 1 to 60000 milliseconds."),
    ({"latencyP99ThresholdMs": "fast"}, "latencyP99ThresholdMs", f"'fast' is not allowed; {WHOLE}"),
    ({"errorRatePercent": "0"}, "errorRatePercent", "0 is not allowed; use 1 to 100 percent."),
    ({"errorRatePercent": "150"}, "errorRatePercent", "150 is not allowed; use 1 to 100 percent."),
    (
        {"dnsHealthCheckIntervalSeconds": "15"},
        "dnsHealthCheckIntervalSeconds",
        "15 is not allowed; Route 53 checks every 10 or 30 seconds.",
    ),
    ({"dnsFailureThreshold": "11"}, "dnsFailureThreshold", "11 is not allowed; use 1 to 10 consecutive failures."),
    (
        {"dnsHealthCheckRegions": "us-east-1,eu-west-1"},
        "dnsHealthCheckRegions",
        f"'us-east-1,eu-west-1' is not allowed; {DNS_REGIONS}",
    ),
    (
        {"dnsHealthCheckRegions": "us-east-1,eu-west-1,eu-central-1"},
        "dnsHealthCheckRegions",
        f"'us-east-1,eu-west-1,eu-central-1' is not allowed; {DNS_REGIONS}",
    ),
    (
        {"tags": "Environment=Production"},
        "tags",
        """'Environment=Production' is not allowed; expected a JSON object such as {"Team": "payments"}.""",
    ),
    (
        {"tags": '{"aws:reserved": "x"}'},
        "tags",
        "{'aws:reserved': 'x'} is not allowed; tag keys must be 1-128 and values 0-256 letters, digits, spaces or "
        "_.:/=+-@, keys may not start with 'aws:'.",
    ),
    ({"deploy": "maybe"}, "deploy", "'maybe' is not allowed; expected true or false."),
]


def _run_app(tmp_path: Path, context: dict[str, Any]) -> int:
    return app.main(context=context, outdir=str(tmp_path), environ={})


@pytest.mark.parametrize(
    ("context", "key", "sentence"),
    BAD_CONFIGURATIONS,
    ids=[",".join(f"{k}={v}" for k, v in row[0].items()) for row in BAD_CONFIGURATIONS],
)
def test_bad_configuration_is_one_exact_sentence_and_nothing_is_synthesized(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    context: dict[str, Any],
    key: str,
    sentence: str,
) -> None:
    assert _run_app(tmp_path, context) == 2
    captured = capsys.readouterr()
    assert captured.err == f"payment-failover: Invalid context key '{key}': {sentence}\n"
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []


def test_the_suite_covers_every_setting() -> None:
    covered = {key for _, key, _ in BAD_CONFIGURATIONS}
    assert len(BAD_CONFIGURATIONS) >= 20
    assert covered >= {
        "environmentSuffix", "account", "region", "availabilityZones", "domainName", "hostedZoneName",
        "hostedZoneId", "certificateArn", "instanceType", "minCapacity", "maxCapacity",
        "healthCheckIntervalSeconds", "alarmEmail", "latencyP99ThresholdMs", "errorRatePercent",
        "dnsHealthCheckIntervalSeconds", "dnsFailureThreshold", "dnsHealthCheckRegions", "tags", "deploy",
    }  # fmt: skip


def test_error_names_the_environment_variable_when_that_is_the_source() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({}, {"PAYMENT_FAILOVER_MIN_CAPACITY": "lots"})
    assert (
        str(error.value)
        == f"Invalid environment variable PAYMENT_FAILOVER_MIN_CAPACITY: 'lots' is not allowed; {WHOLE}"
    )


def test_a_good_configuration_through_the_same_door_synthesizes(tmp_path: Path) -> None:
    """The control case: the harness itself does not make every configuration fail."""
    assert _run_app(tmp_path, {"environmentSuffix": "ok"}) == 0
    assert sorted(p.name for p in tmp_path.glob("assembly-*")) == ["assembly-PaymentFailover-ok"]
