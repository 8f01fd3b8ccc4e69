"""R17 (issue 11): an AZ-loss FIS drill per AZ on AWS's "AZ Availability: Power Interruption" model, scoped by
AZ and ASG, stopped by the product's own alarms, with exactly the permissions the FIS actions reference lists.

https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from payment_failover.components.fleet.rollout import parse_iso_duration
from payment_failover.tools import budget
from tests.helpers.synth import SynthesizedStage

AZS = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]


def _templates_named(stage: SynthesizedStage, infix: str) -> dict[str, dict[str, Any]]:
    found = stage.service.find_resources("AWS::FIS::ExperimentTemplate")
    return {
        r["Properties"]["Targets"]["InstancesInAz"]["Filters"][0]["Values"][0]: r["Properties"]
        for r in found.values()
        if infix in r["Properties"]["Tags"]["Name"]
    }


@pytest.fixture(scope="module")
def drills(default_stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    return _templates_named(default_stage, "-lose-")


@pytest.fixture(scope="module")
def replacements(default_stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    return _templates_named(default_stage, "-replace-in-")


def test_one_drill_and_one_replacement_drill_per_az(
    default_stage: SynthesizedStage, drills: dict, replacements: dict
) -> None:
    assert sorted(drills) == sorted(replacements) == AZS
    assert len(default_stage.service.find_resources("AWS::FIS::ExperimentTemplate")) == 2 * len(AZS)


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
def test_r17_drill_cuts_both_subnets_of_its_az_the_instances_and_the_load_balancer_nodes(
    default_stage: SynthesizedStage, drills: dict, az: str
) -> None:
    """A power loss takes the AZ's load balancer node too: its network interface is in the AZ's public subnet."""
    subnets = default_stage.service.find_resources("AWS::EC2::Subnet")
    cut = {
        p["Ref"]
        for arn in drills[az]["Targets"]["SubnetsInAz"]["ResourceArns"]
        for p in arn["Fn::Join"][1]
        if isinstance(p, dict) and not p["Ref"].startswith("AWS::")
    }
    assert {subnets[ref]["Properties"]["AvailabilityZone"] for ref in cut} == {az}
    groups = {
        tag["Value"] for ref in cut for tag in subnets[ref]["Properties"]["Tags"] if tag["Key"] == "aws-cdk:subnet-name"
    }
    assert groups == {"private", "public"}
    (balancer,) = default_stage.service.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    node_subnet = {s["Ref"] for s in balancer["Properties"]["Subnets"]} & cut
    assert len(node_subnet) == 1


def _ref_or_att(value: Any) -> str:
    return value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]


@pytest.mark.parametrize("az", AZS)
def test_r17_drill_actions_follow_the_power_interruption_scenario(drills: dict, az: str) -> None:
    actions = drills[az]["Actions"]
    assert {name: a["ActionId"] for name, a in actions.items()} == {
        "StopInstances": "aws:ec2:stop-instances",
        "NoLaunchesInAz": "aws:ec2:asg-insufficient-instance-capacity-error",
        "CutSubnets": "aws:network:disrupt-connectivity",
        "WaitBeforeShift": "aws:fis:wait",
        "ShiftAway": "aws:arc:start-zonal-autoshift",
    }
    # Failure 14: without completeIfInstancesTerminated the ASG's replacement of the stopped instances fails
    # the restart and the experiment can never end `completed`.
    assert actions["StopInstances"]["Parameters"] == {
        "startInstancesAfterDuration": "PT10M",
        "completeIfInstancesTerminated": "true",
    }
    assert actions["StopInstances"]["Targets"] == {"Instances": "InstancesInAz"}
    assert actions["NoLaunchesInAz"]["Parameters"] == {
        "availabilityZoneIdentifiers": az,
        "duration": "PT10M",
        "percentage": "100",
    }
    assert actions["NoLaunchesInAz"]["Targets"] == {"AutoScalingGroups": "Group"}
    assert actions["CutSubnets"]["Parameters"] == {"duration": "PT10M", "scope": "all"}
    assert actions["ShiftAway"]["Parameters"] == {
        "availabilityZoneIdentifier": az,
        "duration": "PT5M",
        "managedResourceTypes": "ALB,ASG",
        "zonalAutoshiftStatus": "ANY",
    }
    assert actions["ShiftAway"]["Targets"] == {"ManagedResources": "ShiftedResources"}


@pytest.mark.parametrize("az", AZS)
def test_issue_21_the_failure_comes_first_and_the_shift_only_after_a_delay(drills: dict, az: str) -> None:
    """startAfter names actions that must complete first; the failures last the whole drill, so the shift waits on
    an aws:fis:wait of its own (https://docs.aws.amazon.com/fis/latest/userguide/action-sequence.html): five minutes,
    AWS's own example, "five minutes after the AZ power interruption begins"
    (https://docs.aws.amazon.com/r53recovery/latest/dg/testing-zonal-autoshift-fis.html)."""
    actions = drills[az]["Actions"]
    failures = ("StopInstances", "NoLaunchesInAz", "CutSubnets")
    assert all("StartAfter" not in actions[name] for name in failures), "the failure hits at t=0, all at once"
    assert actions["WaitBeforeShift"]["Parameters"] == {"duration": "PT5M"}
    assert "StartAfter" not in actions["WaitBeforeShift"]
    assert actions["ShiftAway"]["StartAfter"] == ["WaitBeforeShift"]
    # The shift ends with the failure: delay + shift = the drill.
    assert parse_iso_duration("PT5M") + parse_iso_duration(actions["ShiftAway"]["Parameters"]["duration"]) == (
        parse_iso_duration(actions["CutSubnets"]["Parameters"]["duration"])
    )


@pytest.mark.parametrize("az", AZS)
def test_issue_21_the_replacement_drill_stops_the_azs_instances_and_shifts_nothing(
    drills: dict, replacements: dict, az: str
) -> None:
    drill = replacements[az]
    assert drill["Tags"]["Name"] == f"payment-failover-dev-replace-in-{az}"
    assert drill["Actions"] == {"StopInstances": drills[az]["Actions"]["StopInstances"]}
    assert drill["Targets"] == {"InstancesInAz": drills[az]["Targets"]["InstancesInAz"]}
    assert drill["StopConditions"] == drills[az]["StopConditions"]
    assert drill["LogConfiguration"] == drills[az]["LogConfiguration"]


def test_r17_failure_15_the_drill_shifts_both_the_alb_and_the_asg(
    default_stage: SynthesizedStage, drills: dict
) -> None:
    (alb_id,) = default_stage.service.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    (asg_id,) = default_stage.service.find_resources("AWS::AutoScaling::AutoScalingGroup")
    for drill in drills.values():
        shifted = drill["Targets"]["ShiftedResources"]
        assert shifted["ResourceType"] == "aws:arc:zonal-shift-managed-resource"
        assert shifted["ResourceArns"] == [{"Ref": alb_id}, {"Fn::GetAtt": [asg_id, "AutoScalingGroupARN"]}]
        group = drill["Targets"]["Group"]
        assert (group["ResourceType"], group["ResourceArns"]) == (
            "aws:ec2:autoscaling-group",
            [{"Fn::GetAtt": [asg_id, "AutoScalingGroupARN"]}],
        )


def test_stop_conditions_are_the_products_5xx_rates_and_total_outage(
    default_stage: SynthesizedStage, drills: dict, replacements: dict
) -> None:
    alarms = default_stage.service.find_resources("AWS::CloudWatch::Alarm")
    names = {logical: r["Properties"]["AlarmName"] for logical, r in alarms.items()}
    by_name = {r["Properties"]["AlarmName"]: r["Properties"] for r in alarms.values()}
    for drill in [*drills.values(), *replacements.values()]:
        stopping = [names[c["Value"]["Fn::GetAtt"][0]] for c in drill["StopConditions"]]
        assert {condition["Source"] for condition in drill["StopConditions"]} == {"aws:cloudwatch:alarm"}
        assert sorted(stopping) == [
            "payment-failover-dev-DrillRunaway-Alb5xxRate",
            "payment-failover-dev-DrillRunaway-Target5xxRate",
            "payment-failover-dev-NoHealthyTarget",
        ]
    for rate in ("Alb5xxRate", "Target5xxRate"):
        product, runaway = by_name[f"payment-failover-dev-{rate}"], by_name[f"payment-failover-dev-DrillRunaway-{rate}"]
        assert runaway["Metrics"] == product["Metrics"]
        assert (runaway["Threshold"], runaway["ComparisonOperator"]) == (
            product["Threshold"],
            product["ComparisonOperator"],
        )
        assert "AlarmActions" not in runaway, "a stop condition, not a page"


def test_drills_log_to_cloudwatch_logs(default_stage: SynthesizedStage, drills: dict) -> None:
    (log_group,) = [
        k for k in default_stage.service.find_resources("AWS::Logs::LogGroup") if k.startswith("AzLossDrills")
    ]
    for drill in drills.values():
        assert drill["LogConfiguration"]["CloudWatchLogsConfiguration"] == {
            "LogGroupArn": {"Fn::GetAtt": [log_group, "Arn"]}
        }


# Copied by hand from the "Permissions" of each action on the FIS actions reference (not from the code under
# test), plus the CloudWatch Logs delivery calls of https://docs.aws.amazon.com/fis/latest/userguide/monitoring-logging.html.
DOCUMENTED_PERMISSIONS: dict[str, set[str]] = {
    "aws:fis:wait": set(),
    "aws:ec2:stop-instances": {"ec2:StopInstances", "ec2:StartInstances", "ec2:DescribeInstances", "kms:CreateGrant"},
    "aws:ec2:asg-insufficient-instance-capacity-error": {"ec2:InjectApiError", "autoscaling:DescribeAutoScalingGroups"},
    "aws:network:disrupt-connectivity": {
        "ec2:CreateNetworkAcl",
        "ec2:CreateNetworkAclEntry",
        "ec2:CreateTags",
        "ec2:DeleteNetworkAcl",
        "ec2:DescribeManagedPrefixLists",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:GetManagedPrefixListEntries",
        "ec2:ReplaceNetworkAclAssociation",
    },
    "aws:arc:start-zonal-autoshift": {
        "arc-zonal-shift:StartZonalShift",
        "arc-zonal-shift:GetManagedResource",
        "arc-zonal-shift:UpdateZonalShift",
        "arc-zonal-shift:CancelZonalShift",
        "arc-zonal-shift:ListManagedResources",
        "autoscaling:DescribeTags",
        "tag:GetResources",
    },
    "experiment logs": {
        "logs:CreateLogDelivery",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    },
}


def _drill_statements(template: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    roles = template.find_resources("AWS::IAM::Role")
    (role_id,) = [k for k in roles if k.startswith("AzLossDrillsRole")]
    (policy,) = [
        p["Properties"]
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    return roles[role_id]["Properties"], {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def _actions(statement: dict[str, Any]) -> set[str]:
    return {statement["Action"]} if isinstance(statement["Action"], str) else set(statement["Action"])


def test_r17_drill_role_has_exactly_the_permissions_the_fis_docs_list_for_its_actions(
    default_stage: SynthesizedStage, drills: dict
) -> None:
    role, statements = _drill_statements(default_stage.service)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "fis.amazonaws.com"}
    used = {a["ActionId"] for drill in drills.values() for a in drill["Actions"].values()}
    assert used | {"experiment logs"} == set(DOCUMENTED_PERMISSIONS)
    granted = set().union(*(_actions(s) for s in statements.values()))
    assert granted == set().union(*DOCUMENTED_PERMISSIONS.values())
    assert all(s["Effect"] == "Allow" and "*" not in "".join(_actions(s)) for s in statements.values())


def test_r17_drill_role_changes_only_this_groups_instances_launches_and_shifts(default_stage: SynthesizedStage) -> None:
    _, statements = _drill_statements(default_stage.service)
    (asg_id,) = default_stage.service.find_resources("AWS::AutoScaling::AutoScalingGroup")
    (alb_id,) = default_stage.service.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    group_arn = {"Fn::GetAtt": [asg_id, "AutoScalingGroupARN"]}
    stop = statements["StopAndStartThisGroupsInstances"]
    assert stop["Condition"] == {"StringEquals": {"aws:ResourceTag/aws:autoscaling:groupName": "payment-failover-dev"}}
    inject = statements["FailThisGroupsLaunchesOnly"]
    assert inject["Condition"] == {
        "StringEquals": {"ec2:FisActionId": "aws:ec2:asg-insufficient-instance-capacity-error"},
        "ForAllValues:ArnEquals": {"ec2:FisTargetArns": [group_arn]},
    }
    shift = statements["ShiftOnlyThisAlbAndGroup"]
    assert shift["Condition"] == {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": [{"Ref": alb_id}, group_arn]}}
    grant = statements["RestartEncryptedVolumesThroughEc2"]
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert "kms:ViaService" in grant["Condition"]["StringEquals"]
    assert "Condition" in statements["ChangeAndRemoveOnlyTheDrillsNetworkAcls"]
    assert "Condition" in statements["SwapNetworkAclsOfThisVpcsSubnets"]


def test_drills_are_tagged_and_named_with_the_suffix(drills: dict) -> None:
    for az, drill in drills.items():
        assert drill["Tags"]["Name"] == f"payment-failover-dev-lose-{az}"
        assert drill["Tags"]["Environment"] == "Production"


def test_r22_drill_log_delivery_touches_only_this_accounts_log_groups_in_the_region(
    default_stage: SynthesizedStage,
) -> None:
    """'Logs sent to CloudWatch Logs': PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups on the
    account's log-group:* pattern of the region; CreateLogDelivery, which takes no resource, alone on *."""
    _, statements = _drill_statements(default_stage.service)
    scoped = statements["LogDeliveryPolicyOnThisAccountsLogGroupsInThisRegion"]
    assert _actions(scoped) == {"logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}
    assert json.dumps(scoped["Resource"]).endswith(':log-group:*"]]}')
    assert "AWS::AccountId" in json.dumps(scoped["Resource"])
    assert "AWS::Region" in json.dumps(scoped["Resource"])
    on_anything = [s for s in statements.values() if s["Resource"] == "*"]
    assert {a for s in on_anything for a in _actions(s) if a.startswith("logs:")} == {"logs:CreateLogDelivery"}


def test_issue_21_the_drills_pass_criteria_agree_with_the_budgets_error_window(
    default_stage: SynthesizedStage, drills: dict
) -> None:
    """The budget says a lost AZ costs clients at most 60 s of errors on its share of requests and that the per-AZ
    alarm first notifies at 120 s. The drill must (1) not shift before either, so it measures the window without the
    shift's help and no sooner than an operator could act; (2) not stop on that window: a 60 s window touches at
    most two one-minute periods, so a stop alarm needs three in a row (the product's 2-of-3 rule could fire); and
    (3) still stop a runaway: three minutes of errors beyond the budget end the drill well before its 10 minutes.
    The cut load balancer node's connection failures last until the shift plus the alias TTL, as the budget says;
    they are not requests through the load balancer, so no stop alarm (all ELB metrics) counts them."""
    figures = {line.what: line for line in budget.compute([t.to_json() for t in default_stage.templates.values()])}
    error_window = figures["errors from a lost AZ's instances (zonal autoshift on)"].value
    first_page = max(
        line.value
        for what, line in figures.items()
        if what.startswith("first notification: payment-failover-dev-HealthyHosts-")
    )
    assert (error_window, first_page) == (60, 120)
    node_window = figures["connection failures at a lost AZ's load balancer node (AZ drill)"].value
    alarms = {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in default_stage.service.find_resources("AWS::CloudWatch::Alarm").values()
    }
    product = alarms["payment-failover-dev-Alb5xxRate"]
    for az, drill in drills.items():
        delay = parse_iso_duration(drill["Actions"]["WaitBeforeShift"]["Parameters"]["duration"])
        assert delay == 300 >= first_page >= error_window, az
        assert node_window == delay + budget.ALIAS_TTL_SECONDS == 360, az
        runaway = [alarms[name] for name in alarms if "DrillRunaway" in name]
        assert len(runaway) == 2
        for alarm in runaway:
            _, period, datapoints = budget._alarm_timing(alarm)  # how the budget itself reads an alarm's timing
            periods_touched = math.ceil(error_window / period) + 1
            assert (period, periods_touched) == (60, 2)
            assert alarm["EvaluationPeriods"] == datapoints == 3 > periods_touched
            assert (
                3 * period == 180 < parse_iso_duration(drill["Actions"]["CutSubnets"]["Parameters"]["duration"]) == 600
            )
        # The product's own rule would not tolerate the window: that is why the drill has its own stop alarms.
        assert budget._alarm_timing(product)[2] == 2 <= periods_touched
        # Every stop condition reads load balancer metrics, which exist only for requests through the load balancer.
        by_id = default_stage.service.find_resources("AWS::CloudWatch::Alarm")
        for condition in drill["StopConditions"]:
            stopping = by_id[condition["Value"]["Fn::GetAtt"][0]]["Properties"]
            namespaces = {stopping.get("Namespace")} - {None} | {
                q["MetricStat"]["Metric"]["Namespace"] for q in stopping.get("Metrics", []) if "MetricStat" in q
            }
            assert namespaces == {"AWS/ApplicationELB"}, condition
