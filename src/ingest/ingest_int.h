/* ingest_int.h — private parts of the ingest module: source connectors. */
#ifndef FLOE_INGEST_INT_H
#define FLOE_INGEST_INT_H

#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>
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
  const char *ndjson_path;   /* the NDJSON file or glob being read */
  const char **ndjson_files, **ndjson_plain; /* its files, and what DuckDB reads of each (a decompressed copy) */
  size_t ndjson_nfiles;
  const char *row_column;    /* the raw rows carry their row number in this column (cleaned NDJSON or CSV) */
  int64_t malformed;         /* NDJSON lines that are not JSON objects, CSV records that do not split into
                              * the header's fields (kept for the rejects table) */
  const char *malformed_select; /* their rejects rows */
  /* Without rejects, csv: the first malformed record, for ingest_shape to report it or the first row whose
   * value does not fit, whichever comes first, with the count of both (0 / NULL: none). */
  int64_t malformed_row;
  const char *malformed_where, *malformed_why; /* " (line 9)", "expected 3 fields, ... — the line reads: ..." */
  struct ingest_csv *csv;    /* csv.c: the dialect the file is read with (arena) */
  const char *csv_plain;     /* csv.c: a gzip file's checked, decompressed copy, which every read uses */
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
/* Reads the NDJSON file or glob at path, every line checked first (json_check.c; gzip told by its content and
 * decompressed into the staging directory): a bad line fails the step naming the file, line, column and
 * reason, or with rejects the good lines are staged apart (each carrying its row number, cx->row_column)
 * and the bad ones become cx->malformed_select. Fills *select with the read_json SELECT of what is left;
 * cx->rows_known = 0 when there is no record (only blank lines). */
int ingest_ndjson_checked_select(ingest_ctx *cx, const char *path, char **select, floe_err *err) FLOE_WUR;
/* Rewrites a DuckDB JSON reader error in err: the user's file for a staged copy, without DuckDB's advice
 * about options floe does not have. */
void ingest_ndjson_explain(ingest_ctx *cx, floe_err *err);

/* ---- the strict NDJSON check (json_check.c), run over every line before DuckDB reads a file */
#define INGEST_JSON_MAX_DEPTH 1000 /* nesting levels a line may have (the top-level object is one) */
#define INGEST_JSON_MAX_DIGITS 38  /* digits of a top-level integer (decimal(38,0) holds it exactly) */
enum { INGEST_JSON_OBJECT, INGEST_JSON_BLANK, INGEST_JSON_BAD, INGEST_JSON_NOT_OBJECT };
/* A top-level key whose number a double does not hold exactly (an integer past +-2^53): DuckDB would read
 * the column (or the nested values under it) as DOUBLE. */
enum { INGEST_JSON_BIG = 1, INGEST_JSON_NESTED_BIG = 2, INGEST_JSON_BIG64 = 4 /* and past int64 */ };
typedef struct ingest_json_bigkey {
  char *name;
  unsigned flags;
} ingest_json_bigkey;
typedef struct ingest_json_check {
  size_t col;      /* BAD / NOT_OBJECT: the 1-based byte column of the fault */
  const char *why; /* BAD / NOT_OBJECT: what is wrong (static or in whybuf) */
  char whybuf[160];
  size_t nfields;  /* OBJECT: its number of keys */
  ingest_json_bigkey *big; /* over all lines checked so far (malloc'd; ingest_json_check_free) */
  size_t nbig;
  struct jkey *keys; /* scratch */
  size_t nkeys, capkeys;
  char *kbuf;
  size_t kbuf_len, kbuf_cap;
} ingest_json_check;
/* Checks one line (without its '\n'): INGEST_JSON_OBJECT, _BLANK (only whitespace), _NOT_OBJECT (valid JSON
 * that is no object) or _BAD (c->col, c->why say where and why). */
int ingest_json_check_line(ingest_json_check *c, const char *p, size_t n);
void ingest_json_check_free(ingest_json_check *c);
/* The length of the UTF-8 sequence at p (1 for ASCII), 0 when it is not valid UTF-8. */
size_t ingest_utf8_len(const unsigned char *p, size_t n);
/* Reads a byte stream in chunks: bytes read, 0 at the end, -1 on error. */
typedef ssize_t (*ingest_read_fn)(void *ud, void *buf, size_t n);
/* Called per physical line (1-based ln; the bytes without '\n' and a trailing '\r'; may hold NULs). */
typedef int (*ingest_line_fn)(void *ud, const char *p, size_t n, int64_t ln, floe_err *err);
/* Cuts the stream into lines: gzip when it starts with the gzip magic (*gzipped; each member's CRC-32 and
 * length checked, a truncated or corrupt stream is FLOE_EINPUT "<what>: truncated gzip file..." /
 * "corrupt gzip file"), else plain. copy, when not NULL, receives the decompressed bytes. Stops at the
 * first non-zero return of fn. */
int ingest_lines_read(ingest_read_fn rd, void *rd_ud, const char *what, FILE *copy, bool *gzipped, ingest_line_fn fn,
                      void *ud, floe_err *err) FLOE_WUR;

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
