/* engine.h — the embedded SQL engine (DuckDB, in-process).
 *
 * libduckdb.so is large (~65 MB): linking it would slow the start of every `floe` command, so it is
 * loaded with dlopen() the first time an engine is opened, and the handful of duckdb_* functions floe
 * uses are resolved into a function table (src/engine/engine.c). The library path is baked in at build
 * time (FLOE_DUCKDB_LIB) and may be overridden with the environment variable FLOE_DUCKDB_LIB.
 *
 * An engine is one in-memory DuckDB database with one connection; it is not thread-safe. */
#ifndef FLOE_ENGINE_H
#define FLOE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "floe/err.h"
#include "floe/util.h"

typedef struct floe_engine floe_engine;
typedef struct floe_result floe_result;

/* Column value classes, enough to print a result as a table, CSV or JSON. */
typedef enum {
  FLOE_COL_STRING,  /* anything printed quoted in JSON */
  FLOE_COL_INTEGER, /* TINYINT..HUGEINT, unsigned */
  FLOE_COL_FLOAT,   /* FLOAT, DOUBLE, DECIMAL */
  FLOE_COL_BOOL,
  FLOE_COL_JSON,    /* a nested value (list, struct, map) as JSON text; only from floe_engine_query_readonly */
} floe_coltype;

/* Loads libduckdb (once per process). FLOE_EUNSUPPORTED with the path tried when it cannot. */
int floe_engine_load(floe_err *err) FLOE_WUR;
/* DuckDB's version string ("v1.4.4"), loading the library if needed; NULL when it cannot be loaded. */
const char *floe_engine_version(void);

/* Opens an in-memory database. Extension auto-install/auto-load are off (nothing downloads).
 * threads: 0 = DuckDB's default. Caller closes with floe_engine_close. */
int floe_engine_open(floe_engine **out, int threads, floe_err *err) FLOE_WUR;
void floe_engine_close(floe_engine *e);
/* For a process about to exit: the in-memory database goes with the process, without the teardown
 * (joining DuckDB's threads, freeing its buffers: ~6 ms, a sixth of a short `floe query`). */
void floe_engine_leave(floe_engine *e);

/* Runs sql (one or more statements), discarding any result. Every entry point refuses (FLOE_ENOMEM, nothing
 * run) a NULL sql and one holding FLOE_BUF_FAILED: text from a buffer that ran out of memory. */
int floe_engine_exec(floe_engine *e, const char *sql, floe_err *err) FLOE_WUR;
int floe_engine_execf(floe_engine *e, floe_err *err, const char *fmt, ...) FLOE_WUR
    __attribute__((format(printf, 3, 4)));

/* Runs sql and materializes the result of its last statement. Caller frees *out with floe_result_free. */
int floe_engine_query(floe_engine *e, const char *sql, floe_result **out, floe_err *err) FLOE_WUR;

/* Like floe_engine_query for untrusted SQL (`floe query`): runs exactly one SELECT (DESCRIBE, SHOW and
 * SUMMARIZE are SELECTs) or EXPLAIN of one without ANALYZE, decided by DuckDB's parser before anything
 * runs; anything else is refused with FLOE_EINPUT and a message saying floe query is read-only. A missing
 * table, schema or function is FLOE_ENOTFOUND. See floe_engine_readonly_check. */
int floe_engine_query_readonly(floe_engine *e, const char *sql, floe_result **out, floe_err *err) FLOE_WUR;
/* The check floe_engine_query_readonly makes, from DuckDB's parse tree (json_serialize_sql: parsing only,
 * nothing bound or run): exactly one statement, a SELECT; only table functions that read; for EXPLAIN,
 * the text after the keyword alone must pass, and *run becomes "EXPLAIN " + that text (so no ANALYZE or
 * option can be in what runs). *run (floe_malloc'd, caller frees) is the statement to run; tables (may be
 * NULL) gets the base-table names the query refers to ("schema.table" or "table", floe_malloc'd). The
 * engine remembers the last text that passed, so checking it early (while other work goes on) costs nothing
 * when floe_engine_query_readonly runs it. */
int floe_engine_readonly_check(floe_engine *e, const char *sql, char **run, floe_vec *tables,
                               floe_err *err) FLOE_WUR;

/* Registers floe_plain_int(VARCHAR) -> BIGINT in e (once): the integer a text writes in plain digits
 * (spaces, a sign, digits), NULL for NULL and ''; any other text — a point, an exponent, past int64 — fails the
 * query. A strict parse for the one-pass ingest, where DuckDB's CAST would round 1.5 to 2. */
int floe_engine_register_plain_int(floe_engine *e, floe_err *err) FLOE_WUR;

size_t floe_result_ncols(const floe_result *r);
size_t floe_result_nrows(const floe_result *r);
const char *floe_result_colname(const floe_result *r, size_t col);
floe_coltype floe_result_coltype(const floe_result *r, size_t col);
bool floe_result_isnull(const floe_result *r, size_t col, size_t row);
/* The value as text (NULL when the value is NULL). The string is owned by the result and valid until
 * the next floe_result_str call on it or floe_result_free. */
const char *floe_result_str(floe_result *r, size_t col, size_t row);
/* The same with its length in *len: text may hold NUL bytes (floe_result_str's C string ends at the first). */
const char *floe_result_strn(floe_result *r, size_t col, size_t row, size_t *len);
int64_t floe_result_i64(const floe_result *r, size_t col, size_t row);
double floe_result_f64(const floe_result *r, size_t col, size_t row);
void floe_result_free(floe_result *r);

/* SQL quoting helpers; results from the arena. 'it''s' and "col""name". */
char *floe_sql_str(floe_arena *a, const char *s);
char *floe_sql_ident(floe_arena *a, const char *s);
/* Same, appended to a buffer. */
int floe_buf_sql_str(floe_buf *b, const char *s);
int floe_buf_sql_ident(floe_buf *b, const char *s);

#endif
