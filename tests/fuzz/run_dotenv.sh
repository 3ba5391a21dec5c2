#!/usr/bin/env bash
# run_dotenv.sh — builds the libFuzzer target for the .env parser + redaction and fuzzes it for ${1:-60}
# seconds over a scratch copy of tests/fuzz/corpus/dotenv/. Crashes go to build/fuzz/artifacts/.
# Usage: tests/fuzz/run_dotenv.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-60}; shift || true
OUT=${FLOE_FUZZ_OUT:-build/fuzz}
mkdir -p "$OUT/corpus-dotenv" "$OUT/artifacts"
clang -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$OUT/fuzz_dotenv" tests/fuzz/fuzz_dotenv.c src/util/*.c src/secrets/*.c src/resources/*.c src/defs/*.c src/ingest/options.c \
  -lyaml -ljansson -lsodium -lcurl -lpq -lm -lpthread
cp -n tests/fuzz/corpus/dotenv/* "$OUT/corpus-dotenv/" 2>/dev/null || true
exec "$OUT/fuzz_dotenv" -max_total_time="$SECS" -max_len=2048 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$@" "$OUT/corpus-dotenv" tests/fuzz/corpus/dotenv
