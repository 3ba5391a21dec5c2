/* store_int.h — the backend interface behind include/floe/store.h. One vtable per backend
 * (sqlite.c today, postgres.c later); store.c dispatches and owns nothing backend-specific. */
#ifndef FLOE_STORE_INT_H
#define FLOE_STORE_INT_H

#include "floe/store.h"

typedef struct floe_store_ops {
  const char *name;
  void (*close)(floe_store *s);
  int (*begin)(floe_store *s, floe_err *err);
  int (*end)(floe_store *s, int rc, floe_err *err); /* commit when rc == 0, else roll back */
  int (*run_create)(floe_store *s, const floe_run_rec *r, floe_err *err);
  /* from_mask: the statuses (1u << status) the run may be in for the change to apply */
  int (*run_transition)(floe_store *s, const char *id, int to, unsigned from_mask, const floe_proc_id *worker,
                        const char *error, bool *changed, floe_err *err);
  int (*run_heartbeat)(floe_store *s, const char *id, floe_err *err);
  int (*run_list_stale)(floe_store *s, floe_arena *a, int64_t before_us, floe_run_rec **out, size_t *n, floe_err *err);
  int (*run_get)(floe_store *s, floe_arena *a, const char *id, floe_run_rec *out, floe_err *err);
  int (*run_list)(floe_store *s, floe_arena *a, const floe_run_filter *f, floe_run_rec **out, size_t *n, floe_err *err);
  int (*step_upsert)(floe_store *s, const floe_step_rec *st, floe_err *err);
  int (*step_list)(floe_store *s, floe_arena *a, const char *run_id, floe_step_rec **out, size_t *n, floe_err *err);
  int (*event_append)(floe_store *s, const floe_event_rec *e, floe_err *err);
  int (*event_list)(floe_store *s, floe_arena *a, const char *run_id, int64_t after, floe_event_rec **out, size_t *n,
                    floe_err *err);
  int (*mat_put)(floe_store *s, const floe_materialization_rec *m, floe_err *err);
  int (*mat_list)(floe_store *s, floe_arena *a, floe_materialization_rec **out, size_t *n, floe_err *err);
  int (*asset_last_status)(floe_store *s, floe_arena *a, const char ***keys, int **st, size_t *n, floe_err *err);
  void *(*sqlite_handle)(floe_store *s);
  int (*catalog_begin)(floe_store *s, floe_err *err);
  int (*catalog_get)(floe_store *s, floe_arena *a, const char *catalog, const char *ns, const char *name,
                     const char **loc, floe_err *err);
  int (*catalog_list)(floe_store *s, floe_arena *a, const char *catalog, floe_catalog_entry **out, size_t *n,
                      floe_err *err);
  int (*catalog_swap)(floe_store *s, const char *catalog, const char *ns, const char *name, const char *old,
                      const char *new_loc, floe_err *err);
  int (*catalog_drop)(floe_store *s, const char *catalog, const char *ns, const char *name, floe_err *err);
  /* the daemon (include/floe/store.h) */
  int (*daemon_claim)(floe_store *s, const floe_daemon_rec *me, int64_t stale_before_us, const char *replace_owner,
                      bool *won, floe_err *err);
  int (*daemon_get)(floe_store *s, floe_arena *a, floe_daemon_rec *out, bool *found, floe_err *err);
  int (*daemon_renew)(floe_store *s, const char *owner, bool *held, floe_err *err);
  int (*daemon_release)(floe_store *s, const char *owner, floe_err *err);
  int (*component_put)(floe_store *s, const floe_component_rec *c, bool set_cursor, floe_err *err);
  int (*component_list)(floe_store *s, floe_arena *a, floe_component_rec **out, size_t *n, floe_err *err);
  int (*run_list_queued)(floe_store *s, floe_arena *a, int offset, int limit, floe_run_rec **out, size_t *n,
                         floe_err *err);
  int (*run_list_in)(floe_store *s, floe_arena *a, int status, int limit, floe_run_rec **out, size_t *n, floe_err *err);
  int (*run_list_ended)(floe_store *s, floe_arena *a, int status, int64_t after_us, int limit, floe_run_rec **out,
                        size_t *n, floe_err *err);
  int (*run_count_children)(floe_store *s, const char *parent_id, int *n, floe_err *err);
  void (*notify)(floe_store *s);
  int (*listen)(floe_store *s, int *fd, floe_err *err);
  void (*listen_drain)(floe_store *s);
} floe_store_ops;

struct floe_store {
  const floe_store_ops *ops;
};

int floe_store_sqlite_open(const char *path, floe_store **out, floe_err *err);

#endif
