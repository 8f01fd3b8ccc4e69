"""The locks: every direct pin locked at its own version, every locked release hash-checked (docs/dependencies.md)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each hand-edited file of direct pins and the lock `make lock` resolves from it.
LOCKS = {"requirements.txt": "requirements.lock", "requirements-dev.txt": "requirements-dev.lock"}
_PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>\S+)")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _direct_pins(name: str) -> dict[str, str]:
    """The pins of one requirements file, following its `-r` includes."""
    pins: dict[str, str] = {}
    for raw in (ROOT / name).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            pins.update(_direct_pins(line[3:].strip()))
            continue
        pin = _PIN.fullmatch(line)
        assert pin, f"{name}: {raw!r} is not an exact pin (name==version)"
        pins[_normalized(pin["name"])] = pin["version"]
    return pins


def _locked(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """The releases of one lock: name -> (version, hashes), one entry per logical (backslash-joined) line."""
    text = re.sub(r"\\\n", " ", (ROOT / name).read_text())
    entries: dict[str, tuple[str, frozenset[str]]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        pin = _PIN.fullmatch(requirement)
        assert pin, f"{name}: {requirement!r} is not locked to one version"
        entries[_normalized(pin["name"])] = (pin["version"], frozenset(options))
    return entries


@pytest.mark.parametrize("pins", LOCKS)
def test_every_direct_pin_is_locked_at_its_own_version(pins: str) -> None:
    locked = _locked(LOCKS[pins])
    stale = {
        name: (version, locked.get(name, ("missing", frozenset()))[0])
        for name, version in _direct_pins(pins).items()
        if locked.get(name, ("", frozenset()))[0] != version
    }
    assert not stale, f"{pins} and {LOCKS[pins]} disagree (pin, lock): {stale}; run make lock"


@pytest.mark.parametrize("lock", LOCKS.values())
def test_every_locked_release_carries_hashes(lock: str) -> None:
    locked = _locked(lock)
    assert locked
    unhashed = sorted(name for name, (_, options) in locked.items() if not options)
    assert not unhashed, f"{lock}: no hash for {unhashed}; run make lock"
    other = sorted(name for name, (_, options) in locked.items() if not all(map(_HASH.fullmatch, options)))
    assert not other, f"{lock}: options other than sha256 hashes for {other}"


def test_the_dev_lock_installs_the_runtime_lock_unchanged() -> None:
    """`make setup` installs the runtime lock, then the dev lock over it: a shared package must not move."""
    runtime, dev = _locked("requirements.lock"), _locked("requirements-dev.lock")
    moved = sorted(name for name, entry in runtime.items() if dev.get(name) != entry)
    assert not moved, f"requirements.lock and requirements-dev.lock differ on {moved}; run make lock"


def test_setup_installs_only_what_the_locks_hold() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes --no-deps" in makefile
    installs = re.findall(r"\$\(PIP_INSTALL\) -r (\S+)", makefile)
    assert sorted(installs) == sorted(LOCKS.values())


def _auditor() -> Any:
    spec = importlib.util.spec_from_file_location("audit_lock", ROOT / "scripts" / "audit_lock.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve the module's annotations through sys.modules
    spec.loader.exec_module(module)
    return module


# What PyPI's JSON API answers, by path, in the cases the audit meets (no network: the audit takes the fetch).
_ADVISORY = {"id": "PYSEC-0000-1", "aliases": ["CVE-0000-1"], "fixed_in": ["1.1"], "withdrawn": None}
_PAGES: dict[str, dict[str, Any]] = {
    # A network that serves per-release pages: the page of the locked release itself.
    "/served/1.0/json": {"info": {"version": "1.0"}, "vulnerabilities": [_ADVISORY]},
    # One that serves only project pages: they describe the latest release.
    "/latest/json": {"info": {"version": "2.0"}, "vulnerabilities": [_ADVISORY]},
    "/older/json": {"info": {"version": "3.0"}, "vulnerabilities": []},
    "/withdrawn/json": {
        "info": {"version": "1.0"},
        "vulnerabilities": [{**_ADVISORY, "withdrawn": "2026-01-01T00:00:00Z"}],
    },
}


def _audit(tmp_path: Path, *pins: str) -> tuple[int, list[str]]:
    lock = tmp_path / "requirements-dev.lock"
    entry = "{} \\\n    --hash=sha256:" + "0" * 64 + "\n    # via -r requirements-dev.txt\n"
    lock.write_text("".join(entry.format(pin) for pin in pins))
    auditor = _auditor()
    status, lines = auditor.audit(lock, get=lambda url: _PAGES.get(url.removeprefix(auditor.PYPI)))
    return status, lines


@pytest.mark.parametrize("pin", ["served==1.0", "latest==2.0"])
def test_the_audit_fails_on_a_locked_release_with_a_known_vulnerability(tmp_path: Path, pin: str) -> None:
    status, lines = _audit(tmp_path, pin, "withdrawn==1.0")
    assert status == 1
    assert lines[0] == f"audit: {pin.replace('==', ' ')}: PYSEC-0000-1 (CVE-0000-1), fixed in 1.1"
    assert lines[-1].startswith("audit: 1 of the 2 releases in requirements-dev.lock have known vulnerabilities:")


def test_the_audit_names_the_releases_it_could_not_judge(tmp_path: Path) -> None:
    status, (line,) = _audit(tmp_path, "older==2.5", "withdrawn==1.0")
    assert status == 0
    assert line.endswith(
        "no known vulnerability in the 2 releases of requirements-dev.lock (1 judged by PyPI;"
        " 1 held below their latest release, which PyPI's pages here do not judge: older 2.5)"
    )


def test_the_audit_refuses_a_release_pypi_does_not_know(tmp_path: Path) -> None:
    with pytest.raises(LookupError, match="unknown is not on PyPI"):
        _audit(tmp_path, "unknown==1.0")
