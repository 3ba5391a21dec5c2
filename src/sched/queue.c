/* queue.c — the run queue (floe.yaml `run_queue:`): the daemon component that starts QUEUED runs while the
 * limits allow — max_concurrent_runs over all live runs (STARTING, STARTED, CANCELING) and each
 * tag_concurrency_limits entry (runs holding the tag, or holding it with a given value, or per unique value) —
 * highest dagster/priority first, oldest first within a priority (the store's order). A run blocked by a tag
 * limit does not hold back the runs behind it. It runs on every wake-up (a run ended or was queued), so a slot
 * is refilled as soon as it frees. Starting a run = spawning its worker and claiming the run for it
 * (QUEUED -> STARTING in one compare-and-swap naming the worker) in the same pass. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "floe/daemon.h"
#include "floe/exec.h"

#define PAGE 200

/* How many live runs count against each limit: limit i, value v (per-value limits keep one count per value). */
typedef struct counts {
  int total;
  floe_map *per;  /* per limit: value (arena string) -> (intptr_t)count; "" for limits without per_value */
} counts;

static const char *tag_of(json_t *tags, const char *key) {
  json_t *v = tags ? json_object_get(tags, key) : NULL;
  return v && json_is_string(v) ? json_string_value(v) : NULL;
}

/* The bucket of limit l a run with these tags falls in, or NULL when the limit does not apply to it. */
static const char *bucket(const floe_tag_limit *l, json_t *tags) {
  const char *v = tag_of(tags, l->key);
  if (!v) return NULL;
  if (l->per_value) return v;
  if (l->value && strcmp(l->value, v)) return NULL;
  return "";
}

static int count_of(counts *c, size_t i, const char *b) { return (int)(intptr_t)floe_map_get(&c->per[i], b); }

static int add_run(counts *c, const floe_project *p, floe_arena *a, json_t *tags, int delta) {
  c->total += delta;
  for (size_t i = 0; i < p->run_queue.ntag_limits; i++) {
    const char *b = bucket(p->run_queue.tag_limits[i], tags);
    if (!b) continue;
    const char *key = floe_map_has(&c->per[i], b) ? b : floe_arena_strdup(a, b);
    if (!key || floe_map_put(&c->per[i], key, (void *)(intptr_t)(count_of(c, i, b) + delta))) return FLOE_ENOMEM;
  }
  return 0;
}

/* Whether a run with these tags fits under every tag limit now. */
static bool fits(counts *c, const floe_project *p, json_t *tags) {
  for (size_t i = 0; i < p->run_queue.ntag_limits; i++) {
    const floe_tag_limit *l = p->run_queue.tag_limits[i];
    const char *b = bucket(l, tags);
    if (b && count_of(c, i, b) >= l->limit) return false;
  }
  return true;
}

static int count_live(floe_store *s, const floe_project *p, floe_arena *a, counts *c, floe_err *err) {
  static const int live[] = {FLOE_RUN_STARTING, FLOE_RUN_STARTED, FLOE_RUN_CANCELING};
  for (size_t k = 0; k < 3; k++) {
    floe_run_rec *runs;
    size_t n = 0;
    int rc = floe_store_run_list_in(s, a, live[k], 0, &runs, &n, err);
    for (size_t i = 0; !rc && i < n; i++) {
      json_t *tags = runs[i].tags_json ? json_loads(runs[i].tags_json, 0, NULL) : NULL;
      rc = add_run(c, p, a, tags, 1) ? floe_err_set(err, FLOE_ENOMEM, "out of memory") : 0;
      json_decref(tags);
    }
    if (rc) return rc;
  }
  return 0;
}

/* Starts the run's worker and claims the run for it, with the dequeue event, in one transaction (one write on
 * the path from a freed slot to the next run). The event's time is the queue's decision. The worker may claim
 * the run itself before our claim lands: either way it is the one that runs it. */
static int start_run(floe_store *s, const floe_project *p, const floe_run_rec *r, floe_err *err) {
  floe_event_rec e = {.run_id = r->id, .type = "RUN_DEQUEUED", .level = "info", .message = "dequeued by the run queue",
                      .ts_us = floe_now_us()};
  pid_t pid = 0;
  int rc = floe_run_spawn_worker(p, r->id, true, &pid, err);
  if (rc) {
    floe_err e2 = {0};
    if (floe_run_fail_orphaned(s, r->id, err->msg, &e2)) { /* the spawn error is reported */
    }
    return rc;
  }
  floe_daemon_child_started(pid, r->id);
  bool claimed = false;
  if ((rc = floe_store_begin(s, err))) return rc;
  rc = floe_store_event_append(s, &e, err);
  if (!rc) rc = floe_run_claim_for(s, r->id, pid, &claimed, err); /* not claimed: cancelled, or self-claimed */
  return floe_store_end(s, rc, err);
}

/* Walks the queue in order, starting every run that fits, until no slot is left. */
static int dequeue(floe_store *s, const floe_project *p, floe_arena *a, counts *c, floe_err *err) {
  int max = p->run_queue.max_concurrent_runs < 0 ? INT_MAX : p->run_queue.max_concurrent_runs;
  int rc = 0, skipped = 0;
  bool tag_limits = p->run_queue.ntag_limits > 0;
  while (!rc && c->total < max) {
    floe_run_rec *runs;
    size_t n = 0;
    /* without tag limits, the first free-slot runs are the ones to start */
    int want = tag_limits ? PAGE : max - c->total < PAGE ? max - c->total : PAGE;
    if ((rc = floe_store_run_list_queued(s, a, skipped, want, &runs, &n, err)) || n == 0) break;
    for (size_t i = 0; !rc && i < n && c->total < max; i++) {
      json_t *tags = runs[i].tags_json ? json_loads(runs[i].tags_json, 0, NULL) : NULL;
      if (!fits(c, p, tags)) skipped++;
      else if (!(rc = start_run(s, p, &runs[i], err))) rc = add_run(c, p, a, tags, 1);
      json_decref(tags);
    }
    if (n < (size_t)want) break;
  }
  return rc;
}

int floe_run_queue_step(floe_store *s, const floe_project *p, int64_t now_us, int64_t *next_wake_us, floe_err *err) {
  if (!p->run_queue.enabled) {
    *next_wake_us = now_us + 60000000;
    return 0;
  }
  floe_arena a;
  floe_arena_init(&a, 0);
  counts c = {0};
  c.per = floe_arena_alloc(&a, sizeof *c.per * (p->run_queue.ntag_limits + 1));
  int rc = c.per ? count_live(s, p, &a, &c, err) : floe_err_set(err, FLOE_ENOMEM, "out of memory");
  if (!rc) rc = dequeue(s, p, &a, &c, err);
  for (size_t i = 0; c.per && i < p->run_queue.ntag_limits; i++) floe_map_free(&c.per[i]);
  floe_arena_free(&a);
  return rc;
}
