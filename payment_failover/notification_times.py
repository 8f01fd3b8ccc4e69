"""Expected time from a failure to the on-call e-mail, computed from the numbers that build the alarms.

`python -m payment_failover.notification_times` prints the README's table for the given settings;
a test keeps the README equal to this output, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from payment_failover.components import alarms
from payment_failover.components.load_balancer import HealthCheckTiming
from payment_failover.settings import ConfigError, Settings, load_settings


@dataclass(frozen=True)
class NotificationTime:
    alarm: str
    fires_when: str
    seconds: int
    how: str


def notification_times(settings: Settings) -> list[NotificationTime]:
    tg = HealthCheckTiming(interval_seconds=settings.health_check_interval_seconds)
    detect = tg.seconds_to_mark_unhealthy
    dns_detect = settings.dns_health_check_interval_seconds * settings.dns_failure_threshold
    per_az, unhealthy = alarms.PER_AZ_HEALTHY.seconds_to_fire, alarms.UNHEALTHY_HOSTS.seconds_to_fire
    dns_alarm = alarms.DNS_HEALTH.seconds_to_fire
    return [
        NotificationTime(
            "HealthyHosts-<az> (one per AZ)",
            f"an AZ has fewer than {alarms.MIN_HEALTHY_PER_AZ} healthy targets",
            detect + per_az,
            f"{tg.interval_seconds} s x {tg.unhealthy_threshold} failed checks + {per_az} s (1 period)",
        ),
        NotificationTime(
            "ASG launch/terminate notification",
            "the ASG replaces an instance the ALB marked unhealthy",
            detect,
            f"{tg.interval_seconds} s x {tg.unhealthy_threshold} failed checks, then the ASG acts at once",
        ),
        NotificationTime(
            "DnsHealthCheckFailed (us-east-1)",
            "Route 53 cannot get 200 from https://<domain>/health",
            dns_detect + dns_alarm,
            f"{settings.dns_health_check_interval_seconds} s x {settings.dns_failure_threshold} failures"
            f" + {dns_alarm} s (1 period)",
        ),
        NotificationTime(
            "UnhealthyHosts",
            "any target fails health checks",
            detect + unhealthy,
            f"{detect} s to mark unhealthy + {unhealthy} s (2 periods)",
        ),
        NotificationTime(
            "Alb5xxRate / Target5xxRate",
            f"more than {settings.error_rate_percent} % of requests get a 5xx",
            alarms.ERROR_RATE.seconds_to_fire,
            "2 periods of 60 s",
        ),
        NotificationTime(
            "LatencyP99",
            f"p99 response time above {settings.latency_p99_threshold_ms} ms",
            alarms.LATENCY.seconds_to_fire,
            "3 periods of 60 s",
        ),
        NotificationTime(
            "InServiceBelowMinimum",
            f"fewer than {settings.min_capacity} instances in service",
            alarms.IN_SERVICE.seconds_to_fire,
            "5 periods of 60 s: replacement is not keeping up",
        ),
    ]


def markdown_table(settings: Settings) -> str:
    rows = [
        "| alarm | fires when | failure → e-mail | from |",
        "|---|---|---|---|",
    ]
    rows += [f"| {t.alarm} | {t.fires_when} | ≈ {t.seconds} s | {t.how} |" for t in notification_times(settings)]
    return "\n".join(rows)


def main() -> int:
    try:
        settings = load_settings({}, os.environ)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    print(markdown_table(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
