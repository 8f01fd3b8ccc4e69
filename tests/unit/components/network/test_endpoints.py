"""R19 (PCI DSS v4.0.1 1.3/1.4): the instances reach the AWS APIs they call through VPC endpoints, and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template

from payment_failover.components.network.endpoints import INTERFACE_ENDPOINTS, S3_PREFIX_LIST_PATH, ServiceEndpoints
from payment_failover.components.observability.log_encryption import LogArchive
from tests.helpers.support import AZS, stack_with_network
from tests.helpers.synth import SynthesizedStage

SERVICES = (
    "cloudformation",
    "ssm",
    "ssmmessages",
    "logs",
    "autoscaling",
    "elasticloadbalancing",
    "codedeploy-commands-secure",
)


@pytest.fixture(scope="module")
def template() -> Template:
    stack, network = stack_with_network()
    clients = ec2.SecurityGroup(stack, "Clients", vpc=network.vpc, description="clients", allow_all_outbound=False)
    endpoints = ServiceEndpoints(
        stack,
        "Endpoints",
        vpc=network.vpc,
        subnets=network.private_subnets,
        log_archive=LogArchive(stack, "Archive", description="test"),
    )
    endpoints.admit(clients)
    return Template.from_stack(stack)


def _logical_id(template: Template, type_: str, props: dict[str, Any]) -> str:
    (found,) = template.find_resources(type_, {"Properties": props})
    return str(found)


def _private_subnet_ids(template: Template) -> list[str]:
    subnets = template.find_resources(
        "AWS::EC2::Subnet",
        {"Properties": {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-name", "Value": "private"}])}},
    )
    return sorted(subnets)


@pytest.mark.parametrize("service", SERVICES)
def test_r19_each_interface_endpoint_has_private_dns_in_the_private_subnet_of_every_az(
    template: Template, service: str
) -> None:
    (endpoint,) = template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"ServiceName": f"com.amazonaws.eu-central-1.{service}"}}
    ).values()
    props = endpoint["Properties"]
    assert props["VpcEndpointType"] == "Interface"
    assert props["PrivateDnsEnabled"] is True
    assert sorted(ref["Ref"] for ref in props["SubnetIds"]) == _private_subnet_ids(template)
    assert len(props["SubnetIds"]) == len(AZS)
    group = _logical_id(
        template, "AWS::EC2::SecurityGroup", {"GroupDescription": Match.string_like_regexp("^VPC interface endpoints")}
    )
    assert props["SecurityGroupIds"] == [{"Fn::GetAtt": [group, "GroupId"]}]


def test_r19_no_ec2messages_endpoint_is_paid_for(template: Template) -> None:
    names = [
        json.dumps(e["Properties"]["ServiceName"]) for e in template.find_resources("AWS::EC2::VPCEndpoint").values()
    ]
    assert not [name for name in names if "ec2messages" in name]
    assert tuple(INTERFACE_ENDPOINTS) == SERVICES
    assert len(names) == len(SERVICES) + 1  # + the S3 gateway


ACCOUNT = {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}
THIS_ACCOUNTS_LOG_GROUPS = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":logs:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":log-group:*",
        ],
    ]
}
THIS_ACCOUNTS_GROUPS = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":autoscaling:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":autoScalingGroup:*",
        ],
    ]
}
USED = {
    "cloudformation": ("cloudformation:SignalResource", {"Ref": "AWS::StackId"}),
    "autoscaling": ("autoscaling:CompleteLifecycleAction", THIS_ACCOUNTS_GROUPS),
    # DescribeTargetHealth takes no resource type (Service Authorization Reference, ELB v2): "*" is all it accepts.
    "elasticloadbalancing": ("elasticloadbalancing:DescribeTargetHealth", "*"),
    "ssm": ("ssm:UpdateInstanceInformation", "*"),
    "ssmmessages": (
        [
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ],
        "*",
    ),
    "logs": (
        ["logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        THIS_ACCOUNTS_LOG_GROUPS,
    ),
    # R20: the CodeDeploy agent's four host-command actions, which take no resource type.
    "codedeploy-commands-secure": (
        [
            "codedeploy-commands-secure:GetDeploymentSpecification",
            "codedeploy-commands-secure:PollHostCommand",
            "codedeploy-commands-secure:PutHostCommandAcknowledgement",
            "codedeploy-commands-secure:PutHostCommandComplete",
        ],
        "*",
    ),
}
# R20: the deploy gate asks whether CodeDeploy's launch hook is on the group; Describe actions take no resource type.
UNSCOPED = {"autoscaling": "autoscaling:DescribeLifecycleHooks"}


@pytest.mark.parametrize("service", SERVICES)
def test_r22_each_interface_endpoint_admits_only_this_accounts_principals_and_the_actions_used(
    template: Template, service: str
) -> None:
    """Endpoint policies (PrivateLink "Control access to VPC endpoints using endpoint policies"): no endpoint keeps
    the default full-access policy; signals reach only this stack, log writes only this account's log groups."""
    (endpoint,) = template.find_resources(
        "AWS::EC2::VPCEndpoint",
        {"Properties": {"VpcEndpointType": "Interface", "ServiceName": f"com.amazonaws.eu-central-1.{service}"}},
    ).values()
    actions, resource = USED[service]
    expected = [
        {
            "Sid": "ThisAccountsPrincipalsUsedActionsOnly",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": actions,
            "Resource": resource,
            "Condition": ACCOUNT,
        }
    ]
    if service in UNSCOPED:
        expected.append(
            {
                "Sid": "ThisAccountsPrincipalsReadsWithoutResourceType",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": UNSCOPED[service],
                "Resource": "*",
                "Condition": ACCOUNT,
            }
        )
    assert endpoint["Properties"]["PolicyDocument"]["Statement"] == expected


def test_r22_s3_gateway_endpoint_serves_the_private_route_tables_and_reads_only_the_os_and_agents_buckets(
    template: Template,
) -> None:
    (gateway,) = template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Gateway"}}
    ).values()
    props = gateway["Properties"]
    assert json.dumps(props["ServiceName"]).endswith('".s3"]]}')
    private_tables = {
        assoc["Properties"]["RouteTableId"]["Ref"]
        for assoc in template.find_resources("AWS::EC2::SubnetRouteTableAssociation").values()
        if assoc["Properties"]["SubnetId"]["Ref"] in _private_subnet_ids(template)
    }
    assert {ref["Ref"] for ref in props["RouteTableIds"]} == private_tables
    assert len(private_tables) == len(AZS)
    assert props["PolicyDocument"]["Statement"] == [
        {
            "Sid": "ReadTheOsRepositoryAndAgentBucketsOnly",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "s3:GetObject",
            "Resource": [
                "arn:aws:s3:::al2023-repos-eu-central-1-de612dc2/*",
                "arn:aws:s3:::amazon-ssm-eu-central-1/*",
                "arn:aws:s3:::aws-codedeploy-eu-central-1/*",
            ],
        }
    ]


def test_r19_endpoint_group_accepts_only_https_from_the_admitted_group_and_sends_nothing(template: Template) -> None:
    group = _logical_id(
        template, "AWS::EC2::SecurityGroup", {"GroupDescription": Match.string_like_regexp("^VPC interface endpoints")}
    )
    clients = _logical_id(template, "AWS::EC2::SecurityGroup", {"GroupDescription": "clients"})
    ingress = [
        rule["Properties"]
        for rule in template.find_resources("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}
    ]
    assert ingress == [
        {
            "GroupId": {"Fn::GetAtt": [group, "GroupId"]},
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "SourceSecurityGroupId": {"Fn::GetAtt": [clients, "GroupId"]},
            "Description": "HTTPS from the payment instances",
        }
    ]
    egress = template.find_resources("AWS::EC2::SecurityGroup")[group]["Properties"]["SecurityGroupEgress"]
    # CDK's way of writing "no egress": one rule no packet can match (ICMP type 252, code 86, to one address).
    assert [(rule["CidrIp"], rule["IpProtocol"]) for rule in egress] == [("255.255.255.255/32", "icmp")]
    assert "SecurityGroupIngress" not in template.find_resources("AWS::EC2::SecurityGroup")[group]["Properties"]


def test_r19_s3_egress_uses_the_prefix_list_id_looked_up_at_deploy_time(template: Template) -> None:
    lookup = _logical_id(template, "Custom::AWS", {"Create": Match.string_like_regexp("describeManagedPrefixLists")})
    (custom,) = template.find_resources(
        "Custom::AWS", {"Properties": {"Create": Match.string_like_regexp("Prefix")}}
    ).values()
    call = json.loads(custom["Properties"]["Create"])
    assert call["service"] == "EC2"
    assert call["parameters"] == {
        "Filters": [{"Name": "prefix-list-name", "Values": ["com.amazonaws.eu-central-1.s3"]}]
    }
    assert call["outputPaths"] == [S3_PREFIX_LIST_PATH]
    assert json.loads(custom["Properties"]["Update"]) == call
    (rule,) = template.find_resources("AWS::EC2::SecurityGroupEgress").values()
    assert rule["Properties"]["DestinationPrefixListId"] == {"Fn::GetAtt": [lookup, S3_PREFIX_LIST_PATH]}
    assert (rule["Properties"]["IpProtocol"], rule["Properties"]["FromPort"], rule["Properties"]["ToPort"]) == (
        "tcp",
        443,
        443,
    )


def test_r19_the_lookup_may_only_describe_prefix_lists(template: Template) -> None:
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::IAM::Policy").values()
        if "S3PrefixList" in json.dumps(p["Properties"]["PolicyName"])
    ]
    assert policies == [[{"Action": "ec2:DescribeManagedPrefixLists", "Effect": "Allow", "Resource": "*"}]]


def _instance_rules(template: Template) -> list[dict[str, Any]]:
    group = _logical_id(
        template, "AWS::EC2::SecurityGroup", {"GroupDescription": Match.string_like_regexp("^Payment instances")}
    )
    inline = template.find_resources("AWS::EC2::SecurityGroup")[group]["Properties"].get("SecurityGroupEgress", [])
    separate = [
        rule["Properties"]
        for rule in template.find_resources("AWS::EC2::SecurityGroupEgress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}
    ]
    return [*inline, *separate]


def test_r19_instances_send_only_https_to_the_endpoints_and_s3(default_stage: SynthesizedStage) -> None:
    rules = _instance_rules(default_stage.service)
    endpoints = _logical_id(
        default_stage.service,
        "AWS::EC2::SecurityGroup",
        {"GroupDescription": Match.string_like_regexp("^VPC interface endpoints")},
    )
    lookup = _logical_id(
        default_stage.service, "Custom::AWS", {"Create": Match.string_like_regexp("describeManagedPrefixLists")}
    )
    destinations = sorted(
        json.dumps(rule.get("DestinationSecurityGroupId") or rule.get("DestinationPrefixListId")) for rule in rules
    )
    assert destinations == sorted(
        [
            json.dumps({"Fn::GetAtt": [endpoints, "GroupId"]}),
            json.dumps({"Fn::GetAtt": [lookup, S3_PREFIX_LIST_PATH]}),
        ]
    )
    assert all((rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443) for rule in rules)
    assert all(rule.get("Description") for rule in rules)


def test_r19_no_instance_rule_reaches_the_internet(
    default_stage: SynthesizedStage, standby_stage: SynthesizedStage
) -> None:
    for template in (default_stage.service, standby_stage.service, standby_stage.standby):
        rules = _instance_rules(template)
        assert len(rules) == 2
        for rule in rules:
            assert "CidrIp" not in rule, rule
            assert "CidrIpv6" not in rule, rule


def test_r2_no_nat_gateway_in_any_regional_stack(
    default_stage: SynthesizedStage, standby_stage: SynthesizedStage
) -> None:
    """Decision 0011: the endpoints are the instances' only way out, in every region."""
    for template in (default_stage.service, standby_stage.service, standby_stage.standby):
        template.resource_count_is("AWS::EC2::NatGateway", 0)
