"""Synthetic probes (R21): the service seen from outside, every minute, with or without client traffic.

One CloudWatch Synthetics canary per name clients use — the service's name and this region's own name — runs the
probe of runtime/canary/python/probe_canary.py: HTTPS on 443 with the name as SNI and Host, `/health` and the sample
service's payment request, each answered as expected within the timeout. Canaries "monitor your endpoints and APIs
from the outside-in" (https://docs.aws.amazon.com/AmazonSynthetics/latest/APIReference/Welcome.html); they run
outside the VPC, so a probe reaches the service as a client does: public DNS, TLS, the web ACL, the listener.

Each canary publishes `SuccessPercent` in the `CloudWatchSynthetics` namespace with the `CanaryName` dimension
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_metrics.html); its
alarm fires when 2 of the last 3 minutes had a failed run, and treats missing data as breaching: a probe that stopped
running proves nothing.

One more canary, the zonal probe, sends the same requests (service name as SNI and Host) to each AZ's load balancer
node, found on the load balancer's network interfaces (probe_canary.py says how), and publishes per AZ a success and
a latency metric with an `AvailabilityZone` dimension. One canary for all AZs, not one per AZ: Synthetics bills per
canary run, so three canaries would cost three times the runs for the same minute-by-minute view, while the per-AZ
metrics of one canary add six custom metrics (tools/cost.py prices both). What a node probe sees: cross-zone load
balancing is on for an ALB ("each load balancer node distributes traffic across the registered targets in all
registered Availability Zones",
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/disable-cross-zone.html), so a node's probe
exercises that AZ's node and its path into the VPC, then a target in any AZ: it isolates an impaired node or zonal
ingress, not one AZ's instances (the ALB's per-AZ metrics and the gray-failure detectors watch those). Per AZ, one
alarm fires when the probe of its node failed, or was slower than `latencyP99ThresholdMs`, in 2 of the last 3 minutes
(`self.zone_alarms`); it has no actions: it feeds that AZ's gray-failure composite, and `self.zones_failing`, at
least two AZs failing at once, feeds the practice runs' outcome alarms.

The role is the documented minimum for a canary without KMS or VPC access
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_CanaryPermissions.html):
trust `lambda.amazonaws.com`; write results under this canary's prefix of its bucket, read the bucket's location;
list buckets; write its own log groups `/aws/lambda/cwsyn-<name>-*`; put metrics in `CloudWatchSynthetics` only.
The zonal probe's role may also describe network interfaces, an action the Service Authorization Reference lists
with no resource type, so on "*" (https://docs.aws.amazon.com/service-authorization/latest/reference/
list_amazonec2.html), and put metrics in its own namespace.
The artifacts bucket is encrypted (SSE-S3), blocks public access, refuses anything but TLS, and expires what the
canaries write.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_synthetics as synthetics
from constructs import Construct

from payment_failover.components.observability.alarms import AlarmRule, notify
from payment_failover.components.served_fleet import AlarmPolicy

CANARY_CODE = Path(__file__).parent / "runtime" / "canary"
RUNTIME = synthetics.Runtime.SYNTHETICS_PYTHON_SELENIUM_7_0
SCHEDULE_MINUTES = 1
TIMEOUT_SECONDS = 5
ARTIFACTS_DAYS = 30
# Two of the last three one-minute runs failed: one lost run is not a page, two are.
PROBE_FAILURE = AlarmRule(evaluation_periods=3, datapoints_to_alarm=2)
SYNTHETICS_NAMESPACE = "CloudWatchSynthetics"
ZONE_NAMESPACE = "PaymentFailover/Probes"
ZONE_SUCCESS_METRIC = "ZoneProbeSuccess"
ZONE_LATENCY_METRIC = "ZoneProbeLatency"
ZONAL_PROBE = "Zonal"
PRODUCT = "payment-failover"


@dataclass(frozen=True)
class ZonalTarget:
    """What the zonal probe needs: the name to send, the load balancer's full name (`app/<name>/<id>`, whose network
    interfaces hold the nodes' addresses) and the AZs to report on."""

    host: str
    load_balancer_full_name: str
    availability_zones: tuple[str, ...]


class SyntheticProbes(Construct):
    """`self.canaries[probe]` and `self.alarms[probe]`, one per name in `targets` (probe id → host name); for `zonal`,
    `self.canaries["Zonal"]`, `self.zone_alarms[az]` and `self.zones_failing`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        policy: AlarmPolicy,
        targets: Mapping[str, str],
        paths: Sequence[str],
        zonal: ZonalTarget,
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = self._artifacts_bucket()
        self.canaries: dict[str, synthetics.Canary] = {}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.zone_alarms: dict[str, cloudwatch.Alarm] = {}
        self.canary_names: dict[str, str] = {}
        self.zonal_target = zonal
        for probe_id, host in targets.items():
            name = canary_name(policy.name_prefix, probe_id)
            self.canary_names[probe_id] = name
            self.canaries[probe_id] = self._canary(probe_id, name=name, host=host, paths=paths)
            self.alarms[probe_id] = self._failure_alarm(probe_id, name=name, host=host, paths=paths, policy=policy)
        self._zonal(zonal, paths=paths, policy=policy)

    def success_metrics(self) -> list[cloudwatch.Metric]:
        """Per name probe, the share of runs that passed; per AZ, the share of its node's probes that passed."""
        return [self._run_metric("SuccessPercent", probe_id, "Average") for probe_id in self.canary_names] + [
            zone_metric(ZONE_SUCCESS_METRIC, host=self.zonal_target.host, az=az, statistic="Average")
            for az in self.zonal_target.availability_zones
        ]

    def latency_metrics(self) -> list[cloudwatch.Metric]:
        """Per name probe, the run's duration; per AZ, the slower request of its node's probe (both ms)."""
        return [self._run_metric("Duration", probe_id, "Average") for probe_id in self.canary_names] + [
            zone_metric(ZONE_LATENCY_METRIC, host=self.zonal_target.host, az=az, statistic="Maximum")
            for az in self.zonal_target.availability_zones
        ]

    def _run_metric(self, metric_name: str, probe_id: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=SYNTHETICS_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"CanaryName": self.canary_names[probe_id]},
            statistic=statistic,
            period=Duration.minutes(SCHEDULE_MINUTES),
            label=probe_id.lower(),
        )

    def _zonal(self, zonal: ZonalTarget, *, paths: Sequence[str], policy: AlarmPolicy) -> None:
        """The zonal probe, one alarm per AZ, and the composite of any two AZs failing at once."""
        name = canary_name(policy.name_prefix, ZONAL_PROBE)
        canary = self._canary(
            ZONAL_PROBE,
            name=name,
            host=zonal.host,
            paths=paths,
            extra_environment={
                "PROBE_LOAD_BALANCER": zonal.load_balancer_full_name,
                "PROBE_ZONES": ",".join(zonal.availability_zones),
                "PROBE_METRIC_NAMESPACE": ZONE_NAMESPACE,
            },
        )
        canary.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ec2:DescribeNetworkInterfaces"], resources=["*"])
        )
        self.canaries[ZONAL_PROBE] = canary
        for az in zonal.availability_zones:
            self.zone_alarms[az] = self._zone_alarm(az, host=zonal.host, policy=policy)
        pairs = itertools.combinations(self.zone_alarms.values(), 2)
        self.zones_failing = cloudwatch.CompositeAlarm(
            self,
            "ZonesFailing",
            composite_alarm_name=f"{policy.name_prefix}-ProbeZonesFailing",
            alarm_description=(
                f"The probes of at least two AZs' load balancer nodes fail at once ({zonal.host}): more than one "
                "AZ shifted away can explain"
            ),
            alarm_rule=cloudwatch.AlarmRule.any_of(
                *(
                    cloudwatch.AlarmRule.all_of(
                        cloudwatch.AlarmRule.from_alarm(a, cloudwatch.AlarmState.ALARM),
                        cloudwatch.AlarmRule.from_alarm(b, cloudwatch.AlarmState.ALARM),
                    )
                    for a, b in pairs
                )
            ),
        )

    def _zone_alarm(self, az: str, *, host: str, policy: AlarmPolicy) -> cloudwatch.Alarm:
        """Fires when the probe of `az`'s node failed or was slow in 2 of the last 3 minutes; no actions of its own."""
        threshold_ms = policy.latency_p99_threshold_ms
        return cloudwatch.Alarm(
            self,
            f"ZoneFailing-{az}",
            alarm_name=f"{policy.name_prefix}-ProbeZoneFailing-{az}",
            alarm_description=(
                f"{az}: the probe of its load balancer node (https://{host}) failed, or took more than "
                f"{threshold_ms} ms, in 2 of the last 3 minutes"
            ),
            metric=cloudwatch.MathExpression(
                expression=f"(FILL(ok, 0) < 100) + (FILL(ms, 0) > {threshold_ms})",
                using_metrics={
                    "ok": zone_metric(ZONE_SUCCESS_METRIC, host=host, az=az, statistic="Minimum"),
                    "ms": zone_metric(ZONE_LATENCY_METRIC, host=host, az=az, statistic="Maximum"),
                },
                period=Duration.minutes(SCHEDULE_MINUTES),
                label=f"{az} probe failing",
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=PROBE_FAILURE.evaluation_periods,
            datapoints_to_alarm=PROBE_FAILURE.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )

    def _artifacts_bucket(self) -> s3.Bucket:
        """Where the canaries write their results: private, TLS-only, and emptied after ARTIFACTS_DAYS."""
        return s3.Bucket(
            self,
            "Artifacts",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(ARTIFACTS_DAYS), noncurrent_version_expiration=Duration.days(1)
                )
            ],
        )

    def _canary(
        self,
        probe_id: str,
        *,
        name: str,
        host: str,
        paths: Sequence[str],
        extra_environment: Mapping[str, str] | None = None,
    ) -> synthetics.Canary:
        """The canary that probes `host` every minute from outside, with a role of its own."""
        prefix = probe_id.lower()
        return synthetics.Canary(
            self,
            probe_id,
            canary_name=name,
            runtime=RUNTIME,
            test=synthetics.Test.custom(
                code=synthetics.Code.from_asset(str(CANARY_CODE), exclude=["**/__pycache__", "**/__init__.py"]),
                handler="probe_canary.handler",
            ),
            schedule=synthetics.Schedule.rate(Duration.minutes(SCHEDULE_MINUTES)),
            role=self._role(
                probe_id,
                prefix,
                [SYNTHETICS_NAMESPACE, ZONE_NAMESPACE] if extra_environment else [SYNTHETICS_NAMESPACE],
            ),
            artifacts_bucket_location=synthetics.ArtifactsBucketLocation(bucket=self.bucket, prefix=prefix),
            environment_variables={
                "PROBE_HOST": host,
                "PROBE_PATHS": ",".join(paths),
                "PROBE_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
                **(extra_environment or {}),
            },
            success_retention_period=Duration.days(7),
            failure_retention_period=Duration.days(ARTIFACTS_DAYS),
            start_after_creation=True,
        )

    def _failure_alarm(
        self, probe_id: str, *, name: str, host: str, paths: Sequence[str], policy: AlarmPolicy
    ) -> cloudwatch.Alarm:
        """Pages when the probe of `host` failed in 2 of the last 3 minutes, or stopped running."""
        alarm = cloudwatch.Alarm(
            self,
            f"{probe_id}Failing",
            alarm_name=f"{policy.name_prefix}-Probe{probe_id}Failing",
            alarm_description=(
                f"The synthetic probe of https://{host} failed in 2 of the last 3 minutes ({', '.join(paths)}): "
                "clients cannot get an answer, whatever the server-side metrics say"
            ),
            metric=cloudwatch.Metric(
                namespace=SYNTHETICS_NAMESPACE,
                metric_name="SuccessPercent",
                dimensions_map={"CanaryName": name},
                statistic="Average",
                period=Duration.minutes(SCHEDULE_MINUTES),
            ),
            threshold=100,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=PROBE_FAILURE.evaluation_periods,
            datapoints_to_alarm=PROBE_FAILURE.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        notify(alarm, policy.topic)
        return alarm

    def _role(self, probe_id: str, prefix: str, namespaces: list[str]) -> iam.Role:
        role = iam.Role(
            self,
            f"{probe_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the {prefix} synthetic probe: its results, its logs, its metrics, nothing else",
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(f"{prefix}/*")])
        )
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetBucketLocation"], resources=[self.bucket.bucket_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:ListAllMyBuckets"], resources=["*"]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                # Synthetics names the group after the canary; all of this product's canaries start with PRODUCT.
                resources=[
                    f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/lambda/cwsyn-{PRODUCT}-*"
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={
                    "StringEquals": {"cloudwatch:namespace": namespaces if len(namespaces) > 1 else namespaces[0]}
                },
            )
        )
        return role


def canary_name(prefix: str, probe_id: str) -> str:
    """Canary names are lower-case: `payment-failover-dev-service`."""
    return f"{prefix}-{probe_id}".lower()


def zone_metric(metric_name: str, *, host: str, az: str, statistic: str) -> cloudwatch.Metric:
    """One AZ's zonal-probe metric, as probe_canary.metric_data publishes it."""
    return cloudwatch.Metric(
        namespace=ZONE_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"Host": host, "AvailabilityZone": az},
        statistic=statistic,
        period=Duration.minutes(SCHEDULE_MINUTES),
        label=az,
    )


def monthly_runs(schedule_minutes: int = SCHEDULE_MINUTES) -> int:
    """Runs of one canary in a 30-day month at its schedule."""
    return 30 * 24 * 60 // schedule_minutes
