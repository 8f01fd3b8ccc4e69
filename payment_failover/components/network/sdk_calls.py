"""One deploy-time AWS API call, made by CDK's `AwsCustomResource` (R19).

Two things the templates need have no CloudFormation property: the id of the region's S3 prefix list (an
`AWS::EC2::VPCEndpoint` returns no prefix list id, aws-cloudformation/cloudformation-coverage-roadmap#453) and
the removal of the rules AWS puts in a VPC's default security group. Both are single EC2 API calls, so they share
CDK's one singleton Lambda function per stack, whose role gets one scoped policy per call. Its log group is the
tier's: KMS-encrypted and kept 18 months like every other (PCI DSS v4.0.1 10.3, 10.5.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from payment_failover.components.observability.log_encryption import LogArchive

LOG_GROUP_ID = "SdkCallLogs"


def sdk_call(
    scope: Construct,
    id_: str,
    *,
    log_archive: LogArchive,
    action: str,
    parameters: dict[str, Any],
    physical_id: cr.PhysicalResourceId,
    statements: Sequence[iam.PolicyStatement],
    output_paths: Sequence[str] | None = None,
    ignore_error_codes: str | None = None,
) -> cr.AwsCustomResource:
    """An EC2 API call made on create and when the resource's properties change (CloudFormation sends Update only
    then: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html), never
    on delete."""
    call = cr.AwsSdkCall(
        service="EC2",
        action=action,
        parameters=parameters,
        physical_resource_id=physical_id,
        output_paths=list(output_paths) if output_paths else None,
        ignore_error_codes_matching=ignore_error_codes,
    )
    return cr.AwsCustomResource(
        scope,
        id_,
        on_create=call,
        on_update=call,
        policy=cr.AwsCustomResourcePolicy.from_statements(list(statements)),
        # The SDK the Lambda runtime ships: no download of `latest` from npm at deploy time.
        install_latest_aws_sdk=False,
        log_group=_shared_log_group(scope, log_archive),
    )


def provider_function(stack: Stack) -> Construct:
    """CDK's singleton function behind every `sdk_call` of `stack` (for the compliance acknowledgements)."""
    function_id = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
    found = stack.node.try_find_child(function_id)
    if not isinstance(found, Construct):
        raise LookupError(f"{stack.node.path} makes no deploy-time SDK call")
    return found


def _shared_log_group(scope: Construct, log_archive: LogArchive) -> logs.ILogGroup:
    """The singleton function's one log group per stack (the first call to build the function decides it)."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(LOG_GROUP_ID)
    if isinstance(existing, logs.LogGroup):
        return existing
    return log_archive.log_group(stack, LOG_GROUP_ID)
