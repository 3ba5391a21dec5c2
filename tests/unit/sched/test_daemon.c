/* test_daemon.c — the daemon's store parts: the lease (one compare-and-swap: exactly one of many processes
 * racing wins; a stale or proven-dead holder is replaced, a live one never), component heartbeats and cursors,
 * the queue's order (dagster/priority, then launch order) and the wake-up socket the store pokes after a
 * committed run change. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "floe/daemon.h"
#include "test.h"

static char dir[] = "/tmp/floe-daemon-XXXXXX";
static char db[256];

static floe_daemon_rec me(const char *owner, int pid) {
  floe_daemon_rec d = {.proc = {.pid = pid, .host = "h", .boot_id = "b", .start_ticks = 1}};
  snprintf(d.owner, sizeof d.owner, "%s", owner);
  return d;
}

/* 8 processes claim at once: exactly one wins */
static void test_lease_race(void) {
  int pipefd[2];
  CHECK(pipe(pipefd) == 0);
  for (int i = 0; i < 8; i++) {
    if (fork() == 0) {
      floe_store *s;
      floe_err err = {0};
      char owner[33];
      snprintf(owner, sizeof owner, "owner%d", i);
      floe_daemon_rec d = me(owner, 100 + i);
      bool won = false;
      if (floe_store_open(db, &s, &err) || floe_store_daemon_claim(s, &d, 0, NULL, &won, &err)) _exit(2);
      if (won && write(pipefd[1], "w", 1) != 1) _exit(3);
      floe_store_close(s);
      _exit(0);
    }
  }
  close(pipefd[1]);
  int st, wins = 0;
  while (wait(&st) > 0) CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  char c;
  while (read(pipefd[0], &c, 1) == 1) wins++;
  close(pipefd[0]);
  CHECK(wins == 1);
}

static void test_lease_rules(void) {
  floe_store *s;
  floe_err err = {0};
  floe_arena a;
  floe_arena_init(&a, 0);
  CHECK(floe_store_open(db, &s, &err) == 0);
  floe_daemon_rec cur, x = me("intruder", 7);
  bool found = false, won = true, held = false;
  CHECK(floe_store_daemon_get(s, &a, &cur, &found, &err) == 0 && found);
  /* live holder: refused; named as dead: replaced */
  CHECK(floe_store_daemon_claim(s, &x, 0, "someone-else", &won, &err) == 0 && !won);
  CHECK(floe_store_daemon_claim(s, &x, 0, cur.owner, &won, &err) == 0 && won);
  CHECK(floe_store_daemon_renew(s, cur.owner, &held, &err) == 0 && !held); /* the old holder lost it */
  CHECK(floe_store_daemon_renew(s, "intruder", &held, &err) == 0 && held);
  /* stale: replaced by anyone */
  floe_daemon_rec y = me("late", 8);
  CHECK(floe_store_daemon_claim(s, &y, floe_now_us() + 1000000, NULL, &won, &err) == 0 && won);
  /* released: free at once, and the status says it stopped */
  CHECK(floe_store_daemon_release(s, "late", &err) == 0);
  CHECK(floe_store_daemon_get(s, &a, &cur, &found, &err) == 0 && found && !floe_daemon_rec_alive(&cur, floe_now_us()));
  CHECK(cur.stopped_us > 0 && cur.proc.pid == 8);
  CHECK(floe_store_daemon_claim(s, &x, 0, NULL, &won, &err) == 0 && won);
  /* components: heartbeat, error, cursor kept unless set */
  floe_component_rec c = {.name = "run_queue", .error = "boom", .cursor = 42};
  CHECK(floe_store_component_put(s, &c, true, &err) == 0);
  c.error = NULL, c.cursor = 7;
  CHECK(floe_store_component_put(s, &c, false, &err) == 0);
  floe_component_rec *cs;
  size_t n = 0;
  CHECK(floe_store_component_list(s, &a, &cs, &n, &err) == 0 && n == 1);
  CHECK(n == 1 && cs[0].cursor == 42 && cs[0].error == NULL && cs[0].heartbeat_us > 0);
  floe_store_close(s);
  floe_arena_free(&a);
}

static void test_queue_order_and_wake(void) {
  floe_store *s, *listener;
  floe_err err = {0};
  floe_arena a;
  floe_arena_init(&a, 0);
  CHECK(floe_store_open(db, &s, &err) == 0 && floe_store_open(db, &listener, &err) == 0);
  int fd = -1;
  CHECK(floe_store_listen(listener, &fd, &err) == 0 && fd >= 0);
  const char *tags[] = {"{}", "{\"dagster/priority\":\"-1\"}", "{\"dagster/priority\":\"5\"}", "{}", "not json"};
  for (int i = 0; i < 5; i++) {
    floe_run_rec r = {.status = FLOE_RUN_QUEUED, .tags_json = tags[i], .created_us = 1000 + i};
    snprintf(r.id, sizeof r.id, "q%031d", i);
    CHECK(floe_store_run_create(s, &r, &err) == 0);
  }
  struct pollfd pf = {.fd = fd, .events = POLLIN};
  CHECK(poll(&pf, 1, 2000) == 1); /* the creations poked the listener */
  floe_store_listen_drain(listener);
  CHECK(poll(&pf, 1, 0) == 0);
  /* inside a transaction: no poke before the commit, one after */
  CHECK(floe_store_begin(s, &err) == 0);
  bool changed = false;
  CHECK(floe_store_run_transition(s, "q0000000000000000000000000000003", FLOE_RUN_CANCELED, NULL, NULL, &changed, &err) == 0);
  CHECK(changed && poll(&pf, 1, 0) == 0);
  CHECK(floe_store_commit(s, &err) == 0);
  CHECK(poll(&pf, 1, 2000) == 1);
  floe_run_rec *runs;
  size_t n = 0;
  CHECK(floe_store_run_list_queued(s, &a, 0, 10, &runs, &n, &err) == 0 && n == 4);
  const char *want[] = {"q0000000000000000000000000000002", "q0000000000000000000000000000000",
                        "q0000000000000000000000000000004", "q0000000000000000000000000000001"};
  for (size_t i = 0; i < 4 && i < n; i++) CHECK_STR(runs[i].id, want[i]);
  CHECK(floe_store_run_list_queued(s, &a, 3, 10, &runs, &n, &err) == 0 && n == 1);
  floe_store_close(s);
  floe_store_close(listener);
  floe_arena_free(&a);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  snprintf(db, sizeof db, "%s/floe.db", dir);
  test_lease_race();
  test_lease_rules();
  test_queue_order_and_wake();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) {
  }
  TEST_MAIN_END();
}
