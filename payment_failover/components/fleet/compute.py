"""Compute (R5, R6): a launch template and an ASG kept balanced over the private subnets."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Aws, Duration, Stack, Tags
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from payment_failover.components.fleet.drain import DrainTiming
from payment_failover.components.fleet.graceful_stop import drain_hook_name
from payment_failover.components.fleet.rollout import RolloutTiming
from payment_failover.config.instance_types import is_burstable

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
SIGNAL_SCRIPT_FILE = RUNTIME_DIR / "signal_when_healthy.sh"
SHIP_LOGS_FILE = RUNTIME_DIR / "ship_logs.sh"
DRAIN_SCRIPT_FILE = RUNTIME_DIR / "drain_on_terminate.sh"
DRAIN_UNIT_FILE = RUNTIME_DIR / "payment-drain.service"
DRAIN_UNIT_NAME = "payment-drain.service"
INSTALL_DIR = "/opt/payment-failover"
# The service's unit: the revision brings it (sample_service/systemd), the tier configures and stops it by this name.
UNIT_NAME = "payment-health.service"
TIER_ENV_PATH = "/etc/payment-failover/tier.env"
CODEDEPLOY_AGENT_CONFIG = "/etc/codedeploy-agent/conf/codedeployagent.yml"
SIGNAL_SCRIPT_PATH = f"{INSTALL_DIR}/signal_when_healthy.sh"
SHIP_LOGS_PATH = f"{INSTALL_DIR}/ship_logs.sh"
AGENT_CONFIG_PATH = f"{INSTALL_DIR}/cloudwatch-agent.json"
HEALTH_PATH = "/health"
HEREDOC_MARKER = "PAYMENT_FAILOVER_EOF"
# EC2 refuses user data above 16 KB before base64 encoding (instancedata-add-user-data page, _install_file).
USER_DATA_LIMIT_BYTES = 16 * 1024
SIGNAL_POLL_SECONDS = 5
HEALTH_CHECK_GRACE_SECONDS = 300
ROOT_VOLUME_GIB = 8
# Capacity that holds an AZ loss (R17) by static stability, not by scaling on demand: zonal autoshift "is a
# capability designed for customers who have pre-scaled their application resources for all Availability
# Zones", and scaling on demand must not be relied on when a shift starts
# (https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-autoshift.how-it-works.start-stop-auto.html).
# The fleet is held at a CPU average of ceiling x (AZs - 1) / AZs, so the instances of the remaining AZs carry
# the whole load at no more than the ceiling. The average includes the idle instances of a shifted-away AZ
# (they stay in the group), which is exactly what makes 40 % of six the same work as 60 % of four.
CPU_CEILING_PERCENT = 60
# For prescaled groups AWS recommends "Ignore unhealthy" in the shifted-away AZ: no replacements launched
# into, or churned in, an impaired zone
# (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-zonal-shift.html).
IMPAIRED_ZONE_BEHAVIOUR = "IgnoreUnhealthy"
# What the SSM agent needs for Session Manager on an instance, and nothing more (see Compute.role). Neither
# ssmmessages action takes a resource type, so the statement is on "*"
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_ssmmessages.html).
SESSION_MANAGER_INSTANCE_ACTIONS = (
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


def prescaled_cpu_target(zones: int, ceiling_percent: int = CPU_CEILING_PERCENT) -> int:
    """The CPU target at which the instances of zones - 1 AZs carry the whole load at `ceiling_percent`."""
    if zones < 2:
        raise ValueError(f"an AZ loss needs at least 2 AZs, got {zones}")
    return ceiling_percent * (zones - 1) // zones


def service_environment_commands(*, port: int, drain: DrainTiming) -> list[str]:
    """User-data commands that give the service what the tier decides: its port and its drain time (R20).

    The service itself (its files and its systemd unit) is installed by AWS CodeDeploy from the revision
    (components/delivery); the tier's values live outside the revision, in an environment file and a systemd
    drop-in for the unit, so a new version never changes them and a new port or drain time never needs a release.
    """
    drop_in = (
        "[Service]\n"
        f"EnvironmentFile={TIER_ENV_PATH}\n"
        "# systemd kills only a service that did not end by itself within its drain time.\n"
        f"TimeoutStopSec={drain.stop_timeout_seconds}\n"
    )
    environment = f"HEALTH_PORT={port}\nSERVICE_DRAIN_SECONDS={drain.service_drain_seconds}\n"
    return [
        f"install -d -m 0755 {Path(TIER_ENV_PATH).parent} /etc/systemd/system/{UNIT_NAME}.d",
        _write_file(TIER_ENV_PATH, environment, mode="0644"),
        _write_file(f"/etc/systemd/system/{UNIT_NAME}.d/tier.conf", drop_in, mode="0644"),
        "systemctl daemon-reload",
    ]


def codedeploy_agent_commands(*, region: str) -> list[str]:
    """User-data commands that install the CodeDeploy agent from the region's resource kit and point it at the
    `codedeploy-commands-secure` VPC endpoint (R20).

    The installer comes from the region's `aws-codedeploy-<region>` bucket through the S3 gateway endpoint
    (https://docs.aws.amazon.com/codedeploy/latest/userguide/codedeploy-agent-operations-install-linux.html:
    `latestv2/` is the 2.x installer, which needs no Ruby); `:enable_auth_policy: true` makes the agent use the
    secure commands endpoint with the instance role's permissions
    (https://docs.aws.amazon.com/codedeploy/latest/userguide/vpc-endpoints.html#vpc-codedeploy-agent-configuration).
    """
    installer = "/tmp/codedeploy-install"
    return [
        f"aws s3 cp --only-show-errors --region {region} s3://aws-codedeploy-{region}/latestv2/install {installer}",
        f"chmod 0700 {installer}",
        f"{installer} auto",
        f"rm -f {installer}",
        f"printf '\\n:enable_auth_policy: true\\n' >> {CODEDEPLOY_AGENT_CONFIG}",
        "systemctl restart codedeploy-agent",
        "systemctl is-active --quiet codedeploy-agent",
    ]


def drain_commands(*, group_name: str, region: str) -> list[str]:
    """User-data commands that install and start the watcher that drains the service on termination (R20)."""
    unit = (
        DRAIN_UNIT_FILE.read_text()
        .replace("@SERVICE_UNIT@", UNIT_NAME)
        .replace("@HOOK@", drain_hook_name(group_name))
        .replace("@GROUP@", group_name)
        .replace("@REGION@", region)
    )
    return [
        _install_file(f"{INSTALL_DIR}/drain_on_terminate.sh", DRAIN_SCRIPT_FILE.read_text(), mode="0755"),
        _write_file(f"/etc/systemd/system/{DRAIN_UNIT_NAME}", unit, mode="0644"),
        "systemctl daemon-reload",
        f"systemctl enable --now {DRAIN_UNIT_NAME}",
    ]


def log_shipping_commands(*, agent_config: str) -> list[str]:
    """User-data commands that ship the instance's logs off it before anything worth logging runs (R19)."""
    return [
        _install_file(SHIP_LOGS_PATH, SHIP_LOGS_FILE.read_text(), mode="0755"),
        _write_file(AGENT_CONFIG_PATH, agent_config, mode="0644"),
        f"{SHIP_LOGS_PATH} --agent-config {AGENT_CONFIG_PATH}",
    ]


def health_gated_commands(
    *,
    port: int,
    stack_name: str,
    resource: str,
    region: str,
    timing: RolloutTiming,
    agent_config: str,
    drain: DrainTiming,
    group_name: str,
    target_group_arn: str,
    role_name: str | None = None,
) -> list[str]:
    """The whole user data (R6, R16, R19, R20): install the signal script, ship logs, install the CodeDeploy agent,
    give the service its port and drain time, watch for termination, then wait and signal.

    The wait is the deploy gate: once the group has had a release (CodeDeploy's launch hook is on it), /health on
    loopback, then this instance's target health in `target_group_arn` as the load balancer reports it; before the
    first release, the bootstrap alone (runtime/signal_when_healthy.sh).

    Any failing step before the wait signals failure at once through the ERR trap, so a broken build (or an
    instance whose logs could not leave it) fails its batch within seconds instead of after the PauseTime.
    """
    signal = f"{SIGNAL_SCRIPT_PATH} --stack {stack_name} --resource {resource} --region {region}"
    if role_name is not None:
        signal += f" --role {role_name}"
    return [
        "set -euo pipefail",
        f"install -d -m 0755 {INSTALL_DIR}",
        _install_file(SIGNAL_SCRIPT_PATH, SIGNAL_SCRIPT_FILE.read_text(), mode="0755"),
        f"trap '{signal} --failed' ERR",
        *log_shipping_commands(agent_config=agent_config),
        *codedeploy_agent_commands(region=region),
        *service_environment_commands(port=port, drain=drain),
        *drain_commands(group_name=group_name, region=region),
        "trap - ERR",
        f"{signal} --url http://127.0.0.1:{port}{HEALTH_PATH}"
        f" --deadline {timing.signal_deadline_seconds} --settle {timing.settle_seconds}"
        f" --interval {SIGNAL_POLL_SECONDS} --target-group-arn {target_group_arn} --release-group {group_name}",
    ]


def _write_file(path: str, content: str, *, mode: str) -> str:
    """A file written as plain text: for content CloudFormation completes (it holds references)."""
    _refuse_marker(path, content)
    return f"cat > {path} <<'{HEREDOC_MARKER}'\n{content.rstrip()}\n{HEREDOC_MARKER}\nchmod {mode} {path}"


def _install_file(path: str, content: str, *, mode: str) -> str:
    """A fixed file of the package, gzip-compressed and base64-encoded: the user data stays within EC2's 16 KB.

    "User data is limited to 16 KB, in raw form, before it is base64-encoded"
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html); the runtime files alone
    are 17 KB as text. mtime=0 keeps the encoding, and so the launch template, identical for identical content.
    """
    _refuse_marker(path, content)
    encoded = base64.encodebytes(gzip.compress(content.rstrip().encode() + b"\n", mtime=0)).decode().rstrip()
    return f"base64 -d <<'{HEREDOC_MARKER}' | gunzip > {path}\n{encoded}\n{HEREDOC_MARKER}\nchmod {mode} {path}"


def _refuse_marker(path: str, content: str) -> None:
    if HEREDOC_MARKER in content:
        raise ValueError(f"{path} must not contain the heredoc marker {HEREDOC_MARKER}")


class Compute(Construct):
    """Instances that serve payments; replaced automatically when the load balancer sees them fail."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        instance_type: str,
        additional_instance_types: Sequence[str] = (),
        image_id: str,
        min_capacity: int,
        max_capacity: int,
        service_port: int,
        name: str,
        notifications_topic: sns.ITopic,
        rollout: RolloutTiming,
        agent_config: str,
        drain: DrainTiming,
        target_group_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        if max_capacity <= min_capacity:
            # CloudFormation rejects MinInstancesInService >= MaxSize (UpdatePolicy attribute page): a rolling
            # update that keeps the whole minimum in service needs room above it for the new batch.
            raise ValueError(f"max_capacity ({max_capacity}) must exceed min_capacity ({min_capacity})")
        self._security_group(vpc)
        self._role()
        self._allow_codedeploy_agent()
        self._launch_template(instance_type=instance_type, image_id=image_id, name=name)
        self._group(
            vpc=vpc,
            subnets=subnets,
            instance_types=(instance_type, *additional_instance_types),
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            name=name,
            notifications_topic=notifications_topic,
            rollout=rollout,
        )
        self._boot_and_replacement(
            service_port=service_port,
            rollout=rollout,
            agent_config=agent_config,
            drain=drain,
            name=name,
            target_group_arn=target_group_arn,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            availability_zones=len(vpc.availability_zones),
        )

    def _security_group(self, vpc: ec2.IVpc) -> None:
        """The instances' group: the service port from the ALB only, egress only to the VPC endpoints (R7, R19)."""
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            # Unchanged on purpose: GroupDescription cannot change without replacing the group (and the rules that
            # name it); the egress it describes now goes through the VPC endpoints.
            description="Payment instances: service port from the ALB only; egress for SSM and OS updates",
            # No internet egress (R19, PCI DSS v4.0.1 1.3/1.4): the only outbound rules are HTTPS to the VPC
            # endpoints, added by ServiceEndpoints.admit. DNS to the Amazon-provided resolver, the instance metadata
            # service and Amazon Time Sync are link-local services that need no rule: security groups cannot block
            # DNS to the Route 53 Resolver (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html),
            # IMDS "runs locally on every EC2 instance"
            # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-options.html), and
            # Time Sync over NTP needs no VPC configuration and no internet access
            # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configure-ec2-ntp.html).
            allow_all_outbound=False,
        )

    def _role(self) -> None:
        """The instance role: Session Manager's agent, the CodeDeploy agent and the deploy gate's two reads."""
        self.role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            # The ASG's `signals` add one statement: cloudformation:SignalResource on this stack only.
            description=(
                "Payment instances: Session Manager access, their own log groups and signalling their own stack only"
            ),
        )
        # No AmazonSSMManagedInstanceCore: it also reads every SSM parameter of the account (ssm:GetParameter(s) on
        # *), runs State Manager, Inventory and Patch Manager, none of which this tier uses. Session Manager needs
        # only the agent's registration and its four channel actions: the minimal instance policy AWS gives in
        # "Create a custom IAM role for Session Manager"
        # (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html).
        # Session logs go to CloudWatch Logs (InstanceLogs grants those writes), not S3, so no
        # s3:GetEncryptionConfiguration; sessions are not KMS-encrypted end to end, so no kms:Decrypt.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SessionManagerAgentOnly",
                actions=list(SESSION_MANAGER_INSTANCE_ACTIONS),
                resources=["*"],
            )
        )
        # The deploy gate asks the load balancer for this instance's target health (R20, failure 20). The Service
        # Authorization Reference lists no resource type for elasticloadbalancing:DescribeTargetHealth, so it can
        # only be granted on "*"
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html).
        # Its other question, whether a release has put CodeDeploy's launch hook on the group (R20), is
        # autoscaling:DescribeLifecycleHooks, which takes no resource type either
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html).
        # The two reads stay alone in a policy of their own, so the acknowledgement of that "*" (governance.py)
        # covers them and nothing added to the role later. They reach ELB and Auto Scaling only through their
        # interface endpoints, whose policies allow these actions (network/endpoints.py).
        self.target_health_policy = iam.ManagedPolicy(
            self,
            "ReadTargetHealth",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadTargetHealth",
                    actions=["elasticloadbalancing:DescribeTargetHealth"],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="ReadLaunchHooks",
                    actions=["autoscaling:DescribeLifecycleHooks"],
                    resources=["*"],
                ),
            ],
        )

    def _allow_codedeploy_agent(self) -> None:
        """The CodeDeploy agent's own calls: its host commands, and its installer from the resource kit (R20)."""
        # Through the codedeploy-commands-secure VPC endpoint. The four actions have no resource type in the Service
        # Authorization Reference, so "*" is the only resource they take
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_codedeploy-commands-secure.html);
        # the agent's installer and packages come from the region's resource kit bucket.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="CodeDeployAgent",
                actions=[
                    "codedeploy-commands-secure:GetDeploymentSpecification",
                    "codedeploy-commands-secure:PollHostCommand",
                    "codedeploy-commands-secure:PutHostCommandAcknowledgement",
                    "codedeploy-commands-secure:PutHostCommandComplete",
                ],
                resources=["*"],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="CodeDeployAgentInstaller",
                actions=["s3:GetObject"],
                resources=[f"arn:{Aws.PARTITION}:s3:::aws-codedeploy-{Aws.REGION}/*"],
            )
        )

    def _launch_template(self, *, instance_type: str, image_id: str, name: str) -> None:
        """The launch template: the pinned image, IMDSv2, an encrypted root volume, explicit CPU credits (R6)."""
        ec2_type = ec2.InstanceType(instance_type)
        # Filled in below, once the group's logical id (the resource the instances signal) exists.
        self.user_data = ec2.UserData.for_linux()
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            launch_template_name=name,
            instance_type=ec2_type,
            # Burstable types run unlimited, explicitly: the design holds them at 40 % CPU and counts on 60 % after an
            # AZ loss, above a t3.small's 20 % baseline, and in an account whose default is standard they would be
            # throttled toward the baseline exactly then. RunInstances' own default is unlimited for T3/T3a/T4g but
            # standard for T2, and an account may change it
            # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html, CreditSpecification).
            # The surplus credits this costs are in the failover budget and `make cost`.
            cpu_credits=ec2.CpuCredits.UNLIMITED if is_burstable(instance_type) else None,
            # R16, failure 10: a fixed image id from the configuration, never the public SSM parameter that
            # CloudFormation would re-resolve (and roll the fleet onto) at every deploy.
            machine_image=ec2.MachineImage.generic_linux({Stack.of(self).region: image_id}),
            role=self.role,
            security_group=self.security_group,
            user_data=self.user_data,
            require_imdsv2=True,
            http_put_response_hop_limit=1,
            detailed_monitoring=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        ROOT_VOLUME_GIB,
                        encrypted=True,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )

    def _group(
        self,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        instance_types: Sequence[str],
        min_capacity: int,
        max_capacity: int,
        name: str,
        notifications_topic: sns.ITopic,
        rollout: RolloutTiming,
    ) -> None:
        """The group: balanced over the AZs, ELB health, signals on creation and in every rolling update (R5, R16)."""
        # DesiredCapacity is deliberately not pinned: CloudFormation starts the group at MinSize
        # (2 per AZ), and a later deploy never shrinks a group that scaled out under load.
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "Group",
            vpc=vpc,
            vpc_subnets=subnets,
            auto_scaling_group_name=name,
            **_launch_spec(self.launch_template, instance_types),
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            # Launches, terminations and their failures are failover events the on-call engineer is told about.
            notifications=[autoscaling.NotificationConfiguration(topic=notifications_topic)],
            group_metrics=[autoscaling.GroupMetrics.all()],
            az_capacity_distribution_strategy=autoscaling.CapacityDistributionStrategy.BALANCED_BEST_EFFORT,
            health_checks=autoscaling.HealthChecks.with_additional_checks(
                additional_types=[autoscaling.AdditionalHealthCheckType.ELB],
                grace_period=Duration.seconds(HEALTH_CHECK_GRACE_SECONDS),
            ),
            # R16: creation completes only once every instance of the minimum capacity has signalled success.
            signals=autoscaling.Signals.wait_for_min_capacity(
                timeout=Duration.seconds(rollout.pause_seconds), min_success_percentage=100
            ),
            # R16: a deployment launches a batch above the minimum, waits for each new instance's signal and fails
            # (CloudFormation then rolls back) when any one signals failure or stays silent past PauseTime.
            # A deployment must not switch failover off: health checks, replacement and AZ rebalancing
            # stay active while CloudFormation rolls instances (CDK's default suspends all three).
            update_policy=autoscaling.UpdatePolicy.rolling_update(
                max_batch_size=min(len(vpc.availability_zones), max_capacity - min_capacity),
                min_instances_in_service=min_capacity,
                min_success_percentage=100,
                wait_on_resource_signals=True,
                pause_time=Duration.seconds(rollout.pause_seconds),
                suspend_processes=[
                    autoscaling.ScalingProcess.ALARM_NOTIFICATION,
                    autoscaling.ScalingProcess.SCHEDULED_ACTIONS,
                ],
            ),
        )

    def _boot_and_replacement(
        self,
        *,
        service_port: int,
        rollout: RolloutTiming,
        agent_config: str,
        drain: DrainTiming,
        name: str,
        target_group_arn: str,
        min_capacity: int,
        max_capacity: int,
        availability_zones: int,
    ) -> None:
        """The user data that gates each new instance, and how the group replaces, shifts and scales (R16, R17)."""
        # Zonal shift (R17): only while a shift is active on the group itself, it stops launching in that AZ and
        # (IgnoreUnhealthy) leaves that AZ's instances alone instead of replacing them into the impaired zone;
        # the other AZs take the load and the group rebalances when the shift ends. No L2 property exists yet.
        cfn_group = self.auto_scaling_group.node.default_child
        if not isinstance(cfn_group, autoscaling.CfnAutoScalingGroup):
            raise TypeError(f"{self.auto_scaling_group.node.path} has no CfnAutoScalingGroup to configure")
        # The group's full ARN (with its generated id), which ARC and FIS address it by.
        self.auto_scaling_group_arn = cfn_group.attr_auto_scaling_group_arn
        self.user_data.add_commands(
            *health_gated_commands(
                port=service_port,
                stack_name=Aws.STACK_NAME,
                resource=Stack.of(self).get_logical_id(cfn_group),
                region=Aws.REGION,
                timing=rollout,
                agent_config=agent_config,
                drain=drain,
                group_name=name,
                target_group_arn=target_group_arn,
                # Signals signed with the instance role, which the CloudFormation endpoint policy admits.
                role_name=self.role.role_name,
            )
        )
        # Instances launch only once the gate's permission is attached: the policy is not part of the role itself.
        self.auto_scaling_group.node.add_dependency(self.target_health_policy)
        # Replacements outside deployments (health, rebalancing, instance refresh) launch first and terminate
        # after: never below the desired capacity, at most up to the ceiling of max_capacity.
        cfn_group.instance_maintenance_policy = autoscaling.CfnAutoScalingGroup.InstanceMaintenancePolicyProperty(
            min_healthy_percentage=100,
            max_healthy_percentage=max_healthy_percentage(min_capacity=min_capacity, max_capacity=max_capacity),
        )
        cfn_group.availability_zone_impairment_policy = (
            autoscaling.CfnAutoScalingGroup.AvailabilityZoneImpairmentPolicyProperty(
                zonal_shift_enabled=True, impaired_zone_health_check_behavior=IMPAIRED_ZONE_BEHAVIOUR
            )
        )
        Tags.of(self).add("Name", name)
        self.cpu_target_percent = prescaled_cpu_target(availability_zones)
        self.auto_scaling_group.scale_on_cpu_utilization(
            "CpuTarget", target_utilization_percent=self.cpu_target_percent
        )


def _launch_spec(launch_template: ec2.LaunchTemplate, types: Sequence[str]) -> dict[str, Any]:
    """The group's launch template alone, or, with several types, a mixed instances policy over it.

    Several types of one architecture (settings check it) share the launch template and so the pinned image; the
    group launches them in the order given (prioritized allocation, all On-Demand), so the first type runs at
    rest and the others fill in when it has no capacity in a zone — the case an AZ loss makes likely. AWS Config's
    rule autoscaling-multiple-instance-types finds a group with one instance type non-compliant
    (https://docs.aws.amazon.com/config/latest/developerguide/autoscaling-multiple-instance-types.html).
    """
    if len(types) == 1:
        return {"launch_template": launch_template}
    return {
        "mixed_instances_policy": autoscaling.MixedInstancesPolicy(
            launch_template=launch_template,
            launch_template_overrides=[
                autoscaling.LaunchTemplateOverrides(instance_type=ec2.InstanceType(t)) for t in types
            ],
            instances_distribution=autoscaling.InstancesDistribution(
                on_demand_allocation_strategy=autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
                on_demand_base_capacity=0,
                on_demand_percentage_above_base_capacity=100,
            ),
        )
    }


def max_healthy_percentage(*, min_capacity: int, max_capacity: int) -> int:
    """The largest share of the desired capacity (at rest: the minimum) that stays within max_capacity.

    Auto Scaling accepts 100-200 and at most 100 above the minimum percentage (InstanceMaintenancePolicy API).
    """
    return max(100, min(200, 100 * max_capacity // min_capacity))
