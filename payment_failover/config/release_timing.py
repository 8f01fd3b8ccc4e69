"""How long a zonal release of the service takes (R20), in one place: settings refuse a release that cannot finish
inside CloudFormation's wait, the delivery construct writes the bakes, and `make budget` prints the rows.

Pure arithmetic on settings. The rules it follows:
- CodeDeploy's zonal configuration deploys to one Availability Zone at a time and waits the first zone's monitor
  duration after the first AZ, the monitor duration after each further one
  (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ZonalConfig.html).
- The release waits inside a CloudFormation custom resource, whose operation times out after at most 3600 s
  (ServiceTimeout, 1-3600, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-customresource.html).
- In an in-place deployment behind a load balancer an instance first leaves the target group (BlockTraffic: the
  deregistration delay), then stops, installs, starts and validates, then rejoins it (AllowTraffic: it must pass
  the health check) (https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html).
"""

from __future__ import annotations

from dataclasses import dataclass

# CloudFormation's longest wait for a custom resource, and what the release keeps in reserve inside it: the
# provider's first poll (30 s) and the time CodeDeploy takes to queue and start a deployment.
CUSTOM_RESOURCE_MAX_SECONDS = 3600
RELEASE_RESERVE_SECONDS = 120
# Assumptions, not measured here (measure on the first real deployment): copying the revision through the S3
# gateway endpoint and running the install hooks; the service starting until /ready answers.
INSTALL_SECONDS = 30
START_SECONDS = 10
STOP_MARGIN_SECONDS = 5


@dataclass(frozen=True)
class ReleaseTiming:
    """A release of one revision, one AZ at a time, one instance per AZ at a time."""

    first_zone_bake_seconds: int
    zone_bake_seconds: int
    zones: int
    instances_per_zone: int
    drain_seconds: int
    seconds_to_mark_healthy: int

    @property
    def instance_seconds(self) -> int:
        """One instance: drained (deregistration delay), stopped within its stop timeout, installed, started,
        healthy again in the target group."""
        stop = self.drain_seconds + STOP_MARGIN_SECONDS
        return self.drain_seconds + stop + INSTALL_SECONDS + START_SECONDS + self.seconds_to_mark_healthy

    @property
    def zone_seconds(self) -> int:
        """One AZ: its instances one after another (at most one per AZ out of service at a time)."""
        return self.instances_per_zone * self.instance_seconds

    @property
    def bake_seconds(self) -> int:
        """Every wait under alarms: after the first AZ, and after each further one."""
        return self.first_zone_bake_seconds + (self.zones - 1) * self.zone_bake_seconds

    @property
    def release_seconds(self) -> int:
        """From the first instance leaving the target group to the last bake's end."""
        return self.zones * self.zone_seconds + self.bake_seconds

    @property
    def allowed_seconds(self) -> int:
        """What a release may take and still be reported to CloudFormation in time."""
        return CUSTOM_RESOURCE_MAX_SECONDS - RELEASE_RESERVE_SECONDS

    def instances_exposed(self, seconds_to_alarm: int) -> int:
        """Instances of the first AZ that run a bad version before an alarm that fires `seconds_to_alarm` after
        the first one serves it can stop the release: the one serving, and each next one started meanwhile."""
        return min(self.instances_per_zone, 1 + seconds_to_alarm // self.instance_seconds)
