/* csv.c — the csv source: `source: {type: csv, path: data/x.csv, header: true, delimiter: ","}` with
 * optional `columns: {name: type}` (Iceberg type names) overriding the inferred types. DuckDB's
 * read_csv does the parsing and type inference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/engine.h"
#include "ingest_int.h"

static const char *csv_path(const floe_project *p, const floe_asset *a, floe_arena *ar) {
  const char *path = floe_node_scalar(floe_node_get(a->source, "path"));
  if (!path) return NULL;
  if (path[0] == '/') return path;
  return floe_path_join(ar, p->dir, path);
}

static const char *duck_type_for(const char *t) {
  static const struct {
    const char *iceberg, *duck;
  } map[] = {{"boolean", "BOOLEAN"}, {"bool", "BOOLEAN"}, {"int", "INTEGER"},     {"integer", "INTEGER"},
             {"long", "BIGINT"},     {"bigint", "BIGINT"}, {"float", "FLOAT"},    {"double", "DOUBLE"},
             {"string", "VARCHAR"},  {"varchar", "VARCHAR"}, {"text", "VARCHAR"}, {"date", "DATE"},
             {"timestamp", "TIMESTAMP"}, {"timestamptz", "TIMESTAMPTZ"}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcasecmp(t, map[i].iceberg)) return map[i].duck;
  if (!strncasecmp(t, "decimal(", 8)) return t;
  return NULL;
}

int ingest_csv_select(const floe_project *p, const floe_asset *a, floe_arena *ar, char **select, floe_err *err) {
  const floe_node *pn = floe_node_get(a->source, "path");
  const char *path = csv_path(p, a, ar);
  if (!path) return ingest_fail_at(err, pn ? pn : a->source, "source.path: missing; expected the path of a CSV file");
  if (!floe_path_exists(path))
    return ingest_fail_at(err, pn, "source.path: no such file %s", path);
  floe_buf b;
  floe_buf_init(&b, 0);
  floe_buf_puts(&b, "SELECT * FROM read_csv(");
  floe_buf_sql_str(&b, path);
  const floe_node *h = floe_node_get(a->source, "header");
  const char *hs = h ? floe_node_scalar(h) : NULL;
  bool header = !(hs && (!strcmp(hs, "false") || !strcmp(hs, "no")));
  floe_buf_printf(&b, ", header=%s", header ? "true" : "false");
  const char *delim = floe_node_scalar(floe_node_get(a->source, "delimiter"));
  if (delim) {
    floe_buf_puts(&b, ", delim=");
    floe_buf_sql_str(&b, delim);
  }
  const floe_node *cols = a->columns ? a->columns : floe_node_get(a->source, "columns");
  if (cols && cols->type == FLOE_NODE_MAP && cols->len) {
    floe_buf_puts(&b, ", types={");
    for (size_t i = 0; i < cols->len; i++) {
      const char *t = floe_node_scalar(cols->items[i]);
      const char *d = t ? duck_type_for(t) : NULL;
      if (!d) {
        floe_buf_free(&b);
        return ingest_fail_at(err, cols->items[i],
                              "columns.%s: unknown type '%s'; expected boolean, int, long, float, double, string, "
                              "date, timestamp, timestamptz or decimal(P,S)",
                              cols->keys[i], t ? t : "");
      }
      if (i) floe_buf_puts(&b, ", ");
      floe_buf_sql_str(&b, cols->keys[i]);
      floe_buf_puts(&b, ": ");
      floe_buf_sql_str(&b, d);
    }
    floe_buf_puts(&b, "}");
  }
  floe_buf_puts(&b, ")");
  *select = floe_arena_strdup(ar, floe_buf_str(&b));
  floe_buf_free(&b);
  return 0;
}

/* DuckDB says: "Conversion Error: CSV Error on Line: 4\nOriginal Line: x3,c,3\nError when converting
 * column "id". Could not convert string "x3" to 'BIGINT'\n..." */
void ingest_csv_explain(const floe_project *p, const floe_asset *a, floe_err *err) {
  const char *m = err->msg;
  const char *line = strstr(m, "CSV Error on Line: ");
  const char *src = floe_node_scalar(floe_node_get(a->source, "path"));
  if (!src) return;
  char reason[1024] = "";
  if (line) {
    long ln = strtol(line + 19, NULL, 10);
    const char *why = strstr(m, "Error when converting");
    if (!why) {
      why = strchr(line, '\n');
      while (why && *why == '\n') why++;
      if (why && !strncmp(why, "Original Line:", 14)) why = strchr(why, '\n');
      while (why && *why == '\n') why++;
    }
    const char *orig = strstr(m, "Original Line: ");
    char orig_s[256] = "";
    if (orig) {
      orig += 15;
      const char *e = strchr(orig, '\n');
      snprintf(orig_s, sizeof orig_s, "%.*s", (int)(e ? e - orig : (long)strlen(orig)), orig);
    }
    const char *e = why ? strchr(why, '\n') : NULL;
    snprintf(reason, sizeof reason, "%.*s", why ? (int)(e ? e - why : (long)strlen(why)) : 0, why ? why : "");
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s: line %ld (row %ld): %s%s%s%s", src, ln, ln - 1, reason[0] ? reason : "bad row",
             orig_s[0] ? " — the line reads: " : "", orig_s, "");
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return;
  }
  /* Other read errors: keep DuckDB's first line, naming the file. */
  const char *nl = strchr(m, '\n');
  char msg[sizeof err->msg];
  snprintf(msg, sizeof msg, "%s: %.*s", src, (int)(nl ? nl - m : (long)strlen(m)), m);
  snprintf(err->msg, sizeof err->msg, "%s", msg);
  (void)p;
}
