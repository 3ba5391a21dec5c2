/* files.c — the file sources: `ndjson` (optionally gzip-compressed, detected by DuckDB) and `parquet`,
 * by path or glob (`data/events-*.ndjson.gz`), relative to the project directory. A glob that matches
 * nothing is an error at the path option, never an empty load. */
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
