/* files.c — the file sources: `ndjson` (optionally gzip-compressed, detected by DuckDB) and `parquet`,
 * by path or glob (`data/events-*.ndjson.gz`), relative to the project directory. A glob that matches
 * nothing is an error at the path option, never an empty load. */
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "floe/engine.h"
#include "ingest_int.h"

/* Resolves source.path (absolute or project-relative) and checks it matches at least one file. */
static int source_path(ingest_ctx *cx, const char *what, const char **out, bool *empty, floe_err *err) {
  const floe_node *pn = floe_node_get(cx->a->source, "path");
  const char *path = floe_node_scalar(pn);
  if (!path)
    return ingest_fail_at(err, pn ? pn : cx->a->source, "source.path: missing; expected the path or glob of %s files",
                          what);
  const char *full = path[0] == '/' ? path : floe_path_join(cx->ar, cx->p->dir, path);
  glob_t g;
  int gr = glob(full, 0, NULL, &g);
  size_t n = gr == 0 ? g.gl_pathc : 0;
  int64_t bytes = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (stat(g.gl_pathv[i], &st) == 0) bytes += st.st_size;
  }
  if (gr == 0) globfree(&g);
  if (!n) return ingest_fail_at(err, pn, "source.path: no file matches %s", full);
  *empty = bytes == 0;
  *out = full;
  cx->label = path;
  floe_buf_printf(&cx->meta, ",\"files\":%zu", n);
  return 0;
}

int ingest_ndjson_select(ingest_ctx *cx, char **select, floe_err *err) {
  const char *path;
  bool empty;
  int rc = source_path(cx, "NDJSON", &path, &empty, err);
  if (rc) return rc;
  if (empty) cx->rows_known = 0;
  return ingest_staged_select(cx, path, "ndjson", select, err);
}

int ingest_parquet_select(ingest_ctx *cx, char **select, floe_err *err) {
  const char *path;
  bool empty;
  int rc = source_path(cx, "Parquet", &path, &empty, err);
  if (rc) return rc;
  return ingest_staged_select(cx, path, "parquet", select, err);
}

/* ---- malformed NDJSON lines. DuckDB's read_json stops at the first line that does not parse (and its
 * line number counts differently), so when it does, the files are read again here, line by line. */

bool ingest_ndjson_malformed_error(const ingest_ctx *cx, const floe_err *err) {
  return cx->ndjson_path && !cx->row_column && err &&
         (strstr(err->msg, "Malformed JSON") || strstr(err->msg, "expected records, but got non-record JSON"));
}

/* Reads one line of any length into *line (malloc'd, grown as needed); false at end of file. */
static bool gz_line(gzFile f, char **line, size_t *cap, size_t *len) {
  size_t n = 0;
  for (;;) {
    if (*cap - n < 2) {
      size_t nc = *cap ? *cap * 2 : 65536;
      char *p = realloc(*line, nc);
      if (!p) return false;
      *line = p;
      *cap = nc;
    }
    if (!gzgets(f, *line + n, (int)(*cap - n > INT32_MAX ? INT32_MAX : *cap - n))) break;
    n += strlen(*line + n);
    if (n && (*line)[n - 1] == '\n') break;
  }
  *len = n;
  return n > 0;
}

/* "data/x.ndjson" for a file under the project directory, else the path. */
static const char *shown_path(ingest_ctx *cx, const char *path) {
  size_t n = strlen(cx->p->dir);
  return !strncmp(path, cx->p->dir, n) && path[n] == '/' ? path + n + 1 : path;
}

int ingest_ndjson_clean(ingest_ctx *cx, char **select, floe_err *err) {
  const char *good_path, *bad_path;
  int rc;
  if ((rc = ingest_stage_path(cx, "clean.ndjson", &good_path, err)) ||
      (rc = ingest_stage_path(cx, "malformed.ndjson", &bad_path, err)))
    return rc;
  bool keep = ingest_rejects_on(cx->a);
  glob_t g;
  if (glob(cx->ndjson_path, 0, NULL, &g) != 0)
    return floe_err_set(err, FLOE_EINPUT, "%s: no file matches", cx->label ? cx->label : cx->ndjson_path);
  FILE *good = fopen(good_path, "w"), *bad = fopen(bad_path, "w");
  char *line = NULL, first[1200] = "";
  size_t cap = 0, len;
  int64_t row = 0, ngood = 0, nbad = 0;
  const char *run = getenv("FLOE_RUN_ID");
  if (!good || !bad) {
    rc = floe_err_set(err, FLOE_EIO, "cannot create %s: %s", good ? bad_path : good_path, strerror(errno));
    goto out;
  }
  for (size_t fi = 0; fi < g.gl_pathc; fi++) {
    gzFile f = gzopen(g.gl_pathv[fi], "rb"); /* reads plain files as they are */
    if (!f) {
      rc = floe_err_set(err, FLOE_EIO, "cannot read %s: %s", g.gl_pathv[fi], strerror(errno));
      goto out;
    }
    for (int64_t ln = 1; gz_line(f, &line, &cap, &len); ln++) {
      row++;
      while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
      size_t sp = strspn(line, " \t");
      if (sp == len) continue; /* a blank line is no record */
      json_error_t je;
      json_t *v = json_loadb(line, len, JSON_DECODE_ANY, &je);
      if (json_is_object(v)) {
        const char *body = line + sp + 1; /* after '{': the row number goes first */
        body += strspn(body, " \t");
        fprintf(good, "{\"__floe_row\":%lld%s%s\n", (long long)row, *body == '}' ? "" : ",", body);
        ngood++;
      } else {
        char why[700];
        if (v) snprintf(why, sizeof why, "line %lld of %s: not a JSON object", (long long)ln, shown_path(cx, g.gl_pathv[fi]));
        else
          snprintf(why, sizeof why, "line %lld of %s: malformed JSON at column %d: %s", (long long)ln,
                   shown_path(cx, g.gl_pathv[fi]), je.column, je.text);
        if (!nbad) snprintf(first, sizeof first, "%s", why);
        nbad++;
        if (keep) {
          json_t *o = json_pack("{s:s, s:I, s:s, s:s%, s:s}", "source", cx->label ? cx->label : cx->ndjson_path,
                                "row_number", (json_int_t)row, "reason", why, "record", line,
                                len > 65536 ? (size_t)65536 : len, "run_id", run ? run : "");
          if (!o || json_dumpf(o, bad, JSON_COMPACT) || fputc('\n', bad) == EOF) rc = floe_err_set(err, FLOE_EIO, "cannot write %s", bad_path);
          json_decref(o);
        }
      }
      json_decref(v);
      if (rc) break;
    }
    gzclose(f);
    if (rc) goto out;
  }
  if (!nbad) { /* DuckDB refused something this reader accepts: keep its message */
    rc = floe_err_set(err, FLOE_EINPUT, "%s: DuckDB reports malformed JSON that no line shows; read it with a JSON tool",
                      cx->label ? cx->label : cx->ndjson_path);
    goto out;
  }
  if (!keep) {
    rc = floe_err_set(err, FLOE_EINPUT,
                      "%s (%lld malformed line%s of %lld; nothing was written — set rejects: true on the asset to load "
                      "the others and keep these in %s__rejects)",
                      first, (long long)nbad, nbad == 1 ? "" : "s", (long long)(ngood + nbad),
                      cx->a->table ? cx->a->table : cx->a->key);
    goto out;
  }
  if (fclose(good) | fclose(bad)) {
    good = bad = NULL;
    rc = floe_err_set(err, FLOE_EIO, "cannot write the staged lines in %s", cx->stage_dir);
    goto out;
  }
  good = bad = NULL;
  cx->malformed = nbad;
  cx->rows_known = ngood;
  cx->row_column = "__floe_row";
  floe_buf b;
  floe_buf_init(&b, 0);
  floe_buf_puts(&b, "SELECT source, row_number, reason, record, run_id, CAST(now() AS TIMESTAMP) AS rejected_at FROM read_json(");
  floe_buf_sql_str(&b, bad_path);
  floe_buf_puts(&b, ", format='newline_delimited', columns={'source': 'VARCHAR', 'row_number': 'BIGINT', 'reason': "
                    "'VARCHAR', 'record': 'VARCHAR', 'run_id': 'VARCHAR'})");
  cx->malformed_select = floe_arena_strdup(cx->ar, floe_buf_str(&b));
  floe_buf_free(&b);
  floe_buf_printf(&cx->meta, ",\"malformed_lines\":%lld", (long long)nbad);
  fprintf(stderr, "floe: %s: %lld malformed line%s kept for the rejects table (first: %s)\n",
          cx->label ? cx->label : cx->ndjson_path, (long long)nbad, nbad == 1 ? "" : "s", first);
  const char *label = cx->label;
  rc = ngood ? ingest_staged_select(cx, good_path, "ndjson", select, err) : 0;
  cx->label = label;
out:
  if (good) fclose(good);
  if (bad) fclose(bad);
  free(line);
  globfree(&g);
  return rc;
}
