"""How long a stopping instance gets for its requests in flight (R20), derived from one setting, `drainSeconds`.

Pure arithmetic, shared by the load balancer (deregistration delay), the instances (the service's own drain and
systemd's stop timeout) and the termination lifecycle hook (its heartbeat timeout), so the three cannot drift.

The order AWS gives them: Auto Scaling deregisters a terminating instance from the load balancer first, the
load balancer drains its connections for at most the deregistration delay, and only then does the termination
lifecycle hook hold the instance in ``Terminating:Wait``
(https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html). During that wait the
instance sees its target lifecycle state turn to ``Terminated`` in instance metadata
(https://docs.aws.amazon.com/autoscaling/ec2/userguide/retrieving-target-lifecycle-state-through-imds.html), stops
the service, and completes the lifecycle action; when it cannot, the hook's timeout ends the wait with its
default result (https://docs.aws.amazon.com/autoscaling/ec2/userguide/completing-lifecycle-hooks.html).

Limits: the deregistration delay is 0-3600 s
(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html) and a
lifecycle hook's heartbeat timeout 30-7200 s
(https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html).
"""

from __future__ import annotations

from dataclasses import dataclass

# How often the instance reads its target lifecycle state from instance metadata.
LIFECYCLE_POLL_SECONDS = 5
# systemd's stop timeout exceeds the service's own drain by this much, so the service ends by itself, not by SIGKILL.
STOP_MARGIN_SECONDS = 5
# Time for one poll to notice the state, systemd to report the stop, and the CompleteLifecycleAction call.
HOOK_MARGIN_SECONDS = 30
MIN_HEARTBEAT_SECONDS = 30
MAX_HEARTBEAT_SECONDS = 7200
MAX_DEREGISTRATION_SECONDS = 3600


@dataclass(frozen=True)
class DrainTiming:
    """Every drain-related timeout of the tier, from the longest request the service answers."""

    drain_seconds: int

    def __post_init__(self) -> None:
        if not 1 <= self.drain_seconds <= MAX_DEREGISTRATION_SECONDS:
            raise ValueError(f"drain_seconds must be 1-{MAX_DEREGISTRATION_SECONDS}, got {self.drain_seconds}")

    @property
    def deregistration_delay_seconds(self) -> int:
        """The load balancer lets requests in flight finish for this long before the instance leaves it."""
        return self.drain_seconds

    @property
    def service_drain_seconds(self) -> int:
        """After SIGTERM the service waits this long for requests it already accepted (SERVICE_DRAIN_SECONDS)."""
        return self.drain_seconds

    @property
    def stop_timeout_seconds(self) -> int:
        """systemd's TimeoutStopSec: after this, systemd kills what is left."""
        return self.service_drain_seconds + STOP_MARGIN_SECONDS

    @property
    def hook_timeout_seconds(self) -> int:
        """The termination hook's heartbeat timeout: the whole stop on the instance, plus noticing and reporting it."""
        timeout = max(MIN_HEARTBEAT_SECONDS, LIFECYCLE_POLL_SECONDS + self.stop_timeout_seconds + HOOK_MARGIN_SECONDS)
        if timeout > MAX_HEARTBEAT_SECONDS:
            raise ValueError(f"a {timeout} s lifecycle hook timeout exceeds Auto Scaling's {MAX_HEARTBEAT_SECONDS} s")
        return timeout

    @property
    def longest_stop_seconds(self) -> int:
        """From the start of deregistration to the instance's termination, when every wait runs to its end."""
        return self.deregistration_delay_seconds + self.hook_timeout_seconds
