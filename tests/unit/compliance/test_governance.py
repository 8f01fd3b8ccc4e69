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
from tests.helpers.synth import project_app

COMPLIANCE_PAGE = "docs/compliance.md"
ACKNOWLEDGEMENTS = [value for value in vars(governance).values() if isinstance(value, cdk.Acknowledgment)]


def _synth(outdir: Path, add: Any = None, *, validate: bool = False) -> Any:
    """Synthesize a Stage through an App as app.py builds it (the gate's CloudFormation validation when `validate`)
    and return the validation report."""
    app = project_app(outdir=str(outdir), validate=validate)
    stage = PaymentFailoverStage(app, "PaymentFailover-dev", settings=settings_from())
    if add is not None:
        add(stage)
    app.synth()
    return json.loads((outdir / "validation-report.json").read_text())


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The default configuration through the whole gate: the three packs and CloudFormation's Validate plugin, the
    check a deployable synth runs (payment_failover/application.py) and an iteration synth skips."""
    return _synth(tmp_path_factory.mktemp("compliant"), validate=True)


def test_r24_cloudformation_validation_reaches_into_the_stage_and_stops_a_bad_template(tmp_path: Path) -> None:
    """The gate's CloudFormation validation (payment_failover/application.py) checks the stacks inside the Stage.

    Version reporting is off here only: with it on, as the CLI runs the app, CDK leaves CloudFormation
    Validate's acknowledged findings out of validation-report.json (observed with aws-cdk-lib 2.275), and this
    test also holds the W3010 acknowledgement to its reason."""

    def add_invalid_vpc(stage: PaymentFailoverStage) -> None:
        cdk.CfnResource(stage.service, "Invalid", type="AWS::EC2::VPC", properties={"CidrBlock": "10.0.0.0/16", "X": 1})

    app = project_app({"aws:cdk:version-reporting": False}, outdir=str(tmp_path), validate=True)
    add_invalid_vpc(PaymentFailoverStage(app, "PaymentFailover-dev", settings=settings_from()))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (validate,) = [r for r in report["pluginReports"] if r["pluginName"] == "CloudFormation Validate"]
    assert validate["conclusion"] == "failure"
    flagged = {c["constructPath"] for v in validate["violations"] for c in v["violatingConstructs"]}
    assert "PaymentFailover-dev/Service/Invalid" in flagged
    (w3010,) = {v["reason"] for v in validate["suppressedViolations"] if v["ruleName"] == "W3010"}
    assert w3010 == governance.HARDCODED_AZS.reason


def test_r24_without_the_gate_the_same_template_passes_synth(tmp_path: Path) -> None:
    """An iteration synth skips CloudFormation validation: the check above is the gate's, not every synth's."""
    app = project_app(outdir=str(tmp_path), validate=False)
    stage = PaymentFailoverStage(app, "PaymentFailover-dev", settings=settings_from())
    cdk.CfnResource(stage.service, "Invalid", type="AWS::EC2::VPC", properties={"CidrBlock": "10.0.0.0/16", "X": 1})
    app.synth()
    names = {r["pluginName"] for r in json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]}
    assert names == set(PACKS)


def test_r24_the_standby_configuration_passes_cloudformation_validation_and_every_pack(tmp_path: Path) -> None:
    """The standby example (tests/conftest.py: STANDBY_CONTEXT) through the same gate: a second region's stack and
    the failover records are validated as a deploy would validate them."""
    from tests.conftest import STANDBY_CONTEXT

    # Version reporting off for this synth only: with it on, CDK leaves a successful Validate report out of
    # validation-report.json, and this test must see that the validation ran (decision 0008).
    app = project_app({"aws:cdk:version-reporting": False}, outdir=str(tmp_path), validate=True)
    PaymentFailoverStage(app, "PaymentFailover-dev", settings=settings_from(STANDBY_CONTEXT))
    app.synth()
    standby = json.loads((tmp_path / "validation-report.json").read_text())
    conclusions = {r["pluginName"]: (r["conclusion"], r["violations"]) for r in standby["pluginReports"]}
    assert set(conclusions) == {"CloudFormation Validate", *PACKS}
    assert all(conclusion == ("success", []) for conclusion in conclusions.values()), conclusions


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
    # One rule id may be acknowledged on several constructs, each with the reason that is true for it.
    reasons: dict[str, set[str]] = {}
    for ack in ACKNOWLEDGEMENTS:
        reasons.setdefault(ack.id, set()).add(ack.reason)
    suppressed = [v for r in report["pluginReports"] for v in r["suppressedViolations"]]
    rules = {v["ruleName"].split("[")[0] for v in suppressed}
    assert rules >= {"AwsSolutions-EC23", "AwsSolutions-IAM5", "AwsSolutions-S1"}  # W3010: the gate test above
    derived = {reason for _, reason in governance.RELEASE_ROWS}  # ids with generated names (zonal release)
    for violation in suppressed:
        assert violation["reason"] in reasons.get(violation["acknowledgedId"], derived)


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
    rows = len(ACKNOWLEDGEMENTS) + len(governance.RELEASE_ROWS) + len(governance.PIPELINE_ROWS)
    assert rows == block.count("\n") - 1


def test_nag_reaches_the_pipeline_stack(tmp_path: Path) -> None:
    """The pipeline's generated roles are acknowledged one by one; anything new in its stack still fails."""
    from payment_failover.pipeline.stack import PIPELINE_STACK_NAME, PipelineStack
    from tests.helpers.pipeline_context import pipeline_settings

    app = project_app(outdir=str(tmp_path))
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
