"""R19 (PCI DSS v4.0.1 1.3/1.4) on the deployed VPC: the instances' only way out is HTTPS to the VPC endpoints."""

from __future__ import annotations

import json
from typing import Any

import pytest

from payment_failover.components.network.endpoints import INTERFACE_ENDPOINTS
from tests.integration.lookups import launch_template_data, security_group, subnets
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration


def _endpoints(deployment: Deployment) -> list[dict[str, Any]]:
    return list(
        deployment.client("ec2").describe_vpc_endpoints(
            Filters=[{"Name": "vpc-id", "Values": [deployment.service["VpcId"]]}]
        )["VpcEndpoints"]
    )


def _by_service(deployment: Deployment) -> dict[str, dict[str, Any]]:
    prefix = f"com.amazonaws.{deployment.settings.region}."
    return {endpoint["ServiceName"].removeprefix(prefix): endpoint for endpoint in _endpoints(deployment)}


def _instance_group_id(deployment: Deployment) -> str:
    (group_id,) = launch_template_data(deployment)["SecurityGroupIds"]
    return str(group_id)


def test_r19_one_interface_endpoint_per_service_with_private_dns_in_every_private_subnet(
    deployment: Deployment,
) -> None:
    endpoints = _by_service(deployment)
    assert set(endpoints) == {*INTERFACE_ENDPOINTS, "s3"}
    private = {subnet["SubnetId"] for subnet in subnets(deployment, "private")}
    for service in INTERFACE_ENDPOINTS:
        endpoint = endpoints[service]
        assert endpoint["VpcEndpointType"] == "Interface", service
        assert endpoint["PrivateDnsEnabled"] is True, service
        assert set(endpoint["SubnetIds"]) == private, service
    logs_policy = json.loads(endpoints["logs"]["PolicyDocument"])
    assert [s["Condition"] for s in logs_policy["Statement"]] == [
        {"StringEquals": {"aws:PrincipalAccount": deployment.settings.account}}
    ]


def test_r19_s3_gateway_endpoint_is_on_every_private_route_table(deployment: Deployment) -> None:
    gateway = _by_service(deployment)["s3"]
    assert gateway["VpcEndpointType"] == "Gateway"
    tables = deployment.client("ec2").describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [s["SubnetId"] for s in subnets(deployment, "private")]}]
    )["RouteTables"]
    assert set(gateway["RouteTableIds"]) == {table["RouteTableId"] for table in tables}


def test_r19_endpoints_accept_https_from_the_instances_only(deployment: Deployment) -> None:
    groups = {group["GroupId"] for e in _endpoints(deployment) for group in e.get("Groups", [])}
    (group_id,) = groups
    group = security_group(deployment, group_id)
    assert [
        (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), [g["GroupId"] for g in p.get("UserIdGroupPairs", [])])
        for p in group["IpPermissions"]
    ] == [("tcp", 443, 443, [_instance_group_id(deployment)])]
    assert all(not p.get("IpRanges") for p in group["IpPermissions"])


def test_r19_instances_send_only_https_to_the_endpoints_and_s3(deployment: Deployment) -> None:
    group = security_group(deployment, _instance_group_id(deployment))
    endpoint_group = {group["GroupId"] for e in _endpoints(deployment) for group in e.get("Groups", [])}
    s3_list = deployment.client("ec2").describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{deployment.settings.region}.s3"]}]
    )["PrefixLists"][0]["PrefixListId"]
    destinations = set()
    for permission in group["IpPermissionsEgress"]:
        assert (permission["IpProtocol"], permission.get("FromPort"), permission.get("ToPort")) == ("tcp", 443, 443)
        assert not permission.get("IpRanges"), permission
        assert not permission.get("Ipv6Ranges"), permission
        destinations |= {g["GroupId"] for g in permission.get("UserIdGroupPairs", [])}
        destinations |= {p["PrefixListId"] for p in permission.get("PrefixListIds", [])}
    assert destinations == {*endpoint_group, s3_list}


def test_r19_the_vpcs_default_security_group_has_no_rules(deployment: Deployment) -> None:
    (group,) = deployment.client("ec2").describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [deployment.service["VpcId"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    assert (group["IpPermissions"], group["IpPermissionsEgress"]) == ([], [])
