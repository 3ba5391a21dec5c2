/* test_lake.c — the lake library against a real SQLite catalog and real DuckDB in a temp dir. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "floe/engine.h"
#include "floe/lake.h"
#include "test.h"
#include "../../../src/lake/lake_int.h" /* white-box: the Avro codec */

static char dir[256];
static floe_lake *L;

/* Runs sql through the read-only query engine (as_of may be NULL); returns the first value as a string. */
static char *q1(const char *as_of, const char *sql) {
  floe_err err = {0};
  floe_engine *e;
  if (floe_lake_query_engine(L, as_of, &e, &err)) {
    fprintf(stderr, "query engine: %s\n", err.msg);
    return strdup("ERR");
  }
  floe_result *r;
  char *out;
  if (floe_engine_query_readonly(e, sql, &r, &err)) {
    out = malloc(strlen(err.msg) + 5);
    sprintf(out, "ERR %s", err.msg);
  } else {
    const char *v = floe_result_nrows(r) ? floe_result_str(r, 0, 0) : "(none)";
    out = strdup(v ? v : "NULL");
    floe_result_free(r);
  }
  floe_engine_close(e);
  return out;
}

#define CHECK_Q(as_of, sql, want)                                                                                      \
  do {                                                                                                                 \
    char *got_ = q1(as_of, sql);                                                                                       \
    CHECK_STR(got_, want);                                                                                             \
    free(got_);                                                                                                        \
  } while (0)

static void test_avro_roundtrip(void) {
  floe_err err = {0};
  json_t *schema = json_loads("{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"long\","
                              "\"field-id\":1},{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"field-id\":2},"
                              "{\"name\":\"c\",\"type\":{\"type\":\"array\",\"items\":\"bytes\"},\"field-id\":3}]}",
                              0, NULL);
  json_t *recs = json_loads("[{\"a\":-5,\"b\":\"x\",\"c\":[\"00ff\"]},{\"a\":1234567890123,\"b\":null,\"c\":[]}]",
                            0, NULL);
  char path[300];
  snprintf(path, sizeof path, "%s/t.avro", dir);
  const char *kv[] = {"k", "v", NULL};
  CHECK(lake_avro_write(path, schema, kv, recs, NULL, &err) == 0);
  json_t *s2, *m2, *r2;
  CHECK(lake_avro_read(path, &s2, &m2, &r2, &err) == 0);
  CHECK(json_equal(recs, r2));
  CHECK_STR(json_string_value(json_object_get(m2, "k")), "v");
  CHECK(json_integer_value(json_object_get(json_array_get(json_object_get(s2, "fields"), 0), "field-id")) == 1);
  json_decref(schema), json_decref(recs), json_decref(s2), json_decref(m2), json_decref(r2);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/floe-lake-unit.XXXXXX");
  if (!mkdtemp(dir)) return 1;
  floe_err err = {0};
  char wh[300], db[300];
  snprintf(wh, sizeof wh, "%s/lake", dir);
  snprintf(db, sizeof db, "%s/floe.db", dir);
  test_avro_roundtrip();
  if (floe_lake_open(wh, db, "test", &L, &err)) {
    fprintf(stderr, "open: %s\n", err.msg);
    return 1;
  }
  floe_lake_commit_info info;
  /* create + append */
  int rc = floe_lake_write(L, "oso.events",
                           "SELECT i AS id, 'n' || i AS name, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, "
                           "i::INTEGER AS small, i * 0.5 AS score FROM range(100) t(i)",
                           NULL, &info, &err);
  if (rc) fprintf(stderr, "write: %s\n", err.msg);
  CHECK(rc == 0);
  CHECK(info.created);
  CHECK(info.added_rows == 100);
  int64_t s1 = info.snapshot_id;
  CHECK(s1 > 0);
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events", "100");
  CHECK_Q(NULL, "SELECT sum(id) FROM oso.events", "4950");
  rc = floe_lake_write(L, "oso.events", "SELECT 1000 AS id, 'late' AS name", NULL, &info, &err);
  CHECK(rc == 0);
  CHECK(info.total_rows == 101);
  int64_t s2 = info.snapshot_id;
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events", "101");
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events WHERE ts IS NULL", "1");
  /* time travel */
  char sid[32];
  snprintf(sid, sizeof sid, "%lld", (long long)s1);
  CHECK_Q(sid, "SELECT count(*) FROM oso.events", "100");
  /* schema evolution: new column + int -> long widening */
  rc = floe_lake_write(L, "oso.events", "SELECT 2000 AS id, 5000000000 AS small, 'x' AS extra", NULL, &info, &err);
  if (rc) fprintf(stderr, "evolve: %s\n", err.msg);
  CHECK(rc == 0);
  CHECK_Q(NULL, "SELECT max(small) FROM oso.events", "5000000000");
  CHECK_Q(NULL, "SELECT count(extra) FROM oso.events", "1");
  CHECK_Q(NULL, "SELECT typeof(small) FROM oso.events LIMIT 1", "BIGINT");
  /* delete by predicate (copy-on-write) */
  rc = floe_lake_delete(L, "oso.events", "id >= 50 AND id < 100", &info, &err);
  if (rc) fprintf(stderr, "delete: %s\n", err.msg);
  CHECK(rc == 0);
  CHECK(info.deleted_rows == 100); /* the one file holding them was rewritten */
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events", "52");
  /* replace a range */
  floe_lake_write_opts o = {.replace_where = "id < 10"};
  rc = floe_lake_write(L, "oso.events", "SELECT 7 AS id, 'seven' AS name", &o, &info, &err);
  CHECK(rc == 0);
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events", "43");
  CHECK_Q(NULL, "SELECT name FROM oso.events WHERE id = 7", "seven");
  /* replace-where whose new rows add a column: the rewritten files get the new schema too */
  o = (floe_lake_write_opts){.replace_where = "id = 20"}; /* its file holds ids 10..49: it is rewritten */
  rc = floe_lake_write(L, "oso.events", "SELECT 20 AS id, 'twenty' AS name, 'new' AS extra2", &o, &info, &err);
  if (rc) fprintf(stderr, "replace+evolve: %s\n", err.msg);
  CHECK(rc == 0);
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events", "43");
  CHECK_Q(NULL, "SELECT extra2 || name FROM oso.events WHERE id = 20", "newtwenty");
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events WHERE id BETWEEN 10 AND 49", "40");
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events WHERE extra2 IS NULL", "42");
  /* tag, rollback */
  CHECK(floe_lake_tag(L, "oso.events", "consumer", s2, false, &err) == 0);
  CHECK_Q("consumer", "SELECT count(*) FROM oso.events", "101");
  CHECK(floe_lake_rollback(L, "oso.events", s2, &err) == 0);
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events", "101");
  /* overwrite */
  o = (floe_lake_write_opts){.mode = FLOE_LAKE_OVERWRITE};
  rc = floe_lake_write(L, "oso.events", "SELECT 1 AS id", &o, &info, &err);
  CHECK(rc == 0);
  CHECK(info.deleted_rows == 101);
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events", "1");
  /* read-only: no writes, no files outside the lake */
  char *got = q1(NULL, "COPY (SELECT 1) TO '/tmp/floe-x.csv'");
  CHECK(!strncmp(got, "ERR", 3));
  free(got);
  got = q1(NULL, "SELECT 1; CREATE TABLE x AS SELECT 1");
  CHECK_CONTAINS(got, "read-only");
  free(got);
  got = q1(NULL, "SELECT * FROM read_csv('/etc/passwd')");
  CHECK(!strncmp(got, "ERR", 3));
  free(got);
  got = q1(NULL, "SELECT count(*) FROM oso.events; CREATE TABLE x AS SELECT 1");
  CHECK(!strncmp(got, "ERR", 3));
  free(got);
  /* partitioned table */
  o = (floe_lake_write_opts){.partition_by = "day(ts), kind"};
  rc = floe_lake_write(L, "oso.part",
                       "SELECT i AS id, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, CASE WHEN i % 2 = 0 THEN "
                       "'a' ELSE 'b' END AS kind FROM range(72) t(i)",
                       &o, &info, &err);
  if (rc) fprintf(stderr, "partitioned: %s\n", err.msg);
  CHECK(rc == 0);
  CHECK(info.added_files >= 6); /* one file per partition, or more when DuckDB writes in parallel */
  CHECK_Q(NULL, "SELECT count(*) FROM oso.part WHERE kind = 'a'", "36");
  char *files = NULL;
  CHECK(floe_lake_files(L, "oso.part", 0, &files, &err) == 0);
  CHECK_CONTAINS(files, "\"ts_day\": 19723");
  floe_free(files);
  rc = floe_lake_delete(L, "oso.part", "ts < TIMESTAMP '2024-01-02'", &info, &err);
  CHECK(rc == 0);
  CHECK(info.deleted_files >= 2);
  CHECK_Q(NULL, "SELECT count(*) FROM oso.part", "48");
  /* expire + orphans */
  int expired = 0, deleted = 0;
  CHECK(floe_lake_expire(L, "oso.events", 0, 1, &expired, &deleted, &err) == 0);
  CHECK(expired >= 1);
  CHECK(deleted >= 1);
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events", "1");
  CHECK_Q("consumer", "SELECT count(*) FROM oso.events", "101"); /* tagged snapshot survives */
  char orphan[400];
  snprintf(orphan, sizeof orphan, "%s/oso/events/data/orphan.parquet", wh);
  FILE *f = fopen(orphan, "w");
  fputs("x", f);
  fclose(f);
  /* A file's mtime may lie up to a second ahead of time(): it is an orphan all the same when no age is asked. */
  struct timespec ahead[2];
  clock_gettime(CLOCK_REALTIME, &ahead[0]);
  ahead[0].tv_sec += 1;
  ahead[1] = ahead[0];
  CHECK(utimensat(AT_FDCWD, orphan, ahead, 0) == 0);
  floe_vec paths = {0};
  CHECK(floe_lake_orphans(L, true, 0, &paths, &err) == 0);
  CHECK(paths.len == 1);
  if (paths.len) CHECK_STR(paths.items[0], orphan);
  for (size_t i = 0; i < paths.len; i++) floe_free(paths.items[i]);
  floe_vec_free(&paths);
  CHECK(access(orphan, F_OK) != 0);
  CHECK_Q(NULL, "SELECT count(*) FROM oso.events", "1");
  /* tables list */
  floe_vec names = {0};
  CHECK(floe_lake_tables(L, &names, &err) == 0);
  CHECK(names.len == 2);  /* oso.events, oso.part */
  for (size_t i = 0; i < names.len; i++) floe_free(names.items[i]);
  floe_vec_free(&names);
  /* a table with delete files (merge-on-read, as other engines write them) is refused, never read wrong */
  CHECK(floe_lake_write(L, "other.mor", "SELECT 1 AS id", NULL, &info, &err) == 0);
  {
    lake_table t;
    CHECK(lake_table_load(L, "other.mor", false, &t, &err) == 0);
    const char *ml = json_string_value(json_object_get(lake_snapshot(t.meta, lake_current_snapshot_id(t.meta)), "manifest-list"));
    json_t *sch, *meta, *recs;
    CHECK(lake_avro_read(ml, &sch, &meta, &recs, &err) == 0);
    json_t *del = json_deep_copy(json_array_get(recs, 0));
    json_object_set_new(del, "content", json_integer(1));
    json_array_append_new(recs, del);
    const char *kv[] = {"format-version", "2", NULL};
    CHECK(lake_avro_write(ml, sch, kv, recs, NULL, &err) == 0);
    json_decref(sch), json_decref(meta), json_decref(recs);
    lake_table_free(&t);
    floe_engine *e = NULL;
    rc = floe_lake_query_engine(L, NULL, &e, &err);
    CHECK(rc == FLOE_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "delete files");
    floe_engine_close(e);
    rc = floe_lake_write(L, "other.mor", "SELECT 2 AS id", NULL, &info, &err);
    CHECK(rc == FLOE_EUNSUPPORTED);
  }
  /* a bad query is an input error */
  rc = floe_lake_write(L, "oso.bad", "SELECT * FROM read_csv('/nonexistent.csv')", NULL, &info, &err);
  CHECK(rc == FLOE_EINPUT);
  floe_lake_close(L);
  if (!test_failures) floe_rmtree(dir);
  TEST_MAIN_END();
}
