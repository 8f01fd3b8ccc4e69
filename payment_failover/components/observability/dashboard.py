"""Failover dashboard (R10): built only from Metric objects, so CloudWatch gets the flat array format.

What clients see (R21): the synthetic probes' success and latency, per name and per AZ's load balancer node, then the
SLO burn rates against the tiers' thresholds and the error budget left over the last 30 days. That last widget shows
one value per objective computed over its own 30-day range: a single-value widget's `start` is "the start of the time
range to use for each widget independently from those of the dashboard" and `setPeriodToTimeRange` shows "the value
from the entire time range" (https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_cloudwatch/SingleValueWidget.html).

The Route 53 health checks are global resources in the global DNS stack, whose own dashboard shows them
(stacks/global_dns_stack.py): a widget here would need their ids across regions.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from payment_failover.components.edge.web_firewall import BLOCKED_SPIKE_THRESHOLD, WebFirewall
from payment_failover.components.observability.alarms import MIN_HEALTHY_PER_AZ
from payment_failover.components.observability.metrics import WebTierMetrics
from payment_failover.components.observability.probes import SyntheticProbes
from payment_failover.components.observability.slo import FAST_BURN, SLOW_BURN, BurnRateAlarms
from payment_failover.components.served_fleet import ServedFleet

WIDTH = 8


class FailoverDashboard(Construct):
    """The failover state of every AZ at a glance, then traffic, errors and alarm states."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        dashboard_name: str,
        fleet: ServedFleet,
        alarms: Sequence[cloudwatch.IAlarm],
        firewall: WebFirewall,
        probes: SyntheticProbes,
        slo: BurnRateAlarms,
    ) -> None:
        super().__init__(scope, id_)
        metrics, availability_zones = fleet.metrics, fleet.availability_zones
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        self._capacity_row(metrics, availability_zones)
        self._traffic_row(metrics)
        self._per_az_row(metrics, availability_zones)
        self._client_view_row(probes, slo)
        self._firewall_row(firewall)
        self._alarm_status_row(alarms)

    def _capacity_row(self, metrics: WebTierMetrics, availability_zones: tuple[str, ...]) -> None:
        """Healthy hosts per AZ and the group's capacity: the failover state of every AZ at a glance."""
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Healthy hosts per AZ (alarm below 2)",
                width=WIDTH,
                left=[
                    metrics.target_metric("HealthyHostCount", availability_zone=az, statistic="Minimum", label=az)
                    for az in availability_zones
                ],
                left_annotations=[cloudwatch.HorizontalAnnotation(value=MIN_HEALTHY_PER_AZ, label="minimum per AZ")],
                left_y_axis=cloudwatch.YAxisProps(min=0),
            ),
            cloudwatch.GraphWidget(
                title="ASG desired vs in service",
                width=WIDTH,
                left=[
                    metrics.group_metric("GroupDesiredCapacity", statistic="Average", label="desired"),
                    metrics.group_metric("GroupInServiceInstances", statistic="Minimum", label="in service"),
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0),
            ),
        )

    def _traffic_row(self, metrics: WebTierMetrics) -> None:
        """Requests, response times and 5xx rates: what clients experience."""
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Requests", width=WIDTH, left=[metrics.load_balancer_metric("RequestCount", label="Requests")]
            ),
            cloudwatch.GraphWidget(
                title="Target response time",
                width=WIDTH,
                left=[
                    metrics.target_metric("TargetResponseTime", statistic="p50", label="p50"),
                    metrics.target_metric("TargetResponseTime", statistic="p99", label="p99"),
                ],
            ),
            cloudwatch.GraphWidget(
                title="5xx responses (%)",
                width=WIDTH,
                left=[metrics.load_balancer_5xx_rate(), metrics.target_5xx_rate()],
            ),
        )

    def _per_az_row(self, metrics: WebTierMetrics, availability_zones: tuple[str, ...]) -> None:
        """Errors and latency of each AZ against its peers: a gray failure that the totals hide."""
        # Gray failure (R17): one AZ against its peers, the signals of the AzOutlier-<az> alarms.
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="5xx % per AZ (ELB and targets)",
                width=WIDTH,
                left=[metrics.az_error_rate(az) for az in availability_zones],
                left_y_axis=cloudwatch.YAxisProps(min=0),
            ),
            cloudwatch.GraphWidget(
                title="p99 target response time per AZ",
                width=WIDTH,
                left=[metrics.az_latency(az) for az in availability_zones],
                left_y_axis=cloudwatch.YAxisProps(min=0),
            ),
            cloudwatch.GraphWidget(
                title="Anomalous and mitigated targets (automatic target weights)",
                width=WIDTH,
                left=[
                    metrics.target_metric("AnomalousHostCount", statistic="Maximum", label="anomalous"),
                    metrics.target_metric("MitigatedHostCount", statistic="Maximum", label="mitigated"),
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0),
            ),
        )

    def _client_view_row(self, probes: SyntheticProbes, slo: BurnRateAlarms) -> None:
        """The probes per name and per AZ, the error budget left, and each tier's burn rates (R21)."""
        objectives = slo.objectives
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Probe success % (service, region, each AZ's node)",
                width=WIDTH,
                left=list(probes.success_metrics()),
                left_y_axis=cloudwatch.YAxisProps(min=0, max=100),
            ),
            cloudwatch.GraphWidget(
                title="Probe latency ms (run duration; each AZ's slower request)",
                width=WIDTH,
                left=list(probes.latency_metrics()),
                left_y_axis=cloudwatch.YAxisProps(min=0),
            ),
            cloudwatch.SingleValueWidget(
                title=(
                    f"Error budget left, last 30 days (availability {objectives.availability_percent} %, "
                    f"{objectives.latency_percent} % within {objectives.latency_ms} ms)"
                ),
                width=WIDTH,
                metrics=list(slo.budget_left()),
                start="-P30D",
                set_period_to_time_range=True,
            ),
        )
        # One widget per tier: the availability windows of both tiers share their metric ids.
        self.dashboard.add_widgets(
            *(
                cloudwatch.GraphWidget(
                    title=f"SLO burn rate over {tier.long_minutes // 60} h ({tier.name} at {tier.burn_rate:g})",
                    width=3 * WIDTH // 2,
                    left=[slo.burn_rates[f"{kind}{tier.long_minutes}"] for kind in ("Availability", "Latency")],
                    left_annotations=[cloudwatch.HorizontalAnnotation(value=tier.burn_rate, label=tier.name)],
                    left_y_axis=cloudwatch.YAxisProps(min=0),
                )
                for tier in (FAST_BURN, SLOW_BURN)
            )
        )

    def _firewall_row(self, firewall: WebFirewall) -> None:
        """AWS WAF's allowed, blocked and counted requests: an attack or a wrongly blocking rule shows here."""
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="AWS WAF requests per 5 minutes (alarm above the line)",
                width=3 * WIDTH,
                left=[
                    firewall.metric("AllowedRequests", label="allowed"),
                    firewall.metric("BlockedRequests", label="blocked"),
                    firewall.metric("CountedRequests", label="counted (rules in count mode)"),
                ],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=BLOCKED_SPIKE_THRESHOLD, label="blocked spike")
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0),
            )
        )

    def _alarm_status_row(self, alarms: Sequence[cloudwatch.IAlarm]) -> None:
        """Every failover alarm's state in one widget: what is firing right now."""
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Failover alarms", width=3 * WIDTH, alarms=list(alarms))
        )
