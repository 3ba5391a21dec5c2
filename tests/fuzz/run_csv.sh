#!/usr/bin/env bash
# run_csv.sh — builds the libFuzzer target for the CSV connector's own text pass (the record walk with
# the sniffed dialect, gzip, DuckDB's messages in the user's terms; tests/fuzz/fuzz_csv.c) and fuzzes it
# for ${1:-60} seconds over a scratch copy of tests/fuzz/corpus/csv/. Crashes go to build/fuzz/artifacts/.
# Usage: tests/fuzz/run_csv.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-60}; shift || true
OUT=${FLOE_FUZZ_OUT:-build/fuzz}
mkdir -p "$OUT/corpus-csv" "$OUT/artifacts"
clang -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$OUT/fuzz_csv" tests/fuzz/fuzz_csv.c src/ingest/csv_text.c src/ingest/json_check.c src/util/*.c -ljansson -lz -lm
cp -n tests/fuzz/corpus/csv/* "$OUT/corpus-csv/" 2>/dev/null || true
exec "$OUT/fuzz_csv" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$@" "$OUT/corpus-csv" tests/fuzz/corpus/csv
