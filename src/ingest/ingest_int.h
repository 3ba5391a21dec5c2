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

/* ---- connectors (csv.c, files.c, command.c, http.c, postgres.c) and the row pipeline (shape.c)
 * between a connector's raw SELECT and the lake write. */
#include <stdint.h>
#include <time.h>
#include "floe/secrets.h"

struct ingest_ctx;
struct ingest_csv;
/* A type a connector inferred for a column it reads as text, so that shape.c checks every value
 * (csv: DuckDB's sniffer sees a sample; the rest of the file is checked row by row). */
typedef struct ingest_hint {
  const char *name, *type; /* DuckDB type */
  const char *format;      /* strptime format of a DATE / TIMESTAMP column written otherwise than ISO 8601, or NULL;
                            * applies whatever type of that kind the column gets (declared, the table's) */
} ingest_hint;

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
  floe_lake *lake;      /* the project's lake, open for the whole step (connectors may query its engine) */
  ingest_hint *hints;   /* connector-inferred types (arena), below declared and table types */
  size_t nhints;
  /* " (line N)" for a row number in messages (arena), or NULL; csv maps rows to physical lines */
  const char *(*row_where)(struct ingest_ctx *cx, int64_t row);
  const char *ndjson_path;   /* the NDJSON file or glob being read (malformed lines are looked for there) */
  const char *row_column;    /* the raw rows carry their row number in this column (cleaned NDJSON or CSV) */
  int64_t malformed;         /* NDJSON lines that are not JSON objects, CSV records that do not split into
                              * the header's fields (kept for the rejects table) */
  const char *malformed_select; /* their rejects rows */
  struct ingest_csv *csv;    /* csv.c: the dialect the file is read with (arena) */
  /* Values that must convert to their column's type are first written in one pass with strict casts
   * (optimistic: set by ingest_shape); only when that fails does the write run again with every row
   * checked (checked: counts, the first bad row, rejects), which costs a second read of the source. */
  bool optimistic, checked;
  /* For the one-pass load: the connector's select with the named columns read as the given DuckDB types
   * (the others as before); NULL when it cannot. Set by connectors whose reader parses text (csv). */
  const char *(*typed_select)(struct ingest_ctx *cx, const char *const *names, const char *const *types, size_t n);
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
const char *ingest_duck_type(const char *t); /* = floe_ingest_column_type (options.c) */

/* Whether the asset keeps bad rows (`rejects: true` or `rejects: {table: ..}`) instead of failing. */
bool ingest_rejects_on(const floe_asset *a);

/* Connectors: fill *select with a DuckDB SELECT over the source's rows (arena). */
int ingest_csv_select(ingest_ctx *cx, char **select, floe_err *err) FLOE_WUR;
/* Rewrites a DuckDB CSV parse error in err as "<file>: line N: <reason> — the line reads: ..." (one that
 * ingest_csv_clean did not replace). */
void ingest_csv_explain(ingest_ctx *cx, floe_err *err);
/* Whether err is DuckDB refusing a CSV record it cannot split into the header's fields (a wrong number
 * of fields, an unterminated quote, invalid UTF-8): the cue to run ingest_csv_clean. */
bool ingest_csv_malformed_error(const ingest_ctx *cx, const floe_err *err);
/* Reads the file again with DuckDB's store_rejects: without rejects, fails naming the file, row, line,
 * reason and text of the first bad record; with rejects, stages the good rows (each carrying its row
 * number) and the bad records (for the rejects table: the line and reason, the raw text as the record)
 * and rewrites *select to the good rows. */
int ingest_csv_clean(ingest_ctx *cx, char **select, floe_err *err) FLOE_WUR;
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
/* Whether err is DuckDB refusing a malformed NDJSON line (the cue to run ingest_ndjson_clean). */
bool ingest_ndjson_malformed_error(const ingest_ctx *cx, const floe_err *err);
/* Reads cx->ndjson_path line by line (plain or gzip): without rejects, fails naming the file, line and
 * parse error of the first malformed line; with rejects, stages the good lines (each carrying its row
 * number) and the malformed ones (for the rejects table) and rewrites *select to the good ones. */
int ingest_ndjson_clean(ingest_ctx *cx, char **select, floe_err *err) FLOE_WUR;

/* The table bad rows go to: rejects.table (in the project namespace unless qualified) or <table>__rejects. */
const char *ingest_rejects_table(ingest_ctx *cx, const char *table);
/* Appends the rows ingest_shape rejected to the rejects table (after the main write succeeded). */
int ingest_write_rejects(ingest_ctx *cx, floe_lake *l, floe_err *err) FLOE_WUR;

/* ---- pure parsers (exposed for tests/unit/ingest) */
/* Copies the target of rel="next" in a Link header value into next (empty when there is none). */
void ingest_parse_link(const char *v, size_t len, char *next, size_t cap);
/* Why an http_json request may not go to (scheme, host, port) when source.url is at (from_scheme, from_host,
 * from_port) and allow lists other hosts ("host" or "host:port"); NULL when it may: http or https only, never
 * https to http, the same origin or an allowed host. Hosts lowercase, ports the scheme's default if absent. */
const char *ingest_http_refusal(const char *from_scheme, const char *from_host, long from_port, const char *scheme,
                                const char *host, long port, const char *const *allow, size_t nallow);
/* The text [*start, *end) of the value at a dotted path in the JSON text (as ingest_json_path walks its tree),
 * found without building the tree; false when absent or when the text is malformed on the way (nesting
 * deeper than 1024 included). Only the structure is checked: parse the value to check the rest. */
bool ingest_json_find(const char *text, size_t len, const char *path, size_t *start, size_t *end);
/* Walks a dotted path ("data.items", "$.meta.next", "items.0") into a JSON value; NULL when absent. */
struct json_t;
struct json_t *ingest_json_path(struct json_t *v, const char *path);
/* Seconds to wait for a Retry-After value: delta-seconds or an HTTP date (IMF-fixdate, RFC 850, asctime)
 * relative to now (Unix seconds); clamped to [0, 86400]; -1 when it is neither. */
double ingest_retry_after(const char *v, size_t len, double now);
/* The replaced range of mode replace_range: FLOE_START/FLOE_END, else the run config's
 * ops.<asset>.config.{start,end} (FLOE_RUN_CONFIG), else range.start/end, else source.start/end. */
int ingest_range_bounds(ingest_ctx *cx, const floe_node *range, const char **start, const char **end,
                        floe_err *err) FLOE_WUR;

#endif
