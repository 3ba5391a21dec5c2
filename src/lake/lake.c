/* lake.c — opening the lake, listing tables, reading a table's metadata and files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lake_int.h"

int floe_lake_open(const char *warehouse, const char *db_path, const char *catalog, floe_lake **out, floe_err *err) {
  *out = NULL;
  floe_lake *l = floe_calloc(1, sizeof *l);
  if (!l) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  l->warehouse = floe_strdup(warehouse);
  l->db_path = floe_strdup(db_path);
  l->catalog = floe_strdup(catalog && *catalog ? catalog : "floe");
  int rc = floe_mkdirs(warehouse, 0700, err);
  if (!rc) {
    char *dir = floe_strdup(db_path), *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
      *slash = 0;
      rc = floe_mkdirs(dir, 0700, err);
    }
    floe_free(dir);
  }
  if (!rc) rc = lake_catalog_init(l, err);
  lake_global_ref(1);
  if (rc) {
    floe_lake_close(l);
    return rc;
  }
  *out = l;
  return 0;
}

int floe_lake_open_project(const floe_project *p, floe_lake **out, floe_err *err) {
  return floe_lake_open(p->warehouse, p->db_path, p->name, out, err);
}

void floe_lake_close(floe_lake *l) {
  if (!l) return;
  lake_attempt_reset(l, false);
  floe_vec_free(&l->attempt_files);
  lake_data_reset(l, false);
  floe_vec_free(&l->data_files);
  for (size_t i = 0; i < l->moves.len; i++) floe_free(l->moves.items[i]);
  floe_vec_free(&l->moves);
  floe_engine_close(l->eng);
  floe_free(l->cache_loc);
  json_decref(l->cache_meta);
  lake_global_ref(-1);
  floe_store_close(l->store);
  floe_free(l->warehouse);
  floe_free(l->db_path);
  floe_free(l->catalog);
  floe_free(l);
}

const char *floe_lake_warehouse(const floe_lake *l) { return l->warehouse; }

int floe_lake_tables(floe_lake *l, floe_vec *names, floe_err *err) {
  json_t *list;
  int rc = lake_catalog_list(l, &list, err);
  if (rc) return rc;
  size_t i;
  json_t *row;
  json_array_foreach(list, i, row) {
    char *s = NULL;
    if (asprintf(&s, "%s.%s", json_string_value(json_array_get(row, 0)), json_string_value(json_array_get(row, 1))) <
        0)
      break;
    char *c = floe_strdup(s);
    free(s);
    if (!c || floe_vec_push(names, c)) {
      floe_free(c);
      rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      break;
    }
  }
  json_decref(list);
  return rc;
}

int floe_lake_metadata(floe_lake *l, const char *table, char **json_text, char **metadata_location, floe_err *err) {
  lake_table t;
  int rc = lake_table_load(l, table, false, &t, err);
  if (rc) return rc;
  if (json_text) {
    char *s = json_dumps(t.meta, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    *json_text = floe_strdup(s);
    free(s);
  }
  if (metadata_location) *metadata_location = floe_strdup(t.loc);
  lake_table_free(&t);
  return 0;
}

int floe_lake_files(floe_lake *l, const char *table, int64_t snapshot_id, char **json_text, floe_err *err) {
  lake_table t;
  int rc = lake_table_load(l, table, false, &t, err);
  if (rc) return rc;
  if (!snapshot_id) snapshot_id = lake_current_snapshot_id(t.meta);
  json_t *entries = NULL;
  rc = lake_snapshot_entries(l, t.meta, snapshot_id, &entries, err);
  if (!rc) {
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
      json_t *df = json_object_get(e, "data_file");
      /* O? : a field the writer left out (another engine's file) is null here, never a dropped entry */
      json_array_append_new(out, json_pack("{sO? sO? sO? sO? sO? sO? sO? sO? sO? sO? sO?}", "file_path",
                                           json_object_get(df, "file_path"), "record_count",
                                           json_object_get(df, "record_count"), "file_size_in_bytes",
                                           json_object_get(df, "file_size_in_bytes"), "partition",
                                           json_object_get(df, "partition"), "snapshot_id",
                                           json_object_get(e, "snapshot_id"), "sequence_number",
                                           json_object_get(e, "sequence_number"), "value_counts",
                                           json_object_get(df, "value_counts"), "null_value_counts",
                                           json_object_get(df, "null_value_counts"), "nan_value_counts",
                                           json_object_get(df, "nan_value_counts"), "lower_bounds",
                                           json_object_get(df, "lower_bounds"), "upper_bounds",
                                           json_object_get(df, "upper_bounds")));
    }
    char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    *json_text = floe_strdup(s);
    free(s);
    json_decref(out);
  }
  json_decref(entries);
  lake_table_free(&t);
  return rc;
}
