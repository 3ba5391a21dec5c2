#!/usr/bin/env bash
# floe query and floe lake ...: an ingest through a real run, then SQL (formats, time travel, tags,
# rollback), copy-on-write deletes, expiry, orphans, and the read-only lock-down.
. "$(dirname "$0")/lib.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.events
    kind: ingest
    source: {type: csv, path: data/events.csv}
    mode: append
Y
printf 'id,repo,ts,score\n1,a/b,2024-01-01 10:00:00,1.5\n2,"x,y",2024-01-02 11:00:00,\n' > $P/data/events.csv

expect_rc 0 f asset materialize --select oso.events
expect_rc 0 f lake tables
expect_out "oso.events"
expect_rc 0 f query "SELECT id, repo, score FROM oso.events ORDER BY id" --format csv
[ "$OUT" = 'id,repo,score
1,a/b,1.5
2,"x,y",' ] || fail "csv output: $OUT"
expect_rc 0 f query "SELECT count(*) AS n, max(ts) AS t, bool_and(id > 0) AS ok FROM oso.events" --format json
[ "$OUT" = '[{"n":2,"t":"2024-01-02 11:00:00","ok":true}]' ] || fail "json output: $OUT"
expect_rc 0 f query "SELECT id FROM oso.events ORDER BY id" --format ndjson
[ "$OUT" = '{"id":1}
{"id":2}' ] || fail "ndjson output: $OUT"
expect_rc 0 f query "SELECT id, repo FROM oso.events ORDER BY id"
expect_out "(2 rows)"
S1=$(f lake snapshots oso.events --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["snapshot-id"])')

# second append, then time travel to the first snapshot, by id and by tag
printf 'id,repo,ts,score\n3,c/d,2024-01-03 00:00:00,3\n' > $P/data/events.csv
expect_rc 0 f asset materialize --select oso.events
expect_rc 0 f query "SELECT count(*) FROM oso.events" --format csv
expect_out "3"
expect_rc 0 f query "SELECT count(*) AS n FROM oso.events" --format csv --as-of "$S1"
[ "$OUT" = $'n\n2' ] || fail "as-of snapshot: $OUT"
# as of a time: epoch ms, and ISO-8601 (the snapshot current at that moment)
T1=$(f lake snapshots oso.events --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["timestamp-ms"])')
expect_rc 0 f query "SELECT count(*) AS n FROM oso.events" --format csv --as-of "$T1"
[ "$OUT" = $'n\n2' ] || fail "as-of epoch ms: $OUT"
expect_rc 0 f query "SELECT count(*) AS n FROM oso.events" --format csv --as-of "2000-01-01T00:00:00Z"
[ "$OUT" = $'n\n0' ] || fail "as-of before the table existed: $OUT"
expect_rc 0 f lake tag oso.events consumer --snapshot "$S1"
expect_rc 0 f query "SELECT count(*) AS n FROM oso.events" --format csv --as-of consumer
[ "$OUT" = $'n\n2' ] || fail "as-of tag: $OUT"
expect_rc 0 f lake tag oso.events consumer            # move the tag to the current snapshot
expect_rc 0 f query "SELECT count(*) AS n FROM oso.events" --format csv --as-of consumer
[ "$OUT" = $'n\n3' ] || fail "moved tag: $OUT"
expect_rc 0 f lake snapshots oso.events
expect_out "consumer"
expect_rc 2 f query "SELECT 1" --as-of no_such_ref
expect_out "no table has such a snapshot"

# copy-on-write delete, rollback
expect_rc 0 f lake delete oso.events --where "id = 3"
expect_out "rewrote 1 file"
expect_rc 0 f query "SELECT count(*) AS n FROM oso.events" --format csv
[ "$OUT" = $'n\n2' ] || fail "after delete: $OUT"
expect_rc 0 f lake rollback oso.events "$S1"
expect_rc 0 f query "SELECT count(*) AS n FROM oso.events" --format csv
[ "$OUT" = $'n\n2' ] || fail "after rollback: $OUT"
expect_rc 0 f lake files oso.events
expect_out ".parquet"
expect_rc 0 f lake describe oso.events
expect_out "Iceberg v2"
expect_out "score"

# read-only: no writes, no files outside the lake
expect_rc 2 f query "COPY (SELECT 1) TO '$T/out.csv'"
[ ! -e "$T/out.csv" ] || fail "COPY wrote a file"
expect_rc 2 f query "SELECT * FROM read_csv('/etc/passwd')"
expect_out "disabled by configuration"
expect_rc 2 f query "SELECT 1; CREATE TABLE t AS SELECT 1"
expect_out "read-only"
expect_rc 2 f query "SET enable_external_access=true"
expect_rc 2 f query "SELECT * FROM no_such_table"

# maintenance
touch -d '2 hours ago' $P/.floe/lake/oso/events/data/stray.parquet 2>/dev/null || { echo x > $P/.floe/lake/oso/events/data/stray.parquet; touch -d '2 hours ago' $P/.floe/lake/oso/events/data/stray.parquet; }
expect_rc 0 f lake orphans
expect_out "stray.parquet"
expect_rc 0 f lake orphans --delete
[ ! -e $P/.floe/lake/oso/events/data/stray.parquet ] || fail "orphan not deleted"
expect_rc 0 f lake expire oso.events --older-than 1d
expect_out "expired 0 snapshots"
expect_rc 2 f lake expire oso.events --older-than yesterday-ish
expect_rc 0 f lake expire oso.events --retain-last 1
expect_out "expired"
expect_rc 0 f query "SELECT count(*) AS n FROM oso.events" --format csv
[ "$OUT" = $'n\n2' ] || fail "after expire: $OUT"
expect_rc 0 f query "SELECT count(*) AS n FROM oso.events" --format csv --as-of consumer
[ "$OUT" = $'n\n3' ] || fail "tagged snapshot must survive expiry: $OUT"
expect_rc 2 f lake describe oso.nope
# every type is shown, never a NULL where there is a value: nested values (JSON in --format json),
# TIMESTAMP WITH TIME ZONE, TIME WITH TIME ZONE, ENUM, BIT (duckdb_value_varchar yields NULL for them)
expect_rc 0 f query "SELECT [1,2] AS l, {'x': 1} AS s, MAP {'k': 2} AS m, TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz, \
  date_trunc('day', TIMESTAMPTZ '2024-01-02 03:04:05+00') AS d, TIMETZ '03:04:05+02' AS t, 'a'::ENUM('a','b') AS e, \
  '1010'::BIT AS b, 7 AS n, NULL::INT[] AS z; -- a trailing comment" --format json
[ "$OUT" = '[{"l":[1,2],"s":{"x":1},"m":{"k":2},"tz":"2024-01-02 03:04:05+00","d":"2024-01-02 00:00:00+00","t":"03:04:05+02","e":"a","b":"1010","n":7,"z":null}]' ] \
  || fail "typed values: $OUT"
expect_rc 0 f query "SELECT id, [id, id * 2] AS pair FROM oso.events ORDER BY id DESC LIMIT 2" --format csv
[ "$OUT" = $'id,pair\n2,"[2,4]"\n1,"[1,2]"' ] || fail "nested values over a lake table, order kept: $OUT"
expect_rc 2 f query "SELECT 1; SELECT [1]"
expect_out "read-only"
expect_out "found 2 statements"

# every byte of a value is shown: a NUL byte is \x00 in a table and in CSV, \u0000 in JSON (it cut the
# value short before: x\0y was shown as x); a control character cannot drive the terminal from a table
NUL_SQL="SELECT 'x' || chr(0) || 'y' AS s, 'a\\b' AS t, chr(27) || '[31m' AS e"
expect_rc 0 f query "$NUL_SQL" --format csv
[ "$OUT" = $'s,t,e\nx\\x00y,a\\b,\e[31m' ] || fail "NUL in csv: $(printf '%s' "$OUT" | od -c)"
expect_rc 0 f query "$NUL_SQL" --format json
[ "$OUT" = '[{"s":"x\u0000y","t":"a\\b","e":"\u001b[31m"}]' ] || fail "NUL in json: $OUT"
expect_rc 0 f query "$NUL_SQL" --format ndjson
[ "$OUT" = '{"s":"x\u0000y","t":"a\\b","e":"\u001b[31m"}' ] || fail "NUL in ndjson: $OUT"
expect_rc 0 f query "$NUL_SQL"
expect_out 'x\x00y | a\b | \x1B[31m'
# a value of a lake table, through the view
expect_rc 0 f query "SELECT repo || chr(0) || 'z' AS r FROM oso.events WHERE id = 1" --format json
[ "$OUT" = '[{"r":"a/b\u0000z"}]' ] || fail "NUL from a table in json: $OUT"

# a misspelt table name: the lake's tables are suggested, not DuckDB's own catalog
expect_rc 2 f query "SELECT count(*) FROM oso.event"
expect_out 'Table "oso.event" does not exist; did you mean oso.events?'
expect_no_out "information_schema"
expect_rc 2 f query "SELECT * FROM evnts"
expect_out 'Table "evnts" does not exist; did you mean oso.events?'
expect_rc 2 f query "SELECT * FROM oso.zzzzzzzzzzzz"
expect_out "the lake's tables: oso.events"

# numeric options are whole numbers in range, never half-read ("1h" is not 1 second)
expect_rc 2 f lake orphans --min-age 1h
expect_out "--min-age: expected a whole number >= 0, found '1h'"
expect_rc 2 f lake expire oso.events --retain-last 0
expect_out "--retain-last: expected a whole number >= 1, found '0'"
expect_rc 2 f lake files oso.events --snapshot latest
expect_out "'latest' is not a snapshot id"
expect_rc 2 f run list --limit 5x
expect_out "--limit: expected a whole number >= 1, found '5x'"
echo ok
