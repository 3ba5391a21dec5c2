/* daemon.c — `floe daemon`: one long-lived process per instance running the automation components.
 *
 * One thread and one loop: each component (the table below) makes a pass when its wake time comes, and the
 * event-driven ones also at once when a writer pokes the instance's wake-up socket (a run was queued or
 * ended: the store pokes after committing; others call floe_daemon_poke). The loop sleeps in poll() on that
 * socket and on a signalfd (SIGTERM/SIGINT stop it; SIGCHLD reaps the run workers the queue started, whose
 * exit status becomes the reason of a run they left unfinished). A slow timer is only the fallback.
 *
 * One daemon per instance: a lease row in the store taken by one compare-and-swap statement and renewed
 * every second; a second daemon is refused with the holder's pid and host. A holder that died on this host
 * is replaced at once (its process is provably gone); one elsewhere when its lease runs out. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "floe/daemon.h"
#include "floe/exec.h"

typedef struct component {
  const char *name;
  floe_component_step_fn step;
  bool on_wake;        /* also run at once on a wake-up */
  int64_t interval_us; /* default time to the next pass */
} component;

/* The components, in the order a pass runs them (the queue first: a freed slot is refilled before anything
 * else is looked at). Add one row per component (scheduler, sensors, alerts). */
static const component components[] = {
    {"run_queue", floe_run_queue_step, true, 5000000},
    {"run_monitor", floe_run_monitor_step, true, 1000000},
};
#define NCOMP (sizeof components / sizeof components[0])

#define BEAT_US 1000000 /* lease renewal and component heartbeats */
#define MAX_CHILDREN 4096

typedef struct comp_state {
  int64_t next_wake;
  char error[512];
} comp_state;

typedef struct dmn {
  const floe_project *p;
  floe_store *s;
  floe_arena a;
  floe_daemon_rec me;
  int wake_fd, sig_fd;
  comp_state st[NCOMP];
  int64_t next_beat; /* monotonic */
  bool stop;
} dmn;

/* ---- the run workers started by this process */

static struct {
  pid_t pid;
  char run_id[33];
} children[MAX_CHILDREN];

void floe_daemon_child_started(pid_t pid, const char *run_id) {
  for (size_t i = 0; i < MAX_CHILDREN; i++)
    if (children[i].pid == 0) {
      children[i].pid = pid;
      snprintf(children[i].run_id, sizeof children[i].run_id, "%s", run_id);
      return;
    } /* full: the run monitor still sees the process gone */
}

static void dlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void dlog(const char *fmt, ...) {
  char ts[40];
  floe_time_iso(floe_now_us(), ts, sizeof ts);
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s floe daemon: ", ts);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Reaps ended children; a run one left unfinished fails with its exit status as the reason. */
static void reap_children(dmn *d) {
  int ws;
  pid_t pid;
  while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
    for (size_t i = 0; i < MAX_CHILDREN; i++) {
      if (children[i].pid != pid) continue;
      char why[256];
      if (WIFSIGNALED(ws))
        snprintf(why, sizeof why, "run worker (pid %d) was killed by signal %d (%s) before the run finished", (int)pid,
                 WTERMSIG(ws), strsignal(WTERMSIG(ws)));
      else
        snprintf(why, sizeof why, "run worker (pid %d) exited with code %d before the run finished", (int)pid,
                 WEXITSTATUS(ws));
      floe_err err = {0};
      if (floe_run_fail_orphaned(d->s, children[i].run_id, why, &err))
        dlog("run %s: cannot record its worker's end: %s", children[i].run_id, err.msg);
      children[i].pid = 0;
      break;
    }
  }
}

/* ---- the lease */

static int lease_take(dmn *d, floe_err *err) {
  floe_random_id(d->me.owner);
  if (floe_proc_self_id(&d->a, &d->me.proc)) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_daemon_rec cur;
  bool found = false, won = false;
  int rc = floe_store_daemon_get(d->s, &d->a, &cur, &found, err);
  if (rc) return rc;
  /* a holder that ran here and whose process is gone (kill -9, a crash) is replaced without waiting */
  const char *replace = found && floe_daemon_rec_alive(&cur, floe_now_us()) && floe_proc_gone(&cur.proc) ? cur.owner : NULL;
  if ((rc = floe_store_daemon_claim(d->s, &d->me, floe_now_us() - floe_daemon_lease_us(), replace, &won, err))) return rc;
  if (won) return 0;
  if ((rc = floe_store_daemon_get(d->s, &d->a, &cur, &found, err))) return rc;
  char since[40];
  floe_time_iso(cur.started_us, since, sizeof since);
  return floe_err_set(err, FLOE_ECONFLICT,
                      "a daemon is already running for this instance (%s): pid %d on host %s, since %s, last heartbeat "
                      "%.1fs ago; stop it first (kill -TERM %d on %s)",
                      d->p->db_path, cur.proc.pid, cur.proc.host ? cur.proc.host : "?", since,
                      (double)(floe_now_us() - cur.heartbeat_us) / 1e6, cur.proc.pid, cur.proc.host ? cur.proc.host : "?");
}

/* Renews the lease and writes every component's heartbeat, in one transaction. */
static int beat(dmn *d, floe_err *err) {
  bool held = false;
  int rc = floe_store_begin(d->s, err);
  if (!rc) rc = floe_store_daemon_renew(d->s, d->me.owner, &held, err);
  for (size_t i = 0; !rc && held && i < NCOMP; i++) {
    floe_component_rec c = {.name = components[i].name, .error = d->st[i].error[0] ? d->st[i].error : NULL};
    rc = floe_store_component_put(d->s, &c, false, err);
  }
  rc = floe_store_end(d->s, rc, err);
  if (!rc && !held) rc = floe_err_set(err, FLOE_ECONFLICT, "the daemon lease was taken over by another daemon");
  return rc;
}

/* ---- the loop */

static void run_component(dmn *d, size_t i, int64_t now) {
  const component *c = &components[i];
  int64_t next = now + c->interval_us;
  floe_err err = {0};
  int rc = c->step(d->s, d->p, now, &next, &err);
  if (rc) {
    if (strcmp(d->st[i].error, err.msg)) dlog("%s: %s", c->name, err.msg);
    snprintf(d->st[i].error, sizeof d->st[i].error, "%.500s", err.msg[0] ? err.msg : "failed");
    if (next > now + 5000000) next = now + 5000000; /* try again soon */
  } else if (d->st[i].error[0]) {
    dlog("%s: recovered", c->name);
    d->st[i].error[0] = 0;
  }
  d->st[i].next_wake = next;
}

/* How long poll may sleep (ms): until the next component is due or the next beat, at most a second; with a
 * test clock at most 50 ms, so that a test moving the clock is seen at once. */
static int sleep_ms(dmn *d, int64_t now) {
  int64_t ms = (d->next_beat - floe_mono_us()) / 1000;
  for (size_t i = 0; i < NCOMP; i++) {
    int64_t due = (d->st[i].next_wake - now) / 1000;
    if (due < ms) ms = due;
  }
  if (floe_clock_is_fake() && ms > 50) ms = 50;
  return ms < 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
}

static void handle_signals(dmn *d) {
  struct signalfd_siginfo si;
  while (read(d->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGCHLD) reap_children(d);
    else if (!d->stop) {
      d->stop = true;
      dlog("%s: stopping (runs in progress keep running in their workers)", strsignal((int)si.ssi_signo));
    }
  }
}

static int loop(dmn *d, floe_err *err) {
  bool woken = true;
  int rc = 0;
  while (!d->stop && !rc) {
    int64_t now = floe_clock_now_us();
    for (size_t i = 0; i < NCOMP && !d->stop; i++)
      if (d->st[i].next_wake <= now || (woken && components[i].on_wake)) run_component(d, i, now);
    woken = false;
    if (floe_mono_us() >= d->next_beat) {
      rc = beat(d, err);
      d->next_beat = floe_mono_us() + BEAT_US;
    }
    struct pollfd pf[2] = {{.fd = d->sig_fd, .events = POLLIN}, {.fd = d->wake_fd, .events = POLLIN}};
    int pr = rc || d->stop ? 0 : poll(pf, 2, sleep_ms(d, now));
    if (pr < 0 && errno != EINTR) rc = floe_err_set(err, FLOE_EIO, "poll: %s", strerror(errno));
    if (pr > 0 && pf[0].revents) handle_signals(d);
    if (pr > 0 && pf[1].revents) {
      floe_store_listen_drain(d->s);
      woken = true;
    }
  }
  return rc;
}

static int setup_signals(dmn *d, floe_err *err) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGCHLD);
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  sigaction(SIGCHLD, &dfl, NULL); /* an inherited SIG_IGN would let the kernel reap the workers unseen */
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 || (d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
    return floe_err_set(err, FLOE_EIO, "signalfd: %s", strerror(errno));
  return 0;
}

int floe_daemon_run(const floe_project *p, floe_err *err) {
  dmn d = {.p = p, .wake_fd = -1, .sig_fd = -1};
  floe_arena_init(&d.a, 0);
  int rc = floe_mkdirs(p->home, 0700, err);
  if (!rc) rc = floe_store_open(p->db_path, &d.s, err);
  if (!rc) rc = setup_signals(&d, err);
  if (!rc) rc = lease_take(&d, err);
  if (rc) goto out;
  if (!(rc = floe_store_listen(d.s, &d.wake_fd, err)) && !(rc = beat(&d, err))) { /* every component listed at once */
    d.next_beat = floe_mono_us() + BEAT_US;
    dlog("started (pid %d on %s) for %s; components:%s%s", d.me.proc.pid, d.me.proc.host, p->dir,
         p->run_queue.enabled ? "" : " (no run_queue: launches start at once)", "");
    for (size_t i = 0; i < NCOMP; i++) fprintf(stderr, "  %s\n", components[i].name);
    rc = loop(&d, err);
  }
  floe_err e2 = {0};
  if (floe_store_daemon_release(d.s, d.me.owner, &e2)) dlog("cannot release the lease: %s", e2.msg);
  if (!rc) dlog("stopped");
out:
  if (d.sig_fd >= 0) close(d.sig_fd);
  floe_store_close(d.s);
  floe_arena_free(&d.a);
  return rc;
}

int floe_daemon_status_get(floe_store *s, floe_arena *a, floe_daemon_status *out, floe_err *err) {
  memset(out, 0, sizeof *out);
  out->now_us = floe_now_us();
  int rc = floe_store_daemon_get(s, a, &out->lease, &out->ever, err);
  if (!rc) rc = floe_store_component_list(s, a, &out->components, &out->ncomponents, err);
  out->running = out->ever && floe_daemon_rec_alive(&out->lease, out->now_us);
  return rc;
}

void floe_daemon_poke(const floe_project *p) {
  char path[4200];
  snprintf(path, sizeof path, "%s-wake", p->db_path);
  floe_wake_send(path);
}
