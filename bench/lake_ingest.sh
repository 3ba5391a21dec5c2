#!/usr/bin/env bash
# lake_ingest.sh — CSV -> Iceberg ingest throughput vs DuckDB alone writing the same Parquet.
# Generates a CSV of ROWS (default 5,000,000) rows x 10 columns, then times, in the same run:
#   floe:   `floe asset materialize` of a csv ingest asset (a whole run: process start, run record,
#           Parquet with field ids + zstd, column stats, manifests, metadata, catalog commit)
#   duckdb: COPY (FROM read_csv(...)) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)
# and prints rows/s of each and floe/duckdb (target >= 0.8). Usage: bench/lake_ingest.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FLOE=${FLOE_BIN:-$ROOT/build/floe}
ROWS=${1:-5000000}
W=$(mktemp -d /tmp/floe-bench-ingest.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p $W/p/assets $W/p/data
cat > $W/p/floe.yaml <<'Y'
name: bench
lake: {warehouse: .floe/lake, namespace: bench}
Y
cat > $W/p/assets/a.yaml <<'Y'
assets:
  - key: bench.events
    kind: ingest
    source: {type: csv, path: data/events.csv}
    mode: overwrite
Y
echo "generating $ROWS rows x 10 columns..." >&2
awk -v n=$ROWS 'BEGIN { srand(7); print "id,repo_id,actor,type,created_at,day,additions,deletions,score,merged";
  split("PushEvent IssuesEvent PullRequestEvent WatchEvent ForkEvent", t, " ");
  for (i = 0; i < n; i++) printf "%d,%d,user_%d,%s,2024-%02d-%02d %02d:%02d:%02d,2024-%02d-%02d,%d,%d,%.3f,%s\n",
    i, i % 5000, int(rand() * 100000), t[i % 5 + 1], i % 12 + 1, i % 28 + 1, i % 24, i % 60, i % 60,
    i % 12 + 1, i % 28 + 1, int(rand() * 1000), int(rand() * 300), rand() * 100, (i % 3 ? "true" : "false") }' > $W/p/data/events.csv
echo "csv: $(du -h $W/p/data/events.csv | cut -f1)" >&2
best_floe=999999
for k in 1 2 3; do
  t0=$(date +%s%N)
  "$FLOE" -p $W/p asset materialize --select bench.events >/dev/null
  t=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ $t -lt $best_floe ] && best_floe=$t
done
rows=$("$FLOE" -p $W/p query "SELECT count(*) FROM bench.events" --format csv | tail -1)
[ "$rows" = "$ROWS" ] || { echo "floe table has $rows rows, expected $ROWS" >&2; exit 1; }
best_duck=$(cd $ROOT/tests/interop && node $ROOT/bench/duckdb_peer.mjs 3 \
  "COPY (FROM read_csv('$W/p/data/events.csv')) TO '$W/duck.parquet' (FORMAT parquet, COMPRESSION zstd)")
python3 - "$ROWS" "$best_floe" "$best_duck" <<'PY'
import sys
rows, f, d = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"ingest {rows:,} rows x 10 columns (best of 3)")
print(f"  floe (run + Iceberg commit): {f/1000:7.2f} s  {rows/f*1000:12,.0f} rows/s")
print(f"  duckdb COPY to parquet:      {d/1000:7.2f} s  {rows/d*1000:12,.0f} rows/s")
print(f"  floe/duckdb throughput:      {d/f:7.2f}   (target >= 0.8)")
PY
