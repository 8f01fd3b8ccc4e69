"""Test helpers: a bare stack for one construct, template lookups, and scrubbing volatile values for snapshots.

Whole-Stage synthesis lives in tests/helpers/synth.py."""

from __future__ import annotations

import base64
import gzip
import re
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from payment_failover.components.network.network import Network
from payment_failover.components.observability.log_encryption import LogArchive
from payment_failover.config.settings import Settings, load_settings
from payment_failover.stacks.zonal_stack import ZonalStack
from tests.helpers.synth import project_app

AZS = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
ENV = cdk.Environment(account="123456789012", region="eu-central-1")
_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def settings_from(context: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
    return load_settings(context or {}, environ or {})


def bare_stack() -> ZonalStack:
    """A stack in eu-central-1 with the three product AZs, for testing one construct on its own."""
    return ZonalStack(project_app(), "Test", availability_zones=AZS, env=ENV)


def stack_with_network() -> tuple[ZonalStack, Network]:
    """A bare stack holding only the product's network, for components that sit in it."""
    stack = bare_stack()
    archive = LogArchive(stack, "LogArchive", description="test")
    return stack, Network(stack, "Network", availability_zones=AZS, vpc_name="test", log_archive=archive)


def scrubbed(template: Template) -> Any:
    """Template JSON with values that change for no reason of ours (asset hashes, CDK metadata) removed."""
    body = template.to_json()
    body.get("Resources", {}).pop("CDKMetadata", None)
    return _scrub(body)


def scrub_asset_hashes(value: Any) -> Any:
    """Template JSON with every asset hash (a digest of staged file content) replaced by a marker."""
    return _scrub(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, str):
        return _ASSET_HASH.sub("<asset-hash>", value)
    return value


def single(template: Template, type_: str) -> dict[str, Any]:
    found = list(template.find_resources(type_).values())
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return found[0]["Properties"]


def user_data_script(launch_data: dict[str, Any]) -> str:
    """A launch template's user data with each CloudFormation reference shown as <Ref:Name>."""
    parts = launch_data["UserData"]["Fn::Base64"]["Fn::Join"][1]
    return "".join(_shown(part) for part in parts)


def _shown(part: Any) -> str:
    """A literal as is, a Ref as <Ref:Name>, an Fn::Sub (the asset bucket) with each ${Name} as <Ref:Name>."""
    if isinstance(part, str):
        return part
    if "Fn::Sub" in part:
        return re.sub(r"\$\{([^}]+)\}", r"<Ref:\1>", part["Fn::Sub"])
    return f"<Ref:{part['Ref']}>"


_INSTALLED = re.compile(
    r"^base64 -d <<'PAYMENT_FAILOVER_EOF' \| gunzip > (\S+)\n(.*?)\nPAYMENT_FAILOVER_EOF$", re.S | re.M
)


def installed_files(script: str) -> dict[str, str]:
    """The fixed files a user data script unpacks (gzip, base64), by the path each is written to."""
    return {path: gzip.decompress(base64.b64decode(blob)).decode() for path, blob in _INSTALLED.findall(script)}


def comparable(body: Any) -> Any:
    """Template JSON without CDK's own bookkeeping: the `aws:cdk:path` metadata the CLI asks for
    (`aws:cdk:enable-path-metadata`) and the CDKMetadata analytics resource (`aws:cdk:version-reporting`).
    Neither says anything about what CloudFormation creates; both differ with where a stack was built."""
    if isinstance(body, dict):
        return {
            key: comparable(value)
            for key, value in body.items()
            if not (key == "Metadata" and isinstance(value, dict) and set(value) == {"aws:cdk:path"})
            and key != "CDKMetadata"
        }
    if isinstance(body, list):
        return [comparable(item) for item in body]
    return body
