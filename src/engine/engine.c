/* engine.c — DuckDB loaded on demand: dlopen + a table of the duckdb_* functions floe calls.
 *
 * Only this file includes duckdb.h; nothing here is linked against libduckdb, so commands that never
 * open an engine (everything but query/lake/ingest) pay nothing for it at start-up. */
#include <ctype.h>
#include <dlfcn.h>
#include <jansson.h>
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
  X(duckdb_result_error_type)                                                                                          \
  X(duckdb_column_count)                                                                                               \
  X(duckdb_row_count)                                                                                                  \
  X(duckdb_column_name)                                                                                                \
  X(duckdb_column_type)                                                                                                \
  X(duckdb_value_is_null)                                                                                              \
  X(duckdb_value_varchar)                                                                                              \
  X(duckdb_value_int64)                                                                                                \
  X(duckdb_value_double)                                                                                               \
  X(duckdb_free)                                                                                                       \
  X(duckdb_prepared_statement_type)                                                                                    \
  X(duckdb_prepared_statement_column_count)                                                                            \
  X(duckdb_prepared_statement_column_type)                                                                             \
  X(duckdb_prepared_statement_column_name)                                                                             \
  X(duckdb_prepare)                                                                                                    \
  X(duckdb_prepare_error)                                                                                              \
  X(duckdb_execute_prepared)                                                                                           \
  X(duckdb_destroy_prepare)                                                                                            \
  X(duckdb_fetch_chunk)                                                                                                \
  X(duckdb_data_chunk_get_size)                                                                                        \
  X(duckdb_data_chunk_get_vector)                                                                                      \
  X(duckdb_destroy_data_chunk)                                                                                         \
  X(duckdb_vector_get_data)                                                                                            \
  X(duckdb_vector_get_validity)                                                                                        \
  X(duckdb_validity_row_is_valid)                                                                                      \
  X(duckdb_string_t_length)                                                                                            \
  X(duckdb_string_t_data)                                                                                              \
  X(duckdb_column_logical_type)                                                                                        \
  X(duckdb_decimal_width)                                                                                              \
  X(duckdb_decimal_scale)                                                                                              \
  X(duckdb_decimal_internal_type)                                                                                      \
  X(duckdb_destroy_logical_type)                                                                                       \
  X(duckdb_create_hugeint)                                                                                             \
  X(duckdb_create_uhugeint)                                                                                            \
  X(duckdb_create_float)                                                                                               \
  X(duckdb_create_double)                                                                                              \
  X(duckdb_create_date)                                                                                                \
  X(duckdb_create_time)                                                                                                \
  X(duckdb_create_timestamp)                                                                                           \
  X(duckdb_create_timestamp_s)                                                                                         \
  X(duckdb_create_timestamp_ms)                                                                                        \
  X(duckdb_create_timestamp_ns)                                                                                        \
  X(duckdb_create_interval)                                                                                            \
  X(duckdb_create_decimal)                                                                                             \
  X(duckdb_get_varchar)                                                                                                \
  X(duckdb_destroy_value)                                                                                              \
  X(duckdb_create_scalar_function)                                                                                     \
  X(duckdb_destroy_scalar_function)                                                                                    \
  X(duckdb_scalar_function_set_name)                                                                                   \
  X(duckdb_scalar_function_add_parameter)                                                                              \
  X(duckdb_scalar_function_set_return_type)                                                                            \
  X(duckdb_scalar_function_set_function)                                                                               \
  X(duckdb_scalar_function_set_error)                                                                                  \
  X(duckdb_register_scalar_function)                                                                                   \
  X(duckdb_create_logical_type)                                                                                        \
  X(duckdb_vector_ensure_validity_writable)

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
  char *passed_sql, *passed_run; /* the last text that passed floe_engine_readonly_check, and what it runs */
  bool plain_int; /* floe_plain_int registered */
};

struct floe_result {
  duckdb_result res;
  char *scratch;         /* last floe_result_str value (duckdb_malloc'd) */
  unsigned char *kinds;  /* per column: its display_kind when the result came through display_sql */
  /* Results of floe_engine_query_readonly are read as data chunks (the C API's value functions end text
   * at its first NUL byte): chunks[i] holds rows first[i] .. first[i+1]-1; NULL for other results. */
  duckdb_data_chunk *chunks;
  idx_t *first, nchunks, nrows, last; /* last: the chunk found last (rows are mostly read in order) */
  floe_buf text;         /* the last value floe_result_strn rendered from a chunk */
};

/* FLOE_TRACE_SQL=1: every statement floe runs, with its time, on stderr (for finding where time goes). */
static void trace_sql(const char *sql, int64_t t0, bool failed) {
  static int on = -1;
  if (on < 0) on = getenv("FLOE_TRACE_SQL") && *getenv("FLOE_TRACE_SQL") && strcmp(getenv("FLOE_TRACE_SQL"), "0");
  if (!on) return;
  fprintf(stderr, "floe: sql %8.1f ms%s: %.4000s%s\n", (double)(floe_mono_us() - t0) / 1000.0, failed ? " (failed)" : "",
          sql, strlen(sql) > 4000 ? "..." : "");
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
  floe_free(e->passed_sql);
  floe_free(e->passed_run);
  floe_free(e);
}

int floe_engine_query(floe_engine *e, const char *sql, floe_result **out, floe_err *err) {
  *out = NULL;
  if (!sql || strstr(sql, FLOE_BUF_FAILED)) /* a statement built in a failed buffer (see floe_buf_str) */
    return floe_err_set(err, FLOE_ENOMEM, "out of memory while building an SQL statement (nothing was run)");
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

/* The integer a text writes in plain digits — spaces, a sign, digits, nothing else — or false (a point, an
 * exponent, hex, past int64). */
static bool plain_int(const char *p, uint32_t n, int64_t *out) {
  uint32_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
  bool neg = i < n && p[i] == '-';
  if (i < n && (p[i] == '-' || p[i] == '+')) i++;
  uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  uint32_t start = i;
  for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
    unsigned d = (unsigned)(p[i] - '0');
    if (v > (lim - d) / 10) return false;
    v = v * 10 + d;
  }
  if (i == start) return false;
  while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
  if (i != n) return false;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

/* floe_plain_int(VARCHAR) -> BIGINT: plain_int of each value, NULL for NULL and ''; any other text fails the
 * query. The one-pass CSV load reads integer columns through it: DuckDB's own parse rounds 1.5 to 2. */
static void plain_int_fn(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  idx_t n = D.duckdb_data_chunk_get_size(input);
  duckdb_vector in = D.duckdb_data_chunk_get_vector(input, 0);
  duckdb_string_t *s = D.duckdb_vector_get_data(in);
  uint64_t *valid = D.duckdb_vector_get_validity(in), *out_valid = NULL;
  int64_t *out = D.duckdb_vector_get_data(output);
  for (idx_t i = 0; i < n; i++) {
    if ((valid && !(valid[i / 64] & ((uint64_t)1 << (i % 64)))) || !s[i].value.inlined.length) {
      if (!out_valid) {
        D.duckdb_vector_ensure_validity_writable(output);
        out_valid = D.duckdb_vector_get_validity(output);
      }
      out_valid[i / 64] &= ~((uint64_t)1 << (i % 64));
      out[i] = 0;
      continue;
    }
    uint32_t len = s[i].value.inlined.length;
    const char *p = len <= 12 ? s[i].value.inlined.inlined : s[i].value.pointer.ptr;
    if (!plain_int(p, len, &out[i])) {
      char m[160];
      snprintf(m, sizeof m, "floe_plain_int: '%.*s' is not a plain integer", (int)(len > 100 ? 100 : len), p);
      D.duckdb_scalar_function_set_error(info, m);
      return;
    }
  }
}

int floe_engine_register_plain_int(floe_engine *e, floe_err *err) {
  if (e->plain_int) return 0;
  duckdb_scalar_function f = D.duckdb_create_scalar_function();
  duckdb_logical_type vt = D.duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_logical_type bt = D.duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  D.duckdb_scalar_function_set_name(f, "floe_plain_int");
  D.duckdb_scalar_function_add_parameter(f, vt);
  D.duckdb_scalar_function_set_return_type(f, bt);
  D.duckdb_scalar_function_set_function(f, plain_int_fn);
  bool ok = D.duckdb_register_scalar_function(e->con, f) == DuckDBSuccess;
  D.duckdb_destroy_logical_type(&vt);
  D.duckdb_destroy_logical_type(&bt);
  D.duckdb_destroy_scalar_function(&f);
  if (!ok) return floe_err_set(err, FLOE_EINTERNAL, "duckdb: cannot register floe_plain_int");
  e->plain_int = true;
  return 0;
}

/* How a column of type t reaches floe_result_str: 0 as it is (read from the chunk, see render_value), 'j'
 * as JSON text, 's' cast to VARCHAR in SQL: nested values, TIMESTAMP WITH TIME ZONE, TIME WITH TIME ZONE,
 * ENUM, BIT, UUID and the rest have no value constructor in the C API to render them with. */
static int display_kind(duckdb_type t) {
  switch (t) {
  case DUCKDB_TYPE_BOOLEAN: case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER:
  case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT: case DUCKDB_TYPE_UINTEGER:
  case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UHUGEINT: case DUCKDB_TYPE_FLOAT:
  case DUCKDB_TYPE_DOUBLE: case DUCKDB_TYPE_DECIMAL: case DUCKDB_TYPE_VARCHAR: case DUCKDB_TYPE_BLOB:
  case DUCKDB_TYPE_DATE: case DUCKDB_TYPE_TIME: case DUCKDB_TYPE_TIMESTAMP: case DUCKDB_TYPE_TIMESTAMP_S:
  case DUCKDB_TYPE_TIMESTAMP_MS: case DUCKDB_TYPE_TIMESTAMP_NS: case DUCKDB_TYPE_INTERVAL:
  case DUCKDB_TYPE_SQLNULL: case DUCKDB_TYPE_INVALID:
    return 0;
  case DUCKDB_TYPE_LIST: case DUCKDB_TYPE_STRUCT: case DUCKDB_TYPE_MAP: case DUCKDB_TYPE_ARRAY:
  case DUCKDB_TYPE_UNION:
    return 'j';
  default:
    return 's';
  }
}

/* For a SELECT whose columns need converting: the same query through DuckDB's query() table function, with
 * those columns converted by position (#N), so names, order and the other types stay. NULL when no column
 * needs it. kinds[i] gets each column's display_kind. */
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
    else if (kinds[i] == 's') floe_buf_printf(&b, "CAST(#%llu AS VARCHAR)", (unsigned long long)i + 1);
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

/* The error of a failed statement into err: a missing table, schema or function is FLOE_ENOTFOUND (so the
 * lake can name its own tables instead of DuckDB's guesses), anything else FLOE_EFAILED. */
static int result_error(duckdb_result *res, floe_err *err) {
  const char *m = D.duckdb_result_error(res);
  int code = D.duckdb_result_error_type(res) == DUCKDB_ERROR_CATALOG ? FLOE_ENOTFOUND : FLOE_EFAILED;
  return floe_err_set(err, code, "%s", m ? m : "query failed");
}

/* Reads the whole result as data chunks (see struct floe_result). */
static int fetch_chunks(floe_result *r, floe_err *err) {
  size_t cap = 0;
  for (duckdb_data_chunk c; (c = D.duckdb_fetch_chunk(r->res)) != NULL;) {
    idx_t n = D.duckdb_data_chunk_get_size(c);
    if (!n) {
      D.duckdb_destroy_data_chunk(&c);
      continue;
    }
    if (r->nchunks == cap) {
      cap = cap ? cap * 2 : 8;
      duckdb_data_chunk *nc = floe_realloc(r->chunks, cap * sizeof *nc);
      idx_t *nf = nc ? floe_realloc(r->first, (cap + 1) * sizeof *nf) : NULL;
      if (nc) r->chunks = nc;
      if (nf) r->first = nf;
      if (!nc || !nf) {
        D.duckdb_destroy_data_chunk(&c);
        return floe_err_set(err, FLOE_ENOMEM, "out of memory");
      }
    }
    r->first[r->nchunks] = r->nrows;
    r->chunks[r->nchunks++] = c;
    r->nrows += n;
  }
  if (!r->chunks && !(r->chunks = floe_calloc(1, sizeof *r->chunks))) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  return 0;
}

/* Runs the prepared statement into r. A SELECT with columns duckdb_value_varchar cannot render whole runs
 * as display_sql instead, keeping the column names of the original. */
static int execute_for_display(floe_engine *e, duckdb_prepared_statement ps, const char *sql, floe_result *r,
                               floe_err *err) {
  idx_t ncols = D.duckdb_prepared_statement_column_count(ps);
  unsigned char *kinds = ncols ? floe_calloc(ncols, 1) : NULL;
  if (ncols && !kinds) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  char *wrapped = D.duckdb_prepared_statement_type(ps) == DUCKDB_STATEMENT_TYPE_SELECT ? display_sql(ps, sql, kinds, ncols)
                                                                                       : NULL;
  duckdb_prepared_statement run = ps, wps = NULL;
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
    rc = result_error(&r->res, err);
    D.duckdb_destroy_result(&r->res);
    memset(&r->res, 0, sizeof r->res);
  } else {
    rc = fetch_chunks(r, err);
    if (wrapped) {
      r->kinds = kinds;
      kinds = NULL;
    }
  }
  if (wps) D.duckdb_destroy_prepare(&wps);
  floe_free(wrapped);
  floe_free(kinds);
  return rc;
}

/* ---------------------------------------------------------------- read-only queries (floe query)
 *
 * What runs is decided from DuckDB's own parser, never from reading the text: json_serialize_sql parses
 * (nothing is bound or run, not even the PRAGMA expansion duckdb_extract_statements does, which reads
 * files for IMPORT DATABASE) and serializes only SELECTs (DESCRIBE, SHOW, SUMMARIZE, PIVOT with an IN list
 * and FROM-first queries are SELECTs); its tree must hold exactly one statement, and every table function in
 * it must be on the list below; the prepared statement's type must then be SELECT. EXPLAIN is a statement of its own: floe runs `EXPLAIN ` followed by the text after
 * the user's EXPLAIN keyword, and only when that text alone is one such SELECT — so ANALYZE (or an option
 * list holding it), which would run the statement, can never be part of what runs. */

/* Table functions a query may call: the ones that only read — the catalog, generators, and the file readers
 * (DuckDB lets those open only the data files of the lake's views, see src/lake/query.c). Everything else is
 * refused: enable_logging writes files, checkpoint touches storage, query(), query_table() and
 * json_execute_serialized_sql run SQL this check never saw, duckdb_extensions lists a directory outside the
 * lake, the secret and log functions show state that is not the lake's. */
static const char *const readonly_table_functions[] = {
    "read_parquet", "parquet_scan", "parquet_metadata", "parquet_schema", "parquet_file_metadata",
    "parquet_kv_metadata", "parquet_bloom_probe", "read_csv", "read_csv_auto", "read_json", "read_json_auto",
    "read_json_objects", "read_json_objects_auto", "read_ndjson", "read_ndjson_auto", "read_ndjson_objects",
    "read_ndjson_objects_auto", "read_text", "read_blob", "sniff_csv", "glob", "generate_series", "range",
    "unnest", "repeat", "repeat_row", "json_each", "json_tree", "duckdb_columns", "duckdb_constraints",
    "duckdb_databases", "duckdb_dependencies", "duckdb_functions", "duckdb_indexes", "duckdb_keywords",
    "duckdb_schemas", "duckdb_sequences", "duckdb_settings", "duckdb_tables", "duckdb_types", "duckdb_views",
    "duckdb_optimizers", "duckdb_memory", "duckdb_variables", "pragma_table_info", "pragma_show",
    "pragma_version", "pragma_platform", "pragma_collations", "pragma_database_size", "pragma_user_agent",
    "pragma_storage_info", "pragma_metadata_info", "summary", "test_all_types", "test_vector_types",
    "icu_calendar_names", "pg_timezone_names", "histogram", "histogram_values", NULL};

static bool table_function_allowed(const char *name) {
  for (size_t i = 0; name && readonly_table_functions[i]; i++)
    if (!strcasecmp(name, readonly_table_functions[i])) return true;
  return false;
}

/* Walks a json_serialize_sql tree: the first table function not on the list (NULL: none); the base tables
 * it names ("schema.table" or "table", floe_malloc'd) pushed to tables when that is not NULL. */
static const char *tree_check(json_t *n, floe_vec *tables) {
  if (json_is_array(n)) {
    size_t i;
    json_t *v;
    json_array_foreach(n, i, v) {
      const char *bad = tree_check(v, tables);
      if (bad) return bad;
    }
    return NULL;
  }
  if (!json_is_object(n)) return NULL;
  const char *type = json_string_value(json_object_get(n, "type"));
  if (type && !strcmp(type, "TABLE_FUNCTION")) {
    const char *f = json_string_value(json_object_get(json_object_get(n, "function"), "function_name"));
    if (!table_function_allowed(f)) return f ? f : "?";
  }
  if (type && tables && !strcmp(type, "BASE_TABLE")) {
    const char *s = json_string_value(json_object_get(n, "schema_name")), *t = json_string_value(json_object_get(n, "table_name"));
    if (t) {
      floe_buf b;
      floe_buf_init(&b, 0);
      if (s && *s) floe_buf_printf(&b, "%s.", s);
      floe_buf_puts(&b, t);
      char *name = floe_buf_take(&b);
      if (name && floe_vec_push(tables, name)) floe_free(name);
    }
  }
  const char *k;
  json_t *v;
  json_object_foreach(n, k, v) {
    const char *bad = tree_check(v, tables);
    if (bad) return bad;
  }
  return NULL;
}

/* DuckDB's parse tree of sql (json_serialize_sql: parsing only). NULL with err set when it cannot be had. */
static json_t *parse_tree(floe_engine *e, const char *sql, floe_err *err) {
  floe_buf q;
  floe_buf_init(&q, 0);
  floe_buf_puts(&q, "SELECT json_serialize_sql(");
  floe_buf_sql_str(&q, sql);
  floe_buf_puts(&q, ")");
  floe_result *r = NULL;
  int rc = floe_engine_query(e, floe_buf_str(&q), &r, err);
  floe_buf_free(&q);
  if (rc) return NULL;
  const char *text = floe_result_nrows(r) ? floe_result_str(r, 0, 0) : NULL;
  /* JSON_DECODE_INT_AS_REAL: positions DuckDB does not know are 2^64-1, beyond a json_int_t */
  json_t *tree = text ? json_loads(text, JSON_DECODE_INT_AS_REAL, NULL) : NULL;
  floe_result_free(r);
  if (!tree) floe_err_set(err, FLOE_EINPUT, "floe query is read-only, and this query's parse tree cannot be checked (nested too deeply?)");
  return tree;
}

/* Skips white space and comments (-- to the end of the line, nested block comments) as DuckDB's scanner
 * does. Getting it wrong can only make a query be refused: what it finds is checked by the parser. */
static const char *skip_blank(const char *p) {
  for (;;) {
    if (isspace((unsigned char)*p)) {
      p++;
    } else if (p[0] == '-' && p[1] == '-') {
      while (*p && *p != '\n') p++;
    } else if (p[0] == '/' && p[1] == '*') {
      int depth = 0;
      do {
        if (p[0] == '/' && p[1] == '*') depth++, p += 2;
        else if (p[0] == '*' && p[1] == '/') depth--, p += 2;
        else p++;
      } while (*p && depth);
    } else {
      return p;
    }
  }
}

/* The text after a leading EXPLAIN keyword, or NULL when sql does not start with one. */
static const char *explain_body(const char *sql) {
  const char *p = skip_blank(sql);
  if (strncasecmp(p, "explain", 7) || isalnum((unsigned char)p[7]) || p[7] == '_' || p[7] == '$') return NULL;
  return p + 7;
}

#define READONLY "floe query is read-only: it runs one SELECT (or EXPLAIN of one, without ANALYZE)"

/* The read-only check of one statement's text. *run gets the text to run (floe_malloc'd): sql itself, or
 * "EXPLAIN " + the checked SELECT. tables (may be NULL) gets the base tables it names. */
static int readonly_text(floe_engine *e, const char *sql, char **run, floe_vec *tables, floe_err *err) {
  *run = NULL;
  json_t *tree = parse_tree(e, sql, err);
  if (!tree) return err ? err->code : FLOE_EINPUT;
  int rc = 0;
  const char *body = NULL;
  if (json_is_true(json_object_get(tree, "error"))) {
    const char *type = json_string_value(json_object_get(tree, "error_type"));
    const char *msg = json_string_value(json_object_get(tree, "error_message"));
    if (type && !strcmp(type, "not implemented") && (body = explain_body(sql)) != NULL) {
      json_t *inner = parse_tree(e, body, err);
      if (!inner) {
        rc = err ? err->code : FLOE_EINPUT;
      } else if (json_is_true(json_object_get(inner, "error")) || json_array_size(json_object_get(inner, "statements")) != 1) {
        rc = floe_err_set(err, FLOE_EINPUT, READONLY "; this EXPLAIN is not of one SELECT, or it has options (ANALYZE runs the statement)");
        json_decref(inner);
      } else {
        json_decref(tree);
        tree = inner;
      }
    } else if (type && !strcmp(type, "not implemented")) {
      rc = floe_err_set(err, FLOE_EINPUT, READONLY "; found a statement that is not a SELECT");
    } else {
      rc = floe_err_set(err, FLOE_EINPUT, "%s", msg ? msg : "the query cannot be parsed");
    }
  } else if (json_array_size(json_object_get(tree, "statements")) != 1) {
    rc = floe_err_set(err, FLOE_EINPUT, READONLY "; found %zu statements", json_array_size(json_object_get(tree, "statements")));
  }
  const char *bad = rc ? NULL : tree_check(json_object_get(tree, "statements"), tables);
  if (bad)
    rc = floe_err_set(err, FLOE_EINPUT, READONLY "; the table function %s is not one that only reads", bad);
  json_decref(tree);
  if (rc) return rc;
  floe_buf b;
  floe_buf_init(&b, 0);
  if (body) floe_buf_puts(&b, "EXPLAIN ");
  floe_buf_puts(&b, body ? body : sql);
  *run = floe_buf_take(&b);
  return *run ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

int floe_engine_readonly_check(floe_engine *e, const char *sql, char **run, floe_vec *tables, floe_err *err) {
  *run = NULL;
  const char *p = skip_blank(sql);
  while (*p == ';') p = skip_blank(p + 1);
  if (!*p) return floe_err_set(err, FLOE_EINPUT, "no SQL statement given");
  if (!tables && e->passed_sql && !strcmp(e->passed_sql, sql)) { /* checked already (src/lake/query.c) */
    *run = floe_strdup(e->passed_run);
    return *run ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  int rc = readonly_text(e, sql, run, tables, err);
  if (rc) return rc;
  floe_free(e->passed_sql);
  floe_free(e->passed_run);
  e->passed_sql = floe_strdup(sql);
  e->passed_run = floe_strdup(*run);
  return 0;
}

int floe_engine_query_readonly(floe_engine *e, const char *sql, floe_result **out, floe_err *err) {
  *out = NULL;
  char *run = NULL;
  int rc = floe_engine_readonly_check(e, sql, &run, NULL, err);
  if (rc) return rc;
  duckdb_prepared_statement ps = NULL;
  floe_result *r = NULL;
  if (D.duckdb_prepare(e->con, run, &ps) == DuckDBError) {
    const char *m = D.duckdb_prepare_error(ps);
    rc = floe_err_set(err, FLOE_EINPUT, "%s", m ? m : "cannot prepare the query");
    if (m && strstr(m, "Catalog Error")) err->code = rc = FLOE_ENOTFOUND;
  } else {
    /* the check above decided; the prepared type must agree (a SELECT, or the EXPLAIN floe wrote) */
    duckdb_statement_type t = D.duckdb_prepared_statement_type(ps);
    bool explain = !strncmp(run, "EXPLAIN ", 8); /* a SELECT's text cannot start so: only floe's EXPLAIN does */
    if (t != (explain ? DUCKDB_STATEMENT_TYPE_EXPLAIN : DUCKDB_STATEMENT_TYPE_SELECT))
      rc = floe_err_set(err, FLOE_EINPUT, READONLY "; this statement is not one");
    else if (!(r = floe_calloc(1, sizeof *r)))
      rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    else if ((rc = execute_for_display(e, ps, run, r, err)))
      floe_free(r), r = NULL;
  }
  D.duckdb_destroy_prepare(&ps);
  floe_free(run);
  if (rc) return rc;
  *out = r;
  return 0;
}

size_t floe_result_ncols(const floe_result *r) { return D.duckdb_column_count((duckdb_result *)&r->res); }
size_t floe_result_nrows(const floe_result *r) {
  return r->chunks ? r->nrows : D.duckdb_row_count((duckdb_result *)&r->res);
}
const char *floe_result_colname(const floe_result *r, size_t col) {
  return D.duckdb_column_name((duckdb_result *)&r->res, col);
}

floe_coltype floe_result_coltype(const floe_result *r, size_t col) {
  if (r->kinds && r->kinds[col] == 'j') return FLOE_COL_JSON;
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

/* The chunk holding row (chunk mode), and the row's index in it. */
static duckdb_data_chunk chunk_of(floe_result *r, size_t row, idx_t *at) {
  if (r->last >= r->nchunks || row < r->first[r->last] ||
      row >= (r->last + 1 < r->nchunks ? r->first[r->last + 1] : r->nrows)) {
    idx_t lo = 0, hi = r->nchunks; /* the last chunk whose first row is <= row */
    while (hi - lo > 1) {
      idx_t mid = (lo + hi) / 2;
      if (r->first[mid] <= row) lo = mid;
      else hi = mid;
    }
    r->last = lo;
  }
  *at = row - r->first[r->last];
  return r->chunks[r->last];
}

bool floe_result_isnull(const floe_result *r, size_t col, size_t row) {
  if (!r->chunks) return D.duckdb_value_is_null((duckdb_result *)&r->res, col, row);
  if (row >= r->nrows) return true;
  idx_t at;
  duckdb_vector v = D.duckdb_data_chunk_get_vector(chunk_of((floe_result *)r, row, &at), col);
  uint64_t *valid = D.duckdb_vector_get_validity(v);
  return valid && !D.duckdb_validity_row_is_valid(valid, at);
}

/* The value at data[at] of a column of type t as DuckDB casts it to VARCHAR (the same text
 * duckdb_value_varchar gives), into b. */
static void render_value(floe_result *r, size_t col, duckdb_type t, void *data, idx_t at, floe_buf *b) {
  duckdb_value v = NULL;
  switch (t) {
  case DUCKDB_TYPE_VARCHAR: {
    duckdb_string_t *st = (duckdb_string_t *)data + at;
    floe_buf_append(b, D.duckdb_string_t_data(st), D.duckdb_string_t_length(*st));
    return;
  }
  case DUCKDB_TYPE_BLOB: { /* as DuckDB shows a BLOB: printable ASCII as it is, all else and \ ' " as \xNN */
    duckdb_string_t *st = (duckdb_string_t *)data + at;
    const unsigned char *p = (const unsigned char *)D.duckdb_string_t_data(st);
    for (uint32_t i = 0, n = D.duckdb_string_t_length(*st); i < n; i++) {
      if (p[i] >= 32 && p[i] <= 126 && p[i] != '\\' && p[i] != '\'' && p[i] != '"') floe_buf_putc(b, (char)p[i]);
      else floe_buf_printf(b, "\\x%02X", p[i]);
    }
    return;
  }
  case DUCKDB_TYPE_BOOLEAN: floe_buf_puts(b, ((bool *)data)[at] ? "true" : "false"); return;
  case DUCKDB_TYPE_TINYINT: floe_buf_printf(b, "%d", ((int8_t *)data)[at]); return;
  case DUCKDB_TYPE_SMALLINT: floe_buf_printf(b, "%d", ((int16_t *)data)[at]); return;
  case DUCKDB_TYPE_INTEGER: floe_buf_printf(b, "%d", ((int32_t *)data)[at]); return;
  case DUCKDB_TYPE_BIGINT: floe_buf_printf(b, "%lld", (long long)((int64_t *)data)[at]); return;
  case DUCKDB_TYPE_UTINYINT: floe_buf_printf(b, "%u", ((uint8_t *)data)[at]); return;
  case DUCKDB_TYPE_USMALLINT: floe_buf_printf(b, "%u", ((uint16_t *)data)[at]); return;
  case DUCKDB_TYPE_UINTEGER: floe_buf_printf(b, "%u", ((uint32_t *)data)[at]); return;
  case DUCKDB_TYPE_UBIGINT: floe_buf_printf(b, "%llu", (unsigned long long)((uint64_t *)data)[at]); return;
  case DUCKDB_TYPE_HUGEINT: v = D.duckdb_create_hugeint(((duckdb_hugeint *)data)[at]); break;
  case DUCKDB_TYPE_UHUGEINT: v = D.duckdb_create_uhugeint(((duckdb_uhugeint *)data)[at]); break;
  case DUCKDB_TYPE_FLOAT: v = D.duckdb_create_float(((float *)data)[at]); break;
  case DUCKDB_TYPE_DOUBLE: v = D.duckdb_create_double(((double *)data)[at]); break;
  case DUCKDB_TYPE_DATE: v = D.duckdb_create_date(((duckdb_date *)data)[at]); break;
  case DUCKDB_TYPE_TIME: v = D.duckdb_create_time(((duckdb_time *)data)[at]); break;
  case DUCKDB_TYPE_TIMESTAMP: v = D.duckdb_create_timestamp(((duckdb_timestamp *)data)[at]); break;
  case DUCKDB_TYPE_TIMESTAMP_S: v = D.duckdb_create_timestamp_s(((duckdb_timestamp_s *)data)[at]); break;
  case DUCKDB_TYPE_TIMESTAMP_MS: v = D.duckdb_create_timestamp_ms(((duckdb_timestamp_ms *)data)[at]); break;
  case DUCKDB_TYPE_TIMESTAMP_NS: v = D.duckdb_create_timestamp_ns(((duckdb_timestamp_ns *)data)[at]); break;
  case DUCKDB_TYPE_INTERVAL: v = D.duckdb_create_interval(((duckdb_interval *)data)[at]); break;
  case DUCKDB_TYPE_DECIMAL: {
    duckdb_logical_type lt = D.duckdb_column_logical_type(&r->res, col);
    duckdb_decimal d = {.width = D.duckdb_decimal_width(lt), .scale = D.duckdb_decimal_scale(lt)};
    switch (D.duckdb_decimal_internal_type(lt)) {
    case DUCKDB_TYPE_SMALLINT: d.value.lower = (uint64_t)(int64_t)((int16_t *)data)[at]; break;
    case DUCKDB_TYPE_INTEGER: d.value.lower = (uint64_t)(int64_t)((int32_t *)data)[at]; break;
    case DUCKDB_TYPE_BIGINT: d.value.lower = (uint64_t)((int64_t *)data)[at]; break;
    default: d.value = ((duckdb_hugeint *)data)[at]; break;
    }
    if (D.duckdb_decimal_internal_type(lt) != DUCKDB_TYPE_HUGEINT) d.value.upper = (int64_t)d.value.lower < 0 ? -1 : 0;
    D.duckdb_destroy_logical_type(&lt);
    v = D.duckdb_create_decimal(d);
    break;
  }
  default: break; /* display_sql converted every other type to VARCHAR */
  }
  char *text = v ? D.duckdb_get_varchar(v) : NULL;
  if (text) floe_buf_puts(b, text);
  if (text) D.duckdb_free(text);
  if (v) D.duckdb_destroy_value(&v);
}

const char *floe_result_strn(floe_result *r, size_t col, size_t row, size_t *len) {
  if (r->scratch) D.duckdb_free(r->scratch);
  r->scratch = NULL;
  *len = 0;
  if (floe_result_isnull(r, col, row)) return NULL;
  if (!r->chunks) {
    r->scratch = D.duckdb_value_varchar(&r->res, col, row);
    *len = r->scratch ? strlen(r->scratch) : 0;
    return r->scratch;
  }
  idx_t at;
  duckdb_vector v = D.duckdb_data_chunk_get_vector(chunk_of(r, row, &at), col);
  floe_buf_reset(&r->text);
  render_value(r, col, D.duckdb_column_type(&r->res, col), D.duckdb_vector_get_data(v), at, &r->text);
  *len = r->text.len;
  return floe_buf_str(&r->text);
}

const char *floe_result_str(floe_result *r, size_t col, size_t row) {
  size_t len;
  return floe_result_strn(r, col, row, &len);
}

int64_t floe_result_i64(const floe_result *r, size_t col, size_t row) {
  if (!r->chunks) return D.duckdb_value_int64((duckdb_result *)&r->res, col, row);
  const char *v = floe_result_str((floe_result *)r, col, row);
  return v ? strtoll(v, NULL, 10) : 0;
}
double floe_result_f64(const floe_result *r, size_t col, size_t row) {
  if (!r->chunks) return D.duckdb_value_double((duckdb_result *)&r->res, col, row);
  const char *v = floe_result_str((floe_result *)r, col, row);
  return v ? strtod(v, NULL) : 0;
}

void floe_result_free(floe_result *r) {
  if (!r) return;
  if (r->scratch) D.duckdb_free(r->scratch);
  for (idx_t i = 0; i < r->nchunks; i++) D.duckdb_destroy_data_chunk(&r->chunks[i]);
  floe_free(r->chunks);
  floe_free(r->first);
  D.duckdb_destroy_result(&r->res);
  floe_free(r->kinds);
  floe_buf_free(&r->text);
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
