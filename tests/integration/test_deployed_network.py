"""R1, R2 on the deployed VPC: public and private subnets in the three AZs, the private ones isolated (0011)."""

from __future__ import annotations

import pytest

from tests.integration.lookups import subnets
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration


def test_r1_public_and_private_subnets_each_cover_the_three_configured_azs(deployment: Deployment) -> None:
    azs = sorted(deployment.settings.availability_zones)
    for subnet_type in ("public", "private"):
        assert sorted(subnet["AvailabilityZone"] for subnet in subnets(deployment, subnet_type)) == azs, subnet_type


def test_r2_the_vpc_has_no_nat_gateway(deployment: Deployment) -> None:
    """Decision 0011: the instances reach AWS through the endpoints of their own AZ, and nothing else."""
    nats = deployment.client("ec2").describe_nat_gateways(
        Filters=[{"Name": "vpc-id", "Values": [deployment.service["VpcId"]]}]
    )["NatGateways"]
    assert [nat for nat in nats if nat.get("State") not in ("deleted", "deleting")] == []


def test_r2_no_private_subnet_routes_out_of_the_vpc(deployment: Deployment) -> None:
    """Losing one AZ cannot cut another AZ's way to AWS: there is no shared way out to lose."""
    ec2 = deployment.client("ec2")
    for subnet in subnets(deployment, "private"):
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}])
        routes = [route for table in tables["RouteTables"] for route in table["Routes"]]
        assert [route for route in routes if route.get("DestinationCidrBlock") == "0.0.0.0/0"] == [], subnet["SubnetId"]


def test_r2_public_subnets_route_to_the_vpcs_internet_gateway(deployment: Deployment) -> None:
    ec2 = deployment.client("ec2")
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [deployment.service["VpcId"]]}]
    )["InternetGateways"]
    assert len(gateways) == 1
    for subnet in subnets(deployment, "public"):
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}])
        targets = {
            route.get("GatewayId")
            for table in tables["RouteTables"]
            for route in table["Routes"]
            if route.get("DestinationCidrBlock") == "0.0.0.0/0"
        }
        assert targets == {gateways[0]["InternetGatewayId"]}, subnet["SubnetId"]
