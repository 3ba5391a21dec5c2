/* cmd_daemon.c — `floe daemon`, `floe daemon status`, `floe dev`: a thin client of src/sched/daemon.c. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "floe/daemon.h"
#include "floe/store.h"

static int run_daemon(floe_cli *c) {
  if (cli_positionals(c, 0, 0) < 0) return 2;
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  floe_err err = {0};
  if (floe_daemon_run(p, &err)) return cli_fail(&err);
  return 0;
}

int cmd_daemon(floe_cli *c) { return run_daemon(c); }

/* `floe dev`: the daemon, in the foreground (the web server is not built yet). */
int cmd_dev(floe_cli *c) { return run_daemon(c); }

static void age(int64_t now, int64_t t, char *out, size_t n) {
  if (!t) snprintf(out, n, "never");
  else snprintf(out, n, "%.1fs ago", (double)(now - t) / 1e6);
}

static void print_json(const floe_daemon_status *st) {
  printf("{\"running\":%s", st->running ? "true" : "false");
  if (st->ever) {
    printf(",\"pid\":%d,\"host\":", st->lease.proc.pid);
    floe_buf b;
    floe_buf_init(&b, 0);
    floe_buf_json_str(&b, st->lease.proc.host ? st->lease.proc.host : "");
    printf("%s,\"started_us\":%lld,\"heartbeat_us\":%lld", floe_buf_str(&b), (long long)st->lease.started_us,
           (long long)st->lease.heartbeat_us);
    floe_buf_free(&b);
  }
  printf(",\"components\":[");
  for (size_t i = 0; i < st->ncomponents; i++) {
    floe_buf b;
    floe_buf_init(&b, 0);
    floe_buf_json_str(&b, st->components[i].name);
    floe_buf_puts(&b, ",\"error\":");
    if (st->components[i].error) floe_buf_json_str(&b, st->components[i].error);
    else floe_buf_puts(&b, "null");
    printf("%s{\"name\":%s,\"heartbeat_us\":%lld}", i ? "," : "", floe_buf_str(&b),
           (long long)st->components[i].heartbeat_us);
    floe_buf_free(&b);
  }
  printf("]}\n");
}

int cmd_daemon_status(floe_cli *c) {
  bool json = cli_flag(c, "--json");
  if (cli_positionals(c, 0, 0) < 0) return 2;
  floe_store *s;
  int rc = cli_store(c, &s);
  if (rc) return rc;
  floe_err err = {0};
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_daemon_status st;
  if (floe_daemon_status_get(s, &a, &st, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  if (json) {
    print_json(&st);
    goto out;
  }
  char buf[64], ts[40];
  if (!st.ever) printf("daemon: never ran on this instance (start it with `floe daemon`)\n");
  else if (st.running) {
    floe_time_iso(st.lease.started_us, ts, sizeof ts);
    age(st.now_us, st.lease.heartbeat_us, buf, sizeof buf);
    printf("daemon: running, pid %d on %s, since %s (heartbeat %s)\n", st.lease.proc.pid, st.lease.proc.host, ts, buf);
  } else {
    age(st.now_us, st.lease.stopped_us ? st.lease.stopped_us : st.lease.heartbeat_us, buf, sizeof buf);
    printf("daemon: not running (last: pid %d on %s, %s %s)\n", st.lease.proc.pid, st.lease.proc.host,
           st.lease.stopped_us ? "stopped" : "lost its heartbeat", buf);
  }
  for (size_t i = 0; i < st.ncomponents; i++) {
    const floe_component_rec *cp = &st.components[i];
    age(st.now_us, cp->heartbeat_us, buf, sizeof buf);
    printf("  %-12s last heartbeat %s%s%s\n", cp->name, buf, cp->error ? "  error: " : "", cp->error ? cp->error : "");
  }
  floe_run_rec *queued;
  size_t nq = 0;
  if (floe_store_run_list_in(s, &a, FLOE_RUN_QUEUED, 0, &queued, &nq, &err) == 0 && nq) {
    int64_t oldest = queued[0].created_us;
    for (size_t i = 1; i < nq; i++) oldest = queued[i].created_us < oldest ? queued[i].created_us : oldest;
    age(st.now_us, oldest, buf, sizeof buf);
    printf("queue: %zu run(s) QUEUED, the oldest launched %s%s\n", nq, buf,
           st.running ? "" : " (no daemon runs to start them)");
  }
  rc = st.running ? 0 : 1;
out:
  floe_arena_free(&a);
  return rc;
}
