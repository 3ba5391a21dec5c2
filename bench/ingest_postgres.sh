#!/usr/bin/env bash
# ingest_postgres.sh — postgres source throughput vs psql's \copy, in the same run against the same
# throwaway server (tests/e2e/pg.sh): a ROWS-row table (default 1,000,000) x 8 columns, then
#   floe:  `floe asset materialize` of a postgres ingest asset (COPY streamed to a staged CSV, DuckDB
#          reads it, Parquet + Iceberg commit: a whole run)
#   psql:  psql -c "\copy (SELECT * FROM events) to stdout" > file
# and prints rows/s of each and floe/psql. Usage: bench/ingest_postgres.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
export FLOE_SRC=$PWD
FLOE=${FLOE_BIN:-$PWD/build/floe}
ROWS=${1:-1000000}
. tests/e2e/lib.sh
. tests/e2e/pg.sh
pg_start
mkdir -p $T/p/assets
cat > $T/p/floe.yaml <<'Y'
name: bench
lake: {warehouse: .floe/lake, namespace: bench}
Y
printf 'DAGSTER__SRC__URL=%s\n' "$PG_URL" > $T/p/.env
cat > $T/p/assets/a.yaml <<'Y'
assets:
  - key: bench.events
    kind: ingest
    source: {type: postgres, url: {secret: src.url}, query: "SELECT * FROM events"}
    mode: overwrite
Y
echo "loading $ROWS rows into PostgreSQL..." >&2
pg_psql -c "CREATE TABLE events AS SELECT i AS id, i % 5000 AS repo_id, 'user_' || (i * 7919 % 100000) AS actor,
  (ARRAY['PushEvent','IssuesEvent','WatchEvent','ForkEvent'])[i % 4 + 1] AS type,
  timestamptz '2024-01-01' + i * interval '1 second' AS created_at, (i * 31 % 1000)::bigint AS additions,
  (i % 97) / 3.0::float8 AS score, i % 3 = 0 AS merged FROM generate_series(1::bigint, $ROWS) i" >/dev/null
pg_psql -c "VACUUM ANALYZE events" >/dev/null
best() { sort -n | head -1; }
ms() { local t0=$(date +%s%N); "$@" >/dev/null; echo $(( ($(date +%s%N) - t0) / 1000000 )); }
psql_ms=$(for k in 1 2 3; do ms env PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres \
  -c "\\copy (SELECT * FROM events) to '$T/psql.out'"; done | best)
floe_ms=$(for k in 1 2 3; do ms "$FLOE" -p $T/p asset materialize --select bench.events; done | best)
[ "$("$FLOE" -p $T/p query 'SELECT count(*) FROM bench.events' --format csv | tail -1)" = "$ROWS" ] || fail "row count"
awk -v r=$ROWS -v f=$floe_ms -v p=$psql_ms 'BEGIN {
  printf "postgres source, %d rows x 8 columns (best of 3)\n", r
  printf "  floe ingest (COPY -> staged CSV -> Parquet -> Iceberg commit): %7d ms  %10.0f rows/s\n", f, r / (f / 1000)
  printf "  psql \\copy to a file:                                         %7d ms  %10.0f rows/s\n", p, r / (p / 1000)
  printf "  floe/psql throughput ratio: %.2f\n", p / f }'
