"""R15: both stacks deployed completely; on the emulator, whatever moto drops is a named gap, nothing else."""

from __future__ import annotations

import pytest

from tests.integration.emulator import PINNED_MOTO, UNMODELLED_RESOURCES
from tests.integration.lookups import stack_resources, stack_template, stacks
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration


def test_r15_every_declared_resource_exists_or_is_a_named_emulator_gap(deployment: Deployment) -> None:
    """A resource type moto starts to drop must be named (and its checks skipped); one it starts to model, unnamed."""
    for stack, region in stacks(deployment):
        declared = {logical: r["Type"] for logical, r in stack_template(deployment, stack, region)["Resources"].items()}
        present = {r["LogicalResourceId"]: r for r in stack_resources(deployment, stack, region) if r["ResourceType"]}
        missing = {declared[logical] for logical in declared.keys() - present.keys()}
        expected = set(declared.values()) & UNMODELLED_RESOURCES.keys() if deployment.emulated else set()
        assert missing == expected, (
            f"{stack}: resource types missing from the deployed stack differ from the emulator's named gaps "
            f"(UNMODELLED_RESOURCES in tests/integration/emulator.py, moto {PINNED_MOTO})"
        )
        incomplete = {
            logical: summary["ResourceStatus"]
            for logical, summary in present.items()
            if summary["ResourceStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
        }
        assert incomplete == {}, stack
