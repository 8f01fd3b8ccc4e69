"""R14 with R13: the pipeline's settings are validated like every other setting, before any construct exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
import pytest

from payment_failover.config.settings import ConfigError, context_keys, env_var, load_settings
from payment_failover.pipeline.settings import PIPELINE_KEYS, load_pipeline_settings, pipeline_context_keys
from tests.helpers.pipeline_context import (
    BRANCH,
    CONNECTION_ARN,
    PIPELINE_CONTEXT,
    PRODUCTION,
    REPOSITORY,
    STAGING,
    as_cli_context,
    pipeline_settings,
)

ROOT = Path(__file__).resolve().parents[3]


def _without(*keys: str) -> dict[str, Any]:
    return {key: value for key, value in PIPELINE_CONTEXT.items() if key not in keys}


def _error(context: dict[str, Any], environ: dict[str, str] | None = None, **kwargs: Any) -> str:
    with pytest.raises(ConfigError) as error:
        load_pipeline_settings(context, environ or {}, **kwargs)
    return str(error.value)


def test_r14_no_pipeline_key_means_no_pipeline() -> None:
    """Without pipeline settings the app synthesizes exactly as before: nothing to build, nothing read."""
    assert load_pipeline_settings({}, {}) is None
    assert load_pipeline_settings({"account": "111122223333", "domainName": "pay.example.com"}, {}) is None
    assert load_pipeline_settings({key: "" for key in PIPELINE_KEYS}, {}) is None


def test_r14_pipeline_keys_are_their_own_and_follow_the_environment_variable_rule() -> None:
    assert set(pipeline_context_keys()).isdisjoint(context_keys())
    assert [env_var(key) for key in pipeline_context_keys()] == [
        "PAYMENT_FAILOVER_PIPELINE_ACCOUNT",
        "PAYMENT_FAILOVER_PIPELINE_REGION",
        "PAYMENT_FAILOVER_PIPELINE_CONNECTION_ARN",
        "PAYMENT_FAILOVER_PIPELINE_REPOSITORY",
        "PAYMENT_FAILOVER_PIPELINE_BRANCH",
        "PAYMENT_FAILOVER_STAGING_SETTINGS",
        "PAYMENT_FAILOVER_PRODUCTION_SETTINGS",
    ]


def test_r14_settings_from_context_with_defaults_for_region_and_branch() -> None:
    settings = pipeline_settings(_without("pipelineBranch"))
    assert (settings.account, settings.region) == ("333333333333", "eu-central-1")
    assert (settings.connection_arn, settings.repository, settings.branch) == (CONNECTION_ARN, REPOSITORY, "main")
    assert pipeline_settings().branch == BRANCH


def test_r14_settings_are_frozen() -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        pipeline_settings().branch = "other"  # type: ignore[misc]


def test_r14_each_stage_is_its_overrides_merged_over_the_base_context() -> None:
    """The same validation as a hand deploy: the stage is exactly what load_settings makes of the merge."""
    settings = pipeline_settings()
    base = {key: value for key, value in PIPELINE_CONTEXT.items() if key not in PIPELINE_KEYS}
    assert settings.staging == load_settings({**base, **STAGING, "deploy": True}, {})
    assert settings.production == load_settings({**base, **PRODUCTION, "deploy": True}, {})
    assert settings.staging.hosted_zone_name == settings.production.hosted_zone_name == "payments-corp.net"
    assert (settings.staging.instance_type, settings.production.instance_type) == ("t3.small", "m7i.large")
    assert settings.staging.deploy
    assert settings.production.deploy


def test_r14_cli_context_strings_and_environment_variables_work_like_cdk_json() -> None:
    from_cli = load_pipeline_settings(as_cli_context(PIPELINE_CONTEXT), {})
    environ = {
        "PAYMENT_FAILOVER_PIPELINE_ACCOUNT": "333333333333",
        "PAYMENT_FAILOVER_PIPELINE_CONNECTION_ARN": CONNECTION_ARN,
        "PAYMENT_FAILOVER_PIPELINE_REPOSITORY": REPOSITORY,
        "PAYMENT_FAILOVER_PIPELINE_BRANCH": BRANCH,
        "PAYMENT_FAILOVER_STAGING_SETTINGS": json.dumps(STAGING),
        "PAYMENT_FAILOVER_PRODUCTION_SETTINGS": json.dumps(PRODUCTION),
        "PAYMENT_FAILOVER_HOSTED_ZONE_NAME": "payments-corp.net",
        "PAYMENT_FAILOVER_HOSTED_ZONE_ID": "Z0123456789ABCDEFGHIJ",
        "PAYMENT_FAILOVER_ALARM_EMAIL": "oncall@payments-corp.net",
    }
    from_environment = load_pipeline_settings({}, environ)
    assert from_cli == from_environment == pipeline_settings()


def test_r14_cli_version_is_the_one_package_json_pins() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    settings = pipeline_settings()
    assert settings.cli_version == pinned["aws-cdk"]
    assert settings.assets_cli_version == pinned.get("cdk-assets")


def test_r14_a_pinned_cdk_assets_is_used_for_asset_publishing(tmp_path: Path) -> None:
    package_json = tmp_path / "package.json"
    package_json.write_text(json.dumps({"devDependencies": {"aws-cdk": "2.1148.1", "cdk-assets": "4.2.1"}}))
    settings = load_pipeline_settings(PIPELINE_CONTEXT, {}, package_json=package_json)
    assert settings is not None
    assert (settings.cli_version, settings.assets_cli_version) == ("2.1148.1", "4.2.1")


# --- Bad input: one sentence each, naming the key, the value and what is allowed ----------------------------


def test_r14_pipeline_requested_without_a_connection_arn() -> None:
    assert _error(_without("pipelineConnectionArn")) == (
        "A pipeline was requested (by pipelineAccount, pipelineRepository, pipelineBranch, stagingSettings, "
        "productionSettings) but pipelineConnectionArn is not set; set context key 'pipelineConnectionArn' or "
        "environment variable PAYMENT_FAILOVER_PIPELINE_CONNECTION_ARN to the ARN of the CodeConnections "
        "connection to the repository."
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:codeconnections:eu-central-1:333333333333:connection/not-a-uuid",
        "arn:aws:codecommit:eu-central-1:333333333333:payment-failover",
        "arn:aws:codestar-connections:eu-middle-9:333333333333:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "arn:aws:codeconnections:eu-central-1:3333:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "https://github.com/payments-corp/payment-failover",
    ],
)
def test_r14_malformed_connection_arn(arn: str) -> None:
    assert _error({**PIPELINE_CONTEXT, "pipelineConnectionArn": arn}) == (
        f"Invalid context key 'pipelineConnectionArn': {arn!r} is not allowed; expected arn:aws:codeconnections:"
        "<region>:<12-digit account>:connection/<uuid> (or the older codestar-connections form)."
    )


def test_r14_the_older_codestar_connections_arn_is_accepted() -> None:
    arn = CONNECTION_ARN.replace("codeconnections", "codestar-connections")
    assert pipeline_settings({**PIPELINE_CONTEXT, "pipelineConnectionArn": arn}).connection_arn == arn


@pytest.mark.parametrize(
    "repository",
    [
        "payment-failover",
        "https://github.com/payments-corp/payment-failover",
        "payments-corp/group/payment-failover",
        "payments corp/payment-failover",
        "payments-corp/..",
        "/payment-failover",
    ],
)
def test_r14_malformed_repository(repository: str) -> None:
    assert _error({**PIPELINE_CONTEXT, "pipelineRepository": repository}) == (
        f"Invalid context key 'pipelineRepository': {repository!r} is not allowed; expected the repository as "
        "owner/name, such as payments-corp/payment-failover."
    )


def test_r14_staging_and_production_with_the_same_suffix() -> None:
    production = {**PRODUCTION, "environmentSuffix": "staging"}
    assert _error({**PIPELINE_CONTEXT, "productionSettings": production}) == (
        "Invalid context key 'productionSettings': 'staging' is not allowed; staging already uses this "
        "environmentSuffix, and each stage needs its own so that stack and resource names cannot collide."
    )


def test_r14_staging_and_production_with_the_same_domain() -> None:
    production = {**PRODUCTION, "domainName": STAGING["domainName"]}
    assert _error({**PIPELINE_CONTEXT, "productionSettings": production}) == (
        "Invalid context key 'productionSettings': 'pay.staging.payments-corp.net' is not allowed; staging already "
        "serves this domainName, and the post-deployment health check could not tell the two stages apart."
    )


def test_r14_a_bad_stage_value_gets_the_application_validation_and_names_the_stage() -> None:
    staging = {**STAGING, "maxCapacity": 12}
    assert _error({**PIPELINE_CONTEXT, "stagingSettings": staging}) == (
        "In context key 'stagingSettings', invalid context key 'maxCapacity': 12 is not allowed; "
        "it may be at most 3 per Availability Zone (9) to stay balanced."
    )


def test_r14_a_stage_refuses_the_embedded_example_values_because_a_pipeline_deploys() -> None:
    context = _without("hostedZoneId", "hostedZoneName")
    message = _error({**context, "stagingSettings": {**STAGING, "domainName": "pay.example.com"}})
    assert message.startswith("In context key 'stagingSettings', refusing to deploy with example values (")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "pipelineAccount",
            "3333",
            "Invalid context key 'pipelineAccount': '3333' is not allowed; "
            "an AWS account id is exactly 12 ASCII digits (0-9).",
        ),
        (
            "pipelineRegion",
            "eu-middle-9",
            "Invalid context key 'pipelineRegion': 'eu-middle-9' is not allowed; "
            "use an AWS commercial region such as eu-central-1.",
        ),
        (
            "pipelineBranch",
            "feature..x",
            "Invalid context key 'pipelineBranch': 'feature..x' is not allowed; "
            "expected a git branch name such as main.",
        ),
        (
            "productionSettings",
            '["prod"]',
            "Invalid context key 'productionSettings': ['prod'] is not allowed; "
            'expected a JSON object such as {"environmentSuffix": "staging"}.',
        ),
        (
            "stagingSettings",
            "environmentSuffix=staging",
            "Invalid context key 'stagingSettings': 'environmentSuffix=staging' is not allowed; "
            'expected a JSON object such as {"environmentSuffix": "staging"}.',
        ),
    ],
)
def test_r14_other_bad_pipeline_values(key: str, value: str, message: str) -> None:
    assert _error({**PIPELINE_CONTEXT, key: value}) == message


def test_r14_a_stage_may_not_set_unknown_keys_or_deploy() -> None:
    message = _error({**PIPELINE_CONTEXT, "stagingSettings": {**STAGING, "deploy": False}})
    assert message.startswith("Invalid context key 'stagingSettings': ")
    assert message.endswith("is not allowed; deploy cannot be set per stage, because every pipeline stage deploys.")
    message = _error({**PIPELINE_CONTEXT, "stagingSettings": {**STAGING, "domainname": "x"}})
    assert message.endswith("is not allowed; domainname cannot be set per stage; did you mean 'domainName'?")


def test_r14_missing_stage_settings_are_named() -> None:
    assert "but productionSettings is not set; " in _error(_without("productionSettings"))


def test_r14_the_environment_variable_is_named_when_that_is_the_source() -> None:
    message = _error(_without("pipelineRepository"), {"PAYMENT_FAILOVER_PIPELINE_REPOSITORY": "no-owner"})
    assert message.startswith("Invalid environment variable PAYMENT_FAILOVER_PIPELINE_REPOSITORY: 'no-owner'")


@pytest.mark.parametrize("pin", ["^2.1148.1", "latest", "2"])
def test_r14_the_cli_pin_must_be_exact(tmp_path: Path, pin: str) -> None:
    package_json = tmp_path / "package.json"
    package_json.write_text(json.dumps({"devDependencies": {"aws-cdk": pin}}))
    assert _error(PIPELINE_CONTEXT, package_json=package_json) == (
        f"Invalid package.json devDependencies entry 'aws-cdk': {pin!r} is not allowed; "
        "the pipeline installs exactly the pinned version, so give one such as 2.1148.1."
    )


def test_r14_a_missing_cli_pin_is_one_sentence(tmp_path: Path) -> None:
    package_json = tmp_path / "package.json"
    package_json.write_text("{}")
    assert _error(PIPELINE_CONTEXT, package_json=package_json) == (
        f"Cannot read the CDK CLI pin: {package_json} has no devDependencies entry 'aws-cdk'."
    )
