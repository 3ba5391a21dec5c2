#!/usr/bin/env bash
# Write modes and bad data through real runs (ndjson sources): merge by key (insert new keys, replace
# existing ones, last row of a key wins, one snapshot), replace_range with bounds from FLOE_START/FLOE_END,
# the run config, or range:; a row that does not fit failing the step with source, row and reason or
# going to <table>__rejects with rejects: true; on_schema_change evolve | fail.
. "$(dirname "$0")/lib.sh"
lake_project 'jobs:
  - name: daily
    selection: oso.daily
    config: {oso.daily: {start: string, end: string}}
'
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.projects
    kind: ingest
    source: {type: ndjson, path: data/projects.ndjson}
    mode: merge
    unique_key: [org, name]
  - key: oso.daily
    kind: ingest
    source: {type: ndjson, path: data/daily.ndjson}
    columns: {ts: timestamp, n: long}
    mode: replace_range
    range: {column: ts, start: "2024-01-01", end: "2024-01-02"}
  - key: oso.strict
    kind: ingest
    source: {type: ndjson, path: data/strict.ndjson}
    columns: {id: long, at: date}
    on_schema_change: fail
  - key: oso.lenient
    kind: ingest
    source: {type: ndjson, path: data/strict.ndjson}
    columns: {id: long, at: date}
    rejects: true
Y
q() { f query "$1" --format csv | tail -n +2; }
snaps() { f lake snapshots "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }

# ---- merge
printf '%s\n' '{"org":"a","name":"x","stars":1}' '{"org":"a","name":"y","stars":2}' '{"org":"b","name":"x","stars":3}' > $P/data/projects.ndjson
expect_rc 0 f asset materialize --select oso.projects
printf '%s\n' '{"org":"a","name":"y","stars":20}' '{"org":"c","name":"z","stars":5}' '{"org":"c","name":"z","stars":6}' > $P/data/projects.ndjson
expect_rc 0 f asset materialize --select oso.projects
[ "$(q "SELECT string_agg(org || name || '=' || stars, ' ' ORDER BY org, name) FROM oso.projects")" = "ax=1 ay=20 bx=3 cz=6" ] || fail "merge: $(q 'SELECT * FROM oso.projects')"
expect_rc 0 f asset list
expect_out '"rows_read":3'
expect_out '"rows_written":3'
expect_out '"rows_superseded":1'
n1=$(f lake snapshots oso.projects | grep -c '^ *[0-9]' || true)
# a NULL key is a row that does not fit
printf '%s\n' '{"org":"a","name":"x","stars":1}' '{"org":null,"name":"q","stars":1}' > $P/data/projects.ndjson
expect_rc 1 f asset materialize --select oso.projects
expect_rc 0 f run show "$(last_run)"
expect_out "data/projects.ndjson: row 2: merge key column 'org' is null"

# ---- replace_range: bounds from range:, then FLOE_START/FLOE_END, then run config
printf '%s\n' '{"ts":"2024-01-01 01:00:00","n":1}' '{"ts":"2024-01-01 02:00:00","n":2}' > $P/data/daily.ndjson
expect_rc 0 f asset materialize --select oso.daily
printf '%s\n' '{"ts":"2024-01-02 01:00:00","n":3}' '{"ts":"2024-01-02 05:00:00","n":4}' > $P/data/daily.ndjson
FLOE_START=2024-01-02 FLOE_END=2024-01-03 expect_rc 0 f asset materialize --select oso.daily
[ "$(q 'SELECT sum(n) FROM oso.daily')" = 10 ] || fail "range append of a new day"
printf '%s\n' '{"ts":"2024-01-02 07:00:00","n":40}' > $P/data/daily.ndjson
FLOE_START=2024-01-02 FLOE_END=2024-01-03 expect_rc 0 f asset materialize --select oso.daily
[ "$(q 'SELECT sum(n) FROM oso.daily')" = 43 ] || fail "range replaced: $(q 'SELECT * FROM oso.daily')"
cat > $T/cfg.yaml <<'Y'
ops:
  oso.daily:
    config: {start: "2024-01-01", end: "2024-01-02"}
Y
printf '%s\n' '{"ts":"2024-01-01 09:00:00","n":100}' > $P/data/daily.ndjson
expect_rc 0 f job launch daily -c $T/cfg.yaml
[ "$(q 'SELECT sum(n) FROM oso.daily')" = 140 ] || fail "range from run config: $(q 'SELECT * FROM oso.daily')"
expect_rc 0 f asset list
expect_out '"range_start":"2024-01-01"'
# a row outside the range does not fit
printf '%s\n' '{"ts":"2024-01-01 09:00:00","n":1}' '{"ts":"2024-01-05 00:00:00","n":1}' > $P/data/daily.ndjson
expect_rc 1 f asset materialize --select oso.daily
expect_rc 0 f run show "$(last_run)"
expect_out "row 2: range column ts: 2024-01-05 00:00:00 is outside the range being replaced [2024-01-01, 2024-01-02)"
[ "$(q 'SELECT sum(n) FROM oso.daily')" = 140 ] || fail "failed range load changed the table"

# ---- bad rows: fail with source, row, reason; or rejects
printf '%s\n' '{"id":1,"at":"2024-01-01"}' '{"id":"two","at":"2024-01-02"}' '{"id":3,"at":"someday"}' '{"id":4,"at":"2024-01-04"}' > $P/data/strict.ndjson
expect_rc 1 f asset materialize --select oso.strict
expect_rc 0 f run show "$(last_run)"
expect_out "data/strict.ndjson: row 2: column 'id': cannot convert"
expect_out "to BIGINT (2 rows of 4 do not fit"
f query "SELECT count(*) FROM oso.strict" >/dev/null 2>&1 && fail "a failed load created the table"
expect_rc 0 f asset materialize --select oso.lenient
[ "$(q "SELECT string_agg(CAST(id AS VARCHAR), '-' ORDER BY id) FROM oso.lenient")" = "1-4" ] || fail "good rows loaded"
[ "$(q "SELECT string_agg(CAST(row_number AS VARCHAR), '-' ORDER BY row_number) FROM oso.lenient__rejects")" = "2-3" ] || fail "rejects table rows"
[ "$(q "SELECT reason FROM oso.lenient__rejects WHERE row_number = 3")" = "column 'at': cannot convert someday to DATE" ] || fail "reject reason: $(q 'SELECT * FROM oso.lenient__rejects')"
[ "$(q "SELECT json_extract_string(record, '\$.at') FROM oso.lenient__rejects WHERE row_number = 3")" = someday ] || fail "rejected record kept"
[ "$(q "SELECT source FROM oso.lenient__rejects LIMIT 1")" = data/strict.ndjson ] || fail "rejects source"
expect_rc 0 f asset list
expect_meta oso.lenient rows_read=4 rows_written=2 rows_rejected=2 rejects_table=oso.lenient__rejects

# ---- malformed NDJSON lines: fail with the file, line and parse error; or rejects (gzip, over a glob)
printf '%s\n' '{"id":5,"at":"2024-01-05"}' '{"id":6,"at":' '' '[1,2]' '{"id":7,"at":"2024-01-07"} x' '{"id":8,"at":"2024-01-08"}' > $P/data/strict.ndjson
expect_rc 1 f asset materialize --select oso.strict
expect_rc 0 f run show "$(last_run)"
expect_out "line 2 of data/strict.ndjson: malformed JSON at column"
expect_out "(3 malformed lines of 5; nothing was written"
f query "SELECT count(*) FROM oso.strict" >/dev/null 2>&1 && fail "a failed load created the table"
expect_rc 0 f asset materialize --select oso.lenient
[ "$(q "SELECT string_agg(CAST(id AS VARCHAR), '-' ORDER BY id) FROM oso.lenient")" = "1-4-5-8" ] || fail "good lines loaded: $(q 'SELECT * FROM oso.lenient')"
[ "$(q "SELECT string_agg(CAST(row_number AS VARCHAR), '-' ORDER BY row_number) FROM oso.lenient__rejects WHERE reason LIKE 'line%'")" = "2-4-5" ] || fail "malformed lines in rejects: $(q 'SELECT row_number, reason FROM oso.lenient__rejects')"
[ "$(q "SELECT reason FROM oso.lenient__rejects WHERE row_number = 4 AND reason LIKE 'line%'")" = "line 4 of data/strict.ndjson: not a JSON object" ] || fail "reason"
[ "$(q "SELECT record = '{\"id\":6,\"at\":' FROM oso.lenient__rejects WHERE row_number = 2 AND reason LIKE 'line%'")" = true ] || fail "record kept as text: $(q 'SELECT row_number, record FROM oso.lenient__rejects')"
expect_rc 0 f asset list
expect_meta oso.lenient rows_read=5 rows_written=2 rows_rejected=3 malformed_lines=3
# a malformed value in a line that parses is still a row that does not fit
printf '%s\n' '{"id":9,"at":"2024-01-09"}' '{"id":10,"at":"nope"}' 'oops' > $P/data/strict.ndjson
expect_rc 0 f asset materialize --select oso.lenient
[ "$(q "SELECT count(*) FROM oso.lenient WHERE id >= 9")" = 1 ] || fail "type check after cleaning"
[ "$(q "SELECT reason FROM oso.lenient__rejects WHERE row_number = 2 AND record LIKE '%nope%'")" = "column 'at': cannot convert nope to DATE" ] || fail "reason after cleaning: $(q 'SELECT * FROM oso.lenient__rejects')"

# every line valid JSON but one is not an object: never read as a single json column
printf '%s\n' '{"id":11,"at":"2024-01-11"}' '[11,12]' '{"id":12,"at":"2024-01-12"}' > $P/data/strict.ndjson
expect_rc 0 f asset materialize --select oso.lenient
[ "$(q "SELECT count(*) FROM oso.lenient WHERE id IN (11, 12)")" = 2 ] || fail "object lines around an array line"
[ "$(q "SELECT count(*) FROM oso.lenient__rejects WHERE reason = 'line 2 of data/strict.ndjson: not a JSON object'")" -ge 1 ] || fail "array line not rejected: $(q 'SELECT row_number, reason FROM oso.lenient__rejects')"
expect_rc 1 f asset materialize --select oso.strict
expect_rc 0 f run show "$(last_run)"
expect_out "not a JSON object"

# ---- on_schema_change: fail refuses a new column; evolve (default) adds it
printf '%s\n' '{"id":1,"at":"2024-01-01"}' > $P/data/strict.ndjson
expect_rc 0 f asset materialize --select oso.strict
printf '%s\n' '{"id":2,"at":"2024-01-01","extra":"x"}' > $P/data/strict.ndjson
expect_rc 1 f asset materialize --select oso.strict
expect_rc 0 f run show "$(last_run)"
expect_out "new column(s) 'extra' that table oso.strict does not have, and on_schema_change is fail"
expect_rc 0 f asset materialize --select oso.lenient
[ "$(q "SELECT extra FROM oso.lenient WHERE extra IS NOT NULL")" = x ] || fail "evolve adds the column"
echo ok
