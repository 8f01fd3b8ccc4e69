"""R19 (PCI DSS v4.0.1 10.2, 10.3, 10.5.1, 8.2.8): instance and session logs leave the instance, encrypted and kept."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from payment_failover.components.fleet import compute, instance_logs
from payment_failover.components.fleet.instance_logs import InstanceLogs
from payment_failover.components.observability.log_encryption import LOG_RETENTION_DAYS, LogArchive
from tests.helpers.cli import ROOT
from tests.helpers.support import bare_stack, user_data_script
from tests.helpers.synth import SynthesizedStage

DOCUMENT = "payment-failover-test-shell"
FLEET = "payment-failover-test"
SESSION_CHECK = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}


@pytest.fixture(scope="module")
def component() -> tuple[Template, InstanceLogs]:
    stack = bare_stack()
    archive = LogArchive(stack, "LogArchive", description="test")
    logs = InstanceLogs(
        stack, "InstanceLogs", log_archive=archive, session_document_name=DOCUMENT, operator_policy_name="ops"
    )
    role = iam.Role(stack, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    logs.allow_instances(role)
    logs.allow_operators_on(fleet_name_tag=FLEET)
    return Template.from_stack(stack), logs


@pytest.fixture(scope="module")
def template(component: tuple[Template, InstanceLogs]) -> Template:
    return component[0]


def _logical_ids(template: Template, type_: str, fragment: str) -> list[str]:
    return sorted(logical_id for logical_id in template.find_resources(type_) if fragment in logical_id)


def _log_group(template: Template, name: str) -> str:
    (logical_id,) = _logical_ids(template, "AWS::Logs::LogGroup", f"InstanceLogs{name}")
    return logical_id


def test_r19_four_log_groups_encrypted_with_the_archive_key_kept_18_months_and_retained(template: Template) -> None:
    groups = {name: _log_group(template, name) for name in ("System", "Auth", "HealthService", "Sessions")}
    (key_id,) = template.find_resources("AWS::KMS::Key")
    for logical_id in groups.values():
        resource = template.to_json()["Resources"][logical_id]
        assert resource["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert resource["Properties"]["RetentionInDays"] == LOG_RETENTION_DAYS >= 365
        assert resource["DeletionPolicy"] == "Retain"


def test_r19_the_agent_ships_the_system_auth_and_health_logs_each_to_its_own_group(
    component: tuple[Template, InstanceLogs],
) -> None:
    template, logs = component
    stack = Stack.of(logs)
    collected = logs.agent_config()["logs"]["logs_collected"]["files"]["collect_list"]
    assert {entry["file_path"]: stack.resolve(entry["log_group_name"]) for entry in collected} == {
        "/var/log/messages": {"Ref": _log_group(template, "System")},
        "/var/log/secure": {"Ref": _log_group(template, "Auth")},
        "/var/log/payment-health.log": {"Ref": _log_group(template, "HealthService")},
    }
    assert {entry["log_stream_name"] for entry in collected} == {"{instance_id}"}


def test_r19_sessions_stream_encrypted_into_their_group_and_end_after_15_idle_minutes(template: Template) -> None:
    ((_, document),) = template.find_resources("AWS::SSM::Document").items()
    props = document["Properties"]
    assert (props["Name"], props["DocumentType"], props["UpdateMethod"]) == (DOCUMENT, "Session", "NewVersion")
    content = props["Content"]
    assert (content["schemaVersion"], content["sessionType"]) == ("1.0", "Standard_Stream")
    inputs = content["inputs"]
    assert inputs["cloudWatchLogGroupName"] == {"Ref": _log_group(template, "Sessions")}
    assert inputs["cloudWatchEncryptionEnabled"] is True
    assert inputs["cloudWatchStreamingEnabled"] is True
    assert inputs["idleSessionTimeout"] == "15"
    assert inputs["runAsEnabled"] is False
    # Required by the schema even when sessions are not sent to S3.
    assert inputs["s3EncryptionEnabled"] is True


def _statements_of(template: Template, role_fragment: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if any(role_fragment in ref["Ref"] for ref in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _log_groups_written(statements: list[dict[str, Any]]) -> list[str]:
    """The log groups the agent's actions reach; `@aws-cdk/aws-iam:minimizePolicies` merges the four grants into
    one statement with a list of resources."""
    writes = [s for s in statements if sorted(s["Action"]) == sorted(instance_logs._AGENT_LOG_ACTIONS)]
    resources = [r for s in writes for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
    return sorted(resource["Fn::GetAtt"][0] for resource in resources)


def test_r19_instances_may_write_streams_into_these_four_groups_only(template: Template) -> None:
    statements = _statements_of(template, "InstanceRole")
    writes = [s for s in statements if s["Action"] != "logs:DescribeLogGroups"]
    assert all(sorted(s["Action"]) == sorted(instance_logs._AGENT_LOG_ACTIONS) for s in writes)
    assert _log_groups_written(statements) == sorted(
        _log_group(template, name) for name in ("System", "Auth", "HealthService", "Sessions")
    )
    (describe,) = [s for s in statements if s["Action"] == "logs:DescribeLogGroups"]
    assert describe["Resource"]["Fn::Join"][1][-1].endswith(":log-group:*")


def test_r19_operators_open_sessions_on_this_fleet_only_and_only_through_the_logging_document(
    template: Template,
) -> None:
    ((_, policy),) = template.find_resources("AWS::IAM::ManagedPolicy").items()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    starts = [s for s in statements.values() if s["Action"] == "ssm:StartSession"]
    # The check must be on every statement that allows StartSession, or the account default document slips in.
    assert len(starts) == 2
    assert all(s["Condition"]["BoolIfExists"] == SESSION_CHECK["BoolIfExists"] for s in starts)
    assert statements["ShellOnThisFleetOnly"]["Condition"]["StringEquals"] == {"ssm:resourceTag/Name": FLEET}
    # A literal ARN: `@aws-cdk/core:enablePartitionLiterals` writes the partition of the stack's known region.
    document_arn = statements["ThroughTheLoggingDocumentOnly"]["Resource"]
    assert document_arn == f"arn:aws:ssm:eu-central-1:123456789012:document/{DOCUMENT}"
    own = statements["OwnSessionsOnly"]
    assert own["Resource"]["Fn::Join"][1][-1].endswith(":session/${aws:userid}-*")
    assert sorted(own["Action"]) == ["ssm:ResumeSession", "ssm:TerminateSession"]


def test_r19_the_health_service_logs_under_the_identifier_rsyslog_routes() -> None:
    unit = (ROOT / "sample_service" / "systemd" / compute.UNIT_NAME).read_text()
    script = compute.SHIP_LOGS_FILE.read_text()
    assert f"SyslogIdentifier={instance_logs.HEALTH_SYSLOG_IDENTIFIER}\n" in unit
    assert f"if \\$programname == '{instance_logs.HEALTH_SYSLOG_IDENTIFIER}' then" in script
    assert f"HEALTH_LOG={instance_logs.HEALTH_LOG}\n" in script


# The product Stage: the component wired to the fleet.


def _launch_data(stage: SynthesizedStage) -> dict[str, Any]:
    ((_, resource),) = stage.service.find_resources("AWS::EC2::LaunchTemplate").items()
    return resource["Properties"]["LaunchTemplateData"]


def test_r19_the_fleet_user_data_carries_the_agent_configuration_of_its_own_log_groups(
    default_stage: SynthesizedStage,
) -> None:
    template = default_stage.service
    script = user_data_script(_launch_data(default_stage))
    start = script.index(f"cat > {compute.AGENT_CONFIG_PATH} <<'PAYMENT_FAILOVER_EOF'\n")
    body = script[script.index("\n", start) + 1 : script.index("\nPAYMENT_FAILOVER_EOF", start)]
    config = json.loads(re.sub(r"<Ref:(\w+)>", r"\1", body))
    targets = {e["file_path"]: e["log_group_name"] for e in config["logs"]["logs_collected"]["files"]["collect_list"]}
    assert targets == {
        instance_logs.SYSTEM_LOG: _log_group(template, "System"),
        instance_logs.AUTH_LOG: _log_group(template, "Auth"),
        instance_logs.HEALTH_LOG: _log_group(template, "HealthService"),
    }


def test_r19_the_fleet_role_holds_the_log_statements(default_stage: SynthesizedStage) -> None:
    statements = _statements_of(default_stage.service, "ComputeInstanceRole")
    assert _log_groups_written(statements) == sorted(
        _log_group(default_stage.service, name) for name in ("System", "Auth", "HealthService", "Sessions")
    )
