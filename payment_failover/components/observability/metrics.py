"""CloudWatch metrics of the web tier, each carrying every dimension it needs to show data.

Alarms and the dashboard both draw from here, so a widget can never lose the TargetGroup or
LoadBalancer dimension that its alarm has (seed failures 4 and 6). Dimension values are the
`*_full_name` attributes, never ARNs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

PERIOD = Duration.seconds(60)
ALB_NAMESPACE = "AWS/ApplicationELB"
ASG_NAMESPACE = "AWS/AutoScaling"


@dataclass(frozen=True)
class WebTierMetrics:
    load_balancer: elbv2.ApplicationLoadBalancer
    target_group: elbv2.ApplicationTargetGroup
    auto_scaling_group: autoscaling.IAutoScalingGroup

    def load_balancer_metric(self, name: str, *, statistic: str = "Sum", label: str | None = None) -> cloudwatch.Metric:
        """A metric of the load balancer as a whole (e.g. its own 5xx)."""
        return self._alb(name, {"LoadBalancer": self.load_balancer.load_balancer_full_name}, statistic, label)

    def target_metric(
        self, name: str, *, statistic: str = "Sum", availability_zone: str | None = None, label: str | None = None
    ) -> cloudwatch.Metric:
        """A metric of the target group behind this load balancer, optionally in one AZ."""
        dimensions = {
            "TargetGroup": self.target_group.target_group_full_name,
            "LoadBalancer": self.load_balancer.load_balancer_full_name,
        }
        if availability_zone is not None:
            dimensions["AvailabilityZone"] = availability_zone
        return self._alb(name, dimensions, statistic, label)

    def group_metric(self, name: str, *, statistic: str, label: str | None = None) -> cloudwatch.Metric:
        """An Auto Scaling group metric (needs the group metrics enabled on the ASG)."""
        return cloudwatch.Metric(
            namespace=ASG_NAMESPACE,
            metric_name=name,
            dimensions_map={"AutoScalingGroupName": self.auto_scaling_group.auto_scaling_group_name},
            statistic=statistic,
            period=PERIOD,
            label=label,
        )

    def load_balancer_5xx_rate(self) -> cloudwatch.MathExpression:
        """Share of client requests answered with an ELB 5xx, which stays visible in a total outage.

        RequestCount counts only requests for which a target could be chosen, so the 503s the ALB sends
        when no target is healthy are not in it; they are added back to the denominator. A 502 or 504
        for a request that did reach a target is then counted twice below the line: the rate can read
        low by at most half (every request failing reads 50 %), never 0 % while clients see errors.
        """
        return _error_rate(
            "alb",
            self.load_balancer_metric("HTTPCode_ELB_5XX_Count"),
            self.load_balancer_metric("RequestCount"),
            "ALB 5xx %",
            errors_are_outside_requests=True,
        )

    def target_5xx_rate(self) -> cloudwatch.MathExpression:
        """Share of requests that reached an instance and got a 5xx from it."""
        return _error_rate(
            "target",
            self.target_metric("HTTPCode_Target_5XX_Count"),
            self.target_metric("RequestCount"),
            "Target 5xx %",
            errors_are_outside_requests=False,
        )

    def az_error_rate(self, availability_zone: str) -> cloudwatch.MathExpression:
        """Share of the requests taken in one AZ that got a 5xx, from the ELB or from a target (gray failure).

        Same shape as the regional ALB rate: ELB 5xx are added to the denominator because RequestCount
        leaves out requests no target could take.
        """
        key = _az_key(availability_zone)
        using = self._az_error_metrics(availability_zone)
        using[f"{key}_requests"] = self._alb(
            "RequestCount",
            {"LoadBalancer": self.load_balancer.load_balancer_full_name, "AvailabilityZone": availability_zone},
            "Sum",
            None,
        )
        errors = _az_errors(key)
        return cloudwatch.MathExpression(
            expression=f"100 * {errors} / (FILL({key}_requests, 0) + FILL({key}_elb, 0))",
            using_metrics=using,
            label=f"{availability_zone} 5xx %",
            period=PERIOD,
        )

    def az_error_share(self, availability_zone: str, availability_zones: Sequence[str]) -> cloudwatch.MathExpression:
        """The percentage of the region's 5xx (ELB and target) that one AZ accounts for; 0/0 without errors."""
        using: dict[str, cloudwatch.IMetric] = {}
        for az in availability_zones:
            using.update(self._az_error_metrics(az))
        total = " + ".join(_az_errors(_az_key(az)) for az in availability_zones)
        return cloudwatch.MathExpression(
            expression=f"100 * {_az_errors(_az_key(availability_zone))} / ({total})",
            using_metrics=using,
            label=f"{availability_zone} share of 5xx %",
            period=PERIOD,
        )

    def az_latency(self, availability_zone: str, *, statistic: str = "p99") -> cloudwatch.Metric:
        """Target response time of the targets seen through one AZ's dimension."""
        return self.target_metric(
            "TargetResponseTime", statistic=statistic, availability_zone=availability_zone, label=availability_zone
        )

    def _az_error_metrics(self, availability_zone: str) -> dict[str, cloudwatch.IMetric]:
        key = _az_key(availability_zone)
        return {
            f"{key}_elb": self._alb(
                "HTTPCode_ELB_5XX_Count",
                {"LoadBalancer": self.load_balancer.load_balancer_full_name, "AvailabilityZone": availability_zone},
                "Sum",
                None,
            ),
            f"{key}_target": self.target_metric("HTTPCode_Target_5XX_Count", availability_zone=availability_zone),
        }

    @staticmethod
    def _alb(name: str, dimensions: dict[str, str], statistic: str, label: str | None) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=ALB_NAMESPACE,
            metric_name=name,
            dimensions_map=dimensions,
            statistic=statistic,
            period=PERIOD,
            label=label,
        )


def _error_rate(
    source: str,
    errors: cloudwatch.Metric,
    requests: cloudwatch.Metric,
    label: str,
    *,
    errors_are_outside_requests: bool,
) -> cloudwatch.MathExpression:
    """5xx responses as a percentage, in CloudWatch metric math.

    ELB publishes a count metric only for minutes in which it is non-zero, so FILL(..., 0) turns an
    absent count into 0 before the arithmetic. A minute without any traffic divides 0 by 0, and
    CloudWatch drops a datapoint that divides by zero: the alarm sees missing data, not a 0 % that
    could hide an outage (tests/helpers/cloudwatch_model.py evaluates these expressions).
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html

    The ids carry the source so two rates can share one graph.
    """
    e, r = f"{source}_errors", f"{source}_requests"
    filled_errors, filled_requests = f"FILL({e}, 0)", f"FILL({r}, 0)"
    denominator = f"({filled_requests} + {filled_errors})" if errors_are_outside_requests else filled_requests
    return cloudwatch.MathExpression(
        expression=f"100 * {filled_errors} / {denominator}",
        using_metrics={e: errors, r: requests},
        label=label,
        period=PERIOD,
    )


def _az_key(availability_zone: str) -> str:
    """A metric-math id prefix for an AZ: its letter (metric ids must start with a lower-case letter)."""
    return "az" + availability_zone[-1]


def _az_errors(key: str) -> str:
    return f"(FILL({key}_elb, 0) + FILL({key}_target, 0))"
