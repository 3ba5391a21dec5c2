/* cmd_lake.c — `floe query` (SQL over the lake, read-only) and `floe lake ...` (tables, snapshots,
 * files, rollback, tags, expiry, orphan files). A thin client of src/lake and src/engine. */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "floe/engine.h"
#include "floe/lake.h"

/* ---------------------------------------------------------------- result printing
 *
 * Every byte of a value is shown. JSON escapes what it must (a NUL byte is \u0000). A table on a terminal
 * shows a control character other than tab and newline as \xNN (a NUL byte is \x00, ESC cannot drive the
 * terminal); CSV shows a NUL byte as \x00 (other bytes go through, quoted when needed). That is the way
 * DuckDB shows the bytes of a BLOB; text that holds the four characters \x00 looks the same, --format json
 * tells them apart. */

/* The value's text as shown in a table (table = true) or CSV into b; false for NULL. */
static bool cell_text(floe_result *r, size_t col, size_t row, bool table, floe_buf *b) {
  size_t n;
  const char *v = floe_result_strn(r, col, row, &n);
  floe_buf_reset(b);
  if (!v) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)v[i];
    if (ch == 0 || (table && ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f))) floe_buf_printf(b, "\\x%02X", ch);
    else floe_buf_putc(b, (char)ch);
  }
  return true;
}

static void csv_field(const char *s) {
  if (!s) return;
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, stdout);
    return;
  }
  putchar('"');
  for (const char *p = s; *p; p++) {
    if (*p == '"') putchar('"');
    putchar(*p);
  }
  putchar('"');
}

/* DuckDB's to_json writes NaN and Infinity as bare words, which are not JSON: such text stays a string. */
static bool json_valid(const char *v) {
  json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
  json_decref(j);
  return j != NULL;
}

static void json_value(floe_result *r, size_t col, size_t row) {
  size_t n;
  const char *v = floe_result_strn(r, col, row, &n);
  if (!v) {
    fputs("null", stdout);
    return;
  }
  floe_coltype t = floe_result_coltype(r, col);
  if (t == FLOE_COL_INTEGER || (t == FLOE_COL_FLOAT && isfinite(strtod(v, NULL)))) {
    fputs(v, stdout);
  } else if (t == FLOE_COL_BOOL) {
    fputs(!strcmp(v, "true") ? "true" : "false", stdout);
  } else if (t == FLOE_COL_JSON && json_valid(v)) {
    fputs(v, stdout); /* a nested value, as JSON */
  } else {
    floe_buf b;
    floe_buf_init(&b, 0);
    floe_buf_json_strn(&b, v, n);
    fputs(floe_buf_str(&b), stdout);
    floe_buf_free(&b);
  }
}

/* Display width of UTF-8 text (code points; good enough for a terminal table). */
static size_t text_width(const char *s) {
  size_t w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) w++;
  return w;
}

static void pad(const char *s, size_t width, bool right) {
  size_t w = text_width(s);
  if (right)
    for (size_t i = w; i < width; i++) putchar(' ');
  fputs(s, stdout);
  if (!right)
    for (size_t i = w; i < width; i++) putchar(' ');
}

static void print_table(floe_result *r) {
  size_t nc = floe_result_ncols(r), nr = floe_result_nrows(r);
  size_t *w = calloc(nc ? nc : 1, sizeof *w);
  floe_buf b;
  floe_buf_init(&b, 0);
  for (size_t c = 0; c < nc; c++) w[c] = text_width(floe_result_colname(r, c));
  for (size_t row = 0; row < nr; row++)
    for (size_t c = 0; c < nc; c++) {
      size_t tw = text_width(cell_text(r, c, row, true, &b) ? floe_buf_str(&b) : "NULL");
      if (tw > w[c]) w[c] = tw;
    }
  for (size_t c = 0; c < nc; c++) {
    if (c) fputs(" | ", stdout);
    pad(floe_result_colname(r, c), w[c], false);
  }
  putchar('\n');
  for (size_t c = 0; c < nc; c++) {
    if (c) fputs("-+-", stdout);
    for (size_t i = 0; i < w[c]; i++) putchar('-');
  }
  putchar('\n');
  for (size_t row = 0; row < nr; row++) {
    for (size_t c = 0; c < nc; c++) {
      if (c) fputs(" | ", stdout);
      floe_coltype t = floe_result_coltype(r, c);
      pad(cell_text(r, c, row, true, &b) ? floe_buf_str(&b) : "NULL", w[c], t == FLOE_COL_INTEGER || t == FLOE_COL_FLOAT);
    }
    putchar('\n');
  }
  printf("(%zu row%s)\n", nr, nr == 1 ? "" : "s");
  floe_buf_free(&b);
  free(w);
}

static void print_result(floe_result *r, const char *format) {
  size_t nc = floe_result_ncols(r), nr = floe_result_nrows(r);
  if (!strcmp(format, "csv")) {
    floe_buf b;
    floe_buf_init(&b, 0);
    for (size_t c = 0; c < nc; c++) {
      if (c) putchar(',');
      csv_field(floe_result_colname(r, c));
    }
    putchar('\n');
    for (size_t row = 0; row < nr; row++) {
      for (size_t c = 0; c < nc; c++) {
        if (c) putchar(',');
        csv_field(cell_text(r, c, row, false, &b) ? floe_buf_str(&b) : NULL);
      }
      putchar('\n');
    }
    floe_buf_free(&b);
  } else if (!strcmp(format, "json") || !strcmp(format, "ndjson")) {
    bool nd = !strcmp(format, "ndjson");
    if (!nd) putchar('[');
    for (size_t row = 0; row < nr; row++) {
      if (!nd && row) putchar(',');
      putchar('{');
      for (size_t c = 0; c < nc; c++) {
        if (c) putchar(',');
        floe_buf b;
        floe_buf_init(&b, 0);
        floe_buf_json_str(&b, floe_result_colname(r, c));
        fputs(floe_buf_str(&b), stdout);
        floe_buf_free(&b);
        putchar(':');
        json_value(r, c, row);
      }
      putchar('}');
      if (nd) putchar('\n');
    }
    if (!nd) puts("]");
  } else {
    print_table(r);
  }
}

int cmd_query(floe_cli *c) {
  const char *format = cli_opt(c, "--format");
  const char *as_of = cli_opt(c, "--as-of");
  if (!format) format = "table";
  if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "ndjson"))
    return cli_usage_error(c, "--format: expected table, csv, json or ndjson, found '%s'", format);
  int n = cli_positionals(c, 1, 1);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  floe_engine *e = NULL;
  floe_result *r = NULL;
  if ((rc = floe_lake_query_engine_for(l, as_of, c->argv[0], &e, &err)) == 0) rc = floe_engine_query_readonly(e, c->argv[0], &r, &err);
  if (rc == FLOE_ENOTFOUND && e) floe_lake_query_missing_table(l, e, c->argv[0], &err);
  if (rc) {
    if (rc == FLOE_EFAILED) err.code = FLOE_EINPUT; /* a failing query is bad input */
    rc = cli_fail(&err);
  } else {
    print_result(r, format);
  }
  floe_result_free(r);
  floe_engine_leave(e); /* the process exits next: no database teardown */
  return rc;
}

/* ---------------------------------------------------------------- floe lake ... */

int cmd_lake_tables(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  int n = cli_positionals(c, 0, 0);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  floe_vec names = {0};
  if (floe_lake_tables(l, &names, &err)) {
    rc = cli_fail(&err);
  } else {
    if (as_json) putchar('[');
    else if (!names.len)
      fprintf(stderr, "no tables yet in %s (ingest assets create them: floe asset materialize --select ...)\n",
              floe_lake_warehouse(l));
    for (size_t i = 0; i < names.len; i++) {
      char *meta = NULL;
      json_t *m = NULL;
      if (!floe_lake_metadata(l, names.items[i], &meta, NULL, &err)) m = json_loads(meta, 0, NULL);
      floe_free(meta);
      int64_t cur = json_integer_value(json_object_get(m, "current-snapshot-id"));
      const char *rows = "0";
      json_t *s;
      size_t k;
      json_array_foreach(json_object_get(m, "snapshots"), k, s) {
        if (json_integer_value(json_object_get(s, "snapshot-id")) == cur)
          rows = json_string_value(json_object_get(json_object_get(s, "summary"), "total-records"));
      }
      if (as_json)
        printf("%s{\"table\":\"%s\",\"rows\":%s,\"snapshots\":%zu}", i ? "," : "", (char *)names.items[i],
               rows ? rows : "0", json_array_size(json_object_get(m, "snapshots")));
      else
        printf("%-40s %12s rows  %4zu snapshot%s\n", (char *)names.items[i], rows ? rows : "0",
               json_array_size(json_object_get(m, "snapshots")),
               json_array_size(json_object_get(m, "snapshots")) == 1 ? "" : "s");
      json_decref(m);
      floe_free(names.items[i]);
    }
    if (as_json) puts("]");
    floe_vec_free(&names);
  }
  return rc;
}

static int load_meta(floe_cli *c, floe_lake *l, const char *table, json_t **m, char **loc) {
  floe_err err = {0};
  char *text = NULL;
  if (floe_lake_metadata(l, table, &text, loc, &err)) return cli_fail(&err);
  *m = json_loads(text, 0, NULL);
  floe_free(text);
  (void)c;
  return 0;
}

static const char *ref_names(json_t *m, json_int_t id, char *buf, size_t n) {
  buf[0] = 0;
  const char *k;
  json_t *r;
  json_object_foreach(json_object_get(m, "refs"), k, r) {
    if (json_integer_value(json_object_get(r, "snapshot-id")) != id) continue;
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s", len ? "," : "", k);
  }
  return buf;
}

int cmd_lake_describe(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  int n = cli_positionals(c, 1, 1);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  json_t *m = NULL;
  char *loc = NULL;
  if (!(rc = load_meta(c, l, c->argv[0], &m, &loc))) {
    if (as_json) {
      char *s = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
      puts(s);
      free(s);
    } else {
      json_int_t cur = json_integer_value(json_object_get(m, "current-snapshot-id"));
      printf("table:     %s\nlocation:  %s\nmetadata:  %s\nformat:    Iceberg v%lld\nuuid:      %s\n", c->argv[0],
             json_string_value(json_object_get(m, "location")), loc,
             (long long)json_integer_value(json_object_get(m, "format-version")),
             json_string_value(json_object_get(m, "table-uuid")));
      printf("snapshot:  %lld (%zu snapshots)\n", (long long)cur, json_array_size(json_object_get(m, "snapshots")));
      json_int_t sid = json_integer_value(json_object_get(m, "current-schema-id"));
      json_t *schema = NULL, *s;
      size_t i;
      json_array_foreach(json_object_get(m, "schemas"), i, s) {
        if (json_integer_value(json_object_get(s, "schema-id")) == sid) schema = s;
      }
      printf("schema %lld:\n", (long long)sid);
      json_t *f;
      json_array_foreach(json_object_get(schema, "fields"), i, f) {
        json_t *ty = json_object_get(f, "type");
        printf("  %4lld  %-32s %-16s %s\n", (long long)json_integer_value(json_object_get(f, "id")),
               json_string_value(json_object_get(f, "name")), json_is_string(ty) ? json_string_value(ty) : "(nested)",
               json_is_true(json_object_get(f, "required")) ? "required" : "optional");
      }
      json_int_t spid = json_integer_value(json_object_get(m, "default-spec-id"));
      json_array_foreach(json_object_get(m, "partition-specs"), i, s) {
        if (json_integer_value(json_object_get(s, "spec-id")) != spid) continue;
        printf("partitioned by:");
        size_t j;
        json_t *pf;
        if (!json_array_size(json_object_get(s, "fields"))) printf(" (unpartitioned)");
        json_array_foreach(json_object_get(s, "fields"), j, pf) {
          printf("%s %s(field %lld) as %s", j ? "," : "", json_string_value(json_object_get(pf, "transform")),
                 (long long)json_integer_value(json_object_get(pf, "source-id")),
                 json_string_value(json_object_get(pf, "name")));
        }
        printf("\n");
      }
      const char *k;
      json_t *r;
      printf("refs:\n");
      json_object_foreach(json_object_get(m, "refs"), k, r) {
        printf("  %-20s %-7s %lld\n", k, json_string_value(json_object_get(r, "type")),
               (long long)json_integer_value(json_object_get(r, "snapshot-id")));
      }
    }
  }
  json_decref(m);
  floe_free(loc);
  return rc;
}

int cmd_lake_snapshots(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  int n = cli_positionals(c, 1, 1);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  json_t *m = NULL;
  char *loc = NULL;
  if (!(rc = load_meta(c, l, c->argv[0], &m, &loc))) {
    json_t *snaps = json_object_get(m, "snapshots");
    if (as_json) {
      char *s = json_dumps(snaps, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
      puts(s);
      free(s);
    } else {
      printf("%-20s %-20s %-24s %-10s %12s %12s  %s\n", "snapshot_id", "parent_id", "committed_at", "operation",
             "added_rows", "total_rows", "refs");
      size_t i;
      json_t *s;
      json_array_foreach(snaps, i, s) {
        char ts[40], refs[256], parent[32] = "-";
        json_int_t id = json_integer_value(json_object_get(s, "snapshot-id"));
        floe_time_iso(json_integer_value(json_object_get(s, "timestamp-ms")) * 1000, ts, sizeof ts);
        if (json_object_get(s, "parent-snapshot-id"))
          snprintf(parent, sizeof parent, "%lld", (long long)json_integer_value(json_object_get(s, "parent-snapshot-id")));
        json_t *sum = json_object_get(s, "summary");
        const char *added = json_string_value(json_object_get(sum, "added-records"));
        const char *total = json_string_value(json_object_get(sum, "total-records"));
        printf("%-20lld %-20s %-24s %-10s %12s %12s  %s\n", (long long)id, parent, ts,
               json_string_value(json_object_get(sum, "operation")), added ? added : "-", total ? total : "-",
               ref_names(m, id, refs, sizeof refs));
      }
    }
  }
  json_decref(m);
  floe_free(loc);
  return rc;
}

static int parse_snapshot_id(floe_cli *c, const char *s, int64_t *out) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || v <= 0) return cli_usage_error(c, "'%s' is not a snapshot id (see floe lake snapshots)", s);
  *out = v;
  return 0;
}

int cmd_lake_files(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  const char *snap = cli_opt(c, "--snapshot");
  int n = cli_positionals(c, 1, 1);
  if (n < 0) return -n;
  int64_t id = 0;
  int rc = snap ? parse_snapshot_id(c, snap, &id) : 0;
  if (rc) return rc;
  floe_lake *l;
  if ((rc = cli_lake(c, &l))) return rc;
  floe_err err = {0};
  char *text = NULL;
  if (floe_lake_files(l, c->argv[0], id, &text, &err)) {
    rc = cli_fail(&err);
  } else if (as_json) {
    puts(text);
  } else {
    json_t *files = json_loads(text, 0, NULL);
    size_t i;
    json_t *f;
    printf("%12s %12s  %-24s %s\n", "rows", "bytes", "partition", "file");
    json_array_foreach(files, i, f) {
      char *part = json_dumps(json_object_get(f, "partition"), JSON_COMPACT);
      printf("%12lld %12lld  %-24s %s\n", (long long)json_integer_value(json_object_get(f, "record_count")),
             (long long)json_integer_value(json_object_get(f, "file_size_in_bytes")), part ? part : "{}",
             json_string_value(json_object_get(f, "file_path")));
      free(part);
    }
    json_decref(files);
  }
  floe_free(text);
  return rc;
}

int cmd_lake_rollback(floe_cli *c) {
  int n = cli_positionals(c, 2, 2);
  if (n < 0) return -n;
  int64_t id = 0;
  int rc = parse_snapshot_id(c, c->argv[1], &id);
  if (rc) return rc;
  floe_lake *l;
  if ((rc = cli_lake(c, &l))) return rc;
  floe_err err = {0};
  if (floe_lake_rollback(l, c->argv[0], id, &err)) rc = cli_fail(&err);
  else printf("%s: rolled back to snapshot %lld\n", c->argv[0], (long long)id);
  return rc;
}

int cmd_lake_tag(floe_cli *c) {
  const char *snap = cli_opt(c, "--snapshot");
  bool branch = cli_flag(c, "--branch");
  int n = cli_positionals(c, 2, 2);
  if (n < 0) return -n;
  int64_t id = 0;
  int rc = snap ? parse_snapshot_id(c, snap, &id) : 0;
  if (rc) return rc;
  floe_lake *l;
  if ((rc = cli_lake(c, &l))) return rc;
  floe_err err = {0};
  if (floe_lake_tag(l, c->argv[0], c->argv[1], id, branch, &err)) rc = cli_fail(&err);
  else printf("%s: %s %s -> %s\n", c->argv[0], branch ? "branch" : "tag", c->argv[1], snap ? snap : "current snapshot");
  return rc;
}

int cmd_lake_expire(floe_cli *c) {
  const char *older = cli_opt(c, "--older-than");
  long long keep;
  if (cli_int_opt(c, "--retain-last", 1, 1, INT_MAX, &keep)) return 2;
  int n = cli_positionals(c, 1, 1);
  if (n < 0) return -n;
  int64_t ms = 0;
  if (older) {
    int64_t us;
    if (floe_time_parse(older, &us))
      return cli_usage_error(c, "--older-than: expected a time (2026-01-02, 2026-01-02T03:04:05Z) or an age (7d, 12h)");
    /* A relative age ("7d") comes back as a duration: turn it into a point in time. */
    if (us < 100LL * 365 * 86400 * 1000000) us = floe_now_us() - us;
    ms = us / 1000;
  }
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  int expired = 0, deleted = 0;
  if (floe_lake_expire(l, c->argv[0], ms, (int)keep, &expired, &deleted, &err)) rc = cli_fail(&err);
  else printf("%s: expired %d snapshot%s, deleted %d file%s\n", c->argv[0], expired, expired == 1 ? "" : "s", deleted,
              deleted == 1 ? "" : "s");
  return rc;
}

int cmd_lake_orphans(floe_cli *c) {
  bool del = cli_flag(c, "--delete");
  long long age; /* default: an hour, so files of writes still in flight are never taken for orphans */
  if (cli_int_opt(c, "--min-age", 3600, 0, INT_MAX, &age)) return 2;
  int n = cli_positionals(c, 0, 0);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  floe_vec paths = {0};
  if (floe_lake_orphans(l, del, (int)age, &paths, &err)) {
    rc = cli_fail(&err);
  } else {
    for (size_t i = 0; i < paths.len; i++) printf("%s%s\n", del ? "deleted " : "", (char *)paths.items[i]);
    fprintf(stderr, "%zu orphan file%s%s\n", paths.len, paths.len == 1 ? "" : "s",
            del || !paths.len ? "" : " (use --delete to remove them)");
  }
  for (size_t i = 0; i < paths.len; i++) floe_free(paths.items[i]);
  floe_vec_free(&paths);
  return rc;
}

int cmd_lake_delete(floe_cli *c) {
  const char *where = cli_opt(c, "--where");
  int n = cli_positionals(c, 1, 1);
  if (n < 0) return -n;
  if (!where) return cli_usage_error(c, "--where PREDICATE is required");
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  floe_lake_commit_info info;
  if (floe_lake_delete(l, c->argv[0], where, &info, &err)) rc = cli_fail(&err);
  else if (!info.snapshot_id) printf("%s: no row matched; nothing changed\n", c->argv[0]);
  else printf("%s: rewrote %lld file%s, %lld rows left (snapshot %lld)\n", c->argv[0], (long long)info.deleted_files,
              info.deleted_files == 1 ? "" : "s", (long long)info.total_rows, (long long)info.snapshot_id);
  return rc;
}
