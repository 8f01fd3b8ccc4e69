"""The change analysis' synthesis cache (tests/helpers/synth_cache.py) may only ever return what a synthesis of the
same inputs would: any change to an input file or to the context misses it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.helpers.cli import ROOT
from tests.helpers.synth_cache import INPUT_DIRECTORIES, INPUT_FILES, SynthCache, fingerprint

TEMPLATES = ({"Service": {"Resources": {"R": {"Type": "AWS::SNS::Topic"}}}}, {"Service": ("s", "1", "eu-central-1")})


def _copy_inputs(target: Path) -> None:
    for directory in INPUT_DIRECTORIES:
        shutil.copytree(ROOT / directory, target / directory, ignore=shutil.ignore_patterns("__pycache__"))
    for name in INPUT_FILES:
        if (ROOT / name).is_file():  # cdk.context.json exists only once a lookup wrote it
            shutil.copy(ROOT / name, target / name)


def test_any_changed_input_file_changes_the_fingerprint(tmp_path: Path) -> None:
    _copy_inputs(tmp_path)
    before = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == before
    unit = tmp_path / "sample_service" / "systemd" / "payment-health.service"
    unit.write_text(unit.read_text() + "\n")
    assert fingerprint(tmp_path) != before
    (tmp_path / "payment_failover" / "new_module.py").write_text("")
    assert len({before, fingerprint(tmp_path)}) == 2


def test_a_context_is_synthesized_once_and_then_read_back_equal(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def synthesize(context: Any) -> Any:
        calls.append(dict(context))
        return TEMPLATES

    cache = SynthCache(tmp_path, key="a")
    assert cache.get({"x": "1"}, synthesize) == TEMPLATES
    assert SynthCache(tmp_path, key="a").get({"x": "1"}, synthesize) == TEMPLATES
    assert SynthCache(tmp_path, key="a").get({"x": "2"}, synthesize) == TEMPLATES
    assert calls == [{"x": "1"}, {"x": "2"}]


def test_another_fingerprint_starts_empty_and_drops_the_old_entries(tmp_path: Path) -> None:
    SynthCache(tmp_path, key="old").get({}, lambda context: TEMPLATES)
    fresh = SynthCache(tmp_path, key="new")
    calls: list[Any] = []
    fresh.get({}, lambda context: calls.append(context) or TEMPLATES)
    assert calls == [{}]
    assert [p.name for p in tmp_path.iterdir()] == ["new"]
