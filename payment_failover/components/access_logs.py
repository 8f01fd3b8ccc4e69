"""Access-log bucket for the load balancer: private, TLS-only, SSE-S3, versioned, undeletable, expiring.

ALB access logs can be delivered only to an SSE-S3 bucket
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html), so the
integrity controls are versioning and a bucket policy that denies object deletion to every principal; S3 Lifecycle
still expires objects, and the AWS page on lifecycle permissions names s3:DeleteObject, s3:DeleteObjectVersion and
s3:PutLifecycleConfiguration as what a bucket policy must deny to stop deletions
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-to-set-lifecycle-configuration-intro.html); the last one
stays with CloudFormation so retention changes only through a reviewed deploy.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from payment_failover.components.log_encryption import LOG_RETENTION_DAYS

NONCURRENT_GRACE_DAYS = 30


class AccessLogBucket(Construct):
    """Where the ALB writes its access logs.

    SSE-S3 rather than KMS: the load balancer's log delivery cannot write to a KMS-encrypted bucket.
    """

    def __init__(self, scope: Construct, id_: str, *, retention_days: int = LOG_RETENTION_DAYS) -> None:
        super().__init__(scope, id_)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # An overwritten or deleted log object stays recoverable as a noncurrent version (PCI DSS 10.3.3).
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(retention_days),
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=Duration.days(30)
                        )
                    ],
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                    # Expiry of a versioned object leaves a noncurrent version: remove it after a short grace.
                    noncurrent_version_expiration=Duration.days(NONCURRENT_GRACE_DAYS),
                )
            ],
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AccessLogsCannotBeDeleted",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
