/* store.h — instance storage: runs, steps, the event log and latest materializations.
 *
 * Callers use only these functions; the backend (SQLite today, PostgreSQL later) sits behind the
 * vtable in src/store/store_int.h. Records returned by list/get functions are allocated in the
 * caller's arena. All writes are safe from many processes at once (WAL + immediate transactions
 * + retry on busy): no caller ever sees "database is locked". */
#ifndef FLOE_STORE_H
#define FLOE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "floe/err.h"
#include "floe/util.h"

/* Run statuses. The numbers are this process's enum only: the store keeps the names (text), so adding or
 * reordering values never changes what an old database means. Add new values at the end. */
typedef enum {
  FLOE_RUN_QUEUED,
  FLOE_RUN_STARTING,
  FLOE_RUN_STARTED,
  FLOE_RUN_SUCCESS,
  FLOE_RUN_FAILURE,
  FLOE_RUN_CANCELING,
  FLOE_RUN_CANCELED,
  FLOE_RUN_AWAITING_APPROVAL,
  FLOE_RUN_NSTATUS
} floe_run_status;

typedef enum {
  FLOE_STEP_PENDING,
  FLOE_STEP_RUNNING,
  FLOE_STEP_SUCCESS,
  FLOE_STEP_FAILURE,
  FLOE_STEP_SKIPPED,
  FLOE_STEP_CANCELED,
  FLOE_STEP_RETRYING,
  FLOE_STEP_NSTATUS
} floe_step_status;

const char *floe_run_status_name(int s);  /* "SUCCESS" ...; "UNKNOWN" out of range */
int floe_run_status_parse(const char *s); /* -1 when unknown (case-insensitive) */
const char *floe_step_status_name(int s);
int floe_step_status_parse(const char *s); /* -1 when unknown */
bool floe_run_status_done(int s);          /* SUCCESS, FAILURE, CANCELED: nothing moves it any more */
bool floe_run_status_live(int s);          /* STARTING, STARTED, CANCELING: a worker owns the run */

/* The run state machine (one table, src/store/store.c):
 *   AWAITING_APPROVAL -> QUEUED | CANCELED
 *   QUEUED            -> STARTING (a worker claims it) | CANCELED | FAILURE (could not start)
 *   STARTING          -> STARTED | CANCELING | FAILURE
 *   STARTED           -> SUCCESS | FAILURE | CANCELING
 *   CANCELING         -> CANCELED | FAILURE (its worker died)
 * SUCCESS, FAILURE and CANCELED are final. Returns the bit set (1u << status) of statuses `to` may be
 * entered from; 0 for none. */
unsigned floe_run_transition_from(int to);
bool floe_run_transition_allowed(int from, int to);

/* Which process, on which boot of which host: enough to tell "still that process" from a reused pid or a
 * reboot. boot_id from /proc/sys/kernel/random/boot_id, start_ticks = field 22 of /proc/PID/stat. */
typedef struct floe_proc_id {
  int pid;
  const char *host;    /* may be NULL for step processes */
  const char *boot_id;
  int64_t start_ticks;
} floe_proc_id;

typedef struct floe_run_rec {
  char id[33];
  const char *job;        /* NULL for ad-hoc materializations */
  const char *selection;
  const char *tags_json;  /* {"k":"v"} */
  const char *config_yaml;/* run config as given (already redacted) */
  const char *parent_run_id, *root_run_id;
  const char *error;
  int status;
  floe_proc_id worker;    /* set by the claim (QUEUED -> STARTING); pid 0 before */
  int64_t created_us, start_us, end_us, heartbeat_us;
} floe_run_rec;

typedef struct floe_step_rec {
  const char *run_id, *asset_key;
  int status, attempt;
  floe_proc_id proc;      /* proc.pid = process group id of the running attempt (host unused) */
  int64_t start_us, end_us;
  const char *error;
  const char *log_out, *log_err; /* log file paths */
} floe_step_rec;

typedef struct floe_event_rec {
  int64_t id;
  const char *run_id, *asset_key; /* asset_key NULL for run-level events */
  const char *type;               /* RUN_START, STEP_START, STEP_SUCCESS, STEP_FAILURE, STEP_SKIPPED,
                                     STEP_RETRY, LOG, MATERIALIZATION, ASSET_CHECK, RUN_SUCCESS, ... */
  const char *level;              /* debug|info|warning|error */
  const char *message;
  const char *data_json;          /* NULL or a JSON object */
  int64_t ts_us;
} floe_event_rec;

typedef struct floe_materialization_rec {
  const char *asset_key, *run_id, *metadata_json;
  int64_t ts_us;
} floe_materialization_rec;

typedef struct floe_store floe_store;

/* Opens (creating and migrating as needed) the instance store at db_path. */
int floe_store_open(const char *db_path, floe_store **out, floe_err *err) FLOE_WUR;
void floe_store_close(floe_store *s);

/* Batches writes: begin/commit wrap many calls in one transaction (nesting is counted). A statement that
 * fails inside the transaction poisons it: the outermost commit then rolls everything back and returns
 * the error (a run is never committed with half its steps). */
int floe_store_begin(floe_store *s, floe_err *err) FLOE_WUR;
int floe_store_commit(floe_store *s, floe_err *err) FLOE_WUR;
/* Ends the transaction begin opened: commits when rc == 0, else rolls back (at the outermost level).
 * Returns rc, or the commit's error when rc was 0. Usage: rc = floe_store_end(s, rc, err); */
int floe_store_end(floe_store *s, int rc, floe_err *err) FLOE_WUR;

/* Inserts a run in r->status (QUEUED or AWAITING_APPROVAL; anything else is FLOE_EINPUT). */
int floe_store_run_create(floe_store *s, const floe_run_rec *r, floe_err *err) FLOE_WUR;

/* THE way a run's status changes: one compare-and-swap statement that moves the run to `to` only when its
 * current status may go there (floe_run_transition_from). In the same statement: start_us on STARTED,
 * end_us on a final status, error when non-NULL, and when worker is non-NULL the worker's identity plus a
 * fresh heartbeat (the claim QUEUED -> STARTING: two workers can never both win it). *changed (optional)
 * tells whether it moved; a refused transition is not an error. FLOE_ENOTFOUND when there is no such run. */
int floe_store_run_transition(floe_store *s, const char *run_id, int to, const floe_proc_id *worker,
                              const char *error, bool *changed, floe_err *err) FLOE_WUR;
/* Renews the worker's lease: heartbeat_us = now while the run is live. */
int floe_store_run_heartbeat(floe_store *s, const char *run_id, floe_err *err) FLOE_WUR;
/* Live runs (STARTING, STARTED, CANCELING) whose last heartbeat is older than before_us: their worker is
 * gone or hung, wherever it ran. Arena array, at most 1000 (any order). */
int floe_store_run_list_stale(floe_store *s, floe_arena *a, int64_t before_us, floe_run_rec **out, size_t *n,
                              floe_err *err) FLOE_WUR;
/* Looks a run up by full id or unique prefix. FLOE_ENOTFOUND when none. */
int floe_store_run_get(floe_store *s, floe_arena *a, const char *id, floe_run_rec *out, floe_err *err) FLOE_WUR;

typedef struct floe_run_filter {
  int status;           /* -1 = any */
  const char *job;      /* NULL = any */
  int64_t since_us;     /* 0 = any */
  int limit;            /* 0 = 50 */
} floe_run_filter;
/* *out is an arena array of *n records, newest first. */
int floe_store_run_list(floe_store *s, floe_arena *a, const floe_run_filter *f, floe_run_rec **out, size_t *n,
                        floe_err *err) FLOE_WUR;

int floe_store_step_upsert(floe_store *s, const floe_step_rec *st, floe_err *err) FLOE_WUR;
int floe_store_step_list(floe_store *s, floe_arena *a, const char *run_id, floe_step_rec **out, size_t *n,
                         floe_err *err) FLOE_WUR;

int floe_store_event_append(floe_store *s, const floe_event_rec *e, floe_err *err) FLOE_WUR;
/* Events of a run with id > after_id, in order. */
int floe_store_event_list(floe_store *s, floe_arena *a, const char *run_id, int64_t after_id, floe_event_rec **out,
                          size_t *n, floe_err *err) FLOE_WUR;

int floe_store_materialization_put(floe_store *s, const floe_materialization_rec *m, floe_err *err) FLOE_WUR;
/* Latest materialization per asset key. */
int floe_store_materialization_list(floe_store *s, floe_arena *a, floe_materialization_rec **out, size_t *n,
                                    floe_err *err) FLOE_WUR;
/* Last step status per asset key (for `floe asset list`): key -> status of its newest non-PENDING step
 * (newest by end, else start time). Kept in a table of its own as steps change, so it costs O(assets). */
int floe_store_asset_last_status(floe_store *s, floe_arena *a, const char ***keys, int **statuses, size_t *n,
                                 floe_err *err) FLOE_WUR;

/* Raw access to the backend handle (sqlite3*; NULL for other backends), for tests. Modules keep their tables
 * behind the functions of this interface (the Iceberg catalog too: floe_store_catalog_*), never through it. */
/* ---- the automation daemon (src/sched/daemon.c): one per instance, by a lease in the store */

typedef struct floe_daemon_rec {
  char owner[33];          /* random id of the daemon process holding (or last holding) the lease */
  floe_proc_id proc;       /* its pid, host, boot id and start time */
  int64_t started_us, heartbeat_us; /* heartbeat 0: released (stopped cleanly) */
  int64_t stopped_us;
} floe_daemon_rec;

/* Takes the instance's daemon lease for me in one compare-and-swap statement: won when nobody holds it, it
 * was released, its heartbeat is older than stale_before_us, or its holder is replace_owner (a holder the
 * caller proved dead; NULL for none). Two daemons can never both win. */
int floe_store_daemon_claim(floe_store *s, const floe_daemon_rec *me, int64_t stale_before_us, const char *replace_owner,
                            bool *won, floe_err *err) FLOE_WUR;
/* The lease's row (*found false when no daemon ever ran). Strings in arena a. */
int floe_store_daemon_get(floe_store *s, floe_arena *a, floe_daemon_rec *out, bool *found, floe_err *err) FLOE_WUR;
/* Renews owner's lease (heartbeat = now); *held false when another daemon took it meanwhile. */
int floe_store_daemon_renew(floe_store *s, const char *owner, bool *held, floe_err *err) FLOE_WUR;
/* The daemon lease's length (FLOE_DAEMON_LEASE seconds, default 20) and whether d holds it at now_us. */
int64_t floe_daemon_lease_us(void);
bool floe_daemon_rec_alive(const floe_daemon_rec *d, int64_t now_us);
/* Releases owner's lease (a clean stop): the next daemon may start at once. */
int floe_store_daemon_release(floe_store *s, const char *owner, floe_err *err) FLOE_WUR;

/* A daemon component's heartbeat (scheduler, sensors, run queue, run monitor, alerts), its last error and a
 * cursor it keeps across restarts (e.g. the run monitor's last handled end time). */
typedef struct floe_component_rec {
  const char *name;
  int64_t heartbeat_us;
  const char *error;  /* NULL when the last pass succeeded */
  int64_t cursor;
} floe_component_rec;
/* Upserts the component's heartbeat and error; the cursor only when set_cursor. */
int floe_store_component_put(floe_store *s, const floe_component_rec *c, bool set_cursor, floe_err *err) FLOE_WUR;
int floe_store_component_list(floe_store *s, floe_arena *a, floe_component_rec **out, size_t *n, floe_err *err) FLOE_WUR;

/* The run queue: QUEUED runs in dequeue order (tag dagster/priority, higher first; then oldest first), from
 * position offset, at most limit. */
int floe_store_run_list_queued(floe_store *s, floe_arena *a, int offset, int limit, floe_run_rec **out, size_t *n,
                               floe_err *err) FLOE_WUR;
/* Runs in status (any order), at most limit (0 = 10000): e.g. the live ones the queue counts. */
int floe_store_run_list_in(floe_store *s, floe_arena *a, int status, int limit, floe_run_rec **out, size_t *n,
                           floe_err *err) FLOE_WUR;
/* Runs that ended in status with end_us > after_us, oldest end first, at most limit. */
int floe_store_run_list_ended(floe_store *s, floe_arena *a, int status, int64_t after_us, int limit, floe_run_rec **out,
                              size_t *n, floe_err *err) FLOE_WUR;
/* How many runs name parent_id as their parent (retries, re-executions). */
int floe_store_run_count_children(floe_store *s, const char *parent_id, int *n, floe_err *err) FLOE_WUR;

/* ---- wake-ups: a writer that committed a run change (created, status moved) wakes the daemon at once. The
 * SQLite backend does it by itself after each commit that changed a run, through a datagram socket beside the
 * database (<db>-wake); floe_store_notify pokes it by hand for other changes (e.g. a schedule started).
 * floe_store_listen (the daemon only) gives a descriptor that turns readable on a wake-up; drain it with
 * floe_store_listen_drain. The descriptor belongs to the store (closed by floe_store_close). */
void floe_store_notify(floe_store *s);
int floe_store_listen(floe_store *s, int *fd, floe_err *err) FLOE_WUR;
void floe_store_listen_drain(floe_store *s);

/* Raw access for modules that keep their own tables in the instance database (e.g. the Iceberg
 * SQL catalog). Returns the backend handle (sqlite3*) or NULL for other backends. */
void *floe_store_sqlite_handle(floe_store *s);


/* ---- The Iceberg SQL catalog: tables iceberg_tables and iceberg_namespace_properties in the JDBC catalog's
 * schema, so pyiceberg's SqlCatalog and Java's JdbcCatalog open the same database. `catalog` is the catalog
 * name (floe: the project's name). Only rows with iceberg_type 'TABLE' or NULL are tables. */
typedef struct floe_catalog_entry {
  const char *ns, *name, *metadata_location;
} floe_catalog_entry;

/* The catalog's write lock: a store write transaction (end it with floe_store_end) whose commit is durable, as
 * every catalog commit is. While it is held no other process publishes a table version. */
int floe_store_catalog_lock(floe_store *s, floe_err *err) FLOE_WUR;
/* The table's metadata_location (arena). FLOE_ENOTFOUND when the catalog has no such table. */
int floe_store_catalog_get(floe_store *s, floe_arena *a, const char *catalog, const char *ns, const char *name,
                           const char **metadata_location, floe_err *err) FLOE_WUR;
/* The catalog's tables, by namespace and name (arena array). */
int floe_store_catalog_list(floe_store *s, floe_arena *a, const char *catalog, floe_catalog_entry **out, size_t *n,
                            floe_err *err) FLOE_WUR;
/* Publishes a table version. old NULL creates the table (and its namespace when missing): FLOE_ECONFLICT when
 * it exists. Otherwise one compare-and-swap of metadata_location from old to new_loc (previous_metadata_location
 * becomes old): FLOE_ECONFLICT when it is no longer old (another writer won: reload and retry). Durable once
 * it returns (or, inside floe_store_begin, once that transaction commits). */
int floe_store_catalog_swap(floe_store *s, const char *catalog, const char *ns, const char *name, const char *old,
                            const char *new_loc, floe_err *err) FLOE_WUR;
/* Removes the table from the catalog (its files are not touched); FLOE_ENOTFOUND when it is not there. */
int floe_store_catalog_drop(floe_store *s, const char *catalog, const char *ns, const char *name,
                            floe_err *err) FLOE_WUR;

#endif
