"""AZ-loss drills (R17): one AWS FIS experiment template per AZ, modelled on AWS's "AZ Availability:
Power Interruption" scenario and scoped so it can touch nothing else.

For one AZ and for the drill's duration, each experiment
- stops this ASG's running instances there, and completes even when the ASG has meanwhile terminated them
  (``completeIfInstancesTerminated``: without it the restart fails and the experiment ends ``failed``);
- makes the ASG's launches into that AZ fail with InsufficientInstanceCapacity, so replacements go to the
  other AZs as they would when an AZ has no power;
- cuts the AZ's private subnets off the network;
- shifts the ALB *and* the ASG away from the AZ (``aws:arc:start-zonal-autoshift``), the recovery a real
  zonal autoshift brings.
It stops by itself as soon as clients would notice (the product's own outage and 5xx alarms).

Actions, parameters and the permissions each needs are those of the FIS actions reference,
https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html ; the condition keys of
ec2:InjectApiError follow https://docs.aws.amazon.com/fis/latest/userguide/security_iam_id-based-policy-examples.html .
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Aws, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_fis as fis
from aws_cdk import aws_iam as iam
from constructs import Construct

from payment_failover.compliance import confused_deputy
from payment_failover.components.observability.log_encryption import LogArchive
from payment_failover.components.served_fleet import ServedFleet

ASG_TAG = "aws:autoscaling:groupName"
FIS_NACL_TAG = "managedByFIS"
DRILL_DURATION = "PT10M"
ASG_ICE_ACTION = "aws:ec2:asg-insufficient-instance-capacity-error"
# Permissions per action, exactly as the FIS actions reference lists them (test_az_drills checks the role).
ACTION_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "aws:ec2:stop-instances": (
        "ec2:StopInstances",
        "ec2:StartInstances",
        "ec2:DescribeInstances",  # required with completeIfInstancesTerminated
        "kms:CreateGrant",  # required with startInstancesAfterDuration: the root volumes are encrypted
    ),
    ASG_ICE_ACTION: ("ec2:InjectApiError", "autoscaling:DescribeAutoScalingGroups"),
    "aws:network:disrupt-connectivity": (
        "ec2:CreateNetworkAcl",
        "ec2:CreateNetworkAclEntry",
        "ec2:CreateTags",
        "ec2:DeleteNetworkAcl",
        "ec2:DescribeManagedPrefixLists",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:GetManagedPrefixListEntries",
        "ec2:ReplaceNetworkAclAssociation",
    ),
    "aws:arc:start-zonal-autoshift": (
        "arc-zonal-shift:StartZonalShift",
        "arc-zonal-shift:GetManagedResource",
        "arc-zonal-shift:UpdateZonalShift",
        "arc-zonal-shift:CancelZonalShift",
        "arc-zonal-shift:ListManagedResources",
        "autoscaling:DescribeTags",
        "tag:GetResources",
    ),
}
# Experiment logs to CloudWatch Logs (https://docs.aws.amazon.com/fis/latest/userguide/monitoring-logging.html
# sends the permissions to "Logs sent to CloudWatch Logs",
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html). That page lists the
# four actions below and asks that the three resource-policy and log-group ones name the account's log-group ARN
# pattern in the region with a * wildcard, not one group: so they are, and only CreateLogDelivery stays on *.
LOG_DELIVERY_PERMISSIONS = (
    "logs:CreateLogDelivery",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
LOG_GROUP_SCOPED_PERMISSIONS = LOG_DELIVERY_PERMISSIONS[1:]


class AzLossDrills(Construct):
    """`self.experiments[az]` is the experiment template that takes `az` away."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        subnets_by_az: Mapping[str, Sequence[ec2.ISubnet]],
        fleet: ServedFleet,
        stop_alarms: Sequence[cloudwatch.IAlarm],
        name_prefix: str,
        log_archive: LogArchive,
    ) -> None:
        super().__init__(scope, id_)
        auto_scaling_group_name, auto_scaling_group_arn = fleet.auto_scaling_group_name, fleet.auto_scaling_group_arn
        load_balancer_arn = fleet.load_balancer_arn
        stack = Stack.of(self)
        self.log_group = log_archive.log_group(self, "Logs")
        self.role = iam.Role(
            self,
            "Role",
            # Only AWS FIS running an experiment of this account and region may assume it (R19, confused deputy).
            assumed_by=iam.ServicePrincipal("fis.amazonaws.com", conditions=confused_deputy.fis_trust(stack)),
            description=f"{name_prefix} AZ-loss drills: this ASG, its instances, this ALB and this VPC only",
        )
        for statement in _drill_permissions(
            vpc,
            group_name=auto_scaling_group_name,
            group_arn=auto_scaling_group_arn,
            load_balancer_arn=load_balancer_arn,
        ):
            self.role.add_to_policy(statement)

        self.experiments: dict[str, fis.CfnExperimentTemplate] = {}
        for az, subnets in subnets_by_az.items():
            self.experiments[az] = self._experiment(
                az,
                name_prefix=name_prefix,
                targets=_drill_targets(
                    stack,
                    az,
                    subnets,
                    group_name=auto_scaling_group_name,
                    group_arn=auto_scaling_group_arn,
                    load_balancer_arn=load_balancer_arn,
                ),
                stop_alarms=stop_alarms,
            )

    def _experiment(
        self,
        az: str,
        *,
        name_prefix: str,
        targets: Mapping[str, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty],
        stop_alarms: Sequence[cloudwatch.IAlarm],
    ) -> fis.CfnExperimentTemplate:
        """The experiment template that takes `az` away, stopped by the alarms clients would notice."""
        return fis.CfnExperimentTemplate(
            self,
            f"Drill-{az}",
            description=(
                f"{name_prefix}: lose {az} for {DRILL_DURATION} (stop its instances, no launches there, "
                "cut its subnets, shift the ALB and the ASG away)"
            ),
            role_arn=self.role.role_arn,
            targets=targets,
            actions=_drill_actions(az),
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


def _drill_targets(
    stack: Stack, az: str, subnets: Sequence[ec2.ISubnet], *, group_name: str, group_arn: str, load_balancer_arn: str
) -> Mapping[str, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty]:
    """What a drill of `az` acts on: this group's running instances there, the group, the AZ's subnets, ALB and ASG."""
    target = fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty
    return {
        "InstancesInAz": target(
            resource_type="aws:ec2:instance",
            selection_mode="ALL",
            resource_tags={ASG_TAG: group_name},
            filters=[
                fis.CfnExperimentTemplate.ExperimentTemplateTargetFilterProperty(
                    path="Placement.AvailabilityZone", values=[az]
                ),
                fis.CfnExperimentTemplate.ExperimentTemplateTargetFilterProperty(path="State.Name", values=["running"]),
            ],
        ),
        "Group": target(
            resource_type="aws:ec2:autoscaling-group",
            selection_mode="ALL",
            resource_arns=[group_arn],
        ),
        "SubnetsInAz": target(
            resource_type="aws:ec2:subnet",
            selection_mode="ALL",
            resource_arns=[_subnet_arn(stack, subnet) for subnet in subnets],
        ),
        "ShiftedResources": target(
            resource_type="aws:arc:zonal-shift-managed-resource",
            selection_mode="ALL",
            resource_arns=[load_balancer_arn, group_arn],
        ),
    }


def _drill_actions(az: str) -> Mapping[str, fis.CfnExperimentTemplate.ExperimentTemplateActionProperty]:
    """What a drill of `az` does: stop its instances, fail launches there, cut its subnets, shift traffic away."""
    action = fis.CfnExperimentTemplate.ExperimentTemplateActionProperty
    return {
        "StopInstances": action(
            action_id="aws:ec2:stop-instances",
            parameters={
                "startInstancesAfterDuration": DRILL_DURATION,
                "completeIfInstancesTerminated": "true",
            },
            targets={"Instances": "InstancesInAz"},
        ),
        "NoLaunchesInAz": action(
            action_id=ASG_ICE_ACTION,
            parameters={"availabilityZoneIdentifiers": az, "duration": DRILL_DURATION, "percentage": "100"},
            targets={"AutoScalingGroups": "Group"},
        ),
        "CutSubnets": action(
            action_id="aws:network:disrupt-connectivity",
            parameters={"duration": DRILL_DURATION, "scope": "all"},
            targets={"Subnets": "SubnetsInAz"},
        ),
        # ANY: the drill shifts both resources whether or not zonal autoshift is switched on.
        "ShiftAway": action(
            action_id="aws:arc:start-zonal-autoshift",
            parameters={
                "availabilityZoneIdentifier": az,
                "duration": DRILL_DURATION,
                "managedResourceTypes": "ALB,ASG",
                "zonalAutoshiftStatus": "ANY",
            },
            targets={"ManagedResources": "ShiftedResources"},
        ),
    }


def _subnet_arn(stack: Stack, subnet: ec2.ISubnet) -> str:
    return stack.format_arn(service="ec2", resource="subnet", resource_name=subnet.subnet_id)


def _arn(service: str, resource: str) -> str:
    """An ARN built from pseudo parameters, so it reads the same in every account and region."""
    return f"arn:{Aws.PARTITION}:{service}:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"


def _drill_permissions(
    vpc: ec2.IVpc, *, group_name: str, group_arn: str, load_balancer_arn: str
) -> list[iam.PolicyStatement]:
    """The actions of ACTION_PERMISSIONS and log delivery, each scoped as far as its API allows."""
    instance_arns, nacl_arns, subnet_arns = (
        _arn("ec2", "instance/*"),
        _arn("ec2", "network-acl/*"),
        _arn("ec2", "subnet/*"),
    )
    vpc_arn = _arn("ec2", f"vpc/{vpc.vpc_id}")
    return [
        *_instance_statements(instance_arns, group_name=group_name, group_arn=group_arn),
        *_network_acl_statements(nacl_arns, subnet_arns, vpc_arn),
        *_shift_and_resolve_statements(load_balancer_arn, group_arn),
        *_log_delivery_statements(),
    ]


def _instance_statements(instance_arns: str, *, group_name: str, group_arn: str) -> list[iam.PolicyStatement]:
    """This group's instances only: a drill must not stop, restart or starve any other fleet of the account."""
    return [
        iam.PolicyStatement(
            sid="StopAndStartThisGroupsInstances",
            actions=["ec2:StopInstances", "ec2:StartInstances"],
            resources=[instance_arns],
            conditions={"StringEquals": {f"aws:ResourceTag/{ASG_TAG}": group_name}},
        ),
        # Restarting an instance whose root volume is encrypted needs a grant on the volume's key, for EC2 only.
        iam.PolicyStatement(
            sid="RestartEncryptedVolumesThroughEc2",
            actions=["kms:CreateGrant"],
            resources=[_arn("kms", "key/*")],
            conditions={
                "StringEquals": {"kms:ViaService": f"ec2.{Aws.REGION}.amazonaws.com"},
                "Bool": {"kms:GrantIsForAWSResource": "true"},
            },
        ),
        iam.PolicyStatement(
            sid="FailThisGroupsLaunchesOnly",
            actions=["ec2:InjectApiError"],
            resources=["*"],
            conditions={
                "StringEquals": {"ec2:FisActionId": ASG_ICE_ACTION},
                "ForAllValues:ArnEquals": {"ec2:FisTargetArns": [group_arn]},
            },
        ),
    ]


def _network_acl_statements(nacl_arns: str, subnet_arns: str, vpc_arn: str) -> list[iam.PolicyStatement]:
    """Cut subnets off with network ACLs the drill creates in this VPC, and touch no other ACL."""
    return [
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
    ]


def _shift_and_resolve_statements(load_balancer_arn: str, group_arn: str) -> list[iam.PolicyStatement]:
    """Shift only this ALB and group, and read what FIS needs to resolve the targets (no resource scope exists)."""
    return [
        iam.PolicyStatement(
            sid="ShiftOnlyThisAlbAndGroup",
            actions=[
                "arc-zonal-shift:StartZonalShift",
                "arc-zonal-shift:GetManagedResource",
                "arc-zonal-shift:UpdateZonalShift",
                "arc-zonal-shift:CancelZonalShift",
            ],
            resources=["*"],
            conditions={"StringEquals": {"arc-zonal-shift:ResourceIdentifier": [load_balancer_arn, group_arn]}},
        ),
        iam.PolicyStatement(
            sid="ResolveTargets",
            actions=[
                "ec2:DescribeInstances",
                "ec2:DescribeManagedPrefixLists",
                "ec2:DescribeNetworkAcls",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "ec2:GetManagedPrefixListEntries",
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeTags",
                "arc-zonal-shift:ListManagedResources",
                "tag:GetResources",
            ],
            resources=["*"],
        ),
    ]


def _log_delivery_statements() -> list[iam.PolicyStatement]:
    """Deliver experiment logs, with the log-group actions on this account's log groups in this region."""
    return [
        iam.PolicyStatement(sid="DeliverExperimentLogs", actions=["logs:CreateLogDelivery"], resources=["*"]),
        iam.PolicyStatement(
            sid="LogDeliveryPolicyOnThisAccountsLogGroupsInThisRegion",
            actions=list(LOG_GROUP_SCOPED_PERMISSIONS),
            resources=[_arn("logs", "log-group:*")],
        ),
    ]
