"""KMS key policies (R22, PCI DSS v4.0.1 7.2): grants on the tier's keys only for AWS resources.

A grant lets its grantee use a key without any key-policy or IAM change, so whoever may call kms:CreateGrant can
hand the key to anyone. The default key policy CDK writes gives the account kms:* (CreateGrant included). Every
customer-managed key of the tier therefore carries one deny: kms:CreateGrant unless an AWS service integrated with
KMS sends the request on the principal's behalf (`kms:GrantIsForAWSResource`,
https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html), the statement AWS Control Tower's
control CT.KMS.PV.1 asks of a key policy
(https://docs.aws.amazon.com/controltower/latest/controlreference/ct-kms-pv-1.html). Neither key of the tier is
used through grants by its services (CloudWatch Logs and SNS call it directly), so nothing that works stops.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

GRANTS_ONLY_FOR_AWS_RESOURCES_SID = "GrantsOnlyForAwsResources"


def grants_only_for_aws_resources(key: kms.Key) -> None:
    """Deny kms:CreateGrant on `key` to every principal unless an integrated AWS service asks for it."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=GRANTS_ONLY_FOR_AWS_RESOURCES_SID,
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "false"}},
        )
    )
