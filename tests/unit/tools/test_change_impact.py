"""R16: what changing one setting does on deploy, from two synths and the resource schemas' createOnlyProperties.

The classification model is checked on hand-made templates first; then every setting of the schema is changed
once (in-process synths, shared by the whole session) and the generated table and hand-written acknowledgements
of docs/how-a-deployment-proceeds.md are held to the result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from payment_failover.config.settings import context_keys
from payment_failover.tools import change_impact
from payment_failover.tools.change_impact import Impact
from tests.helpers.docs_pages import generated_block
from tests.helpers.synth import stage_templates
from tests.helpers.synth_cache import SynthCache

SETTING_CHANGES_PAGE = "docs/how-a-deployment-proceeds.md"
ALB = "AWS::ElasticLoadBalancingV2::LoadBalancer"


def _stack(resource_type: str, **properties: Any) -> dict[str, Any]:
    return {"Service": {"Resources": {"R": {"Type": resource_type, "Properties": properties}}}}


def test_create_only_properties_come_from_the_pinned_cfn_lint_schemas() -> None:
    assert "/properties/AutoScalingGroupName" in change_impact.create_only_properties(
        "AWS::AutoScaling::AutoScalingGroup"
    )
    assert change_impact.create_only_properties("AWS::EC2::LaunchTemplate") == ("/properties/LaunchTemplateName",)


def test_a_changed_create_only_property_replaces_and_a_kept_custom_name_makes_the_deploy_fail() -> None:
    impact = change_impact.compare(
        _stack(ALB, Name="pf-alb-dev", Scheme="internet-facing"), _stack(ALB, Name="pf-alb-dev", Scheme="internal")
    )
    ((replacement,),) = [impact.replaced]
    assert (replacement.properties, replacement.fixed_name, replacement.name_kept) == (("Scheme",), True, True)
    assert replacement.matters


def test_a_renamed_resource_is_replaced_under_its_new_name() -> None:
    impact = change_impact.compare(_stack(ALB, Name="pf-alb-dev"), _stack(ALB, Name="pf-alb-qa"))
    ((replacement,),) = [impact.replaced]
    assert (replacement.fixed_name, replacement.name_kept, replacement.interrupts) == (True, False, True)


def test_any_other_property_change_is_an_update_in_place() -> None:
    alarm = "AWS::CloudWatch::Alarm"
    impact = change_impact.compare(_stack(alarm, AlarmName="a", Threshold=1), _stack(alarm, AlarmName="a", Threshold=2))
    assert (impact.updated, impact.replaced) == ({alarm}, [])


@pytest.fixture(scope="session")
def synths() -> Callable[[Mapping[str, Any]], change_impact.Synth]:
    """The session's syntheses (tests/helpers/synth.py), read back from the content-addressed cache when no input of
    a template changed since the last run (tests/helpers/synth_cache.py)."""
    cache = SynthCache()
    return lambda context: change_impact.Synth(*cache.get(context, stage_templates))


@pytest.fixture(scope="session")
def impacts(synths: Callable[[Mapping[str, Any]], change_impact.Synth]) -> dict[str, Impact | str]:
    """Every setting changed once."""
    return change_impact.compute_impacts(synths)


def test_r20_the_bake_settings_reach_the_zonal_configuration(
    synths: Callable[[Mapping[str, Any]], change_impact.Synth],
) -> None:
    """The analysis' own changes of the two bakes (900 s and 120 s) land in the deployment configuration."""
    for key, field in (
        ("firstZoneBakeSeconds", "FirstZoneMonitorDurationInSeconds"),
        ("zoneBakeSeconds", "MonitorDurationInSeconds"),
    ):
        change = change_impact.CHANGES[key]
        assert not isinstance(change, str)
        (config,) = [
            resource["Properties"]["ZonalConfig"]
            for resource in synths(change[1]).templates["Service"]["Resources"].values()
            if resource["Type"] == "AWS::CodeDeploy::DeploymentConfig"
        ]
        assert config[field] == int(change[1][key]), key


def test_every_setting_has_a_change_to_try() -> None:
    missing = sorted(set(context_keys()) - set(change_impact.CHANGES))
    assert not missing, f"add a changed value for {missing} to payment_failover/change_impact.CHANGES"


def _impact(impacts: dict[str, Impact | str], key: str) -> Impact:
    found = impacts[key]
    assert isinstance(found, Impact)
    return found


def test_known_answers(impacts: dict[str, Impact | str]) -> None:
    """An alarm threshold touches alarms only; a new instance type is a new launch-template version (the rolling
    update of R16), never a replacement; another AZ order replaces the subnets; another suffix is a new stack."""
    latency = _impact(impacts, "latencyP99ThresholdMs")
    assert (latency.updated, latency.replaced) == ({"AWS::CloudWatch::Alarm"}, [])
    instance_type = _impact(impacts, "instanceType")
    assert "AWS::EC2::LaunchTemplate" in instance_type.updated
    assert instance_type.replaced == []
    assert "AWS::EC2::Subnet" in {r.resource_type for r in _impact(impacts, "availabilityZones").replaced}
    assert "Service" in _impact(impacts, "environmentSuffix").new_stacks


def test_readme_setting_change_table_is_the_computed_one(impacts: dict[str, Impact | str]) -> None:
    assert generated_block(SETTING_CHANGES_PAGE, "setting-changes") == change_impact.markdown_table(impacts)


def test_a_setting_that_replaces_a_named_or_serving_resource_is_owned_up_to_in_the_readme(
    impacts: dict[str, Impact | str],
) -> None:
    """Each such key needs a hand-written line in the docs page's acknowledgements, saying what that deploy does."""
    acknowledged = set(re.findall(r"^- `(\w+)`:", generated_block(SETTING_CHANGES_PAGE, "setting-replacements"), re.M))
    unexplained = {
        key: reasons
        for key, reasons in change_impact.keys_that_must_be_acknowledged(impacts).items()
        if key not in acknowledged
    }
    assert not unexplained, f"explain these in the setting-replacements block of {SETTING_CHANGES_PAGE}: {unexplained}"
