"""Issue 6: an AZ-loss FIS drill per AZ, scoped by AZ and ASG tag, stopped by the product's own alarms."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import SynthesizedStage

AZS = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]


@pytest.fixture(scope="module")
def drills(default_stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    found = default_stage.service.find_resources("AWS::FIS::ExperimentTemplate")
    return {
        r["Properties"]["Targets"]["InstancesInAz"]["Filters"][0]["Values"][0]: r["Properties"] for r in found.values()
    }


def test_one_drill_per_az(drills: dict) -> None:
    assert sorted(drills) == AZS


@pytest.mark.parametrize("az", AZS)
def test_drill_targets_only_this_asgs_running_instances_in_its_az(drills: dict, az: str) -> None:
    target = drills[az]["Targets"]["InstancesInAz"]
    assert target["ResourceType"] == "aws:ec2:instance"
    assert target["ResourceTags"] == {"aws:autoscaling:groupName": "payment-failover-dev"}
    assert target["Filters"] == [
        {"Path": "Placement.AvailabilityZone", "Values": [az]},
        {"Path": "State.Name", "Values": ["running"]},
    ]


@pytest.mark.parametrize("az", AZS)
def test_drill_cuts_exactly_the_private_subnet_of_its_az(
    default_stage: SynthesizedStage, drills: dict, az: str
) -> None:
    subnets = default_stage.service.find_resources("AWS::EC2::Subnet")
    (arn,) = drills[az]["Targets"]["SubnetsInAz"]["ResourceArns"]
    (subnet_ref,) = [p["Ref"] for p in arn["Fn::Join"][1] if isinstance(p, dict) and not p["Ref"].startswith("AWS::")]
    subnet = subnets[subnet_ref]["Properties"]
    assert subnet["AvailabilityZone"] == az
    assert {"Key": "aws-cdk:subnet-type", "Value": "Private"} in subnet["Tags"]


def test_drill_actions_stop_instances_and_disrupt_connectivity(drills: dict) -> None:
    actions = drills["eu-central-1a"]["Actions"]
    assert actions["StopInstances"]["ActionId"] == "aws:ec2:stop-instances"
    assert actions["StopInstances"]["Targets"] == {"Instances": "InstancesInAz"}
    assert actions["CutSubnets"]["ActionId"] == "aws:network:disrupt-connectivity"
    assert actions["CutSubnets"]["Parameters"] == {"duration": "PT10M", "scope": "all"}


def test_stop_conditions_are_the_products_real_5xx_alarms(default_stage: SynthesizedStage, drills: dict) -> None:
    alarms = default_stage.service.find_resources("AWS::CloudWatch::Alarm")
    names = {logical: r["Properties"]["AlarmName"] for logical, r in alarms.items()}
    for drill in drills.values():
        stopping = [names[c["Value"]["Fn::GetAtt"][0]] for c in drill["StopConditions"]]
        assert {condition["Source"] for condition in drill["StopConditions"]} == {"aws:cloudwatch:alarm"}
        assert sorted(stopping) == [
            "payment-failover-dev-Alb5xxRate",
            "payment-failover-dev-NoHealthyTarget",
            "payment-failover-dev-Target5xxRate",
        ]


def test_drills_log_to_cloudwatch_logs(default_stage: SynthesizedStage, drills: dict) -> None:
    (log_group,) = [
        k for k in default_stage.service.find_resources("AWS::Logs::LogGroup") if k.startswith("AzLossDrills")
    ]
    for drill in drills.values():
        assert drill["LogConfiguration"]["CloudWatchLogsConfiguration"] == {
            "LogGroupArn": {"Fn::GetAtt": [log_group, "Arn"]}
        }


def test_drill_role_is_assumable_by_fis_only_and_allows_only_the_actions_used(default_stage: SynthesizedStage) -> None:
    template = default_stage.service
    roles = template.find_resources("AWS::IAM::Role")
    (role_id,) = [k for k in roles if k.startswith("AzLossDrillsRole")]
    (statement,) = roles[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "fis.amazonaws.com"}
    policies = [
        p["Properties"]
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    (policy,) = policies
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    actions = {a for s in statements.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {
        "ec2:StopInstances",
        "ec2:StartInstances",
        "ec2:CreateNetworkAcl",
        "ec2:CreateTags",
        "ec2:CreateNetworkAclEntry",
        "ec2:DeleteNetworkAcl",
        "ec2:ReplaceNetworkAclAssociation",
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "logs:CreateLogDelivery",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
    stop = statements["StopAndStartThisGroupsInstances"]
    assert stop["Condition"] == {"StringEquals": {"aws:ResourceTag/aws:autoscaling:groupName": "payment-failover-dev"}}
    assert "Condition" in statements["ChangeAndRemoveOnlyTheDrillsNetworkAcls"]
    assert "Condition" in statements["SwapNetworkAclsOfThisVpcsSubnets"]
    assert all("*" not in s["Action"] for s in statements.values())


def test_drills_are_tagged_and_named_with_the_suffix(drills: dict) -> None:
    for az, drill in drills.items():
        assert drill["Tags"]["Name"] == f"payment-failover-dev-lose-{az}"
        assert drill["Tags"]["Environment"] == "Production"
