"""The deployable unit: the same Stage is what `cdk deploy` and the pipeline deploy.

One service stack per region (the primary, and the standby when `standbyRegion` is set; the same class with
the standby's own settings), then the global DNS stack that depends on them.
"""

from __future__ import annotations

from aws_cdk import Environment, Stage
from constructs import Construct

from payment_failover.compliance.governance import (
    acknowledge_global_findings,
    acknowledge_release_findings,
    acknowledge_service_findings,
    apply_compliance_checks,
)
from payment_failover.config.settings import Settings
from payment_failover.names import ResourceNames
from payment_failover.stacks.global_dns_stack import GlobalDnsStack
from payment_failover.stacks.service_stack import ServiceStack
from payment_failover.tagging import tag_everything


class PaymentFailoverStage(Stage):
    """All stacks of one environment of the payment web tier."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings, compliance_checks: bool = True) -> None:
        super().__init__(scope, id_, env=Environment(account=settings.account, region=settings.region))
        names = ResourceNames(settings.environment_suffix)
        self.service = ServiceStack(self, "Service", settings=settings, names=names)
        self.standby: ServiceStack | None = None
        if settings.standby is not None:
            self.standby = ServiceStack(self, "Standby", settings=settings.standby, names=names.for_standby())
            # Region by region (R20): the standby deploys only once the primary has, in `cdk deploy` and in the
            # pipeline alike (CDK Pipelines deploys a Stage's stacks in dependency order:
            # https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.pipelines.StageDeployment.html).
            self.standby.add_stack_dependency(self.service)
        self.regional = [stack for stack in (self.service, self.standby) if stack is not None]
        self.global_dns = GlobalDnsStack(self, "GlobalDns", settings=settings, names=names, regional=self.regional)
        # Deployable environments (deploy=true: `make deploy` and every pipeline stage) refuse the deletion of
        # their stacks (R16; https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-protect-stacks.html).
        for stack in (*self.regional, self.global_dns):
            stack.termination_protection = settings.deploy
        # Tags go on the Stage so every resource, and every instance the ASG launches, carries them (R12).
        tag_everything(self, settings.tags)
        if compliance_checks:  # off only for the setting-change analysis, which reads properties alone
            apply_compliance_checks(self)
        for service in self.regional:
            acknowledge_service_findings(
                network=service.network,
                public_security_group=service.load_balancer.security_group,
                instance_role=service.compute.role,
                auto_scaling_group=service.compute.auto_scaling_group,
                target_health_policy=service.compute.target_health_policy,
                operator_session_policy=service.instance_logs.operator_policy,
                access_log_bucket=service.access_logs.bucket,
                http_redirect_listener=service.load_balancer.http_redirect_listener,
                drills_role=service.drills.role,
                gray_failure_detectors=service.gray_failure,
                burn_rate_windows=service.burn_rate,
                probes=service.probes,
                service_endpoints=service.service_endpoints,
                sdk_call_function=service.sdk_call_function,
            )
            acknowledge_release_findings(
                release=service.release,
                instance_role=service.compute.role,
                revision_arns=[service.resolve(arn) for arn in service.release.revision_object_arns()],
            )
        acknowledge_global_findings(failback_latch=self.global_dns.failback_latch)
