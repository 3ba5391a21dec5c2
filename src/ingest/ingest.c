/* ingest.c — the built-in ingest step: read an asset's source, write its Iceberg table, report the
 * materialization (rows, snapshot id, table) as an event line. Sources are turned into a DuckDB SELECT
 * by a connector (csv.c); the lake does the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/ingest.h"
#include "floe/lake.h"
#include "ingest_int.h"

static const char *node_where(const floe_node *n, char *buf, size_t len) {
  if (n && n->file) snprintf(buf, len, "%s:%d:%d: ", n->file, n->line, n->col);
  else buf[0] = 0;
  return buf;
}

int ingest_fail_at(floe_err *err, const floe_node *n, const char *fmt, ...) {
  char where[512], msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return floe_err_set(err, FLOE_EINPUT, "%s%s", node_where(n, where, sizeof where), msg);
}

/* "a, b" or [a, b] -> "a, b" (arena). */
static const char *node_list_text(floe_arena *a, const floe_node *n) {
  if (!n || floe_node_is_null(n)) return NULL;
  if (n->type == FLOE_NODE_SCALAR) return n->str;
  if (n->type != FLOE_NODE_SEQ) return NULL;
  floe_buf b;
  floe_buf_init(&b, 0);
  for (size_t i = 0; i < n->len; i++) {
    if (i) floe_buf_puts(&b, ", ");
    floe_buf_puts(&b, n->items[i]->str ? n->items[i]->str : "");
  }
  const char *s = floe_arena_strdup(a, floe_buf_str(&b));
  floe_buf_free(&b);
  return s;
}

/* Connectors: each turns its source into a DuckDB SELECT (csv.c, files.c, command.c, http.c,
 * postgres.c); shape.c then checks and types the rows. */
static const struct {
  const char *type;
  int (*select)(ingest_ctx *cx, char **select, floe_err *err);
} connectors[] = {
    {"csv", ingest_csv_select},         {"ndjson", ingest_ndjson_select},       {"parquet", ingest_parquet_select},
    {"command", ingest_command_select}, {"http_json", ingest_http_select},      {"postgres", ingest_postgres_select},
};

static int ingest_run(const floe_project *p, const floe_asset *a, floe_lake_commit_info *info, ingest_ctx *cx,
                      floe_err *err);

int floe_ingest_run(const floe_project *p, const floe_asset *a, floe_lake_commit_info *info, floe_err *err) {
  floe_arena ar;
  floe_arena_init(&ar, 4096);
  ingest_ctx cx;
  ingest_ctx_init(&cx, p, a, &ar);
  int rc = ingest_run(p, a, info, &cx, err);
  ingest_ctx_free(&cx);
  floe_arena_free(&ar);
  return rc;
}

/* Checks and shapes the connector's rows and writes them (one snapshot), then the rejected rows. */
static int shape_and_write(ingest_ctx *cx, const char *table, char *select, floe_lake_commit_info *info,
                           floe_err *err) {
  const floe_asset *a = cx->a;
  floe_lake *l = cx->lake;
  floe_lake_write_opts o = {0};
  char *raw = select;
  size_t meta_len = cx->meta.len;
  int rc = ingest_shape(cx, l, table, &select, &o, err);
  if (rc) return rc;
  const char *mode = a->mode ? a->mode : "append";
  if (!strcmp(mode, "overwrite")) {
    o.mode = FLOE_LAKE_OVERWRITE;
  } else if (!strcmp(mode, "merge")) {
    /* Copy-on-write upsert: rows whose key appears in the new data are replaced. */
    floe_buf b;
    floe_buf_init(&b, 0);
    floe_buf_puts(&b, "(");
    for (size_t i = 0; i < a->nunique_key; i++) {
      if (i) floe_buf_puts(&b, ", ");
      floe_buf_sql_ident(&b, a->unique_key[i]);
    }
    floe_buf_puts(&b, ") IN (SELECT (");
    for (size_t i = 0; i < a->nunique_key; i++) {
      if (i) floe_buf_puts(&b, ", ");
      floe_buf_sql_ident(&b, a->unique_key[i]);
    }
    floe_buf_printf(&b, ") FROM (%s))", select);
    if (a->nunique_key == 1) { /* a single column is compared as a scalar, not a one-field row */
      floe_buf_reset(&b);
      floe_buf_sql_ident(&b, a->unique_key[0]);
      floe_buf_puts(&b, " IN (SELECT ");
      floe_buf_sql_ident(&b, a->unique_key[0]);
      floe_buf_printf(&b, " FROM (%s))", select);
    }
    o.replace_where = floe_arena_strdup(cx->ar, floe_buf_str(&b));
    floe_buf_free(&b);
  }
  /* source.replace_where (asset-level replace_where when the loader accepts it) */
  const floe_node *rw = floe_node_get(a->source, "replace_where");
  if (!rw) rw = floe_node_get(a->node, "replace_where");
  if (rw && floe_node_scalar(rw)) o.replace_where = floe_node_scalar(rw);
  if (a->partition) o.partition_by = node_list_text(cx->ar, a->partition);
  if (a->on_schema_change && !strcmp(a->on_schema_change, "fail")) o.no_evolve = true;
  rc = floe_lake_write(l, table, select, &o, info, err);
  if (rc && rc != FLOE_ENOMEM && cx->optimistic) {
    /* a value did not convert (or the write failed otherwise): again, checking every row, so the failure
     * names the first bad row or the bad rows go to the rejects table */
    floe_err_clear(err);
    cx->checked = true;
    if (cx->meta.p) cx->meta.p[cx->meta.len = meta_len] = 0;
    return shape_and_write(cx, table, raw, info, err);
  }
  if (rc == FLOE_EINPUT)
    floe_err_prefix(err, "%s: ", cx->label ? cx->label : "source");
  if (!rc) rc = ingest_write_rejects(cx, l, err);
  return rc;
}

/* Every line of the source was malformed: only the rejects table gets rows. */
static int only_rejects(ingest_ctx *cx, const char *table, floe_err *err) {
  cx->rows_read = cx->rows_rejected = cx->malformed;
  cx->rejects_select = cx->malformed_select;
  cx->rejects_table = ingest_rejects_table(cx, table);
  return ingest_write_rejects(cx, cx->lake, err);
}

static int ingest_run(const floe_project *p, const floe_asset *a, floe_lake_commit_info *info, ingest_ctx *cx,
                      floe_err *err) {
  memset(info, 0, sizeof *info);
  if (a->kind != FLOE_ASSET_INGEST || !a->source)
    return floe_err_set(err, FLOE_EINPUT, "asset '%s' is not an ingest asset (kind: ingest with source:)", a->key);
  const char *type = floe_node_scalar(floe_node_get(a->source, "type"));
  char *select = NULL;
  int rc;
  size_t ci = 0;
  while (type && ci < sizeof connectors / sizeof connectors[0] && strcmp(type, connectors[ci].type)) ci++;
  if (!type || ci == sizeof connectors / sizeof connectors[0])
    return ingest_fail_at(err, floe_node_get(a->source, "type"),
                          "source.type: unsupported source type '%s'; expected csv, ndjson, parquet, http_json, "
                          "postgres or command", type ? type : "");
  if ((rc = floe_lake_open_project(p, &cx->lake, err))) return rc;
  if ((rc = connectors[ci].select(cx, &select, err))) goto out;
  const char *table = a->table ? a->table : a->key;
  if (cx->rows_known == 0) { /* nothing to read: no snapshot, nothing to infer a schema from */
    cx->rows_read = 0;
    if (cx->malformed) rc = only_rejects(cx, table, err); /* every NDJSON line malformed */
    goto out;
  }
  size_t meta_len = cx->meta.len; /* the connector's metadata members; shape adds its own */
  rc = shape_and_write(cx, table, select, info, err);
  bool csv = rc && ingest_csv_malformed_error(cx, err);
  if (csv) {
    /* DuckDB refused a CSV record it cannot split into the header's fields: find the malformed lines,
     * then fail naming the first or, with rejects, load the others */
    floe_err_clear(err);
    cx->rows_read = cx->rows_rejected = 0;
    cx->rejects_table = cx->rejects_select = NULL;
    if (cx->meta.p) cx->meta.p[cx->meta.len = meta_len] = 0;
    if ((rc = ingest_csv_clean(cx, &select, err))) goto out;
    if (cx->rows_known == 0 && cx->malformed_row > 0) { /* every record malformed, no rejects: say so */
      rc = floe_err_set(err, FLOE_EINPUT,
                        "%s: row %lld%s: %s (%lld row%s of %lld do not fit; nothing was written — set rejects: true "
                        "on the asset to keep them in %s__rejects)",
                        cx->label, (long long)cx->malformed_row, cx->malformed_where, cx->malformed_why,
                        (long long)cx->malformed, cx->malformed == 1 ? "" : "s", (long long)cx->malformed, table);
      goto out;
    }
    if (cx->rows_known == 0) { /* every line malformed: only rejects */
      rc = only_rejects(cx, table, err);
      goto out;
    }
    rc = shape_and_write(cx, table, select, info, err);
  }
  if (rc == FLOE_EINPUT && !strcmp(type, "csv")) ingest_csv_explain(cx, err);
  if (rc == FLOE_EINPUT && cx->ndjson_path) ingest_ndjson_explain(cx, err);
out:
  floe_lake_close(cx->lake);
  cx->lake = NULL;
  return rc;
}

int floe_ingest_step(const floe_project *p, const floe_asset *a, const char *run_id, FILE *events, floe_err *err) {
  floe_lake_commit_info info;
  floe_arena ar;
  floe_arena_init(&ar, 4096);
  ingest_ctx cx;
  ingest_ctx_init(&cx, p, a, &ar);
  int rc = ingest_run(p, a, &info, &cx, err);
  if (rc) {
    if (cx.sec) { /* an error must not carry a secret (a URL with a token, a connection string) */
      const char *m = ingest_redact(&cx, err->msg);
      if (m != err->msg) snprintf(err->msg, sizeof err->msg, "%s", m);
    }
    ingest_ctx_free(&cx);
    floe_arena_free(&ar);
    return rc;
  }
  /* rows read = written + rejected; with merge, rows superseded by a later row of the same key too */
  int64_t rows_read = cx.rows_read >= 0 ? cx.rows_read : info.added_rows;
  int64_t rows_written = cx.rows_read >= 0 ? cx.rows_read - cx.rows_rejected : info.added_rows;
  if (a->mode && (!strcmp(a->mode, "merge") || !strcmp(a->mode, "replace_range")) && cx.rows_read < 0)
    rows_written = rows_read = info.added_rows;
  const char *table = a->table ? a->table : a->key;
  floe_buf b;
  floe_buf_init(&b, 0);
  floe_buf_printf(&b, "{\"type\":\"materialization\",\"metadata\":{\"rows\":%lld,\"snapshot_id\":%lld,\"table\":",
                  (long long)info.added_rows, (long long)info.snapshot_id);
  floe_buf_json_str(&b, table);
  floe_buf_printf(&b, ",\"total_rows\":%lld,\"deleted_rows\":%lld,\"mode\":", (long long)info.total_rows,
                  (long long)info.deleted_rows);
  floe_buf_json_str(&b, a->mode ? a->mode : "append");
  floe_buf_printf(&b, ",\"rows_read\":%lld,\"rows_written\":%lld,\"rows_rejected\":%lld", (long long)rows_read,
                  (long long)rows_written, (long long)cx.rows_rejected);
  if (cx.rejects_table) {
    floe_buf_puts(&b, ",\"rejects_table\":");
    floe_buf_json_str(&b, cx.rejects_table);
  }
  floe_buf_puts(&b, floe_buf_str(&cx.meta));
  floe_buf_puts(&b, "}}\n");
  if (events) {
    fputs(floe_buf_str(&b), events);
    fflush(events);
  }
  floe_buf_free(&b);
  printf("%s: %lld rows read, %lld written, %lld rejected (snapshot %lld, %lld rows in the table)\n", table,
         (long long)rows_read, (long long)rows_written, (long long)cx.rows_rejected, (long long)info.snapshot_id,
         (long long)info.total_rows);
  if (cx.rejects_table)
    printf("%s: %lld rejected rows with their reasons in %s\n", table, (long long)cx.rows_rejected, cx.rejects_table);
  fflush(stdout);
  ingest_ctx_free(&cx);
  floe_arena_free(&ar);
  (void)run_id;
  return 0;
}
