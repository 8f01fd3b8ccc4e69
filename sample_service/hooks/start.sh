#!/bin/bash
# ApplicationStart: start the new revision. restart, not start: a unit left running (a hook that failed earlier in a
# redeployment) must run the new files too.
set -euo pipefail
unit="${PAYMENT_SERVICE_UNIT:-payment-health.service}"
systemctl restart "$unit"
