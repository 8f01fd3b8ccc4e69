#!/bin/bash
# ValidateService: the new revision must be ready before CodeDeploy puts the instance back behind the load balancer.
#
# Readiness, not liveness: /ready answers 200 only when the dependencies the service declares accept connections
# (docs/your-service.md). A version that cannot reach what it needs fails here, on its first instance, and the
# deployment stops and rolls back; the load balancer's own check (/health, liveness) then runs in AllowTraffic.
# Exit 0 when /ready answered 200; 1 when it did not within the deadline (CodeDeploy fails the instance).
set -uo pipefail
tier_env="${PAYMENT_TIER_ENV:-/etc/payment-failover/tier.env}"
# HEALTH_PORT comes from the tier (user data writes it); 8080 is the tier's default.
if [ -r "$tier_env" ]; then
  # shellcheck disable=SC1090
  . "$tier_env"
fi
port="${HEALTH_PORT:-8080}"
deadline="${VALIDATE_DEADLINE_SECONDS:-90}"
interval="${VALIDATE_INTERVAL_SECONDS:-2}"
url="http://127.0.0.1:${port}/ready"
start=$SECONDS
while true; do
  code=$(curl --silent --output /dev/null --max-time 3 --write-out '%{http_code}' "$url" || true)
  if [ "$code" = "200" ]; then
    echo "validate: $url answered 200 after $((SECONDS - start)) s"
    exit 0
  fi
  if [ $((SECONDS - start)) -ge "$deadline" ]; then
    echo "validate: $url did not answer 200 within ${deadline} s (last answer: ${code:-none})" >&2
    exit 1
  fi
  sleep "$interval"
done
