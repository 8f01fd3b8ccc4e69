"""Regenerate the README blocks that are computed from code (`make readme`); tests fail when they drift."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tempfile  # noqa: E402

import aws_cdk as cdk  # noqa: E402

from payment_failover.compliance import confused_deputy, governance  # noqa: E402
from payment_failover.config.settings import load_settings, markdown_table  # noqa: E402
from payment_failover.pipeline.settings import PipelineSettings  # noqa: E402
from payment_failover.stage import PaymentFailoverStage  # noqa: E402
from payment_failover.tools import budget, change_impact, compliance_map  # noqa: E402


def budget_table() -> str:
    """The failover budget of the embedded defaults, from freshly synthesized templates."""
    with tempfile.TemporaryDirectory() as out:
        app = cdk.App(outdir=out)
        PaymentFailoverStage(app, "PaymentFailover-dev", settings=load_settings({}, {}))
        app.synth()
        return budget.render(budget.compute(budget.load_templates(Path(out))))


def region_failover_table() -> str:
    """The region failover figures of the README's standby example (tests/conftest.py: STANDBY_CONTEXT)."""
    from tests.conftest import STANDBY_CONTEXT

    with tempfile.TemporaryDirectory() as out:
        app = cdk.App(outdir=out)
        PaymentFailoverStage(app, "PaymentFailover-dev", settings=load_settings(STANDBY_CONTEXT, {}))
        app.synth()
        lines = budget.compute(budget.load_templates(Path(out)))
        return budget.render(budget.region_failover(lines))


def bad_configuration_count() -> str:
    """How many invalid configurations the bad-input suite runs through the entry point."""
    from tests.unit.config.test_bad_input import BAD_CONFIGURATIONS

    return f"  **{len(BAD_CONFIGURATIONS)} invalid configurations**"


def setting_changes_table() -> str:
    """What each setting's change does on deploy, from one synth per changed value (slow: about a minute)."""
    return change_impact.markdown_table(change_impact.compute_impacts())


BLOCKS: dict[str, Callable[[], str]] = {
    "setting-changes": setting_changes_table,
    "failover-budget": budget_table,
    "region-failover-budget": region_failover_table,
    "compliance": governance.markdown_table,
    "pci-map": compliance_map.markdown_table,
    "confused-deputy": confused_deputy.markdown_table,
    "configuration": markdown_table,
    "pipeline-configuration": lambda: markdown_table(PipelineSettings),
    "bad-configurations": bad_configuration_count,
}


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text()
    for name, render in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?( *<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            print(f"README.md has no '{name}' block", file=sys.stderr)
            return 1
        body = render()
        text = pattern.sub(lambda match: match.group(1) + body + "\n" + match.group(2), text)  # noqa: B023
    readme.write_text(text)
    print("README.md blocks regenerated: " + ", ".join(BLOCKS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
