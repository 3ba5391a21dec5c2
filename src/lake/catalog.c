/* catalog.c — the lake's Iceberg SQL catalog, kept by the instance store (floe_store_catalog_*: the JDBC
 * catalog's schema, as pyiceberg's SqlCatalog and Java's JdbcCatalog use it, in whatever backend the store
 * has). Commits are a compare-and-swap of metadata_location; the catalog lock is a store write transaction. */
#include <string.h>
#include "lake_int.h"

int lake_catalog_init(floe_lake *l, floe_err *err) {
  int rc = floe_store_open(l->db_path, &l->store, err);
  if (rc) floe_err_prefix(err, "lake catalog: ");
  return rc;
}

int lake_catalog_get(floe_lake *l, const char *ns, const char *name, char **loc, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 512);
  const char *v = NULL;
  int rc = floe_store_catalog_get(l->store, &a, l->catalog, ns, name, &v, err);
  *loc = rc ? NULL : floe_strdup(v);
  if (!rc && !*loc) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_arena_free(&a);
  return rc;
}

int lake_catalog_swap(floe_lake *l, const char *ns, const char *name, const char *old, const char *new_loc,
                      floe_err *err) {
  return floe_store_catalog_swap(l->store, l->catalog, ns, name, old, new_loc, err);
}

int lake_catalog_drop(floe_lake *l, const char *ns, const char *name, floe_err *err) {
  return floe_store_catalog_drop(l->store, l->catalog, ns, name, err);
}

int lake_catalog_list(floe_lake *l, json_t **out, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 4096);
  floe_catalog_entry *rows = NULL;
  size_t n = 0;
  int rc = floe_store_catalog_list(l->store, &a, l->catalog, &rows, &n, err);
  json_t *arr = rc ? NULL : json_array();
  for (size_t i = 0; arr && i < n; i++)
    if (json_array_append_new(arr, json_pack("[sss?]", rows[i].ns, rows[i].name, rows[i].metadata_location))) {
      json_decref(arr);
      arr = NULL;
    }
  if (!rc && !arr) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_arena_free(&a);
  *out = arr;
  return rc;
}

int lake_catalog_lock(floe_lake *l, floe_err *err) {
  int rc = floe_store_catalog_lock(l->store, err);
  if (rc) floe_err_prefix(err, "%s: cannot lock the catalog: ", l->db_path);
  return rc;
}

int lake_catalog_unlock(floe_lake *l, int rc, floe_err *err) { return floe_store_end(l->store, rc, err); }
