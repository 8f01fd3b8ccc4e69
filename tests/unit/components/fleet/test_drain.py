"""One drain setting, every drain timeout (R20): deregistration delay, the service's stop, the termination hook."""

from __future__ import annotations

import pytest

from payment_failover.components.fleet.drain import DrainTiming


def test_the_deregistration_delay_and_the_services_own_drain_are_the_drain_setting() -> None:
    timing = DrainTiming(drain_seconds=45)
    assert (timing.deregistration_delay_seconds, timing.service_drain_seconds) == (45, 45)


def test_systemd_waits_longer_than_the_service_drains_so_the_service_ends_by_itself() -> None:
    timing = DrainTiming(drain_seconds=45)
    assert timing.stop_timeout_seconds > timing.service_drain_seconds


def test_the_hook_outlasts_one_metadata_poll_plus_the_whole_stop() -> None:
    """Auto Scaling ends the wait with the default result when the heartbeat timeout runs out
    (completing-lifecycle-hooks page): it must not run out while the service still drains."""
    timing = DrainTiming(drain_seconds=45)
    assert timing.hook_timeout_seconds >= 5 + timing.stop_timeout_seconds


@pytest.mark.parametrize("drain", [1, 30, 3600])
def test_the_hook_timeout_stays_within_what_auto_scaling_accepts(drain: int) -> None:
    """HeartbeatTimeout is 30-7200 s (PutLifecycleHook API)."""
    assert 30 <= DrainTiming(drain_seconds=drain).hook_timeout_seconds <= 7200


@pytest.mark.parametrize("drain", [0, 3601])
def test_a_drain_outside_the_deregistration_delays_range_is_refused(drain: int) -> None:
    """deregistration_delay.timeout_seconds is 0-3600 s (TargetGroupAttribute API)."""
    with pytest.raises(ValueError, match="drain_seconds"):
        DrainTiming(drain_seconds=drain)
