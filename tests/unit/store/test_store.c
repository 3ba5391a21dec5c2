/* test_store.c — the SQLite instance store: runs, steps, events, materializations, migrations, and
 * many processes writing at once without "database is locked". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
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
  CHECK(floe_store_run_cas_status(s, got.id, FLOE_RUN_STARTED, FLOE_RUN_SUCCESS, &changed, &err) == 0 && !changed);
  CHECK(floe_store_run_cas_status(s, got.id, FLOE_RUN_QUEUED, FLOE_RUN_STARTED, &changed, &err) == 0 && changed);
  CHECK(floe_store_run_set_status(s, got.id, FLOE_RUN_FAILURE, "boom", &err) == 0);
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
        if (floe_store_begin(s, &err) || floe_store_event_append(s, &e, &err) ||
            floe_store_run_heartbeat(s, r.id, &err) || floe_store_commit(s, &err)) {
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

int main(void) {
  if (!mkdtemp(dir)) return 1;
  snprintf(db, sizeof db, "%s/floe.db", dir);
  test_runs();
  test_concurrent_writers();
  CHECK(floe_store_open("/nonexistent/dir/floe.db", &(floe_store *){0}, &(floe_err){0}) == FLOE_EDB);
  floe_rmtree(dir);
  TEST_MAIN_END();
}
