"""Regenerate the documentation blocks that are computed from code (`make readme`); tests fail when they drift.

Each block lives in the page that explains it (BLOCKS); the tests read it from there (tests/helpers/docs_pages.py).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tempfile  # noqa: E402

from payment_failover.application import new_app  # noqa: E402
from payment_failover.compliance import confused_deputy, governance  # noqa: E402
from payment_failover.config.cli_context import project_context  # noqa: E402
from payment_failover.config.settings import load_settings, markdown_table  # noqa: E402
from payment_failover.pipeline.settings import PipelineSettings  # noqa: E402
from payment_failover.stage import PaymentFailoverStage  # noqa: E402
from payment_failover.tools import budget, change_impact, compliance_map, cost  # noqa: E402


def budget_table() -> str:
    """The failover budget of the embedded defaults, from freshly synthesized templates."""
    with tempfile.TemporaryDirectory() as out:
        app = new_app(context=project_context(), outdir=out, validate=False)
        PaymentFailoverStage(app, "PaymentFailover-dev", settings=load_settings({}, {}))
        app.synth()
        return budget.render(budget.compute(budget.load_templates(Path(out))))


def region_failover_table() -> str:
    """The region failover figures of the documented standby example (tests/conftest.py: STANDBY_CONTEXT)."""
    from tests.conftest import STANDBY_CONTEXT

    with tempfile.TemporaryDirectory() as out:
        app = new_app(context=project_context(STANDBY_CONTEXT), outdir=out, validate=False)
        PaymentFailoverStage(app, "PaymentFailover-dev", settings=load_settings(STANDBY_CONTEXT, {}))
        app.synth()
        lines = budget.compute(budget.load_templates(Path(out)))
        return budget.render(budget.region_failover(lines))


def cost_tables() -> str:
    """The monthly cost of the defaults and of the documented standby example (tests/conftest.py: STANDBY_CONTEXT)."""
    from tests.conftest import STANDBY_CONTEXT

    synthesized = []
    for context in ({}, STANDBY_CONTEXT):
        with tempfile.TemporaryDirectory() as out:
            app = new_app(context=project_context(context), outdir=out, validate=False)
            PaymentFailoverStage(app, "PaymentFailover-dev", settings=load_settings(context, {}))
            app.synth()
            synthesized.append(cost.load_named_templates(Path(out)))
    default, standby = synthesized
    return cost.markdown_tables(cost.compute(default), cost.compute(standby), cost.controlled_egress(default))


def bad_configuration_count() -> str:
    """How many invalid configurations the bad-input suite runs through the entry point."""
    from tests.unit.config.test_bad_input import BAD_CONFIGURATIONS

    return f"  **{len(BAD_CONFIGURATIONS)} invalid configurations**"


def setting_changes_table() -> str:
    """What each setting's change does on deploy, from one synth per changed value (slow: about a minute)."""
    return change_impact.markdown_table(change_impact.compute_impacts())


# Each block: the file that holds it (a path relative to the repository) and what renders it.
BLOCKS: dict[str, tuple[str, Callable[[], str]]] = {
    "setting-changes": ("docs/how-a-deployment-proceeds.md", setting_changes_table),
    "failover-budget": ("docs/failover-budget.md", budget_table),
    "region-failover-budget": ("docs/region-failover.md", region_failover_table),
    "cost": ("docs/cost.md", cost_tables),
    "compliance": ("docs/compliance.md", governance.markdown_table),
    "pci-map": ("docs/compliance.md", compliance_map.markdown_table),
    "confused-deputy": ("docs/compliance.md", confused_deputy.markdown_table),
    "configuration": ("docs/configuration.md", markdown_table),
    "pipeline-configuration": ("docs/pipeline.md", lambda: markdown_table(PipelineSettings)),
    "bad-configurations": ("docs/testing.md", bad_configuration_count),
}


def main() -> int:
    texts: dict[str, str] = {}
    for name, (page, render) in BLOCKS.items():
        text = texts[page] if page in texts else (ROOT / page).read_text()
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?( *<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            print(f"{page} has no '{name}' block", file=sys.stderr)
            return 1
        body = render()
        texts[page] = pattern.sub(lambda match: match.group(1) + body + "\n" + match.group(2), text)  # noqa: B023
    for page, text in texts.items():
        (ROOT / page).write_text(text)
    print("Blocks regenerated: " + ", ".join(f"{name} ({page})" for name, (page, _) in BLOCKS.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
