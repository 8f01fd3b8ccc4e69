"""The web ACL's rule keys, modes and rate limit: what the `wafRuleModes` and `wafRateLimit` settings choose from.

Kept apart from the construct (components/edge/web_firewall.py) so the settings schema reads them without
loading aws_cdk. Pages: managed rule groups,
https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html; rate-based rules
(limit 10..2,000,000,000 per window), https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

BLOCK = "block"
COUNT = "count"
RULE_MODES = (BLOCK, COUNT)

# Requests per client IP per 5 minutes: about 7 a second sustained, far above one merchant's checkout traffic
# from one address, far below a scripted card-testing run.
RATE_LIMIT_PER_5_MINUTES = 2000
RATE_LIMIT_RANGE = (10, 2_000_000_000)


@dataclass(frozen=True)
class ManagedGroup:
    """An AWS managed rule group, the mode key that switches it, and the rules overridden to count."""

    key: str
    name: str
    capacity: int
    count_rules: tuple[str, ...] = ()


# Ordered by evaluation: cheap address checks first, then the request inspection groups.
MANAGED_GROUPS = (
    ManagedGroup("ipReputation", "AWSManagedRulesAmazonIpReputationList", 25),
    # HostingProviderIPList blocks addresses of cloud and hosting providers: merchants call a payment API from
    # servers in clouds, and Route 53 health checkers run on AWS, so that one rule only counts.
    ManagedGroup("anonymousIp", "AWSManagedRulesAnonymousIpList", 50, count_rules=("HostingProviderIPList",)),
    ManagedGroup("common", "AWSManagedRulesCommonRuleSet", 700),
    ManagedGroup("knownBadInputs", "AWSManagedRulesKnownBadInputsRuleSet", 200),
    # The payment service stores payments: SQL injection is the attack the OWASP top ten puts first for it.
    ManagedGroup("sqlInjection", "AWSManagedRulesSQLiRuleSet", 200),
    # The instances run Amazon Linux: path traversal and LFI towards Linux files.
    ManagedGroup("linux", "AWSManagedRulesLinuxRuleSet", 200),
)
RATE_LIMIT_RULE = "rateLimit"
BODY_SIZE_RULE = "bodySize"
RULE_KEYS = (*(group.key for group in MANAGED_GROUPS), RATE_LIMIT_RULE, BODY_SIZE_RULE)
DEFAULT_RULE_MODES: Mapping[str, str] = dict.fromkeys(RULE_KEYS, BLOCK)
