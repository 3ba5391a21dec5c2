#!/usr/bin/env bash
# Exact values (issue 10 item 1): a value that does not fit its column exactly — a fraction into an
# integer column, more decimal places than a decimal column holds — is a bad row (the step fails naming
# the row, or the row goes to <table>__rejects), never rounded; in every source (csv, ndjson, parquet,
# command) and every write mode (append, overwrite, merge, replace_range). After every refused load the
# table has exactly its previous rows, snapshots and schema.
. "$(dirname "$0")/lib.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.longs
    kind: ingest
    source: {type: csv, path: data/longs.csv}
    columns: {a: long}
  - key: oso.longs_rej
    kind: ingest
    source: {type: csv, path: data/longs.csv}
    columns: {a: long}
    rejects: true
  - key: oso.inferred
    kind: ingest
    source: {type: csv, path: data/big.csv}
  - key: oso.appended
    kind: ingest
    source: {type: csv, path: data/append.csv}
  - key: oso.dec
    kind: ingest
    source: {type: csv, path: data/dec.csv}
    columns:
      a: decimal(5,2)
    rejects: true
  - key: oso.nd
    kind: ingest
    source: {type: ndjson, path: data/nd.ndjson}
    columns: {a: long}
  - key: oso.pq
    kind: ingest
    source: {type: parquet, path: data/x.parquet}
    columns:
      a: long
      d: decimal(5,2)
    rejects: true
  - key: oso.cmd
    kind: ingest
    source: {type: command, command: [sh, -c, 'printf "id,a\n1,7\n2,7.25\n" > "$FLOE_OUTPUT"'], format: csv}
    columns: {a: long}
  - key: oso.ow
    kind: ingest
    source: {type: csv, path: data/modes.csv}
    columns: {id: long, a: long}
    mode: overwrite
  - key: oso.mg
    kind: ingest
    source: {type: csv, path: data/modes.csv}
    columns: {id: long, a: long}
    mode: merge
    unique_key: [id]
  - key: oso.rr
    kind: ingest
    source: {type: csv, path: data/modes.csv}
    columns: {id: long, a: long, at: timestamp}
    mode: replace_range
    range: {column: at, start: "2024-01-01", end: "2024-02-01"}
  - key: oso.ts
    kind: ingest
    source: {type: csv, path: data/ts.csv}
  - key: oso.ts_rej
    kind: ingest
    source: {type: csv, path: data/ts.csv}
    rejects: true
  - key: oso.tstz
    kind: ingest
    source: {type: csv, path: data/ts.csv}
    columns: {t: timestamptz}
  - key: oso.day
    kind: ingest
    source: {type: csv, path: data/day.csv}
    columns: {d: date}
  - key: oso.day_rej
    kind: ingest
    source: {type: csv, path: data/day.csv}
    columns: {d: date}
    rejects: true
Y
q() { f query "$1" --format csv | tail -n +2; }
qv() { f query "$1" --format csv | python3 -c 'import csv, sys; print(list(csv.reader(sys.stdin))[1][0])'; } # one value, unquoted
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
# state T: rows, snapshots and schema of a table, to compare before and after a refused load
state() { echo "$(q "SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), ',') FROM $1")|$(f lake snapshots $1 --json | python3 -c 'import json,sys; print([s["snapshot-id"] for s in json.load(sys.stdin)])')|$(f lake describe $1 | grep -A20 '^schema')"; }
refused() { # refused ASSET MESSAGE: the run fails with MESSAGE, the table is unchanged
  local before; before=$(state $1)
  expect_rc 1 f asset materialize --select $1
  expect_rc 0 f run show "$(last_run)"
  expect_out "$2"
  [ "$(state $1)" = "$before" ] || fail "$1: a refused load changed the table: $(state $1) (was $before)"
}

# csv, declared long: 1.5, 2.5, -0.5 are not whole numbers (they were stored 2, 3, -1); 3.0 and 1e3 are
printf 'a\n1\n' > $P/data/longs.csv
expect_rc 0 f asset materialize --select oso.longs
printf 'a\n4\n1.5\n2.5\n-0.5\n3.0\n1e3\n' > $P/data/longs.csv
refused oso.longs "data/longs.csv: row 2 (line 3): column 'a': 1.5 does not fit BIGINT exactly: it is not a whole number (3 rows of 6 do not fit"
expect_rc 0 f asset materialize --select oso.longs_rej
[ "$(q "SELECT string_agg(CAST(a AS VARCHAR), ' ' ORDER BY a) FROM oso.longs_rej")" = "3 4 1000" ] || fail "exact rows: $(q 'SELECT * FROM oso.longs_rej')"
[ "$(q "SELECT string_agg(row_number || ':' || json_extract_string(record, '\$.a'), ' ' ORDER BY row_number) FROM oso.longs_rej__rejects")" = "2:1.5 3:2.5 4:-0.5" ] || fail "rejects: $(q 'SELECT * FROM oso.longs_rej__rejects')"

# 30,000 integer rows then 1.5, past the sniffer's sample (was stored as 2)
python3 - $P/data/big.csv <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("n\n")
    for i in range(30000): f.write(f"{i}\n")
    f.write("1.5\n")
PY
expect_rc 1 f asset materialize --select oso.inferred
expect_rc 0 f run show "$(last_run)"
expect_out "row 30001 (line 30002): column 'n': 1.5 does not fit BIGINT exactly: it is not a whole number (1 row of 30001 do not fit"
f query "SELECT count(*) FROM oso.inferred" >/dev/null 2>&1 && fail "a refused load created the table"

# appending 1.5 and 7.9 to a BIGINT table (were stored 2 and 8)
printf 'a\n1\n2\n' > $P/data/append.csv
expect_rc 0 f asset materialize --select oso.appended
printf 'a\n1.5\n7.9\n' > $P/data/append.csv
refused oso.appended "row 1 (line 2): column 'a': 1.5 does not fit BIGINT exactly: it is not a whole number (2 rows of 2 do not fit"

# decimal(5,2) given 1.005 and 1.239 (were stored 1.01 and 1.24); 1.2300 fits
printf 'a\n1.005\n1.239\n1.2300\n2\n' > $P/data/dec.csv
expect_rc 0 f asset materialize --select oso.dec
[ "$(q "SELECT string_agg(CAST(a AS VARCHAR), ' ' ORDER BY a) FROM oso.dec")" = "1.23 2.00" ] || fail "decimal rows: $(q 'SELECT * FROM oso.dec')"
[ "$(qv "SELECT string_agg(reason, '; ' ORDER BY row_number) FROM oso.dec__rejects")" = "column 'a': 1.005 does not fit decimal(5,2) exactly: it has more decimal places than the column holds; column 'a': 1.239 does not fit decimal(5,2) exactly: it has more decimal places than the column holds" ] \
  || fail "decimal rejects: $(q 'SELECT * FROM oso.dec__rejects')"

# ndjson {"a":1.5} with a: long (was stored 2)
printf '{"a":1}\n' > $P/data/nd.ndjson
expect_rc 0 f asset materialize --select oso.nd
printf '{"a":1.5}\n{"a":2.5}\n' > $P/data/nd.ndjson
refused oso.nd "row 1: column 'a': 1.5 does not fit BIGINT exactly: it is not a whole number (2 rows of 2 do not fit"

# parquet: a DOUBLE into long, a DECIMAL(6,3) into decimal(5,2)
node "$SRC/tests/e2e/duckdb_sql.mjs" "COPY (SELECT * FROM (VALUES (1, 2.0::DOUBLE, 1.250::DECIMAL(6,3)), (2, 2.5::DOUBLE, 1.000::DECIMAL(6,3)), (3, 3.0::DOUBLE, 1.001::DECIMAL(6,3))) t(id, a, d)) TO '$P/data/x.parquet' (FORMAT parquet)" >/dev/null
expect_rc 0 f asset materialize --select oso.pq
[ "$(q "SELECT string_agg(id || ':' || a || ':' || d, ' ' ORDER BY id) FROM oso.pq")" = "1:2:1.25" ] || fail "parquet rows: $(q 'SELECT * FROM oso.pq')"
[ "$(qv "SELECT string_agg(row_number || ' ' || reason, '; ' ORDER BY row_number) FROM oso.pq__rejects")" = "2 column 'a': 2.5 does not fit BIGINT exactly: it is not a whole number; 3 column 'd': 1.001 does not fit decimal(5,2) exactly: it has more decimal places than the column holds" ] \
  || fail "parquet rejects: $(q 'SELECT row_number, reason FROM oso.pq__rejects')"

# command output
expect_rc 1 f asset materialize --select oso.cmd
expect_rc 0 f run show "$(last_run)"
expect_out "row 2: column 'a': 7.25 does not fit BIGINT exactly: it is not a whole number"

# every write mode refuses the same value and leaves the table as it was
printf 'id,a,at\n1,10,2024-01-05\n2,20,2024-01-06\n' > $P/data/modes.csv
for t in ow mg rr; do expect_rc 0 f asset materialize --select oso.$t; done
printf 'id,a,at\n1,11,2024-01-05\n2,20.5,2024-01-06\n' > $P/data/modes.csv
for t in ow mg rr; do refused oso.$t "row 2 (line 3): column 'a': 20.5 does not fit BIGINT exactly: it is not a whole number"; done
printf 'id,a,at\n1,11,2024-01-05\n2,21.0,2024-01-06\n' > $P/data/modes.csv
for t in ow mg rr; do
  expect_rc 0 f asset materialize --select oso.$t
  [ "$(q "SELECT string_agg(id || ':' || a, ' ' ORDER BY id) FROM oso.$t")" = "1:11 2:21" ] || fail "$t: $(q "SELECT * FROM oso.$t")"
done

# csv timestamps: a fraction past the microsecond is a bad row (was truncated to .123456, by the CSV
# reader and by the cast); trailing zeros past it are exact
printf 't\n2024-01-01 00:00:00.5\n' > $P/data/ts.csv
for t in ts tstz; do expect_rc 0 f asset materialize --select oso.$t; done
printf 't\n2024-01-02 00:00:00.1234560\n2024-01-01 00:00:00.123456789\n' > $P/data/ts.csv
for t in ts tstz; do
  refused oso.$t "data/ts.csv: row 2 (line 3): column 't': 2024-01-01 00:00:00.123456789 does not fit TIMESTAMP$(echo ${t#ts} | tr a-z A-Z) exactly: it has digits below a microsecond, which an Iceberg v2 timestamp does not hold (1 row of 2 do not fit"
done
expect_rc 0 f asset materialize --select oso.ts_rej
[ "$(q "SELECT string_agg(CAST(t AS VARCHAR), ' ') FROM oso.ts_rej")" = "2024-01-02 00:00:00.123456" ] || fail "timestamp rows: $(q 'SELECT * FROM oso.ts_rej')"
[ "$(q "SELECT row_number FROM oso.ts_rej__rejects")" = 2 ] || fail "timestamp rejects: $(q 'SELECT * FROM oso.ts_rej__rejects')"

# csv dates: a time of day or text after the date is a bad row (the CSV reader and the cast read
# "2024-01-01 10:00" and "2024-01-01 x" as 2024-01-01); midnight is exact
printf 'd\n2024-01-01\n' > $P/data/day.csv
expect_rc 0 f asset materialize --select oso.day
printf 'd\n2024-01-02\n2024-01-03 00:00\n2024-01-04 10:00\n2024-01-05 x\n' > $P/data/day.csv
refused oso.day "data/day.csv: row 3 (line 4): column 'd': 2024-01-04 10:00 does not fit DATE exactly: it has a time of day or text after the date (2 rows of 4 do not fit"
expect_rc 0 f asset materialize --select oso.day_rej
[ "$(q "SELECT string_agg(CAST(d AS VARCHAR), ' ' ORDER BY d) FROM oso.day_rej")" = "2024-01-02 2024-01-03" ] || fail "date rows: $(q 'SELECT * FROM oso.day_rej')"
[ "$(q "SELECT string_agg(CAST(row_number AS VARCHAR), ' ' ORDER BY row_number) FROM oso.day_rej__rejects")" = "3 4" ] || fail "date rejects: $(q 'SELECT * FROM oso.day_rej__rejects')"

echo ok
