/* table.c — Iceberg table metadata: loading, scan planning (manifest list -> manifests -> data files),
 * building snapshots (fast append: untouched manifests are carried over as they are) and the optimistic
 * commit loop against the catalog. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lake_int.h"

int lake_split_name(const char *table, char **ns, char **name, floe_err *err) {
  const char *dot = strrchr(table, '.');
  if (!dot || dot == table || !dot[1])
    return floe_err_set(err, FLOE_EINPUT, "table name '%s' must be namespace.table (e.g. oso.events)", table);
  for (const char *p = table; *p; p++) {
    if (*p == '/' || *p == '\\' || (unsigned char)*p < 32)
      return floe_err_set(err, FLOE_EINPUT, "table name '%s' contains a character not allowed in a name", table);
  }
  if (strstr(table, ".."))
    return floe_err_set(err, FLOE_EINPUT, "table name '%s' has an empty part", table);
  *ns = floe_strndup(table, (size_t)(dot - table));
  *name = floe_strdup(dot + 1);
  return 0;
}

const char *lake_local_path(const char *loc) {
  if (!strncmp(loc, "file://", 7)) return loc + 7;
  if (!strncmp(loc, "file:", 5)) return loc + 5;
  return loc;
}

char *lake_styled_path(const json_t *meta, const char *local) {
  const char *loc = json_string_value(json_object_get(meta, "location"));
  size_t pre = loc ? (size_t)(lake_local_path(loc) - loc) : 0;
  char *s = NULL;
  if (asprintf(&s, "%.*s%s", (int)pre, loc ? loc : "", local) < 0) return NULL;
  char *r = floe_strdup(s);
  free(s);
  return r;
}

char *lake_table_location(floe_lake *l, const char *ns, const char *name) {
  char *p = NULL;
  if (asprintf(&p, "%s/%s/%s", l->warehouse, ns, name) < 0) return NULL;
  char *r = floe_strdup(p);
  free(p);
  return r;
}

void lake_cache_put(floe_lake *l, const char *loc, json_t *meta) {
  floe_free(l->cache_loc);
  json_decref(l->cache_meta);
  l->cache_loc = floe_strdup(loc);
  l->cache_meta = json_incref(meta);
}

void lake_table_free(lake_table *t) {
  floe_free(t->ns);
  floe_free(t->name);
  floe_free(t->loc);
  floe_free(t->cat_loc);
  json_decref(t->meta);
  memset(t, 0, sizeof *t);
}

/* Registers old -> new (copies); false when it cannot or when old is already known. */
static bool add_move(floe_lake *l, const char *old, const char *new_loc) {
  if (!old || !new_loc || !*old || !strcmp(old, new_loc)) return false;
  for (size_t i = 0; i + 1 < l->moves.len; i += 2)
    if (!strcmp(l->moves.items[i], old)) return false;
  char *o = floe_strdup(old), *n = floe_strdup(new_loc);
  if (o && n && floe_vec_push(&l->moves, o) == 0) {
    if (floe_vec_push(&l->moves, n) == 0) return true;
    l->moves.len--;
  }
  floe_free(o);
  floe_free(n);
  return false;
}

char *lake_map_path(floe_lake *l, const char *path) {
  if (!l->moves.len || !path) return NULL;
  const char *p = lake_local_path(path);
  for (size_t i = 0; i + 1 < l->moves.len; i += 2) {
    const char *old = l->moves.items[i];
    size_t n = strlen(old);
    if (strncmp(p, old, n) || (p[n] && p[n] != '/')) continue;
    char *m = NULL;
    if (asprintf(&m, "%s%s", (const char *)l->moves.items[i + 1], p + n) < 0) return NULL;
    char *r = floe_strdup(m);
    free(m);
    return r;
  }
  return NULL;
}

static void map_member(floe_lake *l, json_t *obj, const char *key) {
  const char *v = json_string_value(json_object_get(obj, key));
  char *m = lake_map_path(l, v), *styled = NULL;
  /* the path keeps its style (file:// or bare) */
  if (m && asprintf(&styled, "%.*s%s", (int)(lake_local_path(v) - v), v, m) >= 0)
    json_object_set_new(obj, key, json_string(styled));
  free(styled);
  floe_free(m);
}

/* A copied or moved project: the catalog (copied with the instance database) names the table's metadata
 * under the warehouse it was written in. floe creates a table at <warehouse>/<ns>/<name>, so when that is
 * not where the catalog points and this warehouse holds the same metadata file, the table moved with the
 * project: it is read from here, and every path under its old location is mapped (lake_map_path), so
 * that new files are written here too. Returns the local path to read (floe_malloc'd). */
static char *locate_metadata(floe_lake *l, lake_table *t, bool *moved) {
  *moved = false;
  const char *p = lake_local_path(t->cat_loc);
  char *here = lake_table_location(l, t->ns, t->name), *tail = NULL, *cand = NULL;
  if (!here || floe_path_under(l->warehouse, p)) goto keep;
  if (asprintf(&tail, "/%s/%s/metadata/", t->ns, t->name) < 0) tail = NULL;
  const char *at = tail ? strstr(p, tail) : NULL;
  if (!at || strchr(at + strlen(tail), '/')) goto keep;
  if (asprintf(&cand, "%s/metadata/%s", here, at + strlen(tail)) < 0) cand = NULL;
  if (!cand || !floe_path_exists(cand)) goto keep;
  char *old = floe_strndup(p, (size_t)(at - p) + strlen(tail) - strlen("/metadata/"));
  *moved = add_move(l, old, here);
  floe_free(old);
  char *r = floe_strdup(cand);
  free(tail);
  free(cand);
  floe_free(here);
  return r;
keep:
  free(tail);
  free(cand);
  floe_free(here);
  return floe_strdup(p);
}

/* Reading metadata the catalog names outside this warehouse failed: say where it looked and why. */
static int metadata_missing(floe_lake *l, lake_table *t, const char *table, int rc, floe_err *err) {
  if (floe_path_under(l->warehouse, lake_local_path(t->cat_loc)) || rc != FLOE_ENOTFOUND) {
    floe_err_prefix(err, "table %s: cannot read its metadata: ", table);
    return rc;
  }
  return floe_err_set(err, FLOE_ENOTFOUND,
                      "table %s: the catalog (%s) names its metadata at %s, outside this project's warehouse %s, "
                      "and neither there nor at %s/%s/%s/metadata/ is that file: was the project moved or copied "
                      "without its warehouse? Copy the table's directory into %s/%s/%s (floe then reads and writes "
                      "it there), or set lake.warehouse to the directory that holds it",
                      table, l->db_path, t->cat_loc, l->warehouse, l->warehouse, t->ns, t->name, l->warehouse, t->ns,
                      t->name);
}

#define MOVED_FROM "floe.moved-from" /* table property: the table's earlier locations, one per line */

/* The paths a metadata file holds, as they are now (a moved table's). The locations the table had before
 * are kept in the property floe.moved-from, since manifests written there still name files under them. */
static void map_metadata(floe_lake *l, json_t *meta, bool moved) {
  json_t *props = json_object_get(meta, "properties");
  const char *from = json_string_value(json_object_get(props, MOVED_FROM));
  if (!l->moves.len && !from) return;
  const char *was = json_string_value(json_object_get(meta, "location"));
  char *old = was ? floe_strdup(lake_local_path(was)) : NULL;
  map_member(l, meta, "location");
  const char *now = lake_local_path(json_string_value(json_object_get(meta, "location")));
  for (const char *p = from; p && *p;) {
    const char *nl = strchr(p, '\n');
    char *one = floe_strndup(p, nl ? (size_t)(nl - p) : strlen(p));
    add_move(l, one, now);
    floe_free(one);
    p = nl ? nl + 1 : NULL;
  }
  if (moved && old && json_is_object(props) && strcmp(old, now)) {
    char *list = NULL;
    if (asprintf(&list, "%s%s%s", from ? from : "", from ? "\n" : "", old) >= 0)
      json_object_set_new(props, MOVED_FROM, json_string(list));
    free(list);
  }
  floe_free(old);
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(meta, "snapshots"), i, s) map_member(l, s, "manifest-list");
  json_array_foreach(json_object_get(meta, "metadata-log"), i, s) map_member(l, s, "metadata-file");
}

int lake_table_load(floe_lake *l, const char *table, bool allow_missing, lake_table *t, floe_err *err) {
  memset(t, 0, sizeof *t);
  int rc = lake_split_name(table, &t->ns, &t->name, err);
  if (rc) return rc;
  rc = lake_catalog_get(l, t->ns, t->name, &t->cat_loc, err);
  if (rc == FLOE_ENOTFOUND && allow_missing) {
    floe_err_clear(err);
    return 0;
  }
  if (rc) goto fail;
  bool moved;
  if (!(t->loc = locate_metadata(l, t, &moved))) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto fail;
  }
  if (l->cache_loc && !strcmp(l->cache_loc, t->loc)) {
    t->meta = json_incref(l->cache_meta);
  } else {
    char *text = NULL;
    size_t len = 0;
    json_error_t je;
    rc = floe_file_read(t->loc, &text, &len, err);
    if (rc) {
      rc = metadata_missing(l, t, table, rc, err);
      goto fail;
    }
    t->meta = json_loadb(text, len, 0, &je);
    floe_free(text);
    if (!t->meta) {
      rc = floe_err_set(err, FLOE_EFORMAT, "table %s: cannot parse metadata %s: %s (line %d)", table, t->loc, je.text,
                        je.line);
      goto fail;
    }
    map_metadata(l, t->meta, moved);
    lake_cache_put(l, t->loc, t->meta);
  }
  json_t *fv = json_object_get(t->meta, "format-version");
  if (json_integer_value(fv) > 2) {
    rc = floe_err_set(err, FLOE_EUNSUPPORTED, "table %s: Iceberg format-version %lld is not supported (1 and 2 are)",
                      table, (long long)json_integer_value(fv));
    goto fail;
  }
  return 0;
fail:
  lake_table_free(t);
  return rc;
}

json_t *lake_current_schema(const json_t *meta) {
  json_int_t id = json_integer_value(json_object_get(meta, "current-schema-id"));
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(meta, "schemas"), i, s) {
    if (json_integer_value(json_object_get(s, "schema-id")) == id) return s;
  }
  return json_object_get(meta, "schema"); /* v1 */
}

bool lake_single_schema(const json_t *meta) {
  /* Only floe's own tables qualify: other engines may write files whose column names differ. */
  const char *writer = json_string_value(json_object_get(json_object_get(meta, "properties"), "floe.writer"));
  return json_array_size(json_object_get(meta, "schemas")) == 1 && writer;
}

json_t *lake_spec(const json_t *meta, int spec_id) {
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(meta, "partition-specs"), i, s) {
    if (json_integer_value(json_object_get(s, "spec-id")) == spec_id) return s;
  }
  return NULL;
}

int64_t lake_current_snapshot_id(const json_t *meta) {
  json_t *v = json_object_get(meta, "current-snapshot-id");
  int64_t id = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
  return id == -1 ? 0 : id;
}

/* From the newest: the snapshots looked up on every commit (the current one, its parent) are the last, and a
 * scan from the oldest made each commit pay for the whole history (~0.7 ms at 1,000 snapshots). */
json_t *lake_snapshot(const json_t *meta, int64_t id) {
  const json_t *snaps = json_object_get(meta, "snapshots");
  for (size_t i = json_array_size(snaps); i-- > 0;) {
    json_t *s = json_array_get(snaps, i);
    if (json_integer_value(json_object_get(s, "snapshot-id")) == id) return s;
  }
  return NULL;
}

int lake_read_manifest_list(floe_lake *l, const json_t *snap, json_t **mlist, floe_err *err) {
  const char *ml = json_string_value(json_object_get(snap, "manifest-list"));
  if (!ml)
    return floe_err_set(err, FLOE_EUNSUPPORTED, "snapshot %lld has no manifest-list (v1 inline manifests are not supported)",
                        (long long)json_integer_value(json_object_get(snap, "snapshot-id")));
  int rc = 0;
  if (!(*mlist = lake_ml_cache_get(lake_local_path(ml)))) {
    rc = lake_avro_read(lake_local_path(ml), NULL, NULL, mlist, err);
    if (rc) return rc;
    size_t k;
    json_t *r;
    json_array_foreach(*mlist, k, r) map_member(l, r, "manifest_path");
    lake_ml_cache_put(lake_local_path(ml), *mlist);
  }
  size_t i;
  json_t *mf;
  json_array_foreach(*mlist, i, mf) {
    if (json_integer_value(json_object_get(mf, "content")) != 0) {
      json_decref(*mlist);
      *mlist = NULL;
      return floe_err_set(err, FLOE_EUNSUPPORTED,
                          "the table has delete files (merge-on-read deletes in %s, written by another engine); "
                          "floe reads only copy-on-write tables: compact the table with that engine first",
                          json_string_value(json_object_get(mf, "manifest_path")));
    }
  }
  return 0;
}

int lake_read_manifest(floe_lake *l, const json_t *mf, json_t **entries, floe_err *err) {
  const char *path = json_string_value(json_object_get(mf, "manifest_path"));
  int rc = lake_avro_read(lake_local_path(path), NULL, NULL, entries, err);
  if (rc) return rc;
  json_t *mseq = json_object_get(mf, "sequence_number");
  json_t *msnap = json_object_get(mf, "added_snapshot_id");
  size_t i;
  json_t *e;
  json_array_foreach(*entries, i, e) {
    json_t *df = json_object_get(e, "data_file");
    map_member(l, df, "file_path");
    if (json_integer_value(json_object_get(df, "content")) != 0) {
      json_decref(*entries);
      *entries = NULL;
      return floe_err_set(err, FLOE_EUNSUPPORTED,
                          "the table has delete files (%s, written by another engine); floe reads only "
                          "copy-on-write tables: compact the table with that engine first",
                          json_string_value(json_object_get(df, "file_path")));
    }
    /* Inheritance: ADDED entries take the manifest's snapshot id and sequence number. */
    if (json_is_null(json_object_get(e, "snapshot_id")) || !json_object_get(e, "snapshot_id"))
      json_object_set(e, "snapshot_id", msnap ? msnap : json_null());
    if (json_is_null(json_object_get(e, "sequence_number")) || !json_object_get(e, "sequence_number"))
      json_object_set(e, "sequence_number", mseq ? mseq : json_integer(0));
    if (json_is_null(json_object_get(e, "file_sequence_number")) || !json_object_get(e, "file_sequence_number"))
      json_object_set(e, "file_sequence_number", json_object_get(e, "sequence_number"));
  }
  return 0;
}

int lake_snapshot_entries(floe_lake *l, const json_t *meta, int64_t snap_id, json_t **out, floe_err *err) {
  *out = json_array();
  if (!snap_id) return 0;
  json_t *snap = lake_snapshot(meta, snap_id);
  if (!snap) return floe_err_set(err, FLOE_ENOTFOUND, "no snapshot %lld", (long long)snap_id);
  json_t *ml;
  int rc = lake_read_manifest_list(l, snap, &ml, err);
  if (rc) return rc;
  size_t i, j;
  json_t *mf, *e;
  json_array_foreach(ml, i, mf) {
    json_t *entries;
    if ((rc = lake_read_manifest(l, mf, &entries, err))) break;
    json_array_foreach(entries, j, e) {
      if (json_integer_value(json_object_get(e, "status")) == 2) continue;
      json_object_set_new(e, "_spec_id", json_integer(json_integer_value(json_object_get(mf, "partition_spec_id"))));
      json_array_append(*out, e);
    }
    json_decref(entries);
  }
  json_decref(ml);
  return rc;
}

/* ------------------------------------------------------------------ types */

const char *lake_duck_type(const char *t, char *buf, size_t n) {
  if (!strcmp(t, "boolean")) return "BOOLEAN";
  if (!strcmp(t, "int")) return "INTEGER";
  if (!strcmp(t, "long")) return "BIGINT";
  if (!strcmp(t, "float")) return "FLOAT";
  if (!strcmp(t, "double")) return "DOUBLE";
  if (!strcmp(t, "date")) return "DATE";
  if (!strcmp(t, "timestamp")) return "TIMESTAMP";
  if (!strcmp(t, "timestamptz")) return "TIMESTAMPTZ";
  if (!strcmp(t, "binary") || !strncmp(t, "fixed", 5)) return "BLOB";
  if (!strcmp(t, "uuid")) return "UUID";
  if (!strcmp(t, "time")) return "TIME";
  int p, s;
  if (sscanf(t, "decimal(%d, %d)", &p, &s) == 2 || sscanf(t, "decimal(%d,%d)", &p, &s) == 2) {
    snprintf(buf, n, "DECIMAL(%d,%d)", p, s);
    return buf;
  }
  return "VARCHAR";
}

const char *floe_lake_duck_type(const char *t, char *buf, size_t n) { return lake_duck_type(t, buf, n); }

const char *lake_iceberg_type(const char *d, char *buf, size_t n) {
  if (!strcmp(d, "BOOLEAN")) return "boolean";
  if (!strcmp(d, "TINYINT") || !strcmp(d, "SMALLINT") || !strcmp(d, "INTEGER") || !strcmp(d, "UTINYINT") ||
      !strcmp(d, "USMALLINT"))
    return "int";
  if (!strcmp(d, "BIGINT") || !strcmp(d, "UINTEGER")) return "long";
  if (!strcmp(d, "FLOAT")) return "float";
  if (!strcmp(d, "DOUBLE")) return "double";
  if (!strcmp(d, "DATE")) return "date";
  if (!strcmp(d, "TIMESTAMP") || !strcmp(d, "TIMESTAMP_S") || !strcmp(d, "TIMESTAMP_MS") ||
      !strcmp(d, "TIMESTAMP_NS"))
    return "timestamp";
  if (!strcmp(d, "TIMESTAMP WITH TIME ZONE") || !strcmp(d, "TIMESTAMPTZ")) return "timestamptz";
  if (!strcmp(d, "BLOB")) return "binary";
  if (!strcmp(d, "VARCHAR")) return "string";
  int p, s;
  if (sscanf(d, "DECIMAL(%d,%d)", &p, &s) == 2) {
    /* DuckDB stores precision > 18 in 16-byte FIXED_LEN_BYTE_ARRAYs, and Iceberg requires the fewest bytes
     * for the precision: at precision 38 those are 16, so wider decimals widen (losslessly) to 38 */
    if (p > 18) p = 38;
    snprintf(buf, n, "decimal(%d, %d)", p, s);
    return buf;
  }
  if (!strcmp(d, "HUGEINT") || !strcmp(d, "UBIGINT") || !strcmp(d, "UHUGEINT")) return "decimal(38, 0)";
  return NULL;
}

json_t *lake_avro_type_for(const char *t) {
  if (!strcmp(t, "boolean") || !strcmp(t, "int") || !strcmp(t, "long") || !strcmp(t, "float") ||
      !strcmp(t, "double") || !strcmp(t, "string"))
    return json_string(t);
  if (!strcmp(t, "date")) return json_pack("{ssss}", "type", "int", "logicalType", "date");
  if (!strcmp(t, "timestamp"))
    return json_pack("{sssssb}", "type", "long", "logicalType", "timestamp-micros", "adjust-to-utc", 0);
  if (!strcmp(t, "timestamptz"))
    return json_pack("{sssssb}", "type", "long", "logicalType", "timestamp-micros", "adjust-to-utc", 1);
  return json_string("bytes");
}

/* ------------------------------------------------------------------ metadata */

json_t *lake_new_metadata(const char *location, json_t *schema, json_t *spec_fields) {
  char uuid[37];
  floe_uuid4(uuid);
  json_int_t last_col = 0, last_part = 999;
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(schema, "fields"), i, f) {
    json_int_t id = json_integer_value(json_object_get(f, "id"));
    if (id > last_col) last_col = id;
  }
  json_array_foreach(spec_fields, i, f) {
    json_int_t id = json_integer_value(json_object_get(f, "field-id"));
    if (id > last_part) last_part = id;
  }
  return json_pack("{si ss ss si sI sI si s[O] si s[{si sO}] sI si s[{si s[]}] s{ssssss} s{} s[] s[] s[]}",
                   "format-version", 2, "table-uuid", uuid, "location", location, "last-sequence-number", 0,
                   "last-updated-ms", (json_int_t)(floe_now_us() / 1000), "last-column-id", last_col,
                   "current-schema-id", 0, "schemas", schema, "default-spec-id", 0, "partition-specs", "spec-id", 0,
                   "fields", spec_fields, "last-partition-id", last_part, "default-sort-order-id", 0, "sort-orders",
                   "order-id", 0, "fields", "properties", "write.format.default", "parquet",
                   "write.parquet.compression-codec", "zstd", "floe.writer", "floe", "refs", "snapshots", "snapshot-log", "metadata-log");
}

int (*lake_test_hook)(floe_lake *l, const char *point);

int lake_hook(floe_lake *l, const char *point) { return lake_test_hook ? lake_test_hook(l, point) : 0; }

void lake_data_keep(floe_lake *l) {
  for (size_t i = 0; i < l->attempt_files.len; i++) {
    if (floe_vec_push(&l->data_files, l->attempt_files.items[i])) floe_free(l->attempt_files.items[i]);
  }
  l->attempt_files.len = 0;
}

/* Removes the empty directories above a removed file, up to (not including) the warehouse. */
void lake_remove_empty_parents(floe_lake *l, char *path) {
  for (char *slash = strrchr(path, '/'); slash && slash != path; slash = strrchr(path, '/')) {
    *slash = 0;
    if (!floe_path_under(l->warehouse, path) || !strcmp(path, l->warehouse) || rmdir(path) != 0) break;
  }
}

void lake_data_reset(floe_lake *l, bool remove_files) {
  for (size_t i = 0; i < l->data_files.len; i++) {
    if (remove_files && unlink(l->data_files.items[i]) == 0) lake_remove_empty_parents(l, l->data_files.items[i]);
    floe_free(l->data_files.items[i]);
  }
  l->data_files.len = 0;
}

void lake_attempt_track(floe_lake *l, const char *path) {
  char *p = floe_strdup(path);
  if (p && floe_vec_push(&l->attempt_files, p)) floe_free(p);
}

void lake_attempt_reset(floe_lake *l, bool remove_files) {
  for (size_t i = 0; i < l->attempt_files.len; i++) {
    if (remove_files) unlink(l->attempt_files.items[i]);
    floe_free(l->attempt_files.items[i]);
  }
  l->attempt_files.len = 0;
}

static int64_t new_snapshot_id(void) {
  int64_t id;
  do id = (int64_t)(floe_random_u64() & 0x7fffffffffffffffULL);
  while (id == 0);
  return id;
}

static const char *partition_type(const json_t *meta, const json_t *pf) {
  const char *tr = json_string_value(json_object_get(pf, "transform"));
  if (!tr) return "string";
  if (!strcmp(tr, "year") || !strcmp(tr, "month") || !strcmp(tr, "hour")) return "int";
  if (!strcmp(tr, "day")) return "date";
  json_int_t src = json_integer_value(json_object_get(pf, "source-id"));
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(lake_current_schema(meta), "fields"), i, f) {
    if (json_integer_value(json_object_get(f, "id")) == src) {
      const char *t = json_string_value(json_object_get(f, "type"));
      if (t && !strcmp(tr, "identity")) return t;
    }
  }
  return "string";
}

#define KV_MAP(name, fid, kid, vid, vtype)                                                                             \
  json_pack("{ss s[s{ss s{ss ss s[{ss ss si} {ss ss si}]} ss}] sn si}", "name", name, "type", "null", "type",         \
            "array", "items", "type", "record", "name", "k" #kid "_v" #vid, "fields", "name", "key", "type", "int",     \
            "field-id", kid, "name", "value", "type", vtype, "field-id", vid, "logicalType", "map", "default",         \
            "field-id", fid)

static json_t *opt_field(const char *name, json_t *type, int id) {
  return json_pack("{ss s[so] sn si}", "name", name, "type", "null", type, "default", "field-id", id);
}

/* The manifest_entry Avro schema for a partition spec. */
static json_t *manifest_entry_schema(const json_t *meta, const json_t *spec) {
  json_t *pfields = json_array();
  size_t i;
  json_t *pf;
  json_array_foreach(json_object_get(spec, "fields"), i, pf) {
    json_array_append_new(pfields, opt_field(json_string_value(json_object_get(pf, "name")),
                                             lake_avro_type_for(partition_type(meta, pf)),
                                             (int)json_integer_value(json_object_get(pf, "field-id"))));
  }
  json_t *df_fields = json_array();
  json_array_append_new(df_fields, json_pack("{ss ss si}", "name", "content", "type", "int", "field-id", 134));
  json_array_append_new(df_fields, json_pack("{ss ss si}", "name", "file_path", "type", "string", "field-id", 100));
  json_array_append_new(df_fields, json_pack("{ss ss si}", "name", "file_format", "type", "string", "field-id", 101));
  json_array_append_new(df_fields, json_pack("{ss s{ss ss so} si}", "name", "partition", "type", "type", "record",
                                             "name", "r102", "fields", pfields, "field-id", 102));
  json_array_append_new(df_fields, json_pack("{ss ss si}", "name", "record_count", "type", "long", "field-id", 103));
  json_array_append_new(df_fields,
                        json_pack("{ss ss si}", "name", "file_size_in_bytes", "type", "long", "field-id", 104));
  json_array_append_new(df_fields, KV_MAP("column_sizes", 108, 117, 118, "long"));
  json_array_append_new(df_fields, KV_MAP("value_counts", 109, 119, 120, "long"));
  json_array_append_new(df_fields, KV_MAP("null_value_counts", 110, 121, 122, "long"));
  json_array_append_new(df_fields, KV_MAP("nan_value_counts", 137, 138, 139, "long"));
  json_array_append_new(df_fields, KV_MAP("lower_bounds", 125, 126, 127, "bytes"));
  json_array_append_new(df_fields, KV_MAP("upper_bounds", 128, 129, 130, "bytes"));
  json_array_append_new(df_fields, opt_field("key_metadata", json_string("bytes"), 131));
  json_array_append_new(df_fields, opt_field("split_offsets",
                                             json_pack("{ss ss si}", "type", "array", "items", "long", "element-id", 133),
                                             132));
  json_array_append_new(df_fields, opt_field("equality_ids",
                                             json_pack("{ss ss si}", "type", "array", "items", "int", "element-id", 136),
                                             135));
  json_array_append_new(df_fields, opt_field("sort_order_id", json_string("int"), 140));
  json_t *fields = json_array();
  json_array_append_new(fields, json_pack("{ss ss si}", "name", "status", "type", "int", "field-id", 0));
  json_array_append_new(fields, opt_field("snapshot_id", json_string("long"), 1));
  json_array_append_new(fields, opt_field("sequence_number", json_string("long"), 3));
  json_array_append_new(fields, opt_field("file_sequence_number", json_string("long"), 4));
  json_array_append_new(fields, json_pack("{ss s{ss ss so} si}", "name", "data_file", "type", "type", "record", "name",
                                          "r2", "fields", df_fields, "field-id", 2));
  return json_pack("{ss ss so}", "type", "record", "name", "manifest_entry", "fields", fields);
}

static json_t *manifest_file_schema(void) {
  json_t *psum = json_pack(
      "{ss ss s[{ss ss si} {ss s[ss] sn si} {ss s[ss] sn si} {ss s[ss] sn si}]}", "type", "record", "name", "r508",
      "fields", "name", "contains_null", "type", "boolean", "field-id", 509, "name", "contains_nan", "type", "null",
      "boolean", "default", "field-id", 518, "name", "lower_bound", "type", "null", "bytes", "default",
      "field-id", 510, "name", "upper_bound", "type", "null", "bytes", "default", "field-id", 511);
  json_t *fields = json_array();
  static const struct {
    const char *name, *type;
    int id;
  } req[] = {{"manifest_path", "string", 500},       {"manifest_length", "long", 501},
             {"partition_spec_id", "int", 502},      {"content", "int", 517},
             {"sequence_number", "long", 515},       {"min_sequence_number", "long", 516},
             {"added_snapshot_id", "long", 503},     {"added_files_count", "int", 504},
             {"existing_files_count", "int", 505},   {"deleted_files_count", "int", 506},
             {"added_rows_count", "long", 512},      {"existing_rows_count", "long", 513},
             {"deleted_rows_count", "long", 514}};
  for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
    json_array_append_new(fields, json_pack("{ss ss si}", "name", req[i].name, "type", req[i].type, "field-id", req[i].id));
  json_array_append_new(fields, opt_field("partitions", json_pack("{ss so si}", "type", "array", "items", psum,
                                                                  "element-id", 508), 507));
  json_array_append_new(fields, opt_field("key_metadata", json_string("bytes"), 519));
  return json_pack("{ss ss so}", "type", "record", "name", "manifest_file", "fields", fields);
}

/* ------------------------------------------------------------------ partition summaries */

/* How partition values of a result type are held in JSON, compared and bounded. */
typedef enum { PV_NONE, PV_INT, PV_BOOL, PV_FLOAT, PV_STRING, PV_HEX } pv_kind;

static pv_kind pv_kind_of(const char *type) {
  if (!strcmp(type, "int") || !strcmp(type, "date") || !strcmp(type, "long") || !strcmp(type, "time") ||
      !strcmp(type, "timestamp") || !strcmp(type, "timestamptz"))
    return PV_INT;
  if (!strcmp(type, "boolean")) return PV_BOOL;
  if (!strcmp(type, "float") || !strcmp(type, "double")) return PV_FLOAT;
  if (!strcmp(type, "string")) return PV_STRING;
  if (!strcmp(type, "binary") || !strncmp(type, "fixed", 5)) return PV_HEX; /* bytes as lower-case hex */
  return PV_NONE; /* decimal, uuid: compared otherwise than their bytes; summarized without bounds */
}

static bool pv_fits(pv_kind k, const json_t *v) {
  switch (k) {
  case PV_INT: return json_is_integer(v);
  case PV_BOOL: return json_is_boolean(v);
  case PV_FLOAT: return json_is_number(v) || json_is_string(v);
  case PV_STRING:
  case PV_HEX: return json_is_string(v);
  default: return false;
  }
}

/* Orders two values of kind k (non-null, non-NaN). Floats follow IEEE totalOrder: -0.0 < +0.0. Strings
 * compare as UTF-8 bytes (= code points) and hex as the bytes it spells. */
static int pv_cmp(pv_kind k, const json_t *a, const json_t *b) {
  if (k == PV_INT) {
    json_int_t x = json_integer_value(a), y = json_integer_value(b);
    return x < y ? -1 : x > y;
  }
  if (k == PV_BOOL) return (int)json_is_true(a) - (int)json_is_true(b);
  if (k == PV_FLOAT) {
    double x = lake_json_double(a), y = lake_json_double(b);
    if (x != y) return x < y ? -1 : 1;
    return (int)(signbit(y) != 0) - (int)(signbit(x) != 0);
  }
  size_t la = json_string_length(a), lb = json_string_length(b);
  int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
  return c ? c : la < lb ? -1 : la > lb;
}

/* Single-value serialization of v (kind k, Iceberg type type) as hex. */
static char *pv_bound_hex(pv_kind k, const char *type, const json_t *v) {
  unsigned char buf[8];
  if (k == PV_INT) {
    uint64_t x = (uint64_t)json_integer_value(v);
    int n = !strcmp(type, "int") || !strcmp(type, "date") ? 4 : 8;
    for (int i = 0; i < n; i++) buf[i] = (unsigned char)(x >> (8 * i));
    return lake_hex(buf, (size_t)n);
  }
  if (k == PV_BOOL) {
    buf[0] = json_is_true(v) ? 1 : 0;
    return lake_hex(buf, 1);
  }
  if (k == PV_FLOAT) return lake_float_hex(type, lake_json_double(v));
  if (k == PV_STRING) return lake_hex((const unsigned char *)json_string_value(v), json_string_length(v));
  char *h = floe_strdup(json_string_value(v));
  for (char *p = h; p && *p; p++)
    if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');
  return h;
}

/* The manifest list's partition field summaries (field 507) for a manifest of entries under spec: per
 * partition field, whether a null or a NaN value occurs and the bounds of the other values, in the
 * single-value serialization of the field's result type (day -> date: 4-byte days). Deleted entries
 * count too, as Java summarizes them. Unpartitioned: an empty list. */
static json_t *partition_summaries(const json_t *meta, const json_t *spec, const json_t *entries) {
  json_t *out = json_array();
  size_t i, j;
  json_t *pf, *e;
  json_array_foreach(json_object_get(spec, "fields"), i, pf) {
    const char *name = json_string_value(json_object_get(pf, "name"));
    const char *type = partition_type(meta, pf);
    pv_kind k = pv_kind_of(type);
    bool has_null = false, has_nan = false, bounded = k != PV_NONE;
    const json_t *lo = NULL, *hi = NULL;
    json_array_foreach(entries, j, e) {
      json_t *v = json_object_get(json_object_get(json_object_get(e, "data_file"), "partition"), name ? name : "");
      if (!v || json_is_null(v)) {
        has_null = true;
        continue;
      }
      if (k == PV_FLOAT && pv_fits(k, v) && isnan(lake_json_double(v))) {
        has_nan = true;
        continue;
      }
      if (!bounded) continue;
      if (!pv_fits(k, v)) { /* not what the type says (a table of another writer): no bounds, never wrong ones */
        bounded = false;
        continue;
      }
      if (!lo || pv_cmp(k, v, lo) < 0) lo = v;
      if (!hi || pv_cmp(k, v, hi) > 0) hi = v;
    }
    char *l = bounded && lo ? pv_bound_hex(k, type, lo) : NULL;
    char *h = bounded && hi ? pv_bound_hex(k, type, hi) : NULL;
    json_array_append_new(out, json_pack("{sb sb so so}", "contains_null", has_null, "contains_nan", has_nan,
                                         "lower_bound", l ? json_string(l) : json_null(), "upper_bound",
                                         h ? json_string(h) : json_null()));
    floe_free(l);
    floe_free(h);
  }
  return out;
}

/* Writes one manifest of entries (manifest_entry records) and returns its manifest_file record, with
 * the partition summaries of those entries. */
static int write_manifest(floe_lake *l, lake_table *t, const json_t *meta, int spec_id, json_t *entries,
                          int64_t snap_id, int64_t seq, json_t **mf_out, floe_err *err) {
  json_t *spec = lake_spec(meta, spec_id);
  json_t *schema = lake_current_schema(meta);
  json_t *avro_schema = manifest_entry_schema(meta, spec);
  char uuid[37], sid[32], spid[16], *path = NULL;
  floe_uuid4(uuid);
  const char *loc = lake_local_path(json_string_value(json_object_get(meta, "location")));
  if (asprintf(&path, "%s/metadata/%s-m0.avro", loc, uuid) < 0) path = NULL;
  char *schema_text = json_dumps(schema, JSON_COMPACT);
  char *spec_text = json_dumps(json_object_get(spec, "fields"), JSON_COMPACT);
  snprintf(sid, sizeof sid, "%lld", (long long)json_integer_value(json_object_get(schema, "schema-id")));
  snprintf(spid, sizeof spid, "%d", spec_id);
  const char *kv[] = {"schema", schema_text, "schema-id", sid, "partition-spec", spec_text, "partition-spec-id", spid,
                      "format-version", "2", "content", "data", NULL};
  int64_t size = 0;
  lake_attempt_track(l, path);
  int rc = lake_avro_write(path, avro_schema, kv, entries, &size, err);
  if (!rc) {
    int64_t counts[3] = {0}, rows[3] = {0}, min_seq = seq;
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
      int st = (int)json_integer_value(json_object_get(e, "status"));
      if (st < 0 || st > 2) st = 0;
      int slot = st == 1 ? 0 : st == 0 ? 1 : 2;
      counts[slot]++;
      rows[slot] += json_integer_value(json_object_get(json_object_get(e, "data_file"), "record_count"));
      json_t *es = json_object_get(e, "sequence_number");
      if (st != 1 && json_is_integer(es) && json_integer_value(es) < min_seq) min_seq = json_integer_value(es);
    }
    char *stored = lake_styled_path(meta, path);
    *mf_out = json_pack("{ss sI si si sI sI sI si si si sI sI sI so sn}", "manifest_path", stored ? stored : path, "manifest_length",
                        (json_int_t)size, "partition_spec_id", spec_id, "content", 0, "sequence_number",
                        (json_int_t)seq, "min_sequence_number", (json_int_t)min_seq, "added_snapshot_id",
                        (json_int_t)snap_id, "added_files_count", (int)counts[0], "existing_files_count",
                        (int)counts[1], "deleted_files_count", (int)counts[2], "added_rows_count", (json_int_t)rows[0],
                        "existing_rows_count", (json_int_t)rows[1], "deleted_rows_count", (json_int_t)rows[2],
                        "partitions", partition_summaries(meta, spec, entries), "key_metadata");
    floe_free(stored);
  }
  (void)t;
  free(path);
  free(schema_text);
  free(spec_text);
  json_decref(avro_schema);
  return rc;
}

static void summary_add(json_t *sum, const char *k, int64_t v) {
  char b[32];
  snprintf(b, sizeof b, "%lld", (long long)v);
  json_object_set_new(sum, k, json_string(b));
}

/* A copy of meta sharing every value except the containers a new snapshot changes (copied one level),
 * so a commit does not pay for copying the whole snapshot history. */
static json_t *meta_for_update(const json_t *base) {
  json_t *m = json_copy((json_t *)base);
  static const char *const changed[] = {"snapshots", "snapshot-log", "metadata-log", "refs", "schemas"};
  for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++) {
    json_t *v = json_object_get(m, changed[i]);
    if (v) json_object_set_new(m, changed[i], json_copy(v));
  }
  return m;
}

#define MANIFEST_MERGE_MIN_COUNT 100
#define MANIFEST_MERGE_MAX_BYTES (8 << 20)

/* One snapshot being built by lake_apply_change: the phases below fill it in turn. */
typedef struct snap_build {
  floe_lake *l;
  lake_table *base;
  lake_change *ch;
  json_t *meta;   /* the new metadata (owned) */
  json_t *new_ml; /* the manifest list being built (owned) */
  int64_t snap_id, parent, seq;
} snap_build;

/* Phase 1: the metadata directory, and the change's new schema made current. */
static int phase_prepare(snap_build *sb, floe_err *err) {
  char *mdir = NULL;
  if (asprintf(&mdir, "%s/metadata", lake_local_path(json_string_value(json_object_get(sb->meta, "location")))) < 0)
    mdir = NULL;
  int rc = mdir ? floe_mkdirs(mdir, 0700, err) : floe_err_set(err, FLOE_ENOMEM, "out of memory");
  free(mdir);
  if (rc || !sb->ch->new_schema) return rc;
  json_t *meta = sb->meta;
  json_array_append(json_object_get(meta, "schemas"), sb->ch->new_schema);
  json_object_set(meta, "current-schema-id", json_object_get(sb->ch->new_schema, "schema-id"));
  json_int_t last = json_integer_value(json_object_get(meta, "last-column-id"));
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(sb->ch->new_schema, "fields"), i, f) {
    if (json_integer_value(json_object_get(f, "id")) > last) last = json_integer_value(json_object_get(f, "id"));
  }
  json_object_set_new(meta, "last-column-id", json_integer(last));
  return 0;
}

/* Rewrites one parent manifest without the removed files (their entries become DELETED); an untouched
 * manifest is carried as it is. */
static int rewrite_manifest(snap_build *sb, json_t *mf, floe_err *err) {
  lake_change *ch = sb->ch;
  json_t *entries;
  int rc = lake_read_manifest(sb->l, mf, &entries, err);
  if (rc) return rc;
  bool touched = false;
  json_t *kept = json_array();
  size_t j;
  json_t *e;
  json_array_foreach(entries, j, e) {
    int st = (int)json_integer_value(json_object_get(e, "status"));
    if (st == 2) continue; /* deleted by an earlier snapshot: drop */
    json_t *df = json_object_get(e, "data_file");
    const char *p = json_string_value(json_object_get(df, "file_path"));
    if (ch->remove_all || (p && json_object_get(ch->removed, p))) {
      touched = true;
      json_object_set_new(e, "status", json_integer(2));
      json_object_set_new(e, "snapshot_id", json_integer(sb->snap_id));
      ch->deleted_files++;
      ch->deleted_rows += json_integer_value(json_object_get(df, "record_count"));
    } else {
      json_object_set_new(e, "status", json_integer(0));
    }
    json_array_append(kept, e);
  }
  if (touched) {
    json_t *nmf = NULL;
    rc = write_manifest(sb->l, sb->base, sb->meta, (int)json_integer_value(json_object_get(mf, "partition_spec_id")),
                        kept, sb->snap_id, sb->seq, &nmf, err);
    if (!rc) json_array_append_new(sb->new_ml, nmf);
  } else {
    json_array_append(sb->new_ml, mf);
  }
  json_decref(kept);
  json_decref(entries);
  return rc;
}

/* Phase 2: the parent's manifests — carried over untouched (fast append), or rewritten copy-on-write
 * when the change removes files. */
static int phase_parent_manifests(snap_build *sb, floe_err *err) {
  if (!sb->parent) return 0;
  json_t *ps = lake_snapshot(sb->meta, sb->parent);
  if (!ps) return floe_err_set(err, FLOE_EFORMAT, "current snapshot %lld is missing from the metadata", (long long)sb->parent);
  json_t *old_ml;
  int rc = lake_read_manifest_list(sb->l, ps, &old_ml, err);
  if (rc) return rc;
  bool may_touch = sb->ch->remove_all || (sb->ch->removed && json_object_size(sb->ch->removed));
  size_t i;
  json_t *mf;
  json_array_foreach(old_ml, i, mf) {
    if (!may_touch) json_array_append(sb->new_ml, mf); /* fast append: carry the manifest as it is */
    else if ((rc = rewrite_manifest(sb, mf, err))) break;
  }
  json_decref(old_ml);
  return rc;
}

/* Phase 3: manifest merging (as Java's MergeAppend, commit.manifest.min-count-to-merge = 100): once a
 * snapshot would list too many manifests, the small ones of the default spec are merged into one, so scan
 * planning and the manifest list stay small however many appends the table has seen. */
static int phase_merge(snap_build *sb, floe_err *err) {
  if (json_array_size(sb->new_ml) + 1 <= MANIFEST_MERGE_MIN_COUNT) return 0;
  int spec_id = (int)json_integer_value(json_object_get(sb->meta, "default-spec-id"));
  json_t *merged = json_array(), *keep = json_array();
  size_t i, j, nmerged = 0;
  json_t *mf, *e;
  int rc = 0;
  json_array_foreach(sb->new_ml, i, mf) {
    if (json_integer_value(json_object_get(mf, "partition_spec_id")) != spec_id ||
        json_integer_value(json_object_get(mf, "manifest_length")) >= MANIFEST_MERGE_MAX_BYTES) {
      json_array_append(keep, mf);
      continue;
    }
    json_t *entries;
    if ((rc = lake_read_manifest(sb->l, mf, &entries, err))) break;
    json_array_foreach(entries, j, e) {
      if (json_integer_value(json_object_get(e, "status")) == 2) continue;
      json_object_set_new(e, "status", json_integer(0));
      json_array_append(merged, e);
    }
    json_decref(entries);
    nmerged++;
  }
  if (!rc && nmerged > 1) {
    json_t *nmf = NULL;
    rc = write_manifest(sb->l, sb->base, sb->meta, spec_id, merged, sb->snap_id, sb->seq, &nmf, err);
    if (!rc) {
      json_array_append_new(keep, nmf);
      json_array_clear(sb->new_ml);
      json_array_extend(sb->new_ml, keep);
    }
  }
  json_decref(merged);
  json_decref(keep);
  return rc;
}

/* Phase 4: the manifest of the added data files, listed first (newest first, as Java writes them). */
static int phase_added(snap_build *sb, floe_err *err) {
  lake_change *ch = sb->ch;
  if (!json_array_size(ch->added)) return 0;
  json_t *entries = json_array();
  size_t i;
  json_t *df;
  json_array_foreach(ch->added, i, df) {
    /* the path in the style of the table's location (a copy: the records are reused by a retried attempt) */
    const char *fp = json_string_value(json_object_get(df, "file_path"));
    char *stored = fp ? lake_styled_path(sb->meta, lake_local_path(fp)) : NULL;
    json_t *d = stored && strcmp(stored, fp) ? json_copy(df) : json_incref(df);
    if (d != df) json_object_set_new(d, "file_path", json_string(stored));
    floe_free(stored);
    json_array_append_new(entries, json_pack("{si sI sn sn so}", "status", 1, "snapshot_id", (json_int_t)sb->snap_id,
                                             "sequence_number", "file_sequence_number", "data_file", d));
    ch->added_rows += json_integer_value(json_object_get(df, "record_count"));
  }
  json_t *nmf = NULL;
  int rc = write_manifest(sb->l, sb->base, sb->meta, (int)json_integer_value(json_object_get(sb->meta, "default-spec-id")),
                          entries, sb->snap_id, sb->seq, &nmf, err);
  json_decref(entries);
  if (!rc) json_array_insert_new(sb->new_ml, 0, nmf);
  return rc;
}

/* The snapshot's summary: operation, added/deleted/total counts and sizes. */
static json_t *snapshot_summary(snap_build *sb) {
  lake_change *ch = sb->ch;
  int64_t total_rows = 0, total_files = 0, added_size = 0;
  size_t i;
  json_t *mf, *df;
  json_array_foreach(sb->new_ml, i, mf) {
    total_rows += json_integer_value(json_object_get(mf, "added_rows_count")) +
                  json_integer_value(json_object_get(mf, "existing_rows_count"));
    total_files += json_integer_value(json_object_get(mf, "added_files_count")) +
                   json_integer_value(json_object_get(mf, "existing_files_count"));
  }
  json_array_foreach(ch->added, i, df) added_size += json_integer_value(json_object_get(df, "file_size_in_bytes"));
  json_t *ps = sb->parent ? lake_snapshot(sb->meta, sb->parent) : NULL;
  const char *pts = ps ? json_string_value(json_object_get(json_object_get(ps, "summary"), "total-files-size")) : NULL;
  int64_t total_size = (pts ? strtoll(pts, NULL, 10) : 0) + added_size;
  ch->total_rows = total_rows;
  json_t *sum = json_pack("{ss}", "operation", ch->operation);
  summary_add(sum, "added-data-files", (int64_t)json_array_size(ch->added));
  summary_add(sum, "added-records", ch->added_rows);
  summary_add(sum, "added-files-size", added_size);
  if (ch->deleted_files) {
    summary_add(sum, "deleted-data-files", ch->deleted_files);
    summary_add(sum, "deleted-records", ch->deleted_rows);
  }
  summary_add(sum, "total-records", total_rows);
  summary_add(sum, "total-data-files", total_files);
  if (!ch->deleted_files) summary_add(sum, "total-files-size", total_size);
  summary_add(sum, "total-delete-files", 0);
  summary_add(sum, "total-position-deletes", 0);
  summary_add(sum, "total-equality-deletes", 0);
  return sum;
}

/* Phase 5: the manifest list, then the snapshot made current on main (snapshot log, refs). */
static int phase_publish(snap_build *sb, floe_err *err) {
  json_t *meta = sb->meta;
  char uuid[37], *path = NULL, sid[32], psid[32], sq[32];
  floe_uuid4(uuid);
  const char *loc = lake_local_path(json_string_value(json_object_get(meta, "location")));
  if (asprintf(&path, "%s/metadata/snap-%lld-1-%s.avro", loc, (long long)sb->snap_id, uuid) < 0)
    return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  snprintf(sid, sizeof sid, "%lld", (long long)sb->snap_id);
  if (sb->parent) snprintf(psid, sizeof psid, "%lld", (long long)sb->parent);
  else snprintf(psid, sizeof psid, "null");
  snprintf(sq, sizeof sq, "%lld", (long long)sb->seq);
  const char *kv[] = {"snapshot-id", sid, "parent-snapshot-id", psid, "sequence-number", sq, "format-version", "2",
                      NULL};
  json_t *schema = manifest_file_schema();
  lake_attempt_track(sb->l, path);
  int rc = lake_avro_write_memo(path, schema, kv, sb->new_ml, lake_global_memo(), NULL, err);
  if (!rc) lake_ml_cache_put(path, sb->new_ml);
  json_decref(schema);
  if (rc) {
    free(path);
    return rc;
  }
  json_int_t now = (json_int_t)(floe_now_us() / 1000);
  char *stored = lake_styled_path(meta, path);
  json_t *snap = json_pack("{sI sI sI ss so sO}", "snapshot-id", (json_int_t)sb->snap_id, "sequence-number",
                           (json_int_t)sb->seq, "timestamp-ms", now, "manifest-list", stored ? stored : path, "summary",
                           snapshot_summary(sb), "schema-id", json_object_get(meta, "current-schema-id"));
  floe_free(stored);
  free(path);
  if (sb->parent) json_object_set_new(snap, "parent-snapshot-id", json_integer(sb->parent));
  json_array_append_new(json_object_get(meta, "snapshots"), snap);
  json_object_set_new(meta, "current-snapshot-id", json_integer(sb->snap_id));
  json_object_set_new(meta, "last-sequence-number", json_integer(sb->seq));
  json_object_set_new(meta, "last-updated-ms", json_integer(now));
  json_t *refs = json_object_get(meta, "refs");
  if (!refs) json_object_set_new(meta, "refs", refs = json_object());
  json_object_set_new(refs, "main", json_pack("{sI ss}", "snapshot-id", (json_int_t)sb->snap_id, "type", "branch"));
  json_t *slog = json_object_get(meta, "snapshot-log");
  if (!slog) json_object_set_new(meta, "snapshot-log", slog = json_array());
  json_array_append_new(slog, json_pack("{sI sI}", "timestamp-ms", now, "snapshot-id", (json_int_t)sb->snap_id));
  sb->ch->snapshot_id = sb->snap_id;
  return 0;
}

int lake_apply_change(floe_lake *l, lake_table *base, lake_change *ch, json_t **out, floe_err *err) {
  snap_build sb = {.l = l, .base = base, .ch = ch, .meta = meta_for_update(base->meta), .new_ml = json_array(),
                   .snap_id = new_snapshot_id()};
  sb.parent = lake_current_snapshot_id(sb.meta);
  sb.seq = json_integer_value(json_object_get(sb.meta, "last-sequence-number")) + 1;
  ch->deleted_rows = ch->deleted_files = ch->added_rows = 0;
  int rc = phase_prepare(&sb, err);
  if (!rc) rc = phase_parent_manifests(&sb, err);
  if (!rc) rc = phase_merge(&sb, err);
  if (!rc) rc = phase_added(&sb, err);
  if (!rc) rc = phase_publish(&sb, err);
  json_decref(sb.new_ml);
  if (rc) {
    json_decref(sb.meta);
    return rc;
  }
  *out = sb.meta;
  return 0;
}

/* ------------------------------------------------------------------ commit */

static int metadata_version(const char *loc) {
  const char *b = strrchr(loc, '/');
  b = b ? b + 1 : loc;
  if (b[0] == 'v') b++;
  return atoi(b);
}

#define METADATA_LOG_MAX 100

/* The first of files that is gone, or NULL. */
static const char *first_missing(const floe_vec *files) {
  struct stat st;
  for (size_t i = 0; i < files->len; i++)
    if (stat(files->items[i], &st) != 0) return files->items[i];
  return NULL;
}

/* metadata-log: the previous metadata file (as the table spells its locations), bounded as Java bounds it. */
static void log_previous(const lake_table *t, json_t *nm) {
  json_t *mlog = json_object_get(nm, "metadata-log");
  /* a fresh array: the mutation may share this one with the cached base metadata */
  mlog = json_is_array(mlog) ? json_copy(mlog) : json_array();
  json_object_set_new(nm, "metadata-log", mlog);
  char *prev = lake_styled_path(t->meta, t->loc);
  json_array_append_new(mlog, json_pack("{sI ss}", "timestamp-ms",
                                        json_integer_value(json_object_get(t->meta, "last-updated-ms")),
                                        "metadata-file", prev ? prev : t->loc));
  floe_free(prev);
  while (json_array_size(mlog) > METADATA_LOG_MAX) json_array_remove(mlog, 0);
}

/* A metadata file of the path-based (Hadoop) convention: v<N>.metadata.json, found through version-hint.text. */
static bool hadoop_named(const char *loc) {
  const char *b = loc ? strrchr(loc, '/') : NULL;
  b = b ? b + 1 : loc;
  if (!b || b[0] != 'v' || !isdigit((unsigned char)b[1])) return false;
  while (isdigit((unsigned char)*++b)) {
  }
  return !strcmp(b, ".metadata.json");
}

typedef struct meta_file {
  char *path;   /* local path (malloc) */
  char *stored; /* as the catalog and the metadata-log name it: in the style of the table's location (floe_malloc) */
  char hint[64];/* what version-hint.text says: a name readers turn into this file */
} meta_file;

/* Writes path only if no file has that name (link of a private temp file): two writers of v<N+1> cannot
 * overwrite each other's; the loser gets FLOE_ECONFLICT. */
static int write_new_file(floe_lake *l, const char *path, const char *text, floe_err *err) {
  char uuid[37], *tmp = NULL;
  floe_uuid4(uuid);
  if (asprintf(&tmp, "%s.tmp.%s", path, uuid) < 0) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  int rc = floe_file_write_atomic(tmp, text, strlen(text), 0600, err);
  if (!rc && link(tmp, path) != 0)
    rc = errno == EEXIST ? floe_err_set(err, FLOE_ECONFLICT, "%s was written concurrently", path)
                         : floe_err_set(err, FLOE_EIO, "%s: %s", path, strerror(errno));
  else if (!rc) lake_attempt_track(l, path);
  unlink(tmp);
  free(tmp);
  return rc;
}

/* The new metadata file, named as the table names its files: v<N+1>.metadata.json (hint "N+1") for a table of
 * the path-based convention, else <NNNNN>-<uuid>.metadata.json (hint "<NNNNN>-<uuid>": readers that try
 * "<hint>.metadata.json", like DuckDB's, find it; a number would name no file). */
static int write_metadata_file(floe_lake *l, const lake_table *t, json_t *nm, meta_file *mf, floe_err *err) {
  int ver = t->loc ? metadata_version(t->loc) + 1 : 0;
  bool hadoop = t->loc && hadoop_named(t->loc);
  const char *loc = lake_local_path(json_string_value(json_object_get(nm, "location")));
  char uuid[37];
  floe_uuid4(uuid);
  if (hadoop) snprintf(mf->hint, sizeof mf->hint, "%d", ver);
  else snprintf(mf->hint, sizeof mf->hint, "%05d-%s", ver, uuid);
  if (asprintf(&mf->path, "%s/metadata/%s%s.metadata.json", loc, hadoop ? "v" : "", mf->hint) < 0) mf->path = NULL;
  if (!mf->path || !(mf->stored = lake_styled_path(nm, mf->path))) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  char *dir = floe_strndup(mf->path, (size_t)(strrchr(mf->path, '/') - mf->path));
  char *text = lake_json_text(nm, lake_global_memo());
  int rc = dir && text ? floe_mkdirs(dir, 0700, err) : floe_err_set(err, FLOE_ENOMEM, "out of memory");
  if (!rc && hadoop) {
    rc = write_new_file(l, mf->path, text, err);
  } else if (!rc) {
    lake_attempt_track(l, mf->path);
    rc = floe_file_write_atomic(mf->path, text, strlen(text), 0600, err);
  }
  floe_free(text);
  floe_free(dir);
  return rc;
}

/* version-hint.text beside the metadata file, for path-based readers (best effort: the catalog is the source
 * of truth). */
static void write_hint(const char *metadata_path, const char *hint) {
  char *p = NULL;
  const char *slash = strrchr(metadata_path, '/');
  if (!slash || asprintf(&p, "%.*s/version-hint.text", (int)(slash - metadata_path), metadata_path) < 0) return;
  floe_err ignore = {0};
  if (floe_file_write_atomic(p, hint, strlen(hint), 0600, &ignore)) { /* ignored */
  }
  free(p);
}

/* Swaps the catalog pointer to the new metadata file. Under the catalog's write lock, and only when every
 * file the new metadata brings is still there: `lake orphans` deletes under the same lock, so a file it
 * removed (a write slower than --min-age) is never published; the commit fails instead, and the table stays
 * as it was. */
static int publish(floe_lake *l, lake_table *t, const char *path, floe_err *err) {
  int rc = lake_hook(l, "commit-before-swap");
  if (rc) return floe_err_set(err, FLOE_EIO, "table %s.%s: commit stopped by a test hook", t->ns, t->name);
  if ((rc = lake_catalog_lock(l, err))) return rc;
  const char *gone = first_missing(&l->data_files);
  if (!gone) gone = first_missing(&l->attempt_files);
  if (gone)
    rc = floe_err_set(err, FLOE_EIO,
                      "table %s.%s: %s, written by this commit, was deleted before the commit was published (by "
                      "`floe lake orphans` with a --min-age shorter than this write took?); nothing was committed",
                      t->ns, t->name, gone);
  else
    rc = lake_catalog_swap(l, t->ns, t->name, t->cat_loc, path, err);
  return lake_catalog_unlock(l, rc, err);
}

int lake_commit(floe_lake *l, const char *table, bool allow_create, lake_mutate_fn mutate, void *ctx, int *attempts,
                floe_err *err) {
  int rc = 0;
  for (int attempt = 1; attempt <= 200; attempt++) {
    if (attempts) *attempts = attempt;
    lake_table t;
    if ((rc = lake_table_load(l, table, allow_create, &t, err))) return rc;
    json_t *nm = NULL;
    lake_attempt_reset(l, false);
    rc = mutate(l, &t, &nm, ctx, err);
    if (rc || !nm) {
      lake_attempt_reset(l, true);
      lake_table_free(&t);
      return rc;
    }
    if (t.loc) log_previous(&t, nm);
    json_int_t now = (json_int_t)(floe_now_us() / 1000);
    if (json_integer_value(json_object_get(nm, "last-updated-ms")) < now)
      json_object_set_new(nm, "last-updated-ms", json_integer(now));
    meta_file mf = {0};
    rc = write_metadata_file(l, &t, nm, &mf, err);
    if (!rc) rc = publish(l, &t, mf.stored, err);
    if (!rc) {
      lake_cache_put(l, mf.path, nm);
      write_hint(mf.path, mf.hint);
    }
    free(mf.path);
    floe_free(mf.stored);
    json_decref(nm);
    lake_table_free(&t);
    if (rc == FLOE_ECONFLICT) {
      lake_attempt_reset(l, true);
      floe_err_clear(err);
      /* Back off a little, with jitter, so racing writers spread out. */
      int ms = 1 + (int)(floe_random_u64() % (unsigned)(attempt < 10 ? 5 * attempt : 50));
      floe_sleep_ms(ms);
      continue;
    }
    lake_attempt_reset(l, rc != 0);
    return rc;
  }
  return floe_err_set(err, FLOE_ECONFLICT, "table %s: gave up after 200 conflicting concurrent commits", table);
}

int lake_scan_sql(floe_buf *b, const json_t *schema, const json_t *entries, bool by_name) {
  char tb[64];
  size_t i;
  json_t *f, *e;
  if (!json_array_size(entries)) {
    floe_buf_puts(b, "SELECT ");
    json_array_foreach(json_object_get(schema, "fields"), i, f) {
      if (i) floe_buf_puts(b, ", ");
      floe_buf_printf(b, "CAST(NULL AS %s) AS ",
                      lake_duck_type(json_string_value(json_object_get(f, "type")), tb, sizeof tb));
      floe_buf_sql_ident(b, json_string_value(json_object_get(f, "name")));
    }
    return floe_buf_puts(b, " WHERE false");
  }
  floe_buf_puts(b, "SELECT * FROM read_parquet([");
  json_array_foreach(entries, i, e) {
    if (i) floe_buf_putc(b, ',');
    floe_buf_sql_str(b, lake_local_path(json_string_value(json_object_get(json_object_get(e, "data_file"), "file_path"))));
  }
  if (by_name) {
    /* Every file was written with this very schema: columns match by name, no mapping needed. Partitioned
     * tables keep files under key=value directories: never let DuckDB turn those into columns. */
    floe_buf_puts(b, "], hive_partitioning=false)");
    return 0;
  }
  floe_buf_puts(b, "], schema=MAP{");
  json_array_foreach(json_object_get(schema, "fields"), i, f) {
    if (i) floe_buf_puts(b, ", ");
    floe_buf_printf(b, "%lld: {name: ", (long long)json_integer_value(json_object_get(f, "id")));
    floe_buf_sql_str(b, json_string_value(json_object_get(f, "name")));
    floe_buf_printf(b, ", type: '%s', default_value: NULL}",
                    lake_duck_type(json_string_value(json_object_get(f, "type")), tb, sizeof tb));
  }
  return floe_buf_puts(b, "}, hive_partitioning=false)");
}
