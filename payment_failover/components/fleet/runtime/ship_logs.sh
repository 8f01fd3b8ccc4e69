#!/bin/bash
# Part of the payment instances' user data (R19; PCI DSS v4.0.1 10.2, 10.3, 10.5.1): what happens on an instance
# must outlive the instance, which Auto Scaling replaces whenever it fails a health check.
#
# AL2023 keeps its logs in the systemd journal only and no longer installs rsyslog, so there is no
# /var/log/messages or /var/log/secure until rsyslog is installed
# (AL2023 user guide, https://docs.aws.amazon.com/linux/al2023/ug/journald.html, as reported with a check on an
# AL2023 instance by https://dev.classmethod.jp/articles/ec2-al2023-systemd-journald-default-settings). This script installs rsyslog, routes the health
# service's lines (syslog identifier payment-health) to a file of their own, and starts the CloudWatch agent with
# the configuration CDK rendered, which ships the system log, the authentication log and the health service's log
# to their KMS-encrypted log groups (the agent's `logs.logs_collected.files` section:
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html).
#
# Any failure exits non-zero, so the user data's ERR trap signals failure to CloudFormation: an instance whose
# logs would not leave it never joins the fleet.
#
# Usage: ship_logs.sh --agent-config FILE [--root DIR]
#   --root prefixes every path the script writes (tests run it against a scratch directory and stub commands).
set -euo pipefail

config="" root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --agent-config) config="$2"; shift 2 ;;
    --root) root="$2"; shift 2 ;;
    *) echo "ship_logs: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$config" ] || [ ! -s "$config" ]; then
  echo "ship_logs: --agent-config must name the rendered CloudWatch agent configuration" >&2
  exit 2
fi

HEALTH_LOG=/var/log/payment-health.log
AGENT_CONFIG=/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json
# The agent's control script lives outside PATH; anything earlier on PATH wins (tests put a stub there).
PATH="$PATH:/opt/aws/amazon-cloudwatch-agent/bin"

log() { echo "ship_logs: $*" >&2; }

log "installing rsyslog, logrotate and the CloudWatch agent"
dnf -y -q install rsyslog logrotate amazon-cloudwatch-agent

install -d -m 0755 "$root/etc/rsyslog.d" "$root/etc/logrotate.d" "$(dirname "$root$AGENT_CONFIG")"
cat > "$root/etc/rsyslog.d/20-payment-health.conf" <<EOF
# The health service's lines go to their own file and log group, and not also to /var/log/messages.
if \$programname == 'payment-health' then {
    action(type="omfile" file="$HEALTH_LOG")
    stop
}
EOF
cat > "$root/etc/logrotate.d/payment-health" <<EOF
$HEALTH_LOG {
    daily
    rotate 7
    compress
    delaycompress
    missingok
    notifempty
    postrotate
        /usr/bin/systemctl kill -s HUP rsyslog.service >/dev/null 2>&1 || true
    endscript
}
EOF
systemctl enable --now rsyslog.service

install -m 0644 "$config" "$root$AGENT_CONFIG"
log "starting the CloudWatch agent"
amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:$root$AGENT_CONFIG"
systemctl is-active --quiet amazon-cloudwatch-agent.service
log "system, authentication and health-service logs are shipped"
