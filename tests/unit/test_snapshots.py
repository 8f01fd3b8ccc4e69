"""Snapshots of every synthesized template: a safety net for unintended change (logical ids, replacements).

Volatile values (asset hashes, CDK metadata) are scrubbed, so only a change of ours updates them:
`make snapshot-update` after reviewing the diff.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.helpers.support import scrubbed
from tests.helpers.synth import SynthesizedStage


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("configuration", ["default_stage", "custom_stage", "standby_stage"])
def test_every_template_of_the_stage_matches_its_snapshot(
    configuration: str, request: pytest.FixtureRequest, snapshot_json: SnapshotAssertion
) -> None:
    synthesized: SynthesizedStage = request.getfixturevalue(configuration)
    assert synthesized.templates, "the Stage synthesized no stacks"
    for stack_name, template in sorted(synthesized.templates.items()):
        assert scrubbed(template) == snapshot_json(name=f"{configuration}-{stack_name}")
