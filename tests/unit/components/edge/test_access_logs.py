"""ALB access-log bucket: private, TLS-only, SSE-S3 (the ALB cannot write to KMS), lifecycle-managed."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from payment_failover.components.edge.access_logs import AccessLogBucket
from tests.helpers.support import bare_stack, single


@pytest.fixture(scope="module")
def template() -> Template:
    stack = bare_stack()
    AccessLogBucket(stack, "AccessLogs")
    return Template.from_stack(stack)


def test_bucket_is_sse_s3_encrypted_and_blocks_public_access(template: Template) -> None:
    bucket = single(template, "AWS::S3::Bucket")
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


def test_bucket_refuses_requests_without_tls(template: Template) -> None:
    statements = single(template, "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


def test_r19_logs_move_to_infrequent_access_and_expire_well_after_the_pci_year(template: Template) -> None:
    (rule,) = single(template, "AWS::S3::Bucket")["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 545 > 365
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rule["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]
    assert rule["Status"] == "Enabled"


def test_r19_bucket_is_versioned_so_an_overwritten_or_deleted_log_stays_recoverable(template: Template) -> None:
    assert single(template, "AWS::S3::Bucket")["VersioningConfiguration"] == {"Status": "Enabled"}


def test_r19_no_principal_may_delete_an_access_log_object_or_version(template: Template) -> None:
    statements = single(template, "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s.get("Sid") == "AccessLogsCannotBeDeleted"]
    assert (deny["Effect"], deny["Principal"]) == ("Deny", {"AWS": "*"})
    assert deny["Action"] == ["s3:DeleteObject", "s3:DeleteObjectVersion"]
