/* catalog.c — the Iceberg SQL catalog (the JDBC catalog's schema, as pyiceberg's SqlCatalog and Java's
 * JdbcCatalog use it) inside the instance SQLite database. Commits are a compare-and-swap of
 * metadata_location. */
#include <stdbool.h>
#include <string.h>
#include "lake_int.h"

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS iceberg_tables ("
    " catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,"
    " table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000),"
    " previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5),"
    " PRIMARY KEY (catalog_name, table_namespace, table_name));"
    "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
    " catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL,"
    " property_key VARCHAR(255), property_value VARCHAR(1000),"
    " PRIMARY KEY (catalog_name, namespace, property_key));";

static int dberr(floe_lake *l, floe_err *err, const char *what) {
  return floe_err_set(err, FLOE_EDB, "%s: %s: %s", l->db_path, what, sqlite3_errmsg(l->db));
}

int lake_catalog_init(floe_lake *l, floe_err *err) {
  /* 0600: SQLite gives its -wal and -shm files the database file's mode (docs/security.md) */
  floe_err ignore = {0};
  if (strcmp(l->db_path, ":memory:") && floe_file_create(l->db_path, 0600, &ignore)) { /* SQLite says why below */
  }
  int rc = 0;
  if (sqlite3_open_v2(l->db_path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      NULL) != SQLITE_OK)
    return dberr(l, err, "cannot open");
  sqlite3_busy_timeout(l->db, 10000);
  char *msg = NULL;
  /* Already set up (the common case): no write transaction, so read-only commands stay cheap. */
  sqlite3_stmt *st;
  bool ready = false;
  if (sqlite3_prepare_v2(l->db,
                         "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('iceberg_tables',"
                         "'iceberg_namespace_properties')",
                         -1, &st, NULL) == SQLITE_OK) {
    ready = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 2;
    sqlite3_finalize(st);
  }
  if (ready) return 0;
  if (sqlite3_exec(l->db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg) != SQLITE_OK) sqlite3_free(msg);
  msg = NULL;
  if (sqlite3_exec(l->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
    rc = floe_err_set(err, FLOE_EDB, "%s: cannot create the catalog tables: %s", l->db_path, msg);
    sqlite3_free(msg);
    return rc;
  }
  return 0;
}

int lake_catalog_get(floe_lake *l, const char *ns, const char *name, char **loc, floe_err *err) {
  *loc = NULL;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(l->db,
                         "SELECT metadata_location FROM iceberg_tables WHERE catalog_name=? AND table_namespace=? "
                         "AND table_name=? AND (iceberg_type IS NULL OR iceberg_type='TABLE')",
                         -1, &st, NULL) != SQLITE_OK)
    return dberr(l, err, "catalog lookup");
  sqlite3_bind_text(st, 1, l->catalog, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ns, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  int ret = 0;
  if (rc == SQLITE_ROW) {
    *loc = floe_strdup((const char *)sqlite3_column_text(st, 0));
  } else if (rc == SQLITE_DONE) {
    ret = floe_err_set(err, FLOE_ENOTFOUND, "no table %s.%s in the lake catalog", ns, name);
  } else {
    ret = dberr(l, err, "catalog lookup");
  }
  sqlite3_finalize(st);
  return ret;
}

int lake_catalog_swap(floe_lake *l, const char *ns, const char *name, const char *old, const char *new_loc,
                      floe_err *err) {
  sqlite3_stmt *st;
  int ret = 0;
  if (!old) {
    /* A namespace exists when it has a property row (as pyiceberg writes it). */
    if (sqlite3_prepare_v2(l->db,
                           "INSERT OR IGNORE INTO iceberg_namespace_properties VALUES (?, ?, 'exists', 'true')", -1,
                           &st, NULL) != SQLITE_OK)
      return dberr(l, err, "catalog namespace");
    sqlite3_bind_text(st, 1, l->catalog, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ns, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return dberr(l, err, "catalog namespace");
    if (sqlite3_prepare_v2(l->db,
                           "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location,"
                           " previous_metadata_location, iceberg_type) VALUES (?, ?, ?, ?, NULL, 'TABLE')",
                           -1, &st, NULL) != SQLITE_OK)
      return dberr(l, err, "catalog create");
    sqlite3_bind_text(st, 1, l->catalog, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, new_loc, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) ret = floe_err_set(err, FLOE_ECONFLICT, "table %s.%s was created concurrently", ns, name);
    else if (rc != SQLITE_DONE) ret = dberr(l, err, "catalog create");
    sqlite3_finalize(st);
    return ret;
  }
  if (sqlite3_prepare_v2(l->db,
                         "UPDATE iceberg_tables SET metadata_location=?, previous_metadata_location=? "
                         "WHERE catalog_name=? AND table_namespace=? AND table_name=? AND metadata_location=?",
                         -1, &st, NULL) != SQLITE_OK)
    return dberr(l, err, "catalog commit");
  sqlite3_bind_text(st, 1, new_loc, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, old, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, l->catalog, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, ns, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, old, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) ret = dberr(l, err, "catalog commit");
  else if (sqlite3_changes(l->db) != 1)
    ret = floe_err_set(err, FLOE_ECONFLICT, "table %s.%s was changed concurrently", ns, name);
  sqlite3_finalize(st);
  return ret;
}

int lake_catalog_list(floe_lake *l, json_t **out, floe_err *err) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(l->db,
                         "SELECT table_namespace, table_name, metadata_location FROM iceberg_tables WHERE "
                         "catalog_name=? AND (iceberg_type IS NULL OR iceberg_type='TABLE') ORDER BY 1, 2",
                         -1, &st, NULL) != SQLITE_OK)
    return dberr(l, err, "catalog list");
  sqlite3_bind_text(st, 1, l->catalog, -1, SQLITE_STATIC);
  json_t *a = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_array_append_new(a, json_pack("[sss]", (const char *)sqlite3_column_text(st, 0),
                                       (const char *)sqlite3_column_text(st, 1),
                                       (const char *)sqlite3_column_text(st, 2)));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    json_decref(a);
    return dberr(l, err, "catalog list");
  }
  *out = a;
  return 0;
}

int lake_catalog_lock(floe_lake *l, floe_err *err) {
  char *msg = NULL;
  if (sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
    int rc = floe_err_set(err, FLOE_EDB, "%s: cannot lock the catalog: %s", l->db_path, msg ? msg : "?");
    sqlite3_free(msg);
    return rc;
  }
  return 0;
}

void lake_catalog_unlock(floe_lake *l) {
  /* The lock's transaction changes at most the one row a swap wrote: commit it (a failed swap wrote none). */
  if (sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}
