"""R23: the monthly cost of a configuration, counted from its templates and priced from a dated table."""

from __future__ import annotations

from pathlib import Path

import pytest

from payment_failover.tools import cost
from tests.helpers.docs_pages import ROOT, generated_block
from tests.helpers.synth import SynthesizedStage

COST_PAGE = "docs/cost.md"


def _items(stage: SynthesizedStage) -> dict[tuple[str, str], cost.Item]:
    items = cost.compute({name: t.to_json() for name, t in stage.templates.items()})
    return {(item.stack, item.what): item for item in items}


def test_r23_the_default_tier_counts_what_its_templates_create(default_stage: SynthesizedStage) -> None:
    items = _items(default_stage)
    tier = "payment-failover-dev"
    assert items[(tier, "EC2 t3.small at rest")].quantity == "6 x 730 h"
    # Decision 0011: no NAT gateway; the only public addresses are the load balancer's, one per AZ.
    assert (tier, "NAT gateways") not in items
    assert items[(tier, "public IPv4 addresses (ALB nodes)")].quantity == "3 x 730 h"
    # CloudFormation, SSM, SSM Messages, CloudWatch Logs, Auto Scaling, Elastic Load Balancing and CodeDeploy's agent
    # commands (R20), in three AZs each.
    assert items[(tier, "interface endpoints")].quantity == "21 endpoint-AZs x 730 h"
    assert items[(tier, "EC2 t3.small at rest")].monthly == pytest.approx(6 * 730 * 0.024)
    # The surplus credits of the budget: (40 % - 20 %) x 2 vCPUs, per instance.
    assert items[(tier, "surplus CPU credits at the CPU target (unlimited)")].monthly == pytest.approx(6 * 14.6)
    assert items[("payment-failover-dev-global-dns", "Route 53 health checks (HTTPS, 10 s)")].monthly == 2.5


def test_r21_r23_every_probe_costs_its_runs_at_its_schedule(default_stage: SynthesizedStage) -> None:
    """Synthetics bills per canary run (assumed rate, dated with the table); the zonal probe adds its per-AZ metrics."""
    items = _items(default_stage)
    tier = "payment-failover-dev"
    rate = cost.PRICES["eu-central-1"].canary_run
    for probe in ("service", "region", "zonal"):
        canary = items[(tier, f"Synthetics canary payment-failover-dev-{probe}")]
        assert canary.quantity == "43200 runs (rate(1 minute))"
        assert canary.monthly == pytest.approx(43_200 * rate)
    metrics = items[(tier, "custom metrics of payment-failover-dev-zonal")]
    assert metrics.quantity == "6 metrics, 43200 PutMetricData calls"  # success and latency for each of 3 AZs
    assert metrics.monthly == pytest.approx(6 * cost.CUSTOM_METRIC_MONTH + 43.2 * cost.PUT_METRIC_THOUSAND_REQUESTS)


@pytest.mark.parametrize(
    ("expression", "runs"), [("rate(1 minute)", 43_200), ("rate(5 minutes)", 8_640), ("rate(2 hours)", 360)]
)
def test_r23_a_canarys_runs_follow_its_rate(expression: str, runs: int) -> None:
    assert cost.canary_runs_per_month(expression) == runs


def test_r23_a_schedule_that_is_not_a_rate_is_refused_in_one_sentence() -> None:
    with pytest.raises(ValueError, match="only rate"):
        cost.canary_runs_per_month("cron(0 * * * ? *)")


def test_r23_a_standby_adds_its_own_region_priced_with_its_own_table(standby_stage: SynthesizedStage) -> None:
    items = _items(standby_stage)
    standby = "payment-failover-dev-standby"
    assert items[(standby, "EC2 t3.micro at rest")].monthly == pytest.approx(6 * 730 * 0.0114)
    assert items[(standby, "interface endpoints")].monthly == pytest.approx(21 * 730 * 0.011)


def test_r23_a_region_without_a_dated_table_is_one_sentence(
    tmp_path: Path, default_stage: SynthesizedStage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cost, "PRICES", {})
    with pytest.raises(ValueError, match=r"^no dated price table for eu-central-1: add one to"):
        cost.compute({name: t.to_json() for name, t in default_stage.templates.items()})


def test_r23_no_templates_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cost.main([str(tmp_path)]) == 2
    assert "run `make synth` first" in capsys.readouterr().err


def test_r23_the_docs_cost_table_is_the_commands_output(
    default_stage: SynthesizedStage, standby_stage: SynthesizedStage
) -> None:
    """`make docs` regenerates it; `make cost` prints the same table for whatever was synthesized."""
    default = {name: t.to_json() for name, t in default_stage.templates.items()}
    expected = cost.markdown_tables(
        cost.compute(default),
        cost.compute({name: t.to_json() for name, t in standby_stage.templates.items()}),
        cost.controlled_egress(default),
    )
    assert generated_block(COST_PAGE, "cost") == expected


def test_r23_decision_0011_quotes_what_controlled_egress_would_cost(default_stage: SynthesizedStage) -> None:
    """A NAT gateway, its address and a Network Firewall endpoint in each of the 3 AZs, at the dated table's rates;
    the decision record quotes the total, and this keeps the two equal."""
    items = cost.controlled_egress({name: t.to_json() for name, t in default_stage.templates.items()})
    assert [i.quantity for i in items] == ["3 x 730 h"] * 3
    total = sum(i.monthly for i in items)
    assert total == pytest.approx(3 * 730 * (0.052 + 0.005 + 0.395))
    decision = (ROOT / "docs" / "decisions" / "0011-no-nat-gateways-by-default.md").read_text()
    assert f"${total:,.2f}" in decision
