"""R1 (survive an AZ loss): the deployed AZ-loss drills, one FIS experiment template per AZ."""

from __future__ import annotations

import pytest

from tests.integration.lookups import stack_resources, stack_template
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration

FIS_TEMPLATE = "AWS::FIS::ExperimentTemplate"


def test_r1_one_az_loss_drill_per_az_stops_on_alarms_of_this_stage(deployment: Deployment) -> None:
    """What each drill does is pinned by tests/unit/components/resilience/test_az_drills.py; here: they exist and
    point at live alarms."""
    stack = deployment.names.service_stack
    declared = [r for r in stack_template(deployment, stack)["Resources"].values() if r["Type"] == FIS_TEMPLATE]
    assert declared, f"{stack} declares no AZ-loss drill"
    deployment.not_emulated(FIS_TEMPLATE)
    fis = deployment.client("fis")
    cloudwatch = deployment.client("cloudwatch")
    drills = [summary for summary in stack_resources(deployment, stack) if summary["ResourceType"] == FIS_TEMPLATE]
    assert len(drills) == len(declared)
    drill_azs = []
    for summary in drills:
        template = fis.get_experiment_template(id=summary["PhysicalResourceId"])["experimentTemplate"]
        drill_azs += [
            value
            for target in template["targets"].values()
            for condition in target.get("filters", [])
            if condition["path"] == "Placement.AvailabilityZone"
            for value in condition["values"]
        ]
        alarms = [c["value"] for c in template["stopConditions"] if c["source"] == "aws:cloudwatch:alarm"]
        assert alarms, summary["LogicalResourceId"]
        names = [arn.split(":alarm:", 1)[1] for arn in alarms]
        assert len(cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]) == len(names)
    assert sorted(drill_azs) == sorted(deployment.settings.availability_zones)
