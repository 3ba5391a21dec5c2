#!/usr/bin/env bash
# floe query is read-only by construction (docs/security.md, "Query text"): every bypass we could think of
# is refused or fails, the warehouse stays byte-for-byte the same (sha256 of every file, before and after
# each query), nothing new is written anywhere we can see, and nothing outside the lake is read.
. "$(dirname "$0")/lib.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - {key: oso.t, kind: ingest, source: {type: csv, path: data/t.csv}}
Y
printf 'id,name\n1,alpha\n2,beta\n' > $P/data/t.csv
expect_rc 0 f asset materialize --select oso.t
WH=$(cd $P/.floe/lake && pwd)
DATA=$(ls $WH/oso/t/data/*.parquet | head -1)
[ -f "$DATA" ] || fail "no data file"
# outside the lake: a secret, a Parquet file, and a working directory the queries run from (relative
# paths and replacement scans resolve there)
OUTSIDE=$T/outside
mkdir -p $OUTSIDE $T/cwd
echo "TOPSECRET-$$" > $OUTSIDE/secret.txt
cp "$DATA" $OUTSIDE/o.parquet
cp $OUTSIDE/secret.txt $T/cwd/secret.txt
cp "$DATA" $T/cwd/o.parquet
# symlinks planted in the warehouse (only someone who can write the lake can do that): a directory and a
# file leading out of it
ln -s $OUTSIDE $WH/link
ln -s $OUTSIDE/secret.txt $WH/oso/t/data/evil.parquet

state() { # every path under the warehouse, outside/ and cwd/, with the sha256 of each file
  find "$WH" "$OUTSIDE" "$T/cwd" -print0 | sort -z | while IFS= read -r -d '' p; do
    if [ -f "$p" ] && [ ! -L "$p" ]; then printf '%s %s\n' "$(sha256sum < "$p" | cut -c1-64)" "$p"
    else printf 'entry %s\n' "$p"; fi
  done
}
BEFORE=$(state)
q() { (cd $T/cwd && "$FLOE" -p "$P" query "$@"); }

# attempt SQL WANT: the query must exit 2 with WANT in its message, write nothing, read nothing outside
n=0
attempt() {
  local sql=$1 want=$2
  n=$((n+1))
  expect_rc 2 q "$sql"
  expect_out "$want"
  expect_no_out "TOPSECRET"
  local now; now=$(state)
  [ "$now" = "$BEFORE" ] || fail "query changed the files: $sql
$(diff <(echo "$BEFORE") <(echo "$now"))"
}
RO="floe query is read-only"
DENIED="disabled by configuration"

# --- what is not a SELECT, however it is written
attempt "/* c */ EXPLAIN ANALYZE COPY (SELECT 42 AS x) TO '$DATA' (FORMAT parquet)" "$RO"
attempt "SELECT 1; EXPLAIN ANALYZE COPY (SELECT 1) TO '$WH/x.csv'" "$RO"
attempt "select 1;copy (select 1) to '$WH/x.csv'" "$RO"
attempt "SELECT 1 AS a; SELECT 2 AS b" "found 2 statements"
attempt "CoPy (SELECT 1) To '$WH/x.csv'" "$RO"
attempt $'  \n\t-- a comment\n /* another; */ COPY oso.t TO \'x.parquet\' (FORMAT parquet)' "$RO"
attempt "COPY (SELECT 42 AS x) TO '$DATA' (FORMAT parquet)" "$RO"
attempt "COPY oso.t FROM '$OUTSIDE/o.parquet'" "$RO"
attempt "EXPLAIN ANALYZE SELECT * FROM oso.t" "$RO"
attempt "explain analyse select 1" "$RO"
attempt "EXPLAIN (ANALYZE) COPY (SELECT 1) TO '$WH/x.csv'" "$RO"
attempt "EXPLAIN (ANALYZE true, FORMAT json) SELECT 1" "$RO"
attempt "EXPLAIN/**/ANALYZE COPY (SELECT 1) TO '$WH/x.csv'" "$RO"
attempt "/* /* nested */ */ EXPLAIN --x
ANALYZE COPY (SELECT 1) TO '$WH/x.csv'" "$RO"
attempt "EXPLAIN COPY (SELECT 1) TO '$WH/x.csv'" "$RO"
attempt "EXPLAIN CREATE TABLE x AS SELECT 1" "$RO"
attempt "WITH x AS (SELECT 1) INSERT INTO oso.t SELECT * FROM x" "$RO"
attempt "WITH x AS (DELETE FROM oso.t RETURNING *) SELECT * FROM x" "$RO"
attempt "WITH x AS (COPY (SELECT 1) TO '$WH/x.csv') SELECT 1" "$RO"
attempt "CREATE TABLE x AS SELECT 1" "$RO"
attempt "CREATE OR REPLACE VIEW oso.t AS SELECT 42 AS id" "$RO"
attempt "CREATE MACRO m() AS 1" "$RO"
attempt "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')" "$RO"
attempt "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')" "$RO"
attempt "DROP VIEW oso.t" "$RO"
attempt "INSERT INTO oso.t VALUES (3, 'x')" "$RO"
attempt "UPDATE oso.t SET id = 9" "$RO"
attempt "DELETE FROM oso.t" "$RO"
attempt "ATTACH '$WH/x.duckdb' AS x" "$RO"
attempt "ATTACH ':memory:' AS m" "$RO"
attempt "DETACH memory" "$RO"
attempt "INSTALL httpfs" "$RO"
attempt "LOAD httpfs" "$RO"
attempt "LOAD '$OUTSIDE/evil.duckdb_extension'" "$RO"
attempt "SET enable_external_access=true" "$RO"
attempt "SET lock_configuration=false" "$RO"
attempt "RESET allowed_paths" "$RO"
attempt "SET allowed_directories=['/']" "$RO"
attempt "SET GLOBAL profiling_output='$WH/p.json'" "$RO"
attempt "PRAGMA enable_profiling='json'" "$RO"
attempt "PRAGMA profiling_output='$WH/p.json'" "$RO"
attempt "CALL enable_logging(storage='file', storage_path='$WH/logs')" "$RO"
attempt "CALL checkpoint()" "$RO"
attempt "CHECKPOINT" "$RO"
attempt "VACUUM" "$RO"
attempt "EXPORT DATABASE '$WH/exp'" "$RO"
attempt "IMPORT DATABASE '$OUTSIDE'" "$RO"
attempt "PREPARE p AS COPY (SELECT 1) TO '$WH/x.csv'" "$RO"
attempt "USE system" "$RO"
attempt "BEGIN TRANSACTION" "$RO"
attempt "PIVOT (SELECT 1 AS a, 2 AS b) ON a USING sum(b)" "$RO"   # without IN it runs a statement first
# --- a SELECT that calls a table function which writes, changes state or runs SQL the check never saw
attempt "SELECT * FROM enable_logging(storage='file', storage_path='$WH/logs')" "enable_logging"
attempt "FROM (FROM enable_logging(storage='file', storage_config={'path': '$WH/l.csv', 'normalize': false}))" "enable_logging"
attempt "SELECT * FROM checkpoint()" "checkpoint"
attempt "SELECT * FROM query('SELECT * FROM read_text(''/etc/hostname'')')" "query"
attempt "SELECT * FROM query_table('oso.t')" "query_table"
attempt "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))" "json_execute_serialized_sql"
attempt "SELECT * FROM duckdb_secrets()" "duckdb_secrets"
attempt "SELECT * FROM duckdb_extensions()" "duckdb_extensions"
attempt "SELECT * FROM truncate_duckdb_logs()" "truncate_duckdb_logs"
# --- reading outside the lake: absolute, relative, .., ~, URLs, symlinks, globs, replacement scans
attempt "SELECT * FROM read_text('/etc/hostname')" "$DENIED"
attempt "SELECT * FROM read_csv('/etc/passwd')" "$DENIED"
attempt "SELECT * FROM read_blob('$OUTSIDE/secret.txt')" "$DENIED"
attempt "SELECT * FROM read_text('secret.txt')" "$DENIED"
attempt "SELECT * FROM read_text('./secret.txt')" "$DENIED"
attempt "SELECT * FROM 'o.parquet'" "$DENIED"
attempt "SELECT * FROM '$OUTSIDE/o.parquet'" "$DENIED"
attempt "SELECT * FROM read_parquet(['$DATA', '$OUTSIDE/o.parquet'])" "$DENIED"
attempt "SELECT * FROM read_text('$WH/../../outside/secret.txt')" "$DENIED"
attempt "SELECT * FROM read_text('$WH/oso/t/data/../../../../../outside/secret.txt')" "$DENIED"
attempt "SELECT * FROM read_text('$WH/link/secret.txt')" "$DENIED"
attempt "SELECT * FROM read_text('$WH/oso/t/data/evil.parquet')" "$DENIED"
attempt "SELECT * FROM read_text('$WH/oso/t/metadata/version-hint.text')" "$DENIED"
attempt "SELECT * FROM glob('$WH/*')" "$DENIED"
attempt "SELECT * FROM glob('/etc/*')" "$DENIED"
attempt "SELECT * FROM read_parquet('$WH/**/*.parquet')" "$DENIED"
attempt "SELECT * FROM read_text('file://$OUTSIDE/secret.txt')" "$DENIED"
attempt "SELECT * FROM read_text('~/.bashrc')" "$DENIED"
attempt "SELECT * FROM read_text('/proc/self/environ')" "$DENIED"
attempt "SELECT * FROM read_text('https://example.com/x')" "$DENIED"
attempt "SELECT * FROM read_text('http://127.0.0.1:9/x')" "$DENIED"
attempt "SELECT * FROM read_csv('s3://bucket/x.csv')" "$DENIED"
attempt "SELECT * FROM parquet_metadata('$OUTSIDE/o.parquet')" "$DENIED"
attempt "SELECT * FROM sniff_csv('/etc/passwd')" "$DENIED"
attempt "SELECT * FROM read_json('$OUTSIDE/secret.txt')" "$DENIED"
attempt "SELECT * FROM read_text(concat('/etc/', 'hostname'))" "$DENIED"
attempt "SELECT * FROM (SELECT * FROM oso.t) a, LATERAL (SELECT * FROM read_text('/etc/' || 'hostname')) b" "$DENIED"
attempt "SELECT getenv('HOME')" "getenv"

# --- what may run does, and changes nothing
expect_rc 0 q "SELECT id, name FROM oso.t ORDER BY id" --format csv
[ "$OUT" = $'id,name\n1,alpha\n2,beta' ] || fail "the table changed: $OUT"
expect_rc 0 q "  sElEcT count(*) AS n FROM oso.t ; -- done" --format csv
[ "$OUT" = $'n\n2' ] || fail "count: $OUT"
expect_rc 0 q "SELECT ';COPY (SELECT 1) TO ''x.csv''' AS s /* ; DROP VIEW oso.t */" --format csv
expect_out ";COPY (SELECT 1) TO 'x.csv'"
expect_rc 0 q "EXPLAIN SELECT * FROM oso.t"
expect_out "physical_plan"
expect_no_out "analyzed_plan"
expect_rc 0 q "/* c */ explain (SELECT 1)"
expect_out "physical_plan"
expect_rc 0 q "DESCRIBE oso.t"
expect_out "name"
expect_rc 0 q "SUMMARIZE oso.t"
expect_rc 0 q "SELECT count(*) AS n FROM '$DATA'" --format csv   # a data file of the lake may be read
[ "$OUT" = $'n\n2' ] || fail "reading a data file of the lake: $OUT"
# a query larger than memory does not spill into the working directory (DuckDB's default temp_directory
# is ".tmp" there, up to 90% of the free disk): spilling is off, such a query fails with Out of Memory
expect_rc 0 q "SELECT current_setting('temp_directory') AS t" --format csv
[ "$OUT" = $'t\n' ] || [ "$OUT" = "t" ] || fail "queries may spill to disk: temp_directory = $OUT"
[ "$(state)" = "$BEFORE" ] || fail "a read-only query changed the files"
echo "ok ($n attempts refused)"
