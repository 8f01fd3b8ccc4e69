"""The web ACL's rule keys, modes, rate limits, merchant key and trusted ranges: what the `wafRuleModes`,
`wafRateLimit`, `wafMerchantHeader`, `wafMerchantRateLimit` and `wafTrustedCidrs` settings choose from.

Kept apart from the construct (components/edge/web_firewall.py) so the settings schema reads them without
loading aws_cdk. Pages:
- managed rule groups: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
- rate-based rules (limit 10..2,000,000,000 per window):
  https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html
- a header as a custom aggregation key, its name 1 to 64 characters:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-wafv2-webacl-ratelimitheader.html
- an IP set takes every IPv4 CIDR range but /0, up to 10,000 of them:
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-ipset-match.html
- capacity (WCU) of each statement type: https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-ipset-match.html,
  https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-not.html,
  https://docs.aws.amazon.com/en_us/waf/latest/developerguide/waf-rule-statement-type-size-constraint-match.html
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass

BLOCK = "block"
COUNT = "count"
RULE_MODES = (BLOCK, COUNT)

# Requests per client IP per 5 minutes, for addresses outside `wafTrustedCidrs`: about 7 a second sustained, above
# what one unknown address sends to a checkout, far below a scripted card-testing run. A merchant or PSP that sends
# more from one egress address is a known client: its ranges go in `wafTrustedCidrs`, and it is limited per
# merchant instead.
RATE_LIMIT_PER_5_MINUTES = 2000
RATE_LIMIT_RANGE = (10, 2_000_000_000)

# Requests per merchant identifier per 5 minutes: about 67 a second sustained. A merchant's requests arrive from
# all its servers and through every aggregator that acts for it, so its limit is its whole volume, ten times what
# one unknown address may send; it still caps a leaked or guessed identifier that a bot replays.
MERCHANT_RATE_LIMIT_PER_5_MINUTES = 20_000
# The request header naming the merchant. AWS WAF cannot verify it: it is a key for counting, not an identity,
# so the per-IP rule keeps counting requests that carry it (a client rotating identifiers stays limited per IP).
MERCHANT_HEADER = "x-merchant-id"
# AWS WAF takes a header name of 1 to 64 characters (RateLimitHeader); the tier asks for an HTTP token of letters,
# digits and hyphens, the form every merchant header and API-key header takes.
HEADER_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")
HEADER_NAME_RULE = "expected an HTTP header name of 1-64 ASCII letters, digits or hyphens such as x-merchant-id"
# An IP set holds at most 10,000 ranges and every IPv4 prefix but /0; the tier stops at /16 so that no entry
# exempts a whole provider's address space from the per-IP limit.
MAX_TRUSTED_CIDRS = 10_000
MIN_TRUSTED_PREFIX = 16
TRUSTED_CIDR_RULE = (
    "expected IPv4 CIDR ranges such as 203.0.113.0/24, each with its host bits zero and a prefix of "
    f"/{MIN_TRUSTED_PREFIX} to /32, each once, at most {MAX_TRUSTED_CIDRS}"
)

# Capacity (WCUs) of the tier's own rules, from the statement pages above: a rate-based statement costs 2, plus 30
# per custom aggregation key, plus its scope-down statement; an IP set match 1, a NOT what it holds; a size
# constraint 1. Each text transformation is counted at 10, even NONE: an upper bound.
RATE_BASED_WCU = 2
CUSTOM_KEY_WCU = 30
IP_SET_WCU = 1
SIZE_CONSTRAINT_WCU = 1
TEXT_TRANSFORMATION_WCU = 10
OWN_RULES_WCU = (
    (RATE_BASED_WCU + CUSTOM_KEY_WCU + TEXT_TRANSFORMATION_WCU)  # per merchant: one header key
    + (RATE_BASED_WCU + IP_SET_WCU)  # per IP, trusted ranges excluded by NOT(IP set)
    + (SIZE_CONSTRAINT_WCU + TEXT_TRANSFORMATION_WCU)  # body size
)


def header_name_problem(name: str) -> str | None:
    """Why AWS WAF or the tier would refuse this header name as the merchant key, or None."""
    return None if HEADER_NAME.match(name) else HEADER_NAME_RULE


def trusted_cidr_problem(cidrs: tuple[str, ...]) -> tuple[str, str] | None:
    """The first range AWS WAF or the tier would refuse and why, or None."""
    if len(cidrs) > MAX_TRUSTED_CIDRS or len(set(cidrs)) != len(cidrs):
        return ",".join(cidrs), TRUSTED_CIDR_RULE
    for cidr in cidrs:
        try:
            network = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError:
            return cidr, TRUSTED_CIDR_RULE
        if "/" not in cidr or network.prefixlen < MIN_TRUSTED_PREFIX:
            return cidr, TRUSTED_CIDR_RULE
    return None


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
MERCHANT_RATE_LIMIT_RULE = "merchantRateLimit"
BODY_SIZE_RULE = "bodySize"
RULE_KEYS = (*(group.key for group in MANAGED_GROUPS), RATE_LIMIT_RULE, MERCHANT_RATE_LIMIT_RULE, BODY_SIZE_RULE)
DEFAULT_RULE_MODES: Mapping[str, str] = dict.fromkeys(RULE_KEYS, BLOCK)
