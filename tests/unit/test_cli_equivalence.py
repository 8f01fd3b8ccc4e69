"""R24, failure 16 (docs/requirements.md): the templates the tests assert are the templates `cdk synth` writes.

The default and the standby configurations are synthesized once through the pinned CLI (`cdk synth '**'`, which
reads cdk.json and adds its own switches) and once in-process by tests/helpers/synth.py; every template must be
equal, CDK's analytics and path metadata included, with only asset hashes (content digests of staged files)
scrubbed. A feature flag in cdk.json that the in-process synth missed would fail here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDBY_CONTEXT
from tests.helpers.cli import CDK, cdk_synth
from tests.helpers.support import scrub_asset_hashes
from tests.helpers.synth import SynthesizedStage


def _cli_templates(out: Path) -> dict[str, Any]:
    """Every stack template of the Stage's nested assembly, by stack name."""
    (assembly,) = out.glob("assembly-*")
    artifacts = json.loads((assembly / "manifest.json").read_text())["artifacts"]
    return {
        artifact["properties"].get("stackName", name): json.loads(
            (assembly / artifact["properties"]["templateFile"]).read_text()
        )
        for name, artifact in artifacts.items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


@pytest.fixture(scope="module")
def cli_standby_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CDK.exists():
        pytest.skip("the pinned CDK CLI is installed by `make test` (npm ci)")
    out = tmp_path_factory.mktemp("cli-standby") / "cdk.out"
    result = cdk_synth(out, STANDBY_CONTEXT)
    assert result.returncode == 0, result.stderr
    return out


def _assert_same(cli: dict[str, Any], in_process: SynthesizedStage) -> None:
    assert sorted(cli) == sorted(in_process.templates)
    for name, template in in_process.templates.items():
        assert scrub_asset_hashes(cli[name]) == scrub_asset_hashes(template.to_json()), name


def test_r24_the_default_templates_in_process_are_the_ones_cdk_synth_writes(
    cli_assembly: Path, default_stage: SynthesizedStage
) -> None:
    _assert_same(_cli_templates(cli_assembly), default_stage)


def test_r24_the_standby_templates_in_process_are_the_ones_cdk_synth_writes(
    cli_standby_assembly: Path, standby_stage: SynthesizedStage
) -> None:
    _assert_same(_cli_templates(cli_standby_assembly), standby_stage)
