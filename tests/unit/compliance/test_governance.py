"""Compliance gate: cdk-nag's AWS Solutions pack reaches every stack and only documented findings pass."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from payment_failover.compliance import governance
from payment_failover.stage import PaymentFailoverStage
from tests.helpers.docs_pages import generated_block
from tests.helpers.support import settings_from

COMPLIANCE_PAGE = "docs/compliance.md"
ACKNOWLEDGEMENTS = [value for value in vars(governance).values() if isinstance(value, cdk.Acknowledgment)]


def _synth(outdir: Path, add: Any = None) -> dict[str, Any]:
    """Synthesize the default Stage the way the CLI does (validation on) and return the report."""
    app = cdk.App(outdir=str(outdir))
    stage = PaymentFailoverStage(app, "PaymentFailover-dev", settings=settings_from())
    if add is not None:
        add(stage)
    app.synth()
    return json.loads((outdir / "validation-report.json").read_text())


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _synth(tmp_path_factory.mktemp("compliant"))


PACKS = ("AwsSolutions", "PCI.DSS.321", "NIST.800.53.R5")


@pytest.mark.parametrize("pack", PACKS)
def test_r19_the_default_stage_has_no_unacknowledged_finding_in_any_pack(report: dict[str, Any], pack: str) -> None:
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == pack]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []


def test_r19_the_pci_and_nist_packs_cannot_be_silently_off(tmp_path: Path) -> None:
    """A log group without a customer-managed key breaks a rule of each new pack: both must fail the synth."""

    def add_plain_log_group(stage: PaymentFailoverStage) -> None:
        logs.LogGroup(stage.service, "PlainLogs")

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        _synth(tmp_path, add_plain_log_group)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    flagged = {
        (r["pluginName"], v["ruleName"])
        for r in report["pluginReports"]
        for v in r["violations"]
        if any(c["constructPath"] == "PaymentFailover-dev/Service/PlainLogs/Resource" for c in v["violatingConstructs"])
    }
    assert ("PCI.DSS.321", "PCI.DSS.321-CloudWatchLogGroupEncrypted") in flagged
    assert ("NIST.800.53.R5", "NIST.800.53.R5-CloudWatchLogGroupEncrypted") in flagged


def test_r19_the_governance_module_imports_no_stack() -> None:
    """The stacks call governance; governance importing a stack back was the project's only import circle."""
    tree = ast.parse(Path(governance.__file__).read_text())
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert [name for name in imported if name.startswith("payment_failover")] == []


def test_every_suppressed_finding_is_one_of_ours_with_its_reason(report: dict[str, Any]) -> None:
    reasons = {ack.id: ack.reason for ack in ACKNOWLEDGEMENTS}
    suppressed = [v for r in report["pluginReports"] for v in r["suppressedViolations"]]
    rules = {v["ruleName"].split("[")[0] for v in suppressed}
    assert rules >= {"AwsSolutions-EC23", "AwsSolutions-IAM4", "AwsSolutions-S1", "W3010"}
    for violation in suppressed:
        assert reasons[violation["acknowledgedId"]] == violation["reason"]


def test_nag_reaches_into_the_stage_and_fails_a_noncompliant_construct(tmp_path: Path) -> None:
    """If the plugin were not wired into the Stage, this bucket would pass silently."""

    def add_bucket(stage: PaymentFailoverStage) -> None:
        s3.Bucket(stage.service, "PlainBucket")

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        _synth(tmp_path, add_bucket)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    flagged = {(v["ruleName"], c["constructPath"]) for v in nag["violations"] for c in v["violatingConstructs"]}
    assert ("AwsSolutions-S10", "PaymentFailover-dev/Service/PlainBucket/Resource") in flagged


def test_nag_reaches_the_us_east_1_stack_too(tmp_path: Path) -> None:
    def open_ssh(stage: PaymentFailoverStage) -> None:
        ec2.CfnSecurityGroup(
            stage.global_dns,
            "OpenSsh",
            group_description="deliberately non-compliant",
            security_group_ingress=[
                ec2.CfnSecurityGroup.IngressProperty(ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="0.0.0.0/0")
            ],
        )

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        _synth(tmp_path, open_ssh)
    assert "PaymentFailover-dev/GlobalDns/OpenSsh" in (tmp_path / "validation-report.json").read_text()


@pytest.mark.parametrize("ack", ACKNOWLEDGEMENTS, ids=[a.id for a in ACKNOWLEDGEMENTS])
def test_each_acknowledgement_names_a_design_decision(ack: cdk.Acknowledgment) -> None:
    assert len(ack.reason) > 80


def test_readme_compliance_table_is_the_governance_modules_output() -> None:
    block = generated_block(COMPLIANCE_PAGE, "compliance")
    assert block == governance.markdown_table()
    assert len(ACKNOWLEDGEMENTS) + len(governance.PIPELINE_ROWS) == block.count("\n") - 1


def test_nag_reaches_the_pipeline_stack(tmp_path: Path) -> None:
    """The pipeline's generated roles are acknowledged one by one; anything new in its stack still fails."""
    from payment_failover.pipeline.stack import PIPELINE_STACK_NAME, PipelineStack
    from tests.helpers.pipeline_context import pipeline_settings

    app = cdk.App(outdir=str(tmp_path))
    PaymentFailoverStage(app, "PaymentFailover-dev", settings=settings_from())
    pipeline = PipelineStack(app, PIPELINE_STACK_NAME, settings=pipeline_settings())
    s3.Bucket(pipeline, "PlainBucket")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    flagged = {
        (v["ruleName"], c["constructPath"])
        for r in report["pluginReports"]
        for v in r["violations"]
        for c in v["violatingConstructs"]
    }
    assert ("AwsSolutions-S10", f"{PIPELINE_STACK_NAME}/PlainBucket/Resource") in flagged
