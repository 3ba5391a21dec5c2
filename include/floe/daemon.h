/* daemon.h — `floe daemon`: the one long-lived process per instance that runs the automation components
 * (scheduler, sensors, run queue, run monitor, alert delivery), each with a heartbeat in the store.
 *
 * A component is one function that makes one evaluation pass and says when it next wants to run:
 *
 *   int floe_<component>_step(floe_store *s, const floe_project *p, int64_t now_us, int64_t *next_wake_us,
 *                             floe_err *err);
 *
 * now_us is the automation clock (floe_clock_now_us); *next_wake_us comes in as now_us + the component's
 * default interval and may be moved earlier or later. The daemon also runs the event-driven components at
 * once on a wake-up: a writer committed a run change (the store pokes by itself) or called floe_daemon_poke.
 * The table of components is in src/sched/daemon.c. */
#ifndef FLOE_DAEMON_H
#define FLOE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "floe/defs.h"
#include "floe/store.h"

typedef int (*floe_component_step_fn)(floe_store *s, const floe_project *p, int64_t now_us, int64_t *next_wake_us,
                                      floe_err *err);

/* Runs the daemon for p until SIGTERM or SIGINT (then it stops within a second: runs in progress keep running
 * in their own workers). Refuses (FLOE_ECONFLICT, naming the pid and host) when another daemon holds the
 * instance's lease. Logs one line per notable event to stderr. */
int floe_daemon_run(const floe_project *p, floe_err *err) FLOE_WUR;

/* What `floe daemon status` shows. Arena-allocated. */
typedef struct floe_daemon_status {
  bool ever;               /* a daemon ran on this instance at some time */
  bool running;            /* one holds the lease now */
  floe_daemon_rec lease;
  floe_component_rec *components;
  size_t ncomponents;
  int64_t now_us;
} floe_daemon_status;
int floe_daemon_status_get(floe_store *s, floe_arena *a, floe_daemon_status *out, floe_err *err) FLOE_WUR;

/* Wakes the daemon of p's instance now (after committing a change it should act on). Never fails: with no
 * daemon it does nothing. */
void floe_daemon_poke(const floe_project *p);

/* ---- the components this module provides */

/* Run queue (13.5): starts QUEUED runs while max_concurrent_runs and tag_concurrency_limits allow, highest
 * dagster/priority first, oldest first within a priority. Only with run_queue: in floe.yaml. */
int floe_run_queue_step(floe_store *s, const floe_project *p, int64_t now_us, int64_t *next_wake_us,
                        floe_err *err) FLOE_WUR;
/* Run monitor (13.6): fails runs whose worker died (exit seen by the daemon, a local process gone, or a lapsed
 * lease), runs STARTING longer than start_timeout; cancels runs past their dagster/max_runtime; retries failed
 * runs (run_retries:, tags dagster/max_retries, dagster/retry_strategy). */
int floe_run_monitor_step(floe_store *s, const floe_project *p, int64_t now_us, int64_t *next_wake_us,
                          floe_err *err) FLOE_WUR;

/* The run workers the queue started are the daemon's children: it records them so that their exit status
 * becomes the reason of a run they left unfinished (daemon.c). */
void floe_daemon_child_started(pid_t pid, const char *run_id);

#endif
