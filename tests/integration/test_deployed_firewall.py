"""R19 (PCI DSS 6.4.2, 10.3): the deployed web ACL on the public ALB, and its encrypted, retained log group."""

from __future__ import annotations

import pytest

from tests.integration.lookups import load_balancer
from tests.integration.rehearsal import Deployment

pytestmark = pytest.mark.integration

WEB_ACL = "AWS::WAFv2::WebACL"


def test_r19_the_public_alb_answers_to_the_stages_web_acl(deployment: Deployment) -> None:
    deployment.not_emulated(WEB_ACL)
    wafv2 = deployment.client("wafv2")
    acl = wafv2.get_web_acl_for_resource(ResourceArn=load_balancer(deployment)["LoadBalancerArn"])["WebACL"]
    assert acl["Name"] == deployment.names.web_acl
    logging = wafv2.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
    assert {f["SingleHeader"]["Name"] for f in logging["RedactedFields"]} == {"authorization", "cookie"}


def test_r19_waf_log_group_is_kms_encrypted_and_kept_beyond_a_year(deployment: Deployment) -> None:
    name = f"aws-waf-logs-{deployment.names.web_acl}"
    (group,) = deployment.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert group["retentionInDays"] >= 365
    assert group["kmsKeyId"].startswith("arn:aws:kms:")
