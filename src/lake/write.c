/* write.c — writing rows into tables: schema inference and evolution, Parquet data files (zstd, field
 * ids) written by DuckDB, column statistics for the manifests, partitioning, and copy-on-write deletes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lake_int.h"

typedef struct src_col {
  char *name, *duck;
} src_col;

typedef struct write_ctx {
  const char *table, *select_sql, *predicate;
  const floe_lake_write_opts *o;
  json_t *schema;       /* schema the data was written with (owned) */
  json_t *spec_fields;  /* partition spec fields (owned) */
  bool evolved;         /* schema differs from the base's current one */
  bool creating;
  json_int_t base_schema_id;
  json_t *added;        /* data_file records of the new rows (owned) */
  floe_lake_commit_info *info;
  bool is_delete;
} write_ctx;

int floe_lake_engine(floe_lake *l, floe_engine **out, floe_err *err) {
  if (!l->eng) {
    int rc = floe_engine_open(&l->eng, 0, err);
    if (rc) return rc;
  }
  *out = l->eng;
  return 0;
}

static json_t *find_field(json_t *schema, const char *name) {
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(schema, "fields"), i, f) {
    if (!strcmp(json_string_value(json_object_get(f, "name")), name)) return f;
  }
  json_array_foreach(json_object_get(schema, "fields"), i, f) {
    if (!strcasecmp(json_string_value(json_object_get(f, "name")), name)) return f;
  }
  return NULL;
}

static json_t *find_field_id(const json_t *schema, json_int_t id) {
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(schema, "fields"), i, f) {
    if (json_integer_value(json_object_get(f, "id")) == id) return f;
  }
  return NULL;
}

/* Parses "day(ts), region" into partition spec fields against schema. */
static int parse_partition_by(const char *spec, json_t *schema, json_t **out, floe_err *err) {
  *out = json_array();
  if (!spec || !*spec) return 0;
  char *copy = floe_strdup(spec), *save = NULL;
  int next_id = 1000, rc = 0;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ') tok++;
    char *end = tok + strlen(tok);
    while (end > tok && end[-1] == ' ') *--end = 0;
    char transform[32] = "identity", col[256];
    char *lp = strchr(tok, '(');
    if (lp && end[-1] == ')') {
      snprintf(transform, sizeof transform, "%.*s", (int)(lp - tok), tok);
      snprintf(col, sizeof col, "%.*s", (int)(end - 1 - lp - 1), lp + 1);
    } else {
      snprintf(col, sizeof col, "%s", tok);
    }
    json_t *f = find_field(schema, col);
    if (!f) {
      rc = floe_err_set(err, FLOE_EINPUT, "partition_by: no column '%s' in the table", col);
      break;
    }
    const char *type = json_string_value(json_object_get(f, "type"));
    bool temporal = !strcmp(type, "date") || !strcmp(type, "timestamp") || !strcmp(type, "timestamptz");
    if (strcmp(transform, "identity") && strcmp(transform, "day") && strcmp(transform, "month") &&
        strcmp(transform, "year")) {
      rc = floe_err_set(err, FLOE_EINPUT, "partition_by: unknown transform '%s'; expected identity, day, month or year",
                        transform);
      break;
    }
    if (strcmp(transform, "identity") && !temporal) {
      rc = floe_err_set(err, FLOE_EINPUT, "partition_by: %s(%s) needs a date or timestamp column, found %s", transform,
                        col, type);
      break;
    }
    char name[300];
    if (!strcmp(transform, "identity")) snprintf(name, sizeof name, "%s", json_string_value(json_object_get(f, "name")));
    else snprintf(name, sizeof name, "%s_%s", json_string_value(json_object_get(f, "name")), transform);
    json_array_append_new(*out, json_pack("{sO si ss ss}", "source-id", json_object_get(f, "id"), "field-id",
                                          next_id++, "name", name, "transform", transform));
  }
  floe_free(copy);
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  return rc;
}

/* SQL expression computing a partition value (as Iceberg stores it) from a column. Dates and
 * timestamps become their integer form (days, microseconds since 1970) so that the hive directory
 * names DuckDB writes parse back exactly. */
static void partition_expr(floe_buf *b, const json_t *pf, const json_t *schema) {
  json_t *f = find_field_id(schema, json_integer_value(json_object_get(pf, "source-id")));
  const char *tr = json_string_value(json_object_get(pf, "transform"));
  const char *col = json_string_value(json_object_get(f, "name"));
  const char *type = json_string_value(json_object_get(f, "type"));
  if (!strcmp(tr, "identity") && !strcmp(type, "date")) {
    floe_buf_puts(b, "(");
    floe_buf_sql_ident(b, col);
    floe_buf_puts(b, " - DATE '1970-01-01')");
  } else if (!strcmp(tr, "identity") && (!strcmp(type, "timestamp") || !strcmp(type, "timestamptz"))) {
    floe_buf_puts(b, "epoch_us(");
    floe_buf_sql_ident(b, col);
    floe_buf_puts(b, ")");
  } else if (!strcmp(tr, "identity")) {
    floe_buf_sql_ident(b, col);
  } else if (!strcmp(tr, "day")) {
    floe_buf_puts(b, "(CAST(");
    floe_buf_sql_ident(b, col);
    floe_buf_puts(b, " AS DATE) - DATE '1970-01-01')");
  } else if (!strcmp(tr, "month")) {
    floe_buf_puts(b, "((year(CAST(");
    floe_buf_sql_ident(b, col);
    floe_buf_puts(b, " AS DATE)) - 1970) * 12 + month(CAST(");
    floe_buf_sql_ident(b, col);
    floe_buf_puts(b, " AS DATE)) - 1)");
  } else {
    floe_buf_puts(b, "(year(CAST(");
    floe_buf_sql_ident(b, col);
    floe_buf_puts(b, " AS DATE)) - 1970)");
  }
}

static void put_le(unsigned char *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Parses a decimal's text ("-12.30") into its unscaled value at the given scale; -1 when it does not fit. */
static int decimal_unscaled(const char *s, int scale, __int128 *out) {
  bool neg = *s == '-';
  if (*s == '-' || *s == '+') s++;
  __int128 v = 0;
  int frac = -1, digits = 0;
  for (; *s; s++) {
    if (*s == '.' && frac < 0) {
      frac = 0;
      continue;
    }
    if (*s < '0' || *s > '9' || ++digits > 38) return -1;
    if (frac >= 0 && frac == scale) continue; /* more digits than the scale: cannot happen for a column's own stats */
    v = v * 10 + (*s - '0');
    if (frac >= 0) frac++;
  }
  for (int f = frac < 0 ? 0 : frac; f < scale; f++) v *= 10;
  *out = neg ? -v : v;
  return 0;
}

/* A float/double bound (NULL for NaN, never a bound). Bounds order -0.0 before +0.0 while the Parquet
 * statistics treat them as equal, so a zero is widened: a lower bound to -0.0, an upper one to +0.0. */
static char *float_bound_hex(const char *type, double d, bool upper) {
  if (isnan(d)) return NULL;
  if (d == 0) d = upper ? 0.0 : -0.0;
  return lake_float_hex(type, d);
}

char *lake_float_hex(const char *type, double d) {
  unsigned char buf[8];
  if (!strcmp(type, "float")) {
    float f = (float)d;
    memcpy(buf, &f, 4);
    return lake_hex(buf, 4);
  }
  memcpy(buf, &d, 8);
  return lake_hex(buf, 8);
}

/* A binary bound from the hex of the column's min or max: kept to 16 bytes as Iceberg truncates; a
 * truncated upper bound has its last byte below 0xff incremented (and the bytes after it dropped), and
 * is left out when there is none. */
static char *binary_bound_hex(const char *hex, bool upper) {
  unsigned char *raw = floe_malloc(strlen(hex) / 2 + 1);
  if (!raw) return NULL;
  int n = lake_unhex(hex, raw);
  char *out = NULL;
  if (n >= 0) {
    size_t cut = n > 16 ? 16 : (size_t)n;
    if (upper && cut < (size_t)n) {
      while (cut > 0 && raw[cut - 1] == 0xff) cut--;
      if (cut > 0) {
        raw[cut - 1]++;
        out = lake_hex(raw, cut);
      }
    } else {
      out = lake_hex(raw, cut);
    }
  }
  floe_free(raw);
  return out;
}

/* Iceberg single-value encoding of a bound as a hex string (NULL when there is none to write). */
static char *bound_hex(const char *type, floe_result *r, size_t row, int slot_i, int slot_d, int slot_s, bool upper) {
  unsigned char buf[16];
  if (!strcmp(type, "int") || !strcmp(type, "date") || !strcmp(type, "boolean") || !strcmp(type, "long") ||
      !strcmp(type, "timestamp") || !strcmp(type, "timestamptz")) {
    if (floe_result_isnull(r, (size_t)slot_i, row)) return NULL;
    int64_t v = floe_result_i64(r, (size_t)slot_i, row);
    int n = !strcmp(type, "boolean") ? 1 : (!strcmp(type, "int") || !strcmp(type, "date")) ? 4 : 8;
    put_le(buf, (uint64_t)v, n);
    return lake_hex(buf, (size_t)n);
  }
  if (!strcmp(type, "float") || !strcmp(type, "double")) {
    if (floe_result_isnull(r, (size_t)slot_d, row)) return NULL;
    return float_bound_hex(type, floe_result_f64(r, (size_t)slot_d, row), upper);
  }
  if (!strcmp(type, "binary")) {
    const char *s = floe_result_str(r, (size_t)slot_s, row);
    return s ? binary_bound_hex(s, upper) : NULL;
  }
  int prec, scale;
  if (sscanf(type, "decimal(%d, %d)", &prec, &scale) == 2 || sscanf(type, "decimal(%d,%d)", &prec, &scale) == 2) {
    const char *s = floe_result_str(r, (size_t)slot_s, row);
    __int128 v;
    if (!s || decimal_unscaled(s, scale, &v)) return NULL;
    /* unscaled value, big-endian two's complement, fewest bytes that keep the sign */
    unsigned char be[16];
    for (int i = 0; i < 16; i++) be[15 - i] = (unsigned char)((unsigned __int128)v >> (8 * i));
    int start = 0;
    while (start < 15 && ((be[start] == 0x00 && !(be[start + 1] & 0x80)) || (be[start] == 0xff && (be[start + 1] & 0x80))))
      start++;
    return lake_hex(be + start, (size_t)(16 - start));
  }
  if (!strcmp(type, "string")) {
    const char *s = floe_result_str(r, (size_t)slot_s, row);
    if (!s) return NULL;
    /* Bounds are kept short (16 characters, as Iceberg truncates); a longer upper bound is left out
     * rather than incremented. */
    size_t len = strlen(s), chars = 0, cut = len;
    for (size_t i = 0; i < len; i++) {
      if (((unsigned char)s[i] & 0xc0) != 0x80) {
        if (chars == 16) {
          cut = i;
          break;
        }
        chars++;
      }
    }
    if (cut < len && upper) return NULL;
    return lake_hex((const unsigned char *)s, cut);
  }
  return NULL;
}

static bool is_float(const char *type) {
  return !strcmp(type, "float") || !strcmp(type, "double");
}

/* The footer statistics of a column of Iceberg type t as SQL over parquet_metadata() rows, in seven
 * slots: lo/hi as BIGINT (s[0], s[1]), as DOUBLE (s[2], s[3]), as text (s[4], s[5]), and the values in
 * chunks that may hold NaNs (s[6]); NULL where the type has none. Decimal types are spliced into ar. */
static void stat_exprs(floe_arena *ar, const char *t, const char *s[7]) {
  for (int k = 0; k < 7; k++)
    s[k] = NULL;
  if (!strcmp(t, "int") || !strcmp(t, "long")) {
    s[0] = "min(TRY_CAST(stats_min_value AS BIGINT))";
    s[1] = "max(TRY_CAST(stats_max_value AS BIGINT))";
  } else if (!strcmp(t, "boolean")) {
    s[0] = "min(TRY_CAST(stats_min_value AS BOOLEAN)::INT)";
    s[1] = "max(TRY_CAST(stats_max_value AS BOOLEAN)::INT)";
  } else if (!strcmp(t, "date")) {
    s[0] = "min(TRY_CAST(stats_min_value AS DATE) - DATE '1970-01-01')";
    s[1] = "max(TRY_CAST(stats_max_value AS DATE) - DATE '1970-01-01')";
  } else if (!strcmp(t, "timestamp")) {
    s[0] = "min(epoch_us(TRY_CAST(stats_min_value AS TIMESTAMP)))";
    s[1] = "max(epoch_us(TRY_CAST(stats_max_value AS TIMESTAMP)))";
  } else if (!strcmp(t, "timestamptz")) {
    s[0] = "min(epoch_us(TRY_CAST(stats_min_value AS TIMESTAMPTZ)))";
    s[1] = "max(epoch_us(TRY_CAST(stats_max_value AS TIMESTAMPTZ)))";
  } else if (is_float(t)) {
    s[2] = "min(TRY_CAST(stats_min_value AS DOUBLE))";
    s[3] = "max(TRY_CAST(stats_max_value AS DOUBLE))";
    /* values in chunks without a min/max: those chunks may hold NaNs */
    s[6] = "sum(CASE WHEN stats_min_value IS NULL THEN num_values - coalesce(stats_null_count, 0) ELSE 0 END)";
  } else if (!strncmp(t, "decimal(", 8)) {
    /* decimal text of the column's own type, so that the unscaled value is exact */
    s[4] = floe_arena_printf(ar, "CAST(min(TRY_CAST(stats_min_value AS %s)) AS VARCHAR)", t);
    s[5] = floe_arena_printf(ar, "CAST(max(TRY_CAST(stats_max_value AS %s)) AS VARCHAR)", t);
    if (!s[4] || !s[5]) s[4] = s[5] = NULL;
  } else if (!strcmp(t, "string")) {
    s[4] = "min(stats_min_value)";
    s[5] = "CASE WHEN bool_and(coalesce(max_is_exact, false)) THEN max(stats_max_value) END";
  } else if (!strcmp(t, "binary")) {
    /* stats_min_value shows a BLOB escaped (\xNN); the cast reads it back */
    s[4] = "hex(min(TRY_CAST(stats_min_value AS BLOB)))";
    s[5] = "hex(max(TRY_CAST(stats_max_value AS BLOB)))";
  }
}

/* "SELECT k, id, <sums>, <the stat slots>, ... FROM cols LEFT JOIN md GROUP BY ..." over the
 * schema's columns (a VALUES list), each slot one CASE on the column's type: one query whose size and
 * depth grow with the number of distinct types, not of columns (a UNION ALL per column hit DuckDB's
 * expression depth limit at 1,000 columns and took seconds from 500). */
static int stats_query(floe_buf *q, floe_arena *ar, const char *path, const json_t *schema) {
  static const char *const cast[7] = {"BIGINT", "BIGINT", "DOUBLE", "DOUBLE", "VARCHAR", "VARCHAR", "BIGINT"};
  const json_t *fields = json_object_get(schema, "fields");
  size_t i, ntypes = 0;
  json_t *f;
  const char **types = floe_arena_alloc(ar, (json_array_size(fields) + 1) * sizeof *types); /* distinct */
  if (!types) return FLOE_ENOMEM;
  floe_buf_puts(q, "WITH md AS (SELECT * FROM parquet_metadata(");
  floe_buf_sql_str(q, path);
  floe_buf_puts(q, ")), cols(k, id, name, t) AS (VALUES ");
  json_array_foreach(fields, i, f) {
    const char *t = json_string_value(json_object_get(f, "type"));
    floe_buf_printf(q, "%s(%d, %lld, ", i ? ", " : "", (int)i, (long long)json_integer_value(json_object_get(f, "id")));
    floe_buf_sql_str(q, json_string_value(json_object_get(f, "name")));
    floe_buf_puts(q, ", ");
    floe_buf_sql_str(q, t);
    floe_buf_puts(q, ")");
    size_t k = 0;
    while (k < ntypes && strcmp(types[k], t))
      k++;
    if (k == ntypes) types[ntypes++] = t;
  }
  floe_buf_puts(q, ") SELECT c.k, c.id::BIGINT, sum(num_values)::BIGINT, sum(stats_null_count)::BIGINT, "
                   "sum(total_compressed_size)::BIGINT");
  for (int slot = 0; slot < 7; slot++) {
    /* 11, 12 (before the NaN slot): every chunk has a null count; every chunk holding a value has a
     * min/max (else the others' min/max bound nothing) */
    if (slot == 6)
      floe_buf_puts(q, ", count(stats_null_count) = count(md.path_in_schema), "
                       "(bool_and(coalesce(stats_min_value IS NOT NULL OR num_values = stats_null_count, false)) "
                       "FILTER (WHERE md.path_in_schema IS NOT NULL))::INT");
    size_t whens = 0;
    floe_buf_puts(q, ", (CASE c.t");
    for (size_t k = 0; k < ntypes; k++) {
      const char *s[7];
      stat_exprs(ar, types[k], s);
      if (!s[slot]) continue;
      floe_buf_puts(q, " WHEN ");
      floe_buf_sql_str(q, types[k]);
      floe_buf_printf(q, " THEN %s", s[slot]);
      whens++;
    }
    floe_buf_printf(q, "%s NULL END)::%s", whens ? " ELSE" : " WHEN NULL THEN", cast[slot]);
  }
  floe_buf_puts(q, " FROM cols AS c LEFT JOIN md ON md.path_in_schema = c.name GROUP BY c.k, c.id, c.t ORDER BY c.k");
  return 0;
}

/* Builds the data_file record of a Parquet file floe just wrote: size, row count and per-column value
 * counts, null counts, NaN counts (float/double), sizes and bounds from the Parquet footer statistics.
 * DuckDB writes no min/max for a column chunk holding a NaN (and parquet_metadata() has no NaN count),
 * so a float column whose chunks with values all have a min/max holds no NaN; only a file with a chunk
 * that has values but no min/max is read, for that column's NaN count and its bounds without NaNs. */
static int data_file_record(floe_engine *eng, const char *path, const json_t *schema, int64_t rows,
                            json_t *partition, json_t **out, floe_err *err) {
  struct stat st;
  if (stat(path, &st)) {
    json_decref(partition);
    return floe_err_set(err, FLOE_EIO, "%s: cannot stat the data file just written", path);
  }
  floe_buf q;
  floe_buf_init(&q, 0);
  floe_arena dec_ar; /* decimal type names spliced into the query */
  floe_arena_init(&dec_ar, 1024);
  floe_result *r = NULL, *scan = NULL;
  int rc = stats_query(&q, &dec_ar, path, schema) ? floe_err_set(err, FLOE_ENOMEM, "out of memory")
                                                  : floe_engine_query(eng, floe_buf_str(&q), &r, err);
  floe_buf_free(&q);
  floe_arena_free(&dec_ar);
  if (rc) {
    json_decref(partition);
    return rc;
  }
  size_t nrows = floe_result_nrows(r), nscan = 0;
  /* Float columns that may hold NaNs: their NaN count and bounds (NaNs left out) from the data. */
  int *scan_at = floe_calloc(nrows ? nrows : 1, sizeof *scan_at);
  if (!scan_at) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  floe_buf_init(&q, 0);
  floe_buf_puts(&q, "SELECT ");
  for (size_t row = 0; row < nrows; row++) {
    scan_at[row] = -1;
    if (floe_result_isnull(r, 13, row) || floe_result_i64(r, 13, row) <= 0) continue;
    const char *col = json_string_value(json_object_get(find_field_id(schema, floe_result_i64(r, 1, row)), "name"));
    if (nscan) floe_buf_puts(&q, ", ");
    floe_buf_puts(&q, "count(*) FILTER (WHERE isnan(");
    floe_buf_sql_ident(&q, col);
    floe_buf_puts(&q, "))::BIGINT, (min(");
    floe_buf_sql_ident(&q, col);
    floe_buf_puts(&q, ") FILTER (WHERE NOT isnan(");
    floe_buf_sql_ident(&q, col);
    floe_buf_puts(&q, ")))::DOUBLE, (max(");
    floe_buf_sql_ident(&q, col);
    floe_buf_puts(&q, ") FILTER (WHERE NOT isnan(");
    floe_buf_sql_ident(&q, col);
    floe_buf_puts(&q, ")))::DOUBLE");
    scan_at[row] = (int)(3 * nscan++);
  }
  if (nscan) {
    floe_buf_puts(&q, " FROM read_parquet(");
    floe_buf_sql_str(&q, path);
    floe_buf_puts(&q, ", hive_partitioning=false)");
    rc = floe_engine_query(eng, floe_buf_str(&q), &scan, err);
  }
  floe_buf_free(&q);
  if (rc) goto out;
  json_t *sizes = json_array(), *values = json_array(), *nulls = json_array(), *nans = json_array(),
         *lower = json_array(), *upper = json_array();
  for (size_t row = 0; row < nrows; row++) {
    json_int_t id = floe_result_i64(r, 1, row);
    json_t *field = find_field_id(schema, id);
    const char *t = json_string_value(json_object_get(field, "type"));
    if (floe_result_isnull(r, 2, row)) continue; /* column not in the file */
    json_array_append_new(sizes, json_pack("{sI sI}", "key", id, "value", (json_int_t)floe_result_i64(r, 4, row)));
    json_array_append_new(values, json_pack("{sI sI}", "key", id, "value", (json_int_t)floe_result_i64(r, 2, row)));
    if (!floe_result_isnull(r, 3, row) && floe_result_i64(r, 11, row))
      json_array_append_new(nulls, json_pack("{sI sI}", "key", id, "value", (json_int_t)floe_result_i64(r, 3, row)));
    char *lo = NULL, *hi = NULL;
    if (scan_at[row] >= 0) {
      size_t at = (size_t)scan_at[row];
      json_array_append_new(nans, json_pack("{sI sI}", "key", id, "value", (json_int_t)floe_result_i64(scan, at, 0)));
      if (!floe_result_isnull(scan, at + 1, 0)) lo = float_bound_hex(t, floe_result_f64(scan, at + 1, 0), false);
      if (!floe_result_isnull(scan, at + 2, 0)) hi = float_bound_hex(t, floe_result_f64(scan, at + 2, 0), true);
    } else {
      if (is_float(t)) json_array_append_new(nans, json_pack("{sI si}", "key", id, "value", 0));
      if (floe_result_i64(r, 12, row)) {
        lo = bound_hex(t, r, row, 5, 7, 9, false);
        hi = bound_hex(t, r, row, 6, 8, 10, true);
      }
    }
    if (lo) json_array_append_new(lower, json_pack("{sI ss}", "key", id, "value", lo));
    if (hi) json_array_append_new(upper, json_pack("{sI ss}", "key", id, "value", hi));
    floe_free(lo);
    floe_free(hi);
  }
  *out = json_pack("{si ss ss so sI sI so so so so so so sn sn sn si}", "content", 0, "file_path", path, "file_format",
                   "PARQUET", "partition", partition ? partition : json_object(), "record_count", (json_int_t)rows,
                   "file_size_in_bytes", (json_int_t)st.st_size, "column_sizes", sizes, "value_counts", values,
                   "null_value_counts", nulls, "nan_value_counts", nans, "lower_bounds", lower, "upper_bounds", upper,
                   "key_metadata", "split_offsets", "equality_ids", "sort_order_id", 0);
  partition = NULL;
out:
  if (rc) json_decref(partition);
  floe_free(scan_at);
  floe_result_free(scan);
  floe_result_free(r);
  return rc;
}

/* FIELD_IDS {'a': 1, ...} for the schema's columns. */
static void field_ids(floe_buf *b, const json_t *schema) {
  floe_buf_puts(b, "FIELD_IDS {");
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(schema, "fields"), i, f) {
    if (i) floe_buf_puts(b, ", ");
    floe_buf_sql_str(b, json_string_value(json_object_get(f, "name")));
    floe_buf_printf(b, ": %lld", (long long)json_integer_value(json_object_get(f, "id")));
  }
  floe_buf_puts(b, "}");
}

/* Decodes a hive path segment value written by DuckDB ("k=v", percent-encoded). */
static json_t *partition_value(const char *type, const char *raw) {
  char dec[512];
  size_t n = 0;
  for (const char *p = raw; *p && n + 1 < sizeof dec; p++) {
    if (*p == '%' && p[1] && p[2]) {
      char h[3] = {p[1], p[2], 0};
      dec[n++] = (char)strtol(h, NULL, 16);
      p += 2;
    } else {
      dec[n++] = *p;
    }
  }
  dec[n] = 0;
  if (!strcmp(dec, "NULL")) return json_null();
  /* dates and timestamps were written as their integer form (see partition_expr) */
  if (!strcmp(type, "int") || !strcmp(type, "long") || !strcmp(type, "date") || !strcmp(type, "timestamp") ||
      !strcmp(type, "timestamptz"))
    return json_integer(strtoll(dec, NULL, 10));
  if (!strcmp(type, "boolean")) return json_boolean(!strcmp(dec, "true"));
  if (is_float(type)) { /* DuckDB writes nan, inf, -inf; JSON has no such numbers (see avro.c) */
    double d = strtod(dec, NULL);
    if (isnan(d)) return json_string("NaN");
    if (isinf(d)) return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(d);
  }
  return json_string(dec);
}

/* Writes the rows of `select` (whose columns are already the schema's, by name) as Parquet data files
 * under the table location, appending their data_file records to added. *rows gets the row count. */
static int write_data(floe_lake *l, const char *location, const json_t *schema, const json_t *spec_fields,
                      const char *select, json_t *partition_override, json_t *added, int64_t *rows, floe_err *err) {
  floe_engine *eng;
  int rc = floe_lake_engine(l, &eng, err);
  if (rc) return rc;
  char uuid[37], *path = NULL;
  floe_uuid4(uuid);
  bool partitioned = json_array_size(spec_fields) > 0 && !partition_override;
  if (asprintf(&path, "%s/data/%s%s", location, uuid, partitioned ? "" : ".parquet") < 0) return FLOE_ENOMEM;
  char *dir = NULL;
  if (asprintf(&dir, "%s/data", location) < 0) dir = NULL;
  rc = floe_mkdirs(dir, 0700, err);
  free(dir);
  if (rc) goto out;
  floe_buf q;
  floe_buf_init(&q, 0);
  floe_buf_puts(&q, "COPY (SELECT ");
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(schema, "fields"), i, f) {
    if (i) floe_buf_puts(&q, ", ");
    floe_buf_sql_ident(&q, json_string_value(json_object_get(f, "name")));
  }
  if (partitioned) {
    json_t *pf;
    json_array_foreach(spec_fields, i, pf) {
      floe_buf_puts(&q, ", ");
      partition_expr(&q, pf, schema);
      floe_buf_printf(&q, " AS __floe_p%zu", i);
    }
  }
  floe_buf_printf(&q, " FROM (%s)) TO ", select);
  floe_buf_sql_str(&q, path);
  floe_buf_puts(&q, " (FORMAT parquet, COMPRESSION zstd, ");
  field_ids(&q, schema);
  if (partitioned) {
    floe_buf_puts(&q, ", PARTITION_BY (");
    for (i = 0; i < json_array_size(spec_fields); i++) floe_buf_printf(&q, "%s__floe_p%zu", i ? ", " : "", i);
    floe_buf_puts(&q, "), RETURN_FILES true, FILENAME_PATTERN 'data_{uuid}'");
  }
  floe_buf_puts(&q, ")");
  floe_result *r = NULL;
  rc = floe_engine_query(eng, floe_buf_str(&q), &r, err);
  floe_buf_free(&q);
  if (rc) {
    err->code = rc = FLOE_EINPUT;
    unlink(path);
    floe_rmtree(path);
    lake_remove_empty_parents(l, path);
    goto out;
  }
  *rows = floe_result_i64(r, 0, 0);
  if (!partitioned) {
    if (*rows == 0) {
      unlink(path);
    } else {
      lake_attempt_track(l, path);
      json_t *df;
      rc = data_file_record(eng, path, schema, *rows, partition_override ? json_incref(partition_override) : NULL, &df,
                            err);
      if (!rc) json_array_append_new(added, df);
    }
  } else {
    floe_result_free(r);
    r = NULL;
    floe_buf fq;
    /* The files written, with their row counts (from the footers). */
    floe_buf_init(&fq, 0);
    floe_buf_puts(&fq, "SELECT file_name, sum(row_group_num_rows) FROM (SELECT DISTINCT file_name, row_group_id, "
                       "row_group_num_rows FROM parquet_metadata(");
    char *glob = NULL;
    if (asprintf(&glob, "%s/**/*.parquet", path) < 0) glob = NULL;
    floe_buf_sql_str(&fq, glob);
    free(glob);
    floe_buf_puts(&fq, ")) GROUP BY file_name ORDER BY file_name");
    rc = *rows ? floe_engine_query(eng, floe_buf_str(&fq), &r, err) : 0;
    floe_buf_free(&fq);
    if (rc) goto out;
    for (size_t row = 0; r && row < floe_result_nrows(r) && !rc; row++) {
      char *fp = floe_strdup(floe_result_str(r, 0, row));
      int64_t n = floe_result_i64(r, 1, row);
      lake_attempt_track(l, fp);
      /* partition values from the hive directories: <path>/__floe_p0=V/__floe_p1=W/data_x.parquet */
      json_t *part = json_object();
      json_t *pf;
      json_array_foreach(spec_fields, i, pf) {
        char key[32];
        snprintf(key, sizeof key, "/__floe_p%zu=", i);
        const char *at = strstr(fp + strlen(path), key);
        json_t *v = json_null();
        if (at) {
          at += strlen(key);
          const char *end = strchr(at, '/');
          char *raw = floe_strndup(at, end ? (size_t)(end - at) : strlen(at));
          const char *tr = json_string_value(json_object_get(pf, "transform"));
          const char *st = "int";
          if (!strcmp(tr, "identity"))
            st = json_string_value(
                json_object_get(find_field_id(schema, json_integer_value(json_object_get(pf, "source-id"))), "type"));
          v = partition_value(st, raw);
          floe_free(raw);
        }
        json_object_set_new(part, json_string_value(json_object_get(pf, "name")), v);
      }
      json_t *df;
      rc = data_file_record(eng, fp, schema, n, part, &df, err);
      if (!rc) json_array_append_new(added, df);
      floe_free(fp);
    }
  }
out:
  floe_result_free(r);
  free(path);
  return rc;
}

/* The SELECT list mapping source columns (by name) onto schema columns, with casts. */
static void project_sql(floe_buf *b, const json_t *schema, src_col *cols, size_t ncols, const char *select) {
  floe_buf_puts(b, "SELECT ");
  size_t i;
  json_t *f;
  char tb[64];
  json_array_foreach(json_object_get(schema, "fields"), i, f) {
    const char *name = json_string_value(json_object_get(f, "name"));
    const char *src = NULL;
    for (size_t k = 0; k < ncols && !src; k++)
      if (!strcmp(cols[k].name, name)) src = cols[k].name;
    for (size_t k = 0; k < ncols && !src; k++)
      if (!strcasecmp(cols[k].name, name)) src = cols[k].name;
    if (i) floe_buf_puts(b, ", ");
    floe_buf_puts(b, "CAST(");
    if (src) floe_buf_sql_ident(b, src);
    else floe_buf_puts(b, "NULL");
    floe_buf_printf(b, " AS %s) AS ", lake_duck_type(json_string_value(json_object_get(f, "type")), tb, sizeof tb));
    floe_buf_sql_ident(b, name);
  }
  floe_buf_printf(b, " FROM (%s) AS __floe_src", select);
}

/* Copy-on-write delete: rewrites the live files of meta holding rows matching predicate. Marks them in
 * removed, appends the rewritten files to added. */
static int cow_rewrite(floe_lake *l, const json_t *meta, const json_t *write_schema, const char *predicate,
                       json_t *removed, json_t *added, floe_err *err) {
  floe_engine *eng;
  int rc = floe_lake_engine(l, &eng, err);
  if (rc) return rc;
  json_t *entries = NULL;
  if ((rc = lake_snapshot_entries(l, meta, lake_current_snapshot_id(meta), &entries, err))) {
    json_decref(entries);
    return rc;
  }
  if (!json_array_size(entries)) {
    json_decref(entries);
    return 0;
  }
  /* Rewritten files are written with the schema of the snapshot being committed (which may add columns
   * or widen types in the same commit); the scan maps the old files onto it by field id. */
  const json_t *schema = write_schema ? write_schema : lake_current_schema(meta);
  floe_buf q;
  floe_buf_init(&q, 0);
  floe_buf_puts(&q, "SELECT filename, count(*) FROM (");
  lake_scan_sql(&q, schema, entries, false);
  /* lake_scan_sql ends with ")" closing read_parquet: add filename=true inside it. */
  q.len -= 1;
  q.p[q.len] = 0;
  floe_buf_printf(&q, ", filename=true)) WHERE (%s) GROUP BY filename", predicate);
  floe_result *r = NULL;
  rc = floe_engine_query(eng, floe_buf_str(&q), &r, err);
  floe_buf_free(&q);
  if (rc) {
    floe_err_prefix(err, "predicate '%s': ", predicate);
    err->code = rc = FLOE_EINPUT;
    json_decref(entries);
    return rc;
  }
  const char *location = lake_local_path(json_string_value(json_object_get(meta, "location")));
  for (size_t row = 0; row < floe_result_nrows(r) && !rc; row++) {
    char *fname = floe_strdup(floe_result_str(r, 0, row));
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
      json_t *df = json_object_get(e, "data_file");
      const char *fp = json_string_value(json_object_get(df, "file_path"));
      if (strcmp(lake_local_path(fp), fname)) continue;
      json_object_set_new(removed, fp, json_true());
      json_t *one = json_array();
      json_array_append(one, e);
      floe_buf sel;
      floe_buf_init(&sel, 0);
      floe_buf_puts(&sel, "SELECT * FROM (");
      lake_scan_sql(&sel, schema, one, false);
      floe_buf_printf(&sel, ") WHERE (%s) IS NOT TRUE", predicate);
      int64_t n = 0;
      json_t *part = json_object_get(df, "partition");
      json_t *spec = lake_spec(meta, (int)json_integer_value(json_object_get(e, "_spec_id")));
      json_t *no_part = part ? NULL : json_object();
      rc = write_data(l, location, schema, json_object_get(spec, "fields"), floe_buf_str(&sel),
                      part ? part : no_part, added, &n, err);
      json_decref(no_part);
      floe_buf_free(&sel);
      json_decref(one);
      break;
    }
    floe_free(fname);
  }
  floe_result_free(r);
  json_decref(entries);
  return rc;
}

static int write_mutate(floe_lake *l, lake_table *base, json_t **new_meta, void *vctx, floe_err *err) {
  write_ctx *c = vctx;
  json_t *created = NULL;
  int rc = 0;
  if (!base->meta) {
    if (c->is_delete) return floe_err_set(err, FLOE_ENOTFOUND, "no table %s in the lake catalog", c->table);
    char *loc = lake_table_location(l, base->ns, base->name);
    json_t *schema = json_deep_copy(c->schema);
    json_object_set_new(schema, "schema-id", json_integer(0));
    created = lake_new_metadata(loc, schema, c->spec_fields);
    json_decref(schema);
    floe_free(loc);
    base->meta = created;
    if (c->info) c->info->created = true;
  } else if ((c->evolved || c->creating) &&
             json_integer_value(json_object_get(base->meta, "current-schema-id")) != c->base_schema_id) {
    return floe_err_set(err, FLOE_ECONFLICT,
                        "table %s: its schema was changed by a concurrent writer; run the write again", c->table);
  }
  lake_change ch = {0};
  json_t *removed = json_object(), *added = json_array();
  json_array_extend(added, c->added);
  ch.operation = "append";
  ch.added = added;
  ch.removed = removed;
  if (c->evolved && !created) {
    ch.new_schema = json_deep_copy(c->schema);
    json_int_t max_id = 0;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(base->meta, "schemas"), i, s) {
      if (json_integer_value(json_object_get(s, "schema-id")) > max_id)
        max_id = json_integer_value(json_object_get(s, "schema-id"));
    }
    json_object_set_new(ch.new_schema, "schema-id", json_integer(max_id + 1));
  }
  if (!created && c->o && c->o->mode == FLOE_LAKE_OVERWRITE) {
    ch.remove_all = true;
    ch.operation = "overwrite";
  } else if (!created && c->predicate) {
    rc = cow_rewrite(l, base->meta, c->evolved ? c->schema : NULL, c->predicate, removed, added, err);
    if (json_object_size(removed)) ch.operation = c->is_delete && !json_array_size(c->added) ? "delete" : "overwrite";
  }
  if (!rc && c->is_delete && !json_object_size(removed)) {
    /* Nothing matched: no new snapshot. */
    json_decref(removed);
    json_decref(added);
    if (created) base->meta = NULL, json_decref(created);
    *new_meta = NULL;
    return 0;
  }
  if (!rc) rc = lake_apply_change(l, base, &ch, new_meta, err);
  if (!rc && c->info) {
    c->info->snapshot_id = ch.snapshot_id;
    c->info->added_rows = ch.added_rows;
    c->info->deleted_rows = ch.deleted_rows;
    c->info->total_rows = ch.total_rows;
    c->info->added_files = (int64_t)json_array_size(added);
    c->info->deleted_files = ch.deleted_files;
  }
  json_decref(ch.new_schema);
  json_decref(removed);
  json_decref(added);
  if (created) {
    base->meta = NULL;
    json_decref(created);
  }
  return rc;
}

int floe_lake_write(floe_lake *l, const char *table, const char *select_sql, const floe_lake_write_opts *o,
                    floe_lake_commit_info *info, floe_err *err) {
  floe_lake_commit_info dummy;
  if (!info) info = &dummy;
  memset(info, 0, sizeof *info);
  floe_lake_write_opts defaults = {0};
  if (!o) o = &defaults;
  floe_engine *eng;
  int rc = floe_lake_engine(l, &eng, err);
  if (rc) return rc;
  write_ctx c = {.table = table, .select_sql = select_sql, .o = o, .info = info, .added = json_array()};
  if (o->mode != FLOE_LAKE_OVERWRITE && o->replace_where) c.predicate = o->replace_where;
  src_col *cols = NULL;
  size_t ncols = 0;
  lake_table t = {0};
  /* 1. The source's columns. */
  char *describe = NULL;
  if (asprintf(&describe, "DESCRIBE %s", select_sql) < 0) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_result *r = NULL;
  rc = floe_engine_query(eng, describe, &r, err);
  free(describe);
  if (rc) {
    err->code = rc = FLOE_EINPUT;
    goto out;
  }
  ncols = floe_result_nrows(r);
  cols = floe_calloc(ncols ? ncols : 1, sizeof *cols);
  for (size_t i = 0; i < ncols; i++) {
    cols[i].name = floe_strdup(floe_result_str(r, 0, i));
    cols[i].duck = floe_strdup(floe_result_str(r, 1, i));
  }
  floe_result_free(r);
  /* 2. The schema to write with: the table's, evolved by the source; or a new one. */
  if ((rc = lake_table_load(l, table, true, &t, err)) || (rc = lake_write_refused(t.meta, table, err))) goto out;
  json_t *fields;
  json_int_t last_id;
  if (t.meta) {
    c.schema = json_deep_copy(lake_current_schema(t.meta));
    c.base_schema_id = json_integer_value(json_object_get(t.meta, "current-schema-id"));
    last_id = json_integer_value(json_object_get(t.meta, "last-column-id"));
    c.spec_fields = json_deep_copy(json_object_get(
        lake_spec(t.meta, (int)json_integer_value(json_object_get(t.meta, "default-spec-id"))), "fields"));
  } else {
    c.schema = json_pack("{ss si s[]}", "type", "struct", "schema-id", 0, "fields");
    c.creating = true;
    c.base_schema_id = 0;
    last_id = 0;
  }
  fields = json_object_get(c.schema, "fields");
  for (size_t i = 0; i < ncols; i++) {
    char tb[64];
    const char *it = lake_iceberg_type(cols[i].duck, tb, sizeof tb);
    if (!it) it = "string";
    json_t *f = find_field(c.schema, cols[i].name);
    if (!f) {
      if (t.meta && o->no_evolve) {
        rc = floe_err_set(err, FLOE_EINPUT, "table %s has no column '%s' (schema evolution is off)", table,
                          cols[i].name);
        goto out;
      }
      json_array_append_new(fields, json_pack("{sI ss sb ss}", "id", ++last_id, "name", cols[i].name, "required", 0,
                                              "type", it));
      if (t.meta) c.evolved = true;
      continue;
    }
    const char *ft = json_string_value(json_object_get(f, "type"));
    if ((!strcmp(ft, "int") && !strcmp(it, "long")) || (!strcmp(ft, "float") && !strcmp(it, "double"))) {
      if (o->no_evolve) continue; /* values are cast (and fail when out of range) */
      json_object_set_new(f, "type", json_string(it));
      c.evolved = true;
    }
  }
  if (c.creating) {
    if ((rc = parse_partition_by(o->partition_by, c.schema, &c.spec_fields, err))) goto out;
  }
  /* 3. Data files. */
  {
    floe_buf sel;
    floe_buf_init(&sel, 0);
    project_sql(&sel, c.schema, cols, ncols, select_sql);
    char *location = t.meta ? floe_strdup(lake_local_path(json_string_value(json_object_get(t.meta, "location"))))
                            : lake_table_location(l, t.ns, t.name);
    int64_t rows = 0;
    rc = write_data(l, location, c.schema, c.spec_fields, floe_buf_str(&sel), NULL, c.added, &rows, err);
    floe_free(location);
    floe_buf_free(&sel);
    /* Data files are kept across commit attempts (they do not depend on the base snapshot). */
    lake_data_keep(l);
    if (rc) goto out;
    if (lake_hook(l, "write-data-written")) {
      rc = floe_err_set(err, FLOE_EIO, "table %s: write stopped by a test hook", table);
      goto out;
    }
  }
  /* 4. Commit. */
  rc = lake_commit(l, table, true, write_mutate, &c, &info->attempts, err);
out:
  /* Failed: the data files were never published; remove them (and the directories a create made for them,
   * when empty), so that a failed write leaves nothing behind. */
  lake_data_reset(l, rc != 0);
  lake_table_free(&t);
  for (size_t i = 0; i < ncols; i++) {
    floe_free(cols[i].name);
    floe_free(cols[i].duck);
  }
  floe_free(cols);
  json_decref(c.schema);
  json_decref(c.spec_fields);
  json_decref(c.added);
  return rc;
}

int floe_lake_delete(floe_lake *l, const char *table, const char *predicate, floe_lake_commit_info *info,
                     floe_err *err) {
  floe_lake_commit_info dummy;
  if (!info) info = &dummy;
  memset(info, 0, sizeof *info);
  lake_table t;
  int rc = lake_table_load(l, table, false, &t, err);
  if (!rc && (rc = lake_write_refused(t.meta, table, err))) lake_table_free(&t);
  if (rc) return rc;
  write_ctx c = {.table = table, .predicate = predicate, .info = info, .added = json_array(), .is_delete = true};
  c.base_schema_id = json_integer_value(json_object_get(t.meta, "current-schema-id"));
  lake_table_free(&t);
  rc = lake_commit(l, table, false, write_mutate, &c, &info->attempts, err);
  json_decref(c.added);
  return rc;
}
