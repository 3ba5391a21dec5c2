#!/usr/bin/env bash
# lake_commits.sh — 1,000 successive small appends to one table: mean commit time of the first and the
# last 100 (target: last within 1.5x of first) and the time to plan a scan afterwards.
# Usage: bench/lake_commits.sh [N] [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
BIN=${FLOE_BUILD:-$PWD/${2:-build}}/bench/lake_commits
[ -x "$BIN" ] || make -s "${BIN#$PWD/}"
W=$(mktemp -d /tmp/floe-bench-commits.XXXXXX)
trap 'rm -rf "$W"' EXIT
"$BIN" "$W" "$N"
