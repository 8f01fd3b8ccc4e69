"""Access-log bucket for the load balancer: private, TLS-only, SSE-S3, expiring."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct


class AccessLogBucket(Construct):
    """Where the ALB writes its access logs.

    SSE-S3 rather than KMS: the load balancer's log delivery cannot write to a KMS-encrypted bucket.
    """

    def __init__(self, scope: Construct, id_: str, *, retention_days: int = 365) -> None:
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
                )
            ],
        )
