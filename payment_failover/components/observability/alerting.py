"""Failover events topic (R9): encrypted with a key that CloudWatch, Auto Scaling and EventBridge may really use."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from payment_failover.compliance import confused_deputy, key_grants

# Auto Scaling publishes ASG notifications as this service-linked role, which must be able to use the key.
AUTOSCALING_SERVICE_ROLE = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
_PUBLISH_WITH_KEY = ["kms:Decrypt", "kms:GenerateDataKey*"]


class FailoverTopic(Construct):
    """SNS topic for alarm/OK actions and ASG events; TLS-only, with an optional e-mail and HTTPS subscriber.

    A customer-managed key, because the AWS-managed SNS key does not let CloudWatch publish and
    alarm notifications would be dropped without an error.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        topic_name: str,
        alarm_email: str | None,
        autoscaling_publishes: bool,
        eventbridge_publishes: bool = False,
        https_url: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.key = self._key_for_publishers(
            topic_name, autoscaling_publishes=autoscaling_publishes, eventbridge_publishes=eventbridge_publishes
        )
        self.topic = sns.Topic(
            self, "Topic", topic_name=topic_name, display_name=topic_name, master_key=self.key, enforce_ssl=True
        )
        self._allow_publishing(eventbridge_publishes=eventbridge_publishes)
        self._subscribe(alarm_email, https_url)

    def _key_for_publishers(
        self, topic_name: str, *, autoscaling_publishes: bool, eventbridge_publishes: bool
    ) -> kms.Key:
        """The topic's key, usable by every service that publishes to it: otherwise its notifications are dropped."""
        account = Stack.of(self).account
        key = kms.Key(
            self,
            "Key",
            description=f"Encrypts the {topic_name} SNS topic; usable by CloudWatch alarms and Auto Scaling",
            enable_key_rotation=True,
        )
        key_grants.grants_only_for_aws_resources(key)
        publishers: list[iam.IPrincipal] = [iam.ServicePrincipal("cloudwatch.amazonaws.com")]
        if autoscaling_publishes:
            publishers.append(
                iam.ArnPrincipal(f"arn:{Stack.of(self).partition}:iam::{account}:{AUTOSCALING_SERVICE_ROLE}")
            )
        if eventbridge_publishes:
            # Operator events (R21): EventBridge rules publish AWS's own actions to this topic.
            publishers.append(iam.ServicePrincipal("events.amazonaws.com"))
        # No aws:SourceArn/aws:SourceAccount here: no AWS page says CloudWatch's KMS request carries them, and
        # one it does not carry drops every alarm notification (confused_deputy.UNCONDITIONED says where we looked).
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowFailoverPublishersToUseTheKey",
                principals=publishers,
                actions=_PUBLISH_WITH_KEY,
                resources=["*"],
            )
        )
        return key

    def _allow_publishing(self, *, eventbridge_publishes: bool) -> None:
        """Topic policy: only this account's and region's alarms (and event rules) may publish, no confused deputy."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                # Only alarms of this account and region (R19, confused deputy).
                conditions=confused_deputy.alarm_publisher(Stack.of(self)),
            )
        )
        if eventbridge_publishes:
            self.topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowEventBridgeRulesToPublish",
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[self.topic.topic_arn],
                    # Only EventBridge rules of this account and region (R19, confused deputy).
                    conditions=confused_deputy.event_rule_publisher(Stack.of(self)),
                )
            )

    def _subscribe(self, alarm_email: str | None, https_url: str | None) -> None:
        """The optional e-mail and HTTPS subscribers: who gets paged."""
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        if https_url:
            # Paging beyond e-mail (R21): SNS sends nothing to the endpoint until it confirms the subscription
            # (https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.prepare.html).
            self.topic.add_subscription(
                subscriptions.UrlSubscription(https_url, protocol=sns.SubscriptionProtocol.HTTPS)
            )
