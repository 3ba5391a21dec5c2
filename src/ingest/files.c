/* files.c — the file sources: `ndjson` (plain or gzip, told by the content) and `parquet`, by path or
 * glob (`data/events-*.ndjson.gz`), relative to the project directory. A glob that matches nothing is an
 * error at the path option, never an empty load. Every NDJSON line is checked (json_check.c) before
 * DuckDB reads the files; gzip files are decompressed once, checked, into the staging directory. */
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
  if (empty) {
    cx->rows_known = 0;
    return 0;
  }
  return ingest_ndjson_checked_select(cx, path, select, err);
}

int ingest_parquet_select(ingest_ctx *cx, char **select, floe_err *err) {
  const char *path;
  bool empty;
  int rc = source_path(cx, "Parquet", &path, &empty, err);
  if (rc) return rc;
  return ingest_staged_select(cx, path, "parquet", select, err);
}

/* ---- the checked NDJSON pass. DuckDB's read_json is lenient and can crash on hostile input, so every
 * line is first checked here (json_check.c); DuckDB reads only files whose every line is a strict JSON
 * object. Bad lines fail the step (file, line, column, reason) or, with rejects, a second pass stages the
 * good lines (each carrying its row number) and the bad ones (for the rejects table). */

typedef struct nd_pass {
  ingest_ctx *cx;
  ingest_json_check jc;
  const char *file;   /* the file being read, as shown in messages */
  FILE *good, *bad;   /* the second pass (rejects): the staged lines */
  const char *run;    /* FLOE_RUN_ID */
  int64_t row, ngood, nbad, nfields;
  size_t maxlen;
  char first[1200];   /* the first bad line's message */
} nd_pass;

/* "data/x.ndjson" for a file under the project directory, else the path. */
static const char *shown_path(ingest_ctx *cx, const char *path) {
  size_t n = strlen(cx->p->dir);
  return !strncmp(path, cx->p->dir, n) && path[n] == '/' ? path + n + 1 : path;
}

/* Writes p[0..n) as a JSON string: control bytes escaped, a byte that is not UTF-8 as U+FFFD. */
static void put_json_bytes(FILE *f, const char *p, size_t n) {
  const unsigned char *u = (const unsigned char *)p;
  fputc('"', f);
  for (size_t i = 0; i < n;) {
    size_t l = ingest_utf8_len(u + i, n - i);
    if (!l) fputs("\\ufffd", f), l = 1;
    else if (u[i] == '"' || u[i] == '\\') fprintf(f, "\\%c", u[i]);
    else if (u[i] < 0x20) fprintf(f, "\\u%04x", u[i]);
    else fwrite(u + i, 1, l, f);
    i += l;
  }
  fputc('"', f);
}

static int nd_line(void *ud, const char *p, size_t n, int64_t ln, floe_err *err) {
  nd_pass *s = ud;
  s->row++;
  if (n > s->maxlen) s->maxlen = n;
  int k = ingest_json_check_line(&s->jc, p, n);
  if (k == INGEST_JSON_BLANK) return 0; /* a blank line is no record */
  if (k == INGEST_JSON_OBJECT) {
    s->ngood++;
    s->nfields += (int64_t)s->jc.nfields;
    if (s->good) { /* after '{': the row number goes first */
      const char *body = memchr(p, '{', n) + 1;
      size_t rest = n - (size_t)(body - p);
      size_t sp = 0;
      while (sp < rest && strchr(" \t\r", body[sp])) sp++;
      fprintf(s->good, "{\"__floe_row\":%lld%s", (long long)s->row, body[sp] == '}' ? "" : ",");
      if (fwrite(body, 1, rest, s->good) != rest || fputc('\n', s->good) == EOF)
        return floe_err_set(err, FLOE_EIO, "cannot write the staged lines in %s", s->cx->stage_dir);
    }
    return 0;
  }
  char why[700];
  if (k == INGEST_JSON_NOT_OBJECT) snprintf(why, sizeof why, "line %lld of %s: not a JSON object", (long long)ln, s->file);
  else
    snprintf(why, sizeof why, "line %lld of %s: malformed JSON at column %zu: %s", (long long)ln, s->file, s->jc.col,
             s->jc.why);
  if (!s->nbad) snprintf(s->first, sizeof s->first, "%s", why);
  s->nbad++;
  if (s->bad) {
    ingest_ctx *cx = s->cx;
    fputs("{\"source\":", s->bad);
    const char *src = cx->label ? cx->label : cx->ndjson_path;
    put_json_bytes(s->bad, src, strlen(src));
    fprintf(s->bad, ",\"row_number\":%lld,\"reason\":", (long long)s->row);
    put_json_bytes(s->bad, why, strlen(why));
    fputs(",\"record\":", s->bad);
    put_json_bytes(s->bad, p, n > 65536 ? 65536 : n);
    fputs(",\"run_id\":", s->bad);
    put_json_bytes(s->bad, s->run, strlen(s->run));
    if (fputs("}\n", s->bad) == EOF) return floe_err_set(err, FLOE_EIO, "cannot write the staged lines in %s", cx->stage_dir);
  }
  return 0;
}

static ssize_t file_read(void *ud, void *buf, size_t n) {
  size_t r = fread(buf, 1, n, ud);
  return r ? (ssize_t)r : ferror((FILE *)ud) ? -1 : 0;
}

/* Reads each file through nd_line. With plain (the first pass), a gzip file is decompressed into the
 * staging directory and plain[i] names what DuckDB reads (the file itself when it is not compressed). */
static int nd_files(nd_pass *s, const char *const *paths, size_t n, const char **plain, floe_err *err) {
  ingest_ctx *cx = s->cx;
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    FILE *f = fopen(paths[i], "rb"), *copy = NULL;
    if (!f) return floe_err_set(err, FLOE_EIO, "cannot read %s: %s", paths[i], strerror(errno));
    unsigned char magic[2];
    bool gz = fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    rewind(f);
    if (plain) plain[i] = paths[i];
    if (plain && gz) {
      rc = ingest_stage_path(cx, floe_arena_printf(cx->ar, "plain-%zu.ndjson", i), &plain[i], err);
      if (!rc && !(copy = fopen(plain[i], "w")))
        rc = floe_err_set(err, FLOE_EIO, "cannot create %s: %s", plain[i], strerror(errno));
    }
    s->file = shown_path(cx, paths[i]);
    if (!rc) rc = ingest_lines_read(file_read, f, s->file, copy, &gz, nd_line, s, err);
    if (copy && fclose(copy) && !rc) rc = floe_err_set(err, FLOE_EIO, "cannot write %s", plain[i]);
    fclose(f);
  }
  if (rc == FLOE_EINPUT) {
    size_t l = strlen(err->msg);
    snprintf(err->msg + l, sizeof err->msg - l, "; nothing was written");
  }
  return rc;
}

/* "SELECT * FROM read_json([...], ...)" over the given files (arena). columns: NULL to infer them. */
static char *nd_select(ingest_ctx *cx, const char *const *files, size_t n, size_t maxlen, const char *columns) {
  floe_buf b;
  floe_buf_init(&b, 0);
  floe_buf_puts(&b, "SELECT * FROM read_json([");
  for (size_t i = 0; i < n; i++) {
    if (i) floe_buf_puts(&b, ", ");
    floe_buf_sql_str(&b, files[i]);
  }
  /* records='true': every line was checked to be an object; compression='uncompressed': gzip was checked and
   * decompressed here (DuckDB would tell it by the name, and check no CRC) */
  floe_buf_puts(&b, "], format='newline_delimited', records='true', compression='uncompressed', union_by_name=true");
  floe_buf_printf(&b, ", maximum_object_size=%zu", maxlen + 1 > 16777216 ? maxlen + 1 : (size_t)16777216);
  if (columns) floe_buf_printf(&b, ", columns=%s", columns);
  floe_buf_puts(&b, ")");
  char *sel = floe_arena_strdup(cx->ar, floe_buf_str(&b));
  floe_buf_free(&b);
  return sel;
}

/* A big integer read through a double loses digits: the columns holding one are read as DECIMAL(38,0)
 * (only integers in it), as their declared type from the exact text, or kept as JSON text (nested), from
 * the types DuckDB infers for the others. Runs only when the check saw such a number. */
static int nd_exact_columns(nd_pass *s, const char *const *files, size_t n, char **select, floe_err *err) {
  ingest_ctx *cx = s->cx;
  floe_engine *eng;
  floe_result *r = NULL;
  int rc = floe_lake_engine(cx->lake, &eng, err);
  if (rc) return rc;
  if ((rc = floe_engine_query(eng, floe_arena_printf(cx->ar, "DESCRIBE %s", *select), &r, err))) goto out;
  const floe_node *decl = cx->a->columns ? cx->a->columns : floe_node_get(cx->a->source, "columns");
  floe_buf cols, ints;
  floe_buf_init(&cols, 0);
  floe_buf_init(&ints, 0);
  floe_buf_puts(&cols, "{");
  for (size_t i = 0; i < floe_result_nrows(r); i++) {
    const char *name = floe_arena_strdup(cx->ar, floe_result_str(r, 0, i)); /* the next call reuses its buffer */
    const char *type = floe_arena_strdup(cx->ar, floe_result_str(r, 1, i));
    unsigned flags = 0;
    for (size_t k = 0; k < s->jc.nbig; k++)
      if (!strcasecmp(s->jc.big[k].name, name)) flags |= s->jc.big[k].flags;
    bool declared = decl && floe_node_get(decl, name);
    bool numeric = !strcmp(type, "DOUBLE") || !strcmp(type, "BIGINT") || !strcmp(type, "UBIGINT") ||
                   !strcmp(type, "HUGEINT") || !strcmp(type, "FLOAT");
    if (flags & INGEST_JSON_BIG && !(flags & INGEST_JSON_BIG64) && !strcmp(type, "BIGINT")) {
      /* every integer fits 64 bits and DuckDB reads them as such: exact already */
    } else if (flags & INGEST_JSON_BIG && numeric && !declared) {
      floe_buf_printf(&ints, "%scount(*) FILTER (WHERE NOT regexp_full_match(", ints.len ? ", " : "");
      floe_buf_sql_ident(&ints, name);
      floe_buf_printf(&ints, ", '-?[0-9]+')) AS ");
      floe_buf_sql_ident(&ints, name);
      type = "DECIMAL(38,0)";
    } else if (flags & INGEST_JSON_BIG && numeric) {
      type = "VARCHAR"; /* the declared type is cast from the exact text */
    } else if (flags & INGEST_JSON_NESTED_BIG && (strchr(type, '(') || floe_str_ends(type, "]"))) {
      type = "JSON";
    }
    floe_buf_puts(&cols, i ? ", " : "");
    floe_buf_sql_str(&cols, name);
    floe_buf_puts(&cols, ": ");
    floe_buf_sql_str(&cols, type);
  }
  floe_buf_puts(&cols, "}");
  floe_result_free(r);
  r = NULL;
  if (ints.len) { /* fractions beside the big integers: no exact type to infer, the user says which */
    floe_buf q;
    floe_buf_init(&q, 0);
    char *text_cols = floe_arena_strdup(cx->ar, floe_buf_str(&cols));
    for (char *d = strstr(text_cols, "'DECIMAL(38,0)'"); d; d = strstr(d, "'DECIMAL(38,0)'")) memcpy(d, "'VARCHAR'      ", 15);
    floe_buf_printf(&q, "SELECT %s FROM (%s)", floe_buf_str(&ints), nd_select(cx, files, n, s->maxlen, text_cols));
    rc = floe_engine_query(eng, floe_buf_str(&q), &r, err);
    floe_buf_free(&q);
    for (size_t c = 0; !rc && c < floe_result_ncols(r); c++)
      if (floe_result_i64(r, c, 0) > 0)
        rc = floe_err_set(err, FLOE_EINPUT,
                          "%s: column '%s' holds integers past 2^53 (exact only as a decimal) and numbers with a "
                          "fraction or exponent; declare its type in columns: (decimal(38,S), double or string); "
                          "nothing was written",
                          cx->label ? cx->label : cx->ndjson_path, floe_result_colname(r, c));
  }
  if (!rc) *select = nd_select(cx, files, n, s->maxlen, floe_buf_str(&cols));
  floe_buf_free(&cols);
  floe_buf_free(&ints);
out:
  floe_result_free(r);
  if (rc && rc != FLOE_EINPUT) {
    err->code = rc = FLOE_EINPUT;
    floe_err_prefix(err, "%s: ", cx->label ? cx->label : cx->ndjson_path);
  }
  return rc;
}

/* The second pass (rejects: true, some lines bad): the good lines to clean.ndjson, each with its row
 * number, the bad ones to malformed.ndjson; *select reads the good ones, cx->malformed_select the bad. */
static int nd_stage(nd_pass *s, const char *const *files, size_t n, const char **good, char **select, floe_err *err) {
  ingest_ctx *cx = s->cx;
  const char *good_path, *bad_path;
  int rc;
  if ((rc = ingest_stage_path(cx, "clean.ndjson", &good_path, err)) ||
      (rc = ingest_stage_path(cx, "malformed.ndjson", &bad_path, err)))
    return rc;
  s->good = fopen(good_path, "w");
  s->bad = fopen(bad_path, "w");
  if (!s->good || !s->bad) rc = floe_err_set(err, FLOE_EIO, "cannot create %s: %s", s->good ? bad_path : good_path, strerror(errno));
  s->row = s->ngood = s->nbad = 0;
  if (!rc) rc = nd_files(s, files, n, NULL, err);
  if ((s->good && fclose(s->good)) | (s->bad && fclose(s->bad)) && !rc)
    rc = floe_err_set(err, FLOE_EIO, "cannot write the staged lines in %s", cx->stage_dir);
  s->good = s->bad = NULL;
  if (rc) return rc;
  cx->malformed = s->nbad;
  cx->rows_known = s->ngood;
  cx->row_column = "__floe_row";
  floe_buf b;
  floe_buf_init(&b, 0);
  floe_buf_puts(&b, "SELECT source, row_number, reason, record, run_id, CAST(now() AS TIMESTAMP) AS rejected_at FROM read_json(");
  floe_buf_sql_str(&b, bad_path);
  floe_buf_puts(&b, ", format='newline_delimited', columns={'source': 'VARCHAR', 'row_number': 'BIGINT', 'reason': "
                    "'VARCHAR', 'record': 'VARCHAR', 'run_id': 'VARCHAR'})");
  cx->malformed_select = floe_arena_strdup(cx->ar, floe_buf_str(&b));
  floe_buf_free(&b);
  floe_buf_printf(&cx->meta, ",\"malformed_lines\":%lld", (long long)s->nbad);
  fprintf(stderr, "floe: %s: %lld malformed line%s kept for the rejects table (first: %s)\n",
          cx->label ? cx->label : cx->ndjson_path, (long long)s->nbad, s->nbad == 1 ? "" : "s", s->first);
  s->maxlen += 32; /* the row number */
  *select = nd_select(cx, &good_path, 1, s->maxlen, NULL);
  *good = good_path;
  return 0;
}

int ingest_ndjson_checked_select(ingest_ctx *cx, const char *path, char **select, floe_err *err) {
  nd_pass s = {.cx = cx, .run = getenv("FLOE_RUN_ID")};
  if (!s.run) s.run = "";
  const char *label = cx->label ? cx->label : path;
  cx->ndjson_path = path;
  glob_t g;
  if (glob(path, 0, NULL, &g) != 0) return floe_err_set(err, FLOE_EINPUT, "%s: no file matches", label);
  const char *const *files = (const char *const *)g.gl_pathv;
  size_t n = g.gl_pathc;
  const char **plain = floe_arena_alloc(cx->ar, n * sizeof *plain);
  const char **kept = floe_arena_alloc(cx->ar, n * sizeof *kept);
  for (size_t i = 0; kept && i < n; i++) kept[i] = floe_arena_strdup(cx->ar, files[i]);
  int rc = plain && kept ? nd_files(&s, files, n, plain, err) : floe_err_set(err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++) /* not the glob's strings: they go with globfree */
    if (plain[i] == files[i]) plain[i] = kept[i];
  cx->ndjson_files = kept;
  cx->ndjson_plain = plain;
  cx->ndjson_nfiles = rc ? 0 : n;
  if (rc) goto out;
  if (s.nbad && !ingest_rejects_on(cx->a)) {
    rc = floe_err_set(err, FLOE_EINPUT,
                      "%s (%lld malformed line%s of %lld; nothing was written — set rejects: true on the asset to "
                      "load the others and keep these in %s__rejects)",
                      s.first, (long long)s.nbad, s.nbad == 1 ? "" : "s", (long long)(s.ngood + s.nbad),
                      cx->a->table ? cx->a->table : cx->a->key);
    goto out;
  }
  if (s.ngood && !s.nfields) {
    rc = floe_err_set(err, FLOE_EINPUT,
                      "%s: every object in it is empty ({}), so there is no column to load; nothing was written", label);
    goto out;
  }
  const char *const *dfiles = plain; /* what DuckDB reads */
  size_t nread = n;
  if (s.nbad) { /* rejects: stage the good lines apart from the bad (from the decompressed copies) */
    const char *good = NULL;
    if ((rc = nd_stage(&s, plain, n, &good, select, err)) || !s.ngood) goto out;
    dfiles = &good;
    nread = 1;
    if (s.jc.nbig) rc = nd_exact_columns(&s, dfiles, nread, select, err);
    goto out;
  }
  cx->rows_known = s.ngood; /* 0: only blank lines, nothing to load */
  *select = nd_select(cx, dfiles, nread, s.maxlen, NULL);
  if (s.jc.nbig) rc = nd_exact_columns(&s, dfiles, nread, select, err);
out:
  ingest_json_check_free(&s.jc);
  globfree(&g);
  return rc;
}

/* DuckDB's JSON reader still refuses what the check cannot foresee (a value that does not fit the type
 * it inferred from its sample of lines): its message names its own options (ignore_errors, sample_size,
 * ...) and the staged copy. Keeps its reason, names the user's file and says what floe offers instead. */
void ingest_ndjson_explain(ingest_ctx *cx, floe_err *err) {
  char *m = err->msg;
  static const char *const advice[] = {"\nTry ", " Try increasing", " try ignore_errors", ", try ignore_errors",
                                       "\nLINE ", " Try setting"};
  bool cut = false;
  for (size_t i = 0; i < sizeof advice / sizeof advice[0]; i++) {
    char *a = strstr(m, advice[i]);
    if (a) *a = 0, cut = true;
  }
  if (!cut && !strstr(m, "JSON")) return;
  for (size_t i = 0; i < cx->ndjson_nfiles; i++) { /* a staged copy: the file it came from */
    char *at = strstr(m, cx->ndjson_plain[i]);
    if (!at || cx->ndjson_plain[i] == cx->ndjson_files[i]) continue;
    const char *shown = shown_path(cx, cx->ndjson_files[i]);
    size_t pl = strlen(cx->ndjson_plain[i]), sl = strlen(shown), rest = strlen(at + pl);
    if (sl <= pl) {
      memmove(at + sl, at + pl, rest + 1);
      memcpy(at, shown, sl);
    }
  }
  size_t l = strlen(m);
  while (l && (m[l - 1] == ' ' || m[l - 1] == '\n' || m[l - 1] == '.')) m[--l] = 0;
  char *ce = strstr(m, "Conversion Error: ");
  if (ce && strstr(ce, "source column")) { /* the error type is DuckDB's jargon */
    memmove(ce, ce + 18, strlen(ce + 18) + 1);
    l = strlen(m);
  }
  if (strstr(m, "transform error") || (ce && strstr(ce, "source column")))
    snprintf(m + l, sizeof err->msg - l,
             " (DuckDB infers each column's type from the first lines; a later value of another type fails the load: "
             "nothing was written)");
}
