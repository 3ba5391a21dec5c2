/* lake.h — the lake: Apache Iceberg v2 tables (Parquet data files, Avro manifests, metadata JSON)
 * published through a JDBC/SQL-schema catalog kept by the instance store (floe_store_catalog_*).
 *
 * Writes are copy-on-write and atomic: data, manifests, manifest list and metadata file are written
 * first; a compare-and-swap of metadata_location in the catalog publishes them. A writer that loses the
 * race reloads the table and re-applies its change (its data files are reused). Tables holding delete
 * files (merge-on-read, written by other engines) are refused, never read wrong.
 *
 * Table names are "namespace.table" (the namespace may itself contain dots: the last dot separates). */
#ifndef FLOE_LAKE_H
#define FLOE_LAKE_H

#include <stdbool.h>
#include <stdint.h>
#include "floe/defs.h"
#include "floe/engine.h"
#include "floe/err.h"

typedef struct floe_lake floe_lake;

/* Opens the lake: warehouse directory (created when missing), the instance store at db_path that keeps the
 * catalog (floe_store_open: created and migrated as needed), and the catalog name. Caller closes. */
int floe_lake_open(const char *warehouse, const char *db_path, const char *catalog, floe_lake **out,
                   floe_err *err) FLOE_WUR;
/* Same with the project's warehouse, db_path and name. */
int floe_lake_open_project(const floe_project *p, floe_lake **out, floe_err *err) FLOE_WUR;
void floe_lake_close(floe_lake *l);
const char *floe_lake_warehouse(const floe_lake *l);

typedef enum { FLOE_LAKE_APPEND, FLOE_LAKE_OVERWRITE } floe_lake_mode;

typedef struct floe_lake_write_opts {
  floe_lake_mode mode;
  /* Replace-where: rows of the current snapshot matching this SQL predicate (over the table's columns)
   * are removed in the same snapshot that adds the new rows (e.g. a time range being reloaded).
   * NULL = none. Ignored for OVERWRITE (everything is replaced). */
  const char *replace_where;
  /* Partition spec used when the write creates the table: comma-separated "col", "day(col)",
   * "month(col)", "year(col)", "identity(col)". NULL = unpartitioned. */
  const char *partition_by;
  /* When true the source columns must match the table (no schema evolution). */
  bool no_evolve;
} floe_lake_write_opts;

typedef struct floe_lake_commit_info {
  int64_t snapshot_id;   /* the snapshot committed (0 when nothing changed) */
  int64_t added_rows, deleted_rows, total_rows;
  int64_t added_files, deleted_files;
  int attempts;          /* 1 + number of optimistic-commit conflicts retried */
  bool created;          /* the write created the table */
} floe_lake_commit_info;

/* Writes the rows of a DuckDB SELECT (e.g. "SELECT * FROM read_csv('x.csv')") into table, creating it
 * (schema inferred from the query) when it does not exist. New source columns are added to the schema;
 * int->long and float->double widen the table. A query error (e.g. a bad CSV row) is FLOE_EINPUT with
 * DuckDB's message. info may be NULL. */
int floe_lake_write(floe_lake *l, const char *table, const char *select_sql, const floe_lake_write_opts *o,
                    floe_lake_commit_info *info, floe_err *err) FLOE_WUR;

/* Deletes the rows matching an SQL predicate: only the data files holding such rows are rewritten. */
int floe_lake_delete(floe_lake *l, const char *table, const char *predicate, floe_lake_commit_info *info,
                     floe_err *err) FLOE_WUR;

/* Metadata operations. */
int floe_lake_rollback(floe_lake *l, const char *table, int64_t snapshot_id, floe_err *err) FLOE_WUR;
/* Creates or moves a tag (or with branch=true a branch) to snapshot_id (0 = the current snapshot). */
int floe_lake_tag(floe_lake *l, const char *table, const char *name, int64_t snapshot_id, bool branch,
                  floe_err *err) FLOE_WUR;

/* Expires snapshots older than older_than_ms (epoch ms; 0 = now) keeping at least retain_last and every
 * snapshot a ref points to, then deletes the files only expired snapshots used — only those in the data/
 * or metadata/ directory of the table's location, when that is below the warehouse (see maint.c).
 * *expired and *files_deleted may be NULL. */
int floe_lake_expire(floe_lake *l, const char *table, int64_t older_than_ms, int retain_last, int *expired,
                     int *files_deleted, floe_err *err) FLOE_WUR;

/* Files that no table of the catalog references (failed or killed writes), older than min_age_s seconds:
 * in the data/ and metadata/ directories of table locations below the warehouse, and floe-named files in
 * <warehouse>/<ns>/<name> directories of no table (unless one holds a metadata.json). With remove they are
 * deleted — under the catalog lock, after re-reading what was committed meanwhile, and only inside the
 * directory each was found in (resolved, no symlink). *paths gets floe_malloc'd strings (caller frees each
 * and the vec). */
int floe_lake_orphans(floe_lake *l, bool remove, int min_age_s, floe_vec *paths, floe_err *err) FLOE_WUR;

/* Lists catalog tables as floe_malloc'd "ns.table" strings, sorted. */
int floe_lake_tables(floe_lake *l, floe_vec *names, floe_err *err) FLOE_WUR;

/* The one mapping from an Iceberg primitive type to the DuckDB type floe reads and writes it as (the writer,
 * the query views and ingest's type checks all use it): "timestamptz" -> "TIMESTAMPTZ", "decimal(10, 2)" ->
 * "DECIMAL(10,2)" (written into buf), a type DuckDB has no match for -> "VARCHAR". */
const char *floe_lake_duck_type(const char *iceberg_type, char *buf, size_t n);

/* The table's current metadata JSON text (floe_malloc'd) and its location. */
int floe_lake_metadata(floe_lake *l, const char *table, char **json_text, char **metadata_location,
                       floe_err *err) FLOE_WUR;

/* Live data files of a snapshot (0 = current) as a JSON array text of
 * {"file_path","record_count","file_size_in_bytes","partition",...} (floe_malloc'd). */
int floe_lake_files(floe_lake *l, const char *table, int64_t snapshot_id, char **json_text, floe_err *err) FLOE_WUR;

/* Opens a read-only query engine: one view per catalog table (namespace.table) over the data files of
 * its current snapshot, or of the snapshot as of `as_of` — a snapshot id (applies to the table holding
 * it), a tag/branch name, or a time (ISO-8601 or epoch ms: the snapshot current then). DuckDB may then
 * open exactly those data files and nothing else, and its configuration is locked (docs/security.md,
 * "Query text"). Run user SQL on it with floe_engine_query_readonly. Caller closes the engine. */
int floe_lake_query_engine(floe_lake *l, const char *as_of, floe_engine **out, floe_err *err) FLOE_WUR;
/* The same for one query: only the tables whose name its text contains get a view (reading a table's
 * metadata and manifests and binding its view cost milliseconds each), unless the query looks at the
 * catalog itself (SHOW, information_schema, duckdb_*() ...), which sees them all. */
int floe_lake_query_engine_for(floe_lake *l, const char *as_of, const char *sql, floe_engine **out,
                               floe_err *err) FLOE_WUR;
/* After sql failed on e with FLOE_ENOTFOUND: when DuckDB did not find a table the query names, err becomes
 * `Table "oso.x" does not exist; did you mean oso.y?` naming the lake's nearest table (or the lake's
 * tables), instead of DuckDB's guess among its own catalog. Otherwise err is left as it is. */
void floe_lake_query_missing_table(floe_lake *l, floe_engine *e, const char *sql, floe_err *err);

/* The write engine the lake uses (opened on first use; owned by the lake). */
int floe_lake_engine(floe_lake *l, floe_engine **out, floe_err *err) FLOE_WUR;


/* ---- What a table is, for front ends (`floe lake tables/describe/snapshots`): read from its current metadata,
 * so no caller walks metadata JSON. Strings and arrays live in the caller's arena. */
typedef struct floe_lake_column {
  int64_t id;
  const char *name;
  const char *type; /* the Iceberg type ("long", "decimal(10, 2)"); "struct", "list" or "map" when nested */
  bool required;
} floe_lake_column;

typedef struct floe_lake_partition_field {
  const char *transform, *name; /* "month", "bucket[16]", ...; the partition field's name */
  int64_t source_id;
} floe_lake_partition_field;

typedef struct floe_lake_ref {
  const char *name, *type; /* type: "branch" or "tag" */
  int64_t snapshot_id;
} floe_lake_ref;

typedef struct floe_lake_snapshot {
  int64_t id, parent_id; /* parent_id 0: none */
  int64_t timestamp_ms;
  const char *operation;          /* NULL when the summary has none */
  int64_t added_rows, total_rows; /* -1 when the summary does not say */
} floe_lake_snapshot;

typedef struct floe_lake_info {
  const char *location, *metadata_location, *uuid;
  int format_version;
  int64_t current_snapshot_id; /* 0: no snapshot yet */
  int64_t total_rows;          /* of the current snapshot (its summary); -1 when it does not say */
  int64_t schema_id;
  floe_lake_column *columns;
  size_t ncolumns;
  floe_lake_partition_field *partition; /* the default spec; none = unpartitioned */
  size_t npartition;
  floe_lake_ref *refs;
  size_t nrefs;
  floe_lake_snapshot *snapshots; /* oldest first */
  size_t nsnapshots;
  /* What floe refuses to do with this table and why, one sentence each ("reads: ...", "writes: ...",
   * "maintenance: ..."); none when floe reads and writes it fully. */
  const char **refused;
  size_t nrefused;
} floe_lake_info;

/* The table as floe_lake_info. A table floe cannot open at all (format-version 3, unreadable metadata) is the
 * error (FLOE_EUNSUPPORTED, FLOE_EFORMAT, ...) that every other operation on it gives. */
int floe_lake_describe(floe_lake *l, const char *table, floe_arena *a, floe_lake_info *out, floe_err *err) FLOE_WUR;
/* The current metadata's "snapshots" array as JSON text (floe_malloc'd), as the Iceberg spec spells it. */
int floe_lake_snapshots_json(floe_lake *l, const char *table, char **json_text, floe_err *err) FLOE_WUR;

/* Adds an existing Iceberg table (another engine's, or floe's elsewhere) to the catalog under `table`, by
 * its metadata file (a local path, relative to the working directory, or a file: URL), without copying
 * anything. Checked first: the file parses, its format version is 1 or 2 (3 is FLOE_EUNSUPPORTED), its
 * current snapshot exists, and that snapshot's manifest list, manifests and data files are there and
 * readable; a table the catalog already has is FLOE_ECONFLICT. *out (optional) describes the table,
 * with what floe will refuse to do with it. */
int floe_lake_register(floe_lake *l, const char *table, const char *metadata_location, floe_arena *a,
                       floe_lake_info *out, floe_err *err) FLOE_WUR;
/* Removes the table from the catalog; none of its files is touched. *metadata_location (optional,
 * floe_malloc'd) is where its metadata was. FLOE_ENOTFOUND when the catalog has no such table. */
int floe_lake_unregister(floe_lake *l, const char *table, char **metadata_location, floe_err *err) FLOE_WUR;

#endif
