"""R1, R2: a VPC that really spans eu-central-1a/b/c, with one NAT gateway per AZ."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from payment_failover.components.network.network import Network
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


def _subnets(template: Template, subnet_type: str) -> dict[str, dict]:
    return dict(
        template.find_resources(
            "AWS::EC2::Subnet",
            {"Properties": {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-type", "Value": subnet_type}])}},
        )
    )


@pytest.mark.parametrize("subnet_type", ["Public", "Private"])
def test_r1_every_subnet_group_spans_the_three_named_azs(template: Template, subnet_type: str) -> None:
    subnets = _subnets(template, subnet_type)
    assert sorted(subnet["Properties"]["AvailabilityZone"] for subnet in subnets.values()) == list(AZS)


def test_r2_one_nat_gateway_per_az_each_in_its_own_public_subnet(template: Template) -> None:
    template.resource_count_is("AWS::EC2::NatGateway", 3)
    public_ids = set(_subnets(template, "Public"))
    nat_subnets = [
        nat["Properties"]["SubnetId"]["Ref"] for nat in template.find_resources("AWS::EC2::NatGateway").values()
    ]
    assert sorted(nat_subnets) == sorted(public_ids)


def test_r2_each_private_subnet_egresses_through_the_nat_of_its_own_az(template: Template) -> None:
    subnets = template.find_resources("AWS::EC2::Subnet")
    nat_az = {
        nat_id: subnets[nat["Properties"]["SubnetId"]["Ref"]]["Properties"]["AvailabilityZone"]
        for nat_id, nat in template.find_resources("AWS::EC2::NatGateway").items()
    }
    associations = template.find_resources("AWS::EC2::SubnetRouteTableAssociation")
    table_az = {
        assoc["Properties"]["RouteTableId"]["Ref"]: subnets[assoc["Properties"]["SubnetId"]["Ref"]]["Properties"][
            "AvailabilityZone"
        ]
        for assoc in associations.values()
    }
    nat_routes = template.find_resources("AWS::EC2::Route", {"Properties": {"NatGatewayId": Match.any_value()}})
    assert len(nat_routes) == 3
    for route in nat_routes.values():
        props = route["Properties"]
        assert props["DestinationCidrBlock"] == "0.0.0.0/0"
        assert nat_az[props["NatGatewayId"]["Ref"]] == table_az[props["RouteTableId"]["Ref"]]


def test_r2_instances_subnets_have_no_public_addresses(template: Template) -> None:
    for subnet in _subnets(template, "Private").values():
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
        {"Properties": {"Tags": Match.array_with([{"Key": "aws-cdk:subnet-type", "Value": "Public"}])}},
    )
    assert len(public) == 3
    assert all(subnet["Properties"]["MapPublicIpOnLaunch"] is False for subnet in public.values())
