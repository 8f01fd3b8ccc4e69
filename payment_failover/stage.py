"""The deployable unit: the same Stage is what `cdk deploy` and the pipeline deploy."""

from __future__ import annotations

from aws_cdk import Environment, Stage, Tags
from constructs import Construct

from payment_failover.names import ResourceNames
from payment_failover.settings import Settings
from payment_failover.stacks.service_stack import ServiceStack


class PaymentFailoverStage(Stage):
    """All stacks of one environment of the payment web tier."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings) -> None:
        super().__init__(scope, id_, env=Environment(account=settings.account, region=settings.region))
        names = ResourceNames(settings.environment_suffix)
        self.service = ServiceStack(self, "Service", settings=settings, names=names)
        # Tags go on the Stage so every resource, and every instance the ASG launches, carries them (R12).
        for key, value in settings.tags:
            Tags.of(self).add(key, value)
