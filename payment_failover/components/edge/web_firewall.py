"""Web application firewall (R19, PCI DSS v4.0.1 6.4.2): an AWS WAF web ACL in front of every public ALB.

Each rule can run in `block` or `count` mode, so a team can first watch what a rule would block (count), then
enforce it. Every request is logged to a KMS-encrypted CloudWatch Logs group with the Authorization and Cookie
headers redacted, and a spike of blocked requests pages the failover topic.

AWS pages this module rests on:
- managed rule groups and their rules: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-ip-rep.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-use-case.html
- body inspection is fixed at 8 KB on an ALB, oversize handling MATCH makes a larger body match:
  https://docs.aws.amazon.com/waf/latest/APIReference/API_Body.html
- rate-based rules (limit 10..2,000,000,000 per window of 60/120/300/600 s):
  https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html
- a custom key (here a request header) as what a rate-based rule counts by; a request without the key's component
  is neither counted nor limited by that rule (AggregateKeyType, and the note on RateBasedStatementCustomKey):
  https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/wafv2/aws.sdk.kotlin.services.wafv2.model/-rate-based-statement/aggregate-key-type.html,
  https://docs.aws.amazon.com/ko_kr/waf/latest/APIReference/API_RateBasedStatementCustomKey.html
- a scope-down statement: the rate-based rule aggregates, counts and limits only the requests that match it:
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-request-limiting.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-scope-down-statements.html
- IP sets (IPv4 CIDR ranges, all but /0, up to 10,000) and the NOT statement that negates their match:
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-ipset-match.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-not.html
- logging destination named aws-waf-logs-..., one per web ACL, redaction of SingleHeader:
  https://docs.aws.amazon.com/waf/latest/APIReference/API_LoggingConfiguration.html
- the log group's resource policy for log delivery (delivery.logs.amazonaws.com, SourceAccount/SourceArn):
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html
- metrics in AWS/WAFV2 with the WebACL, Region and Rule dimensions: https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from payment_failover.compliance import confused_deputy
from payment_failover.components.observability.log_encryption import LogArchive
from payment_failover.config.waf_rules import (
    BLOCK,
    BODY_SIZE_RULE,
    DEFAULT_RULE_MODES,
    MANAGED_GROUPS,
    MERCHANT_HEADER,
    MERCHANT_RATE_LIMIT_PER_5_MINUTES,
    MERCHANT_RATE_LIMIT_RULE,
    OWN_RULES_WCU,
    RATE_LIMIT_PER_5_MINUTES,
    RATE_LIMIT_RANGE,
    RATE_LIMIT_RULE,
    RULE_KEYS,
    RULE_MODES,
    ManagedGroup,
    header_name_problem,
    trusted_cidr_problem,
)

WAF_LOG_PREFIX = "aws-waf-logs-"
# The ALB forwards at most 8 KB of a body to AWS WAF: a larger body could hide anything past that point from
# every other rule, and the payment service takes small JSON requests, so larger bodies are refused outright.
ALB_BODY_INSPECTION_LIMIT_BYTES = 8192
BODY_SIZE_LIMIT_BYTES = ALB_BODY_INSPECTION_LIMIT_BYTES
RATE_WINDOW_SECONDS = 300
REDACTED_HEADERS = ("authorization", "cookie")
# A spike: this many blocked requests in 5 minutes is an attack in progress (or a rule blocking real clients).
BLOCKED_SPIKE_THRESHOLD = 500
BLOCKED_SPIKE_PERIOD = Duration.minutes(5)


IP_RATE_RULE_NAME = "RateLimitPerClientIp"
MERCHANT_RATE_RULE_NAME = "RateLimitPerMerchant"

# Above 1,500 WCUs a web ACL costs extra per request
# (https://aws.amazon.com/about-aws/whats-new/2023/04/aws-waf-web-acl-capacity-units-limits/): the groups above
# use 1,375 and the three own rules at most OWN_RULES_WCU (56, config/waf_rules.py), 1,431 in all.
WCU_BASE_PRICE_LIMIT = 1500
WEB_ACL_WCU = sum(group.capacity for group in MANAGED_GROUPS) + OWN_RULES_WCU


class WebFirewall(Construct):
    """A regional web ACL associated with every load balancer given, logging to an encrypted log group."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        load_balancers: Sequence[elbv2.IApplicationLoadBalancer],
        log_archive: LogArchive,
        rule_modes: Mapping[str, str] = DEFAULT_RULE_MODES,
        rate_limit: int = RATE_LIMIT_PER_5_MINUTES,
        merchant_header: str = MERCHANT_HEADER,
        merchant_rate_limit: int = MERCHANT_RATE_LIMIT_PER_5_MINUTES,
        trusted_cidrs: Sequence[str] = (),
        body_size_limit_bytes: int = BODY_SIZE_LIMIT_BYTES,
    ) -> None:
        super().__init__(scope, id_)
        unknown = set(rule_modes) - set(RULE_KEYS)
        bad = {key: mode for key, mode in rule_modes.items() if mode not in RULE_MODES}
        if unknown or bad:
            raise ValueError(f"rule modes {dict(rule_modes)!r}: keys must be among {RULE_KEYS}, modes {RULE_MODES}")
        if not load_balancers:
            raise ValueError("a web firewall without a load balancer protects nothing")
        modes = {**DEFAULT_RULE_MODES, **rule_modes}
        self.name = name
        self.region = Stack.of(self).region
        self.trusted_ip_set = self._trusted_ip_set(tuple(trusted_cidrs))

        rules = [_managed_rule(group, priority, modes[group.key]) for priority, group in enumerate(MANAGED_GROUPS[:2])]
        rules += [
            self._merchant_rate_rule(2, merchant_header, merchant_rate_limit, modes[MERCHANT_RATE_LIMIT_RULE]),
            self._ip_rate_rule(3, rate_limit, modes[RATE_LIMIT_RULE]),
            _body_size_rule(4, body_size_limit_bytes, modes[BODY_SIZE_RULE]),
        ]
        rules += [
            _managed_rule(group, priority, modes[group.key])
            for priority, group in enumerate(MANAGED_GROUPS[2:], start=5)
        ]
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            description=f"{name}: managed rule groups, rate limits per merchant and per client IP, body size limit",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=_visibility(name),
        )
        self.associations = [
            wafv2.CfnWebACLAssociation(
                self,
                f"Association{index}",
                resource_arn=load_balancer.load_balancer_arn,
                web_acl_arn=self.web_acl.attr_arn,
            )
            for index, load_balancer in enumerate(load_balancers)
        ]
        self._logging(log_archive)

    def _trusted_ip_set(self, cidrs: tuple[str, ...]) -> wafv2.CfnIPSet | None:
        """Known merchant and PSP egress ranges, left out of the per-IP limit; no IP set when there are none."""
        problem = trusted_cidr_problem(cidrs)
        if problem:
            raise ValueError(f"trusted ranges {problem[0]!r}: {problem[1]}")
        if not cidrs:
            return None
        return wafv2.CfnIPSet(
            self,
            "TrustedEgress",
            name=f"{self.name}-trusted-egress",
            # AWS WAF descriptions take letters, digits, spaces and +=:#@/-,. only (AWS::WAFv2::IPSet page,
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-wafv2-ipset.html).
            description="wafTrustedCidrs: merchant and PSP egress, limited per merchant, not per IP",
            scope="REGIONAL",
            ip_address_version="IPV4",
            addresses=list(cidrs),
        )

    def _merchant_rate_rule(self, priority: int, header: str, limit: int, mode: str) -> wafv2.CfnWebACL.RuleProperty:
        """Counts per value of the merchant header; AWS WAF leaves requests without the header out of this rule."""
        _check_rate_limit(limit)
        problem = header_name_problem(header)
        if problem:
            raise ValueError(f"merchant header {header!r}: {problem}")
        key = wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
            header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                name=header, text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]
            )
        )
        return wafv2.CfnWebACL.RuleProperty(
            name=MERCHANT_RATE_RULE_NAME,
            priority=priority,
            action=_action(mode),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="CUSTOM_KEYS",
                    custom_keys=[key],
                    limit=limit,
                    evaluation_window_sec=RATE_WINDOW_SECONDS,
                )
            ),
            visibility_config=_visibility(MERCHANT_RATE_RULE_NAME),
        )

    def _ip_rate_rule(self, priority: int, limit: int, mode: str) -> wafv2.CfnWebACL.RuleProperty:
        """Counts per client IP every request, with or without a merchant header, except from trusted ranges."""
        _check_rate_limit(limit)
        scope_down = None
        if self.trusted_ip_set is not None:
            scope_down = wafv2.CfnWebACL.StatementProperty(
                not_statement=wafv2.CfnWebACL.NotStatementProperty(
                    statement=wafv2.CfnWebACL.StatementProperty(
                        ip_set_reference_statement=wafv2.CfnWebACL.IPSetReferenceStatementProperty(
                            arn=self.trusted_ip_set.attr_arn
                        )
                    )
                )
            )
        return wafv2.CfnWebACL.RuleProperty(
            name=IP_RATE_RULE_NAME,
            priority=priority,
            action=_action(mode),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=limit,
                    evaluation_window_sec=RATE_WINDOW_SECONDS,
                    scope_down_statement=scope_down,
                )
            ),
            visibility_config=_visibility(IP_RATE_RULE_NAME),
        )

    def _logging(self, log_archive: LogArchive) -> None:
        """Every request to a KMS-encrypted aws-waf-logs- group, the Authorization and Cookie headers redacted."""
        log_group_name = f"{WAF_LOG_PREFIX}{self.name}"
        self.log_group = log_archive.log_group(self, "Logs", log_group_name=log_group_name)
        stack = Stack.of(self)
        # The log group's ARN without the ":*" suffix CDK's attribute carries: WAF rejects that form.
        log_group_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        # Written here rather than left to WAF, which would create an unconditioned policy on first delivery. Named
        # explicitly: a generated name would follow the construct path and differ between the two doors.
        self.log_delivery_policy = logs.ResourcePolicy(
            self,
            "LogDeliveryPolicy",
            resource_policy_name=f"{log_group_name}-delivery",
            policy_statements=[
                iam.PolicyStatement(
                    sid="WafLogDeliveryFromThisAccountOnly",
                    principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[f"{log_group_arn}:log-stream:*"],
                    conditions=confused_deputy.log_delivery(stack),
                )
            ],
        )
        self.logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[log_group_arn],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                for header in REDACTED_HEADERS
            ],
        )
        self.logging.node.add_dependency(self.log_group, self.log_delivery_policy)

    def metric(self, metric_name: str, *, label: str | None = None) -> cloudwatch.Metric:
        """A whole-ACL request metric (AllowedRequests, BlockedRequests, CountedRequests), summed per 5 minutes."""
        return cloudwatch.Metric(
            namespace="AWS/WAFV2",
            metric_name=metric_name,
            dimensions_map={"WebACL": self.name, "Region": self.region, "Rule": "ALL"},
            statistic="Sum",
            period=BLOCKED_SPIKE_PERIOD,
            label=label,
        )

    def blocked_spike_alarm(self, scope: Construct, id_: str, *, alarm_name: str) -> cloudwatch.Alarm:
        """Fires when the web ACL blocks more than `BLOCKED_SPIKE_THRESHOLD` requests in 5 minutes."""
        return cloudwatch.Alarm(
            scope,
            id_,
            alarm_name=alarm_name,
            alarm_description=(
                f"AWS WAF blocked more than {BLOCKED_SPIKE_THRESHOLD} requests in 5 minutes: an attack, or a rule "
                "blocking real clients (read the aws-waf-logs- log group)"
            ),
            metric=self.metric("BlockedRequests"),
            threshold=BLOCKED_SPIKE_THRESHOLD,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def _managed_rule(group: ManagedGroup, priority: int, mode: str) -> wafv2.CfnWebACL.RuleProperty:
    """A managed group keeps its own rule actions in block mode; count mode overrides the whole group to count."""
    return wafv2.CfnWebACL.RuleProperty(
        name=group.name,
        priority=priority,
        override_action=(
            wafv2.CfnWebACL.OverrideActionProperty(none={})
            if mode == BLOCK
            else wafv2.CfnWebACL.OverrideActionProperty(count={})
        ),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=group.name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in group.count_rules
                ]
                or None,
            )
        ),
        visibility_config=_visibility(group.name),
    )


def _action(mode: str) -> wafv2.CfnWebACL.RuleActionProperty:
    return (
        wafv2.CfnWebACL.RuleActionProperty(block={}) if mode == BLOCK else wafv2.CfnWebACL.RuleActionProperty(count={})
    )


def _check_rate_limit(limit: int) -> None:
    if not RATE_LIMIT_RANGE[0] <= limit <= RATE_LIMIT_RANGE[1]:
        raise ValueError(f"rate limit {limit} outside {RATE_LIMIT_RANGE}")


def _body_size_rule(priority: int, limit_bytes: int, mode: str) -> wafv2.CfnWebACL.RuleProperty:
    if not 0 < limit_bytes <= ALB_BODY_INSPECTION_LIMIT_BYTES:
        raise ValueError(f"body size limit {limit_bytes} outside 1..{ALB_BODY_INSPECTION_LIMIT_BYTES}")
    return wafv2.CfnWebACL.RuleProperty(
        name="BodySizeLimit",
        priority=priority,
        action=_action(mode),
        statement=wafv2.CfnWebACL.StatementProperty(
            size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                    body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                ),
                comparison_operator="GT",
                size=limit_bytes,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        ),
        visibility_config=_visibility("BodySizeLimit"),
    )
