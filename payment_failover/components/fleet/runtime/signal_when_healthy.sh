#!/bin/bash
# Last step of the payment instances' user data (R16): tell CloudFormation whether this instance is healthy.
#
# Polls the instance's own health endpoint until it has answered 200 without interruption for --settle
# seconds, then runs `cfn-signal --success true`. If that has not happened within --deadline seconds of the
# start, or when called with --failed (an earlier user-data step failed), it runs `cfn-signal --success false`
# at once, so CloudFormation fails the batch instead of waiting for the rolling update's PauseTime.
#
# cfn-signal needs no credentials: without them CloudFormation checks that the instance belongs to the stack
# it signals (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-signal.html). With --role the
# signal is signed with that IAM role's credentials instead (cfn-signal's own --role option, same page): the
# instance role holds only cloudformation:SignalResource on its own stack, and the CloudFormation VPC endpoint
# admits only this account's principals, which an unsigned signal is not.
#
# Usage: signal_when_healthy.sh --stack NAME --resource LOGICAL_ID --region REGION [--role ROLE_NAME]
#                               [--url URL] [--deadline SECONDS] [--settle SECONDS] [--interval SECONDS] [--failed]
# Exit status: 0 when success was signalled, 1 when failure was signalled, 2 on bad arguments or when
# cfn-signal itself could not deliver the signal.
set -uo pipefail

stack="" resource="" region="" role=""
url="http://127.0.0.1:8080/health"
deadline=240 settle=0 interval=5 failed=0
probe_seconds=3

while [ $# -gt 0 ]; do
  case "$1" in
    --stack) stack="$2"; shift 2 ;;
    --resource) resource="$2"; shift 2 ;;
    --region) region="$2"; shift 2 ;;
    --role) role="$2"; shift 2 ;;
    --url) url="$2"; shift 2 ;;
    --deadline) deadline="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --failed) failed=1; shift ;;
    *) echo "signal_when_healthy: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$stack" ] || [ -z "$resource" ] || [ -z "$region" ]; then
  echo "signal_when_healthy: --stack, --resource and --region are required" >&2
  exit 2
fi
case "$deadline$settle" in *[!0-9]*) echo "signal_when_healthy: --deadline and --settle are whole seconds" >&2; exit 2 ;; esac

log() { echo "signal_when_healthy: $*" >&2; }

# Amazon Linux puts the CloudFormation helper scripts in /opt/aws/bin; anything earlier on PATH wins (tests
# put a stub there).
PATH="$PATH:/opt/aws/bin"
if ! command -v cfn-signal >/dev/null 2>&1; then
  log "cfn-signal not found; installing aws-cfn-bootstrap"
  timeout 120 dnf -y -q install aws-cfn-bootstrap >&2 || log "aws-cfn-bootstrap could not be installed"
fi

signal() {
  log "signalling success=$1 to $stack/$resource in $region"
  credentials=()
  [ -n "$role" ] && credentials=(--role "$role")
  if ! cfn-signal --success "$1" --stack "$stack" --resource "$resource" --region "$region" "${credentials[@]}"; then
    log "cfn-signal could not deliver the signal"
    exit 2
  fi
}

if [ "$failed" -eq 1 ]; then
  signal false
  exit 1
fi

# Elapsed time in milliseconds: bash 5's microsecond clock (EPOCHREALTIME), or date(1) on an older bash.
now_us() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/./}"; else echo $(($(date +%s%N) / 1000)); fi; }
started_us=$(now_us)
elapsed_ms() { echo $((($(now_us) - started_us) / 1000)); }

deadline_ms=$((deadline * 1000)) settle_ms=$((settle * 1000))
healthy_since=""
while [ "$(elapsed_ms)" -lt "$deadline_ms" ]; do
  remaining_s=$(((deadline_ms - $(elapsed_ms) + 999) / 1000))
  probe_timeout=$((remaining_s < probe_seconds ? remaining_s : probe_seconds))
  status=$(curl --silent --noproxy '*' --output /dev/null --write-out '%{http_code}' \
    --max-time "$probe_timeout" "$url" 2>/dev/null) || true
  if [ "$status" = "200" ]; then
    healthy_since="${healthy_since:-$(elapsed_ms)}"
    if [ $(($(elapsed_ms) - healthy_since)) -ge "$settle_ms" ]; then
      log "$url answered 200 for ${settle}s"
      signal true
      exit 0
    fi
  else
    [ -n "$healthy_since" ] && log "$url stopped answering 200 (got ${status:-nothing})"
    healthy_since=""
  fi
  sleep "$interval"
done

log "$url did not answer 200 for ${settle}s within ${deadline}s"
signal false
exit 1
