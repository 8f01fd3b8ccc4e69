"""Zonal releases (R20): each new version of the service reaches one Availability Zone at a time, bakes under the
tier's alarms, and rolls back by itself when they fire.

- The revision is the service's bundle directory (`serviceBundle`, an `appspec.yml` and its hook scripts), a CDK S3
  asset: a new version is a new object, never a change to the launch template, so it does not start the ASG's
  rolling update.
- AWS CodeDeploy deploys it in place with traffic control: each instance leaves the target group and drains
  first, and rejoins it only after its ValidateService hook passed and its health check with it
  (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html).
- The deployment configuration is zonal: one AZ at a time, the first AZ baked `firstZoneBakeSeconds`, each
  further one `zoneBakeSeconds`, and at most one instance per AZ out of service at a time at the minimum capacity
  (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ZonalConfig.html).
- The group's alarms stop a deployment and CodeDeploy rolls it back, as it does a failed one
  (AutoRollbackConfiguration: DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM); at most 10 alarms per group
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-codedeploy-deploymentgroup-alarmconfiguration.html).
- The group names the Auto Scaling group, so CodeDeploy installs a launch hook in it and deploys the group's last
  successful revision to every instance the ASG launches later, and starts follow-up deployments for instances
  launched during a deployment (OutdatedInstancesStrategy UPDATE)
  (https://docs.aws.amazon.com/codedeploy/latest/userguide/integrations-aws-auto-scaling.html).
- A custom resource (runtime/release.py) starts the deployment on every change of the revision and holds the
  stack until it has succeeded, so a standby stack that depends on this one is released only after this region
  has baked; a failed release fails the stack update, which CloudFormation rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import ArnFormat, CustomResource, Duration, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import custom_resources as cr
from constructs import Construct

from payment_failover.components.observability.log_encryption import LogArchive
from payment_failover.config.release_timing import CUSTOM_RESOURCE_MAX_SECONDS, ReleaseTiming

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
MAX_ALARMS = 10
# At stack creation nothing serves yet: the first revision goes to every instance at once.
FIRST_RELEASE_CONFIG = "CodeDeployDefault.AllAtOnce"
POLL_SECONDS = 30
HANDLER_RUNTIME = lambda_.Runtime.PYTHON_3_14


class ZonalRelease(Construct):
    """`self.group` deploys `self.revision` zonally; `self.release` holds the stack until a new revision is out."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        bundle: Path,
        auto_scaling_group: autoscaling.AutoScalingGroup,
        target_group: elbv2.ApplicationTargetGroup,
        alarms: Sequence[cloudwatch.IAlarm],
        timing: ReleaseTiming,
        instances_per_zone: int,
        log_archive: LogArchive,
    ) -> None:
        super().__init__(scope, id_)
        if len(alarms) > MAX_ALARMS:
            raise ValueError(f"a deployment group takes at most {MAX_ALARMS} alarms, got {len(alarms)}")
        self.revision = s3_assets.Asset(self, "Revision", path=str(bundle))
        self.application = codedeploy.ServerApplication(self, "Application", application_name=name)
        # No fixed name: its bakes and minimums cannot change in place, so a change replaces it, which
        # CloudFormation can do only under a name it generates.
        self.config = codedeploy.ServerDeploymentConfig(
            self,
            "ZonalConfig",
            # Whatever AZ is being deployed, the others serve: one AZ's instances may be out at most.
            minimum_healthy_hosts=codedeploy.MinimumHealthyHosts.count(
                timing.zones * instances_per_zone - instances_per_zone
            ),
            zonal_config=codedeploy.ZonalConfig(
                first_zone_monitor_duration=Duration.seconds(timing.first_zone_bake_seconds),
                monitor_duration=Duration.seconds(timing.zone_bake_seconds),
                # At the minimum capacity, one instance of the AZ at a time; the rest of the AZ keeps serving.
                minimum_healthy_hosts_per_zone=codedeploy.MinimumHealthyHostsPerZone.count(instances_per_zone - 1),
            ),
        )
        self.group = codedeploy.ServerDeploymentGroup(
            self,
            "Group",
            application=self.application,
            deployment_group_name=name,
            deployment_config=self.config,
            auto_scaling_groups=[auto_scaling_group],
            # The tier installs the agent itself, through the VPC endpoints (components/fleet/compute.py).
            install_agent=False,
            load_balancers=[codedeploy.LoadBalancer.application(target_group)],
            alarms=list(alarms),
            # A release whose alarm state cannot be read stops rather than proceeding blind.
            ignore_poll_alarms_failure=False,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        cfn_group = self.group.node.default_child
        if isinstance(cfn_group, codedeploy.CfnDeploymentGroup):
            cfn_group.outdated_instances_strategy = "UPDATE"
        self._release(name=name, log_archive=log_archive, auto_scaling_group=auto_scaling_group, timing=timing)

    def revision_object_arns(self) -> list[str]:
        """Every revision this stack released (a rollback and a launch hook read older ones): the asset bucket's
        zip objects. CDK names an asset by its hash, so no narrower pattern covers them all."""
        return [self.revision.bucket.arn_for_objects("*.zip")]

    def allow_instances(self, role: iam.IRole) -> None:
        """The CodeDeploy agent on the instances reads the revisions with the instance role."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadServiceRevisions", actions=["s3:GetObject"], resources=self.revision_object_arns()
            )
        )

    def _release(
        self,
        *,
        name: str,
        log_archive: LogArchive,
        auto_scaling_group: autoscaling.AutoScalingGroup,
        timing: ReleaseTiming,
    ) -> None:
        """The custom resource that starts a release and waits for it (runtime/release.py)."""
        handlers = {
            kind: lambda_.Function(
                self,
                f"Release{kind}",
                runtime=HANDLER_RUNTIME,
                handler=f"release.{handler}",
                code=lambda_.Code.from_asset(str(RUNTIME_DIR), exclude=["__init__.py", "__pycache__"]),
                timeout=Duration.seconds(POLL_SECONDS),
                description=f"{name}: {what}",
                log_group=log_archive.log_group(self, f"Release{kind}Logs"),
            )
            for kind, handler, what in (
                ("Start", "on_event", "starts a zonal release of the service"),
                ("Check", "is_complete", "reports whether the zonal release has succeeded"),
            )
        }
        for function in handlers.values():
            function.add_to_role_policy(self._codedeploy_statement())
        provider = cr.Provider(
            self,
            "ReleaseProvider",
            on_event_handler=handlers["Start"],
            is_complete_handler=handlers["Check"],
            query_interval=Duration.seconds(POLL_SECONDS),
            total_timeout=Duration.seconds(timing.allowed_seconds),
            log_group=log_archive.log_group(self, "ReleaseProviderLogs"),
        )
        self.release = CustomResource(
            self,
            "Release",
            service_token=provider.service_token,
            resource_type="Custom::ZonalRelease",
            service_timeout=Duration.seconds(CUSTOM_RESOURCE_MAX_SECONDS),
            properties={
                "ApplicationName": self.application.application_name,
                "DeploymentGroupName": self.group.deployment_group_name,
                "Bucket": self.revision.s3_bucket_name,
                "Key": self.revision.s3_object_key,
                "FirstReleaseConfig": FIRST_RELEASE_CONFIG,
            },
        )
        # Infrastructure first: an ASG rolling update in the same stack update finishes before the release starts.
        self.release.node.add_dependency(auto_scaling_group, self.group)

    def _codedeploy_statement(self) -> iam.PolicyStatement:
        """This application's group, its deployments and the two configurations a release may use, nothing else."""
        stack = Stack.of(self)

        def arn(resource: str, name: str) -> str:
            return stack.format_arn(
                service="codedeploy", resource=resource, resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
            )

        app, group = self.application.application_name, self.group.deployment_group_name
        return iam.PolicyStatement(
            sid="ReleaseThroughThisGroupOnly",
            actions=[
                "codedeploy:GetDeploymentGroup",
                "codedeploy:CreateDeployment",
                "codedeploy:GetDeployment",
                "codedeploy:ListDeployments",
                "codedeploy:GetDeploymentConfig",
                "codedeploy:GetApplicationRevision",
                "codedeploy:RegisterApplicationRevision",
            ],
            resources=[
                arn("deploymentgroup", f"{app}/{group}"),
                arn("deploymentconfig", self.config.deployment_config_name),
                arn("deploymentconfig", FIRST_RELEASE_CONFIG),
                arn("application", app),
            ],
        )
