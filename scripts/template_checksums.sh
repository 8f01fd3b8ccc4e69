#!/usr/bin/env bash
# Usage: scripts/template_checksums.sh OUTDIR
# Synthesizes the default, the standby example and the pipeline configuration through the pinned CLI and writes
# OUTDIR/SHA256SUMS, one line per template: run it before and after a refactor and `diff` the two files to show
# that no template changed (issue 18's byte-identical rule). Needs `make setup` first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CDK_DISABLE_VERSION_CHECK=true
out="$1"
rm -rf "$out" && mkdir -p "$out"
cdk synth '**' --quiet -o "$out/default" >/dev/null 2>&1
cdk synth '**' --quiet -o "$out/standby" -c standbyRegion=eu-west-1 \
  -c 'standbySettings={"instanceType": "t3.micro", "maxCapacity": "7"}' >/dev/null 2>&1
mapfile -t pipeline < <(.venv/bin/python -c "
import json
from tests.helpers.pipeline_context import PIPELINE_CONTEXT
for key, value in PIPELINE_CONTEXT.items():
    print('-c'); print(key + '=' + (value if isinstance(value, str) else json.dumps(value)))")
cdk synth '**' --quiet -o "$out/pipeline" "${pipeline[@]}" >/dev/null 2>&1
(cd "$out" && find . -name '*.template.json' | sort | xargs sha256sum) > "$out/SHA256SUMS"
echo "$(wc -l < "$out/SHA256SUMS") templates: $out/SHA256SUMS"
