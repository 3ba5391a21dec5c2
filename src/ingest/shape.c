/* shape.c — the rows between a connector and the lake. A connector gives a raw SELECT (DuckDB reads
 * the file it staged or named); this module
 *   - keeps nested JSON (structs, lists, maps) as JSON text, or flattens declared paths into columns
 *     (`source.flatten: {owner_login: owner.login}`);
 *   - applies the asset's explicit `columns:` types over the inferred ones, and the table's types to
 *     columns it already has;
 *   - checks every row (a value that does not convert, a NULL merge key, a row outside the replaced
 *     range) and either fails the step naming the source, the row number and the reason, or — with
 *     `rejects: true` — keeps the bad rows apart for <table>__rejects: never drops one silently;
 *   - checks `on_schema_change: fail` against the table, dedupes merge keys (last row wins) and sets the
 *     range predicate of `mode: replace_range`.
 * Row numbers are 1-based positions in the source as read (over all files of a glob, in order). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/engine.h"
#include "ingest_int.h"

typedef struct col {
  const char *name, *raw_type; /* as the source gives it */
  const char *target;          /* DuckDB type to cast to, or NULL */
  const char *format;          /* strptime format of a text date / timestamp (a connector's hint), or NULL */
  bool nested, declared;
  bool typed;                  /* the one-pass load reads it as target already (ingest_ctx.typed_select) */
} col;

/* The type to have DuckDB's readers parse text of type t as, when they parse it exactly as CAST(text AS t)
 * does (checked for the CSV reader: spaces, signs, t/yes/1 as booleans, ISO dates and timestamps), or
 * NULL. The integer types and DECIMAL are left to the cast and its exactness check (the reader rounds 1.5
 * to 2 and cannot be told not to), TIMESTAMPTZ to the cast. A TIMESTAMP is read as TIMESTAMP_NS and a
 * DATE as TIMESTAMP, which put_inexact then checks: the reader drops digits below a microsecond, and a
 * DATE reader drops a time of day or any text after the date. */
static const char *reader_type(const char *t) {
  static const char *const ok[][2] = {{"DOUBLE", "DOUBLE"}, {"FLOAT", "FLOAT"}, {"BOOLEAN", "BOOLEAN"},
                                      {"DATE", "TIMESTAMP"}, {"TIMESTAMP", "TIMESTAMP_NS"}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (!strcasecmp(t, ok[i][0])) return ok[i][1];
  return NULL;
}

static bool is_nested(const char *t) {
  return strstr(t, "STRUCT(") || strstr(t, "MAP(") || strstr(t, "UNION(") || floe_str_ends(t, "]") || !strcmp(t, "JSON");
}

/* The table's current columns: name -> DuckDB type (arena strings); *exists false when no table. */
static int table_columns(ingest_ctx *cx, floe_lake *l, const char *table, floe_map *cols, bool *exists,
                         floe_err *err) {
  char *text = NULL, *loc = NULL;
  *exists = false;
  int rc = floe_lake_metadata(l, table, &text, &loc, err);
  if (rc == FLOE_ENOTFOUND) {
    floe_err_clear(err);
    return 0;
  }
  if (rc) return rc;
  *exists = true;
  json_t *meta = json_loads(text, 0, NULL);
  floe_free(text);
  floe_free(loc);
  if (!meta) return floe_err_set(err, FLOE_EFORMAT, "table %s: unreadable metadata", table);
  json_int_t sid = json_integer_value(json_object_get(meta, "current-schema-id"));
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(meta, "schemas"), i, s) {
    if (json_integer_value(json_object_get(s, "schema-id")) != sid) continue;
    size_t j;
    json_t *f;
    json_array_foreach(json_object_get(s, "fields"), j, f) {
      const char *name = floe_arena_strdup(cx->ar, json_string_value(json_object_get(f, "name")));
      char tb[64];
      const char *it = json_string_value(json_object_get(f, "type"));
      const char *dt = it ? floe_lake_duck_type(it, tb, sizeof tb) : NULL; /* the lake's mapping, not a second one */
      if (name && floe_map_put(cols, name, (void *)floe_arena_strdup(cx->ar, dt ? dt : ""))) rc = FLOE_ENOMEM;
    }
  }
  json_decref(meta);
  return rc ? floe_err_set(err, FLOE_ENOMEM, "out of memory") : 0;
}

/* FLOE_START/FLOE_END, else the run config's ops.<asset>.config.{start,end}, else range.start/end. */
int ingest_range_bounds(ingest_ctx *cx, const floe_node *range, const char **start, const char **end, floe_err *err) {
  *start = getenv("FLOE_START");
  *end = getenv("FLOE_END");
  if (*start && *start[0] && *end && *end[0]) return 0;
  *start = *end = NULL;
  const char *cfg = getenv("FLOE_RUN_CONFIG");
  if (cfg && floe_path_exists(cfg)) {
    char *text;
    size_t len;
    floe_node *root = NULL;
    int rc = floe_file_read(cfg, &text, &len, err);
    if (rc) return rc;
    rc = floe_yaml_parse(cx->ar, cfg, text, len, &root, err);
    floe_free(text);
    if (rc) return rc;
    const floe_node *c = floe_node_get(floe_node_get(floe_node_get(root, "ops"), cx->a->key), "config");
    *start = floe_node_scalar(floe_node_get(c, "start"));
    *end = floe_node_scalar(floe_node_get(c, "end"));
    if (*start && *end) return 0;
  }
  *start = floe_node_scalar(floe_node_get(range, "start"));
  *end = floe_node_scalar(floe_node_get(range, "end"));
  if (!*start) *start = floe_node_scalar(floe_node_get(cx->a->source, "start"));
  if (!*end) *end = floe_node_scalar(floe_node_get(cx->a->source, "end"));
  if (*start && *end) return 0;
  return ingest_fail_at(err, range ? range : cx->a->node,
                        "mode replace_range: no range to replace; expected FLOE_START and FLOE_END (a partitioned run), "
                        "run config ops.%s.config.{start, end}, or range: {start, end}",
                        cx->a->key);
}

static void put_value(floe_buf *b, const col *c) {
  if (c->target && !c->typed && !c->nested && !strcmp(c->raw_type, "VARCHAR") && strcasecmp(c->target, "VARCHAR")) {
    /* text into another type: an empty string (a CSV "") is no value, as an empty field is */
    floe_buf_puts(b, "NULLIF(");
    floe_buf_sql_ident(b, c->name);
    floe_buf_puts(b, ", '')");
    return;
  }
  if (c->nested) {
    floe_buf_puts(b, strcmp(c->raw_type, "JSON") ? "CAST(to_json(" : "CAST((");
    floe_buf_sql_ident(b, c->name);
    floe_buf_puts(b, ") AS VARCHAR)");
  } else {
    floe_buf_sql_ident(b, c->name);
  }
}

static bool same_type(const char *a, const char *b) {
  if (!strcasecmp(a, b)) return true;
  if (!strcasecmp(a, "TIMESTAMPTZ") && !strcasecmp(b, "TIMESTAMP WITH TIME ZONE")) return true;
  if (!strcasecmp(b, "TIMESTAMPTZ") && !strcasecmp(a, "TIMESTAMP WITH TIME ZONE")) return true;
  return false;
}

/* 1 for DATE, 2 for the TIMESTAMP types, else 0. */
static int time_kind(const char *t) {
  return !strcasecmp(t, "DATE") ? 1 : !strncasecmp(t, "TIMESTAMP", 9) ? 2 : 0;
}

/* ---- exact values: a value is stored as the source says or the row is bad, never rounded. DuckDB's
 * casts round (CAST('1.5' AS BIGINT) is 2, 1.239 into DECIMAL(5,2) is 1.24, a TIMESTAMP_NS loses its
 * nanoseconds in a TIMESTAMP), so each cast that can lose something is paired with a test that it did. */

/* The decimal places a value of t may have: 0 for the integer types, S for DECIMAL(P,S); -1 otherwise. */
static int exact_scale(const char *t) {
  static const char *const ints[] = {"TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",  "HUGEINT",
                                     "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", NULL};
  for (size_t i = 0; ints[i]; i++)
    if (!strcasecmp(t, ints[i])) return 0;
  int p, s;
  if ((!strncasecmp(t, "DECIMAL(", 8) || !strncasecmp(t, "NUMERIC(", 8)) && sscanf(t + 8, "%d ,%d", &p, &s) == 2)
    return s;
  return -1;
}

static bool is_float(const char *t) {
  return !strcasecmp(t, "DOUBLE") || !strcasecmp(t, "FLOAT") || !strcasecmp(t, "REAL");
}

/* What is lost when c's value becomes type (for the reason text), or NULL when nothing can be: the
 * condition that it was, on a non-NULL value that converts, goes to b. */
static const char *put_inexact(floe_buf *b, const col *c, const char *type) {
  if (c->nested) return NULL;
  const char *raw = c->raw_type;
  int scale = exact_scale(type);
  if (scale >= 0 && !strcmp(raw, "VARCHAR")) {
    /* text: a nonzero digit past the scale; with an exponent, compared as doubles (at most 15 digits,
     * which a double holds exactly) */
    floe_buf_puts(b, "CASE WHEN contains(");
    put_value(b, c);
    floe_buf_puts(b, ", 'e') OR contains(");
    put_value(b, c);
    floe_buf_puts(b, ", 'E') THEN length(regexp_replace(split_part(lower(");
    put_value(b, c);
    floe_buf_puts(b, "), 'e', 1), '[^0-9]', '', 'g')) > 15 OR TRY_CAST(");
    put_value(b, c);
    floe_buf_printf(b, " AS DOUBLE) <> CAST(TRY_CAST(");
    put_value(b, c);
    floe_buf_printf(b, " AS %s) AS DOUBLE) ELSE contains(", type);
    put_value(b, c);
    floe_buf_puts(b, ", '.') AND regexp_matches(");
    put_value(b, c);
    floe_buf_printf(b, ", '\\.[0-9]{%d}[0-9]*[1-9]') END", scale);
  } else if (scale >= 0 && (is_float(raw) || exact_scale(raw) > scale)) {
    /* a number: converted back, it is what it was */
    floe_buf_puts(b, "CAST(TRY_CAST(");
    put_value(b, c);
    floe_buf_printf(b, " AS %s) AS %s) <> ", type, raw);
    put_value(b, c);
  } else if (time_kind(type) == 2 && !strcmp(raw, "VARCHAR")) {
    /* text: a fraction of a second with a nonzero digit past the sixth (the cast drops them) */
    floe_buf_puts(b, "contains(");
    put_value(b, c);
    floe_buf_puts(b, ", '.') AND regexp_matches(");
    put_value(b, c);
    floe_buf_puts(b, ", ':[0-9]{2}[.][0-9]{6}[0-9]*[1-9]')");
    return "it has digits below a microsecond, which an Iceberg v2 timestamp does not hold";
  } else if (time_kind(type) == 1 && !strcmp(raw, "VARCHAR")) {
    /* text: anything after the date that is not midnight (the cast reads "2024-01-01 10:00" and
     * "2024-01-01 x" as 2024-01-01) */
    floe_buf_puts(b, "length(trim(");
    put_value(b, c);
    floe_buf_puts(b, ")) > 10 AND TRY_CAST(");
    put_value(b, c);
    floe_buf_puts(b, " AS TIMESTAMP) IS DISTINCT FROM CAST(TRY_CAST(");
    put_value(b, c);
    floe_buf_puts(b, " AS DATE) AS TIMESTAMP)");
    return "it has a time of day or text after the date";
  } else if (!strncasecmp(type, "TIMESTAMP", 9) && !strcasecmp(raw, "TIMESTAMP_NS")) {
    floe_buf_puts(b, "epoch_ns(");
    put_value(b, c);
    floe_buf_puts(b, ") % 1000 <> 0");
    return "it has digits below a microsecond, which an Iceberg v2 timestamp does not hold";
  } else if (time_kind(type) == 1 && time_kind(raw) == 2) {
    floe_buf_puts(b, "CAST(CAST(");
    put_value(b, c);
    floe_buf_printf(b, " AS DATE) AS %s) <> ", raw);
    put_value(b, c);
    return "it has a time of day";
  } else {
    return NULL;
  }
  return scale ? "it has more decimal places than the column holds" : "it is not a whole number";
}

/* How put_converted casts: TRY_CAST; CAST (rows already checked); CAST that fails on a value it would
 * round (the one-pass load, whose failure sends the load to the checked pass). */
enum conv { CONV_TRY, CONV_CHECKED, CONV_GUARDED };

/* c's value as type, through strptime when the text is a date or timestamp in c->format and type is of
 * that kind. */
static void put_converted(floe_buf *b, const col *c, const char *type, enum conv how) {
  bool fmt = c->format && c->target && time_kind(type) == time_kind(c->target);
  floe_buf cond;
  floe_buf_init(&cond, 0);
  const char *why = NULL;
  if (how == CONV_GUARDED && !fmt) {
    if (exact_scale(type) == 0 && !strcmp(c->raw_type, "VARCHAR") && !c->nested) {
      /* text into an integer: floe_plain_int (engine.c) reads plain digits and fails on anything else,
       * which then takes the checked pass (where 3.0 and 1e3 are fine); as fast as DuckDB's cast */
      floe_buf_puts(b, "CAST(floe_plain_int("); /* ("" is NULL there: no NULLIF per value) */
      floe_buf_sql_ident(b, c->name);
      floe_buf_printf(b, ") AS %s)", type);
      floe_buf_free(&cond);
      return;
    } else {
      why = put_inexact(&cond, c, type);
    }
  }
  if (why) {
    char m[512];
    snprintf(m, sizeof m, "column '%s': does not fit %s exactly: ", c->name, type);
    floe_buf_printf(b, "CASE WHEN %s THEN error(", floe_buf_str(&cond));
    floe_buf_sql_str(b, m);
    floe_buf_puts(b, " || CAST(");
    put_value(b, c);
    floe_buf_puts(b, " AS VARCHAR)) ELSE ");
  }
  floe_buf_free(&cond);
  floe_buf_puts(b, how == CONV_TRY ? "TRY_CAST(" : "CAST(");
  if (fmt) floe_buf_puts(b, how == CONV_TRY ? "TRY_STRPTIME(" : "STRPTIME(");
  put_value(b, c);
  if (fmt) {
    floe_buf_puts(b, ", ");
    floe_buf_sql_str(b, c->format);
    floe_buf_puts(b, ")");
  }
  floe_buf_printf(b, " AS %s)", type);
  if (why) floe_buf_puts(b, " END");
}

/* "SELECT <each column converted to its target>" (strict casts: checked rows, or the one-pass load). */
static void put_output(floe_buf *b, const col *cols, size_t ncols, enum conv how) {
  floe_buf_puts(b, "SELECT ");
  for (size_t i = 0; i < ncols; i++) {
    if (i) floe_buf_puts(b, ", ");
    const col *c = &cols[i];
    if (!strcmp(c->raw_type, "NULL")) floe_buf_printf(b, "CAST(NULL AS %s)", c->target);
    else if (c->target && !c->typed) put_converted(b, c, c->target, how);
    else put_value(b, c);
    floe_buf_puts(b, " AS ");
    floe_buf_sql_ident(b, c->name);
  }
}

/* Appends "WHEN <bad> THEN <reason>" for a value that does not convert to c->target. */
static void put_cast_check(floe_buf *b, const col *c) {
  floe_buf_puts(b, " WHEN ");
  put_value(b, c);
  floe_buf_puts(b, " IS NOT NULL AND ");
  put_converted(b, c, c->target, CONV_TRY);
  floe_buf_puts(b, " IS NULL THEN ");
  char quoted[512];
  snprintf(quoted, sizeof quoted, "column '%s': cannot convert ", c->name);
  floe_buf_sql_str(b, quoted);
  floe_buf_puts(b, " || left(CAST(");
  put_value(b, c);
  floe_buf_puts(b, " AS VARCHAR), 200) || ' to ");
  floe_buf_puts(b, c->target);
  floe_buf_puts(b, "'");
  if (c->format && time_kind(c->target)) return; /* parsed by strptime: it reads what it matches */
  floe_buf cond;
  floe_buf_init(&cond, 0);
  const char *why = put_inexact(&cond, c, c->target);
  if (why) {
    floe_buf_printf(b, " WHEN %s THEN ", floe_buf_str(&cond));
    snprintf(quoted, sizeof quoted, "column '%s': ", c->name);
    floe_buf_sql_str(b, quoted);
    floe_buf_puts(b, " || left(CAST(");
    put_value(b, c);
    snprintf(quoted, sizeof quoted, " does not fit %s exactly: %s", c->target, why);
    floe_buf_puts(b, " AS VARCHAR), 200) || ");
    floe_buf_sql_str(b, quoted);
  }
  floe_buf_free(&cond);
}

int ingest_shape(ingest_ctx *cx, floe_lake *l, const char *table, char **select, floe_lake_write_opts *o,
                 floe_err *err) {
  const floe_asset *a = cx->a;
  const floe_node *src = a->source;
  floe_engine *eng;
  floe_result *r = NULL;
  floe_map tcols = {0};
  col *cols = NULL;
  size_t ncols = 0;
  floe_buf inner, q, reason, out, rej;
  floe_buf_init(&inner, 0);
  floe_buf_init(&q, 0);
  floe_buf_init(&reason, 0);
  floe_buf_init(&out, 0);
  floe_buf_init(&rej, 0);
  int rc = floe_lake_engine(l, &eng, err);
  if (rc) goto done;
  if ((rc = floe_engine_register_plain_int(eng, err))) goto done;
  /* 1. Flattened paths become extra columns of the raw rows. */
  const floe_node *flat = floe_node_get(src, "flatten");
  if (flat && flat->type != FLOE_NODE_MAP) {
    rc = ingest_fail_at(err, flat, "source.flatten: expected a mapping new_column: path.in.a.nested.column");
    goto done;
  }
  floe_buf_printf(&inner, "SELECT *");
  for (size_t i = 0; flat && i < flat->len; i++) {
    const char *path = floe_node_scalar(flat->items[i]);
    const char *dot = path ? strchr(path, '.') : NULL;
    if (!dot || dot == path || !dot[1]) {
      rc = ingest_fail_at(err, flat->items[i], "source.flatten.%s: expected a path column.field[.field...]", flat->keys[i]);
      goto done;
    }
    floe_buf_puts(&inner, ", json_extract_string(to_json(");
    floe_buf_append(&inner, "\"", 1);
    for (const char *c = path; c < dot; c++) {
      if (*c == '"') floe_buf_putc(&inner, '"');
      floe_buf_putc(&inner, *c);
    }
    floe_buf_puts(&inner, "\"), ");
    char *jp = floe_arena_printf(cx->ar, "$.%s", dot + 1);
    floe_buf_sql_str(&inner, jp);
    floe_buf_puts(&inner, ") AS ");
    floe_buf_sql_ident(&inner, flat->keys[i]);
  }
  size_t inner_head = inner.len; /* "SELECT *, <flattened>": the one-pass load may read another select */
  floe_buf_printf(&inner, " FROM (%s) AS __floe_raw", *select);
  /* 2. The source's columns. */
  floe_buf_printf(&q, "DESCRIBE %s", floe_buf_str(&inner));
  if ((rc = floe_engine_query(eng, floe_buf_str(&q), &r, err))) {
    err->code = rc = FLOE_EINPUT;
    floe_err_prefix(err, "%s: ", cx->label ? cx->label : "source");
    goto done;
  }
  const floe_node *decl = a->columns ? a->columns : floe_node_get(src, "columns");
  size_t nr = floe_result_nrows(r);
  cols = floe_arena_alloc(cx->ar, (nr + (decl ? decl->len : 0) + 1) * sizeof *cols);
  if (!cols) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < nr; i++) {
    if (cx->row_column && !strcmp(floe_result_str(r, 0, i), cx->row_column)) continue; /* not a column */
    cols[ncols].name = floe_arena_strdup(cx->ar, floe_result_str(r, 0, i));
    cols[ncols].raw_type = floe_arena_strdup(cx->ar, floe_result_str(r, 1, i));
    cols[ncols].nested = is_nested(cols[ncols].raw_type);
    ncols++;
  }
  floe_result_free(r);
  r = NULL;
  /* 3. Types: declared > the table's > inferred. */
  bool exists;
  if ((rc = table_columns(cx, l, table, &tcols, &exists, err))) goto done;
  if (decl && decl->type == FLOE_NODE_MAP) {
    for (size_t j = 0; j < decl->len; j++) {
      const char *t = floe_node_scalar(decl->items[j]);
      const char *d = t ? ingest_duck_type(t) : NULL;
      if (!d) {
        rc = ingest_fail_at(err, decl->items[j],
                            "columns.%s: unknown type '%s'; expected boolean, int, long, float, double, string, json, "
                            "date, timestamp, timestamptz or decimal(P,S)",
                            decl->keys[j], t ? t : "");
        goto done;
      }
      size_t i = 0;
      while (i < ncols && strcmp(cols[i].name, decl->keys[j])) i++;
      if (i == ncols) { /* declared but absent from the source: a NULL column of that type */
        cols[ncols].name = decl->keys[j];
        cols[ncols].raw_type = "NULL";
        ncols++;
      }
      cols[i].target = d;
      cols[i].declared = true;
    }
  }
  const char *osc = a->on_schema_change ? a->on_schema_change : "evolve";
  if (strcmp(osc, "evolve") && strcmp(osc, "fail")) {
    rc = ingest_fail_at(err, floe_node_get(a->node, "on_schema_change"),
                        "on_schema_change: unknown value '%s'; expected evolve or fail", osc);
    goto done;
  }
  floe_buf newcols;
  floe_buf_init(&newcols, 0);
  for (size_t i = 0; i < ncols; i++) {
    col *c = &cols[i];
    const char *tt = floe_map_get(&tcols, c->name);
    if (exists && !tt) floe_buf_printf(&newcols, "%s'%s'", newcols.len ? ", " : "", c->name);
    if (!c->target && tt && tt[0] && !c->nested && !same_type(tt, c->raw_type) && strcmp(c->raw_type, "NULL"))
      c->target = tt;
    for (size_t h = 0; !c->target && !(tt && tt[0]) && h < cx->nhints; h++) /* the connector's inferred type */
      if (!strcmp(cx->hints[h].name, c->name) && !same_type(cx->hints[h].type, c->raw_type)) c->target = cx->hints[h].type;
    if (c->target && (same_type(c->target, c->raw_type) || (c->nested && !strcmp(c->target, "VARCHAR"))))
      c->target = c->declared ? c->target : NULL;
    for (size_t h = 0; c->target && !strcmp(c->raw_type, "VARCHAR") && h < cx->nhints; h++) /* text in a date format */
      if (cx->hints[h].format && !strcmp(cx->hints[h].name, c->name) && time_kind(c->target) &&
          time_kind(cx->hints[h].type) == time_kind(c->target))
        c->format = cx->hints[h].format;
  }
  if (newcols.len && !strcmp(osc, "fail")) {
    rc = ingest_fail_at(err, floe_node_get(a->node, "on_schema_change"),
                        "%s: the source has new column(s) %s that table %s does not have, and on_schema_change is fail "
                        "(set it to evolve to add them)",
                        cx->label ? cx->label : "source", floe_buf_str(&newcols), table);
    floe_buf_free(&newcols);
    goto done;
  }
  floe_buf_free(&newcols);
  if (!strcmp(osc, "fail")) o->no_evolve = true;
  /* 4. The reason a row does not fit (NULL when it does). */
  bool merge = a->mode && !strcmp(a->mode, "merge");
  floe_buf_puts(&reason, "CASE");
  size_t nterms = 0;
  for (size_t i = 0; i < ncols; i++) {
    if (!cols[i].target || !strcmp(cols[i].raw_type, "NULL")) continue;
    put_cast_check(&reason, &cols[i]);
    nterms++;
  }
  if (merge) {
    for (size_t k = 0; k < a->nunique_key; k++) {
      size_t i = 0;
      while (i < ncols && strcmp(cols[i].name, a->unique_key[k])) i++;
      if (i == ncols) {
        const floe_node *uk = floe_node_get(a->node, "unique_key");
        rc = ingest_fail_at(err, uk && uk->type == FLOE_NODE_SEQ && k < uk->len ? uk->items[k] : uk,
                            "unique_key: the source has no column '%s'", a->unique_key[k]);
        goto done;
      }
      floe_buf_puts(&reason, " WHEN ");
      floe_buf_sql_ident(&reason, a->unique_key[k]);
      floe_buf_puts(&reason, " IS NULL THEN ");
      char *m = floe_arena_printf(cx->ar, "merge key column '%s' is null", a->unique_key[k]);
      floe_buf_sql_str(&reason, m);
      nterms++;
    }
  }
  bool ranged = a->mode && !strcmp(a->mode, "replace_range");
  if (ranged) {
    const floe_node *range = a->range;
    const char *rcol = floe_node_scalar(floe_node_get(range, "column"));
    if (!rcol) {
      rc = ingest_fail_at(err, range ? range : a->node,
                          "range.column: missing; mode replace_range needs the timestamp column of the range");
      goto done;
    }
    size_t i = 0;
    while (i < ncols && strcmp(cols[i].name, rcol)) i++;
    if (i == ncols) {
      rc = ingest_fail_at(err, floe_node_get(range, "column"), "range.column: the source has no column '%s'", rcol);
      goto done;
    }
    const char *start, *end;
    if ((rc = ingest_range_bounds(cx, range, &start, &end, err))) goto done;
    const char *rt = cols[i].target ? cols[i].target : cols[i].raw_type;
    if (!strcmp(rt, "VARCHAR") || cols[i].nested) rt = "TIMESTAMP";
    /* check the bounds parse, so a typo is an input error and not a silent empty range */
    floe_buf chk;
    floe_buf_init(&chk, 0);
    floe_buf_puts(&chk, "SELECT CAST(");
    floe_buf_sql_str(&chk, start);
    floe_buf_printf(&chk, " AS %s) < CAST(", rt);
    floe_buf_sql_str(&chk, end);
    floe_buf_printf(&chk, " AS %s)", rt);
    rc = floe_engine_query(eng, floe_buf_str(&chk), &r, err);
    floe_buf_free(&chk);
    if (rc) {
      rc = floe_err_set(err, FLOE_EINPUT, "mode replace_range: range [%s, %s) is not a %s range", start, end, rt);
      goto done;
    }
    floe_result_free(r);
    r = NULL;
    floe_buf v;
    floe_buf_init(&v, 0);
    put_converted(&v, &cols[i], rt, CONV_TRY);
    floe_buf_printf(&reason, " WHEN %s IS NULL THEN ", floe_buf_str(&v));
    floe_buf_sql_str(&reason, floe_arena_printf(cx->ar, "range column '%s' is null or not a %s", rcol, rt));
    floe_buf_printf(&reason, " WHEN NOT (%s >= CAST(", floe_buf_str(&v));
    floe_buf_sql_str(&reason, start);
    floe_buf_printf(&reason, " AS %s) AND %s < CAST(", rt, floe_buf_str(&v));
    floe_buf_sql_str(&reason, end);
    floe_buf_printf(&reason, " AS %s)) THEN 'range column ' || ", rt);
    floe_buf_sql_str(&reason, rcol);
    floe_buf_puts(&reason, " || ': ' || CAST(");
    put_value(&reason, &cols[i]);
    floe_buf_puts(&reason, " AS VARCHAR) || ");
    floe_buf_sql_str(&reason, floe_arena_printf(cx->ar, " is outside the range being replaced [%s, %s)", start, end));
    floe_buf_free(&v);
    nterms++;
    /* the rows of the table in the range go, in the same snapshot */
    floe_buf pred;
    floe_buf_init(&pred, 0);
    floe_buf_sql_ident(&pred, rcol);
    floe_buf_puts(&pred, " >= ");
    floe_buf_sql_str(&pred, start);
    floe_buf_puts(&pred, " AND ");
    floe_buf_sql_ident(&pred, rcol);
    floe_buf_puts(&pred, " < ");
    floe_buf_sql_str(&pred, end);
    o->replace_where = floe_arena_strdup(cx->ar, floe_buf_str(&pred));
    floe_buf_free(&pred);
    floe_buf_printf(&cx->meta, ",\"range_start\":");
    floe_buf_json_str(&cx->meta, start);
    floe_buf_printf(&cx->meta, ",\"range_end\":");
    floe_buf_json_str(&cx->meta, end);
  }
  floe_buf_puts(&reason, " END");
  /* 5. The rows to write. */
  bool numbered = nterms > 0 || merge || cx->row_column || cx->malformed;
  /* Only conversions to check: try the one-pass strict write first (see ingest_ctx.optimistic). */
  cx->optimistic = numbered && !cx->checked && !merge && !ranged && !cx->row_column && !cx->malformed;
  if (cx->optimistic) numbered = false;
  enum conv how = cx->optimistic ? CONV_GUARDED : CONV_CHECKED;
  put_output(&out, cols, ncols, how);
  char *base = cx->row_column ? floe_arena_printf(cx->ar, "SELECT * FROM (%s) AS __floe_r", floe_buf_str(&inner))
                              : floe_arena_printf(cx->ar, "SELECT row_number() OVER () AS __floe_row, * FROM (%s) AS __floe_r",
                                                  floe_buf_str(&inner));
  if (cx->optimistic && cx->typed_select) {
    /* Text the connector can read as its type directly: no cast over text (a tenth of a CSV load). */
    const char **names = floe_arena_alloc(cx->ar, (ncols + 1) * sizeof *names);
    const char **types = floe_arena_alloc(cx->ar, (ncols + 1) * sizeof *types);
    size_t nt = 0;
    for (size_t i = 0; names && types && i < ncols; i++) {
      col *c = &cols[i];
      if (!c->target || c->format || c->nested || strcmp(c->raw_type, "VARCHAR") || !reader_type(c->target))
        continue;
      names[nt] = c->name;
      types[nt++] = reader_type(c->target);
    }
    const char *typed = nt ? cx->typed_select(cx, names, types, nt) : NULL;
    if (typed) {
      inner.p[inner.len = inner_head] = 0;
      floe_buf_printf(&inner, " FROM (%s) AS __floe_raw", typed);
      for (size_t i = 0; i < ncols; i++)
        for (size_t k = 0; k < nt; k++)
          if (cols[i].name == names[k]) {
            cols[i].raw_type = types[k]; /* the target itself, or a wider type put_converted checks */
            cols[i].typed = same_type(types[k], cols[i].target);
          }
      floe_buf_reset(&out);
      put_output(&out, cols, ncols, how);
    }
  }
  if (!numbered) {
    floe_buf_printf(&out, " FROM (%s) AS __floe_r", floe_buf_str(&inner));
    cx->rows_read = cx->optimistic ? -1 : cx->rows_known; /* -1: the rows written, all of them */
  } else {
    floe_buf_printf(&out, " FROM (%s) AS __floe_b WHERE (%s) IS NULL", base, nterms ? floe_buf_str(&reason) : "NULL");
    if (merge) { /* one row per key: the last one in the source wins */
      floe_buf_puts(&out, " QUALIFY row_number() OVER (PARTITION BY ");
      for (size_t k = 0; k < a->nunique_key; k++) {
        if (k) floe_buf_puts(&out, ", ");
        floe_buf_sql_ident(&out, a->unique_key[k]);
      }
      floe_buf_puts(&out, " ORDER BY __floe_row DESC) = 1");
    }
    /* 6. Check every row once: counts, the first bad row. */
    floe_buf_reset(&q);
    floe_buf_printf(&q,
                    "SELECT count(*), count(__reason), min(__floe_row) FILTER (WHERE __reason IS NOT NULL), "
                    "arg_min(__reason, __floe_row) FILTER (WHERE __reason IS NOT NULL), ");
    if (merge) {
      floe_buf_puts(&q, "count(DISTINCT (");
      for (size_t k = 0; k < a->nunique_key; k++) {
        if (k) floe_buf_puts(&q, ", ");
        floe_buf_sql_ident(&q, a->unique_key[k]);
      }
      floe_buf_puts(&q, ")) FILTER (WHERE __reason IS NULL)");
    } else {
      floe_buf_puts(&q, "count(*) - count(__reason)");
    }
    floe_buf_printf(&q, " FROM (SELECT __floe_row, (%s) AS __reason, * FROM (%s) AS __floe_b)",
                    nterms ? floe_buf_str(&reason) : "CAST(NULL AS VARCHAR)", base);
    if ((rc = floe_engine_query(eng, floe_buf_str(&q), &r, err))) {
      err->code = rc = FLOE_EINPUT;
      floe_err_prefix(err, "%s: ", cx->label ? cx->label : "source");
      goto done;
    }
    int64_t total = floe_result_i64(r, 0, 0), bad = floe_result_i64(r, 1, 0), keys = floe_result_i64(r, 4, 0);
    if (merge && total - bad > keys)
      floe_buf_printf(&cx->meta, ",\"rows_superseded\":%lld", (long long)(total - bad - keys));
    total += cx->malformed; /* malformed NDJSON lines, staged apart by ingest_ndjson_clean */
    cx->rows_read = total;
    cx->rows_rejected = bad + cx->malformed;
    if (bad || cx->malformed) {
      int64_t first = bad ? floe_result_i64(r, 2, 0) : 0;
      const char *why = bad ? floe_result_str(r, 3, 0) : NULL;
      if (!ingest_rejects_on(a)) {
        const char *where = NULL;
        if (cx->malformed_row > 0 && (!bad || cx->malformed_row < first)) { /* a record that did not split */
          first = cx->malformed_row;
          why = cx->malformed_why;
          where = cx->malformed_where;
        } else if (cx->row_where) {
          where = cx->row_where(cx, first);
        }
        int64_t nbad = bad + cx->malformed;
        rc = floe_err_set(err, FLOE_EINPUT,
                          "%s: row %lld%s: %s (%lld row%s of %lld do not fit; nothing was written — set rejects: true on "
                          "the asset to load the others and keep these in %s__rejects)",
                          cx->label ? cx->label : "source", (long long)first, where ? where : "",
                          why ? why : "bad row", (long long)nbad, nbad == 1 ? "" : "s", (long long)total, table);
        goto done;
      }
      cx->rejects_table = ingest_rejects_table(cx, table);
      floe_buf_puts(&rej, "SELECT ");
      floe_buf_sql_str(&rej, cx->label ? cx->label : "source");
      floe_buf_puts(&rej, " AS source, __floe_row AS row_number, __reason AS reason, CAST(to_json({");
      for (size_t i = 0; i < ncols; i++) {
        if (!strcmp(cols[i].raw_type, "NULL")) continue;
        if (i) floe_buf_puts(&rej, ", ");
        floe_buf_sql_str(&rej, cols[i].name);
        floe_buf_puts(&rej, ": ");
        floe_buf_sql_ident(&rej, cols[i].name);
      }
      floe_buf_puts(&rej, "}) AS VARCHAR) AS record, ");
      const char *run = getenv("FLOE_RUN_ID");
      floe_buf_sql_str(&rej, run ? run : "");
      floe_buf_printf(&rej, " AS run_id, CAST(now() AS TIMESTAMP) AS rejected_at FROM (SELECT (%s) AS __reason, * FROM (%s) AS __floe_b) "
                            "WHERE __reason IS NOT NULL",
                      nterms ? floe_buf_str(&reason) : "CAST(NULL AS VARCHAR)", base);
      if (cx->malformed_select) floe_buf_printf(&rej, " UNION ALL %s", cx->malformed_select);
    }
    floe_result_free(r);
    r = NULL;
  }
  *select = floe_arena_strdup(cx->ar, floe_buf_str(&out));
  if (rej.len) cx->rejects_select = floe_arena_strdup(cx->ar, floe_buf_str(&rej));
done:
  floe_result_free(r);
  floe_map_free(&tcols);
  floe_buf_free(&inner);
  floe_buf_free(&q);
  floe_buf_free(&reason);
  floe_buf_free(&out);
  floe_buf_free(&rej);
  return rc;
}

const char *ingest_rejects_table(ingest_ctx *cx, const char *table) {
  const floe_node *rj = cx->a->rejects;
  const char *rt = rj && rj->type == FLOE_NODE_MAP ? floe_node_scalar(floe_node_get(rj, "table")) : NULL;
  return rt ? (strchr(rt, '.') ? rt : floe_arena_printf(cx->ar, "%s.%s", cx->p->lake_namespace, rt))
            : floe_arena_printf(cx->ar, "%s__rejects", table);
}

int ingest_write_rejects(ingest_ctx *cx, floe_lake *l, floe_err *err) {
  if (!cx->rejects_select) return 0;
  floe_lake_write_opts o = {.mode = FLOE_LAKE_APPEND};
  floe_lake_commit_info info;
  int rc = floe_lake_write(l, cx->rejects_table, cx->rejects_select, &o, &info, err);
  if (rc) floe_err_prefix(err, "writing the rejected rows to %s: ", cx->rejects_table);
  else cx->rejects_snapshot = info.snapshot_id;
  return rc;
}
