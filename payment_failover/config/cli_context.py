"""The CDK context exactly as the CDK CLI hands it to `app.py`, read without loading aws_cdk.

Two readers, one rule:
- `from_environment`: what the running app was given. The CLI passes the merged context as JSON in
  `CDK_CONTEXT_JSON`, or, when that is too large for the environment, in a file named by
  `CONTEXT_OVERFLOW_LOCATION_ENV` (aws-cdk-lib's `cx-api` constants, the same two the App reads itself).
  Reading it here lets the settings be validated before any jsii process starts.
- `project_context`: what the CLI would hand the app from this project with `-c` values on top, for the tests
  and the tools that synthesize in-process (so they see the same feature flags as `cdk synth`): `cdk.json`'s
  `context`, `cdk.context.json`, and the four switches the CLI adds to every synth; a test synthesizes the
  default and standby configurations both ways and compares the templates. A developer's own
  `~/.cdk.json` is deliberately left out: a test must not depend on the machine it runs on.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from payment_failover.config.sources import closest_key

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTEXT_ENV = "CDK_CONTEXT_JSON"
CONTEXT_OVERFLOW_ENV = "CONTEXT_OVERFLOW_LOCATION_ENV"
# What CLI 2.11xx adds to the context of every `cdk synth` (observed in CDK_CONTEXT_JSON of the pinned CLI).
CLI_SWITCHES: Mapping[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
}


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The context the CLI passed to this process (empty when the app runs outside the CLI)."""
    overflow = environ.get(CONTEXT_OVERFLOW_ENV)
    if overflow:
        loaded: dict[str, Any] = json.loads(Path(overflow).read_text(encoding="utf-8"))
        return loaded
    raw = environ.get(CONTEXT_ENV)
    return dict(json.loads(raw)) if raw else {}


def misplaced_settings(known: Collection[str], *, cdk_json: Path = PROJECT_ROOT / "cdk.json") -> str | None:
    """One sentence when `cdk.json` holds a setting at its top level, where the CLI never passes it to the app.

    The CLI hands the app only `cdk.json`'s `context` object; a top-level `minCapacity` would be silently ignored.
    A key that is a setting, or close to one (same letters, or a near spelling), is reported; the CLI's own keys
    (`app`, `watch`, `output`, ...) are not settings and pass.
    """
    try:
        project = json.loads(cdk_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no cdk.json, or one the CLI itself refuses before it runs the app
    if not isinstance(project, dict):
        return None
    for key in project:
        if key == "context":
            continue
        closest = closest_key(key, known)
        if closest is not None:
            named = f"'{key}'" if key == closest else f"'{key}' (the setting is '{closest}')"
            return (
                f"cdk.json sets {named} at its top level, where the CDK CLI ignores it: move it into cdk.json's "
                '"context" object.'
            )
    return None


def project_context(extra: Mapping[str, Any] | None = None, *, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """`cdk.context.json`, under `cdk.json`'s context, under `extra` (the `-c` values), as the CLI ranks them."""
    context: dict[str, Any] = {}
    cached = root / "cdk.context.json"
    if cached.is_file():
        context.update(json.loads(cached.read_text(encoding="utf-8")))
    context.update(json.loads((root / "cdk.json").read_text(encoding="utf-8")).get("context", {}))
    context.update(CLI_SWITCHES)
    context.update(extra or {})
    return context
