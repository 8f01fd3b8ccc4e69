"""Access-log bucket for the load balancer: private, TLS-only, SSE-S3, versioned, undeletable, expiring.

ALB access logs can be delivered only to an SSE-S3 bucket
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html), so the
integrity controls are versioning and a bucket policy that denies object deletion to every principal; S3 Lifecycle
still expires objects, and the AWS page on lifecycle permissions names s3:DeleteObject, s3:DeleteObjectVersion and
s3:PutLifecycleConfiguration as what a bucket policy must deny to stop deletions
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-to-set-lifecycle-configuration-intro.html); the last one
stays with CloudFormation so retention changes only through a reviewed deploy.

Who may write (R19, confused deputy): exactly the principal the ELB page documents for the load balancer's region
and nothing else, on the account's own prefix. CDK's `log_access_logs` would also grant the CloudWatch Logs
delivery service (`delivery.logs.amazonaws.com`) without aws:SourceAccount/aws:SourceArn, a principal the ALB page
no longer names for any region, so the grant is written here instead.
"""

from __future__ import annotations

from aws_cdk import CfnResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from payment_failover.components.observability.log_encryption import LOG_RETENTION_DAYS

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


# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html : in a region
# available before August 2022 the bucket policy lets that region's Elastic Load Balancing account put objects under
# the prefix; in a later region the service principal below does. Neither form carries a condition there.
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"


def alb_log_writer(region: str) -> iam.IPrincipal:
    """Who writes an ALB's access logs in `region`, as the ELB page above documents it."""
    elb_account = RegionInfo.get(region).elbv2_account
    if elb_account:
        return iam.AccountPrincipal(elb_account)
    return iam.ServicePrincipal(ELB_LOG_DELIVERY_SERVICE)


def log_alb_access(load_balancer: elbv2.ApplicationLoadBalancer, bucket: s3.IBucket, *, prefix: str) -> None:
    """Turn on the ALB's access logs into `bucket` under `prefix`, granting only the documented writer."""
    stack = Stack.of(load_balancer)
    load_balancer.set_attribute("access_logs.s3.enabled", "true")
    load_balancer.set_attribute("access_logs.s3.bucket", bucket.bucket_name)
    load_balancer.set_attribute("access_logs.s3.prefix", prefix)
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AlbAccessLogDelivery",
            principals=[alb_log_writer(stack.region)],
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"{prefix}/AWSLogs/{stack.account}/*")],
        )
    )
    # The ALB checks that it can write when access logging is turned on: the policy must exist first.
    policy = bucket.policy.node.default_child if bucket.policy else None
    lb = load_balancer.node.default_child
    if isinstance(policy, CfnResource) and isinstance(lb, CfnResource):
        lb.add_resource_dependency(policy)
