"""R19 on the deployed stack: the logging Session document, its encrypted log group, and the operator policy."""

from __future__ import annotations

import json

import pytest

from payment_failover.components.fleet.instance_logs import IDLE_SESSION_MINUTES
from payment_failover.components.observability.log_encryption import LOG_RETENTION_DAYS
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration


def test_r19_the_session_document_streams_sessions_into_an_encrypted_group_kept_18_months(
    deployment: Deployment,
) -> None:
    ssm = deployment.client("ssm")
    name = deployment.service["SessionDocumentName"]
    document = ssm.get_document(Name=name, DocumentFormat="JSON")
    assert document["DocumentType"] == "Session"
    inputs = json.loads(document["Content"])["inputs"]
    assert inputs["idleSessionTimeout"] == str(IDLE_SESSION_MINUTES)
    assert inputs["cloudWatchEncryptionEnabled"] is True
    (group,) = deployment.client("logs").describe_log_groups(logGroupNamePrefix=inputs["cloudWatchLogGroupName"])[
        "logGroups"
    ]
    assert group["logGroupName"] == inputs["cloudWatchLogGroupName"]
    assert group["retentionInDays"] == LOG_RETENTION_DAYS
    assert group["kmsKeyId"].startswith("arn:aws:kms:")


def test_r19_the_operator_policy_allows_sessions_only_through_that_document(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    arn = deployment.service["OperatorSessionPolicyArn"]
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    statements = json.loads(document) if isinstance(document, str) else document
    starts = [s for s in statements["Statement"] if s["Action"] == "ssm:StartSession"]
    assert len(starts) == 2
    for statement in starts:
        assert statement["Condition"]["BoolIfExists"] == {"ssm:SessionDocumentAccessCheck": "true"}
    assert any(s["Resource"].endswith(f":document/{deployment.service['SessionDocumentName']}") for s in starts)
