"""The documentation's figures and tables come from the code: these tests keep them from drifting."""

from __future__ import annotations

from pathlib import Path

from payment_failover.compliance import confused_deputy
from payment_failover.config.settings import Settings, context_keys, markdown_table
from payment_failover.pipeline.settings import PipelineSettings
from payment_failover.tools import budget, compliance_map
from tests.helpers.docs_pages import ROOT, generated_block
from tests.helpers.synth import SynthesizedStage
from tests.unit.config.test_bad_input import BAD_CONFIGURATIONS

BUDGET_PAGE = "docs/failover-budget.md"
REGION_FAILOVER_PAGE = "docs/region-failover.md"
CONFIGURATION_PAGE = "docs/configuration.md"
PIPELINE_PAGE = "docs/pipeline.md"
TESTING_PAGE = "docs/testing.md"
COMPLIANCE_PAGE = "docs/compliance.md"


def test_readme_failover_budget_is_the_commands_output_for_the_defaults(default_stage: SynthesizedStage) -> None:
    templates = [template.to_json() for template in default_stage.templates.values()]
    assert generated_block(BUDGET_PAGE, "failover-budget") == budget.render(budget.compute(templates))


def test_readme_region_failover_budget_is_the_commands_output_for_the_standby_example(
    standby_stage: SynthesizedStage,
) -> None:
    templates = [template.to_json() for template in standby_stage.templates.values()]
    lines = budget.region_failover(budget.compute(templates))
    assert len(lines) == 3
    assert generated_block(REGION_FAILOVER_PAGE, "region-failover-budget") == budget.render(lines)


def test_readme_documents_every_configuration_key() -> None:
    page = (ROOT / CONFIGURATION_PAGE).read_text()
    for key in context_keys():
        assert f"| `{key}` |" in page, f"{key} is missing from the configuration table of {CONFIGURATION_PAGE}"


def test_readme_configuration_tables_are_the_schemas_own() -> None:
    """The schema is the single source of the configuration tables (make readme)."""
    assert generated_block(CONFIGURATION_PAGE, "configuration") == markdown_table(Settings)
    assert generated_block(PIPELINE_PAGE, "pipeline-configuration") == markdown_table(PipelineSettings)


def test_readme_counts_the_bad_configurations_the_suite_really_runs() -> None:
    count = generated_block(TESTING_PAGE, "bad-configurations").strip()
    assert count == f"**{len(BAD_CONFIGURATIONS)} invalid configurations**"


def test_r19_readme_pci_map_is_the_modules_output_and_names_only_tests_that_exist() -> None:
    assert generated_block(COMPLIANCE_PAGE, "pci-map") == compliance_map.markdown_table()
    sources = "\n".join(path.read_text() for path in Path(__file__).resolve().parent.rglob("test_*.py"))
    for requirement in compliance_map.REQUIREMENTS:
        for test in requirement.tests:
            assert f"def {test}(" in sources, f"{requirement.number} names {test}, which no unit test defines"
    assert {"6.4.1, 6.4.2", "10.3", "10.5.1", "4.2.1"} <= {r.number for r in compliance_map.REQUIREMENTS}


def test_r19_readme_lists_exactly_the_unconditioned_service_principals_of_the_code() -> None:
    assert generated_block(COMPLIANCE_PAGE, "confused-deputy") == confused_deputy.markdown_table()
