/* monitor.c — the run monitor: the daemon component that makes sure no run hangs unnoticed and that failed
 * runs are retried as configured. Each pass (every second, and at once on a wake-up):
 *  - reaps live runs whose worker's lease ran out (workers on any host) and, at once, those whose worker ran
 *    on this host and is gone (kill -9, OOM): FAILURE with the reason;
 *  - fails a run STARTING for longer than run_monitoring.start_timeout_seconds (its worker never started it);
 *  - cancels a STARTED run past its dagster/max_runtime tag (or run_monitoring.max_runtime_seconds);
 *  - retries runs that ended FAILURE since its cursor (kept in the store): up to dagster/max_retries (or
 *    run_retries.max_retries), by dagster/retry_strategy FROM_FAILURE (default) or ALL_STEPS, each retry a new
 *    run linked to its parent; never a run that was cancelled, and with retry_on_asset_or_op_failure: false
 *    only runs that failed for another reason than a failed step. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/daemon.h"
#include "floe/exec.h"

#define NAME "run_monitor"

static const char *tag_of(json_t *tags, const char *key) {
  json_t *v = tags ? json_object_get(tags, key) : NULL;
  return v && json_is_string(v) ? json_string_value(v) : NULL;
}

/* A tag holding a number (seconds, counts): def when absent or not a number. */
static double tag_num(json_t *tags, const char *key, double def) {
  const char *v = tag_of(tags, key);
  char *end = NULL;
  double d = v ? strtod(v, &end) : 0;
  return v && end != v && !*end && d >= 0 ? d : def;
}

static int check_live(floe_store *s, const floe_project *p, const floe_run_rec *r, int64_t now, floe_err *err) {
  char why[400];
  if (floe_run_worker_gone(r)) {
    snprintf(why, sizeof why, "run worker (pid %d on %s) is gone: it ended or was killed without finishing the run",
             r->worker.pid, r->worker.host);
    return floe_run_fail_orphaned(s, r->id, why, err);
  }
  if (r->status == FLOE_RUN_STARTING && r->heartbeat_us &&
      now - r->heartbeat_us > (int64_t)(p->run_monitoring.start_timeout * 1e6)) {
    snprintf(why, sizeof why, "the run worker (pid %d on %s) did not start the run within %gs "
             "(run_monitoring.start_timeout_seconds)", r->worker.pid, r->worker.host ? r->worker.host : "?",
             p->run_monitoring.start_timeout);
    return floe_run_fail_orphaned(s, r->id, why, err);
  }
  if (r->status != FLOE_RUN_STARTED || !r->start_us) return 0;
  json_t *tags = r->tags_json ? json_loads(r->tags_json, 0, NULL) : NULL;
  double max = tag_num(tags, "dagster/max_runtime", p->run_monitoring.max_runtime);
  json_decref(tags);
  if (max <= 0 || now - r->start_us <= (int64_t)(max * 1e6)) return 0;
  snprintf(why, sizeof why, "the run exceeded its maximum runtime of %gs (dagster/max_runtime): cancelled", max);
  return floe_run_cancel_because(s, r->id, why, err);
}

static int fail_abandoned(floe_store *s, floe_arena *a, const floe_project *p, int64_t now, floe_err *err) {
  floe_run_rec *runs;
  size_t n = 0;
  int rc = floe_store_run_list_in(s, a, FLOE_RUN_QUEUED, 0, &runs, &n, err);
  for (size_t i = 0; !rc && i < n; i++) {
    if (now - runs[i].created_us <= (int64_t)(p->run_monitoring.start_timeout * 1e6)) continue;
    char why[200];
    snprintf(why, sizeof why, "no run worker started the run within %gs of its launch, and floe.yaml has no "
             "run_queue: (run_monitoring.start_timeout_seconds)", p->run_monitoring.start_timeout);
    rc = floe_run_fail_orphaned(s, runs[i].id, why, err);
  }
  return rc;
}

static int check_live_runs(floe_store *s, const floe_project *p, floe_err *err) {
  static const int live[] = {FLOE_RUN_STARTING, FLOE_RUN_STARTED};
  floe_arena a;
  floe_arena_init(&a, 0);
  int rc = floe_run_reap_dead(s, err);
  int64_t now = floe_now_us();
  for (size_t k = 0; !rc && k < 2; k++) {
    floe_run_rec *runs;
    size_t n = 0;
    rc = floe_store_run_list_in(s, &a, live[k], 0, &runs, &n, err);
    for (size_t i = 0; !rc && i < n; i++) rc = check_live(s, p, &runs[i], now, err);
  }
  /* without a run queue a run is QUEUED only until its launcher starts the worker: one left longer was
   * abandoned (its launcher died in between) and nobody else would ever start it */
  if (!rc && !p->run_queue.enabled) rc = fail_abandoned(s, &a, p, now, err);
  /* a CANCELING run whose worker is gone will not finish cancelling */
  floe_run_rec *runs;
  size_t n = 0;
  if (!rc) rc = floe_store_run_list_in(s, &a, FLOE_RUN_CANCELING, 0, &runs, &n, err);
  for (size_t i = 0; !rc && i < n; i++)
    if (floe_run_worker_gone(&runs[i])) rc = floe_run_fail_orphaned(s, runs[i].id, "run worker is gone while cancelling", err);
  floe_arena_free(&a);
  return rc;
}

/* ---- retries */

/* Whether a step failed on its own (not closed by the reaper with the run's reason), and whether a cancel
 * was ever requested. */
static int failure_kind(floe_store *s, floe_arena *a, const floe_run_rec *r, bool *step_failed, bool *canceled,
                        floe_err *err) {
  floe_step_rec *steps;
  floe_event_rec *ev;
  size_t n = 0, ne = 0;
  *step_failed = *canceled = false;
  int rc = floe_store_step_list(s, a, r->id, &steps, &n, err);
  for (size_t i = 0; !rc && i < n; i++)
    if (steps[i].status == FLOE_STEP_FAILURE && !(steps[i].error && r->error && !strcmp(steps[i].error, r->error)))
      *step_failed = true;
  if (!rc) rc = floe_store_event_list(s, a, r->id, 0, &ev, &ne, err);
  for (size_t i = 0; !rc && i < ne; i++)
    if (!strcmp(ev[i].type, "RUN_CANCELING") || !strcmp(ev[i].type, "RUN_CANCELED")) *canceled = true;
  return rc;
}

static int retry_event(floe_store *s, const char *run_id, const char *level, const char *msg, floe_err *err) {
  floe_event_rec e = {.run_id = run_id, .type = "RUN_RETRY", .level = level, .message = msg};
  return floe_store_event_append(s, &e, err);
}

/* Creates the retry of a failed run when its settings ask for one (once: a run that has a child already is
 * left alone), and starts its worker when there is no run queue to do so. */
static int maybe_retry(floe_store *s, const floe_project *p, const floe_run_rec *r, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 0);
  json_t *tags = r->tags_json ? json_loads(r->tags_json, 0, NULL) : NULL;
  int max = p->run_retries.enabled ? (int)tag_num(tags, "dagster/max_retries", p->run_retries.max_retries) : 0;
  int number = (int)tag_num(tags, "dagster/retry_number", 0);
  const char *strategy = tag_of(tags, "dagster/retry_strategy");
  bool all_steps = strategy && !strcmp(strategy, "ALL_STEPS");
  bool step_failed = false, canceled = false;
  int children = 0, rc = 0;
  char new_id[33] = "";
  if (number >= max) goto out;
  if ((rc = failure_kind(s, &a, r, &step_failed, &canceled, err)) || canceled) goto out;
  if (step_failed && !p->run_retries.retry_on_asset_or_op_failure) goto out;
  if ((rc = floe_store_begin(s, err))) goto out;
  rc = floe_store_run_count_children(s, r->id, &children, err);
  if (!rc && children == 0) {
    floe_err rerr = {0};
    const char *msg;
    if (floe_run_retry(s, p, r->id, !all_steps, number + 1, new_id, &rerr) == 0)
      msg = floe_arena_printf(&a, "retried as run %s (retry %d of %d, %s)", new_id, number + 1, max,
                              all_steps ? "ALL_STEPS" : "FROM_FAILURE");
    else
      msg = floe_arena_printf(&a, "cannot retry: %s", rerr.msg), new_id[0] = 0;
    rc = retry_event(s, r->id, new_id[0] ? "info" : "warning", msg ? msg : "retry", err);
  }
  rc = floe_store_end(s, rc, err);
  pid_t pid;
  if (!rc && new_id[0] && !p->run_queue.enabled && !(rc = floe_run_spawn_worker(p, new_id, true, &pid, err)))
    floe_daemon_child_started(pid, new_id);
out:
  json_decref(tags);
  floe_arena_free(&a);
  return rc;
}

/* The cursor: the end time of the last failed run handled, kept in the component's row. None yet (the
 * first daemon of the instance): from now on. */
static int64_t cursor = -1;

static int retry_failed(floe_store *s, const floe_project *p, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 0);
  int rc = 0;
  if (cursor < 0) {
    floe_component_rec *cs;
    size_t n = 0;
    rc = floe_store_component_list(s, &a, &cs, &n, err);
    for (size_t i = 0; !rc && i < n; i++)
      if (!strcmp(cs[i].name, NAME) && cs[i].cursor) cursor = cs[i].cursor;
    if (!rc && cursor < 0) {
      floe_component_rec c = {.name = NAME, .cursor = cursor = floe_now_us()};
      rc = floe_store_component_put(s, &c, true, err);
    }
  }
  floe_run_rec *runs;
  size_t n = 0;
  if (!rc) rc = floe_store_run_list_ended(s, &a, FLOE_RUN_FAILURE, cursor, 100, &runs, &n, err);
  for (size_t i = 0; !rc && i < n; i++) {
    if (!(rc = maybe_retry(s, p, &runs[i], err))) {
      floe_component_rec c = {.name = NAME, .cursor = runs[i].end_us};
      if (!(rc = floe_store_component_put(s, &c, true, err))) cursor = runs[i].end_us;
    }
  }
  floe_arena_free(&a);
  return rc;
}

int floe_run_monitor_step(floe_store *s, const floe_project *p, int64_t now_us, int64_t *next_wake_us, floe_err *err) {
  *next_wake_us = now_us + 1000000;
  int rc = check_live_runs(s, p, err);
  if (!rc) rc = retry_failed(s, p, err);
  return rc;
}
