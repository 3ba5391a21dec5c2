/* ingest.h — built-in ingest steps: read a source, write an Iceberg table. */
#ifndef FLOE_INGEST_H
#define FLOE_INGEST_H

#include <stdio.h>
#include "floe/defs.h"

/* Runs the ingest of asset a (kind ingest) for run run_id in the current process (a step child).
 * Writes a materialization event line to events:
 *   {"type":"materialization","metadata":{"rows":N,"snapshot_id":S,"table":"ns.t"}} */
int floe_ingest_step(const floe_project *p, const floe_asset *a, const char *run_id, FILE *events, floe_err *err) FLOE_WUR;

/* The DuckDB type for a column type as written in `columns:` (boolean, int, long, float, double, string,
 * json, date, timestamp, timestamptz, decimal(P,S) with 1 <= P <= 38, 0 <= S <= P, and aliases), or NULL. */
const char *floe_ingest_column_type(const char *t);
#define FLOE_INGEST_COLUMN_TYPES "boolean, int, long, float, double, string, json, date, timestamp, timestamptz or decimal(P,S)"

/* The keys of `source:` for one source type (the tables: src/ingest/source.c). The project loader checks
 * every asset's source: against them.
 * Returns the table ({NULL}-terminated) or NULL for an unknown type; floe_ingest_source_types lists the types. */
const floe_opt *floe_ingest_source_opts(const char *type);
extern const char *const floe_ingest_source_types[]; /* NULL-terminated */

/* What `defs validate` can tell about the sources before a run: a csv, ndjson or parquet source whose path
 * matches no file. Appends one message per finding (arena strings) to out. */
int floe_ingest_source_warnings(const floe_project *p, floe_arena *a, floe_vec *out, floe_err *err) FLOE_WUR;

#endif
