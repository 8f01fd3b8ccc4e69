"""Every setting at the edges of its documented range (issue 22): the minimum and the maximum are accepted and
synthesize, one past either end is refused with one sentence naming the key.

The validation-only checks call `load_settings` (no construct is built); the two edge configurations (everything
at its minimum, everything at its maximum) are synthesized once each through `stage_for`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from payment_failover.config import setting_types
from payment_failover.config.settings import load_settings
from payment_failover.config.sources import ConfigError
from tests.helpers.synth import SynthesizedStage, stage_for

ZONE = "payments-corp.net"
CERTIFICATE = "arn:aws:acm:eu-central-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CHECKERS = "ap-northeast-1,ap-southeast-1,ap-southeast-2,eu-west-1,sa-east-1,us-east-1,us-west-1,us-west-2"


def _domain(length: int) -> str:
    """A name inside ZONE of exactly `length` characters."""
    first = length - len(ZONE) - 1
    return "p" * first + "." + ZONE


def _email(length: int, local: int = 64) -> str:
    """An address of exactly `length` characters: a `local`-character local part at a long name."""
    domain_length = length - local - 1
    labels, rest = [], domain_length - len(".net")
    while rest > 0:
        size = min(63, rest)
        if rest - size == 1:  # never leave a lone dot
            size -= 2
        labels.append("m" * size)
        rest -= size + 1
    return "o" * local + "@" + ".".join(labels) + ".net"


def _tags(count: int, *, key_length: int = 10, value_length: int = 10) -> str:
    return json.dumps({f"{i:03d}".ljust(key_length, "k"): "v" * value_length for i in range(count)})


MAX_OWN_TAGS = setting_types.MAX_TAGS - 2  # the two default tags count too

# (key, value at the documented minimum or maximum) — each accepted.
EDGES: list[tuple[str, Any]] = [
    ("environmentSuffix", "a"),
    ("environmentSuffix", "a" * 16),
    ("minCapacity", "6"),
    ("minCapacity", "9"),
    ("maxCapacity", "7"),
    ("maxCapacity", "9"),
    ("healthCheckIntervalSeconds", "5"),
    # 300 is the ALB's own limit; a zonal release must fit in CloudFormation's hour, which with the other defaults
    # allows 74 (config/release_timing.py).
    ("healthCheckIntervalSeconds", "74"),
    ("drainSeconds", "1"),
    ("drainSeconds", "74"),
    ("firstZoneBakeSeconds", "0"),
    ("firstZoneBakeSeconds", "1395"),
    ("zoneBakeSeconds", "0"),
    ("zoneBakeSeconds", "697"),
    ("latencyP99ThresholdMs", "1"),
    ("latencyP99ThresholdMs", "60000"),
    ("errorRatePercent", "1"),
    ("errorRatePercent", "100"),
    ("dnsHealthCheckIntervalSeconds", "10"),
    ("dnsHealthCheckIntervalSeconds", "30"),
    ("dnsFailureThreshold", "1"),
    ("dnsFailureThreshold", "10"),
    ("dnsHealthCheckRegions", "eu-west-1,us-east-1,ap-southeast-1"),
    ("dnsHealthCheckRegions", CHECKERS),
    ("wafRateLimit", "10"),
    ("wafRateLimit", "2000000000"),
    ("hostedZoneId", "Z1"),
    ("hostedZoneId", "Z" + "A" * 31),
    ("tags", _tags(MAX_OWN_TAGS)),
    ("tags", json.dumps({"k" * 128: "v" * 256})),
    ("tags", '{"T": "v"}'),
    ("alarmEmail", "a@b.io"),
    ("alarmEmail", _email(254)),
]
# (context, the start of the one sentence) — one past an end.
PAST_EDGES: list[tuple[dict[str, Any], str]] = [
    ({"environmentSuffix": "a" * 17}, "Invalid context key 'environmentSuffix'"),
    ({"minCapacity": "3"}, "Invalid context key 'minCapacity'"),
    ({"minCapacity": "12"}, "Invalid context key 'minCapacity'"),
    ({"maxCapacity": "6"}, "Invalid context key 'maxCapacity'"),
    ({"maxCapacity": "10"}, "Invalid context key 'maxCapacity'"),
    ({"minCapacity": "9", "maxCapacity": "13"}, "Invalid context key 'maxCapacity'"),
    ({"healthCheckIntervalSeconds": "4"}, "Invalid context key 'healthCheckIntervalSeconds'"),
    ({"healthCheckIntervalSeconds": "301"}, "Invalid context key 'healthCheckIntervalSeconds'"),
    ({"healthCheckIntervalSeconds": "75"}, "Invalid context key 'healthCheckIntervalSeconds'"),
    ({"drainSeconds": "75"}, "Invalid context key 'drainSeconds'"),
    ({"firstZoneBakeSeconds": "1396"}, "Invalid context key 'firstZoneBakeSeconds'"),
    ({"zoneBakeSeconds": "698"}, "Invalid context key 'zoneBakeSeconds'"),
    ({"latencyP99ThresholdMs": "0"}, "Invalid context key 'latencyP99ThresholdMs'"),
    ({"latencyP99ThresholdMs": "60001"}, "Invalid context key 'latencyP99ThresholdMs'"),
    ({"errorRatePercent": "0"}, "Invalid context key 'errorRatePercent'"),
    ({"errorRatePercent": "101"}, "Invalid context key 'errorRatePercent'"),
    ({"dnsHealthCheckIntervalSeconds": "9"}, "Invalid context key 'dnsHealthCheckIntervalSeconds'"),
    ({"dnsHealthCheckIntervalSeconds": "31"}, "Invalid context key 'dnsHealthCheckIntervalSeconds'"),
    ({"dnsFailureThreshold": "0"}, "Invalid context key 'dnsFailureThreshold'"),
    ({"dnsFailureThreshold": "11"}, "Invalid context key 'dnsFailureThreshold'"),
    ({"dnsHealthCheckRegions": "eu-west-1,us-east-1"}, "Invalid context key 'dnsHealthCheckRegions'"),
    ({"dnsHealthCheckRegions": CHECKERS + ",eu-west-1"}, "Invalid context key 'dnsHealthCheckRegions'"),
    ({"wafRateLimit": "9"}, "Invalid context key 'wafRateLimit'"),
    ({"wafRateLimit": "2000000001"}, "Invalid context key 'wafRateLimit'"),
    ({"hostedZoneId": "Z"}, "Invalid context key 'hostedZoneId'"),
    ({"hostedZoneId": "Z" + "A" * 32}, "Invalid context key 'hostedZoneId'"),
    ({"tags": _tags(MAX_OWN_TAGS + 1)}, "Invalid context key 'tags'"),
    ({"tags": json.dumps({"k" * 129: "v"})}, "Invalid context key 'tags'"),
    ({"tags": json.dumps({"k": "v" * 257})}, "Invalid context key 'tags'"),
    ({"tags": '{"": "v"}'}, "Invalid context key 'tags'"),
    ({"alarmEmail": _email(255)}, "Invalid context key 'alarmEmail'"),
    ({"alarmEmail": _email(200, local=65)}, "Invalid context key 'alarmEmail'"),
    ({"hostedZoneName": ZONE, "domainName": _domain(65)}, "Invalid context key 'domainName'"),
    # With an imported certificate the 64-character first name no longer applies; a DNS label's 63 still does.
    ({"hostedZoneName": ZONE, "domainName": "q" * 63 + "." + ZONE, "certificateArn": CERTIFICATE}, None),
    (
        {"hostedZoneName": ZONE, "domainName": "q" * 64 + "." + ZONE, "certificateArn": CERTIFICATE},
        "Invalid context key 'domainName'",
    ),
]


@pytest.mark.parametrize(("key", "value"), EDGES, ids=[f"{key}-{len(str(value))}" for key, value in EDGES])
def test_every_documented_edge_is_accepted(key: str, value: Any) -> None:
    load_settings({key: value}, {})


@pytest.mark.parametrize(
    ("context", "start"), PAST_EDGES, ids=[",".join(f"{k}-{len(str(v))}" for k, v in c.items()) for c, _ in PAST_EDGES]
)
def test_one_past_an_edge_is_one_sentence(context: dict[str, Any], start: str | None) -> None:
    if start is None:  # the control: a 63-character label is fine
        load_settings(context, {})
        return
    with pytest.raises(ConfigError) as refused:
        load_settings(context, {})
    message = str(refused.value)
    assert message.startswith(start)
    assert "\n" not in message
    assert len(message) < 600
    assert message.endswith((".", "?"))


MINIMUM = {
    "environmentSuffix": "a",
    "maxCapacity": "7",
    "healthCheckIntervalSeconds": "5",
    "latencyP99ThresholdMs": "1",
    "errorRatePercent": "1",
    "dnsFailureThreshold": "1",
    "wafRateLimit": "10",
    "hostedZoneId": "Z1",
}
MAXIMUM = {
    "environmentSuffix": "abcdefghijklmnop",
    "hostedZoneName": ZONE,
    "domainName": _domain(64),
    "minCapacity": "9",
    "maxCapacity": "12",
    # The longest interval with which a release of 12 instances still fits in CloudFormation's hour.
    "healthCheckIntervalSeconds": "42",
    "latencyP99ThresholdMs": "60000",
    "errorRatePercent": "100",
    "dnsHealthCheckIntervalSeconds": "30",
    "dnsFailureThreshold": "10",
    "dnsHealthCheckRegions": CHECKERS,
    "wafRateLimit": "2000000000",
    "hostedZoneId": "Z" + "A" * 31,
    "tags": json.dumps({**json.loads(_tags(MAX_OWN_TAGS - 1)), "k" * 128: "v" * 256}),
    "alarmEmail": _email(254),
}


@pytest.mark.parametrize("edge", [MINIMUM, MAXIMUM], ids=["minimum", "maximum"])
def test_every_setting_at_its_edge_synthesizes(edge: dict[str, str]) -> None:
    """One configuration with everything at its minimum, one with everything at its maximum: both build."""
    stage = stage_for(edge)
    assert stage.service.to_json()["Resources"]


def test_the_tags_the_cdk_adds_are_what_the_tag_limit_reserves(
    default_stage: SynthesizedStage, standby_stage: SynthesizedStage
) -> None:
    """The schema reserves APP_TAGS_PER_RESOURCE of a resource's 50 tags for the CDK's own (a subnet's Name and
    aws-cdk:subnet-*): it is the most any resource of the shipped templates carries besides the settings' tags."""
    user = set(dict(default_stage.settings.tags))
    most = 0
    for stage in (default_stage, standby_stage):
        for template in stage.templates.values():
            for resource in template.to_json()["Resources"].values():
                tags = resource.get("Properties", {}).get("Tags")
                keys = [t["Key"] for t in tags] if isinstance(tags, list) else list(tags or {})
                most = max(most, len([k for k in keys if k not in user and not k.startswith("aws:")]))
    assert most == setting_types.APP_TAGS_PER_RESOURCE
