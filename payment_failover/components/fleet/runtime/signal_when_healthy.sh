#!/bin/bash
# Last step of the payment instances' user data (R16): tell CloudFormation whether this instance is healthy.
#
# Polls the instance's own health endpoint until it has answered 200 without interruption for --settle
# seconds. With --target-group-arn it then asks Elastic Load Balancing how the load balancer sees this instance
# (DescribeTargetHealth for the instance id read from IMDSv2) until the target's state is `healthy`: loopback only
# proves the process serves, the load balancer's verdict also proves the path to it (security groups, port,
# health-check path). Only then does it run `cfn-signal --success true`. If that has not happened within
# --deadline seconds of the start, or when called with --failed (an earlier user-data step failed), it runs
# `cfn-signal --success false`, so CloudFormation fails the batch instead of waiting for the rolling update's
# PauseTime.
#
# Target states (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html):
# only `healthy` ends the wait. `initial` (registration or the first checks in progress), `unhealthy` (a target
# becomes healthy again after HealthyThresholdCount consecutive passing checks), `unused`, `draining`,
# `unavailable`, a target not registered yet (the group registers it once it is InService) and a failed call
# (no endpoint, no permission, throttling) are all polled again until the deadline: a transient answer never
# rolls a deployment back, and a lasting one is still reported by this instance before PauseTime runs out.
#
# cfn-signal needs no credentials: without them CloudFormation checks that the instance belongs to the stack
# it signals (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-signal.html). With --role the
# signal is signed with that IAM role's credentials instead (cfn-signal's own --role option, same page): the
# instance role holds only cloudformation:SignalResource on its own stack, and the CloudFormation VPC endpoint
# admits only this account's principals, which an unsigned signal is not.
#
# With --release-group, the service is AWS CodeDeploy's to install (components/delivery): CodeDeploy puts a launch
# lifecycle hook into the group with its first release and from then on deploys the last successful revision to
# every instance the group launches (https://docs.aws.amazon.com/codedeploy/latest/userguide/integrations-aws-auto-scaling.html).
# So the gate first asks Auto Scaling whether the group has a launch hook: none means the stack is being created and
# no release has run yet, so nothing can serve; the instance signals success once its own bootstrap is done (the
# release that follows proves the service, with its ValidateService hook and the load balancer's health check). A
# launch hook means a release exists, and the instance must serve it before it signals. A failed question is not
# taken for "no hook": the gate then waits for the service as usual.
#
# Usage: signal_when_healthy.sh --stack NAME --resource LOGICAL_ID --region REGION [--role ROLE_NAME]
#                               [--url URL] [--deadline SECONDS] [--settle SECONDS] [--interval SECONDS]
#                               [--target-group-arn ARN] [--metadata-url URL] [--release-group NAME] [--failed]
# Exit status: 0 when success was signalled, 1 when failure was signalled, 2 on bad arguments or when
# cfn-signal itself could not deliver the signal.
set -uo pipefail

stack="" resource="" region="" role=""
url="http://127.0.0.1:8080/health"
deadline=240 settle=0 interval=5 failed=0
target_group_arn="" metadata_url="http://169.254.169.254" release_group=""
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
    --target-group-arn) target_group_arn="$2"; shift 2 ;;
    --metadata-url) metadata_url="$2"; shift 2 ;;
    --release-group) release_group="$2"; shift 2 ;;
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
remaining_seconds() { echo $(((deadline_ms - $(elapsed_ms) + 999) / 1000)); }

# 0. Before the group's first release nothing serves: the bootstrap having run is all an instance can prove.
if [ -n "$release_group" ]; then
  if hooks=$(timeout 30 aws autoscaling describe-lifecycle-hooks --region "$region" \
    --auto-scaling-group-name "$release_group" \
    --query "length(LifecycleHooks[?LifecycleTransition=='autoscaling:EC2_INSTANCE_LAUNCHING'])" --output text); then
    if [ "$hooks" = "0" ]; then
      log "$release_group has no launch hook yet: no release has run, the first one will install the service"
      signal true
      exit 0
    fi
    log "$release_group has a launch hook: CodeDeploy installs the last good release on this instance"
  else
    log "could not ask Auto Scaling for $release_group's launch hooks; waiting for the service"
  fi
fi

# 1. The process serves: /health on loopback answers 200 without a break for the settle time.
healthy_since="" held=0
while [ "$(elapsed_ms)" -lt "$deadline_ms" ]; do
  remaining_s=$(remaining_seconds)
  probe_timeout=$((remaining_s < probe_seconds ? remaining_s : probe_seconds))
  status=$(curl --silent --noproxy '*' --output /dev/null --write-out '%{http_code}' \
    --max-time "$probe_timeout" "$url" 2>/dev/null) || true
  if [ "$status" = "200" ]; then
    healthy_since="${healthy_since:-$(elapsed_ms)}"
    if [ $(($(elapsed_ms) - healthy_since)) -ge "$settle_ms" ]; then
      log "$url answered 200 for ${settle}s"
      held=1
      break
    fi
  else
    [ -n "$healthy_since" ] && log "$url stopped answering 200 (got ${status:-nothing})"
    healthy_since=""
  fi
  sleep "$interval"
done
if [ "$held" -eq 0 ]; then
  log "$url did not answer 200 for ${settle}s within ${deadline}s"
  signal false
  exit 1
fi
if [ -z "$target_group_arn" ]; then
  signal true
  exit 0
fi

# 2. The load balancer sees it healthy: its own target, in its own target group.
# One IMDSv2 read; prints the value, or nothing when metadata does not answer (the next poll retries).
metadata() {
  local token
  token=$(curl --silent --fail --noproxy '*' --max-time 2 -X PUT "$metadata_url/latest/api/token" \
    -H "X-aws-ec2-metadata-token-ttl-seconds: 300") || return 0
  curl --silent --fail --noproxy '*' --max-time 2 -H "X-aws-ec2-metadata-token: $token" \
    "$metadata_url/latest/meta-data/$1" || true
}

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
instance_id="" state="" last_state=""
while [ "$(elapsed_ms)" -lt "$deadline_ms" ]; do
  instance_id="${instance_id:-$(metadata instance-id)}"
  if [ -z "$instance_id" ]; then
    state="(instance id not available from metadata)"
  elif answer=$(timeout "$(remaining_seconds)" aws elbv2 describe-target-health --region "$region" \
    --target-group-arn "$target_group_arn" \
    --query "TargetHealthDescriptions[?Target.Id=='$instance_id'].TargetHealth.[State, Reason] | [0]" \
    --output text 2>"$errors"); then
    # "healthy None", "unhealthy Target.Timeout", ... or "None" while the target is not registered yet.
    read -r state reason <<<"$answer"
    [ "${state:-None}" = "None" ] && state="(not registered yet)"
    [ -n "${reason:-}" ] && [ "$reason" != "None" ] && state="$state ($reason)"
  else
    state="(call failed: $(tail -n 1 "$errors"))"
  fi
  if [ "$state" = "healthy" ]; then
    log "the load balancer reports $instance_id healthy in its target group"
    signal true
    exit 0
  fi
  [ "$state" != "$last_state" ] && log "target ${instance_id:-?} in the target group: $state"
  last_state="$state"
  sleep "$interval"
done

log "the load balancer did not report ${instance_id:-this instance} healthy within ${deadline}s (last: ${state:-nothing})"
signal false
exit 1
