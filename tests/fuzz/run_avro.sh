#!/usr/bin/env bash
# run_avro.sh — builds the libFuzzer target for the Avro reader and fuzzes it for ${1:-60} seconds over a
# scratch copy of the committed corpus (tests/fuzz/corpus/avro/: a manifest list and manifests floe wrote).
# Usage: tests/fuzz/run_avro.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-60}; shift || true
OUT=${FLOE_FUZZ_OUT:-build/fuzz}
mkdir -p "$OUT/corpus-avro" "$OUT/artifacts"
clang -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$OUT/fuzz_avro" tests/fuzz/fuzz_avro.c src/lake/avro.c src/lake/memo.c src/util/*.c -ljansson -lz -lm
cp -n tests/fuzz/corpus/avro/* "$OUT/corpus-avro/" 2>/dev/null || true
exec "$OUT/fuzz_avro" -max_total_time="$SECS" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$@" "$OUT/corpus-avro" tests/fuzz/corpus/avro
