#!/bin/bash
# Graceful stop of a payment instance (R20): runs as a systemd service for the instance's whole life.
#
# Polls the instance's Auto Scaling target lifecycle state in instance metadata (IMDSv2). When it turns to
# "Terminated" the instance is already out of the load balancer and held in Terminating:Wait by the termination
# lifecycle hook (https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html), so it
# stops the service (systemd sends SIGTERM; the service finishes what it has) and completes the lifecycle action
# with CONTINUE (https://docs.aws.amazon.com/autoscaling/ec2/userguide/completing-lifecycle-hooks.html). If the
# call fails, the hook's timeout ends the wait with its default result, CONTINUE.
#
# Usage: drain_on_terminate.sh --unit UNIT --hook NAME --group NAME --region REGION
#                              [--metadata-url URL] [--interval SECONDS]
# Exit status: 0 once the action is completed, 1 when the service did not stop or the call failed, 2 on bad
# arguments.
set -uo pipefail

unit="" hook="" group="" region=""
metadata_url="http://169.254.169.254"
interval=5

while [ $# -gt 0 ]; do
  case "$1" in
    --unit) unit="$2"; shift 2 ;;
    --hook) hook="$2"; shift 2 ;;
    --group) group="$2"; shift 2 ;;
    --region) region="$2"; shift 2 ;;
    --metadata-url) metadata_url="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    *) echo "drain_on_terminate: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$unit" ] || [ -z "$hook" ] || [ -z "$group" ] || [ -z "$region" ]; then
  echo "drain_on_terminate: --unit, --hook, --group and --region are required" >&2
  exit 2
fi

log() { echo "drain_on_terminate: $*" >&2; }

# One IMDSv2 read; prints the value, or nothing when metadata does not answer (the next poll retries).
metadata() {
  local token
  token=$(curl --silent --fail --noproxy '*' --max-time 2 -X PUT "$metadata_url/latest/api/token" \
    -H "X-aws-ec2-metadata-token-ttl-seconds: 300") || return 0
  curl --silent --fail --noproxy '*' --max-time 2 -H "X-aws-ec2-metadata-token: $token" \
    "$metadata_url/latest/meta-data/$1" || true
}

while [ "$(metadata autoscaling/target-lifecycle-state)" != "Terminated" ]; do
  sleep "$interval"
done

instance_id=$(metadata instance-id)
log "instance $instance_id is terminating: stopping $unit"
status=0
# systemctl stop returns once the unit has stopped: by itself after its drain, or killed at TimeoutStopSec.
systemctl stop "$unit" || { log "$unit did not stop cleanly"; status=1; }
if aws autoscaling complete-lifecycle-action --lifecycle-action-result CONTINUE --instance-id "$instance_id" \
  --lifecycle-hook-name "$hook" --auto-scaling-group-name "$group" --region "$region" >&2; then
  log "lifecycle action completed"
else
  log "could not complete the lifecycle action; the hook's timeout will"
  status=1
fi
exit "$status"
