"""R19 (PCI DSS 6.4.2): an AWS WAF web ACL in front of every public ALB, its rules, modes, logging and alarm."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Match, Template

from payment_failover.components.edge.web_firewall import (
    ALB_BODY_INSPECTION_LIMIT_BYTES,
    BLOCKED_SPIKE_THRESHOLD,
    MANAGED_GROUPS,
    MERCHANT_HEADER,
    MERCHANT_RATE_LIMIT_PER_5_MINUTES,
    RATE_LIMIT_PER_5_MINUTES,
    WCU_BASE_PRICE_LIMIT,
    WEB_ACL_WCU,
    WebFirewall,
)
from payment_failover.components.observability.log_encryption import LOG_RETENTION_DAYS, LogArchive
from payment_failover.config import waf_rules
from tests.helpers.dashboard_body import resolve
from tests.helpers.support import single, stack_with_network
from tests.helpers.synth import SynthesizedStage


@pytest.fixture(scope="module")
def service(default_stage: SynthesizedStage) -> Template:
    return default_stage.service


def _plain(value: Any) -> Any:
    """A policy value with CDK's Fn::Join over pseudo parameters written out (partition aws)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join("aws" if part == {"Ref": "AWS::Partition"} else str(_plain(part)) for part in parts)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _rules(template: Template) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in single(template, "AWS::WAFv2::WebACL")["Rules"]}


def _component(**kwargs: Any) -> Template:
    stack, network = stack_with_network()
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=network.vpc, internet_facing=True)
    WebFirewall(
        stack,
        "Waf",
        name="pf-test",
        load_balancers=[alb],
        log_archive=LogArchive(stack, "Logs", description="test"),
        **kwargs,
    )
    return Template.from_stack(stack)


def test_r19_every_internet_facing_alb_of_the_stage_is_associated_with_the_web_acl(
    default_stage: SynthesizedStage,
) -> None:
    checked = 0
    for template in default_stage.templates.values():
        acls = template.find_resources("AWS::WAFv2::WebACL")
        associated = {
            assoc["Properties"]["ResourceArn"]["Ref"]
            for assoc in template.find_resources("AWS::WAFv2::WebACLAssociation").values()
            if assoc["Properties"]["WebACLArn"] == {"Fn::GetAtt": [next(iter(acls), ""), "Arn"]}
        }
        for logical_id, alb in template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer").items():
            if alb["Properties"].get("Scheme") == "internet-facing":
                assert logical_id in associated
                checked += 1
    assert checked == 1


def test_r19_the_web_acl_is_regional_allows_by_default_and_reports_metrics(service: Template) -> None:
    acl = single(service, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    assert acl["Name"] == "payment-failover-dev"


def test_r19_managed_rule_groups_for_a_payment_api_enforce_their_own_actions_by_default(service: Template) -> None:
    rules = _rules(service)
    for group in MANAGED_GROUPS:
        rule = rules[group.name]
        assert rule["OverrideAction"] == {"None": {}}, group.name
        assert rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
    names = {group.name for group in MANAGED_GROUPS}
    assert names >= {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesAnonymousIpList",
        "AWSManagedRulesSQLiRuleSet",
    }
    assert sorted(rule["Priority"] for rule in rules.values()) == list(range(len(rules)))


def test_r19_hosting_provider_addresses_are_only_counted_so_merchants_and_route53_checkers_get_through(
    service: Template,
) -> None:
    statement = _rules(service)["AWSManagedRulesAnonymousIpList"]["Statement"]["ManagedRuleGroupStatement"]
    assert statement["RuleActionOverrides"] == [{"Name": "HostingProviderIPList", "ActionToUse": {"Count": {}}}]


def test_r19_rate_limit_per_client_ip_over_five_minutes_blocks(service: Template) -> None:
    rule = _rules(service)["RateLimitPerClientIp"]
    assert rule["Action"] == {"Block": {}}
    # No trusted ranges by default: every address is counted, and no IP set exists.
    assert rule["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": RATE_LIMIT_PER_5_MINUTES,
        "EvaluationWindowSec": 300,
    }
    service.resource_count_is("AWS::WAFv2::IPSet", 0)


def test_r19_rate_limit_per_merchant_counts_by_the_merchant_header_before_the_per_ip_rule(service: Template) -> None:
    rules = _rules(service)
    rule = rules["RateLimitPerMerchant"]
    assert rule["Action"] == {"Block": {}}
    assert rule["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "CUSTOM_KEYS",
        "CustomKeys": [{"Header": {"Name": "x-merchant-id", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}],
        "Limit": MERCHANT_RATE_LIMIT_PER_5_MINUTES,
        "EvaluationWindowSec": 300,
    }
    assert MERCHANT_HEADER == "x-merchant-id"
    # A merchant's whole volume versus one unknown address: ten times the per-IP limit.
    assert MERCHANT_RATE_LIMIT_PER_5_MINUTES == 10 * RATE_LIMIT_PER_5_MINUTES
    # Requests without the header are left out of the merchant rule by AWS WAF: the per-IP rule, which has no
    # custom key and so omits no request, comes right after it.
    assert rule["Priority"] + 1 == rules["RateLimitPerClientIp"]["Priority"]
    assert "ScopeDownStatement" not in rule["Statement"]["RateBasedStatement"]


def test_r19_trusted_egress_ranges_are_an_ip_set_left_out_of_the_per_ip_limit_only() -> None:
    template = _component(trusted_cidrs=["203.0.113.0/24", "198.51.100.7/32"])
    ((logical_id, ip_set),) = template.find_resources("AWS::WAFv2::IPSet").items()
    # AWS WAF's description pattern: no parentheses or other punctuation beyond +=:#@/-,.
    assert re.fullmatch(r"[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]", ip_set["Properties"]["Description"])
    assert ip_set["Properties"] == {
        "Name": "pf-test-trusted-egress",
        "Description": "wafTrustedCidrs: merchant and PSP egress, limited per merchant, not per IP",
        "Scope": "REGIONAL",
        "IPAddressVersion": "IPV4",
        "Addresses": ["203.0.113.0/24", "198.51.100.7/32"],
    }
    rules = _rules(template)
    scope_down = rules["RateLimitPerClientIp"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    assert scope_down == {
        "NotStatement": {"Statement": {"IPSetReferenceStatement": {"Arn": {"Fn::GetAtt": [logical_id, "Arn"]}}}}
    }
    # The merchant rule still counts requests from trusted ranges: an aggregator's merchants each keep a limit.
    assert "ScopeDownStatement" not in rules["RateLimitPerMerchant"]["Statement"]["RateBasedStatement"]


def test_r19_trusted_ranges_and_merchant_key_come_from_the_settings(custom_stage: SynthesizedStage) -> None:
    service = custom_stage.service
    (ip_set,) = service.find_resources("AWS::WAFv2::IPSet").values()
    assert ip_set["Properties"]["Addresses"] == ["203.0.113.0/24", "198.51.100.7/32"]
    merchant = _rules(service)["RateLimitPerMerchant"]["Statement"]["RateBasedStatement"]
    assert merchant["CustomKeys"][0]["Header"]["Name"] == "x-api-key"
    assert merchant["Limit"] == 5000
    assert (
        "NotStatement"
        in _rules(service)["RateLimitPerClientIp"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    )


def test_r19_bodies_beyond_what_the_alb_lets_waf_inspect_are_blocked(service: Template) -> None:
    rule = _rules(service)["BodySizeLimit"]
    assert rule["Action"] == {"Block": {}}
    constraint = rule["Statement"]["SizeConstraintStatement"]
    assert constraint["ComparisonOperator"] == "GT"
    assert constraint["Size"] == ALB_BODY_INSPECTION_LIMIT_BYTES == 8192
    assert constraint["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}


def test_r19_count_mode_per_rule_group_lets_a_team_roll_out_gradually() -> None:
    rules = _rules(_component(rule_modes={"common": "count", "rateLimit": "count", "bodySize": "count"}))
    assert rules["AWSManagedRulesCommonRuleSet"]["OverrideAction"] == {"Count": {}}
    assert rules["AWSManagedRulesKnownBadInputsRuleSet"]["OverrideAction"] == {"None": {}}
    assert rules["RateLimitPerClientIp"]["Action"] == {"Count": {}}
    assert rules["RateLimitPerMerchant"]["Action"] == {"Block": {}}
    assert rules["BodySizeLimit"]["Action"] == {"Count": {}}


def test_r19_the_merchant_rule_has_its_own_mode_key() -> None:
    assert "merchantRateLimit" in waf_rules.RULE_KEYS
    rules = _rules(_component(rule_modes={"merchantRateLimit": "count"}))
    assert rules["RateLimitPerMerchant"]["Action"] == {"Count": {}}
    assert rules["RateLimitPerClientIp"]["Action"] == {"Block": {}}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rule_modes": {"common": "deny"}}, "modes"),
        ({"rule_modes": {"sqli": "block"}}, "keys"),
        ({"rate_limit": 9}, "rate limit"),
        ({"merchant_rate_limit": 2_000_000_001}, "rate limit"),
        ({"merchant_header": "x merchant"}, "merchant header"),
        ({"merchant_header": "x" * 65}, "merchant header"),
        ({"trusted_cidrs": ["0.0.0.0/0"]}, "trusted ranges"),
        ({"trusted_cidrs": ["203.0.113.9/24"]}, "trusted ranges"),
        ({"trusted_cidrs": ["2001:db8::/32"]}, "trusted ranges"),
        ({"body_size_limit_bytes": 8193}, "body size"),
    ],
)
def test_r19_the_construct_refuses_modes_and_limits_waf_would_not_take(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _component(**kwargs)


def test_r19_the_web_acl_stays_within_the_base_price_capacity() -> None:
    # Per merchant: 2 + 30 for the header key + 10 for its text transformation; per IP: 2 + 1 for the IP set
    # under NOT; body size: 1 + 10 for its text transformation (each NONE counted at 10: an upper bound).
    assert waf_rules.OWN_RULES_WCU == (2 + 30 + 10) + (2 + 1) + (1 + 10) == 56
    assert sum(group.capacity for group in MANAGED_GROUPS) == 1375
    assert WEB_ACL_WCU == 1431 <= WCU_BASE_PRICE_LIMIT


def test_r19_the_counted_own_rules_are_the_ones_the_template_holds(service: Template) -> None:
    own = {name: rule for name, rule in _rules(service).items() if "Action" in rule}
    assert set(own) == {"RateLimitPerMerchant", "RateLimitPerClientIp", "BodySizeLimit"}
    keys = own["RateLimitPerMerchant"]["Statement"]["RateBasedStatement"]["CustomKeys"]
    assert len(keys) == 1
    assert len(keys[0]["Header"]["TextTransformations"]) == 1
    size = own["BodySizeLimit"]["Statement"]["SizeConstraintStatement"]
    assert len(size["TextTransformations"]) == 1


def test_r19_waf_logs_go_to_an_encrypted_aws_waf_logs_group_kept_beyond_a_year(service: Template) -> None:
    groups = service.find_resources(
        "AWS::Logs::LogGroup", {"Properties": {"LogGroupName": "aws-waf-logs-payment-failover-dev"}}
    )
    ((logical_id, group),) = groups.items()
    assert group["Properties"]["RetentionInDays"] == LOG_RETENTION_DAYS >= 365
    assert "KmsKeyId" in group["Properties"]
    assert group["DeletionPolicy"] == "Retain"
    config = single(service, "AWS::WAFv2::LoggingConfiguration")
    (destination,) = config["LogDestinationConfigs"]
    # The shipped ARN is a literal: partition, region and account are all known (enablePartitionLiterals).
    assert destination == "arn:aws:logs:eu-central-1:123456789012:log-group:aws-waf-logs-payment-failover-dev"
    assert logical_id in resolve_depends_on(service, "AWS::WAFv2::LoggingConfiguration")


def resolve_depends_on(template: Template, type_: str) -> list[str]:
    ((_, resource),) = template.find_resources(type_).items()
    return list(resource.get("DependsOn", []))


def test_r19_waf_logs_redact_the_authorization_and_cookie_headers(service: Template) -> None:
    config = single(service, "AWS::WAFv2::LoggingConfiguration")
    assert config["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "cookie"}},
    ]


def test_r19_only_this_accounts_log_delivery_may_write_the_waf_log_group(service: Template) -> None:
    service.has_resource_properties("AWS::Logs::ResourcePolicy", {"PolicyDocument": Match.any_value()})
    (policy,) = [
        p
        for p in service.find_resources("AWS::Logs::ResourcePolicy").values()
        if "delivery.logs.amazonaws.com" in str(p["Properties"]["PolicyDocument"])
    ]
    (statement,) = _plain(resolve(policy["Properties"]["PolicyDocument"]))["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:logs:eu-central-1:123456789012:*"}


def test_r19_blocked_request_spike_pages_the_failover_topic(service: Template) -> None:
    (alarm,) = service.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": "payment-failover-dev-WafBlockedSpike"}}
    ).values()
    props = alarm["Properties"]
    assert (props["Namespace"], props["MetricName"], props["Statistic"], props["Period"]) == (
        "AWS/WAFV2",
        "BlockedRequests",
        "Sum",
        300,
    )
    assert {d["Name"]: d["Value"] for d in props["Dimensions"]} == {
        "WebACL": "payment-failover-dev",
        "Region": "eu-central-1",
        "Rule": "ALL",
    }
    assert (props["Threshold"], props["ComparisonOperator"]) == (BLOCKED_SPIKE_THRESHOLD, "GreaterThanThreshold")
    assert [a["Ref"] for a in props["AlarmActions"]] == [a["Ref"] for a in props["OKActions"]]
    assert props["AlarmActions"][0]["Ref"].startswith("AlertingTopic")


def test_r19_the_dashboard_shows_allowed_blocked_and_counted_requests(service: Template) -> None:
    body = resolve(single(service, "AWS::CloudWatch::Dashboard")["DashboardBody"])
    (widget,) = [w for w in body["widgets"] if "AWS WAF" in w["properties"].get("title", "")]
    metrics = widget["properties"]["metrics"]
    assert [m[1] for m in metrics] == ["AllowedRequests", "BlockedRequests", "CountedRequests"]
    assert all(m[:2] == ["AWS/WAFV2", m[1]] and "WebACL" in m for m in metrics)


def test_r19_the_log_key_serves_only_cloudwatch_logs_of_this_account_and_region(service: Template) -> None:
    keys = [
        k for k in service.find_resources("AWS::KMS::Key").values() if "log-group" in str(k["Properties"]["KeyPolicy"])
    ]
    assert len(keys) == 1
    assert keys[0]["Properties"]["EnableKeyRotation"] is True
    statements = _plain(keys[0]["Properties"]["KeyPolicy"])["Statement"]
    (logs,) = [s for s in statements if s.get("Principal") == {"Service": "logs.eu-central-1.amazonaws.com"}]
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-central-1:123456789012:log-group:*"}
    }


def test_r19_rule_modes_and_rate_limit_come_from_the_settings(custom_stage: SynthesizedStage) -> None:
    """Configured `wafRuleModes` put those groups in count mode; the others keep blocking."""
    rules = _rules(custom_stage.service)
    assert rules["AWSManagedRulesCommonRuleSet"]["OverrideAction"] == {"Count": {}}
    assert rules["AWSManagedRulesSQLiRuleSet"]["OverrideAction"] == {"Count": {}}
    assert rules["AWSManagedRulesKnownBadInputsRuleSet"]["OverrideAction"] == {"None": {}}
    assert rules["RateLimitPerClientIp"]["Statement"]["RateBasedStatement"]["Limit"] == 600
