#!/usr/bin/env bash
# run.sh — builds the libFuzzer target for the project loader and fuzzes it for ${1:-60} seconds over a
# scratch copy of the committed corpus (tests/fuzz/corpus/defs/). Crashes are written to build/fuzz/artifacts/.
# Usage: tests/fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-60}; shift || true
OUT=${FLOE_FUZZ_OUT:-build/fuzz}
mkdir -p "$OUT/corpus-defs" "$OUT/artifacts"
clang -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$OUT/fuzz_defs" tests/fuzz/fuzz_defs.c src/util/*.c src/defs/*.c src/ingest/options.c -lyaml -ljansson -lm
cp -n tests/fuzz/corpus/defs/* "$OUT/corpus-defs/" 2>/dev/null || true
exec "$OUT/fuzz_defs" -max_total_time="$SECS" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$@" "$OUT/corpus-defs" tests/fuzz/corpus/defs
