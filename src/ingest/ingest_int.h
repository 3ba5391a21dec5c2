/* ingest_int.h — private parts of the ingest module: source connectors. */
#ifndef FLOE_INGEST_INT_H
#define FLOE_INGEST_INT_H

#include <stdarg.h>
#include "floe/defs.h"
#include "floe/lake.h"

/* Runs an ingest without the step protocol (used by floe_ingest_step and tests). */
int floe_ingest_run(const floe_project *p, const floe_asset *a, floe_lake_commit_info *info, floe_err *err) FLOE_WUR;

/* FLOE_EINPUT "<file>:<line>:<col>: <message>" pointing at n. */
int ingest_fail_at(floe_err *err, const floe_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* csv.c: the DuckDB SELECT reading the asset's CSV source (*select from the arena). */
int ingest_csv_select(const floe_project *p, const floe_asset *a, floe_arena *ar, char **select, floe_err *err) FLOE_WUR;
/* Rewrites a DuckDB CSV error in err as "<file>: line N: <reason>". */
void ingest_csv_explain(const floe_project *p, const floe_asset *a, floe_err *err);

/* ---- connectors other than csv (files.c, command.c, http.c, postgres.c) and the row pipeline
 * (shape.c) between a connector's raw SELECT and the lake write. */
#include <stdint.h>
#include "floe/secrets.h"

typedef struct ingest_ctx {
  const floe_project *p;
  const floe_asset *a;
  floe_arena *ar;
  floe_secrets *sec;    /* opened on first use (ingest_secret) */
  char *stage_dir;      /* private staging directory, created on first use, removed by ingest_ctx_free */
  const char *label;    /* the source as named in messages: path, URL without secrets, "postgres query" */
  int64_t rows_known;   /* rows the connector staged (-1 = unknown: count them) */
  int64_t rows_read, rows_written, rows_rejected;
  const char *rejects_table;  /* set by ingest_shape when rows were rejected */
  const char *rejects_select;
  int64_t rejects_snapshot;
  floe_buf meta;        /* extra materialization metadata members: ",\"pages\":3" */
} ingest_ctx;

void ingest_ctx_init(ingest_ctx *cx, const floe_project *p, const floe_asset *a, floe_arena *ar);
void ingest_ctx_free(ingest_ctx *cx);
/* A new file path in the staging directory (created mode 0700 under <home>/tmp on first use). */
int ingest_stage_path(ingest_ctx *cx, const char *name, const char **path, floe_err *err) FLOE_WUR;
/* Resolves a floe_value written in the source (literal or {secret: g.k}); *out valid until ctx free. */
int ingest_value(ingest_ctx *cx, const floe_node *n, const char *what, const char **out, floe_err *err) FLOE_WUR;
/* text with every resolved secret replaced by ******** (arena). */
const char *ingest_redact(ingest_ctx *cx, const char *text);
/* Parses a node as a number / bool with a default; a malformed value is an error at the node. */
int ingest_num(const floe_node *n, const char *what, double def, double *out, floe_err *err) FLOE_WUR;
bool ingest_bool(const floe_node *n, bool def);
/* The DuckDB type for a column type as written in `columns:` (boolean, int, long, ..., decimal(P,S)); NULL unknown. */
const char *ingest_duck_type(const char *t);

/* Connectors: fill *select with a DuckDB SELECT over the source's rows (arena). */
int ingest_ndjson_select(ingest_ctx *cx, char **select, floe_err *err) FLOE_WUR;
int ingest_parquet_select(ingest_ctx *cx, char **select, floe_err *err) FLOE_WUR;
int ingest_command_select(ingest_ctx *cx, char **select, floe_err *err) FLOE_WUR;
int ingest_http_select(ingest_ctx *cx, char **select, floe_err *err) FLOE_WUR;
int ingest_postgres_select(ingest_ctx *cx, char **select, floe_err *err) FLOE_WUR;
/* The SELECT reading a staged file of the given format ("ndjson", "csv", "parquet"; NULL = sniff it). */
int ingest_staged_select(ingest_ctx *cx, const char *path, const char *format, char **select, floe_err *err) FLOE_WUR;

/* The pipeline: applies declared column types, nested-JSON handling and flattening, checks every row
 * (types, merge keys, the replaced range), fails on the first bad row or — with rejects: true — writes
 * the bad rows to <table>__rejects, checks on_schema_change, and sets the write options of the mode
 * (merge keys, replaced range). Rewrites *select to the rows to write. */
int ingest_shape(ingest_ctx *cx, floe_lake *l, const char *table, char **select, floe_lake_write_opts *o,
                 floe_err *err) FLOE_WUR;
/* Appends the rows ingest_shape rejected to the rejects table (after the main write succeeded). */
int ingest_write_rejects(ingest_ctx *cx, floe_lake *l, floe_err *err) FLOE_WUR;

#endif
