"""AZ-loss drills (issue 6): one AWS FIS experiment template per AZ, scoped so it can touch nothing else.

Each experiment stops this ASG's running instances in one AZ and cuts that AZ's private subnets off
the network for the drill's duration, then lets the product prove it keeps serving. It stops by
itself as soon as clients would notice (the product's own 5xx alarms).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_fis as fis
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

ASG_TAG = "aws:autoscaling:groupName"
FIS_NACL_TAG = "managedByFIS"
DRILL_DURATION = "PT10M"


class AzLossDrills(Construct):
    """`self.experiments[az]` is the experiment template that takes `az` away."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        subnets_by_az: Mapping[str, Sequence[ec2.ISubnet]],
        auto_scaling_group_name: str,
        stop_alarms: Sequence[cloudwatch.IAlarm],
        name_prefix: str,
    ) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "fis.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=f"{name_prefix} AZ-loss drills: this ASG's instances and this VPC's subnets only",
        )
        for statement in _drill_permissions(vpc, auto_scaling_group_name):
            self.role.add_to_policy(statement)

        self.experiments: dict[str, fis.CfnExperimentTemplate] = {}
        for az, subnets in subnets_by_az.items():
            self.experiments[az] = fis.CfnExperimentTemplate(
                self,
                f"Drill-{az}",
                description=f"{name_prefix}: lose {az} (stop its instances, cut its subnets) for {DRILL_DURATION}",
                role_arn=self.role.role_arn,
                targets={
                    "InstancesInAz": fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty(
                        resource_type="aws:ec2:instance",
                        selection_mode="ALL",
                        resource_tags={ASG_TAG: auto_scaling_group_name},
                        filters=[
                            fis.CfnExperimentTemplate.ExperimentTemplateTargetFilterProperty(
                                path="Placement.AvailabilityZone", values=[az]
                            ),
                            fis.CfnExperimentTemplate.ExperimentTemplateTargetFilterProperty(
                                path="State.Name", values=["running"]
                            ),
                        ],
                    ),
                    "SubnetsInAz": fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty(
                        resource_type="aws:ec2:subnet",
                        selection_mode="ALL",
                        resource_arns=[_subnet_arn(stack, subnet) for subnet in subnets],
                    ),
                },
                actions={
                    "StopInstances": fis.CfnExperimentTemplate.ExperimentTemplateActionProperty(
                        action_id="aws:ec2:stop-instances",
                        parameters={"startInstancesAfterDuration": DRILL_DURATION},
                        targets={"Instances": "InstancesInAz"},
                    ),
                    "CutSubnets": fis.CfnExperimentTemplate.ExperimentTemplateActionProperty(
                        action_id="aws:network:disrupt-connectivity",
                        parameters={"duration": DRILL_DURATION, "scope": "all"},
                        targets={"Subnets": "SubnetsInAz"},
                    ),
                },
                stop_conditions=[
                    fis.CfnExperimentTemplate.ExperimentTemplateStopConditionProperty(
                        source="aws:cloudwatch:alarm", value=alarm.alarm_arn
                    )
                    for alarm in stop_alarms
                ],
                log_configuration=fis.CfnExperimentTemplate.ExperimentTemplateLogConfigurationProperty(
                    log_schema_version=2,
                    cloud_watch_logs_configuration={"LogGroupArn": self.log_group.log_group_arn},
                ),
                experiment_options=fis.CfnExperimentTemplate.ExperimentTemplateExperimentOptionsProperty(
                    account_targeting="single-account", empty_target_resolution_mode="fail"
                ),
                tags={"Name": f"{name_prefix}-lose-{az}"},
            )


def _subnet_arn(stack: Stack, subnet: ec2.ISubnet) -> str:
    return stack.format_arn(service="ec2", resource="subnet", resource_name=subnet.subnet_id)


def _ec2_arn(resource: str) -> str:
    """An EC2 ARN built from pseudo parameters, so it reads the same in every account and region."""
    return f"arn:{Aws.PARTITION}:ec2:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"


def _drill_permissions(vpc: ec2.IVpc, group_name: str) -> list[iam.PolicyStatement]:
    """Only what the two actions and FIS logging need, scoped to this ASG's tag and this VPC."""
    instance_arns, nacl_arns, subnet_arns = _ec2_arn("instance/*"), _ec2_arn("network-acl/*"), _ec2_arn("subnet/*")
    vpc_arn = _ec2_arn(f"vpc/{vpc.vpc_id}")
    return [
        iam.PolicyStatement(
            sid="StopAndStartThisGroupsInstances",
            actions=["ec2:StopInstances", "ec2:StartInstances"],
            resources=[instance_arns],
            conditions={"StringEquals": {f"aws:ResourceTag/{ASG_TAG}": group_name}},
        ),
        iam.PolicyStatement(
            sid="CreateTheDrillsNetworkAclInThisVpc",
            actions=["ec2:CreateNetworkAcl"],
            resources=[nacl_arns, vpc_arn],
        ),
        iam.PolicyStatement(
            sid="TagOnlyNetworkAclsBeingCreated",
            actions=["ec2:CreateTags"],
            resources=[nacl_arns],
            conditions={"StringEquals": {"ec2:CreateAction": "CreateNetworkAcl"}},
        ),
        iam.PolicyStatement(
            sid="ChangeAndRemoveOnlyTheDrillsNetworkAcls",
            actions=["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl"],
            resources=[nacl_arns],
            conditions={"StringEquals": {f"ec2:ResourceTag/{FIS_NACL_TAG}": "true"}},
        ),
        iam.PolicyStatement(
            sid="SwapNetworkAclsOfThisVpcsSubnets",
            actions=["ec2:ReplaceNetworkAclAssociation"],
            resources=[nacl_arns, subnet_arns],
            conditions={"StringEquals": {"ec2:Vpc": vpc_arn}},
        ),
        iam.PolicyStatement(
            sid="ResolveTargets",
            actions=["ec2:DescribeInstances", "ec2:DescribeNetworkAcls", "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="DeliverExperimentLogs",
            actions=[
                "logs:CreateLogDelivery",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ],
            resources=["*"],
        ),
    ]
