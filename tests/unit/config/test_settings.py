"""R13: one validated, frozen settings object from context and environment, deterministic defaults."""

from __future__ import annotations

import pydantic
import pytest

from payment_failover.config import geography
from payment_failover.config.instance_types import Architecture, architecture
from payment_failover.config.settings import Settings, context_keys, env_var, load_settings
from payment_failover.config.sources import closest_key, is_cdk_key


def test_defaults_are_deterministic_and_span_three_azs_in_frankfurt() -> None:
    settings = load_settings({}, {})
    assert settings == Settings()
    assert settings.environment_suffix == "dev"
    assert settings.region == "eu-central-1"
    assert settings.availability_zones == ("eu-central-1a", "eu-central-1b", "eu-central-1c")
    assert settings.instance_type == "t3.small"
    assert settings.architecture is Architecture.X86_64
    assert (settings.min_capacity, settings.max_capacity) == (6, 9)
    assert settings.health_check_interval_seconds == 30
    assert settings.tag_map == {"Environment": "Production", "FailoverEnabled": "true"}
    assert settings.certificate_arn is None
    assert settings.alarm_email is None


def test_settings_are_frozen() -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        load_settings({}, {}).min_capacity = 3  # type: ignore[misc]


def test_context_overrides_every_default() -> None:
    settings = load_settings(
        {
            "environmentSuffix": "stg",
            "account": "210987654321",
            "region": "eu-west-1",
            "availabilityZones": "eu-west-1a, eu-west-1b, eu-west-1c",
            "domainName": "Pay.Corp.Payments-Co.ORG",
            "hostedZoneName": "corp.payments-co.org",
            "hostedZoneId": "Z123ABC",
            "certificateArn": "arn:aws:acm:eu-west-1:210987654321:certificate/12345678-1234-1234-1234-123456789012",
            "instanceType": "c7i.large",
            "minCapacity": 6,
            "maxCapacity": "7",
            "healthCheckIntervalSeconds": "10",
            "alarmEmail": "oncall@corp.payments-co.org",
            "tags": {"Environment": "Staging"},
            "deploy": "false",
        },
        {},
    )
    assert settings.environment_suffix == "stg"
    assert settings.availability_zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    assert settings.domain_name == "pay.corp.payments-co.org"
    assert (settings.min_capacity, settings.max_capacity) == (6, 7)
    assert settings.health_check_interval_seconds == 10
    assert settings.alarm_email == "oncall@corp.payments-co.org"


def test_user_tags_merge_over_the_default_tags() -> None:
    """R12's two tags stay on every resource unless a user tag gives them another value."""
    settings = load_settings({"tags": '{"Environment": "Staging", "CostCenter": "payments-42"}'}, {})
    assert settings.tag_map == {"Environment": "Staging", "FailoverEnabled": "true", "CostCenter": "payments-42"}


def test_environment_variables_override_defaults() -> None:
    settings = load_settings(
        {},
        {
            "PAYMENT_FAILOVER_ENVIRONMENT_SUFFIX": "qa",
            "PAYMENT_FAILOVER_MAX_CAPACITY": "7",
            "PAYMENT_FAILOVER_AVAILABILITY_ZONES": "eu-central-1a,eu-central-1b,eu-central-1c",
        },
    )
    assert settings.environment_suffix == "qa"
    assert settings.max_capacity == 7


def test_context_wins_over_environment() -> None:
    settings = load_settings({"environmentSuffix": "ctx"}, {"PAYMENT_FAILOVER_ENVIRONMENT_SUFFIX": "env"})
    assert settings.environment_suffix == "ctx"


AZS = ("eu-central-1a", "eu-central-1b", "eu-central-1c")


@pytest.mark.parametrize(
    ("context", "environ"),
    [
        ({"availabilityZones": ",".join(AZS)}, {}),
        ({"availabilityZones": '["eu-central-1a", "eu-central-1b", "eu-central-1c"]'}, {}),
        ({"availabilityZones": list(AZS)}, {}),
        ({}, {"PAYMENT_FAILOVER_AVAILABILITY_ZONES": ",".join(AZS)}),
        ({}, {"PAYMENT_FAILOVER_AVAILABILITY_ZONES": '["eu-central-1a","eu-central-1b","eu-central-1c"]'}),
    ],
    ids=["c-comma", "c-json-array", "cdk-json-array", "env-comma", "env-json-array"],
)
def test_lists_are_accepted_in_one_form_everywhere(context: dict[str, object], environ: dict[str, str]) -> None:
    """A list reads the same from `-c` (a string), `cdk.json` (a JSON array) and the environment (a string)."""
    assert load_settings(context, environ).availability_zones == AZS


def test_every_key_has_an_environment_variable() -> None:
    assert env_var("minCapacity") == "PAYMENT_FAILOVER_MIN_CAPACITY"
    assert env_var("healthCheckIntervalSeconds") == "PAYMENT_FAILOVER_HEALTH_CHECK_INTERVAL_SECONDS"
    assert context_keys()[:3] == ("environmentSuffix", "account", "region")
    assert {"healthCheckIntervalSeconds", "latencyP99ThresholdMs", "dnsHealthCheckRegions"} <= set(context_keys())
    assert len(context_keys()) == len([f for f in Settings.model_fields.values() if not f.exclude])


def test_unrelated_environment_and_cdk_context_are_ignored() -> None:
    """Tests and synth never pick up ambient AWS settings (seed failure 8); CDK's own context keys pass."""
    cdk_context = {
        "@aws-cdk/core:newStyleStackSynthesis": True,
        "aws:cdk:enable-path-metadata": True,
        "availability-zones:account=123456789012:region=eu-central-1": ["eu-central-1a"],
        "acknowledged-issue-numbers": [32775],
    }
    assert load_settings(cdk_context, {"AWS_REGION": "us-west-2", "CDK_DEFAULT_ACCOUNT": "999999999999"}) == Settings()


def test_the_integration_tests_own_variables_are_not_settings() -> None:
    assert load_settings({}, {"PAYMENT_FAILOVER_IT_TARGET": "aws", "PAYMENT_FAILOVER_IT_SUFFIX": "prod"}) == Settings()


def test_empty_optional_values_mean_unset() -> None:
    settings = load_settings({"alarmEmail": "", "certificateArn": " "}, {})
    assert settings.alarm_email is None
    assert settings.certificate_arn is None


def test_deploy_accepts_real_values() -> None:
    settings = load_settings(
        {
            "deploy": True,
            "alarmEmail": "oncall@corp.payments-co.org",
            "account": "210987654321",
            "hostedZoneId": "Z0REALZONE",
            "hostedZoneName": "corp.payments-co.org",
            "domainName": "pay.corp.payments-co.org",
        },
        {},
    )
    assert settings.deploy is True
    assert settings.uses_example_values == []


@pytest.mark.parametrize(
    ("region", "azs"),
    [
        ("eu-central-1", ("eu-central-1a", "eu-central-1b", "eu-central-1c")),
        ("ap-northeast-1", ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")),
        ("ca-central-1", ("ca-central-1a", "ca-central-1b", "ca-central-1d")),
        ("us-east-1", ("us-east-1a", "us-east-1b", "us-east-1c")),
    ],
)
def test_default_azs_are_the_first_three_that_exist_in_the_region(region: str, azs: tuple[str, ...]) -> None:
    assert load_settings({"region": region}, {}).availability_zones == azs


def test_a_region_whose_letters_are_not_abc_accepts_its_real_azs() -> None:
    chosen = "ap-northeast-1a,ap-northeast-1c,ap-northeast-1d"
    settings = load_settings({"region": "ap-northeast-1", "availabilityZones": chosen}, {})
    assert settings.availability_zones == tuple(chosen.split(","))


def test_every_commercial_region_of_the_catalogue_is_in_the_az_table_or_refused_by_name() -> None:
    """The AZ table covers botocore's commercial regions; the ones it cannot cover are refused, never guessed."""
    unusable = {region for region in geography.commercial_regions() if len(geography.availability_zones(region)) < 3}
    assert unusable == {"us-west-1", "me-west-1", "sa-west-1"}
    assert "eu-central-1" in geography.commercial_regions()
    assert "cn-north-1" not in geography.commercial_regions()


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("t3.small", Architecture.X86_64),
        ("m7i-flex.large", Architecture.X86_64),
        ("g4dn.xlarge", Architecture.X86_64),
        ("u7i-12tb.224xlarge", Architecture.X86_64),
        ("m7g.large", Architecture.ARM64),
        ("t4g.small", Architecture.ARM64),
        ("c7gn.large", Architecture.ARM64),
        ("g5g.xlarge", Architecture.ARM64),
        ("im4gn.large", Architecture.ARM64),
        ("a1.medium", Architecture.ARM64),
    ],
)
def test_the_architecture_follows_the_processor_letter_of_the_type_name(
    instance_type: str, expected: Architecture
) -> None:
    assert architecture(instance_type) is expected
    assert load_settings({"instanceType": instance_type}, {}).architecture is expected


def test_cdk_keys_are_recognised_and_typos_find_their_key() -> None:
    assert is_cdk_key("@aws-cdk/aws-ec2:restrictDefaultSecurityGroup")
    assert is_cdk_key("aws:cdk:version-reporting")
    assert not is_cdk_key("minCapacty")
    assert closest_key("MIN_CAPACITY", context_keys()) == "minCapacity"
    assert closest_key("healthCheckInterval", context_keys()) == "healthCheckIntervalSeconds"
    assert closest_key("colour", context_keys()) is None
