/* query.c — the read-only query engine: one DuckDB view per catalog table over the data files of the
 * chosen snapshot, then DuckDB locked down to opening exactly those files (what a query may run is
 * decided in src/engine: floe_engine_query_readonly), and the lake's own tables named when a query
 * misspells one. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
 * on a thread of its own while the catalog, metadata and manifests are read and the views written out.
 * The read-only check of the query (parsing only) runs there too, so a refused query is refused before
 * any view exists, and floe_engine_query_readonly finds it checked. */
typedef struct engine_opener {
  floe_engine *e;
  const char *sql; /* NULL: no query to check */
  int rc;
  floe_err err;
} engine_opener;

static void *open_engine(void *arg) {
  engine_opener *o = arg;
  o->rc = floe_engine_open(&o->e, 0, &o->err);
  char *run = NULL;
  if (!o->rc && o->sql) o->rc = floe_engine_readonly_check(o->e, o->sql, &run, NULL, &o->err);
  floe_free(run);
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
 * *views), and the data files those views read (floe_malloc'd, in *files). */
static int view_statements(floe_lake *l, const char *as_of, const char *sql, floe_vec *views, floe_vec *files,
                           floe_err *err) {
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
    rc = lake_snapshot_entries(l, t.meta, snap, &entries, err);
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
    size_t k;
    json_t *en;
    json_array_foreach(entries, k, en) {
      const char *path = json_string_value(json_object_get(json_object_get(en, "data_file"), "file_path"));
      char *f = path ? floe_strdup(lake_local_path(path)) : NULL;
      if (f && floe_vec_push(files, f)) floe_free(f);
    }
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

/* Whether real (a resolved path) is dir or below it. */
static bool real_inside(const char *real, const char *dir) {
  size_t n = strlen(dir);
  return !strncmp(real, dir, n) && (real[n] == '/' || real[n] == 0 || (n && dir[n - 1] == '/'));
}

/* Whether a query may open path: absolute, below the warehouse (wh as configured, or wh_real, its realpath),
 * no "." or ".." step; its directory really in the warehouse and the file no symlink leading out of it.
 * last_ok caches the last directory found good (a table's files share a few directories). */
static bool readable_file(const char *wh, const char *wh_real, const char *path, floe_buf *last_ok) {
  size_t n = strlen(wh), m = strlen(wh_real);
  if (!((!strncmp(path, wh, n) && path[n] == '/') || (!strncmp(path, wh_real, m) && path[m] == '/'))) return false;
  for (const char *p = path; (p = strchr(p, '/')) != NULL; p++)
    if (!strncmp(p, "/./", 3) || !strncmp(p, "/../", 4) || !strcmp(p, "/.") || !strcmp(p, "/..")) return false;
  size_t dl = (size_t)(strrchr(path, '/') - path);
  if (last_ok->len != dl || memcmp(floe_buf_str(last_ok), path, dl)) {
    char *dir = floe_strndup(path, dl);
    char *real = dir ? realpath(dir, NULL) : NULL;
    bool ok = real && real_inside(real, wh_real);
    free(real);
    floe_buf_reset(last_ok);
    if (ok) floe_buf_append(last_ok, dir, dl);
    floe_free(dir);
    if (!ok) return false;
  }
  struct stat st;
  if (lstat(path, &st) || !S_ISLNK(st.st_mode)) return true; /* a missing file: DuckDB says so when it reads */
  char *real = realpath(path, NULL);
  bool ok = real && real_inside(real, wh_real);
  free(real);
  return ok;
}

/* The lock-down, run after the views are made: DuckDB may open exactly the data files the views read
 * (allowed_paths; no directory, so no listing, no new file, and no symlink or ".." planted in the
 * warehouse leads elsewhere), nothing else (enable_external_access=false: no other file, no URL, no
 * INSTALL/LOAD/ATTACH), and no setting can change after (lock_configuration). */
static int lock_down(floe_lake *l, floe_engine *e, const floe_vec *files, floe_err *err) {
  char *wh_real = realpath(l->warehouse, NULL);
  if (!wh_real) return floe_err_set(err, FLOE_EIO, "lake warehouse %s: %s", l->warehouse, strerror(errno));
  floe_buf q, last_ok;
  floe_buf_init(&q, 0);
  floe_buf_init(&last_ok, 0);
  floe_buf_puts(&q, "SET allowed_paths=[");
  bool first = true;
  for (size_t i = 0; i < files->len; i++) {
    if (!readable_file(l->warehouse, wh_real, files->items[i], &last_ok)) continue; /* DuckDB will refuse it */
    if (!first) floe_buf_putc(&q, ',');
    first = false;
    floe_buf_sql_str(&q, files->items[i]);
  }
  /* parquet_metadata_cache: the files are immutable, and a query binds them more than once (its check of
   * column types, the display wrapper, the scan) */
  /* temp_directory empty: a query larger than memory fails instead of spilling into the working directory
   * (DuckDB's default ".tmp", up to 90% of the free disk) */
  floe_buf_puts(&q, "]; SET parquet_metadata_cache=true; SET temp_directory=''; SET enable_external_access=false; "
                     "SET lock_configuration=true;");
  int rc = floe_engine_exec(e, floe_buf_str(&q), err);
  floe_buf_free(&q);
  floe_buf_free(&last_ok);
  free(wh_real);
  return rc;
}

int floe_lake_query_engine_for(floe_lake *l, const char *as_of, const char *sql, floe_engine **out,
                               floe_err *err) {
  *out = NULL;
  engine_opener o = {.sql = sql};
  pthread_t th;
  bool threaded = pthread_create(&th, NULL, open_engine, &o) == 0;
  if (!threaded) open_engine(&o);
  floe_vec views = {0}, files = {0};
  int rc = view_statements(l, as_of, sql, &views, &files, err);
  if (threaded) pthread_join(th, NULL);
  if (o.rc && (!rc || o.err.code == FLOE_EINPUT)) { /* a refused query says so first */
    rc = o.rc;
    *err = o.err;
  }
  for (size_t i = 0; !rc && i < views.len; i++) rc = floe_engine_exec(o.e, views.items[i], err);
  for (size_t i = 0; i < views.len; i++) floe_free(views.items[i]);
  floe_vec_free(&views);
  if (!rc) rc = lock_down(l, o.e, &files, err);
  for (size_t i = 0; i < files.len; i++) floe_free(files.items[i]);
  floe_vec_free(&files);
  if (rc) {
    floe_engine_close(o.e);
    return rc;
  }
  *out = o.e;
  return 0;
}

/* Edit distance (insert, delete, replace one byte), capped at 255 bytes of each. */
static size_t edit_distance(const char *a, const char *b) {
  size_t n = strnlen(a, 255), m = strnlen(b, 255), row[256];
  for (size_t j = 0; j <= m; j++) row[j] = j;
  for (size_t i = 1; i <= n; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t up = row[j], best = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      diag = up;
      row[j] = best;
    }
  }
  return row[m];
}

/* Of the lake's tables (rows [namespace, name]), the one nearest to ref ("ns.name" or "name"), when it is
 * near enough to be a misspelling; its full name into best. */
static bool nearest_table(const json_t *list, const char *ref, floe_buf *best) {
  bool qualified = strchr(ref, '.') != NULL;
  size_t best_d = (size_t)-1, i;
  json_t *row;
  json_array_foreach(list, i, row) {
    char full[512];
    const char *ns = json_string_value(json_array_get(row, 0)), *name = json_string_value(json_array_get(row, 1));
    snprintf(full, sizeof full, "%s.%s", ns, name);
    size_t d = edit_distance(ref, qualified ? full : name);
    if (d < best_d) {
      best_d = d;
      floe_buf_reset(best);
      floe_buf_puts(best, full);
    }
  }
  return best_d <= (strlen(ref) > 9 ? strlen(ref) / 3 : 3);
}

static bool lake_has(const json_t *list, const char *ref) {
  size_t i;
  json_t *row;
  json_array_foreach(list, i, row) {
    const char *ns = json_string_value(json_array_get(row, 0)), *name = json_string_value(json_array_get(row, 1));
    size_t n = strlen(ns);
    if (!strcasecmp(ref, name) || (!strncasecmp(ref, ns, n) && ref[n] == '.' && !strcasecmp(ref + n + 1, name)))
      return true;
  }
  return false;
}

void floe_lake_query_missing_table(floe_lake *l, floe_engine *e, const char *sql, floe_err *err) {
  if (!err || err->code != FLOE_ENOTFOUND || !strstr(err->msg, "Table with name ")) return;
  floe_vec refs = {0};
  json_t *list = NULL;
  char *run = NULL;
  floe_buf best, names;
  floe_buf_init(&best, 0);
  floe_buf_init(&names, 0);
  if (floe_engine_readonly_check(e, sql, &run, &refs, NULL) || lake_catalog_list(l, &list, NULL)) goto done;
  for (size_t i = 0; i < refs.len; i++) {
    const char *ref = refs.items[i], *dot = strrchr(ref, '.');
    char said[300]; /* DuckDB names the missing table without its schema */
    snprintf(said, sizeof said, "name %s does not exist", dot ? dot + 1 : ref);
    if (lake_has(list, ref) || strchr(ref, '/') || !strstr(err->msg, said)) continue;
    if (nearest_table(list, ref, &best)) {
      floe_err_set(err, FLOE_ENOTFOUND, "Table \"%s\" does not exist; did you mean %s?", ref, floe_buf_str(&best));
    } else {
      size_t k;
      json_t *row;
      json_array_foreach(list, k, row) {
        if (k == 10) {
          floe_buf_printf(&names, ", ... (floe lake tables lists all %zu)", json_array_size(list));
          break;
        }
        floe_buf_printf(&names, "%s%s.%s", k ? ", " : "", json_string_value(json_array_get(row, 0)),
                        json_string_value(json_array_get(row, 1)));
      }
      floe_err_set(err, FLOE_ENOTFOUND, "Table \"%s\" does not exist; %s%s", ref,
                   json_array_size(list) ? "the lake's tables: " : "the lake has no tables yet", floe_buf_str(&names));
    }
    break;
  }
done:
  for (size_t i = 0; i < refs.len; i++) floe_free(refs.items[i]);
  floe_vec_free(&refs);
  json_decref(list);
  floe_free(run);
  floe_buf_free(&best);
  floe_buf_free(&names);
}
