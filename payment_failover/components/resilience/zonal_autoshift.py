"""Zonal autoshift (R17): AWS may shift the ALB and the ASG away from an impaired AZ without a person.

One `AWS::ARCZonalShift::ZonalAutoshiftConfiguration` per resource. Autoshift needs a practice run
configuration: ARC then shifts the resource away from an AZ weekly, and a practice run fails when its
outcome alarm goes into ALARM ("ends a practice run when the alarm is in an ALARM state",
https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_PracticeRunConfiguration.html); a
blocking alarm keeps practice runs from starting (and ends one in
progress). The alarms must be in the resource's Region, so they come from this stack. Autoshift is
built "for customers who have pre-scaled their application resources for all Availability Zones"
(the capacity rule of compute.py).

CloudFormation's schema takes one outcome alarm (cfn-lint: OutcomeAlarms has at most 1 item), so several outcome
conditions (R21: clients get 5xx, the region's probe fails, two AZs' node probes fail) become one composite alarm,
`PracticeRunOutcome`, in ALARM when any of them is (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
alarm-combining.html). ARC asks for "the Amazon Resource Name (ARN) for an Amazon CloudWatch alarm"; a composite
alarm's ARN has the metric alarm's `alarm:` form, and that ARC reads a composite's state is verified on a real account
(`make verify-aws`), not here.

https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-arczonalshift-zonalautoshiftconfiguration.html
https://docs.aws.amazon.com/r53recovery/latest/dg/getting-started-cli-update-zonal_autoshift.create-practice-run.html
https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-autoshift.how-it-works.start-stop-auto.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_arczonalshift as arczonalshift
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

ALARM_TYPE = "CLOUDWATCH"  # the only control-condition type ARC accepts


class ZonalAutoshift(Construct):
    """`self.configurations[name]` is the autoshift configuration of the resource called `name`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        resources: Mapping[str, str],
        outcome_alarms: Sequence[cloudwatch.IAlarm],
        blocking_alarm: cloudwatch.IAlarm,
        enabled: bool,
        name_prefix: str,
    ) -> None:
        super().__init__(scope, id_)
        self.configurations: dict[str, arczonalshift.CfnZonalAutoshiftConfiguration] = {}
        self.outcome: cloudwatch.IAlarm | None = None
        if not enabled:
            # Removing the configurations disables autoshift: "When you delete a practice run configuration,
            # zonal autoshift is disabled for the resource" (CloudFormation reference, PracticeRunConfiguration).
            return
        outcome: cloudwatch.IAlarm = outcome_alarms[0]
        if len(outcome_alarms) > 1:
            outcome = cloudwatch.CompositeAlarm(
                self,
                "PracticeRunOutcome",
                composite_alarm_name=f"{name_prefix}-PracticeRunOutcome",
                alarm_description="Ends a zonal autoshift practice run: any of its outcome conditions is in ALARM",
                alarm_rule=cloudwatch.AlarmRule.any_of(*outcome_alarms),
            )
        self.outcome = outcome
        condition = arczonalshift.CfnZonalAutoshiftConfiguration.ControlConditionProperty
        practice_runs = arczonalshift.CfnZonalAutoshiftConfiguration.PracticeRunConfigurationProperty(
            outcome_alarms=[condition(alarm_identifier=outcome.alarm_arn, type=ALARM_TYPE)],
            blocking_alarms=[condition(alarm_identifier=blocking_alarm.alarm_arn, type=ALARM_TYPE)],
        )
        self.configurations = {
            name: arczonalshift.CfnZonalAutoshiftConfiguration(
                self,
                name,
                resource_identifier=arn,
                zonal_autoshift_status="ENABLED",
                practice_run_configuration=practice_runs,
            )
            for name, arn in resources.items()
        }
