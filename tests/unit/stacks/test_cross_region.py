"""Failure 12 (R18): no documented setting change may leave a cross-region export whose value changes in use.

The global DNS stack takes nothing from a regional stack (its records alias the regional *names*), so there is
no export to go stale. Two proofs, cheap enough to run over every key:
- for every configuration key, changed off its default, the global stack built on its own from those settings
  holds no import of any kind (no `Fn::ImportValue`, no `Fn::GetStackOutput`, no cross-region reader): it is a
  function of the settings alone;
- in every synthesized Stage (single region, custom, standby), no template exports or imports anything, and
  the global template is exactly the one built on its own, so nothing crossed while the Stage was assembled.
The pinned CDK turns a token passed between regions into a strong reference (an SSM-backed ExportWriter and
ExportReader: "The producing stack cannot be deleted while consumers exist",
https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.ReferenceStrength.html) without being asked, so the
last test leaks one on purpose and shows that these checks catch it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Template

from payment_failover.config.settings import Settings, context_keys
from payment_failover.names import ResourceNames
from payment_failover.stacks.global_dns_stack import GlobalDnsStack
from payment_failover.stage import PaymentFailoverStage
from payment_failover.tagging import tag_everything
from tests.helpers.support import comparable, settings_from
from tests.helpers.synth import SynthesizedStage, project_app

# A valid value other than the default for every key (the standby needs its region first).
CHANGED: dict[str, dict[str, str]] = {
    "environmentSuffix": {"environmentSuffix": "prod"},
    "account": {"account": "210987654321"},
    "region": {"region": "us-east-1"},
    "availabilityZones": {"availabilityZones": "eu-central-1c,eu-central-1b,eu-central-1a"},
    "hostedZoneName": {"hostedZoneName": "payments-corp.net", "domainName": "pay.payments-corp.net"},
    "domainName": {"domainName": "checkout.example.com"},
    "hostedZoneId": {"hostedZoneId": "Z0123456789ABCDEFGHIJ"},
    "certificateArn": {
        "certificateArn": "arn:aws:acm:eu-central-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    },
    "instanceType": {"instanceType": "m7g.large"},
    "additionalInstanceTypes": {"additionalInstanceTypes": "t3a.small"},
    "imageId": {"imageId": "ami-0123456789abcdef0"},
    "minCapacity": {"minCapacity": "9"},
    "maxCapacity": {"maxCapacity": "7"},
    "healthCheckIntervalSeconds": {"healthCheckIntervalSeconds": "10"},
    "alarmEmail": {"alarmEmail": "oncall@example.com"},
    "pagingHttpsUrl": {"pagingHttpsUrl": "https://events.incident-tool.example/sns"},
    "latencyP99ThresholdMs": {"latencyP99ThresholdMs": "250"},
    "errorRatePercent": {"errorRatePercent": "2"},
    "availabilityObjectivePercent": {"availabilityObjectivePercent": "99.9"},
    "latencyObjectiveMs": {"latencyObjectiveMs": "300"},
    "latencyObjectivePercent": {"latencyObjectivePercent": "95"},
    "dnsHealthCheckIntervalSeconds": {"dnsHealthCheckIntervalSeconds": "30"},
    "dnsFailureThreshold": {"dnsFailureThreshold": "5"},
    "dnsHealthCheckRegions": {"dnsHealthCheckRegions": "us-west-2,eu-west-1,sa-east-1"},
    "tags": {"tags": '{"CostCenter": "payments-42"}'},
    "zonalAutoshift": {"zonalAutoshift": "false"},
    "wafRuleModes": {"wafRuleModes": '{"anonymousIp": "count"}'},
    "wafRateLimit": {"wafRateLimit": "500"},
    "wafMerchantHeader": {"wafMerchantHeader": "x-api-key"},
    "wafMerchantRateLimit": {"wafMerchantRateLimit": "5000"},
    "wafTrustedCidrs": {"wafTrustedCidrs": "203.0.113.0/24"},
    "drainSeconds": {"drainSeconds": "60"},
    "serviceBundle": {"serviceBundle": "tests/fixtures/bundles/valid"},
    "firstZoneBakeSeconds": {"firstZoneBakeSeconds": "900"},
    "zoneBakeSeconds": {"zoneBakeSeconds": "120"},
    "deploy": {
        "deploy": "true",
        "alarmEmail": "oncall@payments-corp.net",
        "account": "210987654321",
        "hostedZoneId": "Z0REALZONE",
        "hostedZoneName": "payments-corp.net",
        "domainName": "pay.payments-corp.net",
    },
    "standbyRegion": {"standbyRegion": "eu-west-1"},
    "standbySettings": {"standbyRegion": "eu-west-1", "standbySettings": '{"instanceType": "t3.micro"}'},
    "regionFailback": {"standbyRegion": "eu-west-1", "regionFailback": "automatic"},
}
_IMPORTS = ("Fn::ImportValue", "Fn::GetStackOutput")
_READERS = ("Custom::CrossRegionExportReader", "Custom::CrossRegionExportWriter")


def _imports_and_exports(body: dict[str, Any]) -> list[str]:
    text = json.dumps(body)
    found = [marker for marker in (*_IMPORTS, *_READERS) if marker in text]
    found += [name for name, output in body.get("Outputs", {}).items() if "Export" in output]
    return found


def _global_alone(settings: Settings) -> dict[str, Any]:
    stack = GlobalDnsStack(
        project_app(), "GlobalDns", settings=settings, names=ResourceNames(settings.environment_suffix), regional=()
    )
    tag_everything(stack, settings.tags)
    body = comparable(Template.from_stack(stack).to_json())
    return {part: body.get(part) for part in ("Resources", "Outputs")}


def test_the_cases_cover_every_configuration_key() -> None:
    assert sorted(CHANGED) == sorted(context_keys())


@pytest.mark.parametrize("key", sorted(CHANGED))
def test_failure_12_the_global_stack_is_a_function_of_the_settings_alone(key: str) -> None:
    settings = settings_from(CHANGED[key])
    assert settings != settings_from(), f"{key}: the case does not change the settings"
    assert _imports_and_exports(_global_alone(settings)) == []


@pytest.mark.parametrize("configuration", ["default_stage", "custom_stage", "standby_stage"])
def test_failure_12_no_template_of_the_stage_exports_or_imports(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    stage: SynthesizedStage = request.getfixturevalue(configuration)
    for name, template in stage.templates.items():
        assert _imports_and_exports(template.to_json()) == [], name
    in_stage = comparable(stage.global_dns.to_json())
    assert {part: in_stage.get(part) for part in ("Resources", "Outputs")} == _global_alone(stage.settings)


def test_a_leaked_cross_region_reference_would_be_caught() -> None:
    """Pass the ALB's DNS name to us-east-1, as the first design did with the check id: both proofs fail."""
    settings = settings_from()
    stage = PaymentFailoverStage(project_app(), "Probe", settings=settings)
    alb = stage.service.load_balancer.load_balancer
    ssm.StringParameter(stage.global_dns, "Leak", string_value=alb.load_balancer_dns_name)
    leaked = Template.from_stack(stage.global_dns).to_json()
    assert "Custom::CrossRegionExportReader" in _imports_and_exports(leaked)
    assert "Custom::CrossRegionExportWriter" in _imports_and_exports(Template.from_stack(stage.service).to_json())
    alone = _global_alone(settings)
    assert {part: leaked.get(part) for part in ("Resources", "Outputs")} != alone
