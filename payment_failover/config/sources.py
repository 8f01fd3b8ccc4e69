"""Where setting values come from: CDK context over `PAYMENT_FAILOVER_<KEY>` variables over the defaults.

This module only finds the raw values and refuses keys that are not settings; the schema (`settings.py`,
`pipeline_settings.py`) validates them. CDK's own context keys pass untouched.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "PAYMENT_FAILOVER_"
# Where a user finds every setting: messages that send the user to the documentation name this page.
CONFIGURATION_DOCS = "docs/configuration.md"
# Read by the integration tests only (README, Verify a real deployment), never by the app.
TEST_ENV_PREFIX = ENV_PREFIX + "IT_"
# Context keys that belong to the CDK rather than to this app: feature flags ("@aws-cdk/..."), the CLI's own
# switches ("aws:cdk:..."), cached lookups ("availability-zones:account=...") and notice acknowledgements.
_CDK_KEY = re.compile(r"^@|:")
_CDK_PLAIN_KEYS = frozenset({"acknowledged-issue-numbers"})


class ConfigError(ValueError):
    """A setting is invalid; the message is one sentence meant for the person running synth."""


def env_var(key: str) -> str:
    """The environment variable that sets a key when context does not: minCapacity → PAYMENT_FAILOVER_MIN_CAPACITY."""
    return ENV_PREFIX + re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()


def is_cdk_key(key: str) -> bool:
    return bool(_CDK_KEY.search(key)) or key in _CDK_PLAIN_KEYS


@dataclass(frozen=True)
class Sources:
    """The raw value of every key that was set, and where it was set, for error messages."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def origin(self, key: str) -> str:
        return self.origins.get(key, f"default of '{key}'")


def read_sources(context: Mapping[str, Any], environ: Mapping[str, str], known: Collection[str]) -> Sources:
    """Collect the known keys; refuse any other context key or `PAYMENT_FAILOVER_*` variable, naming the closest key."""
    for key, value in context.items():
        if key not in known and not is_cdk_key(key):
            raise unknown_key(f"context key '{key}'", value, key, known)
    by_variable = {env_var(key): key for key in known}
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX) and name not in by_variable and not name.startswith(TEST_ENV_PREFIX):
            raise unknown_key(f"environment variable {name}", value, name, by_variable, env=True)
    sources = Sources()
    for key in known:
        if context.get(key) is not None:
            sources.values[key], sources.origins[key] = context[key], f"context key '{key}'"
        elif env_var(key) in environ:
            sources.values[key], sources.origins[key] = environ[env_var(key)], f"environment variable {env_var(key)}"
    return sources


def unknown_key(where: str, value: Any, name: str, known: Collection[str], *, env: bool = False) -> ConfigError:
    """One sentence for a key that is not a setting, with the closest real key when there is one."""
    closest = closest_key(name, known)
    hint = f"did you mean {closest if env else repr(closest)}?" if closest else f"see {CONFIGURATION_DOCS}"
    return ConfigError(f"Unknown {where} with value {value!r}: this app has no such setting; {hint}")


def closest_key(name: str, known: Collection[str]) -> str | None:
    """The known key a typo most likely meant: same letters ignoring case and separators, else a close spelling."""
    by_shape = {_shape(key): key for key in known}
    if _shape(name) in by_shape:
        return by_shape[_shape(name)]
    found = difflib.get_close_matches(_shape(name), list(by_shape), n=1, cutoff=0.75)
    return by_shape[found[0]] if found else None


def _shape(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower().removeprefix(ENV_PREFIX.lower()))
