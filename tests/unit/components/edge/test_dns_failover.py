"""R11, R18: regional endpoints, their Route 53 checks, the records clients resolve, and the us-east-1 alarms."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_route53 as route53
from aws_cdk.assertions import Template

from payment_failover.components.edge.dns_failover import GATE_CLOSED, GATE_OPEN, GlobalDns
from tests.helpers.cloudwatch_model import AlarmModel, Series, evaluate
from tests.helpers.support import single
from tests.helpers.synth import SynthesizedStage

CONFIGURATIONS = ["default_stage", "custom_stage", "standby_stage"]
MINUTES = range(5)


def _checks(stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    found = stage.global_dns.find_resources("AWS::Route53::HealthCheck")
    return {logical_id: r["Properties"]["HealthCheckConfig"] for logical_id, r in found.items()}


def _endpoint_checks(stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    """The checks that probe an endpoint (every check but the calculated failback gate)."""
    return {k: c for k, c in _checks(stage).items() if c["Type"] != "CALCULATED"}


def _probed(checks: dict[str, dict[str, Any]], check_id: str) -> list[str]:
    """The names a check probes: its own, or its children's for a calculated check."""
    check = checks[check_id]
    if check["Type"] == "CALCULATED":
        return [name for child in check["ChildHealthChecks"] for name in _probed(checks, child["Ref"])]
    return [check["FullyQualifiedDomainName"]]


def _records(template: Any) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template.find_resources("AWS::Route53::RecordSet").values()]


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_failure_11_no_health_check_probes_a_record_it_is_attached_to(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    """The API reference: a check whose FQDN matches the records it is associated with gives unpredictable results."""
    stage: SynthesizedStage = request.getfixturevalue(configuration)
    checks = _checks(stage)
    attached = [(r["HealthCheckId"]["Ref"], r["Name"]) for r in _records(stage.global_dns) if "HealthCheckId" in r]
    assert len(attached) == (2 if stage.settings.standby else 0)
    for check_id, record_name in attached:
        assert all(name + "." != record_name for name in _probed(checks, check_id))
    # ... and no check probes the name clients resolve, attached or not.
    assert all(c["FullyQualifiedDomainName"] != stage.settings.domain_name for c in _endpoint_checks(stage).values())


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_r11_each_region_has_an_https_sni_check_on_its_own_regional_name(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    stage: SynthesizedStage = request.getfixturevalue(configuration)
    regions = [stage.settings.region] + ([stage.settings.standby_region] if stage.settings.standby_region else [])
    checks = list(_endpoint_checks(stage).values())
    assert sorted(c["FullyQualifiedDomainName"] for c in checks) == sorted(
        f"{region}.{stage.settings.domain_name}" for region in regions
    )
    for check in checks:
        assert (check["Type"], check["Port"], check["ResourcePath"], check["EnableSNI"]) == (
            "HTTPS",
            443,
            "/health",
            True,
        )


def test_r11_fast_interval_explicit_threshold_latency_and_three_checker_regions(
    default_stage: SynthesizedStage,
) -> None:
    (check,) = _checks(default_stage).values()
    assert (check["RequestInterval"], check["FailureThreshold"], check["MeasureLatency"]) == (10, 3, True)
    assert sorted(check["Regions"]) == ["ap-southeast-1", "eu-west-1", "us-east-1"]


def test_r11_check_settings_are_configurable(custom_stage: SynthesizedStage) -> None:
    (config,) = _checks(custom_stage).values()
    assert (config["RequestInterval"], config["FailureThreshold"]) == (30, 2)
    assert len(config["Regions"]) == 4
    assert config["FullyQualifiedDomainName"] == "eu-central-1.pay.payments-corp.net"


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_r18_each_regional_name_aliases_its_own_regions_alb(configuration: str, request: pytest.FixtureRequest) -> None:
    stage: SynthesizedStage = request.getfixturevalue(configuration)
    for stack in stage.stage.regional:
        template = stage.templates[stack.stack_name]
        (alb_id,) = template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
        (record,) = _records(template)
        assert record["Name"] == f"{stack.region}.{stage.settings.domain_name}."
        assert "Failover" not in record
        assert "HealthCheckId" not in record
        assert record["AliasTarget"]["EvaluateTargetHealth"] is True
        assert record["AliasTarget"]["HostedZoneId"] == {"Fn::GetAtt": [alb_id, "CanonicalHostedZoneID"]}
        assert {"Fn::GetAtt": [alb_id, "DNSName"]} in record["AliasTarget"]["DNSName"]["Fn::Join"][1]


def test_r18_single_region_is_an_honest_simple_alias(default_stage: SynthesizedStage) -> None:
    """One failover record alone cannot fail over: without a standby the name is a plain alias."""
    (record,) = _records(default_stage.global_dns)
    assert record["Name"] == "payments.example.com."
    assert "Failover" not in record
    assert "HealthCheckId" not in record
    assert "SetIdentifier" not in record
    assert record["AliasTarget"] == {
        "DNSName": "eu-central-1.payments.example.com",
        "HostedZoneId": "Z00000000EXAMPLE",
        "EvaluateTargetHealth": False,
    }


def test_r18_primary_and_secondary_each_tied_to_its_own_regions_check(standby_stage: SynthesizedStage) -> None:
    checks = _checks(standby_stage)
    by_role = {r["Failover"]: r for r in _records(standby_stage.global_dns)}
    assert set(by_role) == {"PRIMARY", "SECONDARY"}
    for role, region in (("PRIMARY", "eu-central-1"), ("SECONDARY", "eu-west-1")):
        record = by_role[role]
        assert (record["Name"], record["Type"]) == ("payments.example.com.", "A")
        assert record["AliasTarget"] == {
            "DNSName": f"{region}.payments.example.com",
            "HostedZoneId": "Z00000000EXAMPLE",
            "EvaluateTargetHealth": True,
        }
        assert _probed(checks, record["HealthCheckId"]["Ref"]) == [f"{region}.payments.example.com"]
    assert by_role["PRIMARY"]["SetIdentifier"] != by_role["SECONDARY"]["SetIdentifier"]


def test_r18_the_standby_is_the_same_service_stack_in_its_own_region(standby_stage: SynthesizedStage) -> None:
    stage = standby_stage.stage
    assert stage.standby is not None
    assert type(stage.standby) is type(stage.service)
    assert (stage.standby.region, stage.standby.account) == ("eu-west-1", stage.service.account)
    subnets = standby_stage.standby.find_resources("AWS::EC2::Subnet").values()
    assert {s["Properties"]["AvailabilityZone"] for s in subnets} == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    asg = single(standby_stage.standby, "AWS::AutoScaling::AutoScalingGroup")
    assert (asg["MinSize"], asg["MaxSize"]) == ("6", "7")
    assert single(standby_stage.service, "AWS::AutoScaling::AutoScalingGroup")["MaxSize"] == "9"
    launch = single(standby_stage.standby, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert launch["InstanceType"] == "t3.micro"
    for kind in ("AWS::CloudWatch::Dashboard", "AWS::FIS::ExperimentTemplate", "AWS::SNS::Topic"):
        assert standby_stage.standby.find_resources(kind), f"the standby has no {kind}"
    dashboards = [single(t, "AWS::CloudWatch::Dashboard")["DashboardName"] for t in (standby_stage.service,)]
    assert single(standby_stage.standby, "AWS::CloudWatch::Dashboard")["DashboardName"] not in dashboards


@pytest.mark.parametrize("configuration", ["default_stage", "standby_stage"])
def test_r11_the_certificate_covers_the_regional_name_the_check_uses(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    stage: SynthesizedStage = request.getfixturevalue(configuration)
    for stack in stage.stage.regional:
        cert = single(stage.templates[stack.stack_name], "AWS::CertificateManager::Certificate")
        assert cert["DomainName"] == stage.settings.domain_name
        assert cert["SubjectAlternativeNames"] == [f"{stack.region}.{stage.settings.domain_name}"]


def test_r11_the_https_listener_and_the_health_check_agree(default_stage: SynthesizedStage) -> None:
    """The seed checked HTTPS on 443 against an ALB that had only HTTP: that check could never pass."""
    (check,) = _checks(default_stage).values()
    template = default_stage.service
    listeners = [r["Properties"] for r in template.find_resources("AWS::ElasticLoadBalancingV2::Listener").values()]
    serving = [listener for listener in listeners if listener["Port"] == check["Port"]]
    assert len(serving) == 1
    assert serving[0]["Protocol"] == check["Type"] == "HTTPS"
    assert serving[0]["DefaultActions"][0]["Type"] == "forward"
    target_group = single(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert target_group["HealthCheckPath"] == check["ResourcePath"]


@pytest.mark.parametrize("configuration", ["default_stage", "standby_stage"])
def test_r11_an_alarm_in_us_east_1_on_every_regional_check(configuration: str, request: pytest.FixtureRequest) -> None:
    stage: SynthesizedStage = request.getfixturevalue(configuration)
    assert stage.stage.global_dns.region == "us-east-1"
    dns = stage.global_dns
    (topic_id,) = dns.find_resources("AWS::SNS::Topic")
    alarms = [r["Properties"] for r in dns.find_resources("AWS::CloudWatch::Alarm").values()]
    watched = set()
    for alarm in alarms:
        if not alarm["AlarmName"].endswith("-DnsHealthCheckFailed"):
            continue
        (query,) = alarm["Metrics"]
        metric = query["MetricStat"]["Metric"]
        assert (metric["Namespace"], metric["MetricName"]) == ("AWS/Route53", "HealthCheckStatus")
        assert (query["MetricStat"]["Stat"], query["MetricStat"]["Period"]) == ("Minimum", 60)
        assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["TreatMissingData"]) == (
            "LessThanThreshold",
            1,
            "breaching",
        )
        assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": topic_id}]
        (dimension,) = metric["Dimensions"]
        watched.add(dimension["Value"]["Ref"])
    assert watched == set(_endpoint_checks(stage))
    key_policy = single(dns, "AWS::KMS::Key")["KeyPolicy"]["Statement"]
    services = [s.get("Principal", {}).get("Service") for s in key_policy]
    assert any("cloudwatch.amazonaws.com" in (s if isinstance(s, list) else [s]) for s in services)


def _every_minute(value: float) -> Series:
    return dict.fromkeys(MINUTES, value)


def _region_alarm_state(
    stage: SynthesizedStage, name: str, primary: Series, standby: Series, gate_closed: bool = False
) -> str:
    """The alarm's state for the two regions' check statuses. The failback gate's status follows its one child, the
    primary's check, while open (HealthThreshold 1) and is 0 while closed (a threshold above its children's count:
    "Route 53 always considers this health check to be unhealthy",
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html)."""
    dns = stage.global_dns
    (alarm,) = [
        r["Properties"]
        for r in dns.find_resources("AWS::CloudWatch::Alarm").values()
        if r["Properties"]["AlarmName"].endswith(f"-{name}")
    ]
    by_name = {"eu-central-1.payments.example.com": primary, "eu-west-1.payments.example.com": standby}
    published = {
        logical_id: by_name[c["FullyQualifiedDomainName"]] for logical_id, c in _endpoint_checks(stage).items()
    }
    for logical_id, check in _checks(stage).items():
        if check["Type"] == "CALCULATED":
            published[logical_id] = _every_minute(0) if gate_closed else primary
    stats = {q["Id"]: q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q}
    series = {query_id: published[stat["Metric"]["Dimensions"][0]["Value"]["Ref"]] for query_id, stat in stats.items()}
    (expression,) = [q["Expression"] for q in alarm["Metrics"] if "Expression" in q]
    result = evaluate(expression, series, MINUTES)
    assert alarm["AlarmActions"]
    assert alarm["OKActions"]
    return AlarmModel.of(alarm).state([result.get(minute) for minute in MINUTES])


@pytest.mark.parametrize(
    ("situation", "primary", "standby", "gate_closed", "on_standby", "both_down"),
    [
        ("both healthy", _every_minute(1), _every_minute(1), False, "OK", "OK"),
        ("primary failed, standby healthy", _every_minute(0), _every_minute(1), False, "ALARM", "OK"),
        ("standby failed only", _every_minute(1), _every_minute(0), False, "OK", "OK"),
        ("both failed", _every_minute(0), _every_minute(0), False, "OK", "ALARM"),
        ("primary stopped reporting, standby healthy", {}, _every_minute(1), False, "ALARM", "OK"),
        # Manual failback: the closed gate holds clients on the standby after the primary recovered.
        ("primary recovered, gate closed", _every_minute(1), _every_minute(1), True, "ALARM", "OK"),
        ("primary recovered, gate closed, standby failed", _every_minute(1), _every_minute(0), True, "OK", "OK"),
    ],
)
def test_r18_failover_event_alarms_evaluated_on_sample_datapoints(
    standby_stage: SynthesizedStage,
    situation: str,
    primary: Series,
    standby: Series,
    gate_closed: bool,
    on_standby: str,
    both_down: str,
) -> None:
    """TrafficOnStandby reads the PRIMARY record's check (the gate, in manual failback): ALARM exactly while Route 53
    answers with the SECONDARY; BothRegionsDown reads the regions' own checks."""
    assert _region_alarm_state(standby_stage, "TrafficOnStandby", primary, standby, gate_closed) == on_standby, (
        situation
    )
    assert _region_alarm_state(standby_stage, "BothRegionsDown", primary, standby, gate_closed) == both_down, situation


def test_r18_no_region_level_alarms_without_a_standby(default_stage: SynthesizedStage) -> None:
    names = [
        r["Properties"]["AlarmName"] for r in default_stage.global_dns.find_resources("AWS::CloudWatch::Alarm").values()
    ]
    assert names == ["payment-failover-dev-eu-central-1-DnsHealthCheckFailed"]


def test_outputs_name_the_topic_checks_and_urls(standby_stage: SynthesizedStage) -> None:
    outputs = standby_stage.global_dns.to_json()["Outputs"]
    assert {"ServiceUrl", "DnsTopicArn", "PrimaryHealthCheckId", "StandbyHealthCheckId"} <= set(outputs)
    assert outputs["ServiceUrl"]["Value"] == "https://payments.example.com/health"
    for stack in standby_stage.stage.regional:
        regional = standby_stage.templates[stack.stack_name].to_json()["Outputs"]
        assert regional["ServiceUrl"]["Value"] == f"https://{stack.region}.payments.example.com/health"


def _global_dns(*, manual_failback: bool, regions: tuple[str, ...] = ("eu-central-1", "eu-west-1")) -> Template:
    """GlobalDns alone in a bare us-east-1 stack: both failback modes without another Stage synthesis."""
    stack = Stack(App(), "Dns", env=Environment(account="123456789012", region="us-east-1"))
    zone = route53.HostedZone.from_hosted_zone_attributes(
        stack, "Zone", hosted_zone_id="Z00000000EXAMPLE", zone_name="example.com"
    )
    GlobalDns(
        stack,
        "Dns",
        domain_name="payments.example.com",
        hosted_zone=zone,
        regions=regions,
        request_interval_seconds=10,
        failure_threshold=3,
        checker_regions=("us-east-1", "eu-west-1", "ap-southeast-1"),
        manual_failback=manual_failback,
    )
    return Template.from_stack(stack)


def _by_role(template: Template) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    checks = {
        k: r["Properties"]["HealthCheckConfig"] for k, r in template.find_resources("AWS::Route53::HealthCheck").items()
    }
    return checks, {r["Failover"]: r for r in _records(template)}


def test_manual_failback_ties_the_primary_record_to_a_calculated_gate_over_the_primary_check() -> None:
    """Manual: PRIMARY is healthy only while the gate (threshold 1 of its one child, the primary's check) is."""
    checks, by_role = _by_role(_global_dns(manual_failback=True))
    gate = checks[by_role["PRIMARY"]["HealthCheckId"]["Ref"]]
    assert gate["Type"] == "CALCULATED"
    assert gate["HealthThreshold"] == GATE_OPEN == 1
    assert gate.get("Inverted", False) is False
    assert "Disabled" not in gate
    (child,) = gate["ChildHealthChecks"]
    # The operator's closed value asks for more healthy children than the gate has: always unhealthy.
    assert len(gate["ChildHealthChecks"]) < GATE_CLOSED
    assert checks[child["Ref"]]["FullyQualifiedDomainName"] == "eu-central-1.payments.example.com"
    # The SECONDARY keeps its own region's check: the gate never holds clients away from the standby.
    assert checks[by_role["SECONDARY"]["HealthCheckId"]["Ref"]]["FullyQualifiedDomainName"] == (
        "eu-west-1.payments.example.com"
    )
    assert len(checks) == 3


def test_automatic_failback_ties_each_record_to_its_regions_check_and_has_no_gate() -> None:
    checks, by_role = _by_role(_global_dns(manual_failback=False))
    assert len(checks) == 2
    assert all(c["Type"] == "HTTPS" for c in checks.values())
    for role, region in (("PRIMARY", "eu-central-1"), ("SECONDARY", "eu-west-1")):
        assert (
            checks[by_role[role]["HealthCheckId"]["Ref"]]["FullyQualifiedDomainName"]
            == f"{region}.payments.example.com"
        )


def test_failback_mode_has_no_effect_without_a_standby() -> None:
    template = _global_dns(manual_failback=True, regions=("eu-central-1",))
    checks = [
        r["Properties"]["HealthCheckConfig"] for r in template.find_resources("AWS::Route53::HealthCheck").values()
    ]
    assert [c["Type"] for c in checks] == ["HTTPS"]
    assert template.to_json() == _global_dns(manual_failback=False, regions=("eu-central-1",)).to_json()


def test_the_standby_stage_defaults_to_manual_and_outputs_the_gate(standby_stage: SynthesizedStage) -> None:
    assert standby_stage.settings.region_failback == "manual"
    outputs = standby_stage.global_dns.to_json()["Outputs"]
    gate_ref = outputs["FailbackGateId"]["Value"]["Ref"]
    checks, by_role = _by_role(standby_stage.global_dns)
    assert by_role["PRIMARY"]["HealthCheckId"]["Ref"] == gate_ref
    assert checks[gate_ref]["Type"] == "CALCULATED"
