/* store.c — the instance-storage interface: status names, the run state machine, and dispatch to the
 * backend that keeps the data. */
#include <stdlib.h>
#include <strings.h>
#include "store_int.h"

static const char *const run_names[FLOE_RUN_NSTATUS] = {
    [FLOE_RUN_QUEUED] = "QUEUED",       [FLOE_RUN_STARTING] = "STARTING", [FLOE_RUN_STARTED] = "STARTED",
    [FLOE_RUN_SUCCESS] = "SUCCESS",     [FLOE_RUN_FAILURE] = "FAILURE",   [FLOE_RUN_CANCELING] = "CANCELING",
    [FLOE_RUN_CANCELED] = "CANCELED",   [FLOE_RUN_AWAITING_APPROVAL] = "AWAITING_APPROVAL",
};
static const char *const step_names[FLOE_STEP_NSTATUS] = {
    [FLOE_STEP_PENDING] = "PENDING", [FLOE_STEP_RUNNING] = "RUNNING",   [FLOE_STEP_SUCCESS] = "SUCCESS",
    [FLOE_STEP_FAILURE] = "FAILURE", [FLOE_STEP_SKIPPED] = "SKIPPED",   [FLOE_STEP_CANCELED] = "CANCELED",
    [FLOE_STEP_RETRYING] = "RETRYING",
};

#define B(s) (1u << FLOE_RUN_##s)
/* The run state machine: for each target status, the statuses a run may enter it from. Every status
 * change in every process goes through floe_store_run_transition, which turns this row into the
 * `WHERE status IN (...)` of one compare-and-swap UPDATE. */
static const unsigned transition_from[FLOE_RUN_NSTATUS] = {
    [FLOE_RUN_QUEUED] = B(AWAITING_APPROVAL),
    [FLOE_RUN_STARTING] = B(QUEUED),
    [FLOE_RUN_STARTED] = B(STARTING),
    [FLOE_RUN_SUCCESS] = B(STARTED),
    [FLOE_RUN_FAILURE] = B(QUEUED) | B(STARTING) | B(STARTED) | B(CANCELING),
    [FLOE_RUN_CANCELING] = B(STARTING) | B(STARTED),
    [FLOE_RUN_CANCELED] = B(QUEUED) | B(AWAITING_APPROVAL) | B(CANCELING),
    [FLOE_RUN_AWAITING_APPROVAL] = 0, /* entered only at creation */
};
#undef B

const char *floe_run_status_name(int s) { return s >= 0 && s < FLOE_RUN_NSTATUS ? run_names[s] : "UNKNOWN"; }
const char *floe_step_status_name(int s) { return s >= 0 && s < FLOE_STEP_NSTATUS ? step_names[s] : "UNKNOWN"; }
int floe_run_status_parse(const char *s) {
  for (int i = 0; i < FLOE_RUN_NSTATUS; i++)
    if (!strcasecmp(s, run_names[i])) return i;
  if (!strcasecmp(s, "failed")) return FLOE_RUN_FAILURE;
  if (!strcasecmp(s, "running")) return FLOE_RUN_STARTED;
  return -1;
}
int floe_step_status_parse(const char *s) {
  for (int i = 0; i < FLOE_STEP_NSTATUS; i++)
    if (!strcasecmp(s, step_names[i])) return i;
  return -1;
}
bool floe_run_status_done(int s) { return s == FLOE_RUN_SUCCESS || s == FLOE_RUN_FAILURE || s == FLOE_RUN_CANCELED; }
bool floe_run_status_live(int s) { return s == FLOE_RUN_STARTING || s == FLOE_RUN_STARTED || s == FLOE_RUN_CANCELING; }
unsigned floe_run_transition_from(int to) { return to >= 0 && to < FLOE_RUN_NSTATUS ? transition_from[to] : 0; }
bool floe_run_transition_allowed(int from, int to) {
  return from >= 0 && from < FLOE_RUN_NSTATUS && (floe_run_transition_from(to) & (1u << from));
}

int floe_store_open(const char *db_path, floe_store **out, floe_err *err) {
  /* Only SQLite today; a "postgres:" URL will select the PostgreSQL backend. */
  return floe_store_sqlite_open(db_path, out, err);
}

void floe_store_close(floe_store *s) {
  if (s) s->ops->close(s);
}
int floe_store_begin(floe_store *s, floe_err *err) { return s->ops->begin(s, err); }
int floe_store_commit(floe_store *s, floe_err *err) { return s->ops->end(s, 0, err); }
int floe_store_end(floe_store *s, int rc, floe_err *err) { return s->ops->end(s, rc, err); }
int floe_store_run_create(floe_store *s, const floe_run_rec *r, floe_err *err) {
  if (r->status != FLOE_RUN_QUEUED && r->status != FLOE_RUN_AWAITING_APPROVAL)
    return floe_err_set(err, FLOE_EINPUT, "a run starts QUEUED or AWAITING_APPROVAL, not %s",
                        floe_run_status_name(r->status));
  return s->ops->run_create(s, r, err);
}
int floe_store_run_transition(floe_store *s, const char *id, int to, const floe_proc_id *worker, const char *error,
                              bool *changed, floe_err *err) {
  bool ch = false;
  if (changed) *changed = false;
  if (!floe_run_transition_from(to))
    return floe_err_set(err, FLOE_EINPUT, "no run may move to %s", floe_run_status_name(to));
  int rc = s->ops->run_transition(s, id, to, floe_run_transition_from(to), worker, error, &ch, err);
  if (changed) *changed = ch;
  return rc;
}
int floe_store_run_heartbeat(floe_store *s, const char *id, floe_err *err) { return s->ops->run_heartbeat(s, id, err); }
int floe_store_run_list_stale(floe_store *s, floe_arena *a, int64_t before_us, floe_run_rec **out, size_t *n,
                              floe_err *err) {
  return s->ops->run_list_stale(s, a, before_us, out, n, err);
}
int floe_store_run_get(floe_store *s, floe_arena *a, const char *id, floe_run_rec *out, floe_err *err) {
  return s->ops->run_get(s, a, id, out, err);
}
int floe_store_run_list(floe_store *s, floe_arena *a, const floe_run_filter *f, floe_run_rec **out, size_t *n,
                        floe_err *err) {
  return s->ops->run_list(s, a, f, out, n, err);
}
int floe_store_step_upsert(floe_store *s, const floe_step_rec *st, floe_err *err) { return s->ops->step_upsert(s, st, err); }
int floe_store_step_list(floe_store *s, floe_arena *a, const char *run_id, floe_step_rec **out, size_t *n, floe_err *err) {
  return s->ops->step_list(s, a, run_id, out, n, err);
}
int floe_store_event_append(floe_store *s, const floe_event_rec *e, floe_err *err) { return s->ops->event_append(s, e, err); }
int floe_store_event_list(floe_store *s, floe_arena *a, const char *run_id, int64_t after, floe_event_rec **out,
                          size_t *n, floe_err *err) {
  return s->ops->event_list(s, a, run_id, after, out, n, err);
}
int floe_store_materialization_put(floe_store *s, const floe_materialization_rec *m, floe_err *err) {
  return s->ops->mat_put(s, m, err);
}
int floe_store_materialization_list(floe_store *s, floe_arena *a, floe_materialization_rec **out, size_t *n,
                                    floe_err *err) {
  return s->ops->mat_list(s, a, out, n, err);
}
int floe_store_asset_last_status(floe_store *s, floe_arena *a, const char ***keys, int **st, size_t *n, floe_err *err) {
  return s->ops->asset_last_status(s, a, keys, st, n, err);
}
void *floe_store_sqlite_handle(floe_store *s) { return s->ops->sqlite_handle ? s->ops->sqlite_handle(s) : NULL; }
int floe_store_catalog_lock(floe_store *s, floe_err *err) { return s->ops->catalog_begin(s, err); }
int floe_store_catalog_get(floe_store *s, floe_arena *a, const char *catalog, const char *ns, const char *name,
                           const char **loc, floe_err *err) {
  return s->ops->catalog_get(s, a, catalog, ns, name, loc, err);
}
int floe_store_catalog_list(floe_store *s, floe_arena *a, const char *catalog, floe_catalog_entry **out, size_t *n,
                            floe_err *err) {
  return s->ops->catalog_list(s, a, catalog, out, n, err);
}
int floe_store_catalog_swap(floe_store *s, const char *catalog, const char *ns, const char *name, const char *old,
                            const char *new_loc, floe_err *err) {
  return s->ops->catalog_swap(s, catalog, ns, name, old, new_loc, err);
}
int floe_store_catalog_drop(floe_store *s, const char *catalog, const char *ns, const char *name, floe_err *err) {
  return s->ops->catalog_drop(s, catalog, ns, name, err);
}

/* ---- the daemon, the queue, wake-ups */
int64_t floe_daemon_lease_us(void) {
  const char *v = getenv("FLOE_DAEMON_LEASE");
  double sec = v ? atof(v) : 20.0;
  return (int64_t)((sec >= 0.5 ? sec : 20.0) * 1e6);
}
bool floe_daemon_rec_alive(const floe_daemon_rec *d, int64_t now_us) {
  return d->heartbeat_us > 0 && d->heartbeat_us >= now_us - floe_daemon_lease_us();
}
int floe_store_daemon_claim(floe_store *s, const floe_daemon_rec *me, int64_t stale_before_us, const char *replace_owner,
                            bool *won, floe_err *err) {
  *won = false;
  return s->ops->daemon_claim(s, me, stale_before_us, replace_owner, won, err);
}
int floe_store_daemon_get(floe_store *s, floe_arena *a, floe_daemon_rec *out, bool *found, floe_err *err) {
  return s->ops->daemon_get(s, a, out, found, err);
}
int floe_store_daemon_renew(floe_store *s, const char *owner, bool *held, floe_err *err) {
  return s->ops->daemon_renew(s, owner, held, err);
}
int floe_store_daemon_release(floe_store *s, const char *owner, floe_err *err) {
  return s->ops->daemon_release(s, owner, err);
}
int floe_store_component_put(floe_store *s, const floe_component_rec *c, bool set_cursor, floe_err *err) {
  return s->ops->component_put(s, c, set_cursor, err);
}
int floe_store_component_list(floe_store *s, floe_arena *a, floe_component_rec **out, size_t *n, floe_err *err) {
  return s->ops->component_list(s, a, out, n, err);
}
int floe_store_run_list_queued(floe_store *s, floe_arena *a, int offset, int limit, floe_run_rec **out, size_t *n,
                               floe_err *err) {
  return s->ops->run_list_queued(s, a, offset, limit, out, n, err);
}
int floe_store_run_list_in(floe_store *s, floe_arena *a, int status, int limit, floe_run_rec **out, size_t *n,
                           floe_err *err) {
  return s->ops->run_list_in(s, a, status, limit, out, n, err);
}
int floe_store_run_list_ended(floe_store *s, floe_arena *a, int status, int64_t after_us, int limit, floe_run_rec **out,
                              size_t *n, floe_err *err) {
  return s->ops->run_list_ended(s, a, status, after_us, limit, out, n, err);
}
int floe_store_run_count_children(floe_store *s, const char *parent_id, int *n, floe_err *err) {
  return s->ops->run_count_children(s, parent_id, n, err);
}
void floe_store_notify(floe_store *s) { s->ops->notify(s); }
int floe_store_listen(floe_store *s, int *fd, floe_err *err) { return s->ops->listen(s, fd, err); }
void floe_store_listen_drain(floe_store *s) { s->ops->listen_drain(s); }
