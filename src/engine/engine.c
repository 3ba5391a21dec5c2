/* engine.c — DuckDB loaded on demand: dlopen + a table of the duckdb_* functions floe calls.
 *
 * Only this file includes duckdb.h; nothing here is linked against libduckdb, so commands that never
 * open an engine (everything but query/lake/ingest) pay nothing for it at start-up. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "duckdb.h"
#include "floe/engine.h"

#ifndef FLOE_DUCKDB_LIB
#define FLOE_DUCKDB_LIB "libduckdb.so"
#endif

/* X(name): every function resolved from the library. */
#define DUCKDB_FUNCS(X)                                                                                                \
  X(duckdb_library_version)                                                                                            \
  X(duckdb_create_config)                                                                                              \
  X(duckdb_set_config)                                                                                                 \
  X(duckdb_destroy_config)                                                                                             \
  X(duckdb_open_ext)                                                                                                   \
  X(duckdb_close)                                                                                                      \
  X(duckdb_connect)                                                                                                    \
  X(duckdb_disconnect)                                                                                                 \
  X(duckdb_query)                                                                                                      \
  X(duckdb_destroy_result)                                                                                             \
  X(duckdb_result_error)                                                                                               \
  X(duckdb_column_count)                                                                                               \
  X(duckdb_row_count)                                                                                                  \
  X(duckdb_column_name)                                                                                                \
  X(duckdb_column_type)                                                                                                \
  X(duckdb_value_is_null)                                                                                              \
  X(duckdb_value_varchar)                                                                                              \
  X(duckdb_value_int64)                                                                                                \
  X(duckdb_value_double)                                                                                               \
  X(duckdb_free)                                                                                                       \
  X(duckdb_extract_statements)                                                                                         \
  X(duckdb_extract_statements_error)                                                                                   \
  X(duckdb_prepare_extracted_statement)                                                                                \
  X(duckdb_prepared_statement_type)                                                                                    \
  X(duckdb_prepared_statement_column_count)                                                                            \
  X(duckdb_prepared_statement_column_type)                                                                             \
  X(duckdb_prepared_statement_column_name)                                                                             \
  X(duckdb_prepare)                                                                                                    \
  X(duckdb_prepare_error)                                                                                              \
  X(duckdb_execute_prepared)                                                                                           \
  X(duckdb_destroy_prepare)                                                                                            \
  X(duckdb_destroy_extracted)

static struct {
#define FIELD(n) __typeof__(&n) n;
  DUCKDB_FUNCS(FIELD)
#undef FIELD
} D;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[1024];
static bool loaded;

static void load_library(void) {
  const char *path = getenv("FLOE_DUCKDB_LIB");
  if (!path || !*path) path = FLOE_DUCKDB_LIB;
  /* RTLD_LAZY: binding ~1,000 symbols eagerly costs ~10 ms we need not pay. */
  void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (!h) {
    snprintf(load_error, sizeof load_error,
             "cannot load the DuckDB library %s (%s); run scripts/bootstrap.sh or set FLOE_DUCKDB_LIB", path,
             dlerror());
    return;
  }
#define RESOLVE(n)                                                                                                     \
  *(void **)&D.n = dlsym(h, #n);                                                                                       \
  if (!D.n) {                                                                                                          \
    snprintf(load_error, sizeof load_error, "the DuckDB library %s lacks %s", path, #n);                               \
    return;                                                                                                            \
  }
  DUCKDB_FUNCS(RESOLVE)
#undef RESOLVE
  loaded = true;
}

int floe_engine_load(floe_err *err) {
  pthread_once(&load_once, load_library);
  if (!loaded) return floe_err_set(err, FLOE_EUNSUPPORTED, "%s", load_error);
  return 0;
}

const char *floe_engine_version(void) {
  if (floe_engine_load(NULL)) return NULL;
  return D.duckdb_library_version();
}

struct floe_engine {
  duckdb_database db;
  duckdb_connection con;
};

struct floe_result {
  duckdb_result res;
  char *scratch;         /* last floe_result_str value (duckdb_malloc'd) */
  unsigned char *json;   /* per column: 1 when the text is JSON (a nested value, see display_sql) */
};

/* FLOE_TRACE_SQL=1: every statement floe runs, with its time, on stderr (for finding where time goes). */
static void trace_sql(const char *sql, int64_t t0, bool failed) {
  static int on = -1;
  if (on < 0) on = getenv("FLOE_TRACE_SQL") && *getenv("FLOE_TRACE_SQL") && strcmp(getenv("FLOE_TRACE_SQL"), "0");
  if (!on) return;
  fprintf(stderr, "floe: sql %8.1f ms%s: %.400s%s\n", (double)(floe_mono_us() - t0) / 1000.0, failed ? " (failed)" : "",
          sql, strlen(sql) > 400 ? "..." : "");
}

int floe_engine_open(floe_engine **out, int threads, floe_err *err) {
  *out = NULL;
  int64_t t0 = floe_mono_us();
  int rc = floe_engine_load(err);
  if (rc) return rc;
  floe_engine *e = floe_calloc(1, sizeof *e);
  if (!e) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  duckdb_config cfg = NULL;
  char *open_err = NULL;
  if (D.duckdb_create_config(&cfg) == DuckDBError) {
    rc = floe_err_set(err, FLOE_EINTERNAL, "duckdb: cannot create a configuration");
    goto fail;
  }
  D.duckdb_set_config(cfg, "autoinstall_known_extensions", "false");
  D.duckdb_set_config(cfg, "autoload_known_extensions", "false");
  if (threads > 0) {
    char t[16];
    snprintf(t, sizeof t, "%d", threads);
    D.duckdb_set_config(cfg, "threads", t);
  }
  if (D.duckdb_open_ext(NULL, &e->db, cfg, &open_err) == DuckDBError) {
    rc = floe_err_set(err, FLOE_EINTERNAL, "duckdb: cannot open a database: %s", open_err ? open_err : "?");
    D.duckdb_free(open_err);
    goto fail;
  }
  if (D.duckdb_connect(e->db, &e->con) == DuckDBError) {
    rc = floe_err_set(err, FLOE_EINTERNAL, "duckdb: cannot connect");
    goto fail;
  }
  D.duckdb_destroy_config(&cfg);
  trace_sql("(load the library, open a database)", t0, false);
  *out = e;
  return 0;
fail:
  if (cfg) D.duckdb_destroy_config(&cfg);
  if (e->db) D.duckdb_close(&e->db);
  floe_free(e);
  return rc;
}

/* keeps an engine given up by floe_engine_leave reachable for leak checkers (volatile: the store must stay) */
static floe_engine *volatile left_behind;

void floe_engine_leave(floe_engine *e) {
  if (e) left_behind = e;
}

void floe_engine_close(floe_engine *e) {
  if (!e) return;
  if (e->con) D.duckdb_disconnect(&e->con);
  if (e->db) D.duckdb_close(&e->db);
  floe_free(e);
}

int floe_engine_query(floe_engine *e, const char *sql, floe_result **out, floe_err *err) {
  *out = NULL;
  floe_result *r = floe_calloc(1, sizeof *r);
  if (!r) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  int64_t t0 = floe_mono_us();
  bool failed = D.duckdb_query(e->con, sql, &r->res) == DuckDBError;
  trace_sql(sql, t0, failed);
  if (failed) {
    const char *m = D.duckdb_result_error(&r->res);
    int rc = floe_err_set(err, FLOE_EFAILED, "%s", m ? m : "query failed");
    D.duckdb_destroy_result(&r->res);
    floe_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

int floe_engine_exec(floe_engine *e, const char *sql, floe_err *err) {
  floe_result *r;
  int rc = floe_engine_query(e, sql, &r, err);
  if (rc) return rc;
  floe_result_free(r);
  return 0;
}

int floe_engine_execf(floe_engine *e, floe_err *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *sql = NULL;
  int n = vasprintf(&sql, fmt, ap);
  va_end(ap);
  if (n < 0) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  int rc = floe_engine_exec(e, sql, err);
  free(sql);
  return rc;
}

/* EXPLAIN ANALYZE executes its statement: refuse it along with every non-SELECT statement. */
static bool explain_analyze(const char *sql) {
  const char *p = sql;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '(') p++;
  if (strncasecmp(p, "explain", 7)) return false;
  p += 7;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return !strncasecmp(p, "analyze", 7) || !strncasecmp(p, "analyse", 7);
}

/* How a column of type t reaches floe_result_str: 0 as it is (duckdb_value_varchar renders it), 'v' cast to
 * VARCHAR in SQL, 'j' as JSON text. duckdb_value_varchar yields NULL for the others — nested values,
 * TIMESTAMP WITH TIME ZONE, TIME WITH TIME ZONE, ENUM, BIT — and a
 * NULL where there is a value is a wrong answer. */
static int display_kind(duckdb_type t) {
  switch (t) {
  case DUCKDB_TYPE_BOOLEAN: case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER:
  case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT: case DUCKDB_TYPE_UINTEGER:
  case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UHUGEINT: case DUCKDB_TYPE_FLOAT:
  case DUCKDB_TYPE_DOUBLE: case DUCKDB_TYPE_DECIMAL: case DUCKDB_TYPE_VARCHAR: case DUCKDB_TYPE_BLOB:
  case DUCKDB_TYPE_DATE: case DUCKDB_TYPE_TIME: case DUCKDB_TYPE_TIMESTAMP: case DUCKDB_TYPE_INTERVAL:
  case DUCKDB_TYPE_SQLNULL: case DUCKDB_TYPE_INVALID:
    return 0;
  case DUCKDB_TYPE_LIST: case DUCKDB_TYPE_STRUCT: case DUCKDB_TYPE_MAP: case DUCKDB_TYPE_ARRAY:
  case DUCKDB_TYPE_UNION:
    return 'j';
  default:
    return 'v';
  }
}

/* For a single SELECT whose columns need converting: the same query through DuckDB's query() table
 * function, with those columns converted by position (#N), so names, order and the other types stay.
 * NULL when no column needs it. kinds[i] gets each column's display_kind. */
static char *display_sql(duckdb_prepared_statement ps, const char *sql, unsigned char *kinds, idx_t ncols) {
  bool any = false;
  for (idx_t i = 0; i < ncols; i++) any |= (kinds[i] = (unsigned char)display_kind(D.duckdb_prepared_statement_column_type(ps, i))) != 0;
  if (!any) return NULL;
  floe_buf b;
  floe_buf_init(&b, 0);
  floe_buf_puts(&b, "SELECT ");
  for (idx_t i = 0; i < ncols; i++) {
    if (i) floe_buf_puts(&b, ", ");
    if (kinds[i] == 'j') floe_buf_printf(&b, "CAST(to_json(#%llu) AS VARCHAR)", (unsigned long long)i + 1);
    else if (kinds[i] == 'v') floe_buf_printf(&b, "CAST(#%llu AS VARCHAR)", (unsigned long long)i + 1);
    else floe_buf_printf(&b, "#%llu", (unsigned long long)i + 1);
    const char *name = D.duckdb_prepared_statement_column_name(ps, i); /* the wrapper keeps the names */
    floe_buf_puts(&b, " AS ");
    floe_buf_sql_ident(&b, name ? name : "?");
    if (name) D.duckdb_free((void *)name);
  }
  floe_buf_puts(&b, " FROM query(");
  floe_buf_sql_str(&b, sql);
  floe_buf_puts(&b, ")");
  char *out = floe_strdup(floe_buf_str(&b));
  floe_buf_free(&b);
  return out;
}

/* Runs the prepared statement into r. A single SELECT whose columns duckdb_value_varchar cannot render
 * runs as display_sql instead, keeping the column names of the original. */
static int execute_for_display(floe_engine *e, duckdb_prepared_statement ps, const char *sql, bool single,
                               floe_result *r, floe_err *err) {
  idx_t ncols = D.duckdb_prepared_statement_column_count(ps);
  unsigned char *kinds = ncols ? floe_calloc(ncols, 1) : NULL;
  if (ncols && !kinds) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  char *wrapped = D.duckdb_prepared_statement_type(ps) == DUCKDB_STATEMENT_TYPE_SELECT ? display_sql(ps, sql, kinds, ncols)
                                                                                       : NULL;
  duckdb_prepared_statement run = ps, wps = NULL;
  if (wrapped && !single) {
    floe_free(wrapped);
    floe_free(kinds);
    return floe_err_set(err, FLOE_EINPUT,
                        "the last statement returns nested or time-zone values, which floe query shows for a "
                        "single statement only: run it alone");
  }
  if (wrapped) {
    if (D.duckdb_prepare(e->con, wrapped, &wps) == DuckDBError) {
      int rc = floe_err_set(err, FLOE_EINPUT, "%s", D.duckdb_prepare_error(wps) ? D.duckdb_prepare_error(wps) : "cannot prepare the query");
      D.duckdb_destroy_prepare(&wps);
      floe_free(wrapped);
      floe_free(kinds);
      return rc;
    }
    run = wps;
  }
  int rc = 0;
  int64_t t0 = floe_mono_us();
  bool failed = D.duckdb_execute_prepared(run, &r->res) == DuckDBError;
  trace_sql(sql, t0, failed);
  if (failed) {
    const char *m = D.duckdb_result_error(&r->res);
    rc = floe_err_set(err, FLOE_EFAILED, "%s", m ? m : "query failed");
    D.duckdb_destroy_result(&r->res);
    memset(&r->res, 0, sizeof r->res);
  } else if (wrapped) {
    r->json = kinds;
    kinds = NULL;
  }
  if (wps) D.duckdb_destroy_prepare(&wps);
  floe_free(wrapped);
  floe_free(kinds);
  return rc;
}

int floe_engine_query_readonly(floe_engine *e, const char *sql, floe_result **out, floe_err *err) {
  *out = NULL;
  duckdb_extracted_statements st = NULL;
  idx_t n = D.duckdb_extract_statements(e->con, sql, &st);
  int rc = 0;
  if (n == 0) {
    const char *m = D.duckdb_extract_statements_error(st);
    rc = floe_err_set(err, FLOE_EINPUT, "%s", m ? m : "no SQL statement given");
    D.duckdb_destroy_extracted(&st);
    return rc;
  }
  floe_result *r = NULL;
  for (idx_t i = 0; i < n && !rc; i++) {
    duckdb_prepared_statement ps = NULL;
    if (D.duckdb_prepare_extracted_statement(e->con, st, i, &ps) == DuckDBError) {
      const char *m = D.duckdb_prepare_error(ps);
      rc = floe_err_set(err, FLOE_EINPUT, "%s", m ? m : "cannot prepare the query");
    } else {
      duckdb_statement_type t = D.duckdb_prepared_statement_type(ps);
      if ((t != DUCKDB_STATEMENT_TYPE_SELECT && t != DUCKDB_STATEMENT_TYPE_EXPLAIN) ||
          (t == DUCKDB_STATEMENT_TYPE_EXPLAIN && explain_analyze(sql))) {
        rc = floe_err_set(err, FLOE_EINPUT,
                          "floe query is read-only: only SELECT (and EXPLAIN) statements are allowed "
                          "(statement %llu is not one)",
                          (unsigned long long)i + 1);
      } else {
        if (r) floe_result_free(r);
        r = floe_calloc(1, sizeof *r);
        if (!r) {
          rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
        } else if ((rc = execute_for_display(e, ps, sql, n == 1, r, err))) {
          floe_free(r);
          r = NULL;
        }
      }
    }
    D.duckdb_destroy_prepare(&ps);
  }
  D.duckdb_destroy_extracted(&st);
  if (rc) {
    floe_result_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

size_t floe_result_ncols(const floe_result *r) { return D.duckdb_column_count((duckdb_result *)&r->res); }
size_t floe_result_nrows(const floe_result *r) { return D.duckdb_row_count((duckdb_result *)&r->res); }
const char *floe_result_colname(const floe_result *r, size_t col) {
  return D.duckdb_column_name((duckdb_result *)&r->res, col);
}

floe_coltype floe_result_coltype(const floe_result *r, size_t col) {
  if (r->json && r->json[col] == 'j') return FLOE_COL_JSON;
  switch (D.duckdb_column_type((duckdb_result *)&r->res, col)) {
  case DUCKDB_TYPE_BOOLEAN: return FLOE_COL_BOOL;
  case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_BIGINT:
  case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT: case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT:
  case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UHUGEINT:
    return FLOE_COL_INTEGER;
  case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE: case DUCKDB_TYPE_DECIMAL: return FLOE_COL_FLOAT;
  default: return FLOE_COL_STRING;
  }
}

bool floe_result_isnull(const floe_result *r, size_t col, size_t row) {
  return D.duckdb_value_is_null((duckdb_result *)&r->res, col, row);
}

const char *floe_result_str(floe_result *r, size_t col, size_t row) {
  if (r->scratch) D.duckdb_free(r->scratch);
  r->scratch = NULL;
  if (D.duckdb_value_is_null(&r->res, col, row)) return NULL;
  r->scratch = D.duckdb_value_varchar(&r->res, col, row);
  return r->scratch;
}

int64_t floe_result_i64(const floe_result *r, size_t col, size_t row) {
  return D.duckdb_value_int64((duckdb_result *)&r->res, col, row);
}
double floe_result_f64(const floe_result *r, size_t col, size_t row) {
  return D.duckdb_value_double((duckdb_result *)&r->res, col, row);
}

void floe_result_free(floe_result *r) {
  if (!r) return;
  if (r->scratch) D.duckdb_free(r->scratch);
  D.duckdb_destroy_result(&r->res);
  floe_free(r->json);
  floe_free(r);
}

int floe_buf_sql_str(floe_buf *b, const char *s) {
  floe_buf_putc(b, '\'');
  for (const char *p = s; *p; p++) {
    if (*p == '\'') floe_buf_putc(b, '\'');
    floe_buf_putc(b, *p);
  }
  return floe_buf_putc(b, '\'');
}

int floe_buf_sql_ident(floe_buf *b, const char *s) {
  floe_buf_putc(b, '"');
  for (const char *p = s; *p; p++) {
    if (*p == '"') floe_buf_putc(b, '"');
    floe_buf_putc(b, *p);
  }
  return floe_buf_putc(b, '"');
}

static char *quote_arena(floe_arena *a, const char *s, char q) {
  size_t n = 2;
  for (const char *p = s; *p; p++) n += *p == q ? 2 : 1;
  char *o = floe_arena_alloc(a, n + 1), *w = o;
  if (!o) return NULL;
  *w++ = q;
  for (const char *p = s; *p; p++) {
    if (*p == q) *w++ = q;
    *w++ = *p;
  }
  *w++ = q;
  *w = 0;
  return o;
}

char *floe_sql_str(floe_arena *a, const char *s) { return quote_arena(a, s, '\''); }
char *floe_sql_ident(floe_arena *a, const char *s) { return quote_arena(a, s, '"'); }
