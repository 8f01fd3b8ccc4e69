"""The us-east-1 stack: Route 53 health-check metrics exist only there, so their alarm must too."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from payment_failover.components.alarms import DNS_HEALTH, notify
from payment_failover.components.alerting import FailoverTopic
from payment_failover.components.dns_failover import health_check_status_metric
from payment_failover.names import ResourceNames


class DnsAlarmStack(Stack):
    """Alarm on the public health check's status, with its own topic in the same region."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: Environment,
        names: ResourceNames,
        health_check_id: str,
        alarm_email: str | None,
    ) -> None:
        super().__init__(scope, id_, env=env, stack_name=names.dns_alarm_stack, cross_region_references=True)
        alerting = FailoverTopic(
            self, "Alerting", topic_name=names.dns_topic, alarm_email=alarm_email, autoscaling_publishes=False
        )
        self.topic = alerting.topic
        # Missing data means Route 53 stopped reporting: treat it as a failed check.
        self.alarm = cloudwatch.Alarm(
            self,
            "HealthCheckFailed",
            alarm_name=f"{names.alarm_prefix}-DnsHealthCheckFailed",
            alarm_description="Route 53 sees the public HTTPS /health endpoint as failed",
            metric=health_check_status_metric(health_check_id),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=DNS_HEALTH.evaluation_periods,
            datapoints_to_alarm=DNS_HEALTH.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        notify(self.alarm, self.topic)
        CfnOutput(self, "DnsTopicArn", value=self.topic.topic_arn, description="SNS topic for the DNS health alarm")
        CfnOutput(self, "DnsHealthAlarmName", value=self.alarm.alarm_name, description="Route 53 health alarm")
