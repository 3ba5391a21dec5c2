/* test_engine.c — the read-only check of floe query (floe_engine_readonly_check) against real DuckDB:
 * which statements pass, what runs for an EXPLAIN, and text with NUL bytes coming back whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/engine.h"
#include "test.h"

static floe_engine *E;

/* Statements that must pass, and the text that runs (NULL: the statement itself). */
static const struct {
  const char *sql, *run;
} accepted[] = {
    {"SELECT 1", NULL},
    {"  select 1 ; -- trailing comment", NULL},
    {"/* c */ FROM range(3)", NULL},
    {"WITH t AS (SELECT 1 AS x) SELECT * FROM t", NULL},
    {"DESCRIBE SELECT 1", NULL},
    {"SUMMARIZE SELECT 1 AS a", NULL},
    {"SHOW TABLES", NULL},
    {"SELECT * FROM generate_series(1, 3), duckdb_tables()", NULL},
    {"VALUES (1), (2)", NULL},
    {"EXPLAIN SELECT 1", "EXPLAIN  SELECT 1"},
    {"/* x */ explain\n(SELECT 1)", "EXPLAIN \n(SELECT 1)"},
    {"-- c\nEXPLAIN/* inner */SELECT 2", "EXPLAIN /* inner */SELECT 2"},
};

/* Statements that must be refused, each with a word of the message. */
static const struct {
  const char *sql, *says;
} refused[] = {
    {"COPY (SELECT 1) TO '/tmp/x.csv'", "read-only"},
    {"/* c */ EXPLAIN ANALYZE COPY (SELECT 42 AS x) TO '/tmp/x.parquet' (FORMAT parquet)", "read-only"},
    {"EXPLAIN ANALYZE SELECT 1", "ANALYZE"},
    {"EXPLAIN ANALYSE SELECT 1", "read-only"},
    {"explain (analyze) select 1", "read-only"},
    {"EXPLAIN (ANALYZE true, FORMAT json) SELECT 1", "read-only"},
    {"EXPLAIN/**/ANALYZE SELECT 1", "read-only"},
    {"EXPLAIN COPY (SELECT 1) TO '/tmp/x.csv'", "read-only"},
    {"EXPLAIN EXPLAIN SELECT 1", "syntax error"},
    {"SELECT 1; EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/x.csv'", "not a SELECT"},
    {"SELECT 1; SELECT 2", "found 2 statements"},
    {"CREATE TABLE t AS SELECT 1", "not a SELECT"},
    {"INSERT INTO t VALUES (1)", "not a SELECT"},
    {"ATTACH '/tmp/x.db'", "not a SELECT"},
    {"INSTALL httpfs", "not a SELECT"},
    {"LOAD httpfs", "not a SELECT"},
    {"SET enable_external_access=true", "not a SELECT"},
    {"RESET lock_configuration", "not a SELECT"},
    {"PRAGMA enable_profiling", "not a SELECT"},
    {"CALL enable_logging()", "not a SELECT"},
    {"EXPORT DATABASE '/tmp/x'", "not a SELECT"},
    {"CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 's')", "not a SELECT"},
    {"CHECKPOINT", "not a SELECT"},
    {"USE system", "not a SELECT"},
    {"SELECT * FROM enable_logging(storage='file', storage_path='/tmp/x')", "enable_logging"},
    {"SELECT (SELECT count(*) FROM \"ENABLE_LOGGING\"())", "enable_logging"},
    {"SELECT * FROM system.main.checkpoint()", "checkpoint"},
    {"SELECT * FROM query('SELECT 1')", "query"},
    {"SELECT * FROM query_table('t')", "query_table"},
    {"SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))", "json_execute_serialized_sql"},
    {"SELECT * FROM duckdb_secrets()", "duckdb_secrets"},
    {"SELECT * FROM duckdb_extensions()", "duckdb_extensions"},
    {"WITH x AS (SELECT * FROM truncate_duckdb_logs()) SELECT 1", "truncate_duckdb_logs"},
    {"SELEC 1", "syntax error"},
    {"IMPORT DATABASE '/etc'", "not a SELECT"}, /* refused before DuckDB reads /etc/schema.sql */
    {" ; ;", "no SQL statement"},
    {"", "no SQL statement"},
};

static void check_readonly(void) {
  for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
    floe_err err = {0};
    char *run = NULL;
    int rc = floe_engine_readonly_check(E, accepted[i].sql, &run, NULL, &err);
    if (rc) fprintf(stderr, "refused %s: %s\n", accepted[i].sql, err.msg);
    CHECK(rc == 0);
    CHECK_STR(run, accepted[i].run ? accepted[i].run : accepted[i].sql);
    floe_free(run);
  }
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    floe_err err = {0};
    char *run = NULL;
    int rc = floe_engine_readonly_check(E, refused[i].sql, &run, NULL, &err);
    if (!rc) fprintf(stderr, "accepted %s\n", refused[i].sql);
    CHECK(rc == FLOE_EINPUT);
    CHECK(run == NULL);
    CHECK_CONTAINS(err.msg, refused[i].says);
  }
}

/* The base tables a query names, for the lake's "did you mean" (CTE names included: the lake skips those
 * that are its own tables and those DuckDB did not miss). */
static void check_tables(void) {
  floe_vec t = {0};
  floe_err err = {0};
  char *run = NULL;
  CHECK(floe_engine_readonly_check(E, "SELECT * FROM oso.a JOIN b USING (x) WHERE x IN (SELECT x FROM c.d)", &run, &t, &err) == 0);
  CHECK(t.len == 3);
  if (t.len == 3) {
    CHECK_STR(t.items[0], "oso.a");
    CHECK_STR(t.items[1], "b");
    CHECK_STR(t.items[2], "c.d");
  }
  for (size_t i = 0; i < t.len; i++) floe_free(t.items[i]);
  floe_vec_free(&t);
  floe_free(run);
}

/* Text comes back with every byte (the C API's strings end at a NUL); errors are classified. */
static void check_results(void) {
  floe_err err = {0};
  floe_result *r = NULL;
  CHECK(floe_engine_query_readonly(E, "SELECT 'x' || chr(0) || 'y\\' AS s, 'é' AS u, NULL::VARCHAR AS n, 7 AS i", &r, &err) == 0);
  if (r) {
    size_t n;
    const char *v = floe_result_strn(r, 0, 0, &n);
    CHECK(n == 4 && v && !memcmp(v, "x\0y\\", 4));
    CHECK_STR(floe_result_colname(r, 0), "s");
    CHECK_STR(floe_result_str(r, 1, 0), "é");
    CHECK(floe_result_str(r, 2, 0) == NULL);
    CHECK(floe_result_coltype(r, 3) == FLOE_COL_INTEGER);
    CHECK_STR(floe_result_str(r, 3, 0), "7");
    floe_result_free(r);
  }
  CHECK(floe_engine_query_readonly(E, "SELECT * FROM no_such_table", &r, &err) == FLOE_ENOTFOUND);
  CHECK_CONTAINS(err.msg, "no_such_table");
  CHECK(floe_engine_query_readonly(E, "SELECT 1 / 'a'", &r, &err) != 0);
}

/* SQL built in a buffer that ran out of memory never runs: not directly, not copied out, not pasted into
 * a larger statement. Each statement below would create t (one row) from the text built before the failure. */
static void check_failed_buffer(void) {
  floe_err err = {0};
  floe_buf b, outer;
  floe_buf_init(&b, 40); /* a cap stands for the allocation that fails */
  CHECK(floe_buf_puts(&b, "CREATE TABLE t AS SELECT 1 AS a") == 0);
  CHECK(floe_buf_puts(&b, " WHERE a = 2 AND a = 3") == FLOE_ENOMEM);
  CHECK(b.oom && b.len == 0);
  CHECK(floe_engine_exec(E, floe_buf_str(&b), &err) == FLOE_ENOMEM);
  CHECK_CONTAINS(err.msg, "out of memory");
  floe_arena a;
  floe_arena_init(&a, 0);
  CHECK(floe_engine_exec(E, floe_arena_strdup(&a, floe_buf_str(&b)), &err) == FLOE_ENOMEM);
  floe_buf_init(&outer, 0);
  CHECK(floe_buf_printf(&outer, "%s; SELECT 1", floe_buf_str(&b)) == 0);
  CHECK(floe_engine_exec(E, floe_buf_str(&outer), &err) == FLOE_ENOMEM);
  CHECK(floe_engine_exec(E, NULL, &err) == FLOE_ENOMEM);
  CHECK(floe_buf_take(&b) == NULL);
  floe_result *r = NULL;
  CHECK(floe_engine_query(E, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'", &r, &err) == 0);
  CHECK(r && floe_result_i64(r, 0, 0) == 0);
  floe_result_free(r);
  floe_buf_free(&outer);
  floe_buf_free(&b);
  floe_arena_free(&a);
}

int main(void) {
  floe_err err = {0};
  if (floe_engine_open(&E, 1, &err)) {
    fprintf(stderr, "engine: %s\n", err.msg);
    return 1;
  }
  check_readonly();
  check_tables();
  check_results();
  check_failed_buffer();
  floe_engine_close(E);
  TEST_MAIN_END();
}
