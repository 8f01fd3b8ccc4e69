"""The global DNS stack (us-east-1): records, health checks and their alarms in one home (R11, R18).

Route 53 records and health checks are global, and the alarms on health-check metrics belong in us-east-1
(SPEC R11), so the checks, the records tied to them and the alarms on them live together in one stack there. It takes no
value from a regional stack: the records alias the regional names (`<region>.<domain>`) that each service
stack creates, and every other value is a setting. So there is no cross-region reference to go stale; a
setting whose change replaces a health check (Route 53 cannot change `RequestInterval` in place: "You can't
change the value of RequestInterval after you create a health check",
https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html) replaces it inside this
stack, where CloudFormation updates the record that uses it in the same deployment.

It depends on the regional stacks, so `cdk deploy` and the pipeline create the regional names before the
records that alias them, and delete them after.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnOutput, Environment, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_route53 as route53
from constructs import Construct

from payment_failover.components.edge.dns_failover import ROUTE53_METRICS_REGION, GlobalDns, health_check_status_metric
from payment_failover.components.edge.failback_latch import FailbackLatch
from payment_failover.components.observability.alerting import FailoverTopic
from payment_failover.components.observability.operator_events import GlobalOperatorEvents
from payment_failover.components.observability.region_failover_alarms import RegionFailoverAlarms
from payment_failover.config.settings import FAILBACK_MANUAL, Settings
from payment_failover.names import ResourceNames


class GlobalDnsStack(Stack):
    """Health checks of every regional endpoint, the records clients resolve, and the alarms on them."""

    def __init__(
        self, scope: Construct, id_: str, *, settings: Settings, names: ResourceNames, regional: Sequence[Stack]
    ) -> None:
        super().__init__(
            scope,
            id_,
            env=Environment(account=settings.account, region=ROUTE53_METRICS_REGION),
            stack_name=names.global_dns_stack,
        )
        for stack in regional:
            self.add_stack_dependency(stack, "the failover records alias the regional name this stack creates")
        regions = [settings.region] + ([settings.standby_region] if settings.standby_region else [])
        hosted_zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "HostedZone", hosted_zone_id=settings.hosted_zone_id, zone_name=settings.hosted_zone_name
        )
        self.dns = GlobalDns(
            self,
            "Dns",
            domain_name=settings.domain_name,
            hosted_zone=hosted_zone,
            regions=regions,
            request_interval_seconds=settings.dns_health_check_interval_seconds,
            failure_threshold=settings.dns_failure_threshold,
            checker_regions=settings.dns_health_check_regions,
            manual_failback=settings.region_failback == FAILBACK_MANUAL,
        )
        alerting = FailoverTopic(
            self,
            "Alerting",
            topic_name=names.dns_topic,
            alarm_email=settings.alarm_email,
            autoscaling_publishes=False,
            eventbridge_publishes=True,
            https_url=settings.paging_https_url,
        )
        self.topic = alerting.topic
        # Route 53's AWS Health events reach us-east-1 only, and this stack's own rollbacks happen here (R21).
        self.operator_events = GlobalOperatorEvents(
            self, "OperatorEvents", topic=self.topic, name_prefix=names.alarm_prefix
        )
        self._alarms_and_latch(names)
        self._dashboard(names)
        self._outputs(settings)

    def _alarms_and_latch(self, names: ResourceNames) -> None:
        """The region failover alarms and, with manual failback, the latch that closes the gate by itself."""
        self.alarms = RegionFailoverAlarms(
            self,
            "Alarms",
            checks=self.dns.checks,
            topic=self.topic,
            name_prefix=names.alarm_prefix,
            failback_gate=self.dns.failback_gate,
        )
        # Manual failback latches by itself: clients on the standby close the gate (docs/decisions/0010).
        self.failback_latch = (
            FailbackLatch(
                self,
                "FailbackLatch",
                gate=self.dns.failback_gate,
                alarm=self.alarms.traffic_on_standby,
                name_prefix=names.alarm_prefix,
            )
            if self.dns.failback_gate and self.alarms.traffic_on_standby
            else None
        )

    def _dashboard(self, names: ResourceNames) -> None:
        """The global dashboard: each region's health check status beside the state of the failover alarms."""
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=names.global_dashboard)
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Route 53 health check per region (1 = healthy)",
                width=12,
                left=[
                    health_check_status_metric(check.health_check.health_check_id, label=check.region)
                    for check in self.dns.checks
                ]
                + (
                    [health_check_status_metric(gate.health_check_id, label="failback gate (0 = held on standby)")]
                    if (gate := self.dns.failback_gate)
                    else []
                ),
                left_y_axis=cloudwatch.YAxisProps(min=0, max=1),
            ),
            cloudwatch.AlarmStatusWidget(title="Region failover alarms", width=12, alarms=list(self.alarms.alarms)),
        )

    def _outputs(self, settings: Settings) -> None:
        """The outputs operators look up: the service URL, the DNS topic, each region's check and alarm."""
        self.service_url_output = CfnOutput(
            self, "ServiceUrl", value=f"https://{settings.domain_name}/health", description="Payment service URL"
        )
        CfnOutput(self, "DnsTopicArn", value=self.topic.topic_arn, description="SNS topic for the DNS alarms")
        for role, check in zip(("Primary", "Standby"), self.dns.checks, strict=False):
            CfnOutput(
                self,
                f"{role}HealthCheckId",
                value=check.health_check.health_check_id,
                description=f"Route 53 health check of https://{check.endpoint}/health",
            )
        if self.dns.failback_gate:
            CfnOutput(
                self,
                "FailbackGateId",
                value=self.dns.failback_gate.health_check_id,
                description="Calculated check on the PRIMARY record: --health-threshold 2 holds clients on the "
                "standby, 1 lets them fail back (docs/runbooks/region-drill.md)",
            )
        for role, alarm in zip(("Primary", "Standby"), self.alarms.check_alarms, strict=False):
            CfnOutput(self, f"{role}DnsHealthAlarmName", value=alarm.alarm_name, description="Route 53 health alarm")
