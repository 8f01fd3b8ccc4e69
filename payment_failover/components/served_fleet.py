"""What the observability and resilience constructs know of the fleet: one value object instead of ten arguments.

The stack builds the fleet and its load balancer, then hands every watcher (alarms, gray-failure detectors,
dashboard) and every actor (drills, zonal autoshift) the same description of what serves clients, and the
same paging policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_sns as sns

from payment_failover.components.observability.metrics import WebTierMetrics


@dataclass(frozen=True)
class ServedFleet:
    """The fleet and its endpoint in one region: where it runs, its capacity floor, and how it is measured."""

    availability_zones: tuple[str, ...]
    min_capacity: int
    metrics: WebTierMetrics
    load_balancer_arn: str
    auto_scaling_group_name: str
    auto_scaling_group_arn: str

    @property
    def shiftable_resources(self) -> dict[str, str]:
        """The two resources a zonal shift must move together, the ALB and the ASG (failure 15)."""
        return {"LoadBalancer": self.load_balancer_arn, "AutoScalingGroup": self.auto_scaling_group_arn}


@dataclass(frozen=True)
class Objectives:
    """The service level objectives over 30 days (R21): availability in percent of requests without a 5xx, and
    `latency_percent` of requests answered within `latency_ms`."""

    availability_percent: float
    latency_ms: int
    latency_percent: float


@dataclass(frozen=True)
class AlarmPolicy:
    """How alarms are judged and where they go: the thresholds and objectives of the settings, the topic, the name
    prefix."""

    error_rate_percent: int
    latency_p99_threshold_ms: int
    topic: sns.ITopic
    name_prefix: str
    objectives: Objectives
