"""R13: one validated, frozen settings object from context and environment, deterministic defaults."""

from __future__ import annotations

import dataclasses

import pytest

from payment_failover.settings import ConfigError, Settings, context_keys, env_var, load_settings


def test_defaults_are_deterministic_and_span_three_azs_in_frankfurt() -> None:
    settings = load_settings({}, {})
    assert settings == Settings()
    assert settings.environment_suffix == "dev"
    assert settings.region == "eu-central-1"
    assert settings.availability_zones == ("eu-central-1a", "eu-central-1b", "eu-central-1c")
    assert settings.instance_type == "t3.small"
    assert (settings.min_capacity, settings.max_capacity) == (6, 9)
    assert settings.health_check_interval_seconds == 30
    assert settings.tag_map == {"Environment": "Production", "FailoverEnabled": "true"}
    assert settings.certificate_arn is None
    assert settings.alarm_email is None


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_settings({}, {}).min_capacity = 3  # type: ignore[misc]


def test_context_overrides_every_default() -> None:
    settings = load_settings(
        {
            "environmentSuffix": "stg",
            "account": "111122223333",
            "region": "eu-west-1",
            "availabilityZones": "eu-west-1a, eu-west-1b, eu-west-1c",
            "domainName": "Pay.Corp.Example.ORG",
            "hostedZoneName": "corp.example.org",
            "hostedZoneId": "Z123ABC",
            "certificateArn": "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012",
            "instanceType": "c7i.large",
            "minCapacity": 6,
            "maxCapacity": "6",
            "healthCheckIntervalSeconds": "10",
            "alarmEmail": "oncall@corp.example.org",
            "tags": {"Environment": "Staging"},
            "deploy": "false",
        },
        {},
    )
    assert settings.environment_suffix == "stg"
    assert settings.availability_zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    assert settings.domain_name == "pay.corp.example.org"
    assert (settings.min_capacity, settings.max_capacity) == (6, 6)
    assert settings.health_check_interval_seconds == 10
    assert settings.tag_map == {"Environment": "Staging"}
    assert settings.alarm_email == "oncall@corp.example.org"


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


def test_every_key_has_an_environment_variable() -> None:
    assert env_var("minCapacity") == "PAYMENT_FAILOVER_MIN_CAPACITY"
    assert env_var("healthCheckIntervalSeconds") == "PAYMENT_FAILOVER_HEALTH_CHECK_INTERVAL_SECONDS"
    assert context_keys()[:3] == ("environmentSuffix", "account", "region")
    assert {"healthCheckIntervalSeconds", "latencyP99ThresholdMs", "dnsHealthCheckRegions"} <= set(context_keys())
    assert len(context_keys()) == len(dataclasses.fields(Settings))


def test_unrelated_environment_is_ignored() -> None:
    """Tests and synth never pick up ambient AWS settings (seed failure 8)."""
    assert load_settings({}, {"AWS_REGION": "us-west-2", "CDK_DEFAULT_ACCOUNT": "999999999999"}) == Settings()


def test_empty_optional_values_mean_unset() -> None:
    settings = load_settings({"alarmEmail": "", "certificateArn": " "}, {})
    assert settings.alarm_email is None
    assert settings.certificate_arn is None


def test_deploy_refuses_the_example_values() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"deploy": "true"}, {})
    assert str(error.value) == (
        "Refusing to deploy with the embedded example values of account, hostedZoneId, domainName: "
        "set them to your real account, hosted zone and domain (see README, 'Deploy for real')."
    )


def test_deploy_accepts_real_values() -> None:
    settings = load_settings(
        {
            "deploy": True,
            "account": "111122223333",
            "hostedZoneId": "Z0REALZONE",
            "hostedZoneName": "corp.example.org",
            "domainName": "pay.corp.example.org",
        },
        {},
    )
    assert settings.deploy is True
    assert settings.uses_example_values == []
