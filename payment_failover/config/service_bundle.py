"""The service's revision (R20): a directory that AWS CodeDeploy installs on every instance, checked at synth.

A revision for an EC2 deployment is a bundle with an `appspec.yml` at its root; its `hooks` name scripts by their
path inside the bundle (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html). A
missing script or a bundle without an AppSpec would fail on every instance at deploy time, after the stack has
started to change; here it is refused before anything is synthesized. The check reads the few lines it needs
without a YAML library: config/ loads nothing that synth does not already need.
"""

from __future__ import annotations

import re
from pathlib import Path

from payment_failover.config.cli_context import PROJECT_ROOT

APPSPEC = "appspec.yml"
_VERSION = re.compile(r"^version:\s*0\.0\s*$", re.M)
_OS_LINUX = re.compile(r"^os:\s*linux\s*$", re.M)
_LOCATION = re.compile(r"^\s*-?\s*location:\s*(\S+)\s*$", re.M)
_VALIDATE = re.compile(r"^\s+ValidateService:\s*$", re.M)


def bundle_path(value: str) -> Path:
    """The bundle's directory: absolute as given, or relative to the project's root (where cdk.json is)."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def bundle_problem(value: str) -> str | None:
    """Why `value` is not a deployable revision directory, or None when it is."""
    root = bundle_path(value)
    if not root.is_dir():
        return "expected a directory (relative to the project root) holding the service's appspec.yml"
    appspec = root / APPSPEC
    if not appspec.is_file():
        return f"the directory has no {APPSPEC} at its root, which CodeDeploy needs to install it"
    text = appspec.read_text(encoding="utf-8")
    if not _VERSION.search(text) or not _OS_LINUX.search(text):
        return f"its {APPSPEC} must declare `version: 0.0` and `os: linux` (an EC2 deployment to Amazon Linux)"
    if not _VALIDATE.search(text):
        return f"its {APPSPEC} has no ValidateService hook: a release must prove each instance ready before it serves"
    scripts = _LOCATION.findall(text)
    missing = [script for script in scripts if not (root / script).is_file()]
    if missing:
        return f"its {APPSPEC} names hook scripts that are not in the directory: {', '.join(missing)}"
    return None
