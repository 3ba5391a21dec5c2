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

/* An error about a table without the "table NAME: " its message starts with. */
static const char *table_error(const floe_err *err, const char *table) {
  size_t n = strlen(table);
  if (!strncmp(err->msg, "table ", 6) && !strncmp(err->msg + 6, table, n) && !strncmp(err->msg + 6 + n, ": ", 2))
    return err->msg + 8 + n;
  return err->msg;
}

/* "reads and writes; maintenance": the what of each refusal. */
static void refused_kinds(const floe_lake_info *t, floe_buf *b) {
  for (size_t i = 0; i < t->nrefused; i++) {
    const char *colon = strchr(t->refused[i], ':');
    floe_buf_printf(b, "%s%.*s", i ? "; " : "", colon ? (int)(colon - t->refused[i]) : (int)strlen(t->refused[i]),
                    t->refused[i]);
  }
}

static void print_table_line(const char *name, const floe_lake_info *t, int rc, const floe_err *err, bool as_json,
                             bool first) {
  floe_buf b;
  floe_buf_init(&b, 0);
  if (as_json) {
    floe_buf_puts(&b, first ? "{\"table\":" : ",{\"table\":");
    floe_buf_json_str(&b, name);
    if (rc) {
      floe_buf_printf(&b, ",\"rows\":null,\"snapshots\":null,\"%s\":", rc == FLOE_EUNSUPPORTED ? "unsupported" : "error");
      floe_buf_json_str(&b, table_error(err, name));
    } else {
      if (t->total_rows >= 0) floe_buf_printf(&b, ",\"rows\":%lld", (long long)t->total_rows);
      else floe_buf_puts(&b, ",\"rows\":null");
      floe_buf_printf(&b, ",\"snapshots\":%zu,\"refused\":[", t->nsnapshots);
      for (size_t i = 0; i < t->nrefused; i++) {
        if (i) floe_buf_putc(&b, ',');
        floe_buf_json_str(&b, t->refused[i]);
      }
      floe_buf_putc(&b, ']');
    }
    floe_buf_putc(&b, '}');
  } else if (rc) {
    floe_buf_printf(&b, "%-40s %s: %s\n", name, rc == FLOE_EUNSUPPORTED ? "unsupported" : "unreadable",
                    table_error(err, name));
  } else {
    char rows[32] = "?";
    if (t->total_rows >= 0) snprintf(rows, sizeof rows, "%lld", (long long)t->total_rows);
    floe_buf_printf(&b, "%-40s %12s rows  %4zu snapshot%s", name, rows, t->nsnapshots, t->nsnapshots == 1 ? "" : "s");
    if (t->nrefused) {
      floe_buf_puts(&b, "  refused: ");
      refused_kinds(t, &b);
      floe_buf_puts(&b, " (lake describe)");
    }
    floe_buf_putc(&b, '\n');
  }
  fputs(floe_buf_str(&b), stdout);
  floe_buf_free(&b);
}

int cmd_lake_tables(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  int n = cli_positionals(c, 0, 0);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  floe_vec names = {0};
  if (floe_lake_tables(l, &names, &err)) return cli_fail(&err);
  if (as_json) putchar('[');
  else if (!names.len)
    fprintf(stderr, "no tables yet in %s (ingest assets create them: floe asset materialize --select ...)\n",
            floe_lake_warehouse(l));
  for (size_t i = 0; i < names.len; i++) {
    /* a table floe cannot open is listed with the reason, never as an empty table */
    floe_arena a;
    floe_arena_init(&a, 0);
    floe_lake_info t;
    floe_err terr = {0};
    int trc = floe_lake_describe(l, names.items[i], &a, &t, &terr);
    print_table_line(names.items[i], &t, trc, &terr, as_json, i == 0);
    floe_arena_free(&a);
    floe_free(names.items[i]);
  }
  if (as_json) puts("]");
  floe_vec_free(&names);
  return 0;
}

static const char *ref_names(const floe_lake_info *t, int64_t id, char *buf, size_t n) {
  buf[0] = 0;
  for (size_t i = 0; i < t->nrefs; i++) {
    if (t->refs[i].snapshot_id != id) continue;
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s", len ? "," : "", t->refs[i].name);
  }
  return buf;
}

static void print_describe(const char *table, const floe_lake_info *t) {
  printf("table:     %s\nlocation:  %s\nmetadata:  %s\nformat:    Iceberg v%d\nuuid:      %s\n", table,
         t->location ? t->location : "-", t->metadata_location, t->format_version, t->uuid ? t->uuid : "-");
  printf("snapshot:  %lld (%zu snapshots)\n", (long long)t->current_snapshot_id, t->nsnapshots);
  printf("schema %lld:\n", (long long)t->schema_id);
  for (size_t i = 0; i < t->ncolumns; i++) {
    const floe_lake_column *col = &t->columns[i];
    bool nested = col->type && (!strcmp(col->type, "struct") || !strcmp(col->type, "list") || !strcmp(col->type, "map"));
    printf("  %4lld  %-32s %-16s %s\n", (long long)col->id, col->name ? col->name : "?",
           nested ? "(nested)" : col->type ? col->type : "?", col->required ? "required" : "optional");
  }
  printf("partitioned by:");
  if (!t->npartition) printf(" (unpartitioned)");
  for (size_t i = 0; i < t->npartition; i++)
    printf("%s %s(field %lld) as %s", i ? "," : "", t->partition[i].transform ? t->partition[i].transform : "?",
           (long long)t->partition[i].source_id, t->partition[i].name ? t->partition[i].name : "?");
  printf("\nrefs:\n");
  for (size_t i = 0; i < t->nrefs; i++)
    printf("  %-20s %-7s %lld\n", t->refs[i].name, t->refs[i].type ? t->refs[i].type : "?",
           (long long)t->refs[i].snapshot_id);
  for (size_t i = 0; i < t->nrefused; i++) printf("%s %s\n", i ? "          " : "refused:  ", t->refused[i]);
}

int cmd_lake_describe(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  int n = cli_positionals(c, 1, 1);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  if (as_json) { /* the metadata itself, as the Iceberg spec spells it */
    char *text = NULL;
    if (floe_lake_metadata(l, c->argv[0], &text, NULL, &err)) return cli_fail(&err);
    puts(text);
    floe_free(text);
    return 0;
  }
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_lake_info t;
  if (floe_lake_describe(l, c->argv[0], &a, &t, &err)) rc = cli_fail(&err);
  else print_describe(c->argv[0], &t);
  floe_arena_free(&a);
  return rc;
}

int cmd_lake_snapshots(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  int n = cli_positionals(c, 1, 1);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  if (as_json) {
    char *text = NULL;
    if (floe_lake_snapshots_json(l, c->argv[0], &text, &err)) return cli_fail(&err);
    puts(text);
    floe_free(text);
    return 0;
  }
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_lake_info t;
  if (floe_lake_describe(l, c->argv[0], &a, &t, &err)) {
    floe_arena_free(&a);
    return cli_fail(&err);
  }
  printf("%-20s %-20s %-24s %-10s %12s %12s  %s\n", "snapshot_id", "parent_id", "committed_at", "operation",
         "added_rows", "total_rows", "refs");
  for (size_t i = 0; i < t.nsnapshots; i++) {
    const floe_lake_snapshot *s = &t.snapshots[i];
    char ts[40], refs[256], parent[32] = "-", added[32] = "-", total[32] = "-";
    floe_time_iso(s->timestamp_ms * 1000, ts, sizeof ts);
    if (s->parent_id) snprintf(parent, sizeof parent, "%lld", (long long)s->parent_id);
    if (s->added_rows >= 0) snprintf(added, sizeof added, "%lld", (long long)s->added_rows);
    if (s->total_rows >= 0) snprintf(total, sizeof total, "%lld", (long long)s->total_rows);
    printf("%-20lld %-20s %-24s %-10s %12s %12s  %s\n", (long long)s->id, parent, ts,
           s->operation ? s->operation : "-", added, total, ref_names(&t, s->id, refs, sizeof refs));
  }
  floe_arena_free(&a);
  return 0;
}

int cmd_lake_register(floe_cli *c) {
  int n = cli_positionals(c, 2, 2);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_lake_info t;
  if (floe_lake_register(l, c->argv[0], c->argv[1], &a, &t, &err)) {
    rc = cli_fail(&err);
  } else {
    char rows[32] = "?";
    if (t.total_rows >= 0) snprintf(rows, sizeof rows, "%lld", (long long)t.total_rows);
    printf("%s: registered %s (Iceberg v%d, %s rows, %zu snapshot%s); no file was copied\n", c->argv[0],
           t.metadata_location, t.format_version, rows, t.nsnapshots, t.nsnapshots == 1 ? "" : "s");
    for (size_t i = 0; i < t.nrefused; i++) printf("  floe refuses %s\n", t.refused[i]);
  }
  floe_arena_free(&a);
  return rc;
}

int cmd_lake_unregister(floe_cli *c) {
  int n = cli_positionals(c, 1, 1);
  if (n < 0) return -n;
  floe_lake *l;
  int rc = cli_lake(c, &l);
  if (rc) return rc;
  floe_err err = {0};
  char *loc = NULL;
  if (floe_lake_unregister(l, c->argv[0], &loc, &err)) rc = cli_fail(&err);
  else printf("%s: removed from the catalog; its files are untouched (metadata %s)\n", c->argv[0], loc);
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
