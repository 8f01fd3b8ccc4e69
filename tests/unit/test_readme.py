"""The README's figures and tables come from the code: these tests keep them from drifting."""

from __future__ import annotations

import re
from pathlib import Path

from payment_failover.notification_times import markdown_table, notification_times
from payment_failover.settings import context_keys
from tests.support import settings_from

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_notification_table_is_the_modules_output_for_the_defaults() -> None:
    block = re.search(r"<!-- notification-times:start -->\n(.*?)\n<!-- notification-times:end -->", README, re.S)
    assert block is not None
    assert block.group(1) == markdown_table(settings_from())


def test_readme_documents_every_configuration_key() -> None:
    for key in context_keys():
        assert f"| `{key}` |" in README, f"{key} is missing from the README's configuration table"


def test_notification_times_follow_the_configured_intervals() -> None:
    """Halving the target-group interval halves the detection part of the per-AZ alarm's delay."""
    default = {t.alarm: t.seconds for t in notification_times(settings_from())}
    fast = {
        t.alarm: t.seconds
        for t in notification_times(settings_from({"healthCheckIntervalSeconds": "15", "dnsFailureThreshold": "1"}))
    }
    assert default["HealthyHosts-<az> (one per AZ)"] == 2 * 30 + 60
    assert fast["HealthyHosts-<az> (one per AZ)"] == 2 * 15 + 60
    assert fast["DnsHealthCheckFailed (us-east-1)"] == 10 * 1 + 60
    assert default["ASG launch/terminate notification"] <= 120, "R5: replacement launched within 2 minutes"
