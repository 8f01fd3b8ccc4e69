"""Audit a lock against PyPI's advisories: exit 1 when a locked release has a known vulnerability (make audit).

PyPI's JSON API lists, for a release, the advisories that affect it (its `vulnerabilities` field, fed from the
Python advisory database through OSV). The per-release page (/pypi/NAME/VERSION/json) is the one pip-audit
reads; where a network serves only the project page (/pypi/NAME/json), that page describes the latest release,
so it judges a pin only when the pin is the latest release. A pin held below its latest release by a dependent
cannot be judged there and is named in the summary line. No PyPI at all is an error (exit 2): it is the same
network `make setup` needs. Standard library only, so it runs outside .venv and adds nothing to it.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PYPI = "https://pypi.org/pypi"
TIMEOUT_SECONDS = 30
# A page's JSON, or None when PyPI answers 404.
Fetch = Callable[[str], "dict[str, Any] | None"]


def fetch(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            page: dict[str, Any] = json.load(response)
            return page
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def locked_pins(text: str) -> list[tuple[str, str]]:
    """The name==version lines of a requirements lock (hash and comment lines aside)."""
    return re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, re.M)


@dataclass(frozen=True)
class Verdict:
    name: str
    version: str
    advisories: tuple[str, ...] = ()
    # Set when the release could not be judged: the latest release, which the reachable page describes instead.
    latest: str | None = None


def _describe(advisory: dict[str, Any]) -> str:
    aliases = ", ".join(advisory.get("aliases") or [])
    fixed = ", ".join(advisory.get("fixed_in") or [])
    return f"{advisory['id']}" + (f" ({aliases})" if aliases else "") + (f", fixed in {fixed}" if fixed else ", no fix")


def judge(name: str, version: str, get: Fetch = fetch) -> Verdict:
    page = get(f"{PYPI}/{name}/{version}/json")
    if page is None:
        page = get(f"{PYPI}/{name}/json")
        if page is None:
            raise LookupError(f"{name} is not on PyPI, so no advisory can be looked up for it")
        if page["info"]["version"] != version:
            return Verdict(name, version, latest=page["info"]["version"])
    found = tuple(_describe(a) for a in page.get("vulnerabilities") or [] if not a.get("withdrawn"))
    return Verdict(name, version, advisories=found)


def audit(lock: Path, get: Fetch = fetch) -> tuple[int, list[str]]:
    """The exit status and the lines to print for one lock."""
    pins = locked_pins(lock.read_text())
    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(lambda pin: judge(*pin, get=get), pins))
    vulnerable = [v for v in verdicts if v.advisories]
    if vulnerable:
        lines = [f"audit: {v.name} {v.version}: {advisory}" for v in vulnerable for advisory in v.advisories]
        lines.append(
            f"audit: {len(vulnerable)} of the {len(pins)} releases in {lock.name} have known vulnerabilities:"
            " raise the pin in requirements*.txt (or make lock LOCK_ARGS='--upgrade-package NAME') and run make lock"
        )
        return 1, lines
    unjudged = [v for v in verdicts if v.latest is not None]
    asked = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    summary = f"audit ({asked}): no known vulnerability in the {len(pins)} releases of {lock.name}"
    if unjudged:
        held = ", ".join(f"{v.name} {v.version}" for v in unjudged)
        summary += (
            f" ({len(pins) - len(unjudged)} judged by PyPI; {len(unjudged)} held below their latest release,"
            f" which PyPI's pages here do not judge: {held})"
        )
    return 0, [summary]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: audit_lock.py LOCK", file=sys.stderr)
        return 2
    try:
        status, lines = audit(Path(argv[0]))
    except (OSError, LookupError) as error:  # urllib's network errors are OSErrors
        print(f"audit: PyPI's advisories could not be read ({error}); it needs PyPI, as pip does", file=sys.stderr)
        return 2
    print("\n".join(lines), file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
