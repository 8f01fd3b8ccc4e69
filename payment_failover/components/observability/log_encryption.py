"""Log archive (R19, PCI DSS 10.3, 10.5.1): one customer-managed key for every log group of the stack.

CloudWatch Logs always encrypts at rest; a customer-managed key adds a key policy that says who may ever read
the logs, and CloudTrail records every use of it. The key policy lets only the CloudWatch Logs service of this
region use it, and only for log groups of this account and region (the encryption-context condition AWS
documents for log groups, which also keeps another account's log group from borrowing the key):
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from payment_failover.compliance import key_grants

# PCI DSS v4.0.1 10.5.1 asks for at least 12 months of audit log history; 18 months leaves a margin for an
# assessment that starts late or an investigation that reaches back past the year.
LOG_RETENTION = logs.RetentionDays.EIGHTEEN_MONTHS
LOG_RETENTION_DAYS = 545
# What CloudWatch Logs does with the key, in the words of the page above.
_LOGS_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


class LogArchive(Construct):
    """The key, and a factory for log groups that are encrypted with it, retained and never deleted with the stack."""

    def __init__(self, scope: Construct, id_: str, *, description: str) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            description=description,
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        key_grants.grants_only_for_aws_resources(self.key)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccountAndRegionOnly",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=_LOGS_KEY_ACTIONS,
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
                        )
                    }
                },
            )
        )

    def log_group(self, scope: Construct, id_: str, *, log_group_name: str | None = None) -> logs.LogGroup:
        """A log group encrypted with this archive's key, kept for `LOG_RETENTION`, retained on stack deletion."""
        return logs.LogGroup(
            scope,
            id_,
            log_group_name=log_group_name,
            encryption_key=self.key,
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
