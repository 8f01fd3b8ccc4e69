"""R21: the synthetic probes as synthesized — what each canary runs, where it writes, what it may do, what it pages.

The probe's own behaviour is tested against loopback servers (runtime/test_probe_canary.py); here, the template.
"""

from __future__ import annotations

from typing import Any

from payment_failover.components.observability import probes
from tests.helpers.cloudwatch_model import AlarmModel, Series, evaluate
from tests.helpers.synth import SynthesizedStage

MINUTES = [0, 1, 2]


def _canaries(stage: SynthesizedStage) -> dict[str, dict[str, Any]]:
    found = stage.service.find_resources("AWS::Synthetics::Canary")
    return {r["Properties"]["Name"]: r["Properties"] for r in found.values()}


def test_r21_probes_on_the_service_name_the_regions_name_and_each_azs_node(default_stage: SynthesizedStage) -> None:
    canaries = _canaries(default_stage)
    hosts = {name: c["RunConfig"]["EnvironmentVariables"]["PROBE_HOST"] for name, c in canaries.items()}
    assert hosts == {
        "payment-failover-dev-service": "payments.example.com",
        "payment-failover-dev-region": "eu-central-1.payments.example.com",
        # The zonal probe connects to each AZ's node, with the service's name as SNI and Host.
        "payment-failover-dev-zonal": "payments.example.com",
    }
    for canary in canaries.values():
        assert canary["Schedule"]["Expression"] == "rate(1 minute)"
        assert canary["RuntimeVersion"].startswith("syn-python-selenium-")
        assert canary["Code"]["Handler"] == "probe_canary.handler"
        # Liveness and the sample service's real API: a payment the service authorises with 201.
        assert canary["RunConfig"]["EnvironmentVariables"]["PROBE_PATHS"] == "/health,POST /payments 201"
        assert "VPCConfig" not in canary  # from outside, as clients come
        assert canary["StartCanaryAfterCreation"] is True


def test_r21_the_zonal_probe_reads_the_load_balancers_interfaces_and_reports_every_az(
    default_stage: SynthesizedStage,
) -> None:
    environment = _canaries(default_stage)["payment-failover-dev-zonal"]["RunConfig"]["EnvironmentVariables"]
    (alb,) = default_stage.service.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert environment["PROBE_LOAD_BALANCER"] == {"Fn::GetAtt": [alb, "LoadBalancerFullName"]}
    assert environment["PROBE_ZONES"] == "eu-central-1a,eu-central-1b,eu-central-1c"
    assert environment["PROBE_METRIC_NAMESPACE"] == probes.ZONE_NAMESPACE


def test_r21_the_probe_code_is_the_tested_file(default_stage: SynthesizedStage) -> None:
    """The asset is runtime/canary, whose python/probe_canary.py the loopback tests run."""
    assert (probes.CANARY_CODE / "python" / "probe_canary.py").is_file()


def test_r21_artifacts_bucket_is_encrypted_private_tls_only_and_expiring(default_stage: SynthesizedStage) -> None:
    buckets = default_stage.service.find_resources("AWS::S3::Bucket")
    (bucket_id,) = [b for b in buckets if b.startswith("ProbesArtifacts")]
    bucket = buckets[bucket_id]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == probes.ARTIFACTS_DAYS
    policies = default_stage.service.find_resources("AWS::S3::BucketPolicy").values()
    (policy,) = [p for p in policies if p["Properties"]["Bucket"] == {"Ref": bucket_id}]
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for canary in _canaries(default_stage).values():
        assert canary["FailureRetentionPeriod"] <= probes.ARTIFACTS_DAYS


def test_r21_each_probe_role_may_write_only_its_results_logs_and_metrics(default_stage: SynthesizedStage) -> None:
    template = default_stage.service.to_json()["Resources"]
    for name, canary in _canaries(default_stage).items():
        zonal = name.endswith("-zonal")
        role_id = canary["ExecutionRoleArn"]["Fn::GetAtt"][0]
        trust = template[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]
        assert "ManagedPolicyArns" not in template[role_id]["Properties"]
        (policy,) = [
            r["Properties"]
            for r in template.values()
            if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        ]
        actions = {
            a
            for s in policy["PolicyDocument"]["Statement"]
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }
        assert actions == {
            "s3:PutObject",
            "s3:GetBucketLocation",
            "s3:ListAllMyBuckets",
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "cloudwatch:PutMetricData",
        } | ({"ec2:DescribeNetworkInterfaces"} if zonal else set())
        (metrics,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Action"] == "cloudwatch:PutMetricData"]
        namespaces = ["CloudWatchSynthetics", probes.ZONE_NAMESPACE] if zonal else "CloudWatchSynthetics"
        assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": namespaces}}
        prefix = canary["ArtifactS3Location"]["Fn::Join"][1][-1].strip("/")
        (put,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Action"] == "s3:PutObject"]
        assert put["Resource"]["Fn::Join"][1][-1] == f"/{prefix}/*"


def test_r21_each_probe_pages_after_two_failed_minutes_of_three_and_when_it_stops(
    default_stage: SynthesizedStage,
) -> None:
    (topic,) = default_stage.service.find_resources("AWS::SNS::Topic")
    found = default_stage.service.find_resources("AWS::CloudWatch::Alarm").values()
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in found
        if "-Probe" in a["Properties"]["AlarmName"] and "-ProbeZone" not in a["Properties"]["AlarmName"]
    }
    assert set(alarms) == {"payment-failover-dev-ProbeServiceFailing", "payment-failover-dev-ProbeRegionFailing"}
    for name, alarm in alarms.items():
        canary = (
            "payment-failover-dev-" + name.removeprefix("payment-failover-dev-Probe").removesuffix("Failing").lower()
        )
        assert (alarm["Namespace"], alarm["MetricName"]) == ("CloudWatchSynthetics", "SuccessPercent")
        assert alarm["Dimensions"] == [{"Name": "CanaryName", "Value": canary}]
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 100)
        assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 2)
        assert alarm["TreatMissingData"] == "breaching"
        assert alarm["AlarmActions"] == [{"Ref": topic}]


def test_r21_each_azs_probe_alarm_fires_on_two_failed_or_slow_minutes_of_three_with_no_actions(
    default_stage: SynthesizedStage,
) -> None:
    found = default_stage.service.find_resources("AWS::CloudWatch::Alarm").values()
    zone_alarms = {
        a["Properties"]["AlarmName"].rsplit("ProbeZoneFailing-", 1)[1]: a["Properties"]
        for a in found
        if "-ProbeZoneFailing-" in a["Properties"]["AlarmName"]
    }
    assert sorted(zone_alarms) == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    for az, alarm in zone_alarms.items():
        assert "AlarmActions" not in alarm  # inputs of the AZ's outlier composite and of ProbeZonesFailing
        assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["TreatMissingData"]) == (
            3,
            2,
            "breaching",
        )
        stats = {q["Id"]: q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q}
        for stat in stats.values():
            assert stat["Metric"]["Namespace"] == probes.ZONE_NAMESPACE
            dimensions = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
            assert dimensions == {"Host": "payments.example.com", "AvailabilityZone": az}
        model = AlarmModel.of(alarm)
        (expression,) = [q["Expression"] for q in alarm["Metrics"] if "Expression" in q]

        def state(ok: Series, ms: Series, expression: str = expression, model: AlarmModel = model) -> str:
            result = evaluate(expression, {"ok": ok, "ms": ms}, MINUTES)
            return model.state([result.get(minute) for minute in MINUTES])

        assert state({0: 100, 1: 100, 2: 100}, {0: 40, 1: 45, 2: 38}) == "OK"
        assert state({0: 100, 1: 0, 2: 100}, {0: 40, 2: 38}) == "OK"  # one lost run is not a failure
        assert state({0: 100, 1: 0, 2: 0}, {0: 40}) == "ALARM"
        assert state({0: 100, 1: 100, 2: 100}, {0: 40, 1: 1500, 2: 1800}) == "ALARM"  # slower than 1000 ms
        assert state({}, {}) == "ALARM"  # the probe stopped publishing: no proof the AZ serves


def test_probe_cost_per_month_at_the_schedule() -> None:
    assert probes.monthly_runs() == 43_200
