"""The deployable unit: the same Stage is what `cdk deploy` and the pipeline deploy."""

from __future__ import annotations

from aws_cdk import Environment, Stage
from constructs import Construct

from payment_failover.components.dns_failover import ROUTE53_METRICS_REGION
from payment_failover.governance import acknowledge_service_findings, apply_compliance_checks
from payment_failover.names import ResourceNames
from payment_failover.settings import Settings
from payment_failover.stacks.dns_alarm_stack import DnsAlarmStack
from payment_failover.stacks.service_stack import ServiceStack
from payment_failover.tagging import tag_everything


class PaymentFailoverStage(Stage):
    """All stacks of one environment of the payment web tier."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings) -> None:
        super().__init__(scope, id_, env=Environment(account=settings.account, region=settings.region))
        names = ResourceNames(settings.environment_suffix)
        self.service = ServiceStack(self, "Service", settings=settings, names=names)
        # Cross-region reference: the alarm's dimension is the real health check's id, carried over by CDK.
        self.dns_alarms = DnsAlarmStack(
            self,
            "DnsAlarms",
            env=Environment(account=settings.account, region=ROUTE53_METRICS_REGION),
            names=names,
            health_check_id=self.service.dns.health_check.health_check_id,
            alarm_email=settings.alarm_email,
        )
        # Tags go on the Stage so every resource, and every instance the ASG launches, carries them (R12).
        tag_everything(self, settings.tags)
        apply_compliance_checks(self)
        service = self.service
        acknowledge_service_findings(
            network=service.network,
            public_security_group=service.load_balancer.security_group,
            instance_role=service.compute.role,
            access_log_bucket=service.access_logs.bucket,
            http_redirect_listener=service.load_balancer.http_redirect_listener,
            drills_role=service.drills.role,
            gray_failure_detectors=service.gray_failure,
        )
