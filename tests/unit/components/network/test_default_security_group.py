"""R19 (PCI DSS v4.0.1 1.3/1.4): the VPC's default security group keeps none of the rules AWS gives it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from payment_failover.components.network.default_security_group import RULE_ALREADY_GONE
from tests.helpers.support import stack_with_network


@pytest.fixture(scope="module")
def template() -> Template:
    stack, _ = stack_with_network()
    return Template.from_stack(stack)


def _calls(template: Template) -> dict[str, dict[str, Any]]:
    """Each Custom::AWS resource's create call, its GroupId references resolved to the logical id they point at."""
    calls = {}
    for custom in template.find_resources("Custom::AWS").values():
        joined = custom["Properties"]["Create"]["Fn::Join"][1]
        text = "".join(
            part if isinstance(part, str) else f"<{part['Fn::GetAtt'][0]}.{part['Fn::GetAtt'][1]}>" for part in joined
        )
        call = json.loads(text)
        calls[call["action"]] = call
        update = custom["Properties"]["Update"]
        assert update == custom["Properties"]["Create"], "the revoke must run again on every update"
        assert "Delete" not in custom["Properties"]
    return calls


def test_r19_the_default_groups_self_ingress_and_open_egress_are_revoked(template: Template) -> None:
    (vpc,) = template.find_resources("AWS::EC2::VPC")
    group = f"<{vpc}.DefaultSecurityGroup>"
    calls = _calls(template)
    assert set(calls) == {"revokeSecurityGroupIngress", "revokeSecurityGroupEgress"}
    assert calls["revokeSecurityGroupIngress"]["parameters"] == {
        "GroupId": group,
        "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}],
    }
    assert calls["revokeSecurityGroupEgress"]["parameters"] == {
        "GroupId": group,
        "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }
    assert {call["ignoreErrorCodesMatching"] for call in calls.values()} == {RULE_ALREADY_GONE}


def test_r19_the_revokes_are_allowed_on_the_default_group_only(template: Template) -> None:
    (vpc,) = template.find_resources("AWS::EC2::VPC")
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if "DefaultSecurityGroup" in json.dumps(policy["Properties"]["PolicyName"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert sorted(statement["Action"] for statement in statements) == [
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
    ]
    for statement in statements:
        assert json.dumps({"Fn::GetAtt": [vpc, "DefaultSecurityGroup"]}) in json.dumps(statement["Resource"])
        assert ":security-group/" in json.dumps(statement["Resource"])


def test_r19_one_sdk_call_function_with_an_encrypted_log_group_serves_the_stack(template: Template) -> None:
    functions = template.find_resources("AWS::Lambda::Function")
    assert len(functions) == 1
    (function,) = functions.values()
    log_group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert "KmsKeyId" in template.find_resources("AWS::Logs::LogGroup")[log_group]["Properties"]
