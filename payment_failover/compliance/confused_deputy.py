"""Confused-deputy protection (R19): the conditions that bind an AWS service to this account's own resources.

When a key, resource or trust policy names an AWS service as principal, any customer of that service could ask it
to act on our resources unless the statement also says *for whom*: `aws:SourceAccount` (the account that owns the
resource the service acts for) and `aws:SourceArn` (that resource). IAM's page on the problem:
https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html

A wrong value does not fail a deploy: the service is refused at run time and logs stop arriving or alarms stop
paging. So every condition here is the one the service's own page documents, with that page cited beside it, and
a service whose pages document no such keys is left unconditioned and listed in `UNCONDITIONED` with the reason
(tests/unit/compliance/test_confused_deputy.py fails on any service principal of the Stage that is neither).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from aws_cdk import Stack

Conditions = dict[str, dict[str, Any]]


def _bound(stack: Stack, source_arn: str) -> Conditions:
    """Both keys, as every page below writes them: the account by equality, the resource by ARN pattern."""
    return {"StringEquals": {"aws:SourceAccount": stack.account}, "ArnLike": {"aws:SourceArn": source_arn}}


def flow_logs_trust(stack: Stack) -> Conditions:
    """VPC Flow Logs assuming the role that writes to CloudWatch Logs.

    https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html : the source account owns the flow
    log and the source ARN is the flow log's, `arn:aws:ec2:region:account_id:vpc-flow-log/flow-log-id`, where the
    ID may be a wildcard when it is not known yet. It is not: the flow log names this role, so naming the flow log
    here would be a circular reference.
    """
    return _bound(stack, f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:vpc-flow-log/*")


def fis_trust(stack: Stack) -> Conditions:
    """AWS FIS assuming an experiment role.

    https://docs.aws.amazon.com/fis/latest/userguide/getting-started-iam-service-role.html : the source account
    owns the experiment and the source ARN is the experiment's, `arn:aws:fis:region:account_id:experiment/*`.
    """
    return _bound(stack, f"arn:{stack.partition}:fis:{stack.region}:{stack.account}:experiment/*")


def alarm_publisher(stack: Stack) -> Conditions:
    """CloudWatch alarms publishing to an SNS topic of the same region.

    The SNS access-policy examples bind a service publisher with `aws:SourceAccount` and CloudWatch alarms with
    `aws:SourceArn` = `arn:aws:cloudwatch:region:account:alarm:*`
    (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html); AWS's troubleshooting article
    for alarms that do not notify uses the same ArnLike form
    (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger). An alarm notifies topics of
    its own region only, so the region is the topic's. Composite alarms share the `alarm:` ARN form.
    """
    return _bound(stack, f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*")


def event_rule_publisher(stack: Stack) -> Conditions:
    """EventBridge rules of this account and region publishing to an SNS topic.

    EventBridge delivers to an SNS target under the topic's resource-based policy, and its page writes the
    `events.amazonaws.com` statement bound to the rule by `aws:SourceArn` =
    `arn:aws:events:region:account-id:rule/rule-name`
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html); the SNS examples bind a
    service publisher with `aws:SourceAccount` as well
    (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html). A rule targets topics of its own
    region only, so the region is the topic's; the rule names are left open so a new rule needs no policy change.
    """
    return _bound(stack, f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/*")


def event_rule_trust(stack: Stack) -> Conditions:
    """EventBridge assuming a rule target's role (the failback latch's, components/edge/failback_latch.py).

    EventBridge's condition-key table: `aws:SourceAccount` is "the account in which the rule specified by
    aws:SourceArn exists" and `aws:SourceArn` "the ARN of the rule that is sending the event"
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/policy-keys-eventbridge.html). Rules of this account and
    region; the rule's own name would make the role and the rule refer to each other.
    """
    return _bound(stack, f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/*")


def automation_trust(stack: Stack) -> Conditions:
    """Systems Manager Automation assuming a runbook's assume role (the failback latch's).

    The Automation assume-role page writes the trust of `ssm.amazonaws.com` "scoped to your AWS account" with
    `aws:SourceAccount` alone
    (https://docs.aws.amazon.com/systems-manager/latest/userguide/cloud-connector-gcp-automation-assume-role.html).
    """
    return {"StringEquals": {"aws:SourceAccount": stack.account}}


def log_delivery(stack: Stack) -> Conditions:
    """The CloudWatch Logs delivery service (vended logs such as AWS WAF's) writing to a log group.

    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html : the policy AWS
    writes itself for `delivery.logs.amazonaws.com` carries the account and `arn:aws:logs:region:account:*`.
    """
    return _bound(stack, f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:*")


@dataclass(frozen=True)
class Unconditioned:
    """A service principal that stays without `aws:SourceAccount`/`aws:SourceArn`, and why.

    `guard`: a condition key that must be on the statement instead (empty when none is documented either).
    """

    principal: str
    policy: str  # "trust", "key" or "resource"
    reason: str
    guard: str = ""
    stack: str = "stage"  # where it occurs: "stage" (the deployable Stage) or "pipeline" (the delivery pipeline)


# Every service principal of the Stage and the pipeline that carries neither key. One entry per (principal, policy
# kind); the principal may end in "*" to cover the regional form (logs.<region>.amazonaws.com).
UNCONDITIONED: tuple[Unconditioned, ...] = (
    Unconditioned(
        "logs.*.amazonaws.com",
        "key",
        "CloudWatch Logs' page on KMS keys documents the encryption-context condition "
        "kms:EncryptionContext:aws:logs:arn (the log group's ARN, so only log groups of this account and region) "
        "and no aws:SourceAccount/aws:SourceArn for the key policy: "
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
        guard="kms:EncryptionContext:aws:logs:arn",
    ),
    Unconditioned(
        "cloudwatch.amazonaws.com",
        "key",
        "SNS documents the key-policy statement that lets an AWS service publish to an encrypted topic without "
        "any condition, and no page of CloudWatch, SNS or KMS says the KMS request CloudWatch makes carries "
        "aws:SourceArn/aws:SourceAccount; a condition it does not carry would silently drop every alarm "
        "notification (R9). The topic policy, which SNS does document, carries both: "
        "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html",
    ),
    Unconditioned(
        "events.amazonaws.com",
        "key",
        "An EventBridge rule publishing to a KMS-encrypted topic needs a customer-managed key whose policy lets "
        "EventBridge use it (https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification); "
        "EventBridge documents aws:SourceArn/aws:SourceAccount for keys of its own event buses "
        "(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html), not for the KMS "
        "request made while publishing to a topic, and a condition it does not carry would drop every operator event. "
        "The topic policy, which EventBridge does document, carries both.",
    ),
    Unconditioned(
        "ec2.amazonaws.com",
        "trust",
        "An instance role: EC2 documents the trust policy without conditions, and which instance may carry the role "
        "is decided by iam:PassRole on the role, not by the trust policy: "
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html , "
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/permission-to-pass-iam-roles.html",
    ),
    Unconditioned(
        "logdelivery.elasticloadbalancing.amazonaws.com",
        "resource",
        "ALB access logs in a region opened after August 2022: the ELB page documents this principal with "
        "s3:PutObject on the account's log prefix and no aws:SourceAccount/aws:SourceArn (regions before that date "
        "use the regional Elastic Load Balancing account instead, which is not a service principal): "
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
    ),
    Unconditioned(
        "lambda.amazonaws.com",
        "trust",
        "The execution role of CDK's AwsCustomResource function (components/network/sdk_calls.py: the S3 "
        "prefix-list lookup and the default security group's revocations). Lambda's page says a trust policy may carry "
        "aws:SourceAccount/aws:SourceArn for requests generated by expected resources but gives no value for a "
        "function's own execution role: "
        "https://docs.aws.amazon.com/lambda/latest/dg/permissions-managed-policies.html ; a value Lambda does not "
        "send would fail the custom resource and roll the stack deploy back. The synthetic probes' canary roles too "
        "(components/observability/probes.py): Synthetics requires every canary role to trust lambda.amazonaws.com "
        "and writes that statement without a condition: "
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_CanaryPermissions.html"
        " . The zonal release's handlers and CDK's provider-framework functions too (components/delivery).",
    ),
    Unconditioned(
        "codedeploy.amazonaws.com",
        "trust",
        "The service role of the zonal releases' CodeDeploy deployment group (components/delivery). No CodeDeploy "
        "page the search found documents aws:SourceAccount/aws:SourceArn for that role's trust policy, and a "
        "condition CodeDeploy does not send would stop every release and every launch-hook deployment. Which "
        "group may use the role is decided by iam:PassRole on it, which passes a role only to a service in the "
        "same account: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    ),
    Unconditioned(
        "states.amazonaws.com",
        "trust",
        "The waiter state machine that CDK's custom-resource provider framework creates for the zonal release "
        "(components/delivery): the framework writes its role's trust without a condition, and no Step Functions "
        "page the search found gives a value for an execution role; a value Step Functions does not send would fail "
        "the release and roll the stack deploy back. Only this account can pass the role to a state machine: "
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    ),
    # The delivery pipeline's roles, which CDK Pipelines creates. A self-mutating pipeline whose own roles are
    # refused cannot deploy the fix for them, so an undocumented condition is worse here than anywhere.
    Unconditioned(
        "codebuild.amazonaws.com",
        "trust",
        "The CodeBuild service-role page shows the trust policy without aws:SourceAccount/aws:SourceArn "
        "(https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html); CodeBuild's own "
        "keys codebuild:projectArn and codebuild:buildArn are for identity policies, not for a trust policy "
        "(https://docs.aws.amazon.com/codebuild/latest/userguide/permissions-conditionkeys-variables.html).",
        stack="pipeline",
    ),
    Unconditioned(
        "codepipeline.amazonaws.com",
        "trust",
        "No CodePipeline page we found documents aws:SourceAccount/aws:SourceArn for the pipeline's service role, "
        "and the service-role page warns that changing the role can stop the pipeline: "
        "https://docs.aws.amazon.com/codepipeline/latest/userguide/how-to-custom-role.html",
        stack="pipeline",
    ),
)


def unconditioned(principal: str, policy: str) -> Unconditioned | None:
    """The `UNCONDITIONED` entry that covers this principal in this kind of policy, if any."""
    for entry in UNCONDITIONED:
        if entry.policy == policy and fnmatchcase(principal, entry.principal):
            return entry
    return None


def markdown_table() -> str:
    """The README's list of unconditioned service principals (`make readme`; a test keeps the two equal)."""
    rows = [
        "| service principal | policy | stack | why it carries no aws:SourceAccount/aws:SourceArn |",
        "|---|---|---|---|",
    ]
    for entry in UNCONDITIONED:
        guard = f" Bound instead by `{entry.guard}`." if entry.guard else ""
        rows.append(f"| `{entry.principal}` | {entry.policy} | {entry.stack} | {entry.reason}{guard} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
