"""Synthetic probes (R21): the service seen from outside, every minute, with or without client traffic.

One CloudWatch Synthetics canary per name clients use — the service's name and this region's own name — runs the
probe of runtime/canary/python/probe_canary.py: HTTPS on 443 with the name as SNI and Host, every path 200 within
the timeout. Canaries "monitor your endpoints and APIs from the outside-in"
(https://docs.aws.amazon.com/AmazonSynthetics/latest/APIReference/Welcome.html); they run outside the VPC, so a probe
reaches the service as a client does: public DNS, TLS, the web ACL, the listener.

Each canary publishes `SuccessPercent` in the `CloudWatchSynthetics` namespace with the `CanaryName` dimension
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_metrics.html); its
alarm fires when 2 of the last 3 minutes had a failed run, and treats missing data as breaching: a probe that stopped
running proves nothing.

The role is the documented minimum for a canary without KMS or VPC access
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_CanaryPermissions.html):
trust `lambda.amazonaws.com`; write results under this canary's prefix of its bucket, read the bucket's location;
list buckets; write its own log groups `/aws/lambda/cwsyn-<name>-*`; put metrics in `CloudWatchSynthetics` only.
The artifacts bucket is encrypted (SSE-S3), blocks public access, refuses anything but TLS, and expires what the
canaries write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
PRODUCT = "payment-failover"


class SyntheticProbes(Construct):
    """`self.canaries[probe]` and `self.alarms[probe]`, one per name in `targets` (probe id → host name)."""

    def __init__(
        self, scope: Construct, id_: str, *, policy: AlarmPolicy, targets: Mapping[str, str], paths: Sequence[str]
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = self._artifacts_bucket()
        self.canaries: dict[str, synthetics.Canary] = {}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for probe_id, host in targets.items():
            name = canary_name(policy.name_prefix, probe_id)
            self.canaries[probe_id] = self._canary(probe_id, name=name, host=host, paths=paths)
            self.alarms[probe_id] = self._failure_alarm(probe_id, name=name, host=host, paths=paths, policy=policy)

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

    def _canary(self, probe_id: str, *, name: str, host: str, paths: Sequence[str]) -> synthetics.Canary:
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
            role=self._role(probe_id, prefix),
            artifacts_bucket_location=synthetics.ArtifactsBucketLocation(bucket=self.bucket, prefix=prefix),
            environment_variables={
                "PROBE_HOST": host,
                "PROBE_PATHS": ",".join(paths),
                "PROBE_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
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

    def _role(self, probe_id: str, prefix: str) -> iam.Role:
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
                conditions={"StringEquals": {"cloudwatch:namespace": SYNTHETICS_NAMESPACE}},
            )
        )
        return role


def canary_name(prefix: str, probe_id: str) -> str:
    """Canary names are lower-case: `payment-failover-dev-service`."""
    return f"{prefix}-{probe_id}".lower()


def monthly_runs(schedule_minutes: int = SCHEDULE_MINUTES) -> int:
    """Runs of one canary in a 30-day month at its schedule."""
    return 30 * 24 * 60 // schedule_minutes
