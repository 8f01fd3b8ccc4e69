"""How long a new instance gets to prove itself healthy during a deployment (R16), in one place.

Pure arithmetic, shared by the compute construct (which writes the numbers into the user data and the
ASG's policies) and by `make budget` (which reads them back from the templates and checks them).

Sources for the rules the numbers must satisfy:
- With ``WaitOnResourceSignals``, ``PauseTime`` is how long CloudFormation waits for the signals of a batch;
  when it runs out first the update fails and rolls back, and its maximum is one hour (``PT1H``):
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html
- A failure signal makes CloudFormation fail the update at once instead of waiting out the timeout:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_SignalResource.html
- A target becomes healthy after HealthyThresholdCount consecutive passing checks, one every
  HealthCheckIntervalSeconds (HealthyThresholdCount in the health-check settings table):
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Assumption (also used by the failover budget): launch, AL2023 boot and user data until the health service
# has been started: 90 s, plus 30 s for installing rsyslog, logrotate and the CloudWatch agent from the AL2023
# repository of the region (runtime/ship_logs.sh). Not measured here: measure on the first real deployment.
BOOT_SECONDS = 120
# How long user data waits for /health to answer at all: on a new instance CodeDeploy first deploys the group's
# last good release through its launch hook (agent poll, copy through the S3 gateway endpoint, hooks, the
# service's start); the service itself needs a second or two. Assumed, not measured here.
SERVICE_START_SECONDS = 120
# Head room between the instance's own verdict (a failure signal at its deadline) and CloudFormation's
# timeout, so a broken instance is reported by its failure signal, not by the timeout.
SIGNAL_MARGIN_SECONDS = 60
MAX_PAUSE_SECONDS = 3600


@dataclass(frozen=True)
class RolloutTiming:
    """Signal deadline and PauseTime derived from the target group's health-check timing."""

    health_check_interval_seconds: int
    healthy_threshold: int
    boot_seconds: int = BOOT_SECONDS
    service_start_seconds: int = SERVICE_START_SECONDS
    margin_seconds: int = SIGNAL_MARGIN_SECONDS

    @property
    def settle_seconds(self) -> int:
        """/health must answer 200 this long before success is signalled: what the ALB needs to mark it healthy."""
        return self.health_check_interval_seconds * self.healthy_threshold

    @property
    def load_balancer_confirm_seconds(self) -> int:
        """After /health has held on loopback, how long the deploy gate may still wait for the load balancer.

        The ALB's checks run on their own schedule from registration on, and a target that failed checks while
        it booted needs HealthyThresholdCount passing checks in a row: at most interval x threshold once the
        service answers. Usually the ALB has counted them during the settle time already.
        """
        return self.health_check_interval_seconds * self.healthy_threshold

    @property
    def signal_deadline_seconds(self) -> int:
        """The user data signals failure unless /health held for settle_seconds and the ALB then called the
        target healthy by this time."""
        return self.service_start_seconds + self.settle_seconds + self.load_balancer_confirm_seconds

    @property
    def time_to_healthy_seconds(self) -> int:
        """From launch until the load balancer may mark the instance healthy."""
        return self.boot_seconds + self.settle_seconds

    @property
    def pause_seconds(self) -> int:
        """CloudFormation's wait for a batch's signals (and for the creation signals)."""
        pause = self.boot_seconds + self.signal_deadline_seconds + self.margin_seconds
        if pause > MAX_PAUSE_SECONDS:
            raise ValueError(f"a {pause} s signal timeout exceeds CloudFormation's maximum PauseTime of 1 hour")
        return pause


def iso_duration(seconds: int) -> str:
    """PT#M#S as CloudFormation's PauseTime and Timeout expect it."""
    minutes, rest = divmod(seconds, 60)
    return "PT" + (f"{minutes}M" if minutes else "") + (f"{rest}S" if rest or not minutes else "")


def parse_iso_duration(text: str) -> int:
    """Seconds in a PT#H#M#S duration (the subset CloudFormation's PauseTime accepts)."""
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text)
    if not match or text == "PT":
        raise ValueError(f"{text!r} is not an ISO 8601 duration of the form PT#H#M#S")
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds
