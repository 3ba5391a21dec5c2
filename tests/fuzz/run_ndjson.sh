#!/usr/bin/env bash
# run_ndjson.sh — builds the libFuzzer target for the checked NDJSON line pass (line cutting, gzip, the
# strict JSON check; tests/fuzz/fuzz_ndjson.c) and fuzzes it for ${1:-60} seconds over a scratch copy of
# tests/fuzz/corpus/ndjson/. Crashes go to build/fuzz/artifacts/.
# Usage: tests/fuzz/run_ndjson.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-60}; shift || true
OUT=${FLOE_FUZZ_OUT:-build/fuzz}
mkdir -p "$OUT/corpus-ndjson" "$OUT/artifacts"
clang -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$OUT/fuzz_ndjson" tests/fuzz/fuzz_ndjson.c src/ingest/json_check.c src/util/*.c -ljansson -lz -lm
cp -n tests/fuzz/corpus/ndjson/* "$OUT/corpus-ndjson/" 2>/dev/null || true
exec "$OUT/fuzz_ndjson" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$@" "$OUT/corpus-ndjson" tests/fuzz/corpus/ndjson
