"""The VPC's default security group, emptied (R19, PCI DSS v4.0.1 1.3/1.4).

AWS creates every VPC with a default security group that allows all traffic between its members and all outbound
traffic, and it cannot be deleted (https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html).
Nothing in this tier uses it, but anything launched without a group would land in it. CloudFormation can add rules
to a group, never remove them, so the two default rules are revoked by one EC2 call each at deploy time, through
the same singleton Lambda that looks up the S3 prefix list (sdk_calls.py) — one function and one role per stack for
both, rather than a second function of CDK's own (`restrictDefaultSecurityGroup`, kept off in cdk.json). On stack
deletion nothing is called: the group goes with the VPC.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from payment_failover.components.network.sdk_calls import sdk_call
from payment_failover.components.observability.log_encryption import LogArchive

# A rule already gone (revoked by hand, or by an earlier deploy) is the state we want, not an error.
RULE_ALREADY_GONE = "InvalidPermission.NotFound"


class ClosedDefaultSecurityGroup(Construct):
    """Revokes the default group's allow-from-itself ingress rule and its allow-all egress rule."""

    def __init__(self, scope: Construct, id_: str, *, vpc: ec2.Vpc, log_archive: LogArchive) -> None:
        super().__init__(scope, id_)
        group_id = vpc.vpc_default_security_group
        group_arn = Stack.of(self).format_arn(service="ec2", resource="security-group", resource_name=group_id)
        all_traffic = {"IpProtocol": "-1"}
        for construct_id, action, permission in (
            (
                "RevokeIngress",
                "revokeSecurityGroupIngress",
                {**all_traffic, "UserIdGroupPairs": [{"GroupId": group_id}]},
            ),
            ("RevokeEgress", "revokeSecurityGroupEgress", {**all_traffic, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}),
        ):
            sdk_call(
                self,
                construct_id,
                log_archive=log_archive,
                action=action,
                parameters={"GroupId": group_id, "IpPermissions": [permission]},
                physical_id=cr.PhysicalResourceId.of(f"default-security-group-{construct_id}"),
                statements=[
                    iam.PolicyStatement(actions=[f"ec2:{action[0].upper()}{action[1:]}"], resources=[group_arn])
                ],
                ignore_error_codes=RULE_ALREADY_GONE,
            )
        self.security_group_id = group_id
