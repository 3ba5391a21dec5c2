#!/usr/bin/env bash
# The csv source through the shared row checks: a value that does not fit its declared or inferred type
# fails the step with the file, row, line, column and value, or goes to <table>__rejects with
# rejects: true while the good rows are written; counts in the metadata; on_schema_change: fail.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets $P/data
cat > $P/floe.yaml <<'Y'
name: oso
lake: {warehouse: .floe/lake, namespace: oso}
Y
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.strict
    kind: ingest
    source: {type: csv, path: data/strict.csv}
    columns: {id: long, at: date}
    on_schema_change: fail
  - key: oso.lenient
    kind: ingest
    source: {type: csv, path: data/strict.csv}
    columns: {id: long, at: date}
    rejects: true
  - key: oso.inferred
    kind: ingest
    source: {type: csv, path: data/big.csv}
    rejects: true
Y
f() { "$FLOE" -p "$P" "$@"; }
q() { f query "$1" --format csv | tail -n +2; }
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }

# a quoted field spanning two lines and a blank line: row numbers count rows, lines count lines
printf 'id,at,note\n1,2024-01-01,"two\nlines"\n\ntwo,2024-01-02,x\n3,someday,y\n4,2024-01-04,z\n' > $P/data/strict.csv
expect_rc 1 f asset materialize --select oso.strict
expect_rc 0 f run show "$(last_run)"
expect_out "data/strict.csv: row 2 (line 5): column 'id': cannot convert two to BIGINT (2 rows of 4 do not fit; nothing was written"
f query "SELECT count(*) FROM oso.strict" >/dev/null 2>&1 && fail "a failed load created the table"
expect_rc 0 f asset materialize --select oso.lenient
[ "$(q "SELECT string_agg(CAST(id AS VARCHAR), '-' ORDER BY id) FROM oso.lenient")" = "1-4" ] || fail "good rows loaded: $(q 'SELECT * FROM oso.lenient')"
[ "$(q 'SELECT typeof("at") FROM oso.lenient LIMIT 1')" = DATE ] || fail "declared type"
[ "$(q "SELECT replace(note, chr(10), '|') FROM oso.lenient WHERE id = 1")" = "two|lines" ] || fail "quoted newline: $(q 'SELECT note FROM oso.lenient')"
[ "$(q "SELECT string_agg(CAST(row_number AS VARCHAR), '-' ORDER BY row_number) FROM oso.lenient__rejects")" = "2-3" ] || fail "rejects rows"
[ "$(q "SELECT reason FROM oso.lenient__rejects WHERE row_number = 3")" = "column 'at': cannot convert someday to DATE" ] || fail "reason: $(q 'SELECT * FROM oso.lenient__rejects')"
[ "$(q "SELECT json_extract_string(record, '\$.id') FROM oso.lenient__rejects WHERE row_number = 2")" = two ] || fail "record kept"
[ "$(q "SELECT source FROM oso.lenient__rejects LIMIT 1")" = data/strict.csv ] || fail "rejects source"
expect_rc 0 f asset list
expect_out '"rows_read":4,"rows_written":2,"rows_rejected":2'
expect_out '"rejects_table":"oso.lenient__rejects"'

# inferred types: DuckDB's sniffer samples the file; a value past the sample is still checked per row
python3 - $P/data/big.csv <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("n,label\n")
    for i in range(30000): f.write(f"{i},r{i}\n")
    f.write("oops,last\n")
PY
expect_rc 0 f asset materialize --select oso.inferred
[ "$(q 'SELECT count(*) FROM oso.inferred')" = 30000 ] || fail "inferred: good rows"
[ "$(q 'SELECT typeof(n) FROM oso.inferred LIMIT 1')" = BIGINT ] || fail "inferred type kept"
[ "$(q 'SELECT row_number || reason FROM oso.inferred__rejects')" = "30001column 'n': cannot convert oops to BIGINT" ] || fail "inferred: reject $(q 'SELECT * FROM oso.inferred__rejects')"

# on_schema_change: fail refuses a new column
printf 'id,at\n1,2024-01-01\n' > $P/data/strict.csv
expect_rc 0 f asset materialize --select oso.strict
printf 'id,at,extra\n2,2024-01-01,x\n' > $P/data/strict.csv
expect_rc 1 f asset materialize --select oso.strict
expect_rc 0 f run show "$(last_run)"
expect_out "new column(s) 'extra' that table oso.strict does not have, and on_schema_change is fail"
[ "$(q 'SELECT count(*) FROM oso.strict')" = 1 ] || fail "refused load changed the table"

echo ok
