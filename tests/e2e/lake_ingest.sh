#!/usr/bin/env bash
# CSV ingest assets through real runs: inference with explicit types, append/overwrite/merge, schema
# evolution, partitioning, a bad row failing the step with file, line and reason, and the
# materialization metadata (rows, snapshot id) recorded for the asset.
. "$(dirname "$0")/lib.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.stg_events
    kind: ingest
    source: {type: csv, path: data/events.csv}
    columns: {id: long, score: double}
    partition: "month(ts)"
  - key: projects
    kind: ingest
    source: {type: csv, path: data/projects.csv}
    mode: overwrite
  - key: oso.users
    kind: ingest
    source: {type: csv, path: data/users.csv}
    mode: merge
    unique_key: [id]
  - key: oso.daily
    kind: ingest
    source: {type: csv, path: data/daily.csv, replace_where: "day >= DATE '2024-01-02'"}
    columns: {day: date}
Y
q() { f query "$1" --format csv | tail -n +2; }
printf 'id,ts,score\n1,2024-01-01 10:00:00,1\n2,2024-02-02 11:00:00,2\n3,2024-02-03 00:00:00,3\n' > $P/data/events.csv
printf 'name,stars\nfoo,10\nbar,20\n' > $P/data/projects.csv
printf 'id,name\n1,ann\n2,bob\n' > $P/data/users.csv
printf 'day,n\n2024-01-01,1\n' > $P/data/daily.csv
expect_rc 0 f asset materialize --select '*'
[ "$(q 'SELECT typeof(id) FROM oso.stg_events LIMIT 1')" = BIGINT ] || fail "explicit type not applied"
[ "$(q 'SELECT typeof(score) FROM oso.stg_events LIMIT 1')" = DOUBLE ] || fail "explicit double"
[ "$(q 'SELECT count(*) FROM oso.projects')" = 2 ] || fail "table name from key with the namespace"
expect_rc 0 f lake files oso.stg_events
expect_out '{"ts_month":648}'
expect_out '{"ts_month":649}'
# the partition directories never show up as columns
[ "$(f query 'SELECT * FROM oso.stg_events LIMIT 0' --format csv)" = "id,ts,score" ] || fail "columns of a partitioned table: $(f query 'SELECT * FROM oso.stg_events LIMIT 0' --format csv)"
expect_rc 0 f asset list
expect_out '"rows":3'
expect_out '"snapshot_id":'

# append + schema evolution (new column), overwrite, merge
printf 'id,ts,score,kind\n4,2024-03-01 00:00:00,4,push\n' > $P/data/events.csv
printf 'name,stars\nbaz,30\n' > $P/data/projects.csv
printf 'id,name\n2,bobby\n3,cy\n' > $P/data/users.csv
expect_rc 0 f asset materialize --select '*'
[ "$(q 'SELECT count(*) FROM oso.stg_events')" = 4 ] || fail "append"
[ "$(q 'SELECT kind FROM oso.stg_events WHERE id = 4')" = push ] || fail "added column"
[ "$(q 'SELECT count(kind) FROM oso.stg_events')" = 1 ] || fail "old rows have NULL in the new column"
[ "$(q "SELECT string_agg(name, ',') FROM oso.projects")" = baz ] || fail "overwrite"
[ "$(q "SELECT string_agg(name, ' ' ORDER BY id) FROM oso.users")" = "ann bobby cy" ] || fail "merge"
expect_rc 0 f lake describe oso.stg_events
expect_out "kind"

# replace a time range: reloading days >= 2024-01-02 replaces those rows, keeps the earlier ones
printf 'day,n\n2024-01-01,1\n2024-01-02,2\n' > $P/data/daily.csv
expect_rc 0 f asset materialize --select oso.daily
printf 'day,n\n2024-01-02,20\n2024-01-03,30\n' > $P/data/daily.csv
expect_rc 0 f asset materialize --select oso.daily
[ "$(q "SELECT string_agg(n::VARCHAR, ' ' ORDER BY day) FROM oso.daily")" = "1 1 1 20 30" ] || fail "replace_where (two earlier runs appended 2024-01-01 too): $(q 'SELECT * FROM oso.daily')"

# a bad row fails the step with the file, the line and the reason; the table is unchanged
printf 'id,ts,score\n5,2024-03-02 00:00:00,5\n6,2024-03-03 00:00:00,not-a-number\n' > $P/data/events.csv
expect_rc 1 f asset materialize --select oso.stg_events
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
expect_rc 0 f run show "$(last_run)"
expect_out "data/events.csv: row 2 (line 3): column 'score': cannot convert not-a-number to DOUBLE"
[ "$(q 'SELECT count(*) FROM oso.stg_events')" = 4 ] || fail "a failed ingest changed the table"

# a missing file names the asset file position
rm $P/data/events.csv
expect_rc 1 f asset materialize --select oso.stg_events
expect_rc 0 f run show "$(last_run)"
expect_out "no such file"
echo ok
