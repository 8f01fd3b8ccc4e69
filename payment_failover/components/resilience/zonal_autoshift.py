"""Zonal autoshift (R17): AWS may shift the ALB and the ASG away from an impaired AZ without a person.

One `AWS::ARCZonalShift::ZonalAutoshiftConfiguration` per resource. Autoshift needs a practice run
configuration: ARC then shifts the resource away from an AZ weekly, and a practice run fails when its
outcome alarm goes into ALARM ("ends a practice run when the alarm is in an ALARM state"; a configuration takes 1 to
10 outcome alarms, https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_PracticeRunConfiguration.html); a
blocking alarm keeps practice runs from starting (and ends one in
progress). The alarms must be in the resource's Region, so they come from this stack. Autoshift is
built "for customers who have pre-scaled their application resources for all Availability Zones"
(the capacity rule of compute.py).

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
    ) -> None:
        super().__init__(scope, id_)
        self.configurations: dict[str, arczonalshift.CfnZonalAutoshiftConfiguration] = {}
        if not enabled:
            # Removing the configurations disables autoshift: "When you delete a practice run configuration,
            # zonal autoshift is disabled for the resource" (CloudFormation reference, PracticeRunConfiguration).
            return
        condition = arczonalshift.CfnZonalAutoshiftConfiguration.ControlConditionProperty
        practice_runs = arczonalshift.CfnZonalAutoshiftConfiguration.PracticeRunConfigurationProperty(
            outcome_alarms=[condition(alarm_identifier=alarm.alarm_arn, type=ALARM_TYPE) for alarm in outcome_alarms],
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
