"""AZ-loss drills (R17): two AWS FIS experiment templates per AZ, scoped so they can touch nothing else.

``experiments[az]`` models an AZ event on the pattern of AWS's "AZ Availability: Power Interruption" scenario:
the failure first, the recovery only later. From t=0 and for the drill's duration it
- stops this ASG's running instances there, and completes even when the ASG has meanwhile terminated them
  (``completeIfInstancesTerminated``: without it the restart fails and the experiment ends ``failed``);
- makes the ASG's launches into that AZ fail with InsufficientInstanceCapacity, so replacements go to the
  other AZs as they would when an AZ has no power;
- cuts all of the AZ's subnets off the network: the instances' private subnet, and the public subnet where the
  load balancer's node in that AZ has its network interface, so the drill loses that node too, as a power loss
  would (the scenario "includes ... subnet connectivity loss",
  https://docs.aws.amazon.com/fis/latest/userguide/az-availability-scenario.html). Nothing else lives in the public
  subnets (no NAT gateway: decision 0011);
and only after ``SHIFT_DELAY`` (an ``aws:fis:wait`` that the shift names in ``startAfter``, "any actions that
must complete before this action can start", https://docs.aws.amazon.com/fis/latest/userguide/action-sequence.html)
shifts the ALB *and* the ASG away from the AZ (``aws:arc:start-zonal-autoshift``) until the drill ends. The shift
does not name the failure actions in ``startAfter``: they last the whole drill, so the shift would start at its end.

``SHIFT_DELAY`` is AWS's own example: in the power-interruption experiment ARC describes, "five minutes after the AZ
power interruption begins, the recovery action aws:arc:start-zonal-autoshift automatically shifts resource traffic
away from the specified AZ" (https://docs.aws.amazon.com/r53recovery/latest/dg/testing-zonal-autoshift-fis.html).
A real autoshift starts when AWS's telemetry detects an impairment, "as early as possible"
(https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-autoshift.how-it-works.start-stop-auto.html), so five
minutes is an example, not a bound. It is later than the budget's first per-AZ ``HealthyHosts`` notification
(120 s: the earliest an operator could shift by hand) and than its 60 s of 5xx from a lost AZ's targets, so the
drill measures both with no help from the shift. Until the shift, the lost node's address stays in the load
balancer's DNS answers: with cross-zone load balancing an AZ's node address stays in DNS while the target group
has a healthy target in any AZ (https://www.repost.aws/knowledge-center/elb-dns-cross-zone-balance-configuration), and
a zonal shift is what makes the load balancer stop "sending new traffic for the resource to the affected
Availability Zone" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/zonal-shift.html).
Clients that resolved that address get connection failures, not 5xx: the budget counts them
(``make budget``, "connection failures at a lost AZ's load balancer node") and test_az_drills checks the drill
against it.

``replacement_experiments[az]`` stops the AZ's instances only: no launch errors, no network cut, no shift, so the
ASG's ELB health checks mark them unhealthy and the group replaces them (the budget's "not shifted" case).

Both stop by themselves on a runaway, not on the budgeted error window: ``NoHealthyTarget`` (a total outage, never
budgeted) and drill-owned copies of the 5xx-rate alarms that need ``RUNAWAY_DATAPOINTS`` consecutive minutes above
the threshold. A 60 s window touches at most two one-minute periods, so the product's own 2-of-3 rule can fire on
it and would end a drill that behaves as budgeted; three in a row cannot, and still stop the drill within 3 minutes
of errors that outlast the budget. The connection failures at the cut load balancer node never reach these alarms:
"Elastic Load Balancing reports metrics to CloudWatch only when requests are flowing through the load balancer"
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html), and
requests a network ACL drops before the node never flow through it; they neither stop the drill nor hide a runaway
of the 5xx the alarms do count. The synthetic probes see them (their alarms may fire during a drill).

Actions, parameters and the permissions each needs are those of the FIS actions reference,
https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html (``aws:fis:wait`` needs none); the
condition keys of ec2:InjectApiError follow
https://docs.aws.amazon.com/fis/latest/userguide/security_iam_id-based-policy-examples.html .
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Aws, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_fis as fis
from aws_cdk import aws_iam as iam
from constructs import Construct

from payment_failover.compliance import confused_deputy, governance
from payment_failover.components.observability.log_encryption import LogArchive
from payment_failover.components.served_fleet import ServedFleet

ASG_TAG = "aws:autoscaling:groupName"
FIS_NACL_TAG = "managedByFIS"
DRILL_DURATION = "PT10M"
SHIFT_DELAY = "PT5M"  # AWS's example: see the module docstring
SHIFT_DURATION = "PT5M"  # DRILL_DURATION - SHIFT_DELAY: the shift ends with the failure
RUNAWAY_DATAPOINTS = 3  # consecutive one-minute periods above the 5xx threshold that stop a drill
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
    """`self.experiments[az]` takes `az` away and shifts later; `self.replacement_experiments[az]` only stops its
    instances. Stopped by `stop_alarms` as they are and by runaway copies of `error_rate_alarms`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        subnets_by_az: Mapping[str, Sequence[ec2.ISubnet]],
        fleet: ServedFleet,
        stop_alarms: Sequence[cloudwatch.IAlarm],
        error_rate_alarms: Sequence[cloudwatch.Alarm],
        error_rate_percent: int,
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

        self.runaway_alarms = [
            self._runaway_alarm(alarm, error_rate_percent=error_rate_percent, name_prefix=name_prefix)
            for alarm in error_rate_alarms
        ]
        stopping = [*self.runaway_alarms, *stop_alarms]
        self.experiments: dict[str, fis.CfnExperimentTemplate] = {}
        self.replacement_experiments: dict[str, fis.CfnExperimentTemplate] = {}
        for az, subnets in subnets_by_az.items():
            targets = _drill_targets(
                stack,
                az,
                subnets,
                group_name=auto_scaling_group_name,
                group_arn=auto_scaling_group_arn,
                load_balancer_arn=load_balancer_arn,
            )
            self._add_drills(az, targets, stopping=stopping, name_prefix=name_prefix)

    def _add_drills(
        self,
        az: str,
        targets: Mapping[str, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty],
        *,
        stopping: Sequence[cloudwatch.IAlarm],
        name_prefix: str,
    ) -> None:
        """The AZ-event drill of `az` and its replacement-only variant."""
        self.experiments[az] = self._experiment(
            f"Drill-{az}",
            name=f"{name_prefix}-lose-{az}",
            description=(
                f"{name_prefix}: lose {az} for {DRILL_DURATION} (stop its instances, no launches there, cut its "
                f"subnets and the load balancer node's); shift the ALB and the ASG away only after {SHIFT_DELAY}"
            ),
            targets=targets,
            actions=_drill_actions(az),
            stop_alarms=stopping,
        )
        self.replacement_experiments[az] = self._experiment(
            f"Replace-{az}",
            name=f"{name_prefix}-replace-in-{az}",
            description=(
                f"{name_prefix}: stop this group's instances in {az} for {DRILL_DURATION}, no zonal shift: "
                "ELB health checks make the group replace them"
            ),
            targets={"InstancesInAz": targets["InstancesInAz"]},
            actions={"StopInstances": _stop_instances()},
            stop_alarms=stopping,
        )

    def _runaway_alarm(self, alarm: cloudwatch.Alarm, *, error_rate_percent: int, name_prefix: str) -> cloudwatch.Alarm:
        """`alarm`'s 5xx rate, firing only after RUNAWAY_DATAPOINTS minutes in a row, longer than the budget."""
        name = alarm.node.id
        runaway = cloudwatch.Alarm(
            self,
            f"Runaway{name}",
            alarm_name=f"{name_prefix}-DrillRunaway-{name}",
            metric=alarm.metric,
            threshold=error_rate_percent,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=RUNAWAY_DATAPOINTS,
            datapoints_to_alarm=RUNAWAY_DATAPOINTS,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=(
                f"AZ drills stop here: more than {error_rate_percent}% 5xx for {RUNAWAY_DATAPOINTS} minutes in a row, "
                "longer than the budgeted error window of a lost AZ; notifies nobody (the drill's stop condition)"
            ),
        )
        Validations.of(runaway).acknowledge(governance.DRILL_STOP_CONDITIONS_WITHOUT_ACTIONS)
        return runaway

    def _experiment(
        self,
        id_: str,
        *,
        name: str,
        description: str,
        targets: Mapping[str, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty],
        actions: Mapping[str, fis.CfnExperimentTemplate.ExperimentTemplateActionProperty],
        stop_alarms: Sequence[cloudwatch.IAlarm],
    ) -> fis.CfnExperimentTemplate:
        """One experiment template, stopped by `stop_alarms`, logging to the drills' log group."""
        return fis.CfnExperimentTemplate(
            self,
            id_,
            description=description,
            role_arn=self.role.role_arn,
            targets=targets,
            actions=actions,
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
            tags={"Name": name},
        )


def _drill_targets(
    stack: Stack, az: str, subnets: Sequence[ec2.ISubnet], *, group_name: str, group_arn: str, load_balancer_arn: str
) -> Mapping[str, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty]:
    """What a drill of `az` acts on: this group's running instances there, the group, every subnet of the AZ (the
    instances' and the load balancer node's), the ALB and the ASG."""
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


def _stop_instances() -> fis.CfnExperimentTemplate.ExperimentTemplateActionProperty:
    """Stop the AZ's instances of this group for the drill, then start those the group has not replaced."""
    return fis.CfnExperimentTemplate.ExperimentTemplateActionProperty(
        action_id="aws:ec2:stop-instances",
        parameters={"startInstancesAfterDuration": DRILL_DURATION, "completeIfInstancesTerminated": "true"},
        targets={"Instances": "InstancesInAz"},
    )


def _drill_actions(az: str) -> Mapping[str, fis.CfnExperimentTemplate.ExperimentTemplateActionProperty]:
    """Fail `az` at t=0 (stop its instances, fail launches there, cut its subnets); shift away after SHIFT_DELAY."""
    action = fis.CfnExperimentTemplate.ExperimentTemplateActionProperty
    return {
        "StopInstances": _stop_instances(),
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
        "WaitBeforeShift": action(action_id="aws:fis:wait", parameters={"duration": SHIFT_DELAY}),
        # ANY: the drill shifts both resources whether or not zonal autoshift is switched on.
        "ShiftAway": action(
            action_id="aws:arc:start-zonal-autoshift",
            parameters={
                "availabilityZoneIdentifier": az,
                "duration": SHIFT_DURATION,
                "managedResourceTypes": "ALB,ASG",
                "zonalAutoshiftStatus": "ANY",
            },
            targets={"ManagedResources": "ShiftedResources"},
            start_after=["WaitBeforeShift"],
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
