"""The delivery pipeline's settings (R14): where the source comes from and what each stage deploys.

A declarative schema like `Settings`, read the same way (context over ``PAYMENT_FAILOVER_<KEY>`` over default).
No pipeline key set means no pipeline. Each stage is an overlay: its object laid over the base context and
validated by the very `Settings` schema with `deploy=true`, so a stage value gets the validation of a hand deploy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from payment_failover.config import defaults, geography
from payment_failover.config.setting_types import Account, SettingError, Text, WholeSentenceError, json_value
from payment_failover.config.settings import KEYS, Settings, config_error, settings_from_sources
from payment_failover.config.sources import (
    CONFIGURATION_DOCS,
    ConfigError,
    Sources,
    closest_key,
    env_var,
    read_sources,
)

PACKAGE_JSON = Path(__file__).resolve().parents[2] / "package.json"
DEFAULT_BRANCH = "main"

_CONNECTION_ARN = re.compile(
    r"^arn:aws:(?:codeconnections|codestar-connections):(?P<region>[a-z0-9-]+):[0-9]{12}:"
    r"connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    re.ASCII,
)
# owner/name as GitHub, Bitbucket and GitLab (top-level groups) spell it; CDK splits on the one slash.
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/(?!\.{1,2}$)[A-Za-z0-9_.-]{1,100}$", re.ASCII)
# The parts of git's ref-name rules a typo is likely to break.
_BRANCH = re.compile(
    r"^(?![-/.])(?!.*(?:\.\.|//|@\{|/\.))(?!.*(?:\.lock|[/.])$)[^\s~^:?*\[\\\x00-\x1f\x7f]{1,255}$", re.ASCII
)
_EXACT_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$", re.ASCII)
_STAGE_EXAMPLE = 'expected a JSON object such as {"environmentSuffix": "staging"}'
# A stage's overlay may set any application key except `deploy`: a pipeline always deploys for real.
OVERRIDABLE = tuple(key for key in KEYS if key != "deploy")


def _connection_arn(arn: str) -> str:
    match = _CONNECTION_ARN.match(arn)
    if not match or match["region"] not in geography.commercial_regions():
        raise SettingError(
            arn,
            "expected arn:aws:codeconnections:<region>:<12-digit account>:connection/<uuid> "
            "(or the older codestar-connections form)",
        )
    return arn


def _repository(repository: str) -> str:
    if repository.endswith(".git"):
        raise SettingError(repository, f"give the repository without '.git', as {repository.removesuffix('.git')}")
    if not _REPOSITORY.match(repository):
        raise SettingError(repository, "expected the repository as owner/name, such as payments-corp/payment-failover")
    return repository


def _branch(branch: str) -> str:
    if branch.startswith("refs/"):
        raise SettingError(branch, f"give the branch name alone, as {branch.split('/', 2)[-1]}")
    if not _BRANCH.match(branch):
        raise SettingError(branch, "expected a git branch name such as main")
    return branch


def _region(region: str) -> str:
    if region not in geography.commercial_regions():
        raise SettingError(region, "use an AWS commercial region such as eu-central-1")
    return region


def _json_object(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json_value(value, _STAGE_EXAMPLE)
    if not isinstance(value, dict):
        raise SettingError(value, _STAGE_EXAMPLE)
    return value


def _stage_description(stage: str) -> str:
    return f'the {stage} settings as a JSON object such as {{"environmentSuffix": "{stage}"}}'


class PipelineSettings(BaseModel):
    """Everything the pipeline stack needs, already validated; the stages' settings are complete `Settings`."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    account: Account = Field(alias="pipelineAccount", description="the 12-digit tooling account")
    region: Annotated[Text, AfterValidator(_region)] = Field(
        defaults.REGION, alias="pipelineRegion", description="an AWS commercial region"
    )
    connection_arn: Annotated[Text, AfterValidator(_connection_arn)] = Field(
        alias="pipelineConnectionArn", description="the ARN of the CodeConnections connection to the repository"
    )
    repository: Annotated[Text, AfterValidator(_repository)] = Field(
        alias="pipelineRepository", description="the repository as owner/name (without .git)"
    )
    branch: Annotated[Text, AfterValidator(_branch)] = Field(
        DEFAULT_BRANCH, alias="pipelineBranch", description="a git branch name (without refs/heads/)"
    )
    staging: Settings = Field(
        alias="stagingSettings",
        description='the staging settings as a JSON object such as {"environmentSuffix": "staging"}',
    )
    production: Settings = Field(
        alias="productionSettings",
        description='the production settings as a JSON object such as {"environmentSuffix": "production"}',
    )
    cli_version: str = Field(exclude=True, description="the aws-cdk pin of package.json (not a setting)")
    assets_cli_version: str | None = Field(None, exclude=True, description="the cdk-assets pin of package.json")

    @field_validator("staging", "production", mode="before")
    @classmethod
    def _overlay(cls, value: Any, info: ValidationInfo) -> Settings:
        """The stage's object laid over the base context, validated by the `Settings` schema with deploy=true."""
        base: Sources = (info.context or {})["base"]
        key = "stagingSettings" if info.field_name == "staging" else "productionSettings"
        overlay = _json_object(value)
        for name in overlay:
            if name == "deploy":
                raise SettingError(overlay, "deploy cannot be set per stage, because every pipeline stage deploys")
            if name not in OVERRIDABLE:
                closest = closest_key(name, OVERRIDABLE)
                hint = f"did you mean '{closest}'?" if closest else f"{CONFIGURATION_DOCS} lists the keys"
                raise SettingError(overlay, f"{name} cannot be set per stage; {hint}")
        stage = Sources(
            {**base.values, **overlay, "deploy": True}, {**base.origins, **{n: f"context key '{n}'" for n in overlay}}
        )
        try:
            return settings_from_sources(stage)
        except ConfigError as error:
            message = str(error)
            raise WholeSentenceError(f"In {base.origin(key)}, {message[:1].lower()}{message[1:]}") from None

    @field_validator("production")
    @classmethod
    def _distinct_from_staging(cls, production: Settings, info: ValidationInfo) -> Settings:
        """Two stages sharing a suffix or a domain would overwrite each other's stacks, names or DNS record."""
        staging = info.data.get("staging")
        if staging and staging.environment_suffix == production.environment_suffix:
            raise SettingError(
                production.environment_suffix,
                "staging already uses this environmentSuffix, and each stage needs its own so that "
                "stack and resource names cannot collide",
            )
        if staging and staging.domain_name == production.domain_name:
            raise SettingError(
                production.domain_name,
                "staging already serves this domainName, and the post-deployment health check could not "
                "tell the two stages apart",
            )
        return production


PIPELINE_KEYS = tuple(field.alias for field in PipelineSettings.model_fields.values() if field.alias)


def pipeline_context_keys() -> tuple[str, ...]:
    """The CDK context keys that request and configure the pipeline."""
    return PIPELINE_KEYS


def load_pipeline_settings(
    context: Mapping[str, Any], environ: Mapping[str, str], *, package_json: Path = PACKAGE_JSON
) -> PipelineSettings | None:
    """Build and validate the pipeline settings, or None when no pipeline key is set at all."""
    sources = read_sources(context, environ, (*KEYS, *PIPELINE_KEYS))
    given = [key for key in PIPELINE_KEYS if _is_set(sources.values.get(key))]
    if not given:
        return None
    for key in PIPELINE_KEYS:
        field = next(f for f in PipelineSettings.model_fields.values() if f.alias == key)
        if field.is_required() and not _is_set(sources.values.get(key)):
            raise ConfigError(
                f"A pipeline was requested (by {', '.join(given)}) but {key} is not set; set context key '{key}' "
                f"or environment variable {env_var(key)} to {field.description}."
            )
    pins = pinned_cli_versions(package_json)
    values = {key: value for key, value in sources.values.items() if key in PIPELINE_KEYS and _is_set(value)}
    base = Sources({k: v for k, v in sources.values.items() if k in KEYS}, sources.origins)
    try:
        return PipelineSettings.model_validate(
            {**values, "cli_version": pins[0], "assets_cli_version": pins[1]}, context={"base": base}
        )
    except ValidationError as error:
        raise config_error(error, sources) from None


def pinned_cli_versions(package_json: Path = PACKAGE_JSON) -> tuple[str, str | None]:
    """The exact `aws-cdk` (self-mutation, required) and `cdk-assets` (asset publishing) versions package.json pins."""
    try:
        pins = json.loads(package_json.read_text(encoding="utf-8"))["devDependencies"]
        cli = pins["aws-cdk"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(
            f"Cannot read the CDK CLI pin: {package_json} has no devDependencies entry 'aws-cdk'."
        ) from None
    assets = pins.get("cdk-assets")
    return _exact_pin("aws-cdk", cli), None if assets is None else _exact_pin("cdk-assets", assets)


def _exact_pin(package: str, version: Any) -> str:
    if not isinstance(version, str) or not _EXACT_VERSION.match(version):
        raise ConfigError(
            f"Invalid package.json devDependencies entry '{package}': {version!r} is not allowed; "
            "the pipeline installs exactly the pinned version, so give one such as 2.1148.1."
        )
    return version


def _is_set(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def deployable(settings: Settings, pipeline: PipelineSettings | None) -> bool:
    """A synth whose templates go to CloudFormation next: deploy=true, or the pipeline that deploys its stages.

    Such a synth runs CloudFormation's template validation (payment_failover/application.py).
    """
    return settings.deploy or pipeline is not None
