"""The README's figures and tables come from the code: these tests keep them from drifting."""

from __future__ import annotations

import re
from pathlib import Path

from payment_failover.compliance import confused_deputy
from payment_failover.config.settings import Settings, context_keys, markdown_table
from payment_failover.pipeline.settings import PipelineSettings
from payment_failover.tools import budget, compliance_map
from tests.helpers.support import SynthesizedStage
from tests.unit.config.test_bad_input import BAD_CONFIGURATIONS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _block(name: str) -> str:
    found = re.search(rf"<!-- {name}:start -->\n(.*?)\n *<!-- {name}:end -->", README, re.S)
    assert found is not None, f"README.md lost its {name} block (make readme)"
    return found.group(1)


def test_readme_failover_budget_is_the_commands_output_for_the_defaults(default_stage: SynthesizedStage) -> None:
    templates = [template.to_json() for template in default_stage.templates.values()]
    assert _block("failover-budget") == budget.render(budget.compute(templates))


def test_readme_region_failover_budget_is_the_commands_output_for_the_standby_example(
    standby_stage: SynthesizedStage,
) -> None:
    templates = [template.to_json() for template in standby_stage.templates.values()]
    lines = budget.region_failover(budget.compute(templates))
    assert len(lines) == 3
    assert _block("region-failover-budget") == budget.render(lines)


def test_readme_documents_every_configuration_key() -> None:
    for key in context_keys():
        assert f"| `{key}` |" in README, f"{key} is missing from the README's configuration table"


def test_readme_configuration_tables_are_the_schemas_own() -> None:
    """The schema is the single source of the configuration tables (make readme)."""
    assert _block("configuration") == markdown_table(Settings)
    assert _block("pipeline-configuration") == markdown_table(PipelineSettings)


def test_readme_counts_the_bad_configurations_the_suite_really_runs() -> None:
    assert _block("bad-configurations").strip() == f"**{len(BAD_CONFIGURATIONS)} invalid configurations**"


def test_r19_readme_pci_map_is_the_modules_output_and_names_only_tests_that_exist() -> None:
    assert _block("pci-map") == compliance_map.markdown_table()
    sources = "\n".join(path.read_text() for path in Path(__file__).resolve().parent.rglob("test_*.py"))
    for requirement in compliance_map.REQUIREMENTS:
        for test in requirement.tests:
            assert f"def {test}(" in sources, f"{requirement.number} names {test}, which no unit test defines"
    assert {"6.4.1, 6.4.2", "10.3", "10.5.1", "4.2.1"} <= {r.number for r in compliance_map.REQUIREMENTS}


def test_r19_readme_lists_exactly_the_unconditioned_service_principals_of_the_code() -> None:
    assert _block("confused-deputy") == confused_deputy.markdown_table()
