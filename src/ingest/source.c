/* source.c — what every connector shares: the ingest context (arena, secrets, staging directory,
 * counters), option helpers that report errors at the option's file:line:col, and the SELECT over a
 * file a connector staged (NDJSON, CSV or Parquet). */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "floe/engine.h"
#include "floe/ingest.h"
#include "ingest_int.h"

void ingest_ctx_init(ingest_ctx *cx, const floe_project *p, const floe_asset *a, floe_arena *ar) {
  memset(cx, 0, sizeof *cx);
  cx->p = p;
  cx->a = a;
  cx->ar = ar;
  cx->rows_known = -1;
  floe_buf_init(&cx->meta, 0);
}

void ingest_ctx_free(ingest_ctx *cx) {
  if (cx->stage_dir && !getenv("FLOE_KEEP_STAGING")) floe_rmtree(cx->stage_dir);
  cx->stage_dir = NULL;
  floe_secrets_close(cx->sec);
  cx->sec = NULL;
  floe_buf_free(&cx->meta);
}

int ingest_stage_path(ingest_ctx *cx, const char *name, const char **path, floe_err *err) {
  if (!cx->stage_dir) {
    const char *base = floe_path_join(cx->ar, cx->p->home, "tmp");
    int rc = floe_mkdirs(base, 0700, err);
    if (rc) return rc;
    char *tmpl = floe_arena_printf(cx->ar, "%s/ingest-XXXXXX", base);
    if (!tmpl) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
    if (!mkdtemp(tmpl)) return floe_err_set(err, FLOE_EIO, "cannot create a staging directory in %s: %s", base, strerror(errno));
    cx->stage_dir = tmpl;
  }
  *path = floe_path_join(cx->ar, cx->stage_dir, name);
  return *path ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

int ingest_value(ingest_ctx *cx, const floe_node *n, const char *what, const char **out, floe_err *err) {
  *out = NULL;
  if (!n || floe_node_is_null(n)) return 0;
  if (n->type == FLOE_NODE_SCALAR) {
    *out = n->str;
    return 0;
  }
  const floe_node *ref = n->type == FLOE_NODE_MAP ? floe_node_get(n, "secret") : NULL;
  if (!ref || !floe_node_scalar(ref) || n->len != 1)
    return ingest_fail_at(err, n, "%s: expected a string or {secret: group.key}", what);
  char group[128], key[128];
  int rc = floe_secrets_split_ref(ref->str, group, key, sizeof group, err);
  if (rc) return ingest_fail_at(err, ref, "%s: %s", what, err->msg);
  if (!cx->sec && (rc = floe_secrets_open(cx->p, &cx->sec, err))) return rc;
  rc = floe_secrets_resolve(cx->sec, group, key, out, err);
  if (rc) floe_err_prefix(err, "%s (%s:%d:%d): ", what, ref->file ? ref->file : "", ref->line, ref->col);
  return rc;
}

const char *ingest_redact(ingest_ctx *cx, const char *text) {
  if (!text) return NULL;
  if (!cx->sec || !floe_secrets_count(cx->sec)) return text;
  floe_buf b;
  floe_buf_init(&b, 0);
  const char *r = text;
  if (floe_secrets_redact(cx->sec, text, strlen(text), &b) == 0) r = floe_arena_strdup(cx->ar, floe_buf_str(&b));
  floe_buf_free(&b);
  return r ? r : "(redacted)";
}

int ingest_num(const floe_node *n, const char *what, double def, double *out, floe_err *err) {
  *out = def;
  if (!n || floe_node_is_null(n)) return 0;
  const char *s = floe_node_scalar(n);
  char *end = NULL;
  double v = s ? strtod(s, &end) : 0;
  if (!s || end == s || *end || v < 0) {
    char found[128];
    return ingest_fail_at(err, n, "%s: expected a number >= 0, found %s", what, floe_node_describe(n, found, sizeof found));
  }
  *out = v;
  return 0;
}

bool ingest_bool(const floe_node *n, bool def) {
  const char *s = floe_node_scalar(n);
  if (!s) return def;
  if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1") || !strcasecmp(s, "on")) return true;
  if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0") || !strcasecmp(s, "off")) return false;
  return def;
}

const char *ingest_duck_type(const char *t) { return floe_ingest_column_type(t); }

/* Reads the first bytes of a staged file to tell its format. */
static const char *sniff_format(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return "ndjson";
  unsigned char b[64];
  size_t n = fread(b, 1, sizeof b, f);
  fclose(f);
  if (n >= 4 && !memcmp(b, "PAR1", 4)) return "parquet";
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return "ndjson"; /* gzip: NDJSON */
  for (size_t i = 0; i < n; i++) {
    if (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') continue;
    return b[i] == '{' || b[i] == '[' ? "ndjson" : "csv";
  }
  return "ndjson";
}

int ingest_staged_select(ingest_ctx *cx, const char *path, const char *format, char **select, floe_err *err) {
  if (!format) format = sniff_format(path);
  floe_buf b;
  floe_buf_init(&b, 0);
  if (!strcmp(format, "parquet")) {
    floe_buf_puts(&b, "SELECT * FROM read_parquet(");
    floe_buf_sql_str(&b, path);
    floe_buf_puts(&b, ", union_by_name=true)");
  } else if (!strcmp(format, "csv")) {
    floe_buf_puts(&b, "SELECT * FROM read_csv(");
    floe_buf_sql_str(&b, path);
    floe_buf_puts(&b, ", header=true, union_by_name=true)");
  } else if (!strcmp(format, "ndjson") || !strcmp(format, "json") || !strcmp(format, "jsonl")) {
    floe_buf_free(&b); /* every line checked first (files.c) */
    return ingest_ndjson_checked_select(cx, path, select, err);
  } else {
    floe_buf_free(&b);
    return ingest_fail_at(err, floe_node_get(cx->a->source, "format"),
                          "source.format: unknown format '%s'; expected ndjson, csv or parquet", format);
  }
  *select = floe_arena_strdup(cx->ar, floe_buf_str(&b));
  floe_buf_free(&b);
  return *select ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

bool ingest_rejects_on(const floe_asset *a) {
  return a->rejects && (ingest_bool(a->rejects, false) ||
                        (a->rejects->type == FLOE_NODE_MAP && ingest_bool(floe_node_get(a->rejects, "enabled"), true)));
}

/* ---- checks `defs validate` makes before any run */

int floe_ingest_source_warnings(const floe_project *p, floe_arena *a, floe_vec *out, floe_err *err) {
  for (size_t i = 0; i < p->nassets; i++) {
    const floe_asset *as = p->assets[i];
    const char *type = as->kind == FLOE_ASSET_INGEST ? floe_node_scalar(floe_node_get(as->source, "type")) : NULL;
    if (!type || (strcmp(type, "csv") && strcmp(type, "ndjson") && strcmp(type, "parquet"))) continue;
    const floe_node *pn = floe_node_get(as->source, "path");
    const char *path = floe_node_scalar(pn);
    if (!path) continue;
    const char *full = path[0] == '/' ? path : floe_path_join(a, p->dir, path);
    glob_t g;
    int gr = full ? glob(full, 0, NULL, &g) : GLOB_NOSPACE;
    if (gr == 0) globfree(&g);
    if (gr == 0 || gr == GLOB_NOSPACE) continue;
    char *w = floe_arena_printf(a, "%s:%d:%d: asset '%s': source.path: no file matches %s (yet: the step fails "
                                   "unless something creates it before the run)", pn->file, pn->line, pn->col,
                                as->key, path);
    if (!w || floe_vec_push(out, w)) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  return 0;
}
