#!/bin/bash
# ApplicationStop: stop the running service before the new files replace it (R20).
# By the time this runs CodeDeploy has taken the instance out of the target group and let the load balancer drain
# it (BlockTraffic). systemctl stop sends SIGTERM; the service finishes what it accepted within its drain time, and
# systemd waits TimeoutStopSec (the tier's drop-in) before it would kill it. On an instance that never had the
# service (its first deployment) there is nothing to stop.
set -euo pipefail
unit="${PAYMENT_SERVICE_UNIT:-payment-health.service}"
if systemctl cat "$unit" >/dev/null 2>&1; then
  systemctl stop "$unit"
fi
