/* csv.c — the csv source: `source: {type: csv, path: data/x.csv, header: true, delimiter: ","}` with
 * optional `columns: {name: type}` overriding the inferred types.
 *
 * DuckDB's sniffer detects the dialect and infers the column types from a sample of the file. The file
 * is then read with that dialect fixed (quote '"' when the sniffer found none, as RFC 4180 has it) and
 * every column as text, so that every row goes through the same checks as the other sources (shape.c:
 * a value that does not convert — a date in the sniffed non-ISO format too — fails the step naming the
 * row, or goes to <table>__rejects), cast to the declared type, else the table's, else the sniffed one.
 *
 * A record that does not split into the header's fields (a wrong number of fields, an unterminated
 * quote, invalid UTF-8) fails that read. ingest_csv_clean then reads the file again with DuckDB's
 * store_rejects, which skips such records and lists them, and fails naming the first or — with
 * rejects: true — stages the good rows, each with its row number in the file, and the bad records for
 * the rejects table. Row numbers count records (a quoted field may span lines, blank lines are none);
 * lines are physical lines. */
#include "floe/engine.h"
#include "csv_int.h"
#include "ingest_int.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


/* DuckDB's reject tables for the rescan (temporary, in the step's engine). */
#define CSV_ERRORS "__floe_csv_errors"
#define CSV_SCANS "__floe_csv_scans"

static const char *csv_path(ingest_ctx *cx) {
  if (cx->csv_plain) return cx->csv_plain;
  const char *path = floe_node_scalar(floe_node_get(cx->a->source, "path"));
  if (!path) return NULL;
  if (path[0] == '/') return path;
  return floe_path_join(cx->ar, cx->p->dir, path);
}

static bool csv_header(const floe_asset *a) { return ingest_bool(floe_node_get(a->source, "header"), true); }

/* DuckDB's limit on the bytes of one record (a row, newlines inside quotes included), unless
 * source.max_line_size raises it. */
#define CSV_LINE_LIMIT 2000000

/* source.max_line_size: a whole number of bytes >= 1, or 0 when absent. */
static int csv_line_size(const ingest_ctx *cx, int64_t *n, floe_err *err) {
  const floe_node *node = floe_node_get(cx->a->source, "max_line_size");
  double v;
  int rc = ingest_num(node, "source.max_line_size", 0, &v, err);
  if (rc) return rc;
  if (node && !floe_node_is_null(node) && (v < 1 || v > 1e12 || v != (double)(int64_t)v))
    return ingest_fail_at(err, node, "source.max_line_size: expected a whole number of bytes >= 1, found %s",
                          floe_node_scalar(node));
  *n = (int64_t)v;
  return 0;
}

/* The limit the file is read with. */
static int64_t csv_line_limit(const ingest_ctx *cx) {
  floe_err e = {0};
  int64_t n = 0;
  return csv_line_size(cx, &n, &e) || !n ? CSV_LINE_LIMIT : n;
}

/* ", max_line_size=N" for every read_csv and sniff_csv of the file when the asset sets it, else "". */
static const char *csv_line_opt(ingest_ctx *cx) {
  int64_t n = csv_line_limit(cx);
  return n == CSV_LINE_LIMIT ? "" : floe_arena_printf(cx->ar, ", max_line_size=%lld", (long long)n);
}

/* ---- rows to lines (the walk: csv_text.c) */

/* "'<path>', auto_detect=false, ..." for read_csv (arena). */
static const char *csv_read(ingest_ctx *cx, const struct ingest_csv *c) {
  return floe_arena_printf(cx->ar, "%s%s", floe_sql_str(cx->ar, c->path), c->args);
}

struct row_find {
  int64_t want, line;
};

static bool find_row(void *arg, int64_t rec, int64_t line, int64_t off) {
  struct row_find *f = arg;
  (void)off;
  if (rec != f->want) return true;
  f->line = line;
  return false;
}

static const char *csv_row_where(ingest_ctx *cx, int64_t row) {
  if (!cx->csv) return "";
  struct row_find f = {row + (cx->csv->header ? 1 : 0), -1};
  if (csv_walk(cx->csv, find_row, &f, NULL) || f.line < 0) return "";
  return floe_arena_printf(cx->ar, " (line %lld)", (long long)f.line);
}

/* ---- gzip: DuckDB reads a gzip CSV without checking its CRC or length (a flipped byte loads, a
 * truncated file reads as "not UTF-8"), and the walk above reads bytes, not lines */

static ssize_t file_read(void *ud, void *buf, size_t n) {
  size_t r = fread(buf, 1, n, ud);
  return r ? (ssize_t)r : ferror((FILE *)ud) ? -1 : 0;
}

static int no_line(void *ud, const char *p, size_t n, int64_t ln, floe_err *err) {
  (void)ud, (void)p, (void)n, (void)ln, (void)err;
  return 0;
}

/* When the file starts with the gzip magic, decompresses it into the staging directory (every member's
 * CRC-32 and length checked: a corrupt or truncated file is an error naming it) and reads that copy. */
static int csv_gunzip(ingest_ctx *cx, const char *path, floe_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return floe_err_set(err, FLOE_EIO, "%s: cannot read it", cx->label);
  unsigned char magic[2] = {0, 0};
  size_t got = fread(magic, 1, 2, f);
  const char *plain;
  int rc = 0;
  if (got < 2 || magic[0] != 0x1f || magic[1] != 0x8b) goto out;
  if ((rc = ingest_stage_path(cx, "plain.csv", &plain, err))) goto out;
  FILE *copy = fopen(plain, "wb");
  if (!copy) {
    rc = floe_err_set(err, FLOE_EIO, "cannot create %s", plain);
    goto out;
  }
  rewind(f);
  bool gz;
  rc = ingest_lines_read(file_read, f, cx->label, copy, &gz, no_line, NULL, err);
  if (fclose(copy) && !rc) rc = floe_err_set(err, FLOE_EIO, "cannot write %s", plain);
  if (rc == FLOE_EINPUT) {
    size_t l = strlen(err->msg);
    snprintf(err->msg + l, sizeof err->msg - l, "; nothing was written");
  }
  if (!rc) cx->csv_plain = plain;
out:
  fclose(f);
  return rc;
}

/* ---- sniffing */

static bool same_type(const char *a, const char *b) {
  return !strcasecmp(a, b) || (!strcasecmp(a, "TIMESTAMPTZ") && !strcasecmp(b, "TIMESTAMP WITH TIME ZONE")) ||
         (!strcasecmp(b, "TIMESTAMPTZ") && !strcasecmp(a, "TIMESTAMP WITH TIME ZONE"));
}

/* Columns of the csv_sniff result. */
enum { S_DELIM, S_QUOTE, S_ESCAPE, S_COMMENT, S_SKIP, S_DATEFMT, S_TSFMT, S_NAME, S_TYPE };

/* One row per column: the dialect, the date and timestamp formats, the column's name and type. */
static int csv_sniff(floe_engine *eng, const char *args, floe_result **r, floe_err *err) {
  floe_buf q;
  floe_buf_init(&q, 0);
  floe_buf_printf(&q,
                  "SELECT Delimiter, Quote, Escape, Comment, CAST(SkipRows AS BIGINT), DateFormat, TimestampFormat, "
                  "c.name, c.type FROM (SELECT *, unnest(Columns) AS c FROM sniff_csv(%s))",
                  args);
  int rc = floe_engine_query(eng, floe_buf_str(&q), r, err);
  floe_buf_free(&q);
  return rc;
}

/* A dialect character as sniff_csv reports it ("(empty)" for none). */
static char sniffed_char(floe_result *r, size_t col) {
  const char *s = floe_result_nrows(r) ? floe_result_str(r, col, 0) : NULL;
  return s && s[0] && strcmp(s, "(empty)") ? s[0] : 0;
}

/* The sniffed date (col S_DATEFMT) or timestamp format, or NULL when there is none or it is ISO 8601,
 * which a CAST reads (and more). */
static const char *sniffed_format(ingest_ctx *cx, floe_result *r, size_t col) {
  if (!floe_result_nrows(r) || floe_result_isnull(r, col, 0)) return NULL;
  const char *f = floe_result_str(r, col, 0);
  if (!f || !f[0]) return NULL;
  if (!strncmp(f, "%Y-%m-%d", 8)) {
    bool iso = true;
    for (const char *p = f + 8; *p && iso; p++)
      if (*p == '%') iso = p[1] && strchr("HMSfgnzZ", *++p);
    if (iso) return NULL;
  }
  return floe_arena_strdup(cx->ar, f);
}

/* The types shape.c checks every value against (cx->hints): the sniffed type of each column that is not
 * text and not declared, and the sniffed non-ISO format of date and timestamp columns. */
static int csv_hints(ingest_ctx *cx, floe_result *r, floe_err *err) {
  const floe_asset *a = cx->a;
  const floe_node *decl = a->columns ? a->columns : floe_node_get(a->source, "columns");
  size_t n = floe_result_nrows(r);
  const char *datefmt = sniffed_format(cx, r, S_DATEFMT), *tsfmt = sniffed_format(cx, r, S_TSFMT);
  cx->nhints = 0;
  cx->hints = floe_arena_alloc(cx->ar, (n + 1) * sizeof *cx->hints);
  if (!cx->hints) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *name = floe_arena_strdup(cx->ar, floe_result_str(r, S_NAME, i)); /* result strings are reused */
    const char *sniffed = floe_arena_strdup(cx->ar, floe_result_str(r, S_TYPE, i));
    if (!name || !sniffed) continue;
    if (cx->row_column && !strcmp(name, cx->row_column)) continue;
    const char *dt = decl && decl->type == FLOE_NODE_MAP ? floe_node_scalar(floe_node_get(decl, name)) : NULL;
    const char *want = dt ? ingest_duck_type(dt) : sniffed;
    if (!want) want = "VARCHAR"; /* an unknown declared type: shape.c reports it at the option */
    const char *fmt = same_type(want, "DATE") ? datefmt : !strncasecmp(want, "TIMESTAMP", 9) ? tsfmt : NULL;
    if (fmt)
      cx->hints[cx->nhints++] = (ingest_hint){name, want, fmt};
    else if (!dt && !same_type(want, "VARCHAR"))
      cx->hints[cx->nhints++] = (ingest_hint){name, want, NULL};
  }
  return 0;
}

static void put_char_opt(floe_buf *b, const char *key, char c) {
  char s[2] = {c, 0};
  floe_buf_printf(b, ", %s=", key);
  floe_buf_sql_str(b, s);
}

struct header_find {
  int64_t start, end;
};

static bool find_header(void *arg, int64_t rec, int64_t line, int64_t off) {
  struct header_find *h = arg;
  (void)line;
  if (rec == 1) {
    h->start = off;
    return true;
  }
  h->end = off;
  return false;
}

/* The header's column names when the sniffer read it without the quote the file is read with: sniffs a
 * copy of the header record alone (DuckDB names empty and repeated names itself). *names NULL when the
 * header has no quote character (the sniffed names are right). */
static int csv_quoted_names(ingest_ctx *cx, floe_engine *eng, const struct ingest_csv *c, const char *delim,
                            floe_result **names, floe_err *err) {
  struct header_find h = {-1, -1};
  *names = NULL;
  if (csv_walk(c, find_header, &h, NULL) || h.start < 0) return 0;
  FILE *f = fopen(c->path, "rb");
  if (!f) return 0;
  size_t len = h.end > h.start && h.end - h.start < (1 << 20) ? (size_t)(h.end - h.start) : 1 << 20;
  char *text = floe_malloc(len);
  if (!text) {
    fclose(f);
    return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  size_t got = fseek(f, (long)h.start, SEEK_SET) ? 0 : fread(text, 1, len, f);
  fclose(f);
  const char *stage;
  int rc = 0;
  if (!memchr(text, c->quote, got)) goto out;
  if ((rc = ingest_stage_path(cx, "header.csv", &stage, err))) goto out;
  FILE *w = fopen(stage, "wb");
  bool ok = w && fwrite(text, 1, got, w) == got;
  if ((w && fclose(w)) || !ok) {
    rc = floe_err_set(err, FLOE_EIO, "cannot write %s", stage);
    goto out;
  }
  floe_buf a;
  floe_buf_init(&a, 0);
  floe_buf_sql_str(&a, stage);
  floe_buf_puts(&a, ", header=true, delim=");
  floe_buf_sql_str(&a, delim);
  put_char_opt(&a, "quote", c->quote);
  put_char_opt(&a, "escape", c->escape);
  floe_buf_puts(&a, csv_line_opt(cx));
  rc = csv_sniff(eng, floe_buf_str(&a), names, err);
  floe_buf_free(&a);
out:
  floe_free(text);
  return rc;
}

/* The dialect of a sniff result: its delimiter (or the user's), quote and escape (quote '"' when it found
 * none), comment and skipped lines, and the columns, all read as text. */
static int csv_dialect(ingest_ctx *cx, floe_engine *eng, floe_result *r, const char *delim, struct ingest_csv **out,
                       floe_err *err) {
  struct ingest_csv *c = floe_arena_alloc(cx->ar, sizeof *c);
  floe_result *names = NULL;
  floe_buf b;
  floe_buf_init(&b, 0);
  int rc = 0;
  if (!c) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  c->path = csv_path(cx);
  c->header = csv_header(cx->a);
  if (!delim) delim = floe_arena_strdup(cx->ar, floe_result_str(r, S_DELIM, 0));
  if (!delim || !delim[0]) delim = ",";
  c->delims = delim;
  c->delim = delim[strlen(delim) - 1];
  c->quote = sniffed_char(r, S_QUOTE);
  c->escape = sniffed_char(r, S_ESCAPE);
  c->comment = sniffed_char(r, S_COMMENT);
  c->skip = floe_result_i64(r, S_SKIP, 0);
  bool forced = !c->quote;
  if (forced) c->quote = '"';
  if (!c->escape) c->escape = c->quote;
  if (forced && c->header && (rc = csv_quoted_names(cx, eng, c, delim, &names, err))) {
    if (rc == FLOE_ENOMEM) goto out;
    floe_err_clear(err); /* the header alone does not sniff (binary bytes): the sniffed names stand */
    rc = 0;
    names = NULL;
  }
  floe_result *nr = names ? names : r;
  c->nnames = floe_result_nrows(nr);
  if (!(c->names = floe_arena_alloc(cx->ar, (c->nnames + 1) * sizeof *c->names))) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  floe_buf_printf(&b, ", auto_detect=false, header=%s, delim=", c->header ? "true" : "false");
  floe_buf_sql_str(&b, delim);
  put_char_opt(&b, "quote", c->quote);
  put_char_opt(&b, "escape", c->escape);
  floe_buf_printf(&b, ", skip=%lld%s", (long long)c->skip, csv_line_opt(cx));
  if (c->comment) put_char_opt(&b, "comment", c->comment);
  /* RFC 4180: "" is an empty string, an empty unquoted field NULL (DuckDB reads both as NULL) */
  if (!ingest_bool(floe_node_get(cx->a->source, "empty_as_null"), false)) floe_buf_puts(&b, ", allow_quoted_nulls=false");
  floe_buf_puts(&b, ", columns={");
  for (size_t i = 0; i < c->nnames; i++) {
    const char *name = floe_result_str(nr, S_NAME, i);
    /* (a header of NUL bytes reads as an empty name, which no struct key may be) */
    c->names[i] = name && name[0] ? floe_arena_strdup(cx->ar, name) : floe_arena_printf(cx->ar, "column%zu", i);
    if (i) floe_buf_puts(&b, ", ");
    floe_buf_sql_str(&b, c->names[i] ? c->names[i] : "");
    floe_buf_puts(&b, ": 'VARCHAR'");
  }
  floe_buf_puts(&b, "}");
  if (!(c->args = floe_arena_strdup(cx->ar, floe_buf_str(&b)))) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
out:
  floe_result_free(names);
  floe_buf_free(&b);
  *out = rc ? NULL : c;
  return rc;
}

/* How many records of the file the dialect reads (the others do not split into its columns). */
static int64_t csv_fitting(ingest_ctx *cx, floe_engine *eng, const struct ingest_csv *c) {
  floe_buf q;
  floe_buf_init(&q, 0);
  floe_buf_printf(&q, "SELECT count(*), count(COLUMNS(*)) FROM read_csv(%s, ignore_errors=true)", csv_read(cx, c));
  floe_result *r = NULL;
  floe_err e = {0};
  int64_t n = floe_engine_query(eng, floe_buf_str(&q), &r, &e) ? -1 : floe_result_i64(r, 0, 0);
  floe_result_free(r);
  floe_buf_free(&q);
  return n;
}

/* ingest_ctx.typed_select: the file read with those columns as their types, the others as text. */
static const char *csv_typed_select(ingest_ctx *cx, const char *const *names, const char *const *types, size_t n) {
  const struct ingest_csv *c = cx->csv;
  const char *cols = c ? strstr(c->args, ", columns={") : NULL;
  if (!cols) return NULL;
  floe_buf b;
  floe_buf_init(&b, 0);
  floe_buf_puts(&b, "SELECT * FROM read_csv(");
  floe_buf_sql_str(&b, c->path);
  floe_buf_append(&b, c->args, (size_t)(cols - c->args));
  floe_buf_puts(&b, ", columns={");
  for (size_t i = 0; i < c->nnames; i++) {
    const char *t = "VARCHAR";
    for (size_t k = 0; k < n; k++)
      if (c->names[i] && !strcmp(c->names[i], names[k])) t = types[k];
    if (i) floe_buf_puts(&b, ", ");
    floe_buf_sql_str(&b, c->names[i] ? c->names[i] : "");
    floe_buf_puts(&b, ": ");
    floe_buf_sql_str(&b, t);
  }
  floe_buf_puts(&b, "})");
  const char *out = floe_arena_strdup(cx->ar, floe_buf_str(&b));
  floe_buf_free(&b);
  return out;
}

int ingest_csv_select(ingest_ctx *cx, char **select, floe_err *err) {
  const floe_asset *a = cx->a;
  const floe_node *pn = floe_node_get(a->source, "path");
  const char *path = csv_path(cx);
  *select = NULL;
  if (!path) return ingest_fail_at(err, pn ? pn : a->source, "source.path: missing; expected the path of a CSV file");
  if (!floe_path_exists(path)) return ingest_fail_at(err, pn, "source.path: no such file %s", path);
  cx->label = floe_node_scalar(pn);
  cx->row_where = csv_row_where;
  int64_t line_size;
  int rc = csv_line_size(cx, &line_size, err);
  if (rc || (rc = csv_gunzip(cx, path, err))) return rc;
  path = csv_path(cx);
  struct stat st;
  if (stat(path, &st) == 0 && st.st_size == 0) cx->rows_known = 0;
  floe_buf opts;
  floe_buf_init(&opts, 0);
  floe_result *r0 = NULL, *r1 = NULL;
  floe_err e1 = {0};
  floe_buf_sql_str(&opts, path);
  floe_buf_printf(&opts, ", header=%s%s", csv_header(a) ? "true" : "false", csv_line_opt(cx));
  const char *delim = floe_node_scalar(floe_node_get(a->source, "delimiter"));
  if (delim) {
    floe_buf_puts(&opts, ", delim=");
    floe_buf_sql_str(&opts, delim);
  }
  if (cx->rows_known == 0) {
    *select = floe_arena_printf(cx->ar, "SELECT * FROM read_csv(%s)", floe_buf_str(&opts));
    goto out;
  }
  floe_engine *eng;
  if ((rc = floe_lake_engine(cx->lake, &eng, err))) goto out;
  /* The dialect and the columns. The sniffer gives up on a file whose records do not all split alike
   * (one bad line is enough): it fails, reads each line as one column, or skips lines down to the bad
   * one. Told to ignore errors it finds the dialect of the good lines instead, but takes lines above
   * the header for the header. So: the first, unless it failed, found one column or skipped lines and
   * the second reads more of the file. */
  int rc0 = csv_sniff(eng, floe_buf_str(&opts), &r0, err);
  size_t n0 = rc0 ? 0 : floe_result_nrows(r0);
  int64_t skip0 = n0 ? floe_result_i64(r0, S_SKIP, 0) : 0;
  floe_result *r = rc0 ? NULL : r0;
  struct ingest_csv *c = NULL;
  if (n0 < 2 || skip0 > 0) {
    floe_buf_puts(&opts, ", ignore_errors=true");
    size_t n1 = csv_sniff(eng, floe_buf_str(&opts), &r1, &e1) ? 0 : floe_result_nrows(r1);
    if (n0 < 2) {
      if (n1 > n0) r = r1;
    } else if (n1 >= 2) {
      struct ingest_csv *c0, *c1;
      if ((rc = csv_dialect(cx, eng, r0, delim, &c0, err)) || (rc = csv_dialect(cx, eng, r1, delim, &c1, err)))
        goto out;
      if (csv_fitting(cx, eng, c1) > csv_fitting(cx, eng, c0)) r = r1;
    }
  }
  if (!r) {
    err->code = rc = FLOE_EINPUT;
    ingest_csv_explain(cx, err);
    goto out;
  }
  floe_err_clear(err);
  if ((rc = csv_dialect(cx, eng, r, delim, &c, err)) || (rc = csv_hints(cx, r, err))) goto out;
  cx->csv = c;
  cx->typed_select = csv_typed_select;
  *select = floe_arena_printf(cx->ar, "SELECT * FROM read_csv(%s)", csv_read(cx, c));
out:
  if (!rc && !*select) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_result_free(r0);
  floe_result_free(r1);
  floe_buf_free(&opts);
  return rc;
}

/* ---- records that do not split into the header's fields */

bool ingest_csv_malformed_error(const ingest_ctx *cx, const floe_err *err) {
  return cx->csv && !cx->row_column && err && strstr(err->msg, "CSV Error on Line");
}

typedef struct csv_bad {
  int64_t pos;       /* byte offset of the record's first byte (DuckDB's, give or take one) */
  int64_t rec, line; /* from the walk: record number (the header counted) and physical line */
  int64_t start;     /* the walk's offset of the record */
  int64_t lines;     /* physical lines the record spans */
  const char *msg;   /* DuckDB's error message, first line (arena) */
  const char *text;  /* the record as DuckDB gives it (at most 10000 bytes), without blank lines before */
  bool open_quote;   /* a quote that does not close (at the end of the field): the record runs on to the
                      * next quote character, or to the end of the file */
} csv_bad;

struct pos_find {
  csv_bad *bad;
  size_t n, i;
  int64_t rec, line, start;
};

/* Gives each bad record the walk's record that starts at its offset (the last one starting before). */
static bool find_pos(void *arg, int64_t rec, int64_t line, int64_t off) {
  struct pos_find *f = arg;
  for (; f->i < f->n && off > f->bad[f->i].pos + 1; f->i++) {
    f->bad[f->i].rec = f->rec;
    f->bad[f->i].line = f->line;
    f->bad[f->i].start = f->start;
  }
  f->rec = rec;
  f->line = line;
  f->start = off;
  return f->i < f->n;
}

/* Reads d's file with DuckDB's store_rejects: *good rows read well; *bad (arena, in file order) the
 * records that do not, with their row numbers and lines from the walk. */
static int csv_scan(ingest_ctx *cx, floe_engine *eng, const struct ingest_csv *d, int64_t *good, csv_bad **bad,
                    size_t *nbad, floe_err *err) {
  floe_result *r = NULL;
  floe_buf q;
  floe_buf_init(&q, 0);
  *bad = NULL;
  *nbad = 0;
  int rc = floe_engine_exec(eng, "DROP TABLE IF EXISTS " CSV_ERRORS "; DROP TABLE IF EXISTS " CSV_SCANS, err);
  if (rc) goto out;
  /* (every column read: DuckDB checks UTF-8 only in the columns a query uses) */
  floe_buf_printf(&q,
                  "SELECT count(*), count(COLUMNS(*)) FROM read_csv(%s, store_rejects=true, rejects_table='" CSV_ERRORS
                  "', rejects_scan='" CSV_SCANS "')",
                  csv_read(cx, d));
  if ((rc = floe_engine_query(eng, floe_buf_str(&q), &r, err))) goto out;
  *good = floe_result_i64(r, 0, 0);
  floe_result_free(r);
  r = NULL;
  /* one row per record: DuckDB lists a record once per error */
  if ((rc = floe_engine_query(
           eng,
           "SELECT CAST(line_byte_position AS BIGINT), arg_min(error_message, coalesce(column_idx, 0)), "
           "arg_min(csv_line, coalesce(column_idx, 0)) FROM " CSV_ERRORS " GROUP BY line_byte_position ORDER BY 1",
           &r, err)))
    goto out;
  size_t n = floe_result_nrows(r);
  csv_bad *b = n ? floe_arena_alloc(cx->ar, n * sizeof *b) : NULL;
  if (n && !b) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    const char *m = floe_result_str(r, 1, i);
    b[i].msg = m ? floe_arena_strndup(cx->ar, m, strcspn(m, "\n")) : "bad record";
    const char *t = floe_result_str(r, 2, i);
    if (!t) t = "";
    size_t lead = strspn(t, "\r\n"), len = strlen(t + lead);
    while (len && (t[lead + len - 1] == '\n' || t[lead + len - 1] == '\r'))
      len--;
    b[i].lines = 1;
    for (size_t k = 0; k < len; k++)
      b[i].lines += t[lead + k] == '\n';
    b[i].text = floe_arena_strndup(cx->ar, t + lead, len);
    b[i].pos = floe_result_i64(r, 0, i) - 1 + (int64_t)lead; /* DuckDB's offset is one past the record's start */
    if (!b[i].msg || !b[i].text) {
      rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      goto out;
    }
    b[i].open_quote = strstr(b[i].msg, "unterminated quote") != NULL;
  }
  struct pos_find pf = {b, n, 0, 0, 0, 0};
  int64_t last = 0;
  if (csv_walk(d, find_pos, &pf, &last)) {
    rc = floe_err_set(err, FLOE_EIO, "cannot read %s", d->path);
    goto out;
  }
  for (; pf.i < n; pf.i++)
    b[pf.i].rec = pf.rec, b[pf.i].line = pf.line, b[pf.i].start = pf.start;
  if (n && b[n - 1].open_quote && last >= b[n - 1].line)
    b[n - 1].lines = last - b[n - 1].line + 1; /* its text may be cut */
  *bad = b;
  *nbad = n;
out:
  floe_result_free(r);
  floe_buf_free(&q);
  return rc;
}

/* Copies d's file into the staging directory with the first line of each of the n records at starts
 * (ascending offsets) replaced by a record with one field too many, which DuckDB refuses and the walk
 * counts as one record (one delimiter per column and an "x": a trailing delimiter alone DuckDB lets
 * pass), and points d at the copy. Line numbers do not change. */
static int csv_repair(ingest_ctx *cx, struct ingest_csv *d, const int64_t *starts, size_t n, int round, floe_err *err) {
  const char *path;
  int rc = ingest_stage_path(cx, floe_arena_printf(cx->ar, "repaired-%d.csv", round), &path, err);
  if (rc) return rc;
  FILE *in = fopen(d->path, "rb"), *out = in ? fopen(path, "wb") : NULL;
  if (!in || !out) {
    rc = floe_err_set(err, FLOE_EIO, "cannot %s %s", in ? "create" : "read", in ? path : d->path);
    goto done;
  }
  char buf[65536];
  size_t got, next = 0;
  int64_t off = 0;
  bool cutting = false, ok = true;
  while (ok && (got = fread(buf, 1, sizeof buf, in)) > 0) {
    for (size_t i = 0; i < got && ok; i++, off++) {
      if (!cutting && next < n && off == starts[next]) {
        for (size_t k = 0; k < d->nnames && ok; k++)
          ok = fputs(d->delims, out) >= 0;
        ok = ok && fputc('x', out) != EOF;
        cutting = true;
        next++;
      }
      if (cutting && (buf[i] == '\n' || buf[i] == '\r')) cutting = false;
      if (!cutting) ok = ok && fputc(buf[i], out) != EOF;
    }
  }
  if (fclose(out) || !ok || ferror(in)) rc = floe_err_set(err, FLOE_EIO, "cannot write %s", path);
  out = NULL;
  if (!rc && strncmp(d->path, cx->stage_dir, strlen(cx->stage_dir)) == 0) remove(d->path); /* the previous copy */
  if (!rc) d->path = path;
done:
  if (in) fclose(in);
  if (out) fclose(out);
  return rc;
}

/* Why DuckDB refused the record, in our words where we know its message. */
static const char *csv_why(ingest_ctx *cx, const csv_bad *b) {
  int want, found;
  long long max, size;
  if (sscanf(b->msg, "Expected Number of Columns: %d Found: %d", &want, &found) == 2)
    return floe_arena_printf(cx->ar, "expected %d field%s, found %d", want, want == 1 ? "" : "s", found);
  if (strstr(b->msg, "Invalid unicode")) return CSV_NOT_UTF8;
  if (sscanf(b->msg, "Maximum line size of %lld bytes exceeded. Actual Size:%lld", &max, &size) == 2)
    return floe_arena_printf(cx->ar,
                             "the row is %lld bytes long, more than the %lld bytes a CSV row may have (set "
                             "max_line_size: %lld or more in the asset's source: to read it)",
                             size, max, (size / 1000000 + 1) * 1000000);
  if (b->open_quote)
    return b->lines > 1
               ? floe_arena_printf(
                     cx->ar,
                     "unterminated quote: the quoted field does not close, so lines %lld-%lld are read as this one row",
                     (long long)b->line, (long long)(b->line + b->lines - 1))
               : "unterminated quote";
  return b->msg;
}

/* The first line of text, at most max bytes, not cutting a UTF-8 sequence (arena). */
static const char *first_line(ingest_ctx *cx, const char *text, size_t max) {
  size_t n = strcspn(text, "\r\n");
  if (n > max) {
    n = max;
    while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
      n--;
  }
  return floe_arena_strndup(cx->ar, text, n);
}

/* Lines whose unterminated quote ingest_csv_clean cuts off, so that the lines after them are read. */
#define CSV_MAX_REPAIRS 1000

typedef struct csv_cut {
  int64_t line;
  const char *text;
} csv_cut;

static int cut_cmp(const void *a, const void *b) {
  int64_t x = ((const csv_cut *)a)->line, y = ((const csv_cut *)b)->line;
  return x < y ? -1 : x > y;
}

/* 1. Reads the file again, DuckDB keeping apart the records it cannot split: *good rows read well, *bad
 * (arena, in file order) the others. A quote that does not close makes one record of the lines down to
 * the next quote character or the end of the file: the line it opens on is the bad one, so it is cut off
 * (in a copy) and the lines after it read again, as rows of their own; the cut lines are then reported as
 * they were. */
static int csv_find_bad(ingest_ctx *cx, floe_engine *eng, int64_t *good, csv_bad **bad, size_t *nbad, floe_err *err) {
  struct ingest_csv *c = cx->csv;
  int64_t *starts = NULL;
  csv_cut *cuts = NULL;
  size_t ncuts = 0;
  for (int round = 0;; round++) {
    int rc = csv_scan(cx, eng, c, good, bad, nbad, err);
    if (rc) {
      err->code = FLOE_EINPUT;
      ingest_csv_explain(cx, err);
      return FLOE_EINPUT;
    }
    size_t n = 0;
    for (size_t i = 0; i < *nbad; i++)
      n += (*bad)[i].open_quote && (*bad)[i].lines > 1;
    if (!n || ncuts + n > CSV_MAX_REPAIRS) break;
    if (!cuts && (!(cuts = floe_arena_alloc(cx->ar, CSV_MAX_REPAIRS * sizeof *cuts)) ||
                  !(starts = floe_arena_alloc(cx->ar, CSV_MAX_REPAIRS * sizeof *starts))))
      return floe_err_set(err, FLOE_ENOMEM, "out of memory");
    for (size_t i = 0, k = 0; i < *nbad; i++) {
      const csv_bad *b = &(*bad)[i];
      if (!b->open_quote || b->lines < 2) continue;
      starts[k++] = b->start;
      cuts[ncuts++] = (csv_cut){b->line, first_line(cx, b->text, 65536)};
    }
    if ((rc = csv_repair(cx, c, starts, n, round, err))) return rc;
  }
  if (ncuts) qsort(cuts, ncuts, sizeof *cuts, cut_cmp);
  for (size_t i = 0, k = 0; i < *nbad && k < ncuts; i++) { /* the cut lines, as they were */
    csv_bad *b = &(*bad)[i];
    while (k < ncuts && cuts[k].line < b->line)
      k++;
    if (k < ncuts && cuts[k].line == b->line) {
      b->msg = "unterminated quote (the lines after it are read as rows of their own)";
      b->text = cuts[k++].text;
      b->open_quote = false;
    }
  }
  return 0;
}

/* 2. The bad records for the rejects table, staged as NDJSON (row number, "line N: why", the text as the
 * record): cx->malformed_select reads them. */
static int csv_stage_bad(ingest_ctx *cx, const csv_bad *bad, size_t nbad, floe_err *err) {
  int64_t hdr = cx->csv->header ? 1 : 0;
  const char *path, *run = getenv("FLOE_RUN_ID");
  int rc = ingest_stage_path(cx, "bad.ndjson", &path, err);
  if (rc) return rc;
  FILE *f = fopen(path, "w");
  if (!f) return floe_err_set(err, FLOE_EIO, "cannot create %s", path);
  bool ok = true;
  for (size_t i = 0; i < nbad && ok; i++) {
    const char *why = floe_arena_printf(cx->ar, "line %lld: %s", (long long)bad[i].line, csv_why(cx, &bad[i]));
    json_t *o =
        json_pack("{s:s, s:I, s:s, s:s, s:s}", "source", cx->label, "row_number", (json_int_t)(bad[i].rec - hdr),
                  "reason", why ? why : "bad record", "record", bad[i].text, "run_id", run ? run : "");
    ok = o && !json_dumpf(o, f, JSON_COMPACT) && fputc('\n', f) != EOF;
    json_decref(o);
  }
  if (fclose(f) || !ok) return floe_err_set(err, FLOE_EIO, "cannot write %s", path);
  floe_buf q;
  floe_buf_init(&q, 0);
  floe_buf_puts(
      &q, "SELECT source, row_number, reason, record, run_id, CAST(now() AS TIMESTAMP) AS rejected_at FROM read_json(");
  floe_buf_sql_str(&q, path);
  floe_buf_puts(&q, ", format='newline_delimited', columns={'source': 'VARCHAR', 'row_number': 'BIGINT', 'reason': "
                    "'VARCHAR', 'record': 'VARCHAR', 'run_id': 'VARCHAR'})");
  cx->malformed_select = floe_arena_strdup(cx->ar, floe_buf_str(&q));
  floe_buf_free(&q);
  return cx->malformed_select ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

/* 3. The good rows staged as a plain CSV, each with its row number in the file (__floe_row): the k-th
 * good row is row k plus the number of bad rows before it, i.e. of bad rows with fewer than k good rows
 * before them. *select reads them, every column as text, the types sniffed again on them alone. */
static int csv_stage_good(ingest_ctx *cx, floe_engine *eng, int64_t good, char **select, floe_err *err) {
  const struct ingest_csv *c = cx->csv;
  floe_result *r = NULL;
  floe_buf q;
  floe_buf_init(&q, 0);
  const char *path;
  int rc = ingest_stage_path(cx, "good.csv", &path, err);
  /* (store_rejects, not ignore_errors: DuckDB 1.4 skips more after a quote that does not close with
   * the latter) */
  if (rc || (rc = floe_engine_exec(eng, "DROP TABLE IF EXISTS " CSV_ERRORS "; DROP TABLE IF EXISTS " CSV_SCANS, err)))
    goto out;
  floe_buf_puts(&q, "COPY (SELECT g.__floe_k + coalesce(m.j, 0) AS __floe_row, g.* EXCLUDE (__floe_k) FROM (SELECT "
                    "row_number() OVER () AS __floe_k, * FROM read_csv(");
  floe_buf_printf(&q,
                  "%s, store_rejects=true, rejects_table='" CSV_ERRORS "', rejects_scan='" CSV_SCANS
                  "')) AS g ASOF LEFT JOIN (SELECT row_number - j AS gap, max(j) AS j FROM (SELECT "
                  "row_number, row_number() OVER (ORDER BY row_number) AS j FROM (%s)) GROUP BY gap) AS m ON "
                  "g.__floe_k > m.gap ORDER BY 1) TO ",
                  csv_read(cx, c), cx->malformed_select);
  floe_buf_sql_str(&q, path);
  floe_buf_puts(&q, " (FORMAT csv, HEADER true)");
  if ((rc = floe_engine_query(eng, floe_buf_str(&q), &r, err))) {
    err->code = rc = FLOE_EINPUT;
    ingest_csv_explain(cx, err);
    goto out;
  }
  int64_t staged = floe_result_i64(r, 0, 0);
  floe_result_free(r);
  r = NULL;
  if (staged != good) { /* the file changed under us: no row may go missing */
    rc = floe_err_set(err, FLOE_EINPUT, "%s: %lld rows read well at first, %lld the second time; did the file change?",
                      cx->label, (long long)good, (long long)staged);
    goto out;
  }
  floe_buf_reset(&q); /* the types, sniffed again on the good rows alone */
  floe_buf_sql_str(&q, path);
  floe_buf_printf(&q, ", header=true, delim=',', quote='\"', escape='\"'%s", csv_line_opt(cx));
  floe_err e = {0};
  if (!csv_sniff(eng, floe_buf_str(&q), &r, &e) && (rc = csv_hints(cx, r, err))) goto out;
  floe_buf_reset(&q);
  floe_buf_puts(&q, "SELECT * FROM read_csv(");
  floe_buf_sql_str(&q, path);
  floe_buf_printf(&q, ", auto_detect=false, header=true, delim=',', quote='\"', escape='\"'%s", csv_line_opt(cx));
  if (strstr(c->args, "allow_quoted_nulls=false")) floe_buf_puts(&q, ", allow_quoted_nulls=false");
  floe_buf_puts(&q, ", columns={'__floe_row': 'BIGINT'");
  for (size_t i = 0; i < c->nnames; i++) {
    floe_buf_puts(&q, ", ");
    floe_buf_sql_str(&q, c->names[i] ? c->names[i] : "");
    floe_buf_puts(&q, ": 'VARCHAR'");
  }
  floe_buf_puts(&q, "})");
  if (!(*select = floe_arena_strdup(cx->ar, floe_buf_str(&q)))) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
out:
  floe_result_free(r);
  floe_buf_free(&q);
  return rc;
}

int ingest_csv_clean(ingest_ctx *cx, char **select, floe_err *err) {
  floe_engine *eng;
  int64_t good = 0;
  csv_bad *bad = NULL;
  size_t nbad = 0;
  int rc = floe_lake_engine(cx->lake, &eng, err);
  if (rc || (rc = csv_find_bad(cx, eng, &good, &bad, &nbad, err))) return rc;
  if (!nbad)
    return floe_err_set(err, FLOE_EINPUT, "%s: the file could not be read as CSV, but a second read found no bad line",
                        cx->label);
  if (!ingest_rejects_on(cx->a)) {
    /* the good rows are checked too (ingest_shape), so that the report names the first bad row of
     * either kind and counts both */
    cx->malformed_row = bad[0].rec - (cx->csv->header ? 1 : 0);
    cx->malformed_where = floe_arena_printf(cx->ar, " (line %lld)", (long long)bad[0].line);
    cx->malformed_why = floe_arena_printf(cx->ar, "%s — the line reads: %s", csv_why(cx, &bad[0]),
                                          first_line(cx, bad[0].text, 200));
  }
  if ((rc = csv_stage_bad(cx, bad, nbad, err))) return rc;
  cx->malformed = (int64_t)nbad;
  cx->rows_known = good;
  cx->row_column = "__floe_row";
  floe_buf_printf(&cx->meta, ",\"malformed_lines\":%zu", nbad);
  if (ingest_rejects_on(cx->a))
    fprintf(stderr, "floe: %s: %zu malformed line%s kept for the rejects table (first: line %lld: %s)\n", cx->label,
            nbad, nbad == 1 ? "" : "s", (long long)bad[0].line, csv_why(cx, &bad[0]));
  return good ? csv_stage_good(cx, eng, good, select, err) : 0;
}

/* ---- DuckDB's errors in the user's terms */

struct long_find {
  int64_t limit, start, line; /* the record being read: its offset and first line */
  int64_t bad_line, bad_len;  /* the first record longer than limit (bad_line 0: none) */
};

static bool find_long(void *arg, int64_t rec, int64_t line, int64_t off) {
  struct long_find *f = arg;
  (void)rec;
  if (f->start >= 0 && off - f->start > f->limit) {
    f->bad_line = f->line;
    f->bad_len = off - f->start;
    return false;
  }
  f->start = off;
  f->line = line;
  return true;
}

/* "<file>: line N: the row is B bytes, ..." when a record of the file is longer than the limit it is
 * read with (DuckDB's own message names a wrong line and is cut off by the line it quotes). */
static bool csv_long_record(ingest_ctx *cx, floe_err *err) {
  struct ingest_csv dflt = {.path = csv_path(cx), .delims = ",", .delim = ',', .quote = '"', .escape = '"'};
  const struct ingest_csv *d = cx->csv ? cx->csv : &dflt;
  struct long_find f = {csv_line_limit(cx), -1, 0, 0, 0};
  struct stat st;
  if (!d->path || csv_walk(d, find_long, &f, NULL) || stat(d->path, &st)) return false;
  if (!f.bad_line && f.start >= 0 && st.st_size - f.start > f.limit) f.bad_line = f.line, f.bad_len = st.st_size - f.start;
  if (!f.bad_line) return false;
  int64_t mb = 1000000, want = (f.bad_len / mb + 1) * mb;
  floe_err_set(err, FLOE_EINPUT,
               "%s: line %lld: the row is %lld bytes long, more than the %lld bytes a CSV row may have; set "
               "max_line_size: %lld (or more) in the asset's source: to read it",
               cx->label, (long long)f.bad_line, (long long)f.bad_len, (long long)f.limit, (long long)want);
  return true;
}

/* Rewrites a DuckDB error about the CSV file in err as "<file>: [line N: ]<what is wrong>", suggesting
 * only floe's options: a row longer than the limit, a record DuckDB refused on a line, a file whose
 * dialect the sniffer cannot find; anything else keeps DuckDB's reason without its advice. */
void ingest_csv_explain(ingest_ctx *cx, floe_err *err) {
  const char *m = err->msg;
  if (!cx->label || !csv_duck_error(cx->label, m)) return; /* floe's own message */
  if ((strstr(m, "Maximum line size") || strstr(m, "Original Line:")) && csv_long_record(cx, err)) return;
  char msg[sizeof err->msg];
  if (csv_error_on_line(cx->label, m, msg, sizeof msg)) {
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return;
  }
  if (strstr(m, "sniffing file") || strstr(m, "not possible to automatically detect")) {
    floe_err_set(err, FLOE_EINPUT,
                 "%s: cannot tell how the file splits into columns: no delimiter and quote give its lines the same "
                 "number of fields; check that it is CSV text, or set delimiter: (and header: false when the "
                 "first line is data) in the asset's source:",
                 cx->label);
    return;
  }
  csv_strip_advice(err->msg);
  size_t n = strlen(cx->label);
  if (strncmp(err->msg, cx->label, n) || strncmp(err->msg + n, ": ", 2)) floe_err_prefix(err, "%s: ", cx->label);
}
