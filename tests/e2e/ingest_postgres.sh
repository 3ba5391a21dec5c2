#!/usr/bin/env bash
# The postgres source against a real PostgreSQL server started here: types (int, bigint, numeric, bool,
# text with commas/quotes/newlines, empty string vs NULL, date, timestamp, timestamptz, jsonb), the URL
# from a secret (.env) never shown in messages, merge mode, a query error, a table: source.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
pg_start
P=$T/proj; mkdir -p $P/assets
cat > $P/floe.yaml <<'Y'
name: oso
lake: {warehouse: .floe/lake, namespace: oso}
Y
printf 'DAGSTER__SOURCE_DB__URL=%s\n' "$PG_URL" > $P/.env
pg_psql <<'SQL'
CREATE TABLE repos (id int PRIMARY KEY, big bigint, stars numeric(10,2), fork bool, name text, note text,
                    created date, updated timestamp, pushed timestamptz, meta jsonb);
INSERT INTO repos VALUES
 (1, 9000000000, 12.5, true, 'a,b', 'say "hi"', '2024-01-01', '2024-01-01 10:00:00', '2024-01-01 10:00:00+02', '{"k": [1, 2]}'),
 (2, NULL, NULL, false, '', NULL, NULL, NULL, NULL, NULL),
 (3, 3, 0, NULL, E'multi\nline', 'x', '2024-02-29', '2024-02-29 23:59:59.5', '2024-02-29 23:59:59.5+00', '[]');
SQL
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.repos
    kind: ingest
    source: {type: postgres, url: {secret: source_db.url}, query: "SELECT * FROM repos WHERE id > 0"}
    mode: merge
    unique_key: [id]
  - key: oso.repos_t
    kind: ingest
    source: {type: postgres, url: {secret: source_db.url}, table: public.repos}
  - key: oso.bad
    kind: ingest
    source: {type: postgres, url: {secret: source_db.url}, query: "SELECT nope FROM repos"}
Y
f() { "$FLOE" -p "$P" "$@"; }
q() { f query "$1" --format csv | tail -n +2; }
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
expect_rc 0 f asset materialize --select 'oso.repos,oso.repos_t'
[ "$(q 'SELECT count(*) FROM oso.repos')" = 3 ] || fail "rows"
[ "$(q 'SELECT count(*) FROM oso.repos_t')" = 3 ] || fail "table: source"
[ "$(q 'SELECT typeof(id) || typeof(big) || replace(typeof(stars), chr(44), chr(32)) || typeof(fork) || typeof(created) || typeof(updated) || typeof(pushed) FROM oso.repos LIMIT 1')" = "INTEGERBIGINTDECIMAL(10 2)BOOLEANDATETIMESTAMPTIMESTAMP WITH TIME ZONE" ] || fail "types: $(q 'DESCRIBE oso.repos')"
[ "$(q "SELECT name = 'a,b' AND note = 'say \"hi\"' AND big = 9000000000 AND stars = 12.5 AND fork FROM oso.repos WHERE id = 1")" = true ] || fail "values 1: $(q 'SELECT * FROM oso.repos WHERE id = 1')"
[ "$(q "SELECT name = '' AND note IS NULL AND big IS NULL AND fork = false FROM oso.repos WHERE id = 2")" = true ] || fail "empty string vs NULL"
[ "$(q "SELECT name = E'multi\\nline' FROM oso.repos WHERE id = 3")" = true ] || [ "$(q "SELECT name = 'multi' || chr(10) || 'line' FROM oso.repos WHERE id = 3")" = true ] || fail "newline in a value"
[ "$(q "SELECT epoch(pushed) FROM oso.repos WHERE id = 1")" = 1704096000.0 ] || fail "timestamptz: $(q 'SELECT pushed FROM oso.repos WHERE id = 1')"
[ "$(q "SELECT json_extract(meta, '\$.k[1]') FROM oso.repos WHERE id = 1")" = 2 ] || fail "jsonb as JSON text"
expect_rc 0 f asset list
expect_out '"rows_read":3'
# merge: changed and new rows
pg_psql -c "UPDATE repos SET name = 'renamed' WHERE id = 2; INSERT INTO repos (id, name) VALUES (4, 'new')"
expect_rc 0 f asset materialize --select oso.repos
[ "$(q "SELECT string_agg(id || ':' || name, ' ' ORDER BY id) FROM oso.repos")" = "1:a,b 2:renamed 3:multi
line 4:new" ] || [ "$(q "SELECT count(*) FROM oso.repos")" = 4 ] || fail "merge: $(q 'SELECT id, name FROM oso.repos')"
[ "$(q "SELECT name FROM oso.repos WHERE id = 2")" = renamed ] || fail "merge replaced"
# errors never show the password
expect_rc 1 f asset materialize --select oso.bad
expect_rc 0 f run show "$(last_run)"
expect_out 'column "nope" does not exist'
expect_no_out "$PG_PASSWORD"
printf 'DAGSTER__SOURCE_DB__URL=postgresql://floe:wrong-pw-123@127.0.0.1:%s/postgres\n' "$PG_PORT" > $P/.env
expect_rc 1 f asset materialize --select oso.repos
expect_rc 0 f run show "$(last_run)"
expect_out "cannot connect"
expect_no_out "wrong-pw-123"
echo ok
