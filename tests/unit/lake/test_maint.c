/* test_maint.c — lake maintenance deletes only the lake's own files, never a file a commit publishes, and a
 * failed write leaves nothing behind. Real SQLite catalog, real DuckDB, in a temp dir; hostile metadata is
 * committed through the lake's own commit loop (white-box: lake_int.h). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "floe/engine.h"
#include "floe/lake.h"
#include "test.h"
#include "../../../src/lake/lake_int.h"

static char dir[256], wh[300], db[300];
static floe_lake *L, *L2;

static bool exists(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0;
}

/* A file with some bytes, two hours old (past any --min-age). */
static void old_file(const char *path) {
  char d[600];
  snprintf(d, sizeof d, "%s", path);
  *strrchr(d, '/') = 0;
  floe_err err = {0};
  CHECK(floe_mkdirs(d, 0700, &err) == 0);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs("not yours\n", f);
    fclose(f);
  }
  struct timespec t[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
  utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW);
}

static void write_rows(const char *table, int n) {
  floe_err err = {0};
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT i AS id, 'n' || i AS name FROM range(%d) t(i)", n);
  int rc = floe_lake_write(L, table, sql, NULL, NULL, &err);
  if (rc) fprintf(stderr, "write %s: %s\n", table, err.msg);
  CHECK(rc == 0);
}

static char *q1(const char *sql) {
  floe_err err = {0};
  floe_engine *e;
  if (floe_lake_query_engine(L, NULL, &e, &err)) return strdup("ERR");
  floe_result *r;
  char *out;
  if (floe_engine_query_readonly(e, sql, &r, &err)) {
    out = strdup(err.msg);
  } else {
    const char *v = floe_result_nrows(r) ? floe_result_str(r, 0, 0) : "(none)";
    out = strdup(v ? v : "NULL");
    floe_result_free(r);
  }
  floe_engine_close(e);
  return out;
}

#define CHECK_Q(sql, want)                                                                                             \
  do {                                                                                                                 \
    char *got_ = q1(sql);                                                                                              \
    CHECK_STR(got_, want);                                                                                             \
    free(got_);                                                                                                        \
  } while (0)

/* ---- committing hostile metadata: a mutation that edits a copy of the current metadata */
typedef void (*edit_fn)(json_t *meta, void *arg);
typedef struct edit_ctx {
  edit_fn fn;
  void *arg;
} edit_ctx;

static int edit_mutate(floe_lake *l, lake_table *base, json_t **out, void *vctx, floe_err *err) {
  edit_ctx *c = vctx;
  *out = json_deep_copy(base->meta);
  c->fn(*out, c->arg);
  return 0;
}

static void edit(const char *table, edit_fn fn, void *arg) {
  floe_err err = {0};
  edit_ctx c = {fn, arg};
  CHECK(lake_commit(L, table, false, edit_mutate, &c, NULL, &err) == 0);
}

/* the oldest snapshot's manifest list becomes arg */
static void set_first_manifest_list(json_t *meta, void *arg) {
  json_object_set_new(json_array_get(json_object_get(meta, "snapshots"), 0), "manifest-list", json_string(arg));
}
static void set_location(json_t *meta, void *arg) { json_object_set_new(meta, "location", json_string(arg)); }

static int orphans(floe_lake *l, bool remove, floe_vec *paths) {
  floe_err err = {0};
  int rc = floe_lake_orphans(l, remove, 0, paths, &err);
  if (rc) fprintf(stderr, "orphans: %s\n", err.msg);
  return rc;
}

static bool listed(const floe_vec *v, const char *needle) {
  for (size_t i = 0; i < v->len; i++)
    if (strstr(v->items[i], needle)) return true;
  return false;
}

static void free_paths(floe_vec *v) {
  for (size_t i = 0; i < v->len; i++) floe_free(v->items[i]);
  floe_vec_free(v);
}

/* 8.5: expire never deletes a file an old snapshot names outside the table (absolute, relative, another
 * scheme), and still deletes the table's own. */
static void test_expire_confined(void) {
  char victim[400], rel[400], scheme[400], p[400];
  snprintf(victim, sizeof victim, "%s/outside/victim.avro", dir);
  old_file(victim);
  CHECK(chdir(dir) == 0); /* a relative path or "s3://b/k" unlinked as is would resolve here */
  snprintf(rel, sizeof rel, "%s/victim_rel.avro", dir);
  old_file(rel);
  snprintf(scheme, sizeof scheme, "%s/s3:/bucket/key.avro", dir);
  old_file(scheme);
  const char *names[] = {victim, "victim_rel.avro", "s3://bucket/key.avro"};
  const char *tables[] = {"oso.exp_abs", "oso.exp_rel", "oso.exp_s3"};
  for (int k = 0; k < 3; k++) {
    write_rows(tables[k], 10);
    write_rows(tables[k], 10);
    edit(tables[k], set_first_manifest_list, (void *)names[k]);
    int expired = 0, deleted = 0;
    floe_err err = {0};
    CHECK(floe_lake_expire(L, tables[k], 0, 1, &expired, &deleted, &err) == 0);
    CHECK(expired == 1);
  }
  CHECK(exists(victim));
  CHECK(exists(rel));
  CHECK(exists(scheme));
  /* the table's own files of an expired snapshot still go */
  write_rows("oso.exp_own", 10);
  floe_err err = {0};
  CHECK(floe_lake_write(L, "oso.exp_own", "SELECT 1 AS id, 'x' AS name", &(floe_lake_write_opts){.mode = FLOE_LAKE_OVERWRITE}, NULL, &err) == 0);
  int expired = 0, deleted = 0;
  CHECK(floe_lake_expire(L, "oso.exp_own", 0, 1, &expired, &deleted, &err) == 0);
  CHECK(expired == 1 && deleted >= 2); /* the overwritten data file, its manifest list (and manifest) */
  CHECK_Q("SELECT count(*) FROM oso.exp_own", "1");
  snprintf(p, sizeof p, "%s/oso/exp_own/data", wh);
  CHECK(exists(p));
}

/* 8.5: orphans never walks or deletes outside the warehouse, nor through a symlink, and a table at the
 * warehouse root does not make other tables' files orphans. */
static void test_orphans_confined(void) {
  char far[400], farmeta[400], link[400], target[400], p[400];
  /* a table whose location is another directory */
  write_rows("oso.far", 5);
  snprintf(p, sizeof p, "%s/elsewhere", dir);
  edit("oso.far", set_location, p);
  snprintf(far, sizeof far, "%s/elsewhere/data/old.parquet", dir);
  snprintf(farmeta, sizeof farmeta, "%s/elsewhere/metadata/old.avro", dir);
  old_file(far);
  old_file(farmeta);
  /* a table reached through a symlink to another directory */
  snprintf(target, sizeof target, "%s/linked/data/old.parquet", dir);
  old_file(target);
  snprintf(link, sizeof link, "%s/oso/lnk", wh);
  snprintf(p, sizeof p, "%s/linked", dir);
  CHECK(symlink(p, link) == 0);
  write_rows("oso.lnk_src", 3);
  edit("oso.lnk_src", set_location, link);
  /* a table located at the warehouse root, beside a table with live files */
  write_rows("oso.live", 7);
  write_rows("oso.root", 2);
  edit("oso.root", set_location, wh);
  floe_vec paths = {0};
  CHECK(orphans(L, false, &paths) == 0);
  CHECK(!listed(&paths, "/oso/live/"));
  CHECK(!listed(&paths, "/elsewhere/"));
  CHECK(!listed(&paths, "/linked/"));
  CHECK(!listed(&paths, "/oso/lnk/"));
  for (size_t i = 0; i < paths.len; i++) fprintf(stderr, "  listed: %s\n", (char *)paths.items[i]);
  free_paths(&paths);
  paths = (floe_vec){0};
  CHECK(orphans(L, true, &paths) == 0);
  free_paths(&paths);
  CHECK(exists(far) && exists(farmeta) && exists(target));
  CHECK_Q("SELECT count(*) FROM oso.live", "7");
}

/* 10.10: files under a directory of no table (a create that failed or was killed) are orphans; a
 * directory holding some other catalog's table is not floe's to clean. */
static void test_orphans_unowned(void) {
  char a[400], b[400], c[400], notes[400], fa[400], fd[400];
  snprintf(a, sizeof a, "%s/oso/ghost/data/0b5e3a1c-7f0e-4c7a-9d1e-2b3c4d5e6f70.parquet", wh);
  snprintf(b, sizeof b, "%s/oso/ghost/data/0b5e3a1c/__floe_p0=3/data_0.parquet", wh);
  snprintf(c, sizeof c, "%s/oso/ghost/metadata/snap-1-1-x.avro", wh);
  snprintf(notes, sizeof notes, "%s/oso/ghost/data/notes.txt", wh);
  snprintf(fa, sizeof fa, "%s/oso/foreign/metadata/00001-a.metadata.json", wh);
  snprintf(fd, sizeof fd, "%s/oso/foreign/data/f.parquet", wh);
  const char *all[] = {a, b, c, notes, fa, fd};
  for (int i = 0; i < 6; i++) old_file(all[i]);
  floe_vec paths = {0};
  CHECK(orphans(L, false, &paths) == 0);
  CHECK(listed(&paths, a) && listed(&paths, b) && listed(&paths, c));
  CHECK(!listed(&paths, notes) && !listed(&paths, "/oso/foreign/"));
  free_paths(&paths);
  paths = (floe_vec){0};
  CHECK(orphans(L, true, &paths) == 0);
  free_paths(&paths);
  CHECK(!exists(a) && !exists(b) && !exists(c));
  CHECK(exists(notes) && exists(fa) && exists(fd));
}

/* ---- races, made deterministic by the lake's test hook */
static const char *hook_at;
static char published[400];
static int hook_rc;

typedef struct add_ctx {
  json_t *df;
} add_ctx;

static int add_mutate(floe_lake *l, lake_table *base, json_t **out, void *vctx, floe_err *err) {
  add_ctx *c = vctx;
  json_t *added = json_array();
  json_array_append(added, c->df);
  lake_change ch = {.operation = "append", .added = added};
  int rc = lake_apply_change(l, base, &ch, out, err);
  json_decref(added);
  return rc;
}

/* A writer that wrote its data file before the orphan listing and publishes it after. */
static int hook(floe_lake *l, const char *point) {
  if (!hook_at || strcmp(point, hook_at)) return 0;
  hook_at = NULL;
  floe_err err = {0};
  if (!strcmp(point, "orphans-walked")) {
    lake_table t;
    json_t *entries = NULL;
    if (lake_table_load(L2, "oso.race", false, &t, &err)) return 1;
    hook_rc = lake_snapshot_entries(L2, t.meta, lake_current_snapshot_id(t.meta), &entries, &err);
    json_t *df = json_deep_copy(json_object_get(json_array_get(entries, 0), "data_file"));
    json_object_set_new(df, "file_path", json_string(published));
    add_ctx c = {df};
    if (!hook_rc) hook_rc = lake_commit(L2, "oso.race", false, add_mutate, &c, NULL, &err);
    if (hook_rc) fprintf(stderr, "hook commit: %s\n", err.msg);
    json_decref(df);
    json_decref(entries);
    lake_table_free(&t);
  } else if (!strcmp(point, "commit-before-swap")) {
    floe_vec paths = {0};
    hook_rc = orphans(L2, true, &paths); /* a cleanup with --min-age 0 while the write is in flight */
    hook_rc = hook_rc ? hook_rc : paths.len == 0;
    free_paths(&paths);
  } else if (!strcmp(point, "write-data-written")) {
    return 1; /* the write fails after its data files are written */
  }
  (void)l;
  return 0;
}

static void copy_file(const char *from, const char *to) {
  char *data = NULL;
  size_t n = 0;
  floe_err err = {0};
  CHECK(floe_file_read(from, &data, &n, &err) == 0);
  CHECK(floe_file_write_atomic(to, data, n, 0600, &err) == 0);
  floe_free(data);
}

/* 9.8: a file a commit publishes after the orphan listing began is never deleted. */
static void test_orphans_race(void) {
  write_rows("oso.race", 10);
  char first[400];
  floe_err err = {0};
  char *files = NULL;
  CHECK(floe_lake_files(L, "oso.race", 0, &files, &err) == 0);
  json_t *fj = json_loads(files ? files : "[]", 0, NULL);
  snprintf(first, sizeof first, "%s", json_string_value(json_object_get(json_array_get(fj, 0), "file_path")));
  json_decref(fj);
  floe_free(files);
  snprintf(published, sizeof published, "%s/oso/race/data/late-writer.parquet", wh);
  copy_file(first, published); /* written before the listing, published during it */
  lake_test_hook = hook;
  hook_at = "orphans-walked";
  floe_vec paths = {0};
  CHECK(orphans(L, true, &paths) == 0);
  CHECK(hook_rc == 0 && hook_at == NULL);
  CHECK(!listed(&paths, "late-writer"));
  free_paths(&paths);
  CHECK(exists(published));
  CHECK_Q("SELECT count(*) FROM oso.race", "20");

  /* The other order: the cleanup runs while a write is in flight and removes its unpublished files; the
   * write then fails, and the table keeps its rows. */
  hook_at = "commit-before-swap";
  int rc = floe_lake_write(L, "oso.race", "SELECT 99 AS id, 'late' AS name", NULL, NULL, &err);
  CHECK(hook_rc == 0 && hook_at == NULL);
  CHECK(rc != 0);
  CHECK_CONTAINS(err.msg, "was deleted before the commit was published");
  CHECK_Q("SELECT count(*) FROM oso.race", "20");
  write_rows("oso.race", 1);
  CHECK_Q("SELECT count(*) FROM oso.race", "21");
  lake_test_hook = NULL;
}

/* 10.10: a write that fails after writing its data files removes them (and the directories it made). */
static void test_failed_create_cleans_up(void) {
  lake_test_hook = hook;
  floe_err err = {0};
  char p[400];
  hook_at = "write-data-written";
  CHECK(floe_lake_write(L, "oso.failed", "SELECT i AS id FROM range(10) t(i)", NULL, NULL, &err) != 0);
  snprintf(p, sizeof p, "%s/oso/failed", wh);
  CHECK(!exists(p));
  hook_at = "write-data-written";
  floe_lake_write_opts o = {.partition_by = "id"};
  CHECK(floe_lake_write(L, "oso.failed_p", "SELECT i AS id FROM range(10) t(i)", &o, NULL, &err) != 0);
  snprintf(p, sizeof p, "%s/oso/failed_p", wh);
  CHECK(!exists(p));
  /* a failed append to an existing table leaves its files as they were */
  write_rows("oso.kept", 4);
  hook_at = "write-data-written";
  CHECK(floe_lake_write(L, "oso.kept", "SELECT 5 AS id, 'y' AS name", NULL, NULL, &err) != 0);
  char *files = NULL;
  CHECK(floe_lake_files(L, "oso.kept", 0, &files, &err) == 0);
  floe_free(files);
  snprintf(p, sizeof p, "find %s/oso/kept/data -type f | wc -l | grep -qx 1", wh);
  CHECK(system(p) == 0);
  lake_test_hook = NULL;
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/floe-maint-unit.XXXXXX");
  if (!mkdtemp(dir)) return 1;
  floe_err err = {0};
  snprintf(wh, sizeof wh, "%s/lake", dir);
  snprintf(db, sizeof db, "%s/floe.db", dir);
  if (floe_lake_open(wh, db, "test", &L, &err) || floe_lake_open(wh, db, "test", &L2, &err)) {
    fprintf(stderr, "open: %s\n", err.msg);
    return 1;
  }
  test_expire_confined();
  test_orphans_confined();
  test_orphans_unowned();
  test_orphans_race();
  test_failed_create_cleans_up();
  floe_lake_close(L);
  floe_lake_close(L2);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (!test_failures && system(cmd)) {
  }
  TEST_MAIN_END();
}
