/* query.c — the read-only query engine: one DuckDB view per catalog table over the data files of the
 * chosen snapshot, then file access limited to the warehouse and the configuration locked. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lake_int.h"

/* Which snapshot of t to show for as_of (NULL = current). 0 = the table is empty at that point. */
static int64_t pick_snapshot(const json_t *meta, const char *as_of) {
  int64_t cur = lake_current_snapshot_id(meta);
  if (!as_of) return cur;
  json_t *ref = json_object_get(json_object_get(meta, "refs"), as_of);
  if (ref) return (int64_t)json_integer_value(json_object_get(ref, "snapshot-id"));
  bool digits = *as_of != 0;
  for (const char *p = as_of; *p; p++)
    if (!isdigit((unsigned char)*p)) digits = false;
  if (digits) {
    long long v = strtoll(as_of, NULL, 10);
    if (lake_snapshot(meta, v)) return v;
    if (strlen(as_of) != 13) return cur; /* a snapshot id of another table */
  }
  int64_t ts_ms;
  if (digits) {
    ts_ms = strtoll(as_of, NULL, 10);
  } else {
    int64_t us;
    if (floe_time_parse(as_of, &us)) return cur;
    ts_ms = us / 1000;
  }
  /* The snapshot that was current at ts: the last snapshot-log entry at or before it. */
  int64_t id = 0;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(meta, "snapshot-log"), i, e) {
    if (json_integer_value(json_object_get(e, "timestamp-ms")) <= ts_ms)
      id = json_integer_value(json_object_get(e, "snapshot-id"));
  }
  return id;
}

static bool as_of_is_time(const char *as_of) {
  if (!as_of) return false;
  bool digits = true;
  for (const char *p = as_of; *p; p++)
    if (!isdigit((unsigned char)*p)) digits = false;
  if (digits) return strlen(as_of) == 13;
  int64_t us;
  return floe_time_parse(as_of, &us) == 0;
}

static const json_t *schema_by_id(const json_t *meta, json_int_t id) {
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(meta, "schemas"), i, s) {
    if (json_integer_value(json_object_get(s, "schema-id")) == id) return s;
  }
  return NULL;
}

/* SELECT over files floe wrote with schema `from`, shown as schema `to`: columns by their names in
 * `from`, renamed and cast to `to` by field id; columns `from` lacks are NULL. */
static void group_sql(floe_buf *q, const json_t *from, const json_t *to, const json_t *entries) {
  char tb[64];
  floe_buf_puts(q, "SELECT ");
  size_t i, j;
  json_t *f, *g;
  json_array_foreach(json_object_get(to, "fields"), i, f) {
    json_int_t id = json_integer_value(json_object_get(f, "id"));
    const char *src = NULL;
    json_array_foreach(json_object_get(from, "fields"), j, g) {
      if (json_integer_value(json_object_get(g, "id")) == id) src = json_string_value(json_object_get(g, "name"));
    }
    if (i) floe_buf_puts(q, ", ");
    floe_buf_puts(q, "CAST(");
    if (src) floe_buf_sql_ident(q, src);
    else floe_buf_puts(q, "NULL");
    floe_buf_printf(q, " AS %s) AS ", lake_duck_type(json_string_value(json_object_get(f, "type")), tb, sizeof tb));
    floe_buf_sql_ident(q, json_string_value(json_object_get(f, "name")));
  }
  floe_buf_puts(q, " FROM (");
  lake_scan_sql(q, from, entries, true);
  floe_buf_puts(q, ")");
}

/* The view's SELECT. Files floe wrote are read by column name, grouped by the schema they were written
 * with (the snapshot that added them records it) and projected onto the schema shown — the fast path.
 * Files of tables other engines wrote are mapped by field id (read_parquet's schema= parameter). */
static void view_sql(floe_buf *q, const json_t *meta, const json_t *schema, const json_t *entries) {
  bool ours = json_string_value(json_object_get(json_object_get(meta, "properties"), "floe.writer")) != NULL;
  if (!ours || !json_array_size(entries)) {
    lake_scan_sql(q, schema, entries, false);
    return;
  }
  if (lake_single_schema(meta)) {
    lake_scan_sql(q, schema, entries, true);
    return;
  }
  json_t *groups = json_object(); /* schema-id -> array of entries */
  json_t *unknown = json_array();  /* files whose snapshot was expired: schema not on record */
  size_t i;
  json_t *e;
  json_array_foreach(entries, i, e) {
    json_t *snap = lake_snapshot(meta, json_integer_value(json_object_get(e, "snapshot_id")));
    json_t *ss = snap ? json_object_get(snap, "schema-id") : NULL;
    if (!ss || !schema_by_id(meta, json_integer_value(ss))) {
      json_array_append(unknown, e);
      continue;
    }
    char k[32];
    snprintf(k, sizeof k, "%lld", (long long)json_integer_value(ss));
    json_t *arr = json_object_get(groups, k);
    if (!arr) json_object_set_new(groups, k, arr = json_array());
    json_array_append(arr, e);
  }
  const char *k;
  json_t *arr;
  bool first = true;
  json_object_foreach(groups, k, arr) {
    if (!first) floe_buf_puts(q, " UNION ALL ");
    first = false;
    group_sql(q, schema_by_id(meta, strtoll(k, NULL, 10)), schema, arr);
  }
  if (json_array_size(unknown)) { /* mapped by field id: same columns, same order */
    if (!first) floe_buf_puts(q, " UNION ALL ");
    floe_buf_puts(q, "SELECT * FROM (");
    lake_scan_sql(q, schema, unknown, false);
    floe_buf_puts(q, ")");
  }
  json_decref(groups);
  json_decref(unknown);
}

/* Opening DuckDB (loading the library, starting the database) takes most of a query's start-up; it runs
 * on a thread of its own while the catalog, metadata and manifests are read and the views written out. */
typedef struct engine_opener {
  floe_engine *e;
  int rc;
  floe_err err;
} engine_opener;

static void *open_engine(void *arg) {
  engine_opener *o = arg;
  o->rc = floe_engine_open(&o->e, 0, &o->err);
  return NULL;
}

/* Whether a query (NULL: any) may read the table: its text names it, or it lists the catalog. */
static bool query_may_read(const char *sql, const char *name) {
  static const char *const catalog[] = {"show", "information_schema", "duckdb_", "pg_", "sqlite_", NULL};
  if (!sql) return true;
  for (size_t i = 0; catalog[i]; i++)
    if (strcasestr(sql, catalog[i])) return true;
  return strcasestr(sql, name) != NULL;
}

/* The view statements for the catalog tables the query may read, as of as_of (floe_malloc'd strings in
 * *views). */
static int view_statements(floe_lake *l, const char *as_of, const char *sql, floe_vec *views, floe_err *err) {
  json_t *list = NULL;
  int rc = lake_catalog_list(l, &list, err);
  if (rc) return rc;
  bool matched = as_of == NULL || as_of_is_time(as_of);
  size_t i;
  json_t *row;
  json_array_foreach(list, i, row) {
    const char *ns = json_string_value(json_array_get(row, 0)), *name = json_string_value(json_array_get(row, 1));
    if (!query_may_read(sql, name)) continue;
    char *full = NULL;
    if (asprintf(&full, "%s.%s", ns, name) < 0) {
      rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      break;
    }
    lake_table t;
    rc = lake_table_load(l, full, false, &t, err);
    free(full);
    if (rc) break;
    int64_t snap = pick_snapshot(t.meta, as_of);
    if (as_of && snap != lake_current_snapshot_id(t.meta)) matched = true;
    if (as_of && json_object_get(json_object_get(t.meta, "refs"), as_of)) matched = true;
    json_t *entries = NULL;
    rc = lake_snapshot_entries(t.meta, snap, &entries, err);
    if (rc) {
      floe_err_prefix(err, "table %s.%s: ", ns, name);
      json_decref(entries);
      lake_table_free(&t);
      break;
    }
    /* Columns as of the snapshot's schema when it names one. */
    json_t *schema = lake_current_schema(t.meta);
    json_t *sn = snap ? lake_snapshot(t.meta, snap) : NULL;
    if (sn && json_object_get(sn, "schema-id")) {
      size_t k;
      json_t *s;
      json_array_foreach(json_object_get(t.meta, "schemas"), k, s) {
        if (json_integer_value(json_object_get(s, "schema-id")) ==
            json_integer_value(json_object_get(sn, "schema-id")))
          schema = s;
      }
    }
    floe_buf q;
    floe_buf_init(&q, 0);
    floe_buf_puts(&q, "CREATE SCHEMA IF NOT EXISTS ");
    floe_buf_sql_ident(&q, ns);
    floe_buf_puts(&q, "; CREATE OR REPLACE VIEW ");
    floe_buf_sql_ident(&q, ns);
    floe_buf_putc(&q, '.');
    floe_buf_sql_ident(&q, name);
    floe_buf_puts(&q, " AS ");
    view_sql(&q, t.meta, schema, entries);
    char *stmt = floe_strdup(floe_buf_str(&q));
    floe_buf_free(&q);
    json_decref(entries);
    lake_table_free(&t);
    if (!stmt || floe_vec_push(views, stmt)) {
      floe_free(stmt);
      rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      break;
    }
  }
  if (!rc && as_of && !matched)
    rc = floe_err_set(err, FLOE_ENOTFOUND, "--as-of %s: no table has such a snapshot, tag or branch", as_of);
  json_decref(list);
  return rc;
}

int floe_lake_query_engine(floe_lake *l, const char *as_of, floe_engine **out, floe_err *err) {
  return floe_lake_query_engine_for(l, as_of, NULL, out, err);
}

int floe_lake_query_engine_for(floe_lake *l, const char *as_of, const char *sql, floe_engine **out,
                               floe_err *err) {
  *out = NULL;
  engine_opener o = {0};
  pthread_t th;
  bool threaded = pthread_create(&th, NULL, open_engine, &o) == 0;
  if (!threaded) open_engine(&o);
  floe_vec views = {0};
  int rc = view_statements(l, as_of, sql, &views, err);
  if (threaded) pthread_join(th, NULL);
  if (!rc && o.rc) {
    rc = o.rc;
    *err = o.err;
  }
  for (size_t i = 0; !rc && i < views.len; i++) rc = floe_engine_exec(o.e, views.items[i], err);
  for (size_t i = 0; i < views.len; i++) floe_free(views.items[i]);
  floe_vec_free(&views);
  /* Lock down: only the warehouse is readable, nothing else on the file system, settings frozen. */
  if (!rc) {
    floe_buf q;
    floe_buf_init(&q, 0);
    floe_buf_puts(&q, "SET allowed_directories=[");
    char *wh = NULL;
    if (asprintf(&wh, "%s/", l->warehouse) < 0) wh = NULL;
    floe_buf_sql_str(&q, wh ? wh : l->warehouse);
    free(wh);
    floe_buf_puts(&q, "]; SET enable_external_access=false; SET lock_configuration=true;");
    rc = floe_engine_exec(o.e, floe_buf_str(&q), err);
    floe_buf_free(&q);
  }
  if (rc) {
    floe_engine_close(o.e);
    return rc;
  }
  *out = o.e;
  return 0;
}
