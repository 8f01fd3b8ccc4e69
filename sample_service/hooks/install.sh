#!/bin/bash
# AfterInstall: make systemd read the unit CodeDeploy just copied and start it on every boot.
set -euo pipefail
unit="${PAYMENT_SERVICE_UNIT:-payment-health.service}"
systemctl daemon-reload
systemctl enable "$unit"
