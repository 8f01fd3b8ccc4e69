"""R1, R2 on the deployed VPC: public and private subnets in the three AZs, each AZ with its own NAT gateway."""

from __future__ import annotations

import pytest

from tests.integration.lookups import subnets
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration


def test_r1_public_and_private_subnets_each_cover_the_three_configured_azs(deployment: Deployment) -> None:
    azs = sorted(deployment.settings.availability_zones)
    for subnet_type in ("Public", "Private"):
        assert sorted(subnet["AvailabilityZone"] for subnet in subnets(deployment, subnet_type)) == azs, subnet_type


def test_r2_one_available_nat_gateway_in_the_public_subnet_of_each_az(deployment: Deployment) -> None:
    public_az = {subnet["SubnetId"]: subnet["AvailabilityZone"] for subnet in subnets(deployment, "Public")}
    nats = deployment.client("ec2").describe_nat_gateways(
        Filters=[
            {"Name": "vpc-id", "Values": [deployment.service["VpcId"]]},
            {"Name": "state", "Values": ["available"]},
        ]
    )["NatGateways"]
    assert sorted(public_az.get(nat["SubnetId"], "not a public subnet") for nat in nats) == sorted(
        deployment.settings.availability_zones
    )


def test_r2_each_private_subnet_reaches_the_internet_through_its_own_azs_nat(deployment: Deployment) -> None:
    """Losing one AZ must not cut the other AZs' way out."""
    ec2 = deployment.client("ec2")
    public_az = {subnet["SubnetId"]: subnet["AvailabilityZone"] for subnet in subnets(deployment, "Public")}
    nat_az = {
        nat["NatGatewayId"]: public_az.get(nat["SubnetId"])
        for nat in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [deployment.service["VpcId"]]}])[
            "NatGateways"
        ]
    }
    for subnet in subnets(deployment, "Private"):
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}])
        routes = [route for table in tables["RouteTables"] for route in table["Routes"]]
        default = [route for route in routes if route.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(default) == 1, f"{subnet['SubnetId']} has {len(default)} default routes"
        assert nat_az.get(default[0].get("NatGatewayId", "")) == subnet["AvailabilityZone"], subnet["SubnetId"]


def test_r2_public_subnets_route_to_the_vpcs_internet_gateway(deployment: Deployment) -> None:
    ec2 = deployment.client("ec2")
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [deployment.service["VpcId"]]}]
    )["InternetGateways"]
    assert len(gateways) == 1
    for subnet in subnets(deployment, "Public"):
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}])
        targets = {
            route.get("GatewayId")
            for table in tables["RouteTables"]
            for route in table["Routes"]
            if route.get("DestinationCidrBlock") == "0.0.0.0/0"
        }
        assert targets == {gateways[0]["InternetGatewayId"]}, subnet["SubnetId"]
