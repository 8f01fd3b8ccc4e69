"""R1, R2: a VPC that really spans eu-central-1a/b/c; the instances' subnets isolated (decision 0011)."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from payment_failover.components.network.network import PRIVATE_SUBNETS, PUBLIC_SUBNETS, Network
from payment_failover.components.observability.log_encryption import LOG_RETENTION_DAYS, LogArchive
from tests.helpers.support import AZS, bare_stack


@pytest.fixture(scope="module")
def template() -> Template:
    stack = bare_stack()
    Network(
        stack,
        "Network",
        availability_zones=AZS,
        vpc_name="payment-failover-test",
        log_archive=LogArchive(stack, "LogArchive", description="test"),
    )
    return Template.from_stack(stack)


def _subnets(template: Template, group: str) -> dict[str, dict]:
    return dict(
        template.find_resources(
            "AWS::EC2::Subnet",
            {"Properties": {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-name", "Value": group}])}},
        )
    )


@pytest.mark.parametrize("group", [PUBLIC_SUBNETS, PRIVATE_SUBNETS])
def test_r1_every_subnet_group_spans_the_three_named_azs(template: Template, group: str) -> None:
    subnets = _subnets(template, group)
    assert sorted(subnet["Properties"]["AvailabilityZone"] for subnet in subnets.values()) == list(AZS)


def test_r2_no_nat_gateway_and_no_internet_route_from_the_instances_subnets(template: Template) -> None:
    """Decision 0011: nothing on the instances needs the internet, so their subnets are isolated.

    "Isolated Subnets do not route traffic to the Internet (in this VPC), and as such, do not require NAT gateways"
    (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ec2.SubnetType.html); every AWS API the instances
    call is reached through the VPC endpoints of their own AZ (endpoints.py).
    """
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::EIP", 0)
    private_tables = {
        assoc["Properties"]["RouteTableId"]["Ref"]
        for assoc in template.find_resources("AWS::EC2::SubnetRouteTableAssociation").values()
        if assoc["Properties"]["SubnetId"]["Ref"] in _subnets(template, PRIVATE_SUBNETS)
    }
    assert len(private_tables) == len(AZS)
    routes = template.find_resources("AWS::EC2::Route").values()
    assert [r for r in routes if r["Properties"]["RouteTableId"]["Ref"] in private_tables] == []
    for subnet in _subnets(template, PRIVATE_SUBNETS).values():
        assert {"Key": "aws-cdk:subnet-type", "Value": "Isolated"} in subnet["Properties"]["Tags"]


def test_r2_only_the_public_subnets_route_to_the_internet_gateway(template: Template) -> None:
    public_tables = {
        assoc["Properties"]["RouteTableId"]["Ref"]
        for assoc in template.find_resources("AWS::EC2::SubnetRouteTableAssociation").values()
        if assoc["Properties"]["SubnetId"]["Ref"] in _subnets(template, PUBLIC_SUBNETS)
    }
    routes = template.find_resources("AWS::EC2::Route").values()
    assert sorted(r["Properties"]["RouteTableId"]["Ref"] for r in routes) == sorted(public_tables)
    assert all("GatewayId" in r["Properties"] for r in routes)


def test_r2_instances_subnets_have_no_public_addresses(template: Template) -> None:
    for subnet in _subnets(template, PRIVATE_SUBNETS).values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


def test_r19_vpc_flow_logs_capture_all_traffic_into_an_encrypted_group_kept_beyond_a_year(template: Template) -> None:
    template.has_resource_properties(
        "AWS::EC2::FlowLog",
        {"ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"},
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "RetentionInDays": LOG_RETENTION_DAYS,
            "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("LogArchive"), "Arn"]},
        },
    )
    assert LOG_RETENTION_DAYS > 365


def test_r19_nothing_in_the_public_subnets_gets_a_public_address_by_default(template: Template) -> None:
    public = template.find_resources(
        "AWS::EC2::Subnet",
        {"Properties": {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-name", "Value": "public"}])}},
    )
    assert len(public) == 3
    assert all(subnet["Properties"]["MapPublicIpOnLaunch"] is False for subnet in public.values())
