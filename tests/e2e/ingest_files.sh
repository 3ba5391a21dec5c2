#!/usr/bin/env bash
# File and command sources through real runs: ndjson (plain, gzip, glob), parquet written by DuckDB,
# a Python command writing NDJSON/CSV/Parquet to $FLOE_OUTPUT; append and overwrite; nested JSON kept as
# JSON text or flattened; row counts and the snapshot id in the materialization metadata.
. "$(dirname "$0")/lib.sh"
lake_project
mkdir -p $P/data/ev $P/scripts
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.events
    kind: ingest
    source:
      type: ndjson
      path: data/ev/*.ndjson*
      flatten: {actor_login: actor.login}
    columns: {id: long}
  - key: oso.repos
    kind: ingest
    source: {type: parquet, path: data/repos.parquet}
    mode: overwrite
  - key: oso.py_rows
    kind: ingest
    source:
      type: command
      command: [python3, scripts/extract.py]
      env: {N_ROWS: "3"}
  - key: oso.py_csv
    kind: ingest
    source: {type: command, command: [python3, scripts/extract.py, csv], format: csv}
    mode: overwrite
  - key: oso.py_parquet
    kind: ingest
    source: {type: command, command: [sh, -c, 'cp data/repos.parquet "$FLOE_OUTPUT"']}
  - key: oso.py_fails
    kind: ingest
    source: {type: command, command: [sh, -c, 'echo boom >&2; exit 3']}
Y
cat > $P/scripts/extract.py <<'PY'
import json, os, sys
out = os.environ["FLOE_OUTPUT"]
n = int(os.environ.get("N_ROWS", "2"))
with open(out, "w") as f:
    if len(sys.argv) > 1 and sys.argv[1] == "csv":
        f.write("name,stars\nfoo,1\nbar,2\n")
    else:
        for i in range(n):
            f.write(json.dumps({"id": i, "name": f"row{i}", "tags": ["a", "b"]}) + "\n")
with open(os.environ["FLOE_EVENTS"], "a") as e:
    e.write(json.dumps({"type": "materialization", "metadata": {"extracted_by": "python"}}) + "\n")
PY
q() { f query "$1" --format csv | tail -n +2; }
printf '{"id":1,"type":"push","actor":{"login":"ann","id":7}}\n{"id":2,"type":"fork","actor":{"login":"bob","id":8}}\n' > $P/data/ev/a.ndjson
printf '{"id":3,"type":"push","actor":{"login":"cy","id":9}}\n' | gzip > $P/data/ev/b.ndjson.gz
node "$SRC/tests/e2e/duckdb_sql.mjs" "COPY (SELECT i AS id, 'repo' || i AS name, i * 1.5 AS score FROM range(5) t(i)) TO '$P/data/repos.parquet' (FORMAT parquet)" >/dev/null
expect_rc 1 f asset materialize --select '*'
[ "$(q 'SELECT count(*) FROM oso.events')" = 3 ] || fail "ndjson glob + gzip"
[ "$(q "SELECT actor_login FROM oso.events WHERE id = 3")" = cy ] || fail "flattened path"
[ "$(q "SELECT json_extract_string(actor, '\$.login') FROM oso.events WHERE id = 1")" = ann ] || fail "nested object kept as JSON text"
[ "$(q 'SELECT typeof(id) FROM oso.events LIMIT 1')" = BIGINT ] || fail "declared type"
[ "$(q 'SELECT count(*) FROM oso.repos')" = 5 ] || fail "parquet"
[ "$(q 'SELECT sum(score) FROM oso.repos')" = 15.0 ] || fail "parquet values"
[ "$(q 'SELECT count(*) FROM oso.py_rows')" = 3 ] || fail "command ndjson with source env"
[ "$(q "SELECT tags = '[\"a\",\"b\"]' FROM oso.py_rows WHERE id = 0")" = true ] || fail "list kept as JSON"
[ "$(q 'SELECT count(*) FROM oso.py_csv')" = 2 ] || fail "command csv"
[ "$(q 'SELECT count(*) FROM oso.py_parquet')" = 5 ] || fail "command parquet (sniffed)"
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
RUN=$(last_run)
expect_rc 0 f run show "$RUN"
expect_out "failed with exit status 3"
expect_rc 0 f run logs "$RUN"
expect_out "boom"
expect_rc 0 f asset list
expect_out '"rows_read":3'
expect_out '"extracted_by":"python"'
expect_out '"rows_written":3'
expect_out '"rows_rejected":0'
expect_out '"snapshot_id":'

# append / overwrite the second time; staging directories are removed
expect_rc 0 f asset materialize --select 'oso.events,oso.repos,oso.py_rows,oso.py_csv'
[ "$(q 'SELECT count(*) FROM oso.events')" = 6 ] || fail "append"
[ "$(q 'SELECT count(*) FROM oso.repos')" = 5 ] || fail "overwrite"
[ "$(q 'SELECT count(*) FROM oso.py_rows')" = 6 ] || fail "command append"
[ "$(q 'SELECT count(*) FROM oso.py_csv')" = 2 ] || fail "command overwrite"
[ -z "$(ls -A $P/.floe/tmp 2>/dev/null)" ] || fail "staging left behind: $(ls $P/.floe/tmp)"

# a glob matching nothing names the option's position
rm $P/data/ev/*
expect_rc 1 f asset materialize --select oso.events
expect_rc 0 f run show "$(last_run)"
expect_out "assets/a.yaml:6:13: source.path: no file matches"
echo ok
