"""R22: the tier's KMS keys allow kms:CreateGrant only when an AWS service integrated with KMS asks for it."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from payment_failover.components.observability.alerting import FailoverTopic
from payment_failover.components.observability.log_encryption import LogArchive
from tests.helpers.support import bare_stack

DENY_NON_AWS_GRANTS = {
    "Sid": "GrantsOnlyForAwsResources",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "kms:CreateGrant",
    "Resource": "*",
    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "false"}},
}


@pytest.fixture(scope="module")
def template() -> Template:
    stack = bare_stack()
    LogArchive(stack, "Archive", description="test")
    FailoverTopic(stack, "Alerting", topic_name="test", alarm_email=None, autoscaling_publishes=True)
    return Template.from_stack(stack)


def test_r22_every_key_denies_grants_that_no_aws_service_asks_for(template: Template) -> None:
    """'Controlling access to grants' (kms:GrantIsForAWSResource) and Control Tower's CT.KMS.PV.1."""
    keys = template.find_resources("AWS::KMS::Key")
    assert len(keys) == 2
    for key in keys.values():
        assert DENY_NON_AWS_GRANTS in key["Properties"]["KeyPolicy"]["Statement"]


def test_r22_no_key_allows_create_grant_without_the_aws_resource_condition(template: Template) -> None:
    """The account's kms:* statement stays (CDK's default key policy), so the deny above is what limits it."""
    for key in template.find_resources("AWS::KMS::Key").values():
        for statement in key["Properties"]["KeyPolicy"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow" and {"kms:CreateGrant", "kms:*"} & set(actions):
                assert DENY_NON_AWS_GRANTS in key["Properties"]["KeyPolicy"]["Statement"]
