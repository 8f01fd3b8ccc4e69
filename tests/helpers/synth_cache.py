"""A content-addressed cache for the setting-change analysis' syntheses (tests/unit/tools/test_change_impact.py).

The analysis synthesizes the Stage once for every setting changed (about 40 configurations, most of the integration
part's time). Its inputs are the files that can change a template: the package, the sample service's revision,
app.py, cdk.json and cdk.context.json, and the locks that pin aws-cdk-lib and the CDK CLI. The cache key is a hash of
all of them plus the context, so a warm `make test` with no such change reads the templates back, and any change to
any of them synthesizes every configuration anew. A fresh clone (CI) has no cache and synthesizes everything; `make
clean` removes it (it lives under .make/).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tests.helpers.cli import ROOT

INPUT_DIRECTORIES = ("payment_failover", "sample_service")
INPUT_FILES = ("app.py", "cdk.json", "cdk.context.json", "requirements.lock", "package-lock.json")
CACHE_ROOT = ROOT / ".make" / "synth-cache"

Templates = tuple[dict[str, dict[str, Any]], dict[str, tuple[str, str, str]]]


def _inputs(root: Path) -> Iterator[Path]:
    for directory in INPUT_DIRECTORIES:
        yield from sorted(p for p in (root / directory).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    yield from (root / name for name in INPUT_FILES if (root / name).is_file())


def fingerprint(root: Path = ROOT) -> str:
    """A hash of every input file's path and bytes, and of the Python that runs the synth."""
    digest = hashlib.sha256(sys.version.encode())
    for path in _inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


class SynthCache:
    """Templates by context, under one directory per fingerprint; other fingerprints' directories are removed."""

    def __init__(self, root: Path = CACHE_ROOT, *, key: str | None = None) -> None:
        self.directory = root / (key or fingerprint())
        self.hits = 0
        self.misses = 0
        if root.is_dir():
            for stale in root.iterdir():
                if stale != self.directory:
                    shutil.rmtree(stale, ignore_errors=True)

    def get(self, context: Mapping[str, Any], synthesize: Callable[[Mapping[str, Any]], Templates]) -> Templates:
        name = hashlib.sha256(json.dumps(context, sort_keys=True).encode()).hexdigest()[:24]
        path = self.directory / f"{name}.json"
        if path.is_file():
            self.hits += 1
            templates, identities = json.loads(path.read_text())
            return templates, {stack: tuple(identity) for stack, identity in identities.items()}  # type: ignore[misc]
        self.misses += 1
        result = synthesize(context)
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(result))
        partial.replace(path)
        return result
