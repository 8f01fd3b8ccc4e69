"""Network (R1, R2): one VPC over three named AZs; the instances' subnets isolated, each AZ self-sufficient."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from payment_failover.compliance import confused_deputy
from payment_failover.components.network.default_security_group import ClosedDefaultSecurityGroup
from payment_failover.components.observability.log_encryption import LogArchive

PUBLIC_SUBNETS = "public"
PRIVATE_SUBNETS = "private"


class Network(Construct):
    """Public subnets for the load balancer, isolated private subnets for the instances, no NAT gateway.

    Decision 0011 (docs/decisions/0011-no-nat-gateways-by-default.md): everything the instances call is an AWS API
    reached through the VPC endpoints of their own AZ (endpoints.py), so their subnets are PRIVATE_ISOLATED:
    "Isolated Subnets do not route traffic to the Internet (in this VPC), and as such, do not require NAT gateways"
    (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ec2.SubnetType.html). Each AZ stays self-sufficient
    (R2): its instances depend on nothing in another AZ. Flow logs of all traffic go to a KMS-encrypted CloudWatch
    Logs group kept 18 months, for incident review and PCI evidence.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        availability_zones: Sequence[str],
        vpc_name: str,
        log_archive: LogArchive,
        cidr: str = "10.40.0.0/16",
    ) -> None:
        super().__init__(scope, id_)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            vpc_name=vpc_name,
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=list(availability_zones),
            nat_gateways=0,
            subnet_configuration=[
                # Nothing launched into the public subnets gets a public address by accident: the ALB brings its own
                # (R19, PCI DSS 1.3/1.4).
                ec2.SubnetConfiguration(
                    name=PUBLIC_SUBNETS,
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=24,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name=PRIVATE_SUBNETS, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=22
                ),
            ],
        )
        self.flow_log_group = log_archive.log_group(self, "FlowLogs")
        # Our own role rather than the one CDK would create: only VPC Flow Logs acting for a flow log of this
        # account and region may assume it (R19, confused deputy). CDK still grants it the writes to the group.
        self.flow_log_role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com", conditions=confused_deputy.flow_logs_trust(Stack.of(self))
            ),
            description="VPC flow logs of this VPC: writes to its flow-log group only",
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group, self.flow_log_role),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        # PCI DSS v4.0.1 1.3/1.4: nothing may fall back on the default group's allow-all rules.
        self.default_security_group = ClosedDefaultSecurityGroup(
            self, "DefaultSecurityGroup", vpc=self.vpc, log_archive=log_archive
        )

    @property
    def public_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_group_name=PUBLIC_SUBNETS)

    @property
    def private_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_group_name=PRIVATE_SUBNETS)

    def subnets_by_az(self) -> dict[str, list[ec2.ISubnet]]:
        """Every subnet grouped by AZ, the instances' and the load balancer's, for what acts on one AZ at a time
        (an AZ drill cuts them all)."""
        by_az: dict[str, list[ec2.ISubnet]] = {}
        for group in (PRIVATE_SUBNETS, PUBLIC_SUBNETS):
            for subnet in self.vpc.select_subnets(subnet_group_name=group).subnets:
                by_az.setdefault(subnet.availability_zone, []).append(subnet)
        return by_az
