"""The delivery pipeline's settings (R14): where the source comes from and what each stage deploys.

Read like every other setting (context over ``PAYMENT_FAILOVER_<KEY>`` over default) and validated
here, once. No pipeline key set means no pipeline: the app then synthesizes exactly as without this
module. Each stage's settings are overrides merged over the base context and passed through
``load_settings``, so a staging or production value gets the very same validation as a hand deploy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payment_failover import defaults, regions
from payment_failover.settings import (
    _ACCOUNT,
    ConfigError,
    Settings,
    _optional_text,
    _Reader,
    _text,
    context_keys,
    env_var,
    fail,
    load_settings,
)

PACKAGE_JSON = Path(__file__).resolve().parent.parent / "package.json"
DEFAULT_BRANCH = "main"

_CONNECTION_ARN = re.compile(
    r"^arn:aws:(?:codeconnections|codestar-connections):(?P<region>[a-z0-9-]+):\d{12}:"
    r"connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
# owner/name as GitHub, Bitbucket and GitLab (top-level groups) spell it; CDK splits on the one slash.
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/(?!\.{1,2}$)[A-Za-z0-9_.-]{1,100}$")
# The parts of git's ref-name rules a typo is likely to break.
_BRANCH = re.compile(r"^(?![-/.])(?!.*(?:\.\.|//|@\{|/\.))(?!.*(?:\.lock|[/.])$)[^\s~^:?*\[\\\x00-\x1f\x7f]{1,255}$")
_EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")

_STAGE_KEYS = {"stagingSettings": "staging", "productionSettings": "production"}
PIPELINE_KEYS = (
    "pipelineAccount",
    "pipelineRegion",
    "pipelineConnectionArn",
    "pipelineRepository",
    "pipelineBranch",
    *_STAGE_KEYS,
)
# A stage's overrides may set any application key except `deploy`: a pipeline always deploys for real.
_OVERRIDABLE = tuple(key for key in context_keys() if key != "deploy")


@dataclass(frozen=True)
class PipelineSettings:
    """Everything the pipeline stack needs, already validated; the stages' settings are complete `Settings`."""

    account: str
    connection_arn: str
    repository: str
    staging: Settings
    production: Settings
    cli_version: str
    region: str = defaults.REGION
    branch: str = DEFAULT_BRANCH
    assets_cli_version: str | None = None


def pipeline_context_keys() -> tuple[str, ...]:
    """The CDK context keys that request and configure the pipeline."""
    return PIPELINE_KEYS


def load_pipeline_settings(
    context: Mapping[str, Any], environ: Mapping[str, str], *, package_json: Path = PACKAGE_JSON
) -> PipelineSettings | None:
    """Build and validate the pipeline settings, or None when no pipeline key is set at all."""
    read = _Reader(context, environ)
    given = [key for key in PIPELINE_KEYS if _is_set(read.raw(key))]
    if not given:
        return None

    def required(name: str, what: str) -> Any:
        return _required(read, name, what, given)

    origin = read.origin
    account = _text(required("pipelineAccount", "the 12-digit tooling account"), origin("pipelineAccount"))
    if not _ACCOUNT.match(account):
        raise fail(origin("pipelineAccount"), account, "an AWS account id is exactly 12 digits")

    region = read.get("pipelineRegion", None, _optional_text) or defaults.REGION
    if region not in regions.COMMERCIAL_REGIONS:
        raise fail(origin("pipelineRegion"), region, "use an AWS commercial region such as eu-central-1")

    connection_arn = _text(
        required("pipelineConnectionArn", "the ARN of the CodeConnections connection to the repository"),
        origin("pipelineConnectionArn"),
    )
    match = _CONNECTION_ARN.match(connection_arn)
    if not match or match["region"] not in regions.COMMERCIAL_REGIONS:
        raise fail(
            origin("pipelineConnectionArn"),
            connection_arn,
            "expected arn:aws:codeconnections:<region>:<12-digit account>:connection/<uuid> "
            "(or the older codestar-connections form)",
        )

    repository = _text(required("pipelineRepository", "the repository as owner/name"), origin("pipelineRepository"))
    if not _REPOSITORY.match(repository):
        raise fail(
            origin("pipelineRepository"),
            repository,
            "expected the repository as owner/name, such as payments-corp/payment-failover",
        )

    branch = read.get("pipelineBranch", None, _optional_text) or DEFAULT_BRANCH
    if not _BRANCH.match(branch):
        raise fail(origin("pipelineBranch"), branch, "expected a git branch name such as main")

    base = {key: context.get(key) for key in context_keys()}

    def stage(name: str) -> Settings:
        overrides = _json_object(required(name, _stage_example(name)), origin(name))
        return _stage_settings(overrides, origin(name), base, environ)

    staging, production = stage("stagingSettings"), stage("productionSettings")
    _check_distinct(staging, production, origin("productionSettings"))
    pins = pinned_cli_versions(package_json)

    return PipelineSettings(
        account=account,
        region=region,
        connection_arn=connection_arn,
        repository=repository,
        branch=branch,
        staging=staging,
        production=production,
        cli_version=pins.aws_cdk,
        assets_cli_version=pins.cdk_assets,
    )


@dataclass(frozen=True)
class CliPins:
    aws_cdk: str
    cdk_assets: str | None


def pinned_cli_versions(package_json: Path = PACKAGE_JSON) -> CliPins:
    """The exact CLI versions package.json pins, for the pipeline's own steps to install and no other.

    `aws-cdk` (self-mutation) is required; `cdk-assets` (asset publishing) is used once it is pinned there.
    """
    try:
        pins = json.loads(package_json.read_text(encoding="utf-8"))["devDependencies"]
        cli = pins["aws-cdk"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(
            f"Cannot read the CDK CLI pin: {package_json} has no devDependencies entry 'aws-cdk'."
        ) from None
    assets = pins.get("cdk-assets")
    return CliPins(
        aws_cdk=_exact_pin("aws-cdk", cli), cdk_assets=None if assets is None else _exact_pin("cdk-assets", assets)
    )


def _exact_pin(package: str, version: Any) -> str:
    if not isinstance(version, str) or not _EXACT_VERSION.match(version):
        raise fail(
            f"package.json devDependencies entry '{package}'",
            version,
            "the pipeline installs exactly the pinned version, so give one such as 2.1148.1",
        )
    return version


def _is_set(found: tuple[Any, str] | None) -> bool:
    return found is not None and not (isinstance(found[0], str) and not found[0].strip())


def _required(read: _Reader, name: str, what: str, given: list[str]) -> Any:
    """A key without which the requested pipeline cannot exist."""
    found = read.raw(name)
    if found is None or not _is_set(found):
        raise ConfigError(
            f"A pipeline was requested (by {', '.join(given)}) but {name} is not set; "
            f"set context key '{name}' or environment variable {env_var(name)} to {what}."
        )
    return found[0]


def _stage_example(name: str) -> str:
    stage = _STAGE_KEYS[name]
    return f'the {stage} settings as a JSON object such as {{"environmentSuffix": "{stage}"}}'


def _stage_settings(
    overrides: dict[str, Any], origin: str, base: Mapping[str, Any], environ: Mapping[str, str]
) -> Settings:
    """One stage's overrides merged over the base context, validated by `load_settings` itself."""
    unknown = sorted(set(overrides) - set(_OVERRIDABLE))
    if unknown:
        raise fail(
            origin,
            overrides,
            f"{', '.join(unknown)} cannot be set per stage; use the application keys ({', '.join(_OVERRIDABLE)})",
        )
    try:
        return load_settings({**base, **overrides, "deploy": True}, environ)
    except ConfigError as error:
        message = str(error)
        raise ConfigError(f"In {origin}, {message[:1].lower()}{message[1:]}") from None


def _json_object(value: Any, origin: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise fail(origin, value, 'expected a JSON object such as {"environmentSuffix": "staging"}') from None
    if not isinstance(value, dict):
        raise fail(origin, value, 'expected a JSON object such as {"environmentSuffix": "staging"}')
    return value


def _check_distinct(staging: Settings, production: Settings, origin: str) -> None:
    """Two stages that share a suffix or a domain would overwrite each other's stacks, names or DNS record."""
    if staging.environment_suffix == production.environment_suffix:
        raise fail(
            origin,
            production.environment_suffix,
            "staging already uses this environmentSuffix, and each stage needs its own so that "
            "stack and resource names cannot collide",
        )
    if staging.domain_name == production.domain_name:
        raise fail(
            origin,
            production.domain_name,
            "staging already serves this domainName, and the post-deployment health check could not "
            "tell the two stages apart",
        )
