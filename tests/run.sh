#!/usr/bin/env bash
# Runs the whole suite against the binaries in BUILD (default build/): unit test binaries, then the
# end-to-end scripts in tests/e2e/ and tests/interop/. Each test is its own process with a timeout.
# Usage: tests/run.sh [BUILD] [FILTER]
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
FILTER=${2:-}
export FLOE_BIN="$PWD/$BUILD/floe" FLOE_BUILD="$PWD/$BUILD" FLOE_SRC="$PWD"
pass=0; fail=0; failed=()
run_one() { # name timeout cmd...
  local name=$1 t=$2; shift 2
  [ -n "$FILTER" ] && [[ "$name" != *"$FILTER"* ]] && return
  local log; log=$(mktemp)
  local start=$(date +%s.%N)
  if timeout -k 5 "$t" "$@" >"$log" 2>&1; then
    pass=$((pass+1)); printf 'ok    %-50s %6.2fs\n' "$name" "$(echo "$(date +%s.%N) - $start" | bc)"
  else
    local rc=$?
    fail=$((fail+1)); failed+=("$name")
    printf 'FAIL  %-50s (exit %d)\n' "$name" "$rc"; sed 's/^/    | /' "$log" | tail -40
  fi
  rm -f "$log"
}
for t in "$BUILD"/tests/*/*; do
  [ -x "$t" ] || continue
  run_one "unit/${t#"$BUILD"/tests/}" 120 "$t"
done
for t in tests/e2e/*.sh tests/interop/*.sh; do
  [ -f "$t" ] || continue
  case "$(basename "$t")" in lib.sh|pg.sh|_*) continue;; esac   # helpers sourced by tests, not tests
  run_one "${t#tests/}" 300 bash "$t"
done
echo "passed: $pass  failed: $fail"
[ "$fail" -eq 0 ] || { printf '  %s\n' "${failed[@]}"; exit 1; }
