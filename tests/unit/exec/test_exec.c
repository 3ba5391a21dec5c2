/* test_exec.c — exec/ without a project: retry delays, the lease settings, step file names, closing the
 * steps of a run that will not run them, and process identity (boot id + start time) guarding signals. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../../../src/exec/exec_int.h"
#include "test.h"

static void test_retry_delay(void) {
  floe_retry r = {.max_retries = 5, .delay = 2.0, .backoff = FLOE_BACKOFF_CONSTANT};
  for (int k = 1; k <= 4; k++) CHECK(floe_retry_delay(&r, k) == 2.0);
  r.backoff = FLOE_BACKOFF_LINEAR;
  CHECK(floe_retry_delay(&r, 1) == 2.0 && floe_retry_delay(&r, 3) == 6.0);
  r.backoff = FLOE_BACKOFF_EXPONENTIAL;
  CHECK(floe_retry_delay(&r, 1) == 2.0 && floe_retry_delay(&r, 2) == 4.0 && floe_retry_delay(&r, 4) == 16.0);
  /* jitter adds up to jitter x delay, never takes away */
  r.backoff = FLOE_BACKOFF_CONSTANT;
  r.jitter = 0.5;
  double lo = 1e9, hi = 0;
  for (int i = 0; i < 2000; i++) {
    double d = floe_retry_delay(&r, 1);
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
  }
  CHECK(lo >= 2.0 && hi <= 3.0 && hi > lo);
}

static void test_lease(void) {
  unsetenv("FLOE_RUN_LEASE");
  CHECK(floe_run_lease_us() == 30000000);
  CHECK(floe_run_heartbeat_us() == 2000000); /* a quarter, at most 2 s */
  setenv("FLOE_RUN_LEASE", "1", 1);
  CHECK(floe_run_lease_us() == 1000000 && floe_run_heartbeat_us() == 250000);
  setenv("FLOE_RUN_LEASE", "0", 1); /* nonsense: the default, not a lease that reaps every run at once */
  CHECK(floe_run_lease_us() == 30000000);
  setenv("FLOE_RUN_LEASE", "-3", 1);
  CHECK(floe_run_lease_us() == 30000000);
  unsetenv("FLOE_RUN_LEASE");
}

static void test_step_file(void) {
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_project p = {.home = "/h"};
  CHECK_STR(floe_step_file(&a, &p, "r1", "oso/events/raw", "err"), "/h/logs/r1/oso__events__raw.err");
  CHECK_STR(floe_step_file(&a, &p, "r1", "plain", "out"), "/h/logs/r1/plain.out");
  floe_arena_free(&a);
}

/* A child in its own process group that waits to be killed. */
static pid_t sleeper(void) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    for (;;) pause();
  }
  setpgid(pid, pid);
  return pid;
}

static bool exited_by(pid_t pid, int sig) {
  int ws = 0;
  for (int i = 0; i < 200; i++) {
    pid_t r = waitpid(pid, &ws, WNOHANG);
    if (r == pid) return WIFSIGNALED(ws) && WTERMSIG(ws) == sig;
    floe_sleep_ms(10);
  }
  return false;
}

static void test_proc_identity(void) {
  const char *boot = floe_proc_boot_id();
  CHECK(boot && strlen(boot) == 36);
  CHECK(floe_proc_start_ticks(getpid()) > 0);
  CHECK(floe_proc_start_ticks(0x7ffffff0) == 0); /* no such process */
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_proc_id me;
  CHECK(floe_proc_self(&a, getpid(), true, &me) == 0);
  CHECK(me.host && me.host[0] && me.boot_id && me.start_ticks > 0 && floe_proc_is(&me));

  pid_t child = sleeper();
  floe_proc_id id;
  CHECK(floe_proc_self(&a, child, false, &id) == 0 && floe_proc_is(&id));
  /* the same pid with another start time is a stranger (pid reuse); another boot id is a reboot or
   * another host: neither is signalled */
  floe_proc_id reused = id, rebooted = id;
  reused.start_ticks++;
  rebooted.boot_id = "00000000-0000-0000-0000-000000000000";
  CHECK(!floe_proc_is(&reused) && !floe_proc_is(&rebooted));
  CHECK(floe_proc_signal_group(&reused, SIGKILL) == ESRCH);
  CHECK(floe_proc_signal_group(&rebooted, SIGKILL) == ESRCH);
  CHECK(floe_proc_signal_group(&(floe_proc_id){.pid = child}, SIGKILL) == ESRCH); /* nothing recorded */
  CHECK(waitpid(child, NULL, WNOHANG) == 0);                                       /* still alive */
  CHECK(floe_proc_signal_group(&id, SIGTERM) == 0);
  CHECK(exited_by(child, SIGTERM));
  CHECK(!floe_proc_is(&id)); /* gone */
  floe_arena_free(&a);
}

/* The steps of a run that will not run them all end, each with its reason and an event. */
static void test_close_steps(void) {
  char dir[] = "/tmp/floe-exec-XXXXXX", db[300];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(db, sizeof db, "%s/floe.db", dir);
  floe_err err = {0};
  floe_store *s;
  CHECK(floe_store_open(db, &s, &err) == 0);
  floe_run_rec r = {.status = FLOE_RUN_QUEUED};
  snprintf(r.id, sizeof r.id, "%032d", 7);
  CHECK(floe_store_run_create(s, &r, &err) == 0);
  static const int before[] = {FLOE_STEP_PENDING, FLOE_STEP_RUNNING, FLOE_STEP_SUCCESS, FLOE_STEP_RETRYING};
  static const int after[] = {FLOE_STEP_SKIPPED, FLOE_STEP_FAILURE, FLOE_STEP_SUCCESS, FLOE_STEP_FAILURE};
  floe_step_rec in[4];
  const char *keys[] = {"k0", "k1", "k2", "k3"};
  for (int i = 0; i < 4; i++) {
    in[i] = (floe_step_rec){.run_id = r.id, .asset_key = keys[i], .status = before[i]};
    CHECK(floe_store_step_upsert(s, &in[i], &err) == 0);
  }
  CHECK(floe_store_begin(s, &err) == 0);
  int rc = floe_run_close_steps(s, r.id, in, 4, FLOE_STEP_FAILURE, "worker gone", FLOE_STEP_SKIPPED, "not started", &err);
  CHECK(floe_store_end(s, rc, &err) == 0);
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_step_rec *out;
  size_t n = 0;
  CHECK(floe_store_step_list(s, &a, r.id, &out, &n, &err) == 0 && n == 4);
  for (size_t i = 0; i < n; i++) {
    int k = out[i].asset_key[1] - '0';
    CHECK(out[i].status == after[k]);
    if (before[k] == FLOE_STEP_PENDING) CHECK_STR(out[i].error, "not started");
    if (before[k] == FLOE_STEP_RUNNING) CHECK_STR(out[i].error, "worker gone");
  }
  floe_event_rec *ev;
  CHECK(floe_store_event_list(s, &a, r.id, 0, &ev, &n, &err) == 0 && n == 3); /* one per closed step */
  floe_arena_free(&a);
  floe_store_close(s);
  floe_rmtree(dir);
}

int main(void) {
  test_retry_delay();
  test_lease();
  test_step_file();
  test_proc_identity();
  test_close_steps();
  TEST_MAIN_END();
}
