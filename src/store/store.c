/* store.c — the instance-storage interface: picks a backend and forwards calls to it. */
#include <strings.h>
#include "store_int.h"

static const char *const run_names[] = {"QUEUED", "STARTING", "STARTED", "SUCCESS", "FAILURE", "CANCELING", "CANCELED"};
static const char *const step_names[] = {"PENDING", "RUNNING", "SUCCESS", "FAILURE", "SKIPPED", "CANCELED", "RETRYING"};

const char *floe_run_status_name(int s) { return s >= 0 && s < 7 ? run_names[s] : "UNKNOWN"; }
const char *floe_step_status_name(int s) { return s >= 0 && s < 7 ? step_names[s] : "UNKNOWN"; }
int floe_run_status_parse(const char *s) {
  for (int i = 0; i < 7; i++)
    if (!strcasecmp(s, run_names[i])) return i;
  if (!strcasecmp(s, "failed")) return FLOE_RUN_FAILURE;
  if (!strcasecmp(s, "running")) return FLOE_RUN_STARTED;
  return -1;
}
bool floe_run_status_done(int s) { return s == FLOE_RUN_SUCCESS || s == FLOE_RUN_FAILURE || s == FLOE_RUN_CANCELED; }

int floe_store_open(const char *db_path, floe_store **out, floe_err *err) {
  /* Only SQLite today; a "postgres:" URL will select the PostgreSQL backend. */
  return floe_store_sqlite_open(db_path, out, err);
}

void floe_store_close(floe_store *s) {
  if (s) s->ops->close(s);
}
int floe_store_begin(floe_store *s, floe_err *err) { return s->ops->begin(s, err); }
int floe_store_commit(floe_store *s, floe_err *err) { return s->ops->commit(s, err); }
int floe_store_run_create(floe_store *s, const floe_run_rec *r, floe_err *err) { return s->ops->run_create(s, r, err); }
int floe_store_run_set_status(floe_store *s, const char *id, int st, const char *e, floe_err *err) {
  return s->ops->run_set_status(s, id, st, e, err);
}
int floe_store_run_cas_status(floe_store *s, const char *id, int from, int to, bool *changed, floe_err *err) {
  return s->ops->run_cas_status(s, id, from, to, changed, err);
}
int floe_store_run_set_worker(floe_store *s, const char *id, int pid, floe_err *err) {
  return s->ops->run_set_worker(s, id, pid, err);
}
int floe_store_run_heartbeat(floe_store *s, const char *id, floe_err *err) { return s->ops->run_heartbeat(s, id, err); }
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
