/* test_store.c — the SQLite instance store: runs, steps, events, materializations, migrations, and
 * many processes writing at once without "database is locked". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include "floe/store.h"
#include "test.h"

static char dir[] = "/tmp/floe-store-XXXXXX";
static char db[256];

static void test_runs(void) {
  floe_err err = {0};
  floe_store *s;
  CHECK(floe_store_open(db, &s, &err) == 0);
  floe_run_rec r = {.status = FLOE_RUN_QUEUED, .job = "job_a", .selection = "*"};
  snprintf(r.id, sizeof r.id, "aaaa0000000000000000000000000001");
  CHECK(floe_store_run_create(s, &r, &err) == 0);
  snprintf(r.id, sizeof r.id, "aaaa0000000000000000000000000002");
  r.job = "job_b";
  r.created_us = floe_now_us() + 10;
  CHECK(floe_store_run_create(s, &r, &err) == 0);
  /* duplicate id is an error, not a crash */
  CHECK(floe_store_run_create(s, &r, &err) == FLOE_EDB);
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_run_rec got;
  CHECK(floe_store_run_get(s, &a, "aaaa", &got, &err) == FLOE_EINPUT); /* ambiguous prefix */
  CHECK_CONTAINS(err.msg, "ambiguous");
  CHECK(floe_store_run_get(s, &a, "aaaa0000000000000000000000000002", &got, &err) == 0);
  CHECK_STR(got.job, "job_b");
  CHECK(floe_store_run_get(s, &a, "ffff", &got, &err) == FLOE_ENOTFOUND);
  bool changed = true;
  CHECK(floe_store_run_transition(s, got.id, FLOE_RUN_SUCCESS, NULL, NULL, &changed, &err) == 0 && !changed);
  CHECK(floe_store_run_transition(s, got.id, FLOE_RUN_STARTING, NULL, NULL, &changed, &err) == 0 && changed);
  CHECK(floe_store_run_transition(s, got.id, FLOE_RUN_FAILURE, NULL, "boom", &changed, &err) == 0 && changed);
  CHECK(floe_store_run_get(s, &a, got.id, &got, &err) == 0);
  CHECK(got.status == FLOE_RUN_FAILURE && got.end_us > 0);
  CHECK_STR(got.error, "boom");
  floe_run_filter f = {.status = FLOE_RUN_FAILURE};
  floe_run_rec *list;
  size_t n;
  CHECK(floe_store_run_list(s, &a, &f, &list, &n, &err) == 0 && n == 1);
  f = (floe_run_filter){.status = -1, .job = "job_a"};
  CHECK(floe_store_run_list(s, &a, &f, &list, &n, &err) == 0 && n == 1 && !strcmp(list[0].job, "job_a"));
  f = (floe_run_filter){.status = -1};
  CHECK(floe_store_run_list(s, &a, &f, &list, &n, &err) == 0 && n == 2);
  CHECK(!strcmp(list[0].id, "aaaa0000000000000000000000000002")); /* newest first */
  /* steps upsert keeps start time and log paths across updates */
  floe_step_rec st = {.run_id = got.id, .asset_key = "x/y", .status = FLOE_STEP_RUNNING, .start_us = 5, .log_out = "o"};
  CHECK(floe_store_step_upsert(s, &st, &err) == 0);
  st = (floe_step_rec){.run_id = got.id, .asset_key = "x/y", .status = FLOE_STEP_SUCCESS, .end_us = 9, .attempt = 1};
  CHECK(floe_store_step_upsert(s, &st, &err) == 0);
  floe_step_rec *steps;
  CHECK(floe_store_step_list(s, &a, got.id, &steps, &n, &err) == 0 && n == 1);
  CHECK(steps[0].start_us == 5 && steps[0].end_us == 9 && steps[0].status == FLOE_STEP_SUCCESS);
  CHECK_STR(steps[0].log_out, "o");
  floe_materialization_rec m = {.asset_key = "x/y", .run_id = got.id, .metadata_json = "{\"rows\":1}"};
  CHECK(floe_store_materialization_put(s, &m, &err) == 0);
  m.metadata_json = "{\"rows\":2}";
  CHECK(floe_store_materialization_put(s, &m, &err) == 0);
  floe_materialization_rec *mats;
  CHECK(floe_store_materialization_list(s, &a, &mats, &n, &err) == 0 && n == 1);
  CHECK_STR(mats[0].metadata_json, "{\"rows\":2}");
  floe_arena_free(&a);
  floe_store_close(s);
  /* reopening an up-to-date database runs no migration and keeps data */
  CHECK(floe_store_open(db, &s, &err) == 0);
  floe_arena_init(&a, 0);
  CHECK(floe_store_run_get(s, &a, "aaaa0000000000000000000000000001", &got, &err) == 0);
  floe_arena_free(&a);
  floe_store_close(s);
}

/* 8 processes x 300 events, each event in its own transaction, plus run status updates. */
static void test_concurrent_writers(void) {
  enum { PROCS = 8, EVENTS = 300 };
  pid_t pids[PROCS];
  for (int p = 0; p < PROCS; p++) {
    pids[p] = fork();
    if (pids[p] == 0) {
      floe_err err = {0};
      floe_store *s;
      if (floe_store_open(db, &s, &err)) {
        fprintf(stderr, "child open: %s\n", err.msg);
        _exit(1);
      }
      floe_run_rec r = {.status = FLOE_RUN_QUEUED};
      snprintf(r.id, sizeof r.id, "c%031d", p);
      if (floe_store_run_create(s, &r, &err)) _exit(2);
      for (int i = 0; i < EVENTS; i++) {
        floe_event_rec e = {.run_id = r.id, .type = "LOG", .message = "m"};
        bool ch;
        if (floe_store_begin(s, &err) || floe_store_event_append(s, &e, &err) ||
            floe_store_run_heartbeat(s, r.id, &err) ||
            (i == 0 && floe_store_run_transition(s, r.id, FLOE_RUN_STARTING, NULL, NULL, &ch, &err)) ||
            floe_store_commit(s, &err)) {
          fprintf(stderr, "child write: %s\n", err.msg);
          _exit(3);
        }
      }
      floe_store_close(s);
      _exit(0);
    }
  }
  for (int p = 0; p < PROCS; p++) {
    int st;
    waitpid(pids[p], &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  floe_err err = {0};
  floe_store *s;
  CHECK(floe_store_open(db, &s, &err) == 0);
  floe_arena a;
  floe_arena_init(&a, 0);
  for (int p = 0; p < PROCS; p++) {
    char id[33];
    snprintf(id, sizeof id, "c%031d", p);
    floe_event_rec *ev;
    size_t n = 0;
    CHECK(floe_store_event_list(s, &a, id, 0, &ev, &n, &err) == 0);
    CHECK(n == EVENTS);
  }
  floe_arena_free(&a);
  floe_store_close(s);
}

static void make_run(floe_store *s, const char *id, int status) {
  floe_err err = {0};
  floe_run_rec r = {.status = status, .selection = "*"};
  snprintf(r.id, sizeof r.id, "%s", id);
  CHECK(floe_store_run_create(s, &r, &err) == 0);
}

static int run_status(floe_store *s, const char *id) {
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_run_rec r = {.status = -1};
  floe_err err = {0};
  CHECK(floe_store_run_get(s, &a, id, &r, &err) == 0);
  floe_arena_free(&a);
  return r.status;
}

/* Drives a run into `from` along allowed transitions (from QUEUED or AWAITING_APPROVAL). */
static bool drive_to(floe_store *s, const char *id, int from) {
  static const int path_to[FLOE_RUN_NSTATUS][4] = {
      [FLOE_RUN_QUEUED] = {-1},
      [FLOE_RUN_STARTING] = {FLOE_RUN_STARTING, -1},
      [FLOE_RUN_STARTED] = {FLOE_RUN_STARTING, FLOE_RUN_STARTED, -1},
      [FLOE_RUN_SUCCESS] = {FLOE_RUN_STARTING, FLOE_RUN_STARTED, FLOE_RUN_SUCCESS, -1},
      [FLOE_RUN_FAILURE] = {FLOE_RUN_FAILURE, -1},
      [FLOE_RUN_CANCELING] = {FLOE_RUN_STARTING, FLOE_RUN_CANCELING, -1},
      [FLOE_RUN_CANCELED] = {FLOE_RUN_CANCELED, -1},
      [FLOE_RUN_AWAITING_APPROVAL] = {-1},
  };
  floe_err err = {0};
  for (int i = 0; path_to[from][i] >= 0; i++) {
    bool ch = false;
    if (floe_store_run_transition(s, id, path_to[from][i], NULL, NULL, &ch, &err) || !ch) return false;
  }
  return run_status(s, id) == from;
}

/* Every (from, to) pair: the store applies exactly the transitions the table allows, and a refused one
 * changes nothing. */
static void test_transition_table(void) {
  floe_err err = {0};
  floe_store *s;
  CHECK(floe_store_open(db, &s, &err) == 0);
  int k = 0;
  for (int from = 0; from < FLOE_RUN_NSTATUS; from++)
    for (int to = 0; to < FLOE_RUN_NSTATUS; to++) {
      char id[33];
      snprintf(id, sizeof id, "tt%030d", k++);
      make_run(s, id, from == FLOE_RUN_AWAITING_APPROVAL ? FLOE_RUN_AWAITING_APPROVAL : FLOE_RUN_QUEUED);
      CHECK(drive_to(s, id, from));
      bool ch = true;
      int rc = floe_store_run_transition(s, id, to, NULL, NULL, &ch, &err);
      bool allowed = floe_run_transition_allowed(from, to);
      if (!allowed && !floe_run_transition_from(to)) CHECK(rc == FLOE_EINPUT); /* no way into `to` at all */
      else CHECK(rc == 0);
      if (ch != allowed) fprintf(stderr, "%s -> %s: changed=%d\n", floe_run_status_name(from), floe_run_status_name(to), ch);
      CHECK(ch == allowed);
      CHECK(run_status(s, id) == (allowed ? to : from));
    }
  /* the facts the architecture names */
  CHECK(!floe_run_transition_allowed(FLOE_RUN_FAILURE, FLOE_RUN_STARTED));   /* a reaped run stays dead */
  CHECK(!floe_run_transition_allowed(FLOE_RUN_STARTING, FLOE_RUN_STARTING)); /* one worker per run */
  CHECK(floe_run_transition_allowed(FLOE_RUN_STARTING, FLOE_RUN_CANCELING));
  CHECK(!floe_run_transition_allowed(FLOE_RUN_CANCELING, FLOE_RUN_STARTED)); /* a cancel during STARTING holds */
  CHECK(floe_run_transition_allowed(FLOE_RUN_AWAITING_APPROVAL, FLOE_RUN_QUEUED));
  CHECK(floe_run_transition_allowed(FLOE_RUN_AWAITING_APPROVAL, FLOE_RUN_CANCELED));
  for (int st = 0; st < FLOE_RUN_NSTATUS; st++)
    if (floe_run_status_done(st))
      for (int to = 0; to < FLOE_RUN_NSTATUS; to++) CHECK(!floe_run_transition_allowed(st, to));
  bool ch = true;
  CHECK(floe_store_run_transition(s, "ffffffffffffffffffffffffffffffff", FLOE_RUN_FAILURE, NULL, NULL, &ch, &err) ==
        FLOE_ENOTFOUND && !ch);
  /* a run is created QUEUED or AWAITING_APPROVAL, never straight into a worker's status */
  floe_run_rec r = {.status = FLOE_RUN_STARTED};
  snprintf(r.id, sizeof r.id, "tx000000000000000000000000000001");
  CHECK(floe_store_run_create(s, &r, &err) == FLOE_EINPUT);
  floe_store_close(s);
}

/* Two workers race for one run from separate processes: exactly one claim wins, with its identity stored
 * in the same statement; the loser sees the run taken. */
static void test_claim_race(void) {
  floe_err err = {0};
  floe_store *s;
  CHECK(floe_store_open(db, &s, &err) == 0);
  enum { RUNS = 20, PROCS = 4 };
  for (int i = 0; i < RUNS; i++) {
    char id[33];
    snprintf(id, sizeof id, "cr%030d", i);
    make_run(s, id, FLOE_RUN_QUEUED);
  }
  pid_t pids[PROCS];
  for (int p = 0; p < PROCS; p++) {
    if ((pids[p] = fork()) == 0) {
      floe_store *cs;
      if (floe_store_open(db, &cs, &err)) _exit(100);
      int wins = 0;
      for (int i = 0; i < RUNS; i++) {
        char id[33];
        snprintf(id, sizeof id, "cr%030d", i);
        floe_proc_id me = {.pid = getpid(), .host = "h", .boot_id = "b", .start_ticks = 1 + p};
        bool ch = false;
        if (floe_store_run_transition(cs, id, FLOE_RUN_STARTING, &me, NULL, &ch, &err)) _exit(101);
        wins += ch;
      }
      floe_store_close(cs);
      _exit(wins);
    }
  }
  int total = 0;
  for (int p = 0; p < PROCS; p++) {
    int st;
    waitpid(pids[p], &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) <= RUNS);
    total += WEXITSTATUS(st);
  }
  CHECK(total == RUNS);
  floe_arena a;
  floe_arena_init(&a, 0);
  for (int i = 0; i < RUNS; i++) {
    char id[33];
    snprintf(id, sizeof id, "cr%030d", i);
    floe_run_rec r;
    CHECK(floe_store_run_get(s, &a, id, &r, &err) == 0);
    CHECK(r.status == FLOE_RUN_STARTING && r.worker.pid > 0 && r.heartbeat_us > 0);
    CHECK_STR(r.worker.host, "h");
    CHECK_STR(r.worker.boot_id, "b");
    CHECK(r.worker.start_ticks >= 1 && r.worker.start_ticks <= PROCS);
  }
  /* the lease: a live run with an old heartbeat is stale, a fresh one is not */
  floe_run_rec *stale;
  size_t n = 0;
  CHECK(floe_store_run_list_stale(s, &a, floe_now_us() - 60 * 1000000LL, &stale, &n, &err) == 0 && n == 0);
  CHECK(floe_store_run_list_stale(s, &a, floe_now_us() + 1, &stale, &n, &err) == 0);
  size_t ours = 0;
  for (size_t i = 0; i < n; i++) ours += !strncmp(stale[i].id, "cr", 2);
  CHECK(ours == RUNS);
  floe_arena_free(&a);
  floe_store_close(s);
}

/* A statement that fails inside a transaction rolls the whole transaction back, whether the caller passes
 * the error on (floe_store_end) or ignores it and commits. */
static void test_rollback(void) {
  floe_err err = {0};
  floe_store *s;
  CHECK(floe_store_open(db, &s, &err) == 0);
  const char *id = "rb000000000000000000000000000001";
  CHECK(floe_store_begin(s, &err) == 0);
  make_run(s, id, FLOE_RUN_QUEUED);
  floe_step_rec ok = {.run_id = id, .asset_key = "a", .status = FLOE_STEP_PENDING};
  floe_step_rec bad = {.run_id = id, .asset_key = NULL, .status = FLOE_STEP_PENDING}; /* NOT NULL */
  int rc = floe_store_step_upsert(s, &ok, &err);
  if (!rc) rc = floe_store_step_upsert(s, &bad, &err);
  CHECK(rc == FLOE_EDB);
  CHECK(floe_store_end(s, rc, &err) == FLOE_EDB);
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_run_rec r;
  CHECK(floe_store_run_get(s, &a, id, &r, &err) == FLOE_ENOTFOUND); /* no run with half its steps */
  /* the caller ignores the failed statement and commits: still rolled back, and the commit says so */
  CHECK(floe_store_begin(s, &err) == 0);
  make_run(s, id, FLOE_RUN_QUEUED);
  CHECK(floe_store_step_upsert(s, &bad, &err) == FLOE_EDB);
  err = (floe_err){0};
  CHECK(floe_store_commit(s, &err) == FLOE_EDB);
  CHECK_CONTAINS(err.msg, "rolled back");
  CHECK(floe_store_run_get(s, &a, id, &r, &err) == FLOE_ENOTFOUND);
  /* and the next transaction is clean */
  CHECK(floe_store_begin(s, &err) == 0);
  make_run(s, id, FLOE_RUN_QUEUED);
  CHECK(floe_store_commit(s, &err) == 0);
  CHECK(floe_store_run_get(s, &a, id, &r, &err) == 0);
  floe_arena_free(&a);
  floe_store_close(s);
}

static int interrupt_after(void *ud) { return --*(int *)ud <= 0; }

/* A read that fails half way (here: interrupted) is an error, not a short list. */
static void test_read_error(void) {
  floe_err err = {0};
  floe_store *s;
  CHECK(floe_store_open(db, &s, &err) == 0);
  const char *id = "re000000000000000000000000000001";
  make_run(s, id, FLOE_RUN_QUEUED);
  for (int i = 0; i < 2000; i++) {
    floe_event_rec e = {.run_id = id, .type = "LOG", .message = "m"};
    CHECK(floe_store_event_append(s, &e, &err) == 0);
  }
  sqlite3 *h = floe_store_sqlite_handle(s);
  int budget = 5; /* x 100 VM instructions: well inside the 2,000 rows */
  sqlite3_progress_handler(h, 100, interrupt_after, &budget);
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_event_rec *ev;
  size_t n = 0;
  int rc = floe_store_event_list(s, &a, id, 0, &ev, &n, &err);
  CHECK(rc == FLOE_EDB);
  sqlite3_progress_handler(h, 0, NULL, NULL);
  CHECK(floe_store_event_list(s, &a, id, 0, &ev, &n, &err) == 0 && n == 2000);
  floe_arena_free(&a);
  floe_store_close(s);
}

/* A version-1 database (statuses stored as enum numbers) is migrated to names, keeps its meaning, and its
 * per-asset last status is filled in. */
static void test_migrate_v1(void) {
  char path[300];
  snprintf(path, sizeof path, "%s/v1.db", dir);
  sqlite3 *h;
  CHECK(sqlite3_open(path, &h) == SQLITE_OK);
  CHECK(sqlite3_exec(h,
      "CREATE TABLE runs (id TEXT PRIMARY KEY, job TEXT, selection TEXT, status INTEGER NOT NULL, tags TEXT,"
      " config TEXT, parent_run_id TEXT, root_run_id TEXT, error TEXT, worker_pid INTEGER,"
      " created_us INTEGER NOT NULL, start_us INTEGER, end_us INTEGER, heartbeat_us INTEGER);"
      "CREATE INDEX runs_created ON runs(created_us); CREATE INDEX runs_status ON runs(status);"
      "CREATE TABLE steps (run_id TEXT NOT NULL, asset_key TEXT NOT NULL, status INTEGER NOT NULL,"
      " attempt INTEGER NOT NULL DEFAULT 0, pid INTEGER, start_us INTEGER, end_us INTEGER, error TEXT,"
      " log_out TEXT, log_err TEXT, PRIMARY KEY (run_id, asset_key));"
      "CREATE INDEX steps_asset ON steps(asset_key, end_us);"
      "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, asset_key TEXT,"
      " type TEXT NOT NULL, level TEXT NOT NULL, message TEXT, data TEXT, ts_us INTEGER NOT NULL);"
      "CREATE TABLE materializations (asset_key TEXT PRIMARY KEY, run_id TEXT NOT NULL, metadata TEXT,"
      " ts_us INTEGER NOT NULL);"
      "INSERT INTO runs (id, status, created_us) VALUES ('r1', 3, 1), ('r2', 4, 2), ('r3', 6, 3), ('r4', 2, 4);"
      "INSERT INTO steps (run_id, asset_key, status, end_us) VALUES ('r1', 'a', 2, 10), ('r2', 'a', 3, 20),"
      " ('r2', 'b', 4, 20), ('r4', 'b', 0, NULL);"
      "PRAGMA user_version=1;", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(h);
  floe_err err = {0};
  floe_store *s;
  CHECK(floe_store_open(path, &s, &err) == 0);
  CHECK(run_status(s, "r1") == FLOE_RUN_SUCCESS);
  CHECK(run_status(s, "r2") == FLOE_RUN_FAILURE);
  CHECK(run_status(s, "r3") == FLOE_RUN_CANCELED);
  CHECK(run_status(s, "r4") == FLOE_RUN_STARTED);
  floe_arena a;
  floe_arena_init(&a, 0);
  const char **keys;
  int *sts;
  size_t n = 0;
  CHECK(floe_store_asset_last_status(s, &a, &keys, &sts, &n, &err) == 0 && n == 2);
  CHECK(n == 2 && !strcmp(keys[0], "a") && sts[0] == FLOE_STEP_FAILURE);
  CHECK(n == 2 && !strcmp(keys[1], "b") && sts[1] == FLOE_STEP_SKIPPED);
  floe_run_filter f = {.status = FLOE_RUN_FAILURE};
  floe_run_rec *runs;
  CHECK(floe_store_run_list(s, &a, &f, &runs, &n, &err) == 0 && n == 1 && !strcmp(runs[0].id, "r2"));
  /* the stored form is the name */
  sqlite3_stmt *st;
  CHECK(sqlite3_prepare_v2(floe_store_sqlite_handle(s), "SELECT status FROM runs WHERE id='r3'", -1, &st, NULL) == 0);
  CHECK(sqlite3_step(st) == SQLITE_ROW);
  CHECK_STR((const char *)sqlite3_column_text(st, 0), "CANCELED");
  sqlite3_finalize(st);
  /* the last status follows new steps */
  floe_step_rec step = {.run_id = "r4", .asset_key = "b", .status = FLOE_STEP_SUCCESS, .end_us = 30};
  CHECK(floe_store_step_upsert(s, &step, &err) == 0);
  CHECK(floe_store_asset_last_status(s, &a, &keys, &sts, &n, &err) == 0 && n == 2 && sts[1] == FLOE_STEP_SUCCESS);
  floe_arena_free(&a);
  floe_store_close(s);
}


/* The Iceberg SQL catalog through the store: the JDBC catalog's schema exactly, create and compare-and-swap
 * commits that report a lost race as FLOE_ECONFLICT, namespaces as pyiceberg writes them, other catalogs and
 * views invisible, drop, and a database whose catalog tables another client created first. */
static int sql_int(floe_store *s, const char *sql) {
  sqlite3_stmt *st;
  int v = -1;
  if (sqlite3_prepare_v2(floe_store_sqlite_handle(s), sql, -1, &st, NULL) != SQLITE_OK) return -2;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

static void test_catalog(void) {
  char path[300];
  snprintf(path, sizeof path, "%s/cat.db", dir);
  sqlite3 *h;
  /* pyiceberg's SqlCatalog (SQLAlchemy) created the tables and a table of another catalog, and a view */
  CHECK(sqlite3_open(path, &h) == SQLITE_OK);
  CHECK(sqlite3_exec(h,
      "CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,"
      " table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000),"
      " iceberg_type VARCHAR(5), PRIMARY KEY (catalog_name, table_namespace, table_name));"
      "INSERT INTO iceberg_tables VALUES ('other', 'oso', 't', '/x/1.json', NULL, 'TABLE'),"
      " ('cat', 'oso', 'v', '/x/v.json', NULL, 'VIEW'), ('cat', 'oso', 'old', '/x/o.json', NULL, NULL);",
      NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(h);
  floe_err err = {0};
  floe_store *s;
  CHECK(floe_store_open(path, &s, &err) == 0);
  const char *cols = "SELECT group_concat(name || ':' || pk, ',') FROM pragma_table_info('%s')";
  char q[200];
  snprintf(q, sizeof q, cols, "iceberg_namespace_properties");
  sqlite3_stmt *st;
  CHECK(sqlite3_prepare_v2(floe_store_sqlite_handle(s), q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW);
  CHECK_STR((const char *)sqlite3_column_text(st, 0), "catalog_name:1,namespace:2,property_key:3,property_value:0");
  sqlite3_finalize(st);
  floe_arena a;
  floe_arena_init(&a, 0);
  const char *loc = NULL;
  CHECK(floe_store_catalog_get(s, &a, "cat", "oso", "t", &loc, &err) == FLOE_ENOTFOUND && !loc);
  CHECK(floe_store_catalog_get(s, &a, "cat", "oso", "v", &loc, &err) == FLOE_ENOTFOUND);
  CHECK(floe_store_catalog_get(s, &a, "cat", "oso", "old", &loc, &err) == 0);
  CHECK_STR(loc, "/x/o.json");
  CHECK(floe_store_catalog_swap(s, "cat", "oso", "t", NULL, "/w/1.json", &err) == 0);
  CHECK(floe_store_catalog_swap(s, "cat", "oso", "t", NULL, "/w/1b.json", &err) == FLOE_ECONFLICT);
  CHECK(sql_int(s, "SELECT count(*) FROM iceberg_namespace_properties WHERE catalog_name='cat' AND namespace='oso'"
                   " AND property_key='exists' AND property_value='true'") == 1);
  CHECK(floe_store_catalog_swap(s, "cat", "oso", "t", "/w/1.json", "/w/2.json", &err) == 0);
  CHECK(floe_store_catalog_swap(s, "cat", "oso", "t", "/w/1.json", "/w/2b.json", &err) == FLOE_ECONFLICT);
  CHECK_CONTAINS(err.msg, "changed concurrently");
  CHECK(sql_int(s, "SELECT count(*) FROM iceberg_tables WHERE catalog_name='cat' AND table_name='t' AND"
                   " metadata_location='/w/2.json' AND previous_metadata_location='/w/1.json' AND iceberg_type='TABLE'") == 1);
  /* a swap inside a transaction that rolls back publishes nothing */
  CHECK(floe_store_begin(s, &err) == 0);
  CHECK(floe_store_catalog_swap(s, "cat", "oso", "t", "/w/2.json", "/w/3.json", &err) == 0);
  CHECK(floe_store_end(s, FLOE_EIO, &err) == FLOE_EIO);
  CHECK(floe_store_catalog_get(s, &a, "cat", "oso", "t", &loc, &err) == 0);
  CHECK_STR(loc, "/w/2.json");
  CHECK(floe_store_catalog_swap(s, "cat", "a.b", "z", NULL, "/w/z.json", &err) == 0);
  floe_catalog_entry *list;
  size_t n = 0;
  CHECK(floe_store_catalog_list(s, &a, "cat", &list, &n, &err) == 0 && n == 3);
  CHECK(n == 3 && !strcmp(list[0].ns, "a.b") && !strcmp(list[1].name, "old") && !strcmp(list[2].name, "t"));
  CHECK(floe_store_catalog_drop(s, "cat", "oso", "t", &err) == 0);
  CHECK(floe_store_catalog_drop(s, "cat", "oso", "t", &err) == FLOE_ENOTFOUND);
  CHECK(floe_store_catalog_drop(s, "cat", "oso", "v", &err) == FLOE_ENOTFOUND); /* a view is not a table */
  CHECK(floe_store_catalog_get(s, &a, "other", "oso", "t", &loc, &err) == 0);
  CHECK_STR(loc, "/x/1.json");
  floe_arena_free(&a);
  floe_store_close(s);
  /* a fresh database gets the same schema */
  CHECK(floe_store_open(db, &s, &err) == 0);
  snprintf(q, sizeof q, cols, "iceberg_tables");
  CHECK(sqlite3_prepare_v2(floe_store_sqlite_handle(s), q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW);
  CHECK_STR((const char *)sqlite3_column_text(st, 0), "catalog_name:1,table_namespace:2,table_name:3,"
            "metadata_location:0,previous_metadata_location:0,iceberg_type:0");
  sqlite3_finalize(st);
  floe_store_close(s);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  snprintf(db, sizeof db, "%s/floe.db", dir);
  test_runs();
  test_concurrent_writers();
  test_transition_table();
  test_claim_race();
  test_rollback();
  test_read_error();
  test_migrate_v1();
  test_catalog();
  CHECK(floe_store_open("/nonexistent/dir/floe.db", &(floe_store *){0}, &(floe_err){0}) == FLOE_EDB);
  floe_rmtree(dir);
  TEST_MAIN_END();
}
