"""Issue 6: the architecture diagram is drawn from the templates, and the committed picture is current."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from payment_failover.tools import diagram
from tests.helpers.synth import SynthesizedStage

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "architecture.svg"


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text")]


def _model(stage: SynthesizedStage) -> diagram.Model:
    return diagram.build_model([t.to_json() for t in stage.templates.values()])


def test_nodes_come_from_the_templates(default_stage: SynthesizedStage, custom_stage: SynthesizedStage) -> None:
    texts = _texts(diagram.render_svg(_model(default_stage)))
    for label in ("eu-central-1a", "eu-central-1b", "eu-central-1c", "pf-alb-dev (internet-facing)"):
        assert label in texts
    assert texts.count("1 subnet, no NAT gateway") == 3
    assert "payment-failover-dev-lose-eu-central-1b" in texts
    assert "payment-failover-dev-eu-central-1-DnsHealthCheckFailed" in texts
    assert "payments.example.com. simple alias → eu-central-1.payments.example.com" in texts
    custom = _texts(diagram.render_svg(_model(custom_stage)))
    assert "pf-alb-prod-eu (internet-facing)" in custom
    assert "pf-alb-dev (internet-facing)" not in custom


def test_model_counts_what_the_templates_build(default_stage: SynthesizedStage) -> None:
    model = _model(default_stage)
    assert sorted(model.zones) == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    assert all(zone.nat_gateways == 0 and zone.private_subnets == 1 for zone in model.zones.values())
    # 6 gray-failure detectors, 8 SLO burn-rate windows, 2 synthetic probes and one per AZ's node
    assert len(model.alarms["regional"]) == 11 + 6 + 8 + 2 + 3 + 2  # and the drills' two runaway alarms
    assert model.alarms["us-east-1"] == ["payment-failover-dev-eu-central-1-DnsHealthCheckFailed"]


def test_r18_the_diagram_shows_both_regions(standby_stage: SynthesizedStage) -> None:
    model = _model(standby_stage)
    assert sorted(model.zones) == [f"{r}{z}" for r in ("eu-central-1", "eu-west-1") for z in "abc"]
    assert len(model.load_balancers) == len(model.groups) == 2
    assert sorted(model.records) == [
        "eu-central-1.payments.example.com. simple alias → ALB",
        "eu-west-1.payments.example.com. simple alias → ALB",
        "payments.example.com. PRIMARY alias → eu-central-1.payments.example.com",
        "payments.example.com. SECONDARY alias → eu-west-1.payments.example.com",
    ]
    svg = diagram.render_svg(model)
    assert "eu-west-1c" in _texts(svg)
    assert int(ET.fromstring(svg).get("width", "0")) > diagram.WIDTH


def test_the_command_writes_a_non_empty_svg(default_stage: SynthesizedStage, tmp_path: Path) -> None:
    assembly = tmp_path / "cdk.out" / "assembly-PaymentFailover-dev"
    assembly.mkdir(parents=True)
    for name, template in default_stage.templates.items():
        (assembly / f"{name}.template.json").write_text(json.dumps(template.to_json()))
    target = tmp_path / "docs" / "architecture.svg"
    assert diagram.main([str(tmp_path / "cdk.out"), str(target)]) == 0
    assert target.stat().st_size > 2000
    assert ET.fromstring(target.read_text()).tag == "{http://www.w3.org/2000/svg}svg"


def test_the_committed_picture_is_current(default_stage: SynthesizedStage) -> None:
    """`make diagram` after a change that the picture shows."""
    assert COMMITTED.read_text() == diagram.render_svg(_model(default_stage))


def test_the_committed_standby_picture_is_current(standby_stage: SynthesizedStage) -> None:
    """`make diagram` draws it from a synth with the same standby configuration as this fixture."""
    assert (COMMITTED.parent / "architecture-standby.svg").read_text() == diagram.render_svg(_model(standby_stage))
