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

typedef enum {
  FLOE_RUN_QUEUED,
  FLOE_RUN_STARTING,
  FLOE_RUN_STARTED,
  FLOE_RUN_SUCCESS,
  FLOE_RUN_FAILURE,
  FLOE_RUN_CANCELING,
  FLOE_RUN_CANCELED,
} floe_run_status;

typedef enum {
  FLOE_STEP_PENDING,
  FLOE_STEP_RUNNING,
  FLOE_STEP_SUCCESS,
  FLOE_STEP_FAILURE,
  FLOE_STEP_SKIPPED,
  FLOE_STEP_CANCELED,
  FLOE_STEP_RETRYING,
} floe_step_status;

const char *floe_run_status_name(int s);  /* "SUCCESS" ... */
int floe_run_status_parse(const char *s); /* -1 when unknown (case-insensitive) */
const char *floe_step_status_name(int s);
bool floe_run_status_done(int s);

typedef struct floe_run_rec {
  char id[33];
  const char *job;        /* NULL for ad-hoc materializations */
  const char *selection;
  const char *tags_json;  /* {"k":"v"} */
  const char *config_yaml;/* run config as given (already redacted) */
  const char *parent_run_id, *root_run_id;
  const char *error;
  int status;
  int worker_pid;
  int64_t created_us, start_us, end_us, heartbeat_us;
} floe_run_rec;

typedef struct floe_step_rec {
  const char *run_id, *asset_key;
  int status, attempt;
  int pid;                /* process group id of the running attempt */
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

/* Batches writes: begin/commit wrap many calls in one transaction (nesting is counted). */
int floe_store_begin(floe_store *s, floe_err *err) FLOE_WUR;
int floe_store_commit(floe_store *s, floe_err *err) FLOE_WUR;

int floe_store_run_create(floe_store *s, const floe_run_rec *r, floe_err *err) FLOE_WUR;
/* Sets status (and start/end time as appropriate); error may be NULL. */
int floe_store_run_set_status(floe_store *s, const char *run_id, int status, const char *error, floe_err *err) FLOE_WUR;
/* Moves the run to `to` only when it is currently `from`; *changed tells whether it did. */
int floe_store_run_cas_status(floe_store *s, const char *run_id, int from, int to, bool *changed, floe_err *err) FLOE_WUR;
int floe_store_run_set_worker(floe_store *s, const char *run_id, int pid, floe_err *err) FLOE_WUR;
int floe_store_run_heartbeat(floe_store *s, const char *run_id, floe_err *err) FLOE_WUR;
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
/* Last step status per asset key (for `floe asset list`): key -> status, from the newest run that ran it. */
int floe_store_asset_last_status(floe_store *s, floe_arena *a, const char ***keys, int **statuses, size_t *n,
                                 floe_err *err) FLOE_WUR;

/* Raw access for modules that keep their own tables in the instance database (e.g. the Iceberg
 * SQL catalog). Returns the backend handle (sqlite3*) or NULL for other backends. */
void *floe_store_sqlite_handle(floe_store *s);

#endif
