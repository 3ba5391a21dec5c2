#!/usr/bin/env bash
# Builds floe and runs the whole test suite, then again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Installs what it needs first (idempotent). Usage: scripts/test.sh [--no-asan]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
J=$(nproc)
make -s -j"$J" all
bash tests/run.sh build
if [ "${1:-}" != "--no-asan" ]; then
  make -s -j"$J" asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 bash tests/run.sh build-asan
fi
