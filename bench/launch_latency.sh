#!/usr/bin/env bash
# Launch latency: from the start of `floe asset materialize` of one asset to its step process starting.
# Prints median and p95 over RUNS (default 50) and the bare process-start cost measured alongside.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-50}
W=$(mktemp -d /tmp/floe-bench.XXXXXX); trap 'rm -rf $W' EXIT
cc -O2 -o $W/launch_latency bench/launch_latency.c
mkdir -p $W/p/assets
echo "name: latency" > $W/p/floe.yaml
printf 'assets:\n  - {key: stamp, kind: command, command: ["%s", "%s"]}\n' "$W/launch_latency" "$W/stamp" > $W/p/assets/a.yaml
build/floe -p $W/p asset materialize --select stamp >/dev/null   # creates the instance database
$W/launch_latency "$PWD/build/floe" $W/p $W/stamp "$RUNS"
