/* exec_int.h — private helpers shared by the run lifecycle (run.c) and the worker (worker.c). */
#ifndef FLOE_EXEC_INT_H
#define FLOE_EXEC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "floe/exec.h"
#include "floe/secrets.h"

/* Returns an arena copy of s with every value sec resolved replaced by "********" (NULL for NULL). */
const char *floe_exec_redact(floe_arena *a, const floe_secrets *sec, const char *s);

/* Reads a step's NDJSON events file from *offset and records its events (redacted) in the store, moving
 * *offset past what it recorded. While the step runs (final false) only complete lines are taken. The final
 * pass (the step ended) takes the rest, collects the metadata of all materialization events into
 * *metadata_json (arena string, "{}" when none) and removes the file. */
int floe_step_events_ingest(floe_store *s, floe_arena *a, const floe_secrets *sec, const char *run_id,
                            const char *asset_key, const char *path, int64_t *offset, bool final,
                            const char **metadata_json, floe_err *err);

/* Process identity (proc.c). floe_proc_boot_id: this boot's id, NULL when unknown. floe_proc_start_ticks:
 * the start time of pid in clock ticks since boot, 0 when there is no such process. floe_proc_self fills
 * out for pid (a live process of ours: self or a child), with the host name (arena) when with_host. */
const char *floe_proc_boot_id(void);
int64_t floe_proc_start_ticks(int pid);
int floe_proc_self(floe_arena *a, int pid, bool with_host, floe_proc_id *out);
/* Whether id still names a live process on this boot: same boot id and same start time as recorded. */
bool floe_proc_is(const floe_proc_id *id);
/* killpg(leader->pid, sig) only when floe_proc_is(leader): never after a reboot or pid reuse. 0 or errno. */
int floe_proc_signal_group(const floe_proc_id *leader, int sig);

/* The worker's lease (FLOE_RUN_LEASE seconds, default 30): a live run whose heartbeat is older is reaped,
 * wherever its worker ran. The worker renews it every floe_run_heartbeat_us() (a quarter, at most 2 s). */
int64_t floe_run_lease_us(void);
int64_t floe_run_heartbeat_us(void);

/* Ends the open steps of a run that will not run them (run.c): RUNNING/RETRYING ones become running_to,
 * PENDING ones pending_to, each with its reason and an event. Part of the caller's transaction. */
int floe_run_close_steps(floe_store *s, const char *run_id, const floe_step_rec *steps, size_t n, int running_to,
                         const char *running_why, int pending_to, const char *pending_why, floe_err *err);

/* Retry delay in seconds before attempt `attempt` (1 = first retry), jitter included. */
double floe_retry_delay(const floe_retry *r, int attempt);

/* The private file that hands the worker a run's config as given (the stored copy is redacted):
 * <home>/private/<run id>.yaml. launch.c writes it; the worker takes it (reads, then removes it);
 * *text is NULL when there is none. */
const char *floe_run_config_path(floe_arena *a, const floe_project *p, const char *run_id);
int floe_run_config_take(floe_arena *a, const floe_project *p, const char *run_id, const char **text,
                         floe_err *err) FLOE_WUR;

/* The queued launch (queued.c): the run is QUEUED already; notes whether a daemon will start it, and waits
 * through the store when req->wait. t0: floe_mono_us() at the launch's start. */
int floe_launch_queued(floe_store *s, const floe_project *p, const floe_launch_req *req, floe_arena *a,
                       floe_launch_outcome *out, int64_t t0, floe_err *err) FLOE_WUR;

#endif
