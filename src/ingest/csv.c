/* csv.c — the csv source: `source: {type: csv, path: data/x.csv, header: true, delimiter: ","}` with
 * optional `columns: {name: type}` overriding the inferred types.
 *
 * DuckDB's sniffer infers the dialect and the column types from a sample of the file. So that every row
 * goes through the same checks as the other sources (shape.c: a value that does not convert fails the
 * step naming the row, or goes to <table>__rejects), columns are read as text and cast by shape.c to the
 * declared type, else the table's, else the sniffed one. Dates and timestamps in a format other than
 * ISO 8601 (a sniffed dateformat) are parsed by DuckDB itself; a bad one fails the read and
 * ingest_csv_explain names the line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "floe/engine.h"
#include "ingest_int.h"

static const char *csv_path(ingest_ctx *cx) {
  const char *path = floe_node_scalar(floe_node_get(cx->a->source, "path"));
  if (!path) return NULL;
  if (path[0] == '/') return path;
  return floe_path_join(cx->ar, cx->p->dir, path);
}

static bool csv_header(const floe_asset *a) {
  return ingest_bool(floe_node_get(a->source, "header"), true);
}

/* The physical line (1-based) where data row `row` starts: quoted fields may span lines and blank
 * lines are skipped, as DuckDB reads them. -1 when the file has fewer rows. */
static int64_t csv_row_line(const char *path, bool header, int64_t row) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  int64_t want = row + (header ? 1 : 0), rec = 0, line = 1, start = 1, found = -1;
  bool inq = false, content = false;
  char buf[65536];
  size_t n;
  while (found < 0 && (n = fread(buf, 1, sizeof buf, f)) > 0) {
    for (size_t i = 0; i < n && found < 0; i++) {
      char c = buf[i];
      if (c == '\n') line++;
      if (inq) {
        if (c == '"') inq = false; /* a doubled quote toggles twice */
        continue;
      }
      if (c == '\n') {
        if (content && ++rec == want) found = start;
        content = false;
      } else if (c != '\r') {
        if (!content) start = line;
        content = true;
        if (c == '"') inq = true;
      }
    }
  }
  if (found < 0 && content && ++rec == want) found = start;
  fclose(f);
  return found;
}

static const char *csv_row_where(ingest_ctx *cx, int64_t row) {
  const char *path = csv_path(cx);
  int64_t line = path ? csv_row_line(path, csv_header(cx->a), row) : -1;
  return line > 0 ? floe_arena_printf(cx->ar, " (line %lld)", (long long)line) : "";
}

static bool same_type(const char *a, const char *b) {
  return !strcasecmp(a, b) || (!strcasecmp(a, "TIMESTAMPTZ") && !strcasecmp(b, "TIMESTAMP WITH TIME ZONE")) ||
         (!strcasecmp(b, "TIMESTAMPTZ") && !strcasecmp(a, "TIMESTAMP WITH TIME ZONE"));
}

int ingest_csv_select(ingest_ctx *cx, char **select, floe_err *err) {
  const floe_asset *a = cx->a;
  const floe_node *pn = floe_node_get(a->source, "path");
  const char *path = csv_path(cx);
  if (!path) return ingest_fail_at(err, pn ? pn : a->source, "source.path: missing; expected the path of a CSV file");
  if (!floe_path_exists(path)) return ingest_fail_at(err, pn, "source.path: no such file %s", path);
  cx->label = floe_node_scalar(pn);
  cx->row_where = csv_row_where;
  struct stat st;
  if (stat(path, &st) == 0 && st.st_size == 0) cx->rows_known = 0;
  floe_buf opts, b;
  floe_buf_init(&opts, 0);
  floe_buf_init(&b, 0);
  floe_result *r = NULL;
  int rc = 0;
  floe_buf_sql_str(&opts, path);
  floe_buf_printf(&opts, ", header=%s", csv_header(a) ? "true" : "false");
  const char *delim = floe_node_scalar(floe_node_get(a->source, "delimiter"));
  if (delim) {
    floe_buf_puts(&opts, ", delim=");
    floe_buf_sql_str(&opts, delim);
  }
  floe_buf_printf(&b, "SELECT * FROM read_csv(%s", floe_buf_str(&opts));
  if (cx->rows_known == 0) goto out;
  /* the sniffed columns, and the date / timestamp formats DuckDB detected */
  floe_engine *eng;
  if ((rc = floe_lake_engine(cx->lake, &eng, err))) goto out;
  floe_buf q;
  floe_buf_init(&q, 0);
  floe_buf_printf(&q,
                  "SELECT c.name, c.type, DateFormat, TimestampFormat FROM (SELECT unnest(Columns) AS c, DateFormat, "
                  "TimestampFormat FROM sniff_csv(%s))",
                  floe_buf_str(&opts));
  rc = floe_engine_query(eng, floe_buf_str(&q), &r, err);
  floe_buf_free(&q);
  if (rc) {
    err->code = rc = FLOE_EINPUT;
    floe_err_prefix(err, "%s: ", cx->label);
    goto out;
  }
  const floe_node *decl = a->columns ? a->columns : floe_node_get(a->source, "columns");
  size_t n = floe_result_nrows(r), ntypes = 0;
  cx->hints = floe_arena_alloc(cx->ar, (n + 1) * sizeof *cx->hints);
  if (!cx->hints) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    const char *name = floe_arena_strdup(cx->ar, floe_result_str(r, 0, i)); /* result strings are reused */
    const char *sniffed = floe_arena_strdup(cx->ar, floe_result_str(r, 1, i));
    if (!name || !sniffed) continue;
    const char *dt = decl && decl->type == FLOE_NODE_MAP ? floe_node_scalar(floe_node_get(decl, name)) : NULL;
    const char *want = dt ? ingest_duck_type(dt) : sniffed;
    if (!want) want = "VARCHAR"; /* an unknown declared type: shape.c reports it at the option */
    bool is_date = same_type(want, "DATE"), is_ts = !strncasecmp(want, "TIMESTAMP", 9);
    const char *read_as = "VARCHAR";
    if ((is_date && !floe_result_isnull(r, 2, i)) || (is_ts && !floe_result_isnull(r, 3, i)))
      read_as = want; /* a non-ISO format only DuckDB's CSV parser knows */
    else if (!dt && same_type(want, "VARCHAR"))
      continue;
    else if (!dt)
      cx->hints[cx->nhints++] = (ingest_hint){name, want};
    floe_buf_puts(&b, ntypes++ ? ", " : ", types={");
    floe_buf_sql_str(&b, name);
    floe_buf_puts(&b, ": ");
    floe_buf_sql_str(&b, read_as);
  }
  if (ntypes) floe_buf_puts(&b, "}");
out:
  floe_buf_puts(&b, ")");
  if (!rc && !(*select = floe_arena_strdup(cx->ar, floe_buf_str(&b)))) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_result_free(r);
  floe_buf_free(&opts);
  floe_buf_free(&b);
  return rc;
}

/* DuckDB says: "Invalid Input Error: CSV Error on Line: 4\nOriginal Line: x3,c\nExpected Number of Columns: 3
 * Found: 2\n..." (a row with the wrong number of fields, an unterminated quote, a bad non-ISO date). */
void ingest_csv_explain(ingest_ctx *cx, floe_err *err) {
  const char *m = err->msg;
  const char *line = strstr(m, "CSV Error on Line: ");
  const char *src = floe_node_scalar(floe_node_get(cx->a->source, "path"));
  if (!src || !line) return;
  long ln = strtol(line + 19, NULL, 10);
  const char *why = strstr(m, "Error when converting");
  if (!why) {
    why = strchr(line, '\n');
    while (why && *why == '\n') why++;
    if (why && !strncmp(why, "Original Line:", 14)) why = strchr(why, '\n');
    while (why && *why == '\n') why++;
  }
  const char *orig = strstr(m, "Original Line: ");
  char orig_s[256] = "", reason[1024] = "";
  if (orig) {
    orig += 15;
    const char *e = strchr(orig, '\n');
    snprintf(orig_s, sizeof orig_s, "%.*s", (int)(e ? e - orig : (long)strlen(orig)), orig);
  }
  const char *e = why ? strchr(why, '\n') : NULL;
  snprintf(reason, sizeof reason, "%.*s", why ? (int)(e ? e - why : (long)strlen(why)) : 0, why ? why : "");
  char msg[sizeof err->msg];
  snprintf(msg, sizeof msg, "%s: line %ld: %s%s%s", src, ln, reason[0] ? reason : "bad row",
           orig_s[0] ? " — the line reads: " : "", orig_s);
  snprintf(err->msg, sizeof err->msg, "%s", msg);
}
