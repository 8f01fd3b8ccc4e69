"""Network (R1, R2): one VPC over three named AZs, each AZ self-sufficient for egress."""

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
    """Public subnets for the load balancer, private subnets with egress for the instances.

    One NAT gateway per AZ: losing an AZ must not take away the other AZs' way out (the instances themselves no
    longer use them: endpoints.py; they stay for the application's future outbound needs). Flow logs
    of all traffic go to a KMS-encrypted CloudWatch Logs group kept 18 months, for incident review and PCI evidence.
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
            nat_gateways=len(availability_zones),
            subnet_configuration=[
                # Nothing launched into the public subnets gets a public address by accident: the ALB and the NAT
                # gateways bring their own (R19, PCI DSS 1.3/1.4).
                ec2.SubnetConfiguration(
                    name=PUBLIC_SUBNETS,
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=24,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name=PRIVATE_SUBNETS, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
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

    def private_subnets_by_az(self) -> dict[str, list[ec2.ISubnet]]:
        """The instances' subnets grouped by AZ, for anything that acts on one AZ at a time."""
        by_az: dict[str, list[ec2.ISubnet]] = {}
        for subnet in self.vpc.select_subnets(subnet_group_name=PRIVATE_SUBNETS).subnets:
            by_az.setdefault(subnet.availability_zone, []).append(subnet)
        return by_az
