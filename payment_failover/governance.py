"""Compliance: the AWS Solutions rule pack on every stack, and every finding we accept, with why.

A reviewer reads this file top to bottom to know which rules the templates knowingly break.
Anything not acknowledged here fails the synth with the finding printed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, CfnElement, Validations
from aws_cdk import aws_codebuild as codebuild
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

if TYPE_CHECKING:
    from payment_failover.stacks.pipeline_stack import PipelineStack
    from payment_failover.stacks.service_stack import ServiceStack


def apply_compliance_checks(scope: IConstruct) -> None:
    """Run cdk-nag's AWS Solutions pack over every stack below `scope`.

    Validation plugins, like aspects, must be added to the Stage itself: the App's do not reach in.
    """
    Validations.of(scope).add_plugins(AwsSolutionsChecks(verbose=True))


HARDCODED_AZS = Acknowledgment(
    id="CloudFormation-Validate::W3010",
    reason=(
        "R1 pins the tier to eu-central-1a/b/c by name: the per-AZ alarms, the balance rule and the "
        "AZ-loss drills all refer to these exact zones, so they cannot be looked up at deploy time."
    ),
)

PUBLIC_HTTPS_ENTRY = Acknowledgment(
    id="AwsSolutions::AwsSolutions-EC23",
    reason=(
        "The ALB is the payment service's public entry point: it must accept 443 from any client, and 80 "
        "only to answer with a redirect to HTTPS. Instances accept traffic from this security group only."
    ),
)

SESSION_MANAGER_POLICY = Acknowledgment(
    id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
    reason=(
        "Session Manager replaces SSH (R6); AmazonSSMManagedInstanceCore is the policy AWS maintains for exactly "
        "that agent, and the role has nothing else."
    ),
)

LOG_BUCKET_NOT_SELF_LOGGED = Acknowledgment(
    id="AwsSolutions::AwsSolutions-S1",
    reason=(
        "This bucket only receives the ALB's access logs; logging its own access to another bucket would "
        "start a chain of log buckets. It is private, TLS-only, SSE-S3 encrypted and expires objects."
    ),
)


_DRILL_ARN = "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>"
DRILL_INSTANCES = Acknowledgment(
    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{_DRILL_ARN}:instance/*]",
    reason=(
        "The AZ-loss drill stops whichever instances the ASG runs at that moment; their ids are unknown at "
        "deploy time, so the statement is scoped by the aws:autoscaling:groupName tag of this ASG instead."
    ),
)
DRILL_NETWORK_ACLS = Acknowledgment(
    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{_DRILL_ARN}:network-acl/*]",
    reason=(
        "FIS creates the network ACL that cuts an AZ off during the drill, so its id cannot be known in advance; "
        "changes are limited to ACLs tagged managedByFIS and to this VPC."
    ),
)
DRILL_SUBNETS = Acknowledgment(
    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{_DRILL_ARN}:subnet/*]",
    reason=(
        "Swapping a subnet's network ACL is allowed only within this VPC (ec2:Vpc condition); the experiment "
        "template itself names the one AZ's subnets it targets."
    ),
)
DRILL_KMS_GRANTS = Acknowledgment(
    id="AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]",
    reason=(
        "FIS restarts the stopped instances, whose root volumes are encrypted with the account's default EBS key; "
        "the grant is allowed only through EC2 (kms:ViaService) and only for an AWS resource."
    ),
)
DRILL_DESCRIBE_AND_LOGS = Acknowledgment(
    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
    reason=(
        "Calls that resolve drill targets (EC2, Auto Scaling, tag and ARC list/describe calls) and the CloudWatch "
        "Logs delivery calls FIS uses for experiment logs do not support resource-level permissions; they read or "
        "deliver, never change. The two that change something are scoped by condition: ec2:InjectApiError to this "
        "ASG (ec2:FisTargetArns) and zonal shifts to this ALB and ASG (arc-zonal-shift:ResourceIdentifier)."
    ),
)


def acknowledge_service_findings(stack: ServiceStack) -> None:
    """The design decisions of the regional web tier that the rule packs flag."""
    Validations.of(stack.network).acknowledge(HARDCODED_AZS)
    Validations.of(stack.load_balancer.security_group).acknowledge(PUBLIC_HTTPS_ENTRY)
    Validations.of(stack.compute.role).acknowledge(SESSION_MANAGER_POLICY)
    Validations.of(stack.access_logs.bucket).acknowledge(LOG_BUCKET_NOT_SELF_LOGGED)
    Validations.of(stack.drills.role).acknowledge(
        DRILL_INSTANCES, DRILL_NETWORK_ACLS, DRILL_SUBNETS, DRILL_KMS_GRANTS, DRILL_DESCRIBE_AND_LOGS
    )


# The delivery pipeline (R14). CDK Pipelines generates these roles and buckets; the rule ids embed
# generated logical ids, account and region, so they are derived from the stack in code below.
IAM5 = "AwsSolutions::AwsSolutions-IAM5"
PIPELINE_GRANT_ACTIONS = (
    "s3:Abort*",
    "s3:DeleteObject*",
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
PIPELINE_ARTIFACTS_REASON = (
    "CDK Pipelines grants its roles these S3 and KMS action families on the pipeline's own artifact buckets "
    "and keys only: every execution writes and reads artifacts under keys CodePipeline generates."
)
PIPELINE_BUILD_LOGS_REASON = (
    "A CodeBuild project of the pipeline writes its own log group and report groups, whose stream and report "
    "names CodeBuild generates per build (the asset-publishing role serves every asset project)."
)
PIPELINE_SELF_MUTATION_REASON = (
    "Self-mutation runs `cdk deploy` of the pipeline stack: it may assume only the tooling account's CDK "
    "bootstrap roles (conditioned on their aws-cdk:bootstrap-role tag)."
)
PIPELINE_ANY_RESOURCE_REASON = (
    "Generated by CDK Pipelines for calls without resource-level scoping here: starting the asset builds, "
    "using the other region's replication key (addressed by alias), describing stacks before self-mutation."
)
PIPELINE_BUCKET_LOGS_REASON = (
    "The pipeline's artifact and replication buckets hold only transient, KMS-encrypted build artifacts whose "
    "every read and write is a pipeline action recorded by CodePipeline and CloudTrail."
)
PIPELINE_ROWS = (
    (
        "AwsSolutions::AwsSolutions-IAM5[Action::s3:Abort*, s3:DeleteObject*, s3:GetBucket*, s3:GetObject*, "
        "s3:List*, kms:GenerateDataKey*, kms:ReEncrypt*] and [Resource::<artifact bucket>/*] (pipeline)",
        PIPELINE_ARTIFACTS_REASON,
    ),
    (
        "AwsSolutions::AwsSolutions-IAM5[Resource::…:report-group/…, …:log-group:/aws/codebuild/…] (pipeline)",
        PIPELINE_BUILD_LOGS_REASON,
    ),
    (
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:*:iam::<pipeline account>:role/*] (pipeline)",
        PIPELINE_SELF_MUTATION_REASON,
    ),
    ("AwsSolutions::AwsSolutions-IAM5[Resource::*] (pipeline)", PIPELINE_ANY_RESOURCE_REASON),
    ("AwsSolutions::AwsSolutions-S1 (pipeline artifact and replication buckets)", PIPELINE_BUCKET_LOGS_REASON),
)


def acknowledge_pipeline_findings(stack: PipelineStack) -> None:
    """The roles and buckets CDK Pipelines generates (call after `build_pipeline()`), which the pack flags."""
    pipeline = stack.pipeline.pipeline
    artifacts = pipeline.artifact_bucket.node.default_child
    if not isinstance(artifacts, CfnElement):
        raise TypeError("the pipeline's artifact bucket has no CloudFormation resource")
    arn = f"arn:aws:{{service}}:{stack.region}:{stack.account}"
    acks = [Acknowledgment(id=f"{IAM5}[Action::{a}]", reason=PIPELINE_ARTIFACTS_REASON) for a in PIPELINE_GRANT_ACTIONS]
    acks.append(
        Acknowledgment(
            id=f"{IAM5}[Resource::<{stack.get_logical_id(artifacts)}.Arn>/*]", reason=PIPELINE_ARTIFACTS_REASON
        )
    )
    for support in pipeline.cross_region_support.values():
        bucket = stack.resolve(support.replication_bucket.bucket_name)
        acks.append(Acknowledgment(id=f"{IAM5}[Resource::arn:aws:s3:::{bucket}/*]", reason=PIPELINE_ARTIFACTS_REASON))
        Validations.of(support.stack).acknowledge(
            Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason=PIPELINE_BUCKET_LOGS_REASON)
        )
    projects = [stack.get_logical_id(p) for p in stack.node.find_all() if isinstance(p, codebuild.CfnProject)]
    for report_group, log_group in [("*", "*"), *((f"<{p}>-*", f"<{p}>:*") for p in projects)]:
        acks += [
            Acknowledgment(
                id=f"{IAM5}[Resource::{arn.format(service='codebuild')}:report-group/{report_group}]",
                reason=PIPELINE_BUILD_LOGS_REASON,
            ),
            Acknowledgment(
                id=f"{IAM5}[Resource::{arn.format(service='logs')}:log-group:/aws/codebuild/{log_group}]",
                reason=PIPELINE_BUILD_LOGS_REASON,
            ),
        ]
    acks += [
        Acknowledgment(id=f"{IAM5}[Resource::arn:*:iam::{stack.account}:role/*]", reason=PIPELINE_SELF_MUTATION_REASON),
        Acknowledgment(id=f"{IAM5}[Resource::*]", reason=PIPELINE_ANY_RESOURCE_REASON),
        Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason=PIPELINE_BUCKET_LOGS_REASON),
    ]
    Validations.of(stack).acknowledge(*acks)


def markdown_table() -> str:
    """The README's Compliance table: every acknowledgement with its reason."""
    rows = ["| rule | reason |", "|---|---|"]
    acknowledgements = [value for value in globals().values() if isinstance(value, Acknowledgment)]
    rows += [f"| `{ack.id}` | {ack.reason} |" for ack in acknowledgements]
    rows += [f"| `{rule}` | {reason} |" for rule, reason in PIPELINE_ROWS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
