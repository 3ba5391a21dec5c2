/* info.c — what a table is (floe_lake_describe) and what floe refuses to do with it, read from its metadata
 * so that no front end walks metadata JSON; adding an existing table to the catalog (register) and removing
 * one (unregister), neither copying nor deleting a file. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lake_int.h"

typedef struct info_ctx {
  floe_arena *a;
  floe_lake_info *o;
  bool oom;
} info_ctx;

static const char *astr(info_ctx *c, const char *s) {
  if (!s) return NULL;
  char *r = floe_arena_strdup(c->a, s);
  if (!r) c->oom = true;
  return r;
}

static void *aarray(info_ctx *c, size_t n, size_t size) {
  void *p = floe_arena_alloc(c->a, (n ? n : 1) * size);
  if (!p) c->oom = true;
  return p;
}

/* An integer summary value (Iceberg writes them as strings); -1 when absent or not a number. */
static int64_t summary_int(const json_t *snap, const char *key) {
  json_t *v = json_object_get(json_object_get(snap, "summary"), key);
  if (json_is_integer(v)) return (int64_t)json_integer_value(v);
  const char *s = json_string_value(v);
  char *end;
  long long n = s ? strtoll(s, &end, 10) : -1;
  return s && *s && !*end ? n : -1;
}

/* Appends one refusal (a sentence "what: why"), unless one with the same "what:" is there already. */
static void refuse(info_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(info_ctx *c, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  const char *colon = strchr(buf, ':');
  size_t what = colon ? (size_t)(colon - buf) : strlen(buf);
  for (size_t i = 0; i < c->o->nrefused; i++)
    if (!strncmp(c->o->refused[i], buf, what + 1)) return;
  const char **n = aarray(c, c->o->nrefused + 1, sizeof *n);
  if (!n) return;
  if (c->o->nrefused) memcpy(n, c->o->refused, c->o->nrefused * sizeof *n);
  n[c->o->nrefused] = astr(c, buf);
  c->o->refused = n;
  c->o->nrefused++;
}

/* The partition transforms the writer computes (write.c, partition_expr). */
static bool transform_writable(const char *tr) {
  return tr && (!strcmp(tr, "identity") || !strcmp(tr, "day") || !strcmp(tr, "month") || !strcmp(tr, "year"));
}

/* Why floe must not write this table (NULL: it may), into buf. Checked by every data write before anything
 * is written, and reported by describe and register. */
static const char *write_refusal(const json_t *meta, char *buf, size_t n) {
  if (json_integer_value(json_object_get(meta, "format-version")) == 1) {
    snprintf(buf, n, "floe writes format-version 2 manifests and metadata and would leave a format-version 1 "
                     "table invalid for v1 readers; reads are not affected");
    return buf;
  }
  json_t *spec = lake_spec(meta, (int)json_integer_value(json_object_get(meta, "default-spec-id")));
  size_t i;
  json_t *pf;
  json_array_foreach(json_object_get(spec, "fields"), i, pf) {
    const char *tr = json_string_value(json_object_get(pf, "transform"));
    if (transform_writable(tr)) continue;
    snprintf(buf, n, "partition field '%s' uses the transform %s, which floe does not compute (it writes identity, "
             "day, month and year)", json_string_value(json_object_get(pf, "name")), tr ? tr : "(none)");
    return buf;
  }
  return NULL;
}

int lake_write_refused(const json_t *meta, const char *table, floe_err *err) {
  char why[512];
  if (!meta || !write_refusal(meta, why, sizeof why)) return 0;
  return floe_err_set(err, FLOE_EUNSUPPORTED, "table %s: floe does not write to this table: %s; nothing was written",
                      table, why);
}

/* What the metadata alone says floe refuses to do with the table. */
static void refusals(floe_lake *l, const json_t *meta, info_ctx *c) {
  char why[512];
  if (write_refusal(meta, why, sizeof why)) refuse(c, "writes: %s", why);
  json_t *cur = lake_snapshot(meta, lake_current_snapshot_id(meta));
  if (summary_int(cur, "total-delete-files") > 0 || summary_int(cur, "total-position-deletes") > 0 ||
      summary_int(cur, "total-equality-deletes") > 0)
    refuse(c, "reads and writes: the current snapshot has delete files (merge-on-read), which floe does not apply "
              "yet; compact the table with the engine that wrote it");
  if (cur && !json_object_get(cur, "manifest-list"))
    refuse(c, "reads and writes: the current snapshot lists its manifests inline (format-version 1 without a "
              "manifest list), which floe does not read yet");
  const char *loc = json_string_value(json_object_get(meta, "location"));
  char wh[PATH_MAX], at[PATH_MAX];
  if (loc && realpath(l->warehouse, wh) && !(realpath(lake_local_path(loc), at) && floe_path_under(wh, at))) {
    refuse(c, "reads: its location %s is outside the warehouse %s, and `floe query` opens only files inside it "
              "(docs/security.md): move the table's directory into the warehouse and register it there", loc,
           l->warehouse);
    refuse(c, "maintenance: `lake expire` drops its snapshots but deletes none of its files, and `lake orphans` "
              "does not look at it (its location is outside the warehouse)");
  }
}

static void fill_columns(info_ctx *c, const json_t *schema) {
  const json_t *fields = json_object_get(schema, "fields");
  floe_lake_info *o = c->o;
  o->columns = aarray(c, json_array_size(fields), sizeof *o->columns);
  size_t i;
  json_t *f;
  json_array_foreach(fields, i, f) {
    if (!o->columns) break;
    json_t *ty = json_object_get(f, "type");
    floe_lake_column *col = &o->columns[o->ncolumns++];
    col->id = (int64_t)json_integer_value(json_object_get(f, "id"));
    col->name = astr(c, json_string_value(json_object_get(f, "name")));
    col->type = astr(c, json_is_string(ty) ? json_string_value(ty) : json_string_value(json_object_get(ty, "type")));
    col->required = json_is_true(json_object_get(f, "required"));
  }
}

static void fill_partition(info_ctx *c, const json_t *meta) {
  json_t *spec = lake_spec(meta, (int)json_integer_value(json_object_get(meta, "default-spec-id")));
  const json_t *fields = json_object_get(spec ? spec : json_object_get(meta, "partition-spec"), "fields");
  if (!fields) fields = json_object_get(meta, "partition-spec"); /* v1: the fields themselves */
  floe_lake_info *o = c->o;
  o->partition = aarray(c, json_array_size(fields), sizeof *o->partition);
  size_t i;
  json_t *pf;
  json_array_foreach(fields, i, pf) {
    if (!o->partition) break;
    floe_lake_partition_field *p = &o->partition[o->npartition++];
    p->transform = astr(c, json_string_value(json_object_get(pf, "transform")));
    p->name = astr(c, json_string_value(json_object_get(pf, "name")));
    p->source_id = (int64_t)json_integer_value(json_object_get(pf, "source-id"));
  }
}

static void fill_refs_snapshots(info_ctx *c, const json_t *meta) {
  floe_lake_info *o = c->o;
  const json_t *refs = json_object_get(meta, "refs"), *snaps = json_object_get(meta, "snapshots");
  o->refs = aarray(c, json_object_size(refs), sizeof *o->refs);
  const char *k;
  json_t *r;
  json_object_foreach((json_t *)refs, k, r) {
    if (!o->refs) break;
    floe_lake_ref *ref = &o->refs[o->nrefs++];
    ref->name = astr(c, k);
    ref->type = astr(c, json_string_value(json_object_get(r, "type")));
    ref->snapshot_id = (int64_t)json_integer_value(json_object_get(r, "snapshot-id"));
  }
  o->snapshots = aarray(c, json_array_size(snaps), sizeof *o->snapshots);
  size_t i;
  json_t *s;
  json_array_foreach(snaps, i, s) {
    if (!o->snapshots) break;
    floe_lake_snapshot *sn = &o->snapshots[o->nsnapshots++];
    sn->id = (int64_t)json_integer_value(json_object_get(s, "snapshot-id"));
    sn->parent_id = (int64_t)json_integer_value(json_object_get(s, "parent-snapshot-id"));
    sn->timestamp_ms = (int64_t)json_integer_value(json_object_get(s, "timestamp-ms"));
    sn->operation = astr(c, json_string_value(json_object_get(json_object_get(s, "summary"), "operation")));
    sn->added_rows = summary_int(s, "added-records");
    sn->total_rows = summary_int(s, "total-records");
  }
}

static int describe_meta(floe_lake *l, const json_t *meta, const char *meta_loc, floe_arena *a, floe_lake_info *o,
                         floe_err *err) {
  info_ctx c = {.a = a, .o = o};
  o->location = astr(&c, json_string_value(json_object_get(meta, "location")));
  o->metadata_location = astr(&c, meta_loc);
  o->uuid = astr(&c, json_string_value(json_object_get(meta, "table-uuid")));
  o->format_version = (int)json_integer_value(json_object_get(meta, "format-version"));
  o->current_snapshot_id = lake_current_snapshot_id(meta);
  json_t *cur = lake_snapshot(meta, o->current_snapshot_id);
  o->total_rows = !o->current_snapshot_id ? 0 : cur ? summary_int(cur, "total-records") : -1;
  json_t *schema = lake_current_schema(meta);
  o->schema_id = (int64_t)json_integer_value(json_object_get(schema, "schema-id"));
  fill_columns(&c, schema);
  fill_partition(&c, meta);
  fill_refs_snapshots(&c, meta);
  refusals(l, meta, &c);
  return c.oom ? floe_err_set(err, FLOE_ENOMEM, "out of memory") : 0;
}

int floe_lake_describe(floe_lake *l, const char *table, floe_arena *a, floe_lake_info *out, floe_err *err) {
  memset(out, 0, sizeof *out);
  lake_table t;
  int rc = lake_table_load(l, table, false, &t, err);
  if (rc) return rc;
  rc = describe_meta(l, t.meta, t.loc, a, out, err);
  lake_table_free(&t);
  return rc;
}

int floe_lake_snapshots_json(floe_lake *l, const char *table, char **json_text, floe_err *err) {
  lake_table t;
  int rc = lake_table_load(l, table, false, &t, err);
  if (rc) return rc;
  json_t *snaps = json_object_get(t.meta, "snapshots");
  char *s = json_dumps(snaps ? snaps : json_array(), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  *json_text = s ? floe_strdup(s) : NULL;
  free(s);
  lake_table_free(&t);
  return *json_text ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

/* ---- register / unregister */

/* The location to store for what the user gave (a file: URL as given; a relative path made absolute) and
 * the local path to read. */
static int register_location(const char *given, char **store_loc, floe_err *err) {
  *store_loc = NULL;
  if (!strncmp(given, "file:", 5)) {
    *store_loc = floe_strdup(given);
  } else if (strstr(given, "://")) {
    return floe_err_set(err, FLOE_EUNSUPPORTED, "%s: floe reads tables on the local file system only (a path or a "
                        "file: URL)", given);
  } else if (given[0] == '/') {
    *store_loc = floe_strdup(given);
  } else {
    char abs[PATH_MAX];
    if (!realpath(given, abs)) return floe_err_set(err, FLOE_ENOTFOUND, "%s: no such metadata file", given);
    *store_loc = floe_strdup(abs);
  }
  return *store_loc ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

static int read_metadata(const char *path, json_t **meta, floe_err *err) {
  char *text = NULL;
  size_t len = 0;
  int rc = floe_file_read(path, &text, &len, err);
  if (rc) return rc;
  json_error_t je;
  *meta = json_loadb(text, len, 0, &je);
  floe_free(text);
  if (!*meta) return floe_err_set(err, FLOE_EFORMAT, "%s: line %d: not JSON: %s", path, je.line, je.text);
  json_t *fv = json_object_get(*meta, "format-version");
  int rc2 = 0;
  if (!json_is_object(*meta)) rc2 = floe_err_set(err, FLOE_EFORMAT, "%s: not Iceberg table metadata (not an object)", path);
  else if (!json_is_integer(fv) || json_integer_value(fv) < 1)
    rc2 = floe_err_set(err, FLOE_EFORMAT, "%s: not Iceberg table metadata (no format-version)", path);
  else if (json_integer_value(fv) > 2)
    rc2 = floe_err_set(err, FLOE_EUNSUPPORTED, "%s: Iceberg format-version %lld is not supported (1 and 2 are)", path,
                       (long long)json_integer_value(fv));
  else if (!json_is_string(json_object_get(*meta, "location")) || !lake_current_schema(*meta))
    rc2 = floe_err_set(err, FLOE_EFORMAT, "%s: not Iceberg table metadata (no location or schema)", path);
  if (rc2) {
    json_decref(*meta);
    *meta = NULL;
  }
  return rc2;
}

/* The live data files of a manifest exist. */
static int check_entries(const json_t *entries, const char *manifest, floe_err *err) {
  size_t i;
  json_t *e;
  json_array_foreach(entries, i, e) {
    if (json_integer_value(json_object_get(e, "status")) == 2) continue;
    const char *fp = json_string_value(json_object_get(json_object_get(e, "data_file"), "file_path"));
    if (!fp || !floe_path_exists(lake_local_path(fp)))
      return floe_err_set(err, FLOE_ENOTFOUND, "data file %s (listed in %s) does not exist", fp ? fp : "(none)",
                          manifest);
  }
  return 0;
}

/* The current snapshot's manifest list, manifests and data files are there and readable. What floe reads
 * but refuses (delete files, inline manifests) becomes a refusal, not an error. */
static int check_current(floe_lake *l, const json_t *meta, const char *path, info_ctx *c, floe_err *err) {
  int64_t cur = lake_current_snapshot_id(meta);
  json_t *snap = lake_snapshot(meta, cur), *ml = NULL;
  if (!cur) return 0;
  if (!snap) return floe_err_set(err, FLOE_EFORMAT, "%s: current-snapshot-id %lld names no snapshot", path, (long long)cur);
  if (!json_object_get(snap, "manifest-list")) return 0; /* inline manifests: refused above */
  int rc = lake_read_manifest_list(l, snap, &ml, err);
  size_t i;
  json_t *mf;
  json_array_foreach(ml, i, mf) {
    json_t *entries = NULL;
    const char *mp = json_string_value(json_object_get(mf, "manifest_path"));
    if (!(rc = lake_read_manifest(l, mf, &entries, err))) rc = check_entries(entries, mp ? mp : "?", err);
    json_decref(entries);
    if (rc) break;
  }
  json_decref(ml);
  if (rc == FLOE_EUNSUPPORTED) {
    refuse(c, "reads and writes: %s", err->msg);
    floe_err_clear(err);
    return 0;
  }
  if (rc) floe_err_prefix(err, "%s: the current snapshot %lld: ", path, (long long)cur);
  return rc;
}

int floe_lake_register(floe_lake *l, const char *table, const char *metadata_location, floe_arena *a,
                       floe_lake_info *out, floe_err *err) {
  floe_lake_info tmp;
  if (!out) out = &tmp;
  memset(out, 0, sizeof *out);
  char *ns = NULL, *name = NULL, *loc = NULL, *have = NULL;
  json_t *meta = NULL;
  int rc = lake_split_name(table, &ns, &name, err);
  if (!rc && !(rc = lake_catalog_get(l, ns, name, &have, err)))
    rc = floe_err_set(err, FLOE_ECONFLICT, "table %s is in the catalog already (metadata %s): `floe lake unregister "
                      "%s` first to replace it", table, have, table);
  else if (rc == FLOE_ENOTFOUND) {
    floe_err_clear(err);
    rc = 0;
  }
  if (!rc) rc = register_location(metadata_location, &loc, err);
  if (!rc) rc = read_metadata(lake_local_path(loc), &meta, err);
  info_ctx c = {.a = a, .o = out};
  if (!rc) rc = describe_meta(l, meta, loc, a, out, err);
  if (!rc) rc = check_current(l, meta, lake_local_path(loc), &c, err);
  if (!rc && c.oom) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  if (!rc) rc = lake_catalog_swap(l, ns, name, NULL, loc, err);
  if (rc) floe_err_prefix(err, "lake register %s: ", table);
  json_decref(meta);
  floe_free(ns);
  floe_free(name);
  floe_free(loc);
  floe_free(have);
  return rc;
}

int floe_lake_unregister(floe_lake *l, const char *table, char **metadata_location, floe_err *err) {
  char *ns = NULL, *name = NULL, *loc = NULL;
  if (metadata_location) *metadata_location = NULL;
  int rc = lake_split_name(table, &ns, &name, err);
  if (!rc) rc = lake_catalog_get(l, ns, name, &loc, err);
  if (!rc) rc = lake_catalog_drop(l, ns, name, err);
  if (!rc && metadata_location) {
    *metadata_location = loc;
    loc = NULL;
  }
  floe_free(ns);
  floe_free(name);
  floe_free(loc);
  return rc;
}
