/* exec.h — runs: creating them, the run-worker process that executes their steps in parallel child
 * processes, waiting, cancelling, re-executing, and recovering runs whose worker died. */
#ifndef FLOE_EXEC_H
#define FLOE_EXEC_H

#include <stdbool.h>
#include <sys/types.h>
#include "floe/defs.h"
#include "floe/store.h"

typedef struct floe_launch {
  const char *job;          /* job name, or NULL for an ad-hoc selection */
  const char *selection;    /* text recorded with the run */
  const bool *mask;         /* p->nassets entries: the assets to run */
  const char *config_yaml;  /* run config text (stored redacted), or NULL */
  const char *tags_json;    /* {"k":"v"} or NULL */
  const char *parent_run_id, *root_run_id;
} floe_launch;

/* Creates a QUEUED run with one PENDING step per selected asset; writes its id into run_id. */
int floe_run_create(floe_store *s, const floe_project *p, const floe_launch *l, char run_id[33], floe_err *err) FLOE_WUR;

/* Starts the run-worker process (`floe -p DIR __run-worker ID`). detach: new session, output to
 * <home>/logs/<id>/worker.log, so it survives the caller. The worker starts with no signal blocked and
 * SIGCHLD/SIGTERM/SIGUSR1 at their defaults; a caller that ignores SIGCHLD gets it reset to the default
 * (it could not wait for the worker otherwise). */
int floe_run_spawn_worker(const floe_project *p, const char *run_id, bool detach, pid_t *pid, floe_err *err) FLOE_WUR;

/* Waits for a worker started by this process; if it died without finishing the run, marks the run
 * failed and kills its step process groups. *status gets the final run status. */
int floe_run_wait(floe_store *s, const char *run_id, pid_t worker, int *status, floe_err *err) FLOE_WUR;

/* Like floe_run_wait, calling fn for each event of the run as it is recorded (for progress on a TTY). */
typedef void (*floe_run_progress_fn)(void *ud, const floe_event_rec *e);
int floe_run_wait_progress(floe_store *s, const char *run_id, pid_t worker, floe_run_progress_fn fn, void *ud,
                           int *status, floe_err *err) FLOE_WUR;

/* The run worker: claims the run (QUEUED -> STARTING, with this process's identity), prepares, starts it
 * (STARTING -> STARTED) and executes its pending steps in dependency order, up to max_concurrent at once,
 * renewing its lease. Returns 0 when the run succeeded, FLOE_EFAILED when it failed or was cancelled,
 * FLOE_ECONFLICT when the run was not QUEUED (another worker has it, or it ended). */
int floe_run_execute(const floe_project *p, const char *run_id, floe_err *err) FLOE_WUR;

/* Requests cancellation: a queued (or awaiting approval) run is cancelled at once with its steps; a
 * STARTING or STARTED one moves to CANCELING and its worker terminates the steps (SIGTERM, then SIGKILL
 * after the grace period), or, cancelled while STARTING, starts none. Waits up to wait_s seconds for the
 * run to end (reaping it if its worker's lease runs out meanwhile). */
int floe_run_cancel(floe_store *s, const char *run_id, int wait_s, floe_err *err) FLOE_WUR;

/* Creates a new run from an old one: the same assets, or with from_failure only the steps that did
 * not succeed (failed, skipped, cancelled, never started). */
int floe_run_reexecute(floe_store *s, const floe_project *p, const char *run_id, bool from_failure, char new_id[33],
                       floe_err *err) FLOE_WUR;
/* The same as retry number retry_number (> 0: tag dagster/retry_number). Both tag the new run with
 * dagster/parent_run_id and dagster/root_run_id. */
int floe_run_retry(floe_store *s, const floe_project *p, const char *run_id, bool from_failure, int retry_number,
                   char new_id[33], floe_err *err) FLOE_WUR;

/* Finds live runs whose worker's lease ran out (floe_store_run_list_stale; FLOE_RUN_LEASE seconds,
 * default 30), wherever the worker ran, and marks them failed, killing the step process groups they left
 * when boot id and start time prove them the ones started. Safe to call from any process at any time. */
int floe_run_reap_dead(floe_store *s, floe_err *err) FLOE_WUR;

/* ---- for the daemon (src/sched/): run queue and run monitor */

/* Marks a run whose worker is gone as FAILURE with why (one transaction: the run, its open steps, the event),
 * then kills the step process groups it left when they are provably the ones started. A run that already
 * ended is left alone. */
int floe_run_fail_orphaned(floe_store *s, const char *run_id, const char *why, floe_err *err) FLOE_WUR;
/* This process's identity (pid, host, boot id, start time); strings in arena a. FLOE_ENOMEM on failure. */
int floe_proc_self_id(floe_arena *a, floe_proc_id *out) FLOE_WUR;
/* True only when id names a process of this host and boot that no longer exists (or whose pid another process
 * holds now). Another host's process is never judged gone here. */
bool floe_proc_gone(const floe_proc_id *id);
/* True only when the run's worker ran on this host and boot and that process no longer exists (or its pid
 * belongs to another process now). A worker on another host is never judged here: its lease is. */
bool floe_run_worker_gone(const floe_run_rec *r);
/* The run queue's claim: QUEUED -> STARTING naming worker (a child just started for the run), so the run
 * leaves the queue at once; the worker then finds the run claimed for it. *claimed false when the run was
 * no longer QUEUED (e.g. cancelled meanwhile). */
int floe_run_claim_for(floe_store *s, const char *run_id, pid_t worker, bool *claimed, floe_err *err) FLOE_WUR;
/* Requests cancellation of a STARTING or STARTED run with a reason kept as the run's error (e.g. it exceeded
 * its maximum runtime); does not wait. */
int floe_run_cancel_because(floe_store *s, const char *run_id, const char *why, floe_err *err) FLOE_WUR;

/* Step files: <home>/logs/<run_id>/<asset key with '/' -> '__'>.{out,err,events}. Arena-allocated. */
const char *floe_step_file(floe_arena *a, const floe_project *p, const char *run_id, const char *asset_key,
                           const char *ext);

/* Grace period between SIGTERM and SIGKILL when cancelling (FLOE_CANCEL_GRACE seconds, default 5). */
double floe_cancel_grace(void);

/* Validates run config (the launchpad's `ops: {OP: {config: {...}}}` shape) against a job's `config:`
 * schema ({OP: {KEY: TYPE}}). Without a schema, ops must be among ops_allowed (NULL-terminated: the
 * assets the job runs) and their config keys are free-form. Errors name file:line:col and the key path. */
int floe_config_validate(const floe_node *schema, const char *const *ops_allowed, const floe_node *root,
                         floe_err *err) FLOE_WUR;

/* ---- launching: the one call every front end makes (the CLI, the daemon, sensors, the HTTP server)
 *
 * floe_job_launch looks the job or selection up, merges the tags (the job's, the request's, who launched
 * it), validates the run config against the job's schema, stores the run with its config redacted (the
 * worker gets the text as given through a private file of the run, never the environment), starts the
 * run worker, and optionally waits and summarizes the outcome. */

typedef struct floe_launch_outcome floe_launch_outcome;

typedef struct floe_launch_req {
  const char *job;          /* a job of the project, or NULL */
  const char *selection;    /* without job: the assets to run (floe_select syntax) */
  const char *reexecute_of; /* instead of job/selection: run again the assets of this run (id or prefix) */
  bool from_failure;        /* with reexecute_of: only its steps that did not succeed */
  const char *config_text;  /* run config YAML as given (may hold secret values), or NULL */
  const char *config_name;  /* the file named in config error positions (default "run config") */
  const floe_tag *tags;     /* extra run tags (win over the job's), or NULL */
  size_t ntags;
  const char *launched_by;  /* who: "cli", "schedule:NAME", "sensor:NAME", "user:NAME"; tag floe/launched_by */
  bool detach;              /* the worker gets its own session and log file and outlives the caller */
  bool wait;                /* wait for the run to end, then fill the outcome's counts and failures */
  /* Optional, while waiting: started() once the worker runs (run id, step count known), progress() per event. */
  void (*started)(void *ud, const floe_launch_outcome *o);
  floe_run_progress_fn progress;
  void *ud;
} floe_launch_req;

/* A failed step as the launching terminal must show it. Strings live in the outcome's arena. */
typedef struct floe_step_failure {
  const char *asset_key;
  const char *error;       /* what the worker recorded: "exited with code 1", "timed out after 5s" */
  const char *reason;      /* the step's own error, its last `floe: error:` line on stderr (the file:line
                            * message of an ingest: missing file, first bad row), or NULL */
  const char *stderr_tail; /* the last lines of its stderr (as logged: redacted), or NULL when empty */
  const char *stderr_path;
} floe_step_failure;

struct floe_launch_outcome {
  char run_id[33];
  bool queued;             /* the project has a run_queue: the daemon starts the run */
  const char *notice;      /* something the launcher should tell the user (e.g. no daemon runs), or NULL */
  pid_t worker_pid;
  int status;              /* the run's status (final when waited) */
  int64_t duration_us;     /* launch to end, when waited */
  size_t nsteps, nsucceeded, nfailed, nskipped, ncanceled;
  const char *run_error;   /* the run's own error (e.g. it failed before its first step), or NULL */
  floe_step_failure *failures;
  size_t nfailures;
};

/* Launches a run (see above). FLOE_EINPUT for what the caller asked wrong (unknown job, bad selection or
 * config: messages name the file:line:col and suggest names); the outcome lives in arena a. A run that
 * ran and failed is not an error: out->status says FAILURE. */
int floe_job_launch(floe_store *s, const floe_project *p, const floe_launch_req *req, floe_arena *a,
                    floe_launch_outcome *out, floe_err *err) FLOE_WUR;

/* Fills an outcome from the store: the run's status and error, step counts, and per failed step its error,
 * its own error line and the tail (up to tail_lines lines) of its stderr. */
int floe_run_outcome(floe_store *s, const floe_project *p, const char *run_id, int tail_lines, floe_arena *a,
                     floe_launch_outcome *out, floe_err *err) FLOE_WUR;

#endif
