"""The bad-configuration suite (R13, issue 9): every invalid setting stops `app.py` before any construct
exists, with one exact sentence naming the key, the value the user typed and what is allowed, exit code 2,
no traceback and nothing synthesized.

Each case runs the real entry point, `app.main`, in-process with the context and environment the CLI would
pass; tests/unit/test_app_entrypoint.py runs the same door as a subprocess under the CLI's environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import app
from payment_failover.config.cli_context import PROJECT_ROOT as ROOT
from payment_failover.config.cli_context import misplaced_settings, project_context
from payment_failover.config.settings import context_keys
from payment_failover.config.sources import closest_key
from payment_failover.pipeline.settings import PIPELINE_KEYS
from tests.helpers.pipeline_context import PIPELINE_CONTEXT, PRODUCTION

SUFFIX_RULE = (
    "use 1-16 lower-case letters, digits or single hyphens, starting with a letter "
    "(it is part of the 32-character load balancer and target group names)."
)
ACCOUNT_RULE = "an AWS account id is exactly 12 ASCII digits (0-9)."
THREE_AZS = "exactly three distinct Availability Zones are required."
FRANKFURT_AZS = "the Availability Zones of eu-central-1 are eu-central-1a, eu-central-1b, eu-central-1c."
MIN_RULE = (
    "it must be a multiple of 3 from 6 to 9 (2 to 3 per Availability Zone) so every AZ keeps 2 instances at rest "
    "and the group stays balanced."
)
AMI_RULE = "expected `ami-` followed by 8 or 17 lower-case hexadecimal digits."
# Pinned in payment_failover/config/data/al2023_images.json: the x86_64 images of Frankfurt and Ireland.
FRANKFURT_X86 = "ami-027198f65e9f969f8"
IRELAND_X86 = "ami-0d31d4f8d69d7977a"
ROOM_TO_DEPLOY = "so a deployment can launch new instances before it retires old ones"
WHOLE = "expected a whole number in ASCII digits."
DNS_NAME = "expected a DNS name of ASCII letters, digits and hyphens such as payments.example.com."
FAILBACK = (
    "use manual (an operator opens the failback gate) or automatic (clients return when the primary's check passes)."
)
DNS_REGIONS = (
    "give at least 3 distinct Route 53 checker regions, each once, from ap-northeast-1, ap-southeast-1, "
    "ap-southeast-2, eu-west-1, sa-east-1, us-east-1, us-west-1, us-west-2."
)
WAF_MODES = (
    "expected a JSON object mapping some of ipReputation, anonymousIp, common, knownBadInputs, sqlInjection, "
    'linux, rateLimit, merchantRateLimit, bodySize to block or count, such as {"ipReputation": "count"}.'
)
WAF_MERCHANT_RATE = "AWS WAF takes 10 to 2000000000 requests per merchant per 5 minutes."
WAF_HEADER = "expected an HTTP header name of 1-64 ASCII letters, digits or hyphens such as x-merchant-id."
WAF_CIDRS = (
    "expected IPv4 CIDR ranges such as 203.0.113.0/24, each with its host bits zero and a prefix of /16 to /32, "
    "each once, at most 10000."
)
DRAIN = "use 1 to 3600 seconds (a deregistration delay is at most 3600)."
WAF_RATE = "AWS WAF takes 10 to 2000000000 requests per client IP per 5 minutes."
INSTANCE_TYPE = "expected an EC2 instance type such as t3.small or m7g.large."
TAG_RULE = (
    "tag keys must be 1-128 and values 1-256 letters, digits, spaces or _.:/=+-@, keys may not start with 'aws:'."
)
CERT = "arn:aws:acm:{region}:{account}:certificate/12345678-1234-1234-1234-123456789012"
REAL = {
    "account": "210987654321",
    "hostedZoneId": "Z0REALZONE",
    "hostedZoneName": "payments-corp.net",
    "domainName": "pay.payments-corp.net",
}
# Digits that Python's int() and \d accept but the CDK and AWS do not: 123456789012 in two other scripts.
ARABIC_INDIC = "".join(chr(0x0660 + int(digit)) for digit in "123456789012")
FULL_WIDTH = "".join(chr(0xFF10 + int(digit)) for digit in "123456789012")
EMAIL = "expected an e-mail address such as oncall@example.com."
# 65 characters: a valid DNS name, one longer than ACM allows for a certificate's first name.
LONG_DOMAIN = "payments-gateway-for-the-european-card-acquiring-unit.example.com"
# 254 characters: every label valid, the whole one longer than a DNS name may be.
TOO_LONG_NAME = ".".join(["a" * 62] * 4) + ".cc"
QUOTING = (
    "; its double quotes were lost to a shell: through make, quote the whole -c argument inside CDK_ARGS, as in "
    """make synth CDK_ARGS="-c 'tags={\\"Team\\": \\"payments\\"}'", or set the PAYMENT_FAILOVER_ variable """
    "in single quotes."
)
GUARD_TAIL = ": set your real account, hosted zone and domain (see docs/deploy-and-teardown.md, 'Deploy for real')."


def invalid(key: str, rest: str, *, where: str = "context key") -> str:
    name = f"'{key}'" if where == "context key" else key
    return f"Invalid {where} {name}: {rest}"


# (context, environment, the whole sentence after "payment-failover: ")
BAD_CONFIGURATIONS: list[tuple[dict[str, Any], dict[str, str], str]] = [
    # --- unknown keys: typos never fall back to a default --------------------------------------------------
    (
        {"minCapacty": "9"},
        {},
        "Unknown context key 'minCapacty' with value '9': this app has no such setting; did you mean 'minCapacity'?",
    ),
    (
        {"environment_suffix": "prod"},
        {},
        "Unknown context key 'environment_suffix' with value 'prod': this app has no such setting; "
        "did you mean 'environmentSuffix'?",
    ),
    (
        {"minCapacity =": "9"},
        {},
        "Unknown context key 'minCapacity =' with value '9': this app has no such setting; did you mean 'minCapacity'?",
    ),
    (
        {"MinCapacity": "9"},
        {},
        "Unknown context key 'MinCapacity' with value '9': this app has no such setting; did you mean 'minCapacity'?",
    ),
    (
        {"colour": "blue"},
        {},
        "Unknown context key 'colour' with value 'blue': this app has no such setting; see docs/configuration.md",
    ),
    (
        {"pipelineBranchName": "main"},
        {},
        "Unknown context key 'pipelineBranchName' with value 'main': this app has no such setting; "
        "did you mean 'pipelineBranch'?",
    ),
    (
        {},
        {"PAYMENT_FAILOVER_MIN_CAPACTY": "9"},
        "Unknown environment variable PAYMENT_FAILOVER_MIN_CAPACTY with value '9': this app has no such setting; "
        "did you mean PAYMENT_FAILOVER_MIN_CAPACITY?",
    ),
    (
        {},
        {"PAYMENT_FAILOVER_SUFFIX": "prod"},
        "Unknown environment variable PAYMENT_FAILOVER_SUFFIX with value 'prod': this app has no such setting; "
        "see docs/configuration.md",
    ),
    # --- environmentSuffix ----------------------------------------------------------------------------------
    ({"environmentSuffix": "Prod"}, {}, invalid("environmentSuffix", f"'Prod' is not allowed; {SUFFIX_RULE}")),
    ({"environmentSuffix": "my env"}, {}, invalid("environmentSuffix", f"'my env' is not allowed; {SUFFIX_RULE}")),
    (
        {"environmentSuffix": "a-very-long-suffix-x"},
        {},
        invalid("environmentSuffix", f"'a-very-long-suffix-x' is not allowed; {SUFFIX_RULE}"),
    ),
    ({"environmentSuffix": "dev-"}, {}, invalid("environmentSuffix", f"'dev-' is not allowed; {SUFFIX_RULE}")),
    ({"environmentSuffix": "dév"}, {}, invalid("environmentSuffix", f"'dév' is not allowed; {SUFFIX_RULE}")),
    (
        {"environmentSuffix": 7},
        {},
        invalid("environmentSuffix", "7 is not allowed; expected a string (in cdk.json, write it in quotes)."),
    ),
    # --- account: ASCII digits only -------------------------------------------------------------------------
    ({"account": "12345"}, {}, invalid("account", f"'12345' is not allowed; {ACCOUNT_RULE}")),
    ({"account": ARABIC_INDIC}, {}, invalid("account", f"{ARABIC_INDIC!r} is not allowed; {ACCOUNT_RULE}")),
    ({"account": FULL_WIDTH}, {}, invalid("account", f"{FULL_WIDTH!r} is not allowed; {ACCOUNT_RULE}")),
    ({"account": "1234-5678-9012"}, {}, invalid("account", f"'1234-5678-9012' is not allowed; {ACCOUNT_RULE}")),
    # --- region and Availability Zones: real geography ------------------------------------------------------
    (
        {"region": "eu-middle-9"},
        {},
        invalid("region", "'eu-middle-9' is not allowed; use an AWS commercial region such as eu-central-1."),
    ),
    (
        {"region": "cn-north-1"},
        {},
        invalid("region", "'cn-north-1' is not allowed; use an AWS commercial region such as eu-central-1."),
    ),
    (
        {"region": "us-west-1"},
        {},
        invalid(
            "region",
            "'us-west-1' is not allowed; us-west-1 offers only 2 Availability Zones to an account, "
            "and this app needs 3.",
        ),
    ),
    (
        {"region": "EU-CENTRAL-1"},
        {},
        invalid("region", "'EU-CENTRAL-1' is not allowed; use an AWS commercial region such as eu-central-1."),
    ),
    (
        {"availabilityZones": "eu-central-1a,eu-central-1b"},
        {},
        invalid("availabilityZones", f"'eu-central-1a,eu-central-1b' is not allowed; {THREE_AZS}"),
    ),
    (
        {"availabilityZones": "eu-central-1a,eu-central-1b,eu-central-1c,eu-central-1a"},
        {},
        invalid(
            "availabilityZones",
            f"'eu-central-1a,eu-central-1b,eu-central-1c,eu-central-1a' is not allowed; {THREE_AZS}",
        ),
    ),
    (
        {"availabilityZones": "eu-central-1a,eu-central-1a,eu-central-1b"},
        {},
        invalid("availabilityZones", f"'eu-central-1a,eu-central-1a,eu-central-1b' is not allowed; {THREE_AZS}"),
    ),
    (
        {"availabilityZones": "eu-central-1a,eu-central-1b,eu-central-1d"},
        {},
        invalid("availabilityZones", f"'eu-central-1d' is not allowed; {FRANKFURT_AZS}"),
    ),
    (
        {"availabilityZones": "eu-central-1a,eu-central-1b,eu-west-1c"},
        {},
        invalid("availabilityZones", f"'eu-west-1c' is not allowed; {FRANKFURT_AZS}"),
    ),
    (
        {"region": "ap-northeast-1", "availabilityZones": "ap-northeast-1a,ap-northeast-1b,ap-northeast-1c"},
        {},
        invalid(
            "availabilityZones",
            "'ap-northeast-1b' is not allowed; the Availability Zones of ap-northeast-1 are ap-northeast-1a, "
            "ap-northeast-1c, ap-northeast-1d.",
        ),
    ),
    (
        {"availabilityZones": '["eu-central-1a", "eu-central-1b"'},
        {},
        invalid(
            "availabilityZones",
            """'["eu-central-1a", "eu-central-1b"' is not allowed; expected a comma-separated list or a JSON array """
            """such as ["a", "b"].""",
        ),
    ),
    (
        {"availabilityZones": {"a": 1}},
        {},
        invalid(
            "availabilityZones", "{'a': 1} is not allowed; expected a comma-separated list or a JSON array of strings."
        ),
    ),
    # --- DNS names and the hosted zone ----------------------------------------------------------------------
    ({"domainName": "not a domain"}, {}, invalid("domainName", f"'not a domain' is not allowed; {DNS_NAME}")),
    ({"domainName": "pay.bücher.de"}, {}, invalid("domainName", f"'pay.bücher.de' is not allowed; {DNS_NAME}")),
    (
        {"domainName": "payments.other.org"},
        {},
        invalid(
            "domainName", "'payments.other.org' is not allowed; the domain must be inside the hosted zone example.com."
        ),
    ),
    (
        {"domainName": "payments.example.123"},
        {},
        invalid(
            "domainName",
            "'payments.example.123' is not allowed; a DNS name must end in a top-level domain of letters, or its "
            "xn-- form for an internationalized one.",
        ),
    ),
    ({"hostedZoneName": "localhost"}, {}, invalid("hostedZoneName", f"'localhost' is not allowed; {DNS_NAME}")),
    (
        {"hostedZoneId": "zone-1"},
        {},
        invalid(
            "hostedZoneId",
            "'zone-1' is not allowed; a Route 53 hosted zone id is 'Z' followed by up to 31 upper-case ASCII letters "
            "or digits.",
        ),
    ),
    (
        {"hostedZoneId": "/hostedzone/Z0REALZONE"},
        {},
        invalid(
            "hostedZoneId",
            "'/hostedzone/Z0REALZONE' is not allowed; a Route 53 hosted zone id is 'Z' followed by up to 31 "
            "upper-case ASCII letters or digits.",
        ),
    ),
    # --- certificate: in the stack's account and region -----------------------------------------------------
    (
        {"certificateArn": "arn:aws:acm:eu-central-1:1:certificate/x"},
        {},
        invalid(
            "certificateArn",
            "'arn:aws:acm:eu-central-1:1:certificate/x' is not allowed; "
            "expected arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>.",
        ),
    ),
    (
        {"certificateArn": CERT.format(region="us-east-1", account="123456789012")},
        {},
        invalid(
            "certificateArn",
            f"'{CERT.format(region='us-east-1', account='123456789012')}' is not allowed; "
            "the ALB's certificate must be in the stack's region eu-central-1.",
        ),
    ),
    (
        {"certificateArn": CERT.format(region="eu-central-1", account="210987654321")},
        {},
        invalid(
            "certificateArn",
            f"'{CERT.format(region='eu-central-1', account='210987654321')}' is not allowed; "
            "the ALB's certificate must be in the stack's account 123456789012.",
        ),
    ),
    # --- instance type: the catalogue -----------------------------------------------------------------------
    ({"instanceType": "huge"}, {}, invalid("instanceType", f"'huge' is not allowed; {INSTANCE_TYPE}")),
    ({"instanceType": "t9.small"}, {}, invalid("instanceType", f"'t9.small' is not allowed; {INSTANCE_TYPE}")),
    ({"instanceType": "T3.small"}, {}, invalid("instanceType", f"'T3.small' is not allowed; {INSTANCE_TYPE}")),
    ({"instanceType": "t3.smal"}, {}, invalid("instanceType", f"'t3.smal' is not allowed; {INSTANCE_TYPE}")),
    (
        {"instanceType": "mac2.metal"},
        {},
        invalid(
            "instanceType",
            "'mac2.metal' is not allowed; macOS instances run only on Dedicated Hosts, which this Auto Scaling group "
            "does not use.",
        ),
    ),
    # --- additional instance types: one launch template (image, credit option) fits them all ---------------
    (
        {"additionalInstanceTypes": "m7g.large"},
        {},
        invalid(
            "additionalInstanceTypes",
            "'m7g.large' is not allowed; it runs arm64, and the pinned image of t3.small is x86_64.",
        ),
    ),
    (
        {"additionalInstanceTypes": "t3a.small,c6i.large"},
        {},
        invalid(
            "additionalInstanceTypes",
            "'c6i.large' is not allowed; t3.small is burstable and c6i.large is not: the group's one CPU credit "
            "option must fit every type.",
        ),
    ),
    (
        {"additionalInstanceTypes": "t3a.small,t3.small"},
        {},
        invalid(
            "additionalInstanceTypes",
            "'t3a.small,t3.small' is not allowed; give at most 5 distinct types, each once and none equal to "
            "instanceType t3.small.",
        ),
    ),
    (
        {"additionalInstanceTypes": "t3a.smal"},
        {},
        invalid(
            "additionalInstanceTypes",
            "'t3a.smal' is not allowed; expected an EC2 instance type such as t3a.small or m6g.large.",
        ),
    ),
    # --- capacity: the key the user set is the one named ----------------------------------------------------
    ({"minCapacity": "six"}, {}, invalid("minCapacity", f"'six' is not allowed; {WHOLE}")),
    ({"minCapacity": FULL_WIDTH[:1]}, {}, invalid("minCapacity", f"{FULL_WIDTH[:1]!r} is not allowed; {WHOLE}")),
    ({"minCapacity": True}, {}, invalid("minCapacity", f"True is not allowed; {WHOLE}")),
    ({"minCapacity": "4"}, {}, invalid("minCapacity", f"4 is not allowed; {MIN_RULE}")),
    ({"minCapacity": "7"}, {}, invalid("minCapacity", f"7 is not allowed; {MIN_RULE}")),
    ({"minCapacity": "12"}, {}, invalid("minCapacity", f"12 is not allowed; {MIN_RULE}")),
    (
        {"maxCapacity": "12"},
        {},
        invalid("maxCapacity", "12 is not allowed; it may be at most 3 per Availability Zone (9) to stay balanced."),
    ),
    ({"maxCapacity": "9.5"}, {}, invalid("maxCapacity", f"'9.5' is not allowed; {WHOLE}")),
    (
        {"minCapacity": "9", "maxCapacity": "6"},
        {},
        invalid("maxCapacity", f"6 is not allowed; it must exceed minCapacity (9) {ROOM_TO_DEPLOY}."),
    ),
    (
        {"maxCapacity": "5"},
        {},
        invalid("maxCapacity", f"5 is not allowed; it must exceed minCapacity (6) {ROOM_TO_DEPLOY}."),
    ),
    (
        {"maxCapacity": "6"},
        {},
        invalid("maxCapacity", f"6 is not allowed; it must exceed minCapacity (6) {ROOM_TO_DEPLOY}."),
    ),
    # --- the pinned image (R16) ---------------------------------------------------------------------------------
    ({"imageId": "ami-123"}, {}, invalid("imageId", f"'ami-123' is not allowed; {AMI_RULE}")),
    (
        {"imageId": "ami-0123456789ABCDEF0"},
        {},
        invalid("imageId", f"'ami-0123456789ABCDEF0' is not allowed; {AMI_RULE}"),
    ),
    ({"imageId": "ami-0123456789abcdef"}, {}, invalid("imageId", f"'ami-0123456789abcdef' is not allowed; {AMI_RULE}")),
    ({"imageId": "al2023-latest"}, {}, invalid("imageId", f"'al2023-latest' is not allowed; {AMI_RULE}")),
    (
        {"imageId": FRANKFURT_X86, "instanceType": "m7g.large"},
        {},
        invalid(
            "imageId",
            f"'{FRANKFURT_X86}' is not allowed; it is the pinned x86_64 image of eu-central-1, and instanceType "
            "m7g.large runs arm64.",
        ),
    ),
    (
        {"imageId": IRELAND_X86},
        {},
        invalid(
            "imageId",
            f"'{IRELAND_X86}' is not allowed; it is the pinned image of eu-west-1; an AMI id belongs to one region, "
            "and this is eu-central-1.",
        ),
    ),
    (
        {"region": "ap-southeast-7"},
        {},
        "No Amazon Linux 2023 image is pinned for x86_64 in ap-southeast-7 (instanceType t3.small): run "
        "`make refresh-ami REFRESH_AMI_ARGS=--region=ap-southeast-7` with AWS credentials, or set 'imageId' to an "
        "x86_64 AL2023 image of ap-southeast-7.",
    ),
    # --- health checks, alarms ------------------------------------------------------------------------------
    (
        {"healthCheckIntervalSeconds": "2"},
        {},
        invalid("healthCheckIntervalSeconds", "2 is not allowed; an ALB target group accepts 5 to 300 seconds."),
    ),
    (
        {"healthCheckIntervalSeconds": "301"},
        {},
        invalid("healthCheckIntervalSeconds", "301 is not allowed; an ALB target group accepts 5 to 300 seconds."),
    ),
    (
        {"alarmEmail": "oncall@"},
        {},
        invalid("alarmEmail", "'oncall@' is not allowed; expected an e-mail address such as oncall@example.com."),
    ),
    (
        {"alarmEmail": "on call@corp.net"},
        {},
        invalid(
            "alarmEmail", "'on call@corp.net' is not allowed; expected an e-mail address such as oncall@example.com."
        ),
    ),
    (
        {"latencyP99ThresholdMs": "-5"},
        {},
        invalid("latencyP99ThresholdMs", "-5 is not allowed; use 1 to 60000 milliseconds."),
    ),
    ({"latencyP99ThresholdMs": "fast"}, {}, invalid("latencyP99ThresholdMs", f"'fast' is not allowed; {WHOLE}")),
    ({"errorRatePercent": "0"}, {}, invalid("errorRatePercent", "0 is not allowed; use 1 to 100 percent.")),
    ({"errorRatePercent": "150"}, {}, invalid("errorRatePercent", "150 is not allowed; use 1 to 100 percent.")),
    # --- pagingHttpsUrl (R21): an incident tool's HTTPS endpoint, no credentials in the template -------------
    (
        {"pagingHttpsUrl": "http://events.incident-tool.example/sns"},
        {},
        invalid(
            "pagingHttpsUrl",
            "'http://events.incident-tool.example/sns' is not allowed; expected an https:// URL such as "
            "https://events.incident-tool.example/sns.",
        ),
    ),
    (
        {"pagingHttpsUrl": "https://user:secret@events.incident-tool.example/sns"},
        {},
        invalid(
            "pagingHttpsUrl",
            "'https://user:secret@events.incident-tool.example/sns' is not allowed; put no user name or password in "
            "the URL: the template and the subscription show it.",
        ),
    ),
    (
        {"pagingHttpsUrl": "https://events incident-tool.example/sns"},
        {},
        invalid(
            "pagingHttpsUrl",
            "'https://events incident-tool.example/sns' is not allowed; expected an https:// URL such as "
            "https://events.incident-tool.example/sns.",
        ),
    ),
    (
        {"pagingHttpsUrl": "https://localhost/sns"},
        {},
        invalid(
            "pagingHttpsUrl",
            "'https://localhost/sns' is not allowed; its host must be a public DNS name such as "
            "events.incident-tool.example.",
        ),
    ),
    # --- SLOs (R21): percentages with at most 3 decimals, budgets the burn-rate windows can see --------------
    (
        {"availabilityObjectivePercent": "99.999"},
        {},
        invalid(
            "availabilityObjectivePercent",
            "99.999 is not allowed; use 90 to 99.99 percent (above 99.99 the 30-day error budget is shorter than the "
            "5-minute fast-burn window).",
        ),
    ),
    (
        {"availabilityObjectivePercent": "80"},
        {},
        invalid(
            "availabilityObjectivePercent",
            "80.0 is not allowed; use 90 to 99.99 percent (above 99.99 the 30-day error budget is shorter than the "
            "5-minute fast-burn window).",
        ),
    ),
    (
        {"availabilityObjectivePercent": "99,95"},
        {},
        invalid(
            "availabilityObjectivePercent",
            "'99,95' is not allowed; expected a percentage in ASCII digits with at most 3 decimals, such as 99.95.",
        ),
    ),
    (
        {"availabilityObjectivePercent": "99.9999"},
        {},
        invalid(
            "availabilityObjectivePercent",
            "'99.9999' is not allowed; expected a percentage in ASCII digits with at most 3 decimals, such as 99.95.",
        ),
    ),
    (
        {"latencyObjectivePercent": "100"},
        {},
        invalid("latencyObjectivePercent", "100.0 is not allowed; use 50 to 99.99 percent of requests."),
    ),
    (
        {"latencyObjectiveMs": "0"},
        {},
        invalid("latencyObjectiveMs", "0 is not allowed; use 1 to 60000 milliseconds."),
    ),
    ({"latencyObjectiveMs": "fast"}, {}, invalid("latencyObjectiveMs", f"'fast' is not allowed; {WHOLE}")),
    (
        {"dnsHealthCheckIntervalSeconds": "15"},
        {},
        invalid("dnsHealthCheckIntervalSeconds", "15 is not allowed; Route 53 checks every 10 or 30 seconds."),
    ),
    (
        {"dnsFailureThreshold": "11"},
        {},
        invalid("dnsFailureThreshold", "11 is not allowed; use 1 to 10 consecutive failures."),
    ),
    # --- regionFailback: manual (an operator opens the gate) or automatic ------------------------------------
    (
        {"regionFailback": "auto"},
        {},
        invalid("regionFailback", f"'auto' is not allowed; {FAILBACK}"),
    ),
    (
        {"regionFailback": "Manual"},
        {},
        invalid("regionFailback", f"'Manual' is not allowed; {FAILBACK}"),
    ),
    (
        {"regionFailback": ""},
        {},
        invalid("regionFailback", f"'' is not allowed; {FAILBACK}"),
    ),
    (
        {"dnsHealthCheckRegions": "us-east-1,eu-west-1"},
        {},
        invalid("dnsHealthCheckRegions", f"'us-east-1,eu-west-1' is not allowed; {DNS_REGIONS}"),
    ),
    (
        {"dnsHealthCheckRegions": "us-east-1,eu-west-1,eu-central-1"},
        {},
        invalid("dnsHealthCheckRegions", f"'us-east-1,eu-west-1,eu-central-1' is not allowed; {DNS_REGIONS}"),
    ),
    (
        {"dnsHealthCheckRegions": "us-east-1,eu-west-1,us-east-1"},
        {},
        invalid("dnsHealthCheckRegions", f"'us-east-1,eu-west-1,us-east-1' is not allowed; {DNS_REGIONS}"),
    ),
    # --- tags -----------------------------------------------------------------------------------------------
    (
        {"tags": "Environment=Production"},
        {},
        invalid(
            "tags", """'Environment=Production' is not allowed; expected a JSON object such as {"Team": "payments"}."""
        ),
    ),
    ({"tags": '{"aws:reserved": "x"}'}, {}, invalid("tags", f"{{'aws:reserved': 'x'}} is not allowed; {TAG_RULE}")),
    ({"tags": '{"AWS:reserved": "x"}'}, {}, invalid("tags", f"{{'AWS:reserved': 'x'}} is not allowed; {TAG_RULE}")),
    ({"tags": '{"Team": "a;b"}'}, {}, invalid("tags", f"{{'Team': 'a;b'}} is not allowed; {TAG_RULE}")),
    (
        {"tags": '{"Team": "a", "Team": "b"}'},
        {},
        invalid("tags", "{'Team': 'b'} is not allowed; the key 'Team' is given twice; give each key once."),
    ),
    (
        {"tags": '{"CostCenter": 42}'},
        {},
        invalid(
            "tags", """{'CostCenter': 42} is not allowed; tag values are strings, so write {"CostCenter": "42"}."""
        ),
    ),
    (
        {"tags": '["Team"]'},
        {},
        invalid("tags", """['Team'] is not allowed; expected a JSON object such as {"Team": "payments"}."""),
    ),
    # --- AWS WAF (R19) -------------------------------------------------------------------------------------
    (
        {"wafRuleModes": '{"common": "deny"}'},
        {},
        invalid("wafRuleModes", f"{{'common': 'deny'}} is not allowed; {WAF_MODES}"),
    ),
    (
        {"wafRuleModes": '{"sqli": "count"}'},
        {},
        invalid("wafRuleModes", f"{{'sqli': 'count'}} is not allowed; {WAF_MODES}"),
    ),
    ({"wafRuleModes": "common=count"}, {}, invalid("wafRuleModes", f"'common=count' is not allowed; {WAF_MODES}")),
    ({"wafRateLimit": "9"}, {}, invalid("wafRateLimit", f"9 is not allowed; {WAF_RATE}")),
    ({"wafRateLimit": "2000000001"}, {}, invalid("wafRateLimit", f"2000000001 is not allowed; {WAF_RATE}")),
    ({"wafRateLimit": "2k"}, {}, invalid("wafRateLimit", f"'2k' is not allowed; {WHOLE}")),
    ({"wafMerchantRateLimit": "9"}, {}, invalid("wafMerchantRateLimit", f"9 is not allowed; {WAF_MERCHANT_RATE}")),
    (
        {},
        {"PAYMENT_FAILOVER_WAF_MERCHANT_RATE_LIMIT": "2000000001"},
        invalid(
            "PAYMENT_FAILOVER_WAF_MERCHANT_RATE_LIMIT",
            f"2000000001 is not allowed; {WAF_MERCHANT_RATE}",
            where="environment variable",
        ),
    ),
    ({"wafMerchantRateLimit": "20k"}, {}, invalid("wafMerchantRateLimit", f"'20k' is not allowed; {WHOLE}")),
    (
        {"wafMerchantHeader": "x_merchant_id"},
        {},
        invalid("wafMerchantHeader", f"'x_merchant_id' is not allowed; {WAF_HEADER}"),
    ),
    (
        {"wafMerchantHeader": "x merchant"},
        {},
        invalid("wafMerchantHeader", f"'x merchant' is not allowed; {WAF_HEADER}"),
    ),
    ({"wafMerchantHeader": "-x"}, {}, invalid("wafMerchantHeader", f"'-x' is not allowed; {WAF_HEADER}")),
    ({"wafMerchantHeader": "h" * 65}, {}, invalid("wafMerchantHeader", f"'{'h' * 65}' is not allowed; {WAF_HEADER}")),
    (
        {"wafTrustedCidrs": "203.0.113.9/24"},
        {},
        invalid("wafTrustedCidrs", f"'203.0.113.9/24' is not allowed; {WAF_CIDRS}"),
    ),
    ({"wafTrustedCidrs": "0.0.0.0/0"}, {}, invalid("wafTrustedCidrs", f"'0.0.0.0/0' is not allowed; {WAF_CIDRS}")),
    ({"wafTrustedCidrs": "10.0.0.0/8"}, {}, invalid("wafTrustedCidrs", f"'10.0.0.0/8' is not allowed; {WAF_CIDRS}")),
    ({"wafTrustedCidrs": "203.0.113.7"}, {}, invalid("wafTrustedCidrs", f"'203.0.113.7' is not allowed; {WAF_CIDRS}")),
    (
        {"wafTrustedCidrs": "2001:db8::/32"},
        {},
        invalid("wafTrustedCidrs", f"'2001:db8::/32' is not allowed; {WAF_CIDRS}"),
    ),
    (
        {"wafTrustedCidrs": "203.0.113.0/24,203.0.113.0/24"},
        {},
        invalid("wafTrustedCidrs", f"'203.0.113.0/24,203.0.113.0/24' is not allowed; {WAF_CIDRS}"),
    ),
    (
        {"wafTrustedCidrs": '["203.0.113.0/24", 7]'},
        {},
        invalid(
            "wafTrustedCidrs",
            "['203.0.113.0/24', 7] is not allowed; expected a comma-separated list or a JSON array of strings.",
        ),
    ),
    # R20: the drain time is a target group's deregistration delay (0-3600 s, TargetGroupAttribute API).
    ({"drainSeconds": "0"}, {}, invalid("drainSeconds", f"0 is not allowed; {DRAIN}")),
    ({"drainSeconds": "3601"}, {}, invalid("drainSeconds", f"3601 is not allowed; {DRAIN}")),
    ({"drainSeconds": "30s"}, {}, invalid("drainSeconds", f"'30s' is not allowed; {WHOLE}")),
    ({"drainSeconds": "-5"}, {}, invalid("drainSeconds", f"-5 is not allowed; {DRAIN}")),
    # --- R20: the service's revision and its zonal releases -------------------------------------------------
    (
        {"serviceBundle": "no-such-directory"},
        {},
        invalid(
            "serviceBundle",
            "'no-such-directory' is not allowed; expected a directory (relative to the project root) holding the "
            "service's appspec.yml.",
        ),
    ),
    (
        {"serviceBundle": "docs"},
        {},
        invalid(
            "serviceBundle",
            "'docs' is not allowed; the directory has no appspec.yml at its root, which CodeDeploy needs to "
            "install it.",
        ),
    ),
    (
        {"serviceBundle": "tests/fixtures/bundles/windows"},
        {},
        invalid(
            "serviceBundle",
            "'tests/fixtures/bundles/windows' is not allowed; its appspec.yml must declare `version: 0.0` and "
            "`os: linux` (an EC2 deployment to Amazon Linux).",
        ),
    ),
    (
        {"serviceBundle": "tests/fixtures/bundles/without_validate"},
        {},
        invalid(
            "serviceBundle",
            "'tests/fixtures/bundles/without_validate' is not allowed; its appspec.yml has no ValidateService hook: "
            "a release must prove each instance ready before it serves.",
        ),
    ),
    (
        {"serviceBundle": "tests/fixtures/bundles/missing_script"},
        {},
        invalid(
            "serviceBundle",
            "'tests/fixtures/bundles/missing_script' is not allowed; its appspec.yml names hook scripts that are not "
            "in the directory: hooks/validate.sh.",
        ),
    ),
    ({"firstZoneBakeSeconds": "-1"}, {}, invalid("firstZoneBakeSeconds", "-1 is not allowed; use 0 to 3000 seconds.")),
    ({"firstZoneBakeSeconds": "10m"}, {}, invalid("firstZoneBakeSeconds", f"'10m' is not allowed; {WHOLE}")),
    ({"zoneBakeSeconds": "3001"}, {}, invalid("zoneBakeSeconds", "3001 is not allowed; use 0 to 3000 seconds.")),
    # A release waits inside one CloudFormation custom resource operation (at most 3600 s).
    (
        {"firstZoneBakeSeconds": "3000"},
        {},
        invalid(
            "firstZoneBakeSeconds",
            "3000 is not allowed; a release would take about 5085 s (3600 s of bakes, 165 s per instance, 3 per AZ), "
            "and CloudFormation waits at most 3480 s for it: shorten the bakes, drainSeconds or "
            "healthCheckIntervalSeconds.",
        ),
    ),
    (
        {"healthCheckIntervalSeconds": "300"},
        {},
        invalid(
            "healthCheckIntervalSeconds",
            "300 is not allowed; a release would take about 7545 s (1200 s of bakes, 705 s per instance, 3 per AZ), "
            "and CloudFormation waits at most 3480 s for it: shorten the bakes, drainSeconds or "
            "healthCheckIntervalSeconds.",
        ),
    ),
    # --- zonal autoshift ------------------------------------------------------------------------------------
    ({"zonalAutoshift": "maybe"}, {}, invalid("zonalAutoshift", "'maybe' is not allowed; expected true or false.")),
    (
        {},
        {"PAYMENT_FAILOVER_ZONAL_AUTOSHIFT": "off"},
        invalid(
            "PAYMENT_FAILOVER_ZONAL_AUTOSHIFT",
            "'off' is not allowed; expected true or false.",
            where="environment variable",
        ),
    ),
    # --- deploy and its guard -------------------------------------------------------------------------------
    ({"deploy": "maybe"}, {}, invalid("deploy", "'maybe' is not allowed; expected true or false.")),
    (
        {"deploy": "true"},
        {},
        "Refusing to deploy with example values (account 123456789012 is an AWS documentation example; "
        "hostedZoneId Z00000000EXAMPLE is the embedded example; hostedZoneName example.com is reserved for examples "
        "by RFC 2606; domainName payments.example.com is reserved for examples by RFC 2606)" + GUARD_TAIL,
    ),
    (
        {**REAL, "account": "111122223333", "deploy": "true"},
        {},
        "Refusing to deploy with example values (account 111122223333 is an AWS documentation example)" + GUARD_TAIL,
    ),
    (
        {**REAL, "hostedZoneName": "corp.example", "domainName": "pay.corp.example", "deploy": "true"},
        {},
        "Refusing to deploy with example values (hostedZoneName corp.example is reserved for examples by RFC 2606; "
        "domainName pay.corp.example is reserved for examples by RFC 2606)" + GUARD_TAIL,
    ),
    (
        {**REAL, "hostedZoneName": "example.org", "domainName": "pay.example.org", "deploy": "true"},
        {},
        "Refusing to deploy with example values (hostedZoneName example.org is reserved for examples by RFC 2606; "
        "domainName pay.example.org is reserved for examples by RFC 2606)" + GUARD_TAIL,
    ),
    (
        {**REAL, "hostedZoneName": "shop.test", "domainName": "pay.shop.test", "deploy": "true"},
        {},
        "Refusing to deploy with example values (hostedZoneName shop.test is reserved for examples by RFC 2606; "
        "domainName pay.shop.test is reserved for examples by RFC 2606)" + GUARD_TAIL,
    ),
    # --- the standby region and its overlay (R18) -----------------------------------------------------------
    (
        {"standbyRegion": "eu-central-1"},
        {},
        invalid(
            "standbyRegion",
            "'eu-central-1' is not allowed; the standby must be another region than `region`, or a region failure "
            "takes both down.",
        ),
    ),
    (
        {"standbyRegion": "us-west-1"},
        {},
        invalid(
            "standbyRegion",
            "'us-west-1' is not allowed; us-west-1 offers only 2 Availability Zones to an account, and this app "
            "needs 3.",
        ),
    ),
    (
        {"standbyRegion": "eu-westt-1"},
        {},
        invalid("standbyRegion", "'eu-westt-1' is not allowed; use an AWS commercial region such as eu-central-1."),
    ),
    (
        {
            "standbyRegion": "eu-west-1",
            "standbySettings": '{"availabilityZones": "eu-central-1a,eu-central-1b,eu-central-1c"}',
        },
        {},
        "Invalid standbySettings key 'availabilityZones': 'eu-central-1a' is not allowed; the Availability Zones of "
        "eu-west-1 are eu-west-1a, eu-west-1b, eu-west-1c.",
    ),
    (
        {"standbyRegion": "eu-west-1", "standbySettings": '{"domainName": "pay.example.com"}'},
        {},
        invalid(
            "standbySettings",
            "{'domainName': 'pay.example.com'} is not allowed; domainName is shared by both regions (the standby may "
            "differ only in availabilityZones, certificateArn, instanceType, additionalInstanceTypes, imageId, "
            "minCapacity, maxCapacity).",
        ),
    ),
    (
        {"standbyRegion": "eu-west-1", "standbySettings": '{"dnsFailureThreshold": "1"}'},
        {},
        invalid(
            "standbySettings",
            "{'dnsFailureThreshold': '1'} is not allowed; dnsFailureThreshold is shared by both regions (the standby "
            "may differ only in availabilityZones, certificateArn, instanceType, additionalInstanceTypes, imageId, "
            "minCapacity, maxCapacity).",
        ),
    ),
    (
        {"standbySettings": '{"minCapacity": "6"}'},
        {},
        invalid(
            "standbySettings",
            "{'minCapacity': '6'} is not allowed; set standbyRegion too, or leave standbySettings unset.",
        ),
    ),
    (
        {"standbyRegion": "eu-west-1", "standbySettings": "minCapacity=6"},
        {},
        invalid(
            "standbySettings",
            """'minCapacity=6' is not allowed; expected a JSON object such as {"minCapacity": "6", "instanceType": """
            '"t3.small"}.',
        ),
    ),
    (
        {"standbyRegion": "eu-west-1", "standbySettings": '{"minCapacity": "5"}'},
        {},
        f"Invalid standbySettings key 'minCapacity': 5 is not allowed; {MIN_RULE}",
    ),
    (
        {
            "standbyRegion": "eu-west-1",
            "standbySettings": {"certificateArn": CERT.format(region="eu-central-1", account="123456789012")},
        },
        {},
        "Invalid standbySettings key 'certificateArn': "
        f"'{CERT.format(region='eu-central-1', account='123456789012')}' is not allowed; the ALB's certificate must "
        "be in the stack's region eu-west-1.",
    ),
    # --- the environment door names the variable ------------------------------------------------------------
    (
        {},
        {"PAYMENT_FAILOVER_MIN_CAPACITY": "lots"},
        invalid("PAYMENT_FAILOVER_MIN_CAPACITY", f"'lots' is not allowed; {WHOLE}", where="environment variable"),
    ),
    (
        {},
        {"PAYMENT_FAILOVER_REGION": "eu-centrall-1"},
        invalid(
            "PAYMENT_FAILOVER_REGION",
            "'eu-centrall-1' is not allowed; use an AWS commercial region such as eu-central-1.",
            where="environment variable",
        ),
    ),
    # --- the pipeline's keys ride through the same door -----------------------------------------------------
    (
        {**PIPELINE_CONTEXT, "pipelineRepository": "payments-corp/payment-failover.git"},
        {},
        invalid(
            "pipelineRepository",
            "'payments-corp/payment-failover.git' is not allowed; give the repository without '.git', as "
            "payments-corp/payment-failover.",
        ),
    ),
    (
        {**PIPELINE_CONTEXT, "pipelineBranch": "refs/heads/main"},
        {},
        invalid("pipelineBranch", "'refs/heads/main' is not allowed; give the branch name alone, as main."),
    ),
    (
        {**PIPELINE_CONTEXT, "stagingSettings": {"environmentSuffix": "staging", "minCapacty": 9}},
        {},
        "Invalid context key 'stagingSettings': {'environmentSuffix': 'staging', 'minCapacty': 9} is not allowed; "
        "minCapacty cannot be set per stage; did you mean 'minCapacity'?",
    ),
    # --- issue 22: rules between keys run on defaults too, and name the key to set ------------------------------
    (
        {"minCapacity": "9", "maxCapacity": "9"},
        {},
        invalid("maxCapacity", f"9 is not allowed; it must exceed minCapacity (9) {ROOM_TO_DEPLOY}."),
    ),
    (
        {"minCapacity": "9", "maxCapacity": "13"},
        {},
        invalid(
            "maxCapacity",
            "13 is not allowed; with minCapacity 9 it may be at most 12 (1 more per Availability Zone, for a "
            "deployment's new batch).",
        ),
    ),
    (
        {},
        {"PAYMENT_FAILOVER_MIN_CAPACITY": "9", "PAYMENT_FAILOVER_MAX_CAPACITY": "8"},
        invalid(
            "PAYMENT_FAILOVER_MAX_CAPACITY",
            f"8 is not allowed; it must exceed minCapacity (9) {ROOM_TO_DEPLOY}.",
            where="environment variable",
        ),
    ),
    (
        {"standbyRegion": "eu-west-1", "maxCapacity": "8", "standbySettings": '{"minCapacity": "9"}'},
        {},
        "Invalid standbySettings key 'minCapacity': 9 is not allowed; maxCapacity is 8 here, and it must exceed "
        f"minCapacity {ROOM_TO_DEPLOY}: set maxCapacity too (up to 12).",
    ),
    (
        {**PIPELINE_CONTEXT, "productionSettings": {**PRODUCTION, "minCapacity": "9", "maxCapacity": "9"}},
        {},
        "In context key 'productionSettings', invalid context key 'maxCapacity': 9 is not allowed; it must exceed "
        f"minCapacity (9) {ROOM_TO_DEPLOY}.",
    ),
    (
        {"hostedZoneName": "payments-corp.net"},
        {},
        invalid(
            "hostedZoneName",
            "'payments-corp.net' is not allowed; domainName keeps its default payments.example.com, which is outside "
            "this zone: set domainName to a name inside payments-corp.net too.",
        ),
    ),
    (
        {},
        {"PAYMENT_FAILOVER_HOSTED_ZONE_NAME": "payments-corp.net"},
        invalid(
            "PAYMENT_FAILOVER_HOSTED_ZONE_NAME",
            "'payments-corp.net' is not allowed; domainName keeps its default payments.example.com, which is outside "
            "this zone: set domainName to a name inside payments-corp.net too.",
            where="environment variable",
        ),
    ),
    # --- AWS limits: ACM's first name, DNS labels and names, tags per resource, e-mail ----------------------
    (
        {"domainName": LONG_DOMAIN},
        {},
        invalid(
            "domainName",
            f"'{LONG_DOMAIN}' is not allowed; it has 65 characters, and the certificate this app requests names it "
            "first, where ACM allows 64: use a shorter domainName, or set certificateArn to a certificate that "
            "covers it.",
        ),
    ),
    (
        {"domainName": f"{'a' * 64}.example.com"},
        {},
        invalid(
            "domainName",
            f"'{'a' * 64}.example.com' is not allowed; its label {'a' * 64} has 64 characters, and a DNS label may "
            "have at most 63.",
        ),
    ),
    (
        {"hostedZoneName": TOO_LONG_NAME},
        {},
        invalid(
            "hostedZoneName",
            f"'{TOO_LONG_NAME[:150]}…(254 characters)' is not allowed; it has 254 characters, and a DNS name may have "
            "at most 253.",
        ),
    ),
    (
        {"tags": json.dumps({f"Key{i}": "v" for i in range(46)})},
        {},
        invalid(
            "tags",
            "46 tags is not allowed; with the 2 default tags that makes 48, and a resource may carry 50 tags of which "
            "the CDK already uses 3 on the subnets: give at most 45 tags of your own (or 47 counting Environment and "
            "FailoverEnabled).",
        ),
    ),
    ({"tags": '{"Team": ""}'}, {}, invalid("tags", f"{{'Team': ''}} is not allowed; {TAG_RULE}")),
    ({"tags": json.dumps({"K" * 129: "v"})}, {}, invalid("tags", f"{{{'K' * 129!r}: 'v'}} is not allowed; {TAG_RULE}")),
    (
        {"tags": json.dumps({"Team": "v" * 257})},
        {},
        invalid("tags", f"{{'Team': {'v' * 150 + '…(257 characters)'!r}}} is not allowed; {TAG_RULE}"),
    ),
    (
        {"tags": '{"Production": true}'},
        {},
        invalid(
            "tags", """{'Production': True} is not allowed; tag values are strings, so write {"Production": "true"}."""
        ),
    ),
    ({"alarmEmail": "on..call@corp.net"}, {}, invalid("alarmEmail", f"'on..call@corp.net' is not allowed; {EMAIL}")),
    ({"alarmEmail": ".oncall@corp.net"}, {}, invalid("alarmEmail", f"'.oncall@corp.net' is not allowed; {EMAIL}")),
    ({"alarmEmail": "oncall@-corp.net"}, {}, invalid("alarmEmail", f"'oncall@-corp.net' is not allowed; {EMAIL}")),
    ({"alarmEmail": "oncall@corp..net"}, {}, invalid("alarmEmail", f"'oncall@corp..net' is not allowed; {EMAIL}")),
    ({"alarmEmail": "oncall@corp.n3t"}, {}, invalid("alarmEmail", f"'oncall@corp.n3t' is not allowed; {EMAIL}")),
    (
        {"alarmEmail": f"{'a' * 65}@corp.net"},
        {},
        invalid("alarmEmail", f"'{'a' * 65}@corp.net' is not allowed; {EMAIL}"),
    ),
    # --- empty values mean "unset" only where docs/configuration.md says so --------------------------------
    (
        {},
        {"PAYMENT_FAILOVER_ZONAL_AUTOSHIFT": ""},
        invalid(
            "PAYMENT_FAILOVER_ZONAL_AUTOSHIFT",
            "'' is not allowed; expected true or false.",
            where="environment variable",
        ),
    ),
    ({"deploy": ""}, {}, invalid("deploy", "'' is not allowed; expected true or false.")),
    ({"minCapacity": ""}, {}, invalid("minCapacity", f"'' is not allowed; {WHOLE}")),
    ({"environmentSuffix": ""}, {}, invalid("environmentSuffix", f"'' is not allowed; {SUFFIX_RULE}")),
    # --- deploy=true must tell someone ---------------------------------------------------------------------
    (
        {**REAL, "deploy": "true"},
        {},
        "Refusing to deploy without an alarm destination: the failover topics would tell nobody; set alarmEmail "
        "(context key or PAYMENT_FAILOVER_ALARM_EMAIL) to the on-call address.",
    ),
    # --- duplicate keys in every JSON setting; huge numbers ------------------------------------------------
    (
        {"wafRuleModes": '{"common": "count", "common": "block"}'},
        {},
        invalid(
            "wafRuleModes", "{'common': 'block'} is not allowed; the key 'common' is given twice; give each key once."
        ),
    ),
    (
        {"standbyRegion": "eu-west-1", "standbySettings": '{"minCapacity": "6", "minCapacity": "9"}'},
        {},
        invalid(
            "standbySettings",
            "{'minCapacity': '9'} is not allowed; the key 'minCapacity' is given twice; give each key once.",
        ),
    ),
    (
        {**PIPELINE_CONTEXT, "stagingSettings": '{"environmentSuffix": "staging", "environmentSuffix": "qa"}'},
        {},
        invalid(
            "stagingSettings",
            "{'environmentSuffix': 'qa'} is not allowed; the key 'environmentSuffix' is given twice; give each key "
            "once.",
        ),
    ),
    (
        {"minCapacity": "9" * 5000},
        {},
        invalid(
            "minCapacity",
            "'99999999999999…(5000 characters)' is not allowed; expected a whole number of at most 10 digits.",
        ),
    ),
    (
        {"wafRateLimit": 10**30},
        {},
        invalid(
            "wafRateLimit",
            "'10000000000000…(31 characters)' is not allowed; expected a whole number of at most 10 digits.",
        ),
    ),
    # --- overlays: typos get the closest key, region points to standbyRegion -------------------------------
    (
        {"standbyRegion": "eu-west-1", "standbySettings": '{"minCapacty": "9"}'},
        {},
        invalid(
            "standbySettings",
            "{'minCapacty': '9'} is not allowed; minCapacty is not a setting; did you mean 'minCapacity'?",
        ),
    ),
    (
        {"standbyRegion": "eu-west-1", "standbySettings": '{"region": "eu-west-2"}'},
        {},
        invalid(
            "standbySettings",
            "{'region': 'eu-west-2'} is not allowed; the standby's region is set by standbyRegion, not inside "
            "standbySettings.",
        ),
    ),
    (
        {"standbyRegion": "eu-west-1", "standbySettings": '{"colour": "blue"}'},
        {},
        invalid(
            "standbySettings",
            "{'colour': 'blue'} is not allowed; colour is not a setting; the standby may differ only in "
            "availabilityZones, certificateArn, instanceType, additionalInstanceTypes, imageId, minCapacity, "
            "maxCapacity.",
        ),
    ),
    # --- JSON whose quotes a shell stripped -----------------------------------------------------------------
    (
        {"tags": "{Team:payments}"},
        {},
        invalid(
            "tags",
            """'{Team:payments}' is not allowed; expected a JSON object such as {"Team": "payments"}""" + QUOTING,
        ),
    ),
    (
        {"wafRuleModes": "{common:count}"},
        {},
        invalid("wafRuleModes", f"'{{common:count}}' is not allowed; {WAF_MODES[:-1]}{QUOTING}"),
    ),
    (
        {"standbyRegion": "eu-west-1", "standbySettings": "{minCapacity:6}"},
        {},
        invalid(
            "standbySettings",
            """'{minCapacity:6}' is not allowed; expected a JSON object such as {"minCapacity": "6", "instanceType": """
            '"t3.small"}' + QUOTING,
        ),
    ),
]


def _run_app(tmp_path: Path, context: dict[str, Any], environ: dict[str, str]) -> int:
    """app.main as the CLI runs it: the project's context (cdk.json's flags, the CLI's switches) under `context`."""
    return app.main(context=project_context(context), outdir=str(tmp_path), environ=environ)


@pytest.mark.parametrize(
    ("context", "environ", "sentence"),
    BAD_CONFIGURATIONS,
    ids=[",".join(f"{k}={v}" for k, v in {**row[0], **row[1]}.items()) for row in BAD_CONFIGURATIONS],
)
def test_bad_configuration_is_one_exact_sentence_and_nothing_is_synthesized(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    context: dict[str, Any],
    environ: dict[str, str],
    sentence: str,
) -> None:
    assert _run_app(tmp_path, context, environ) == 2
    captured = capsys.readouterr()
    assert captured.err == f"payment-failover: {sentence}\n"
    assert "Traceback" not in captured.err
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []


def test_the_suite_covers_every_setting_with_at_least_70_cases() -> None:
    named = {key for key in context_keys() for _, _, sentence in BAD_CONFIGURATIONS if f"'{key}'" in sentence}
    assert len(BAD_CONFIGURATIONS) >= 70
    assert named == set(context_keys())


@pytest.mark.parametrize(
    "context",
    [
        {"environmentSuffix": "ok"},
        {"environmentSuffix": "ok", "availabilityZones": '["eu-central-1a", "eu-central-1b", "eu-central-1c"]'},
        {"environmentSuffix": "ok", "region": "ap-northeast-1", "tags": '{"Team": "payments"}'},
    ],
    ids=["plain", "json-list-via-c", "region-whose-letters-are-not-abc"],
)
def test_a_good_configuration_through_the_same_door_synthesizes(tmp_path: Path, context: dict[str, Any]) -> None:
    """The control cases: the harness itself does not make every configuration fail."""
    assert _run_app(tmp_path, context, {}) == 0
    assert sorted(p.name for p in tmp_path.glob("assembly-*")) == ["assembly-PaymentFailover-ok"]


@pytest.mark.parametrize(
    ("top_level", "sentence"),
    [
        (
            {"minCapacity": "9"},
            "cdk.json sets 'minCapacity' at its top level, where the CDK CLI ignores it: move it into cdk.json's "
            '"context" object.',
        ),
        (
            {"stagingSettings": {"environmentSuffix": "staging"}},
            "cdk.json sets 'stagingSettings' at its top level, where the CDK CLI ignores it: move it into cdk.json's "
            '"context" object.',
        ),
        (
            {"min_capacity": 9},
            "cdk.json sets 'min_capacity' (the setting is 'minCapacity') at its top level, where the CDK CLI ignores "
            'it: move it into cdk.json\'s "context" object.',
        ),
    ],
    ids=["setting", "pipeline-setting", "near-spelling"],
)
def test_a_setting_outside_cdk_json_context_is_refused_not_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], top_level: dict[str, Any], sentence: str
) -> None:
    project = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({**project, **top_level}), encoding="utf-8")
    out = tmp_path / "out"
    assert app.main(context=project_context({}), outdir=str(out), environ={}, cdk_json=cdk_json) == 2
    assert capsys.readouterr().err == f"payment-failover: {sentence}\n"
    assert not out.exists()


def test_the_cli_own_cdk_json_keys_are_not_mistaken_for_settings() -> None:
    """The keys the CDK CLI reads from cdk.json (its `--` options in camelCase) never resemble a setting."""
    cli_keys = [
        "app",
        "build",
        "watch",
        "output",
        "requireApproval",
        "versionReporting",
        "pathMetadata",
        "assetMetadata",
        "profile",
        "toolkitStackName",
        "toolkitBucket",
        "staging",
        "notices",
        "lookups",
        "language",
        "plugin",
        "hotswap",
        "rollback",
        "ci",
        "debug",
        "ignoreErrors",
        "json",
        "verbose",
        "strict",
        "assetParallelism",
        "assetPrebuild",
        "progress",
        "unstable",
    ]
    assert [key for key in cli_keys if closest_key(key, (*context_keys(), *PIPELINE_KEYS))] == []
    assert misplaced_settings(context_keys(), cdk_json=ROOT / "cdk.json") is None


def test_a_refused_configuration_loads_neither_aws_cdk_nor_jsii() -> None:
    """The settings path imports no construct module: a refusal answers before jsii starts (app.py's promise)."""
    probe = (
        "import sys, app\n"
        "code = app.main(context={'minCapacity': '7'}, outdir='/nonexistent', environ={})\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'constructs', 'cdk_nag'))\n"
        "print(code, loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "2 []"
