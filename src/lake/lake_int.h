/* lake_int.h — private parts of the lake: Avro codec, catalog, table metadata, snapshots. */
#ifndef FLOE_LAKE_INT_H
#define FLOE_LAKE_INT_H

#include <jansson.h>
#include "floe/engine.h"
#include "floe/lake.h"
#include "floe/store.h"
#include "floe/util.h"

struct floe_lake {
  char *warehouse, *db_path, *catalog;
  floe_store *store;       /* the instance store: keeps the catalog */
  floe_engine *eng;        /* write engine, opened lazily */
  floe_vec attempt_files;  /* char*: files written by the current commit attempt (removed on conflict) */
  floe_vec data_files;     /* char*: data files written before the commit loop, reused by every attempt */
  /* A moved or copied project: table locations the catalog names under an old warehouse, and where those
   * tables are now (char* pairs: old location, new location). See lake_table_load. */
  floe_vec moves;
  /* The last metadata file read or written, parsed. Metadata files never change once written, so a
   * location match is a valid cache hit; successive writes in one process skip re-parsing. */
  char *cache_loc;
  json_t *cache_meta;
};
/* Remembers meta (a reference is taken) as the parsed content of loc. */
void lake_cache_put(floe_lake *l, const char *loc, json_t *meta);

/* ---- memo.c */
typedef struct lake_memo lake_memo;
lake_memo *lake_memo_new(void);
void lake_memo_free(lake_memo *m);
const char *lake_memo_get(lake_memo *m, const json_t *key, int kind, size_t *len);
void lake_memo_put(lake_memo *m, json_t *key, int kind, const char *data, size_t len);
/* Compact JSON text of v (floe_malloc'd); elements of top-level arrays are memoized in m (may be NULL). */
char *lake_json_text(json_t *v, lake_memo *m);
/* Process-wide caches for immutable files (metadata is never rewritten in place): the memo and the
 * records of the last manifest list read or written. Freed when the last lake closes. */
lake_memo *lake_global_memo(void);
void lake_global_ref(int delta);
json_t *lake_ml_cache_get(const char *path); /* a new reference or NULL */
void lake_ml_cache_put(const char *path, json_t *records);

/* ---- avro.c */
/* Writes an Avro container (codec null) with header keys meta = {k, v, k, v, ..., NULL}. */
int lake_avro_write(const char *path, const json_t *schema, const char *const *meta, const json_t *records,
                    int64_t *size_out, floe_err *err) FLOE_WUR;
/* Same, reusing the encodings of records seen before (memo kind 2: one schema per memo kind). */
int lake_avro_write_memo(const char *path, const json_t *schema, const char *const *meta, const json_t *records,
                         lake_memo *memo, int64_t *size_out, floe_err *err) FLOE_WUR;
/* Reads an Avro container: *records is a JSON array (see avro.c for the value mapping). */
int lake_avro_read(const char *path, json_t **schema_out, json_t **meta_out, json_t **records, floe_err *err) FLOE_WUR;
/* Same, from memory (path names the data in errors). */
int lake_avro_read_buf(const char *data, size_t len, const char *path, json_t **schema_out, json_t **meta_out,
                       json_t **records, floe_err *err) FLOE_WUR;
int lake_unhex(const char *hex, unsigned char *out);
/* The float/double a JSON value stands for: a number, or "NaN" / "Infinity" / "-Infinity" (how the
 * codec holds the values JSON cannot). */
double lake_json_double(const json_t *v);
char *lake_hex(const unsigned char *p, size_t n);
/* A float or double (Iceberg type) in the single-value binary encoding, as hex (floe_malloc). */
char *lake_float_hex(const char *type, double d);

/* Tests only: called at named points ("orphans-walked", "commit-before-swap", "write-data-written"); a
 * nonzero return makes the operation fail there. NULL in production. */
extern int (*lake_test_hook)(floe_lake *l, const char *point);
int lake_hook(floe_lake *l, const char *point);

/* ---- catalog.c */
int lake_catalog_init(floe_lake *l, floe_err *err) FLOE_WUR;
/* *loc is floe_malloc'd; FLOE_ENOTFOUND when the table is not in the catalog. */
int lake_catalog_get(floe_lake *l, const char *ns, const char *name, char **loc, floe_err *err) FLOE_WUR;
/* old NULL = create (FLOE_ECONFLICT when it exists); else CAS (FLOE_ECONFLICT when it moved). */
int lake_catalog_swap(floe_lake *l, const char *ns, const char *name, const char *old, const char *new_loc,
                      floe_err *err) FLOE_WUR;
/* JSON array of [ns, name, metadata_location]. */
int lake_catalog_list(floe_lake *l, json_t **out, floe_err *err) FLOE_WUR;
/* Removes the table from the catalog; FLOE_ENOTFOUND when it is not there. */
int lake_catalog_drop(floe_lake *l, const char *ns, const char *name, floe_err *err) FLOE_WUR;
/* Takes the catalog's write lock (a write transaction of the store): commits cannot swap while maintenance
 * decides what is unreferenced. unlock ends it: commits when rc == 0 (a swap made under the lock is then
 * published), rolls back otherwise; returns rc, or the commit's error. */
int lake_catalog_lock(floe_lake *l, floe_err *err) FLOE_WUR;
int lake_catalog_unlock(floe_lake *l, int rc, floe_err *err) FLOE_WUR;

/* ---- info.c */
/* FLOE_EUNSUPPORTED (saying why) when floe must not write to the table: a format-version 1 table, a partition
 * transform the writer does not compute. Every data write checks it before writing anything. */
int lake_write_refused(const json_t *meta, const char *table, floe_err *err) FLOE_WUR;

/* ---- table.c */
typedef struct lake_table {
  char *ns, *name;
  char *loc;    /* current metadata location (local path; where a moved project has it now); NULL when
                 * the table does not exist yet */
  char *cat_loc; /* the catalog's metadata_location as stored (the commit's compare-and-swap value) */
  json_t *meta; /* parsed metadata; NULL when the table does not exist yet */
} lake_table;

/* Splits "ns.table" (last dot). */
int lake_split_name(const char *table, char **ns, char **name, floe_err *err) FLOE_WUR;
/* Loads a table; missing tables give FLOE_ENOTFOUND unless allow_missing (then t->meta is NULL). */
int lake_table_load(floe_lake *l, const char *table, bool allow_missing, lake_table *t, floe_err *err) FLOE_WUR;
void lake_table_free(lake_table *t);
/* Strips a file: scheme from an Iceberg location. */
const char *lake_local_path(const char *loc);
/* A local path as the table writes its locations: with the file: or file:// prefix of meta's "location" when
 * it has one, bare otherwise (floe_malloc'd; NULL when out of memory). One style per table. */
char *lake_styled_path(const json_t *meta, const char *local);
/* A path as it is now: a path under a moved table's old location mapped to the new one (floe_malloc'd),
 * or NULL when it needs no change. */
char *lake_map_path(floe_lake *l, const char *path);
char *lake_table_location(floe_lake *l, const char *ns, const char *name);

json_t *lake_current_schema(const json_t *meta);
json_t *lake_snapshot(const json_t *meta, int64_t id);
int64_t lake_current_snapshot_id(const json_t *meta); /* 0 when none */
json_t *lake_spec(const json_t *meta, int spec_id);

/* Reads the manifest list of a snapshot: *mlist is an array of manifest_file records. Refuses delete
 * manifests. */
int lake_read_manifest_list(floe_lake *l, const json_t *snap, json_t **mlist, floe_err *err) FLOE_WUR;
/* Reads a manifest: an array of manifest_entry records with inherited snapshot/sequence numbers filled
 * in from the manifest list entry mf. Refuses delete files. */
int lake_read_manifest(floe_lake *l, const json_t *mf, json_t **entries, floe_err *err) FLOE_WUR;
/* Live data files (data_file records, each with "_seq" etc.) of a snapshot: array of manifest entries
 * (status != 2). */
int lake_snapshot_entries(floe_lake *l, const json_t *meta, int64_t snap_id, json_t **entries,
                          floe_err *err) FLOE_WUR;

/* A change to commit as a new snapshot on main. */
typedef struct lake_change {
  const char *operation; /* append | overwrite | delete */
  json_t *added;         /* array of data_file records (borrowed) */
  json_t *removed;       /* object: file_path -> true, files to drop from the parent (borrowed; NULL = none) */
  bool remove_all;
  json_t *new_schema;    /* schema to add and make current (borrowed; NULL = keep) */
  int64_t snapshot_id;   /* out */
  int64_t added_rows, deleted_rows, total_rows, deleted_files; /* out */
} lake_change;

/* Builds the new metadata (returned in *out) for base + change: writes the manifests and the manifest
 * list (recorded in l->attempt_files). base->meta must exist. */
int lake_apply_change(floe_lake *l, lake_table *base, lake_change *ch, json_t **out, floe_err *err) FLOE_WUR;

/* The optimistic commit loop: loads the table, asks mutate for the new metadata, writes it and swaps
 * the catalog pointer; on a lost race deletes the attempt's files and retries. */
typedef int (*lake_mutate_fn)(floe_lake *l, lake_table *base, json_t **new_meta, void *ctx, floe_err *err);
int lake_commit(floe_lake *l, const char *table, bool allow_create, lake_mutate_fn mutate, void *ctx,
                int *attempts, floe_err *err) FLOE_WUR;

/* New table metadata (no snapshot) for a schema and a partition spec (array of partition fields). */
json_t *lake_new_metadata(const char *location, json_t *schema, json_t *spec_fields);

/* Iceberg <-> DuckDB types. */
const char *lake_duck_type(const char *iceberg_type, char *buf, size_t n);
const char *lake_iceberg_type(const char *duck_type, char *buf, size_t n); /* NULL = store as string */
json_t *lake_avro_type_for(const char *iceberg_type);

/* Files this attempt wrote. */
void lake_attempt_track(floe_lake *l, const char *path);
void lake_attempt_reset(floe_lake *l, bool remove_files);
/* Data files written before the commit loop: kept across attempts; reset removes them (on failure) or
 * forgets them (once published). */
void lake_data_keep(floe_lake *l);
void lake_data_reset(floe_lake *l, bool remove_files);
/* Removes the empty directories above path (modified in place), up to the warehouse. */
void lake_remove_empty_parents(floe_lake *l, char *path);

/* SQL over the given data files, projected to schema by field id (by_name: the files were all written
 * with exactly this schema, so a plain read is equivalent and faster). Appended to b. */
int lake_scan_sql(floe_buf *b, const json_t *schema, const json_t *entries, bool by_name);
/* True when every data file of the table was written with its current schema (one schema ever). */
bool lake_single_schema(const json_t *meta);

#endif
