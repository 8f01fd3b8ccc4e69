"""Compliance: cdk-nag's AWS Solutions, PCI DSS 3.2.1 and NIST 800-53 R5 packs on every stack, and every finding
we accept, with why.

A reviewer reads this file top to bottom to know which rules the templates knowingly break.
Anything not acknowledged here fails the synth with the finding printed. The module imports no stack: the Stage
and the pipeline stack hand it the constructs each acknowledgement applies to.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import IConstruct

PCI = "PCI.DSS.321"
NIST = "NIST.800.53.R5"
IAM5 = "AwsSolutions::AwsSolutions-IAM5"


def apply_compliance_checks(scope: IConstruct) -> None:
    """Run cdk-nag's AWS Solutions, PCI DSS 3.2.1 and NIST 800-53 R5 packs over every stack below `scope`.

    Validation plugins, like aspects, must be added to the Stage itself: the App's do not reach in.
    """
    Validations.of(scope).add_plugins(
        AwsSolutionsChecks(verbose=True), PCIDSS321Checks(verbose=True), NIST80053R5Checks(verbose=True)
    )


def _in_both_packs(rule: str, reason: str) -> tuple[Acknowledgment, Acknowledgment]:
    """The PCI DSS and NIST packs share most rules; a deliberate design answers both the same way."""
    return (
        Acknowledgment(id=f"{PCI}::{PCI}-{rule}", reason=reason),
        Acknowledgment(id=f"{NIST}::{NIST}-{rule}", reason=reason),
    )


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

SESSION_MANAGER_AGENT = Acknowledgment(
    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
    reason=(
        "Instance role: only the five actions of AWS's minimal Session Manager instance policy (the agent's "
        "ssm:UpdateInstanceInformation and the four ssmmessages channel actions), which AWS writes on * and whose "
        "ssmmessages actions take no resource type, and the CodeDeploy agent's four codedeploy-commands-secure "
        "actions, which take no resource type either (Service Authorization Reference). No AWS managed policy: "
        "nothing reads SSM parameters, documents, associations or patches. The ssm, ssmmessages and "
        "codedeploy-commands-secure endpoints admit only these actions from this account."
    ),
)

_LAUNCH_TEMPLATE_THROUGH_MIXED_POLICY = (
    "With several instance types the group names its launch template inside MixedInstancesPolicy, which this rule "
    "does not read (it fails or reports the group as if it had no template). That launch template requires IMDSv2 "
    "(HttpTokens required, hop limit 1) and an encrypted gp3 root volume, as test_compute and test_snapshots check."
)
MIXED_POLICY_EBS_ENCRYPTION = Acknowledgment(
    id="AwsSolutions::AwsSolutions-EC26", reason=_LAUNCH_TEMPLATE_THROUGH_MIXED_POLICY
)
MIXED_POLICY_IMDSV2 = Acknowledgment(
    id=f"{NIST}::{NIST}-EC2IMDSv2Enabled", reason=_LAUNCH_TEMPLATE_THROUGH_MIXED_POLICY
)

LOG_BUCKET_NOT_SELF_LOGGED = Acknowledgment(
    id="AwsSolutions::AwsSolutions-S1",
    reason=(
        "This bucket only receives the ALB's access logs; logging its own access to another bucket would "
        "start a chain of log buckets. It is private, TLS-only, SSE-S3 encrypted and expires objects. The same holds "
        "for the synthetic probes' artifacts bucket, which only the canaries' own roles write (R21)."
    ),
)


_DRILL_ARN = "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>"
FLEET_INSTANCES = Acknowledgment(
    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{_DRILL_ARN}:instance/*]",
    reason=(
        "The ASG's instance ids are unknown at deploy time, so statements on them are scoped by tag instead: the "
        "AZ-loss drill stops only instances tagged with this ASG's aws:autoscaling:groupName; operators open shells "
        "only on instances with the fleet's Name tag and only through the logging Session document."
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
        "Calls that resolve drill targets (EC2, Auto Scaling, tag and ARC list/describe calls) and "
        "logs:CreateLogDelivery, which sets up the experiment's log delivery, take no resource-level permission; the "
        "describe calls read only. The two that change something are scoped by condition: ec2:InjectApiError to "
        "this ASG (ec2:FisTargetArns) and zonal shifts to this ALB and ASG (arc-zonal-shift:ResourceIdentifier). "
        "The same holds for ec2:DescribeManagedPrefixLists, the deploy-time lookup of the S3 prefix list id that "
        "CloudFormation does not return, and for the two calls Synthetics requires of every canary role: "
        "s3:ListAllMyBuckets and cloudwatch:PutMetricData, the latter held to the CloudWatchSynthetics namespace (and "
        "the zonal probe's own) by condition, and for ec2:DescribeNetworkInterfaces, which the zonal probe calls to "
        "find each AZ's load balancer node and which reads only (R21)."
    ),
)


_ACCOUNT_ARN = "arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>"
INSTANCE_LOG_GROUP_LOOKUP = Acknowledgment(
    id=f"{IAM5}[Resource::{_ACCOUNT_ARN.format(service='logs')}:log-group:*]",
    reason=(
        "logs:DescribeLogGroups only: Session Manager checks that the sessions' log group is encrypted before it "
        "streams into it, and the call is authorised on the account's log-group pattern, not on one group. "
        "Writing is granted on this stack's four log groups alone."
    ),
)
DRILL_LOG_DELIVERY_POLICY = Acknowledgment(
    id=f"{IAM5}[Resource::{_ACCOUNT_ARN.format(service='logs')}:log-group:*]",
    reason=(
        "Drill role: logs:PutResourcePolicy, logs:DescribeResourcePolicies and logs:DescribeLogGroups on this "
        "account's log groups in this region, the scope AWS's 'Logs sent to CloudWatch Logs' page asks for (a * "
        "pattern, not one group). PutResourcePolicy writes a region-wide resource policy, so it could replace "
        "another delivery's (the WAF's) there: only AWS FIS running this account's experiments can assume the role."
    ),
)
INSTANCE_TARGET_HEALTH = Acknowledgment(
    id=f"{IAM5}[Resource::*]",
    reason=(
        "The deploy gate's two reads, alone in their own policy: elasticloadbalancing:DescribeTargetHealth (is the "
        "new instance a healthy target?) and autoscaling:DescribeLifecycleHooks (has a release put CodeDeploy's launch "
        'hook on the group?). The Service Authorization Reference lists no resource type for either, so "*" is the '
        "only Resource they accept "
        "(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html, "
        "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html). "
        "They read states and change nothing; the endpoints' policies let only these actions through."
    ),
)
OPERATOR_OWN_SESSIONS = Acknowledgment(
    id=f"{IAM5}[Resource::{_ACCOUNT_ARN.format(service='ssm')}:session/<aws:userid>-*]",
    reason=(
        "Session ids are generated per session and start with the caller's user id: an operator may resume or end "
        "their own sessions only (the pattern AWS documents for Session Manager end users)."
    ),
)


# The synthetic probes (R21): each canary role writes under its own prefix of the artifacts bucket and into the log
# groups Synthetics names after the canary, `/aws/lambda/cwsyn-<canary name>-<id>`; every canary of this product
# is named `payment-failover-...`.
def _probe_results(probe: str) -> Acknowledgment:
    return Acknowledgment(
        id=f"{IAM5}[Resource::<ProbesArtifactsFEB8ED1E.Arn>/{probe}/*]",
        reason=(
            f"The {probe} probe's canary writes its run results under its own prefix of the artifacts bucket; the "
            "object names are chosen by Synthetics per run."
        ),
    )


PROBE_SERVICE_RESULTS = _probe_results("service")
PROBE_REGION_RESULTS = _probe_results("region")
PROBE_ZONAL_RESULTS = _probe_results("zonal")
PROBE_LOG_GROUPS = Acknowledgment(
    id=f"{IAM5}[Resource::{_ACCOUNT_ARN.format(service='logs')}:log-group:/aws/lambda/cwsyn-payment-failover-*]",
    reason=(
        "Synthetics creates each canary's log group as /aws/lambda/cwsyn-<canary name>-<id>, the id unknown before "
        "deployment; the pattern admits this product's canaries only."
    ),
)


# The failback latch (R21, components/edge/failback_latch.py).
FAILBACK_RUNBOOK_VERSIONS = Acknowledgment(
    id=(
        f"{IAM5}[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:automation-definition/"
        "<FailbackLatchRunbook1522AA2B>:*]"
    ),
    reason=(
        "EventBridge starts the latch's own runbook, named by the template; the version part of an "
        "automation-definition ARN is left open so that the rule's $DEFAULT version is covered whatever SSM numbers "
        "it. No other runbook can be started with this role."
    ),
)


# PCI DSS 3.2.1 and NIST 800-53 R5 (R19).
PUBLIC_SUBNET_ROUTES_PCI, PUBLIC_SUBNET_ROUTES_NIST = _in_both_packs(
    "VPCNoUnrestrictedRouteToIGW",
    "Only the public subnets route 0.0.0.0/0 to the internet gateway: they hold the internet-facing ALB (behind AWS "
    "WAF) and nothing else; the instances' subnets are isolated, with no route to the internet (decision 0011).",
)
DEFAULT_SECURITY_GROUP_PCI, DEFAULT_SECURITY_GROUP_NIST = _in_both_packs(
    "VPCDefaultSecurityGroupClosed",
    "The default group is emptied when the stack creates it: ClosedDefaultSecurityGroup revokes its two rules "
    "through the stack's one SDK-call function (again only when those resources' properties change; Security Hub "
    "EC2.2 detects a rule re-added by hand), which also looks up the S3 prefix list. The rule recognises only CDK's "
    "own Custom::VpcRestrictDefaultSG, whose second Lambda function and role this tier does not add.",
)
GENERATED_ROLE_POLICIES_PCI, GENERATED_ROLE_POLICIES_NIST = _in_both_packs(
    "IAMNoInlinePolicy",
    "These inline policies are CDK grants on one role each (VPC flow-log delivery, the AZ-loss drill, the "
    "instances' cloudformation:SignalResource on this stack, writes into their own log groups, the Session "
    "Manager agent's five actions, the CodeDeploy agent's four host-command actions, its installer and the service's "
    "revisions, the deploy-time SDK calls: the prefix-list lookup and the default group's two "
    "revokes, each synthetic probe's results, log groups and metrics, the failback latch's start of its one runbook "
    "and update of the one gate), scoped as far as each API allows and "
    "deleted with the role; a managed policy would be a separately attachable object with the same content.",
)
ALB_LOG_BUCKET_SSE_S3_PCI, ALB_LOG_BUCKET_SSE_S3_NIST = _in_both_packs(
    "S3DefaultEncryptionKMS",
    "ALB access logs can only be delivered to a bucket encrypted with SSE-S3 (Elastic Load Balancing docs, 'Enable "
    "access logs for your Application Load Balancer'); the bucket is private, TLS-only and versioned. The synthetic "
    "probes' artifacts bucket holds only the canaries' own requests to the public endpoint and expires them; "
    "SSE-S3 spares each canary role a key grant (the documented basic canary role has none).",
)
ALB_LOG_BUCKET_NOT_SELF_LOGGED_PCI, ALB_LOG_BUCKET_NOT_SELF_LOGGED_NIST = _in_both_packs(
    "S3BucketLoggingEnabled",
    "The bucket holds the ALB's access logs (or, for the probes' bucket, the canaries' results); logging its own "
    "access to another bucket would start a chain of log buckets. Its API calls are recorded by the account's "
    "CloudTrail (README, compliance map).",
)
ALB_LOG_BUCKET_ONE_REGION_PCI, ALB_LOG_BUCKET_ONE_REGION_NIST = _in_both_packs(
    "S3BucketReplicationEnabled",
    "The access logs must stay in the load balancer's region (ELB requirement); versioning and retention protect "
    "them there. A copy in a central log-archive account is the organization's log pipeline, not this tier's. The "
    "probes' artifacts are screenshots-free run logs that expire after 30 days: a copy elsewhere adds nothing.",
)
REDIRECT_LISTENER_PCI, REDIRECT_LISTENER_NIST = _in_both_packs(
    "ELBv2ACMCertificateRequired",
    "The :80 listener carries no certificate because it serves nothing: its only action is a 301 redirect to the "
    ":443 listener, which terminates TLS with the ACM certificate.",
)


# The deploy-time SDK calls (components/network/sdk_calls.py): CDK's singleton function behind AwsCustomResource.
SDK_CALL_BASIC_EXECUTION = Acknowledgment(
    id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    reason=(
        "CDK's deploy-time SDK-call function writes its own log lines with the policy AWS maintains for exactly "
        "that; its log group is the tier's KMS-encrypted one, and its calls are granted by separate scoped policies."
    ),
)
SDK_CALL_OUTSIDE_VPC_PCI, SDK_CALL_OUTSIDE_VPC_NIST = _in_both_packs(
    "LambdaInsideVPC",
    "The SDK-call function runs only while CloudFormation deploys, calls the EC2 API alone (one describe, two "
    "revokes on the default group) and touches no cardholder data; inside the VPC it would need a route to the "
    "internet from the isolated private subnets, which have none (decision 0011), or one more interface "
    "endpoint (ec2).",
)
SDK_CALL_CONCURRENCY = Acknowledgment(
    id=f"{NIST}::{NIST}-LambdaConcurrency",
    reason=(
        "The SDK-call function runs only when CloudFormation creates or updates one of its three custom resources; "
        "reserved concurrency would only throttle those deploy-time calls against each other."
    ),
)
SDK_CALL_DLQ = Acknowledgment(
    id=f"{NIST}::{NIST}-LambdaDLQ",
    reason=(
        "A failed SDK call is reported to CloudFormation, which fails and rolls back the deployment; a dead-letter "
        "queue would hold an event nobody acts on."
    ),
)


# The zonal releases (components/delivery): CodeDeploy's service role, the release handlers and the functions and
# waiter of CDK's custom-resource provider framework.
RELEASE_CODEDEPLOY_ROLE = Acknowledgment(
    id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRole]",
    reason=(
        "The deployment group's service role carries AWSCodeDeployRole, the policy AWS maintains for CodeDeploy's "
        "EC2 deployments with Auto Scaling groups and load balancers (it installs and answers the launch hook, "
        "deregisters and registers targets, reads the alarms); a hand-written copy would miss what AWS adds to it "
        "and fail releases on AWS only. Only codedeploy.amazonaws.com can assume the role."
    ),
)
RELEASE_BASIC_EXECUTION = Acknowledgment(
    id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    reason=(
        "The release handlers and the provider framework's functions write their own log lines with the policy AWS "
        "maintains for exactly that, into the tier's KMS-encrypted log groups; their CodeDeploy calls are granted "
        "by a separate policy scoped to this application, its group and its two deployment configurations."
    ),
)
RELEASE_FUNCTION_VERSIONS_REASON = (
    "CDK's provider framework may invoke the release handlers and its own functions with any version qualifier "
    "(the function's ARN followed by :*): each function is named, only the qualifier is open."
)
RELEASE_WAITER_LOGS = Acknowledgment(
    id="AwsSolutions::AwsSolutions-SF1",
    reason=(
        "The provider framework's waiter only calls the release handlers, every 30 s, and they log each call (the "
        "deployment, its status) to the tier's encrypted log groups. Logging the state machine itself would give its "
        "role the vended-log delivery actions, logs:PutResourcePolicy among them, on every log resource of the "
        "account, to record nothing the handlers do not."
    ),
)
RELEASE_WAITER_TRACING = Acknowledgment(
    id="AwsSolutions::AwsSolutions-SF2",
    reason=(
        "The provider framework's waiter only polls the release handlers every 30 s; their own logs hold each "
        "poll's answer, which is the trace a release needs."
    ),
)
RELEASE_AGENT_KIT = Acknowledgment(
    id=f"{IAM5}[Resource::arn:<AWS::Partition>:s3:::aws-codedeploy-<AWS::Region>/*]",
    reason=(
        "Instance role: s3:GetObject in the region's CodeDeploy resource kit bucket, where the agent's installer and "
        "packages are (their object names change with every agent release)."
    ),
)
RELEASE_REVISIONS_REASON = (
    "Instance role: s3:GetObject on the zip objects of the CDK asset bucket, where every revision of the service is "
    "(named by its hash): a rollback and each launch-hook deployment read an older one."
)
RELEASE_OUTSIDE_VPC_PCI, RELEASE_OUTSIDE_VPC_NIST = _in_both_packs(
    "LambdaInsideVPC",
    "The release functions run only while CloudFormation deploys, call the CodeDeploy API alone and touch no "
    "cardholder data; inside the VPC they would need a codedeploy interface endpoint or internet egress that the "
    "private subnets do not have.",
)
RELEASE_INLINE_POLICIES_PCI, RELEASE_INLINE_POLICIES_NIST = _in_both_packs(
    "IAMNoInlinePolicy",
    "CDK grants on one role each (the release handlers' CodeDeploy calls, the framework's invocations of them, the "
    "waiter's), scoped to these functions and this deployment group and deleted with their roles.",
)
RELEASE_CONCURRENCY = Acknowledgment(
    id=f"{NIST}::{NIST}-LambdaConcurrency",
    reason="The release functions run only while a stack deploys; reserved concurrency would only throttle them.",
)
RELEASE_DLQ = Acknowledgment(
    id=f"{NIST}::{NIST}-LambdaDLQ",
    reason=(
        "A failed release is reported to CloudFormation, which fails and rolls back the stack update; a "
        "dead-letter queue would hold an event nobody acts on."
    ),
)


def acknowledge_release_findings(*, release: IConstruct, instance_role: IConstruct, revision_arns: list[str]) -> None:
    """The zonal release's accepted findings, and the instance role's reads of the revisions and the agent kit."""
    functions = [c for c in release.node.find_all() if isinstance(c, lambda_.CfnFunction)]
    versions = [
        Acknowledgment(
            id=f"{IAM5}[Resource::<{Stack.of(f).get_logical_id(f)}.Arn>:*]", reason=RELEASE_FUNCTION_VERSIONS_REASON
        )
        for f in functions
    ]
    Validations.of(release).acknowledge(
        *versions,
        RELEASE_CODEDEPLOY_ROLE,
        RELEASE_BASIC_EXECUTION,
        RELEASE_WAITER_LOGS,
        RELEASE_WAITER_TRACING,
        RELEASE_OUTSIDE_VPC_PCI,
        RELEASE_OUTSIDE_VPC_NIST,
        RELEASE_INLINE_POLICIES_PCI,
        RELEASE_INLINE_POLICIES_NIST,
        RELEASE_CONCURRENCY,
        RELEASE_DLQ,
    )
    Validations.of(instance_role).acknowledge(
        RELEASE_AGENT_KIT,
        *(Acknowledgment(id=f"{IAM5}[Resource::{arn}]", reason=RELEASE_REVISIONS_REASON) for arn in revision_arns),
    )


DETECTORS_WITHOUT_ACTIONS = Acknowledgment(
    id=f"{NIST}::{NIST}-CloudWatchAlarmAction",
    reason=(
        "The per-AZ error and latency outlier alarms and the per-AZ probe alarms are inputs of each AZ's composite "
        "gray-failure alarm, and the SLO burn-rate windows of each tier's composite burn alarm (long AND short window, "
        "R21); the composites page the failover topic, and giving the inputs actions of their own would page several "
        "times for one failure."
    ),
)

DRILL_STOP_CONDITIONS_WITHOUT_ACTIONS = Acknowledgment(
    id=f"{NIST}::{NIST}-CloudWatchAlarmAction",
    reason=(
        "The AZ drills' runaway 5xx alarms exist only as FIS stop conditions (FIS reads their state); the same rates "
        "already page through the product's own Alb5xxRate and Target5xxRate alarms, so an action here would page "
        "twice for one failure."
    ),
)


def acknowledge_service_findings(
    *,
    network: IConstruct,
    public_security_group: IConstruct,
    instance_role: IConstruct,
    auto_scaling_group: IConstruct,
    target_health_policy: IConstruct,
    operator_session_policy: IConstruct,
    access_log_bucket: IConstruct,
    http_redirect_listener: IConstruct,
    drills_role: IConstruct,
    gray_failure_detectors: IConstruct,
    burn_rate_windows: IConstruct,
    probes: IConstruct,
    service_endpoints: IConstruct,
    sdk_call_function: IConstruct,
) -> None:
    """The design decisions of the regional web tier that the rule packs flag, each on the construct it concerns."""
    _acknowledge_network_and_fleet_findings(
        network=network,
        public_security_group=public_security_group,
        instance_role=instance_role,
        auto_scaling_group=auto_scaling_group,
        target_health_policy=target_health_policy,
        operator_session_policy=operator_session_policy,
    )
    _acknowledge_logging_and_detection_findings(
        access_log_bucket=access_log_bucket,
        http_redirect_listener=http_redirect_listener,
        gray_failure_detectors=gray_failure_detectors,
        burn_rate_windows=burn_rate_windows,
        probes=probes,
    )
    _acknowledge_endpoint_and_drill_findings(
        service_endpoints=service_endpoints, sdk_call_function=sdk_call_function, drills_role=drills_role
    )


def acknowledge_global_findings(*, failback_latch: IConstruct | None) -> None:
    """The global DNS stack's accepted findings: the failback latch's two one-statement roles."""
    if failback_latch is None:
        return
    Validations.of(failback_latch).acknowledge(
        FAILBACK_RUNBOOK_VERSIONS, GENERATED_ROLE_POLICIES_PCI, GENERATED_ROLE_POLICIES_NIST
    )


def _acknowledge_network_and_fleet_findings(
    *,
    network: IConstruct,
    public_security_group: IConstruct,
    instance_role: IConstruct,
    auto_scaling_group: IConstruct,
    target_health_policy: IConstruct,
    operator_session_policy: IConstruct,
) -> None:
    """The network's, the ALB group's and the fleet's accepted findings: the VPC layout and the instances' access."""
    Validations.of(network).acknowledge(
        HARDCODED_AZS,
        PUBLIC_SUBNET_ROUTES_PCI,
        PUBLIC_SUBNET_ROUTES_NIST,
        DEFAULT_SECURITY_GROUP_PCI,
        DEFAULT_SECURITY_GROUP_NIST,
        GENERATED_ROLE_POLICIES_PCI,
        GENERATED_ROLE_POLICIES_NIST,
    )
    Validations.of(public_security_group).acknowledge(PUBLIC_HTTPS_ENTRY)
    Validations.of(instance_role).acknowledge(
        SESSION_MANAGER_AGENT,
        GENERATED_ROLE_POLICIES_PCI,
        GENERATED_ROLE_POLICIES_NIST,
        INSTANCE_LOG_GROUP_LOOKUP,
    )
    Validations.of(auto_scaling_group).acknowledge(MIXED_POLICY_EBS_ENCRYPTION, MIXED_POLICY_IMDSV2)
    # On the one policy that holds the statement, not on the role: any other "*" added to the role still fails.
    Validations.of(target_health_policy).acknowledge(INSTANCE_TARGET_HEALTH)
    Validations.of(operator_session_policy).acknowledge(FLEET_INSTANCES, OPERATOR_OWN_SESSIONS)


def _acknowledge_logging_and_detection_findings(
    *,
    access_log_bucket: IConstruct,
    http_redirect_listener: IConstruct,
    gray_failure_detectors: IConstruct,
    burn_rate_windows: IConstruct,
    probes: IConstruct,
) -> None:
    """The access log bucket's, the redirect listener's and the detectors' and probes' accepted findings."""
    Validations.of(access_log_bucket).acknowledge(
        LOG_BUCKET_NOT_SELF_LOGGED,
        ALB_LOG_BUCKET_SSE_S3_PCI,
        ALB_LOG_BUCKET_SSE_S3_NIST,
        ALB_LOG_BUCKET_NOT_SELF_LOGGED_PCI,
        ALB_LOG_BUCKET_NOT_SELF_LOGGED_NIST,
        ALB_LOG_BUCKET_ONE_REGION_PCI,
        ALB_LOG_BUCKET_ONE_REGION_NIST,
    )
    Validations.of(http_redirect_listener).acknowledge(REDIRECT_LISTENER_PCI, REDIRECT_LISTENER_NIST)
    Validations.of(gray_failure_detectors).acknowledge(DETECTORS_WITHOUT_ACTIONS)
    Validations.of(burn_rate_windows).acknowledge(DETECTORS_WITHOUT_ACTIONS)
    # Only the per-AZ probe alarms (probes.py names them ZoneFailing-<az>): the service and region probes page.
    for zone_alarm in (child for child in probes.node.children if child.node.id.startswith("ZoneFailing-")):
        Validations.of(zone_alarm).acknowledge(DETECTORS_WITHOUT_ACTIONS)
    Validations.of(probes).acknowledge(
        PROBE_SERVICE_RESULTS,
        PROBE_REGION_RESULTS,
        PROBE_ZONAL_RESULTS,
        PROBE_LOG_GROUPS,
        DRILL_DESCRIBE_AND_LOGS,
        GENERATED_ROLE_POLICIES_PCI,
        GENERATED_ROLE_POLICIES_NIST,
        LOG_BUCKET_NOT_SELF_LOGGED,
        ALB_LOG_BUCKET_SSE_S3_PCI,
        ALB_LOG_BUCKET_SSE_S3_NIST,
        ALB_LOG_BUCKET_NOT_SELF_LOGGED_PCI,
        ALB_LOG_BUCKET_NOT_SELF_LOGGED_NIST,
        ALB_LOG_BUCKET_ONE_REGION_PCI,
        ALB_LOG_BUCKET_ONE_REGION_NIST,
    )


def _acknowledge_endpoint_and_drill_findings(
    *, service_endpoints: IConstruct, sdk_call_function: IConstruct, drills_role: IConstruct
) -> None:
    """The deploy-time SDK calls' and the drills role's accepted findings: AWS-generated roles and describe calls."""
    Validations.of(service_endpoints).acknowledge(
        DRILL_DESCRIBE_AND_LOGS, GENERATED_ROLE_POLICIES_PCI, GENERATED_ROLE_POLICIES_NIST
    )
    Validations.of(sdk_call_function).acknowledge(
        SDK_CALL_BASIC_EXECUTION,
        SDK_CALL_OUTSIDE_VPC_PCI,
        SDK_CALL_OUTSIDE_VPC_NIST,
        SDK_CALL_CONCURRENCY,
        SDK_CALL_DLQ,
    )
    Validations.of(drills_role).acknowledge(
        FLEET_INSTANCES,
        DRILL_NETWORK_ACLS,
        DRILL_SUBNETS,
        DRILL_KMS_GRANTS,
        DRILL_DESCRIBE_AND_LOGS,
        DRILL_LOG_DELIVERY_POLICY,
        GENERATED_ROLE_POLICIES_PCI,
        GENERATED_ROLE_POLICIES_NIST,
    )


# The delivery pipeline (R14). CDK Pipelines generates these roles and buckets; the rule ids embed
# generated logical ids, account and region, so they are derived from the stack in code below.
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
# Acknowledgements whose ids embed generated logical ids or the asset bucket's name, derived in code above.
RELEASE_ROWS: tuple[tuple[str, str], ...] = (
    (
        "AwsSolutions::AwsSolutions-IAM5[Resource::<release function>.Arn>:*] (zonal release)",
        RELEASE_FUNCTION_VERSIONS_REASON,
    ),
    (
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::<CDK asset bucket>/*.zip] (instance role)",
        RELEASE_REVISIONS_REASON,
    ),
)
PIPELINE_ROWS: tuple[tuple[str, str], ...] = (
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


PIPELINE_INLINE_POLICIES_REASON = (
    "CDK Pipelines generates one role per action with its grants inline; each policy is scoped to that action's "
    "artifacts, projects and bootstrap roles and is deleted with its role."
)
PIPELINE_BUCKET_STORAGE_REASON = (
    "The artifact and replication buckets hold transient, KMS-encrypted build artifacts that every execution "
    "rewrites from the repository: versions or a replica would keep copies of nothing that cannot be rebuilt."
)
PIPELINE_CODEBUILD_SOURCE_REASON = (
    "The CodeBuild projects take their source from CodePipeline artifacts, not from a repository URL: the "
    "repository is reached through the CodeConnections connection, and no credential appears in any project."
)
PIPELINE_PACK_RULES = {
    "IAMNoInlinePolicy": PIPELINE_INLINE_POLICIES_REASON,
    "S3BucketLoggingEnabled": PIPELINE_BUCKET_LOGS_REASON,
    "S3BucketReplicationEnabled": PIPELINE_BUCKET_STORAGE_REASON,
    "S3BucketVersioningEnabled": PIPELINE_BUCKET_STORAGE_REASON,
}
PIPELINE_ROWS += (
    *((f"{PCI} and {NIST}: {rule} (pipeline)", reason) for rule, reason in PIPELINE_PACK_RULES.items()),
    (f"{PCI}: CodeBuildProjectSourceRepoUrl (pipeline)", PIPELINE_CODEBUILD_SOURCE_REASON),
)


def acknowledge_pipeline_findings(stack: Stack, code_pipeline: pipelines.CodePipeline) -> None:
    """The roles and buckets CDK Pipelines generates (call after `build_pipeline()`), which the packs flag."""
    pipeline = code_pipeline.pipeline
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
            Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason=PIPELINE_BUCKET_LOGS_REASON),
            *_pipeline_pack_acknowledgements(),
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
        *_pipeline_pack_acknowledgements(),
        Acknowledgment(id=f"{PCI}::{PCI}-CodeBuildProjectSourceRepoUrl", reason=PIPELINE_CODEBUILD_SOURCE_REASON),
    ]
    Validations.of(stack).acknowledge(*acks)


def _pipeline_pack_acknowledgements() -> list[Acknowledgment]:
    return [ack for rule, reason in PIPELINE_PACK_RULES.items() for ack in _in_both_packs(rule, reason)]


def markdown_table() -> str:
    """The README's Compliance table: every acknowledgement with its reason."""
    rows = ["| rule | reason |", "|---|---|"]
    acknowledgements = [value for value in globals().values() if isinstance(value, Acknowledgment)]
    rows += [f"| `{ack.id}` | {ack.reason} |" for ack in acknowledgements]
    rows += [f"| `{rule}` | {reason} |" for rule, reason in (*RELEASE_ROWS, *PIPELINE_ROWS)]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
