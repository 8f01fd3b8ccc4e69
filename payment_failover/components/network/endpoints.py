"""VPC endpoints (R19, PCI DSS v4.0.1 1.3/1.4): the instances reach every AWS API they call without the internet.

What the instances call, and through what:

- CloudFormation (`cfn-signal` in runtime/signal_when_healthy.sh), Systems Manager Session Manager (`ssm`,
  `ssmmessages`) and CloudWatch Logs (the CloudWatch agent and Session Manager session logs): interface endpoints
  with private DNS in the private subnet of every AZ, so the services' public names resolve to the endpoints'
  private addresses inside the VPC. No `ec2messages` endpoint: from SSM Agent 3.3.40.0 on, the agent uses the
  ssmmessages endpoint when it is available instead of ec2messages
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html); the pinned AL2023 image
  (2026) ships a newer agent. That saves one endpoint in three AZs (README, Egress control).
- Amazon S3, where the Amazon Linux 2023 package repositories that `dnf` reads at boot live: a gateway endpoint on
  the private route tables (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html). Its
  instances' security group must allow 443 to S3's prefix list, and CloudFormation does not return that list's id
  from AWS::EC2::VPCEndpoint: it is looked up once at deploy time (sdk_calls.py).

Each AZ's interface endpoint network interface lives in that AZ's private subnet, so losing an AZ takes away only
that AZ's interface (R2: no AZ depends on another).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from payment_failover.components.network.sdk_calls import sdk_call
from payment_failover.components.observability.log_encryption import LogArchive

HTTPS = 443
# Service name suffix -> construct id and the reason the instances need it.
INTERFACE_ENDPOINTS: dict[str, tuple[str, str]] = {
    "cloudformation": ("CloudFormation", "cfn-signal reports each new instance's health to its stack (R16)"),
    "ssm": ("Ssm", "Session Manager and the SSM agent's registration (R6: no SSH)"),
    "ssmmessages": ("SsmMessages", "Session Manager's session channels"),
    "logs": ("Logs", "the CloudWatch agent's and Session Manager's logs (PCI DSS 10.2)"),
    # R20: a stopping instance completes its own termination lifecycle action (components/fleet/graceful_stop.py).
    "autoscaling": ("AutoScaling", "CompleteLifecycleAction once the service has drained (R20)"),
    # R20, failure 20: the deploy gate asks the load balancer for the new instance's target health.
    "elasticloadbalancing": ("ElasticLoadBalancing", "DescribeTargetHealth in the deploy gate (R20)"),
    # R20: the CodeDeploy agent polls for and reports its deployment commands here (components/delivery).
    "codedeploy-commands-secure": ("CodeDeployCommands", "the CodeDeploy agent's host commands (R20)"),
}
S3_PREFIX_LIST_PATH = "PrefixLists.0.PrefixListId"
# What the instances call through each interface endpoint (the endpoint policy allows these and nothing else):
# cfn-signal's SignalResource; the SSM agent's registration and Session Manager's channels (the minimal instance
# policy of https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html);
# the CloudWatch agent's and Session Manager's log writes and the log-group lookup before a session streams.
ENDPOINT_ACTIONS: dict[str, tuple[str, ...]] = {
    "cloudformation": ("cloudformation:SignalResource",),
    "ssm": ("ssm:UpdateInstanceInformation",),
    "ssmmessages": (
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ),
    "logs": ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups"),
    # The drain script completes its own instance's termination hook (components/fleet/graceful_stop.py).
    "autoscaling": ("autoscaling:CompleteLifecycleAction",),
    # The deploy gate's one read (runtime/signal_when_healthy.sh); ELB's API endpoint takes endpoint policies
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/load-balancer-vpc-endpoints.html), so
    # nothing in the VPC may create, change or deregister load balancers through it.
    "elasticloadbalancing": ("elasticloadbalancing:DescribeTargetHealth",),
    # The CodeDeploy agent through a VPC endpoint uses these four actions and nothing else
    # (https://docs.aws.amazon.com/codedeploy/latest/userguide/vpc-endpoints.html#vpc-codedeploy-agent-configuration).
    "codedeploy-commands-secure": (
        "codedeploy-commands-secure:GetDeploymentSpecification",
        "codedeploy-commands-secure:PollHostCommand",
        "codedeploy-commands-secure:PutHostCommandAcknowledgement",
        "codedeploy-commands-secure:PutHostCommandComplete",
    ),
}
# Actions with no resource type (Service Authorization Reference), which a policy can only grant on "*": the deploy
# gate's question whether CodeDeploy's launch hook is on its group (runtime/signal_when_healthy.sh).
ENDPOINT_UNSCOPED_ACTIONS: dict[str, tuple[str, ...]] = {
    "autoscaling": ("autoscaling:DescribeLifecycleHooks",),
}
# The AL2023 repository bucket's name is AWS's (the image's /etc/yum.repos.d/amazonlinux.repo points dnf at it);
# docs/egress.md says where the name comes from and how a real instance confirms it.
AL2023_REPOSITORY_BUCKET = "al2023-repos-{region}-de612dc2"
SSM_AGENT_BUCKET = "amazon-ssm-{region}"
# The CodeDeploy resource kit of the region: the agent's installer and packages
# (https://docs.aws.amazon.com/codedeploy/latest/userguide/codedeploy-agent-operations-install-linux.html).
CODEDEPLOY_KIT_BUCKET = "aws-codedeploy-{region}"


def readable_buckets(region: str) -> tuple[str, ...]:
    """The AWS-owned buckets the instances read through the S3 gateway endpoint in `region`."""
    return tuple(
        bucket.format(region=region) for bucket in (AL2023_REPOSITORY_BUCKET, SSM_AGENT_BUCKET, CODEDEPLOY_KIT_BUCKET)
    )


def _endpoint_scope(service: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(actions, resources) an interface endpoint admits: signals to this stack only, logs of this account only."""
    resources: tuple[str, ...] = ("*",)
    if service == "cloudformation":
        resources = (Aws.STACK_ID,)
    elif service == "logs":
        resources = (f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*",)
    elif service == "autoscaling":
        resources = (f"arn:{Aws.PARTITION}:autoscaling:{Aws.REGION}:{Aws.ACCOUNT_ID}:autoScalingGroup:*",)
    return ENDPOINT_ACTIONS[service], resources


class ServiceEndpoints(Construct):
    """An S3 gateway endpoint and one interface endpoint per AWS API the instances call, behind their own group."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        log_archive: LogArchive,
    ) -> None:
        super().__init__(scope, id_)
        region = Stack.of(self).region
        self._interface_endpoints(vpc=vpc, subnets=subnets)
        self._s3_gateway(vpc=vpc, subnets=subnets, region=region)
        self._s3_prefix_list(log_archive=log_archive, region=region)

    def _interface_endpoints(self, *, vpc: ec2.IVpc, subnets: ec2.SubnetSelection) -> None:
        """The interface endpoints behind their own group, each admitting this account and the used actions only."""
        # Interface endpoints answer; they never open connections, so the group allows no egress at all.
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="VPC interface endpoints: HTTPS from the payment instances only",
            allow_all_outbound=False,
        )
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {
            service: ec2.InterfaceVpcEndpoint(
                self,
                construct_id,
                vpc=vpc,
                service=ec2.InterfaceVpcEndpointAwsService(service),
                subnets=subnets,
                private_dns_enabled=True,
                security_groups=[self.security_group],
                # CDK would otherwise open 443 to the whole VPC CIDR: only the instances' group may connect.
                open=False,
            )
            for service, (construct_id, _) in INTERFACE_ENDPOINTS.items()
        }
        # Every interface endpoint admits only this account's principals and only the actions the instances call
        # (endpoint policies: https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html). Stolen
        # or foreign credentials cannot use them to reach another account (for the logs endpoint, the one write
        # path out of the VPC, that means no streaming into someone else's log group), and nothing in the VPC can
        # call an action of these services the tier does not use. cfn-signal signs with the instance role
        # (runtime/signal_when_healthy.sh --role), so the account condition holds for health signals too.
        for service, endpoint in self.interface_endpoints.items():
            actions, resources = _endpoint_scope(service)
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="ThisAccountsPrincipalsUsedActionsOnly",
                    principals=[iam.AnyPrincipal()],
                    actions=list(actions),
                    resources=list(resources),
                    conditions={"StringEquals": {"aws:PrincipalAccount": Aws.ACCOUNT_ID}},
                )
            )
            if service in ENDPOINT_UNSCOPED_ACTIONS:
                endpoint.add_to_policy(
                    iam.PolicyStatement(
                        sid="ThisAccountsPrincipalsReadsWithoutResourceType",
                        principals=[iam.AnyPrincipal()],
                        actions=list(ENDPOINT_UNSCOPED_ACTIONS[service]),
                        resources=["*"],
                        conditions={"StringEquals": {"aws:PrincipalAccount": Aws.ACCOUNT_ID}},
                    )
                )

    def _s3_gateway(self, *, vpc: ec2.IVpc, subnets: ec2.SubnetSelection, region: str) -> None:
        """The S3 gateway endpoint, limited to reading the OS repository and SSM agent buckets (R19)."""
        # A gateway endpoint policy applies to all S3 traffic from these route tables
        # (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html). Nothing in the private subnets
        # writes to S3 (ALB access logs are delivered by Elastic Load Balancing itself, not through this VPC), so
        # the endpoint allows reading objects of three AWS-owned buckets only: the region's Amazon Linux 2023
        # package repository that `dnf` reads at boot, the SSM agent's bucket for agent updates, which
        # "SSM Agent communications with AWS managed S3 buckets" names for VPC endpoint setups
        # (https://docs.aws.amazon.com/systems-manager/latest/userguide/ssm-agent-minimum-s3-permissions.html), and
        # CodeDeploy's resource kit bucket with the agent's installer (CODEDEPLOY_KIT_BUCKET).
        # No other bucket of any account can be read or written from the instances, whoever's credentials they hold.
        self.s3_gateway = ec2.GatewayVpcEndpoint(
            self,
            "S3",
            vpc=vpc,
            service=ec2.GatewayVpcEndpointAwsService.S3,
            subnets=[subnets],
        )
        self.s3_gateway.add_to_policy(
            iam.PolicyStatement(
                sid="ReadTheOsRepositoryAndAgentBucketsOnly",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[f"arn:aws:s3:::{bucket}/*" for bucket in readable_buckets(region)],
            )
        )

    def _s3_prefix_list(self, *, log_archive: LogArchive, region: str) -> None:
        """S3's prefix list id, looked up at deploy time because the gateway endpoint does not return it."""
        lookup = sdk_call(
            self,
            "S3PrefixList",
            log_archive=log_archive,
            action="describeManagedPrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{region}.s3"]}]},
            physical_id=cr.PhysicalResourceId.from_response(S3_PREFIX_LIST_PATH),
            output_paths=[S3_PREFIX_LIST_PATH],
            # Describe calls take no resource-level permissions.
            statements=[iam.PolicyStatement(actions=["ec2:DescribeManagedPrefixLists"], resources=["*"])],
        )
        self.s3_prefix_list_id = lookup.get_response_field(S3_PREFIX_LIST_PATH)

    def allow_object_reads(self, object_arns: Sequence[str]) -> None:
        """Let the instances read these objects through the S3 gateway endpoint too: the service's revisions, which
        the CodeDeploy agent copies from the CDK asset bucket (components/delivery/revision.py)."""
        self.s3_gateway.add_to_policy(
            iam.PolicyStatement(
                sid="ReadTheServiceRevisionsOnly",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=list(object_arns),
            )
        )

    def admit(self, clients: ec2.SecurityGroup) -> None:
        """Let `clients` (a group created without default egress) reach these endpoints over HTTPS, and only them.

        Logical ids are fixed here rather than derived from the peer's construct path, so the stand-alone Stage and
        the pipeline's render the same template (see service_stack._pin_rule_ids).
        """
        clients.add_egress_rule(
            ec2.Peer.security_group_id(self.security_group.security_group_id),
            ec2.Port.tcp(HTTPS),
            "HTTPS to the VPC interface endpoints (CloudFormation, SSM, CloudWatch Logs)",
        )
        ec2.CfnSecurityGroupEgress(
            self,
            "ClientsToS3Https",
            group_id=clients.security_group_id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            destination_prefix_list_id=self.s3_prefix_list_id,
            description="HTTPS to Amazon S3 through the gateway endpoint (AL2023 package repositories)",
        )
        ec2.CfnSecurityGroupIngress(
            self,
            "EndpointsFromClientsHttps",
            group_id=self.security_group.security_group_id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            source_security_group_id=clients.security_group_id,
            description="HTTPS from the payment instances",
        )
