/* queued.c — launching with a run queue (floe.yaml `run_queue:`): the run is stored QUEUED and the daemon
 * starts it when the queue's limits allow (src/sched/queue.c). The launcher learns whether a daemon is there
 * to do so, and, when it waits, follows the run through the store (the worker is the daemon's child, not its
 * own). */
#include <stdio.h>
#include <string.h>
#include "exec_int.h"

/* Whether a daemon holds the instance's lease now; *who describes it for messages. */
static bool daemon_alive(floe_store *s, floe_arena *a) {
  floe_daemon_rec d;
  bool found = false;
  if (floe_store_daemon_get(s, a, &d, &found, NULL) || !found) return false;
  return floe_daemon_rec_alive(&d, floe_now_us());
}

/* Polls the store until the run ends, forwarding its events to fn and calling started once it leaves QUEUED. */
static int wait_store(floe_store *s, const floe_launch_req *req, floe_launch_outcome *out, floe_err *err) {
  int64_t last = 0;
  bool started = false;
  for (;;) {
    floe_arena it;
    floe_arena_init(&it, 4096);
    floe_run_rec r;
    int rc = floe_store_run_get(s, &it, out->run_id, &r, err);
    if (!rc && !started && r.status != FLOE_RUN_QUEUED) {
      started = true;
      out->worker_pid = r.worker.pid;
      if (req->started) req->started(req->ud, out);
    }
    if (!rc && req->progress) {
      floe_event_rec *ev;
      size_t n = 0;
      if (floe_store_event_list(s, &it, out->run_id, last, &ev, &n, NULL) == 0)
        for (size_t i = 0; i < n; i++) req->progress(req->ud, &ev[i]), last = ev[i].id;
    }
    bool done = !rc && floe_run_status_done(r.status);
    floe_arena_free(&it);
    if (rc || done) return rc;
    floe_sleep_ms(50);
  }
}

int floe_launch_queued(floe_store *s, const floe_project *p, const floe_launch_req *req, floe_arena *a,
                       floe_launch_outcome *out, int64_t t0, floe_err *err) {
  out->queued = true;
  if (!daemon_alive(s, a))
    out->notice = floe_arena_printf(a, "run %s is queued, but no daemon is running for this instance to start it: "
                                       "start one with `floe -p %s daemon` (or `floe dev`)", out->run_id, p->dir);
  if (req->detach || !req->wait || out->notice) return 0; /* no daemon: waiting would never end */
  int rc = wait_store(s, req, out, err);
  pid_t pid = out->worker_pid;
  const char *notice = out->notice;
  if (!rc) rc = floe_run_outcome(s, p, out->run_id, 10, a, out, err);
  out->worker_pid = pid;
  out->queued = true;
  out->notice = notice;
  out->duration_us = floe_mono_us() - t0;
  return rc;
}
