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

/* Non-finite doubles (NaN partition values) survive an Avro round trip as "NaN" / "Infinity" / "-Infinity". */
static void test_avro_nonfinite(void) {
  floe_err err = {0};
  json_t *schema = json_loads("{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"d\",\"type\":[\"null\","
                              "\"double\"],\"field-id\":1},{\"name\":\"f\",\"type\":\"float\",\"field-id\":2}]}",
                              0, NULL);
  json_t *recs = json_loads("[{\"d\":\"NaN\",\"f\":\"-Infinity\"},{\"d\":\"Infinity\",\"f\":0.5},{\"d\":null,\"f\":"
                            "\"NaN\"},{\"d\":-2.5,\"f\":1.0}]",
                            0, NULL);
  char path[300];
  snprintf(path, sizeof path, "%s/nf.avro", dir);
  CHECK(lake_avro_write(path, schema, NULL, recs, NULL, &err) == 0);
  json_t *r2 = NULL;
  CHECK(lake_avro_read(path, NULL, NULL, &r2, &err) == 0);
  CHECK(json_equal(recs, r2));
  json_decref(schema), json_decref(recs), json_decref(r2);
}

/* The manifest list of a table's current snapshot, decoded from its file (not the in-process cache). */
static json_t *manifest_list_of(const char *table) {
  floe_err err = {0};
  lake_table t;
  json_t *recs = NULL;
  if (lake_table_load(L, table, false, &t, &err)) return NULL;
  const char *ml =
      json_string_value(json_object_get(lake_snapshot(t.meta, lake_current_snapshot_id(t.meta)), "manifest-list"));
  if (lake_avro_read(lake_local_path(ml), NULL, NULL, &recs, &err)) recs = NULL;
  lake_table_free(&t);
  return recs;
}

/* Live data_file records of a table's current snapshot, decoded from its manifests. */
static json_t *data_files_of(const char *table) {
  floe_err err = {0};
  lake_table t;
  json_t *entries = NULL, *out = json_array();
  if (lake_table_load(L, table, false, &t, &err)) return out;
  if (!lake_snapshot_entries(L, t.meta, lake_current_snapshot_id(t.meta), &entries, &err)) {
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) json_array_append(out, json_object_get(e, "data_file"));
  }
  json_decref(entries);
  lake_table_free(&t);
  return out;
}

/* Value of key in an Iceberg map as jansson holds it: [{"key": k, "value": v}, ...]. */
static json_t *map_get(const json_t *m, json_int_t key) {
  size_t i;
  json_t *kv;
  json_array_foreach(m, i, kv) {
    if (json_integer_value(json_object_get(kv, "key")) == key) return json_object_get(kv, "value");
  }
  return NULL;
}

/* Summary field i of manifest list record mf. */
#define SUMMARY(mf, i) json_array_get(json_object_get((mf), "partitions"), (i))
#define CHECK_SUMMARY(sum, null_, nan_, lo, hi)                                                                        \
  do {                                                                                                                 \
    json_t *s_ = (sum);                                                                                                \
    CHECK(s_ != NULL);                                                                                                 \
    CHECK(json_is_true(json_object_get(s_, "contains_null")) == (null_));                                              \
    CHECK(json_is_true(json_object_get(s_, "contains_nan")) == (nan_));                                                \
    CHECK(json_is_boolean(json_object_get(s_, "contains_nan")));                                                       \
    CHECK_STR(json_string_value(json_object_get(s_, "lower_bound")), lo);                                              \
    CHECK_STR(json_string_value(json_object_get(s_, "upper_bound")), hi);                                              \
  } while (0)

/* Manifest list partition summaries (field 507): written per manifest, carried with a fast append,
 * recomputed when a manifest is rewritten (delete) or merged. */
static void test_partition_summaries(void) {
  floe_err err = {0};
  floe_lake_commit_info info;
  floe_lake_write_opts o = {.partition_by = "day(ts), kind"};
  /* 72 hours from 2024-01-01 (days 19723..19725), every 10th ts NULL; kind a, b or NULL */
  int rc = floe_lake_write(L, "psum.t",
                           "SELECT i AS id, CASE WHEN i % 10 = 9 THEN NULL ELSE TIMESTAMP '2024-01-01' + INTERVAL (i) "
                           "HOUR END AS ts, CASE i % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' END AS kind FROM range(72) t(i)",
                           &o, &info, &err);
  if (rc) fprintf(stderr, "psum: %s\n", err.msg);
  CHECK(rc == 0);
  json_t *ml = manifest_list_of("psum.t");
  CHECK(json_array_size(ml) == 1);
  json_t *first = json_deep_copy(json_array_get(ml, 0));
  CHECK(json_array_size(json_object_get(first, "partitions")) == 2);
  CHECK_SUMMARY(SUMMARY(first, 0), true, false, "0b4d0000", "0d4d0000"); /* days 19723, 19725 as 4-byte LE */
  CHECK_SUMMARY(SUMMARY(first, 1), true, false, "61", "62");             /* 'a', 'b' as UTF-8 */
  json_decref(ml);
  /* fast append: the first manifest (and its summary) is carried as it is */
  rc = floe_lake_write(L, "psum.t", "SELECT 100 AS id, TIMESTAMP '2024-02-01 05:00' AS ts, 'c' AS kind", NULL, &info,
                       &err);
  CHECK(rc == 0);
  ml = manifest_list_of("psum.t");
  CHECK(json_array_size(ml) == 2);
  CHECK_SUMMARY(SUMMARY(json_array_get(ml, 0), 0), false, false, "2a4d0000", "2a4d0000"); /* 19754 */
  CHECK_SUMMARY(SUMMARY(json_array_get(ml, 0), 1), false, false, "63", "63");
  CHECK(json_equal(json_array_get(ml, 1), first));
  json_decref(ml);
  /* a delete rewrites the manifest listing the removed files: its summary is recomputed, deleted
   * entries included (as Java does) */
  CHECK(floe_lake_delete(L, "psum.t", "ts < TIMESTAMP '2024-01-02'", &info, &err) == 0);
  CHECK(info.deleted_files >= 2);
  ml = manifest_list_of("psum.t");
  json_t *rewritten = NULL;
  size_t i;
  json_t *mf;
  json_array_foreach(ml, i, mf) {
    if (json_integer_value(json_object_get(mf, "deleted_files_count")) > 0) rewritten = mf;
  }
  CHECK(rewritten != NULL);
  if (rewritten) CHECK_SUMMARY(SUMMARY(rewritten, 0), true, false, "0b4d0000", "0d4d0000");
  json_decref(ml);
  /* the next rewrite drops the deleted entries: day 19723 leaves the summary */
  CHECK(floe_lake_delete(L, "psum.t", "ts >= TIMESTAMP '2024-01-03' AND ts < TIMESTAMP '2024-01-04'", &info, &err) == 0);
  ml = manifest_list_of("psum.t");
  rewritten = NULL;
  json_array_foreach(ml, i, mf) {
    if (json_integer_value(json_object_get(mf, "deleted_files_count")) > 0) rewritten = mf;
  }
  CHECK(rewritten != NULL);
  if (rewritten) CHECK_SUMMARY(SUMMARY(rewritten, 0), true, false, "0c4d0000", "0d4d0000");
  json_decref(ml);
  CHECK_Q(NULL, "SELECT count(*) FROM psum.t", "30"); /* 72 + 1 - 22 - 21 */
  /* merge: past 100 manifests the small ones are merged into one, with the summary of all its entries */
  o = (floe_lake_write_opts){0};
  for (int k = 0; k < 100; k++) {
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT %d AS id, TIMESTAMP '2024-03-01' + INTERVAL (%d) DAY AS ts, 'm' AS kind",
             1000 + k, k);
    if ((rc = floe_lake_write(L, "psum.t", sql, NULL, &info, &err))) {
      fprintf(stderr, "psum merge: %s\n", err.msg);
      break;
    }
  }
  CHECK(rc == 0);
  ml = manifest_list_of("psum.t");
  CHECK(json_array_size(ml) < 100);
  json_t *merged = NULL;
  json_array_foreach(ml, i, mf) {
    if (json_integer_value(json_object_get(mf, "existing_files_count")) > 50) merged = mf;
  }
  CHECK(merged != NULL);
  /* the merged manifest holds the rows from 2024-01-02 (day 19724) to the last append before the merge */
  if (merged) {
    json_t *entries = NULL;
    json_int_t max_day = 0;
    CHECK(lake_read_manifest(L, merged, &entries, &err) == 0);
    json_array_foreach(entries, i, mf) {
      json_int_t d = json_integer_value(json_object_get(json_object_get(json_object_get(mf, "data_file"), "partition"), "ts_day"));
      if (d > max_day) max_day = d;
    }
    json_decref(entries);
    CHECK(max_day > 19783 && max_day < 19783 + 99); /* 2024-03-01 + k */
    char want[9];
    snprintf(want, sizeof want, "%02x%02x0000", (unsigned)(max_day & 0xff), (unsigned)(max_day >> 8));
    CHECK_SUMMARY(SUMMARY(merged, 0), true, false, "0c4d0000", want);
    CHECK_SUMMARY(SUMMARY(merged, 1), true, false, "61", "6d");
  }
  json_decref(ml);
  CHECK_Q(NULL, "SELECT count(*) FROM psum.t", "130");
  json_decref(first);

  /* identity partitions on a date, a timestamp and a double with NaN: values in their Iceberg form */
  o = (floe_lake_write_opts){.partition_by = "d, t, x"};
  rc = floe_lake_write(L, "psum.ident",
                       "SELECT i AS id, DATE '2024-01-01' + (i % 2)::INT AS d, TIMESTAMP '1970-01-01 00:00:01' AS t, "
                       "CASE i % 4 WHEN 0 THEN 'NaN'::DOUBLE WHEN 1 THEN NULL WHEN 2 THEN -2.5 ELSE 4.0 END AS x "
                       "FROM range(8) t(i)",
                       &o, &info, &err);
  if (rc) fprintf(stderr, "psum.ident: %s\n", err.msg);
  CHECK(rc == 0);
  ml = manifest_list_of("psum.ident");
  mf = json_array_get(ml, 0);
  CHECK_SUMMARY(SUMMARY(mf, 0), false, false, "0b4d0000", "0c4d0000");                  /* days 19723, 19724 */
  CHECK_SUMMARY(SUMMARY(mf, 1), false, false, "40420f0000000000", "40420f0000000000"); /* 1,000,000 us */
  CHECK_SUMMARY(SUMMARY(mf, 2), true, true, "00000000000004c0", "0000000000001040");   /* -2.5, 4.0 */
  json_decref(ml);
  json_t *dfs = data_files_of("psum.ident");
  int nan_parts = 0;
  json_array_foreach(dfs, i, mf) {
    json_t *part = json_object_get(mf, "partition");
    json_int_t d = json_integer_value(json_object_get(part, "d"));
    CHECK(d == 19723 || d == 19724);
    CHECK(json_integer_value(json_object_get(part, "t")) == 1000000);
    if (json_is_string(json_object_get(part, "x"))) {
      CHECK_STR(json_string_value(json_object_get(part, "x")), "NaN");
      nan_parts++;
    }
  }
  CHECK(nan_parts == 1); /* rows 0 and 4: one day, one file */
  json_decref(dfs);
  CHECK_Q(NULL, "SELECT count(*) FROM psum.ident WHERE isnan(x)", "2");
  CHECK_Q(NULL, "SELECT count(*) FROM psum.ident WHERE x IS NULL", "2");
  /* unpartitioned: an empty list */
  CHECK(floe_lake_write(L, "psum.flat", "SELECT 1 AS id", NULL, &info, &err) == 0);
  ml = manifest_list_of("psum.flat");
  json_t *parts = json_object_get(json_array_get(ml, 0), "partitions");
  CHECK(json_is_array(parts) && json_array_size(parts) == 0);
  json_decref(ml);
}

/* nan_value_counts (field 137) for float/double columns, bounds without NaNs, zeros widened, and
 * binary bounds truncated to 16 bytes. */
static void test_nan_counts_and_bounds(void) {
  floe_err err = {0};
  floe_lake_commit_info info;
  int rc = floe_lake_write(L, "stats.nans",
                           "SELECT i AS id, CASE WHEN i % 4 = 0 THEN 'NaN'::DOUBLE WHEN i % 5 = 0 THEN NULL "
                           "ELSE i * 1.5 END AS x, CASE WHEN i % 4 = 1 THEN 'NaN'::FLOAT ELSE (i - 50)::FLOAT END AS y, "
                           "CASE WHEN i < 50 THEN 0.0 ELSE 1.0 END::DOUBLE AS w, "
                           "CASE i % 3 WHEN 0 THEN '\\x00\\xFF'::BLOB WHEN 1 THEN 'abc'::BLOB "
                           "ELSE repeat('z', 20)::BLOB END AS b FROM range(100) t(i)",
                           NULL, &info, &err);
  if (rc) fprintf(stderr, "nans: %s\n", err.msg);
  CHECK(rc == 0);
  json_t *dfs = data_files_of("stats.nans");
  CHECK(json_array_size(dfs) == 1);
  json_t *df = json_array_get(dfs, 0);
  json_t *nans = json_object_get(df, "nan_value_counts"), *lo = json_object_get(df, "lower_bounds"),
         *hi = json_object_get(df, "upper_bounds");
  CHECK(json_integer_value(map_get(nans, 2)) == 25);                  /* x */
  CHECK(json_integer_value(map_get(nans, 3)) == 25);                  /* y */
  CHECK(map_get(nans, 4) && json_integer_value(map_get(nans, 4)) == 0); /* w: no NaN, still counted */
  CHECK(map_get(nans, 1) == NULL && map_get(nans, 5) == NULL);          /* not float columns */
  CHECK(json_integer_value(map_get(json_object_get(df, "null_value_counts"), 2)) == 15);
  CHECK(json_integer_value(map_get(json_object_get(df, "value_counts"), 2)) == 100);
  CHECK_STR(json_string_value(map_get(lo, 2)), "000000000000f83f"); /* 1.5 */
  CHECK_STR(json_string_value(map_get(hi, 2)), "0000000000906240"); /* 148.5 */
  CHECK_STR(json_string_value(map_get(lo, 3)), "000048c2");         /* -50.0f */
  CHECK_STR(json_string_value(map_get(hi, 3)), "00004442");         /* 49.0f */
  CHECK_STR(json_string_value(map_get(lo, 4)), "0000000000000080"); /* 0.0 widened to -0.0 */
  CHECK_STR(json_string_value(map_get(hi, 4)), "000000000000f03f"); /* 1.0 */
  CHECK_STR(json_string_value(map_get(lo, 5)), "00ff");
  CHECK_STR(json_string_value(map_get(hi, 5)), "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7b"); /* 'z' x 15 + '{' */
  json_decref(dfs);
  CHECK_Q(NULL, "SELECT count(*) FROM stats.nans WHERE isnan(x)", "25");
  CHECK_Q(NULL, "SELECT max(x) FILTER (WHERE NOT isnan(x)) FROM stats.nans", "148.5");
  CHECK_Q(NULL, "SELECT hex(min(b)) FROM stats.nans", "00FF");
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
  test_avro_nonfinite();
  test_partition_summaries();
  test_nan_counts_and_bounds();
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
