#!/usr/bin/env bash
# defs_load.sh — time `floe defs validate` (load + validate + graph + job selections) on generated projects
# of 100, 1,000, 2,000 and 10,000 command assets in layers of 100 (each asset depends on two assets of the
# layer above), split over files of 500 assets. Prints best-of-5 wall time and the cost per asset; the
# cost per asset should stay flat as the project grows (the loader is linear).
# Usage: bench/defs_load.sh [BUILD]   (default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE_BIN:-$PWD/${1:-build}/floe}
W=$(mktemp -d /tmp/floe-bench-defs.XXXXXX)
trap 'rm -rf "$W"' EXIT

gen() { # N DIR
  python3 - "$1" "$2" <<'PY'
import os, sys
n, d = int(sys.argv[1]), sys.argv[2]
os.makedirs(f"{d}/assets", exist_ok=True)
with open(f"{d}/floe.yaml", "w") as f:
    f.write("name: bench\njobs:\n  - {name: all, selection: '*'}\n  - {name: tail, selection: '*a_%d'}\n"
            "  - {name: tagged, selection: 'tag:layer=0'}\n" % (n - 1))
    f.write("schedules:\n  - {name: nightly, job: all, cron: '0 3 * * *'}\n")
width = 100
for start in range(0, n, 500):
    with open(f"{d}/assets/part_{start // 500:04d}.yaml", "w") as f:
        f.write("assets:\n")
        for i in range(start, min(n, start + 500)):
            layer = i // width
            f.write(f"  - key: a_{i}\n    kind: command\n    command: [sh, -c, 'echo {i}']\n")
            f.write(f"    group: g{layer % 10}\n    tags: {{layer: '{layer}'}}\n")
            if layer:
                p1 = (layer - 1) * width + (i % width)
                p2 = (layer - 1) * width + ((i * 7 + 3) % width)
                f.write(f"    deps: [a_{p1}" + (f", a_{p2}" if p2 != p1 else "") + "]\n")
PY
}

best_ms() { # DIR -> best of 5, milliseconds (3 decimals)
  local best=""
  for _ in 1 2 3 4 5; do
    local t0 t1
    t0=$(date +%s%N)
    "$FLOE" -p "$1" defs validate >/dev/null
    t1=$(date +%s%N)
    local d=$((t1 - t0))
    if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
  done
  echo "$best"
}

printf '%8s %12s %14s\n' assets "best ms" "us per asset"
for n in 100 1000 2000 10000; do
  gen "$n" "$W/p$n"
  "$FLOE" -p "$W/p$n" defs validate >/dev/null
  ns=$(best_ms "$W/p$n")
  awk -v n="$n" -v ns="$ns" 'BEGIN { printf "%8d %12.2f %14.2f\n", n, ns / 1e6, ns / 1e3 / n }'
done
