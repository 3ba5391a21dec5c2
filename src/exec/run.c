/* run.c — run lifecycle outside the worker: create, start the worker process, wait for it, cancel,
 * re-execute, and recover runs whose worker died (kill -9, OOM, machine restart). */
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "floe/exec.h"
#include "exec_int.h"

extern char **environ;

int64_t floe_run_lease_us(void) {
  const char *v = getenv("FLOE_RUN_LEASE");
  double sec = v ? atof(v) : 30.0;
  return (int64_t)((sec >= 0.2 ? sec : 30.0) * 1e6);
}

int64_t floe_run_heartbeat_us(void) {
  int64_t h = floe_run_lease_us() / 4;
  return h < 2000000 ? h : 2000000;
}

double floe_cancel_grace(void) {
  const char *g = getenv("FLOE_CANCEL_GRACE");
  double v = g ? atof(g) : 5.0;
  return v >= 0 ? v : 5.0;
}

const char *floe_step_file(floe_arena *a, const floe_project *p, const char *run_id, const char *asset_key,
                           const char *ext) {
  char safe[1024];
  size_t j = 0;
  for (const char *c = asset_key; *c && j < sizeof safe - 3; c++) {
    if (*c == '/') {
      safe[j++] = '_';
      safe[j++] = '_';
    } else safe[j++] = *c;
  }
  safe[j] = 0;
  return floe_arena_printf(a, "%s/logs/%s/%s.%s", p->home, run_id, safe, ext);
}

int floe_run_create(floe_store *s, const floe_project *p, const floe_launch *l, char run_id[33], floe_err *err) {
  floe_run_rec r = {0};
  floe_random_id(r.id);
  r.job = l->job;
  r.selection = l->selection;
  r.tags_json = l->tags_json;
  r.config_yaml = l->config_yaml;
  r.parent_run_id = l->parent_run_id;
  r.root_run_id = l->root_run_id;
  r.status = FLOE_RUN_QUEUED;
  r.created_us = floe_now_us();
  size_t nsel = 0;
  for (size_t i = 0; i < p->nassets; i++) nsel += l->mask[i];
  if (nsel == 0) return floe_err_set(err, FLOE_EINPUT, "selection '%s' matches no assets", l->selection ? l->selection : "");
  int rc = floe_store_begin(s, err);
  if (rc) return rc;
  rc = floe_store_run_create(s, &r, err);
  for (size_t i = 0; !rc && i < p->nassets; i++) {
    const floe_asset *a = p->assets[p->topo[i]];
    if (!l->mask[a->index]) continue;
    floe_step_rec st = {.run_id = r.id, .asset_key = a->key, .status = FLOE_STEP_PENDING};
    rc = floe_store_step_upsert(s, &st, err);
  }
  if (!rc) {
    floe_event_rec e = {.run_id = r.id, .type = "RUN_ENQUEUED", .level = "info"};
    char msg[128];
    snprintf(msg, sizeof msg, "run created with %zu step(s)", nsel);
    e.message = msg;
    rc = floe_store_event_append(s, &e, err);
  }
  rc = floe_store_end(s, rc, err); /* all of it or nothing: never a run with half its steps */
  if (!rc) memcpy(run_id, r.id, 33);
  return rc;
}

int floe_run_spawn_worker(const floe_project *p, const char *run_id, bool detach, pid_t *pid, floe_err *err) {
  char *argv[] = {(char *)floe_self_exe(), "-p", (char *)p->dir, "__run-worker", (char *)run_id, NULL};
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_init(&fa);
  /* We wait for the worker: an ignored SIGCHLD (inherited from a supervisor or shell) would let the kernel
   * reap it before waitpid sees its status. The worker starts with nothing blocked and the signals it
   * relies on at their defaults (it resets them itself too, for workers started by other means). */
  struct sigaction cur;
  if (sigaction(SIGCHLD, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN) signal(SIGCHLD, SIG_DFL);
  sigset_t none, dfl;
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGCHLD);
  sigaddset(&dfl, SIGTERM);
  sigaddset(&dfl, SIGUSR1);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &dfl);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  char logpath[4096];
  if (detach) {
    flags |= POSIX_SPAWN_SETSID;
    snprintf(logpath, sizeof logpath, "%s/logs/%s", p->home, run_id);
    floe_err e2 = {0};
    if (floe_mkdirs(logpath, 0700, &e2) == 0) {
      snprintf(logpath, sizeof logpath, "%s/logs/%s/worker.log", p->home, run_id);
      posix_spawn_file_actions_addopen(&fa, 1, logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
      posix_spawn_file_actions_adddup2(&fa, 1, 2);
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawnattr_setflags(&attr, flags);
  int rc = posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc) return floe_err_set(err, FLOE_ESPAWN, "cannot start run worker %s: %s", argv[0], strerror(rc));
  return 0;
}

/* Ends the steps of a run that will not run them: running/retrying ones as `running_to`, pending ones as
 * `pending_to`, each with its reason. Part of the caller's transaction. */
int floe_run_close_steps(floe_store *s, const char *run_id, const floe_step_rec *steps, size_t n, int running_to,
                         const char *running_why, int pending_to, const char *pending_why, floe_err *err) {
  int rc = 0;
  for (size_t i = 0; !rc && i < n; i++) {
    floe_step_rec st = steps[i];
    if (st.status == FLOE_STEP_RUNNING || st.status == FLOE_STEP_RETRYING) {
      st.status = running_to;
      st.error = running_why;
    } else if (st.status == FLOE_STEP_PENDING) {
      st.status = pending_to;
      st.error = pending_why;
    } else continue;
    st.end_us = floe_now_us();
    st.proc = (floe_proc_id){0};
    rc = floe_store_step_upsert(s, &st, err);
    if (!rc) {
      floe_event_rec e = {.run_id = run_id, .asset_key = st.asset_key, .level = "warning", .message = st.error,
                          .type = st.status == FLOE_STEP_SKIPPED    ? "STEP_SKIPPED"
                                  : st.status == FLOE_STEP_CANCELED ? "STEP_CANCELED"
                                                                    : "STEP_FAILURE"};
      rc = floe_store_event_append(s, &e, err);
    }
  }
  return rc;
}

/* Marks a run whose worker is gone as failed (one transaction: the run, its open steps, the event), then
 * ends the step process groups it left, if they are still the ones it started. Idempotent: a run that
 * already ended is left alone. */
int floe_run_fail_orphaned(floe_store *s, const char *run_id, const char *why, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_step_rec *steps = NULL;
  size_t n = 0;
  bool changed = false;
  int rc = floe_store_begin(s, err);
  if (rc) goto out;
  rc = floe_store_run_transition(s, run_id, FLOE_RUN_FAILURE, NULL, why, &changed, err);
  if (!rc && changed) rc = floe_store_step_list(s, &a, run_id, &steps, &n, err);
  if (!rc && changed)
    rc = floe_run_close_steps(s, run_id, steps, n, FLOE_STEP_FAILURE, why, FLOE_STEP_SKIPPED,
                              "not started: the run worker is gone", err);
  if (!rc && changed) {
    floe_event_rec e = {.run_id = run_id, .type = "RUN_FAILURE", .level = "error", .message = why};
    rc = floe_store_event_append(s, &e, err);
  }
  rc = floe_store_end(s, rc, err);
  for (size_t i = 0; !rc && i < n; i++)
    if (steps[i].status == FLOE_STEP_RUNNING) (void)floe_proc_signal_group(&steps[i].proc, SIGKILL);
out:
  floe_arena_free(&a);
  return rc;
}

int floe_run_wait(floe_store *s, const char *run_id, pid_t worker, int *status, floe_err *err) {
  return floe_run_wait_progress(s, run_id, worker, NULL, NULL, status, err);
}

/* Hands fn the run's events recorded after *last, moving *last past them. */
static void forward_events(floe_store *s, const char *run_id, floe_run_progress_fn fn, void *ud, int64_t *last) {
  floe_arena ea;
  floe_arena_init(&ea, 0);
  floe_event_rec *ev;
  size_t n = 0;
  if (floe_store_event_list(s, &ea, run_id, *last, &ev, &n, NULL) == 0)
    for (size_t i = 0; i < n; i++) {
      fn(ud, &ev[i]);
      *last = ev[i].id;
    }
  floe_arena_free(&ea);
}

int floe_run_wait_progress(floe_store *s, const char *run_id, pid_t worker, floe_run_progress_fn fn, void *ud,
                           int *status, floe_err *err) {
  int ws = 0;
  int64_t last_event = 0;
  for (;;) {
    pid_t r = waitpid(worker, &ws, fn ? WNOHANG : 0);
    if (r == worker) break;
    if (r < 0 && errno != EINTR) return floe_err_set(err, FLOE_EIO, "waitpid: %s", strerror(errno));
    if (r == 0 && fn) {
      forward_events(s, run_id, fn, ud, &last_event);
      floe_sleep_ms(100);
    }
  }
  if (fn) forward_events(s, run_id, fn, ud, &last_event); /* the events of the last moments */
  floe_arena a;
  floe_arena_init(&a, 4096);
  floe_run_rec r;
  int rc = floe_store_run_get(s, &a, run_id, &r, err);
  if (!rc && !floe_run_status_done(r.status)) {
    char why[256];
    if (WIFSIGNALED(ws))
      snprintf(why, sizeof why, "run worker (pid %d) was killed by signal %d before the run finished", (int)worker,
               WTERMSIG(ws));
    else
      snprintf(why, sizeof why, "run worker (pid %d) exited with code %d before the run finished", (int)worker,
               WEXITSTATUS(ws));
    rc = floe_run_fail_orphaned(s, run_id, why, err);
    r.status = FLOE_RUN_FAILURE;
  }
  if (!rc) *status = r.status;
  floe_arena_free(&a);
  return rc;
}

int floe_run_reap_dead(floe_store *s, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_run_rec *runs;
  size_t n = 0;
  int64_t now = floe_now_us();
  int rc = floe_store_run_list_stale(s, &a, now - floe_run_lease_us(), &runs, &n, err);
  for (size_t i = 0; i < n && !rc; i++) {
    char why[320];
    int64_t last = runs[i].heartbeat_us ? runs[i].heartbeat_us : runs[i].created_us;
    snprintf(why, sizeof why, "run worker (pid %d on %s) stopped renewing its lease %.1fs ago: the run was interrupted",
             runs[i].worker.pid, runs[i].worker.host ? runs[i].worker.host : "?", (double)(now - last) / 1e6);
    rc = floe_run_fail_orphaned(s, runs[i].id, why, err);
  }
  floe_arena_free(&a);
  return rc;
}

/* Cancels a run no worker holds (QUEUED, AWAITING_APPROVAL): the run and its steps end at once. */
static int cancel_unstarted(floe_store *s, const char *run_id, bool *changed, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_step_rec *steps = NULL;
  size_t n = 0;
  int rc = floe_store_begin(s, err);
  if (rc) goto out;
  rc = floe_store_run_transition(s, run_id, FLOE_RUN_CANCELED, NULL, "cancelled before it started", changed, err);
  if (!rc && *changed) rc = floe_store_step_list(s, &a, run_id, &steps, &n, err);
  if (!rc && *changed)
    rc = floe_run_close_steps(s, run_id, steps, n, FLOE_STEP_CANCELED, "cancelled", FLOE_STEP_CANCELED,
                              "not started: run cancelled", err);
  if (!rc && *changed) {
    floe_event_rec e = {.run_id = run_id, .type = "RUN_CANCELED", .level = "warning", .message = "cancelled before it started"};
    rc = floe_store_event_append(s, &e, err);
  }
  rc = floe_store_end(s, rc, err);
out:
  floe_arena_free(&a);
  return rc;
}

int floe_run_cancel(floe_store *s, const char *run_id, int wait_s, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 4096);
  floe_run_rec r;
  int rc = floe_store_run_get(s, &a, run_id, &r, err);
  if (rc) goto out;
  bool changed = false;
  if ((rc = cancel_unstarted(s, r.id, &changed, err)) || changed) goto out;
  if ((rc = floe_store_run_transition(s, r.id, FLOE_RUN_CANCELING, NULL, NULL, &changed, err))) goto out;
  if (changed) {
    floe_event_rec e = {.run_id = r.id, .type = "RUN_CANCELING", .level = "warning", .message = "cancellation requested"};
    if ((rc = floe_store_event_append(s, &e, err))) goto out;
  } else {
    floe_run_rec cur;
    if ((rc = floe_store_run_get(s, &a, r.id, &cur, err))) goto out;
    if (floe_run_status_done(cur.status)) {
      rc = floe_err_set(err, FLOE_EINPUT, "run %s already ended (%s)", r.id, floe_run_status_name(cur.status));
      goto out;
    }
    r = cur; /* already CANCELING: wait for it like the first caller */
  }
  /* the worker polls the store for CANCELING too; the signal only saves it that second (and is sent only
   * when the recorded worker is still that very process on this boot) */
  if (r.worker.pid <= 0 && floe_store_run_get(s, &a, r.id, &r, NULL) != 0) r.worker.pid = 0;
  if (floe_proc_is(&r.worker)) kill(r.worker.pid, SIGUSR1);
  int64_t deadline = floe_mono_us() + (int64_t)wait_s * 1000000;
  floe_arena it;
  floe_arena_init(&it, 4096);
  while (!rc) {
    floe_run_rec cur;
    floe_arena_free(&it);
    if ((rc = floe_store_run_get(s, &it, r.id, &cur, err)) || floe_run_status_done(cur.status)) break;
    /* a worker that stopped renewing its lease is dead or hung: wait until the lease runs out and the reaper
     * ends the run, rather than give up just before */
    int64_t now = floe_now_us(), hb = cur.heartbeat_us ? cur.heartbeat_us : cur.created_us;
    bool stale = now - hb > 2 * floe_run_heartbeat_us() + 1000000;
    if (floe_mono_us() >= deadline && !(stale && now < hb + floe_run_lease_us() + 2000000)) {
      rc = floe_err_set(err, FLOE_ETIMEOUT, "run %s is still cancelling after %d s", r.id, wait_s);
      break;
    }
    rc = floe_run_reap_dead(s, err); /* a worker that died meanwhile loses its lease */
    floe_sleep_ms(50);
  }
  floe_arena_free(&it);
out:
  floe_arena_free(&a);
  return rc;
}

/* The tags of a re-execution: the old run's, with dagster/parent_run_id and dagster/root_run_id (as Dagster
 * links them) and retry_number when > 0 (dagster/retry_number). Arena string, NULL when out of memory. */
static const char *reexec_tags(floe_arena *a, const floe_run_rec *r, int retry_number) {
  json_t *t = r->tags_json ? json_loads(r->tags_json, 0, NULL) : NULL;
  if (!json_is_object(t)) {
    json_decref(t);
    t = json_object();
  }
  char num[16];
  snprintf(num, sizeof num, "%d", retry_number);
  json_object_set_new(t, "dagster/parent_run_id", json_string(r->id));
  json_object_set_new(t, "dagster/root_run_id", json_string(r->root_run_id ? r->root_run_id : r->id));
  if (retry_number > 0) json_object_set_new(t, "dagster/retry_number", json_string(num));
  char *text = json_dumps(t, JSON_COMPACT);
  const char *out = text ? floe_arena_strdup(a, text) : NULL;
  free(text);
  json_decref(t);
  return out;
}

int floe_run_reexecute(floe_store *s, const floe_project *p, const char *run_id, bool from_failure, char new_id[33],
                       floe_err *err) {
  return floe_run_retry(s, p, run_id, from_failure, 0, new_id, err);
}

int floe_run_retry(floe_store *s, const floe_project *p, const char *run_id, bool from_failure, int retry_number,
                   char new_id[33], floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_run_rec r;
  floe_step_rec *steps = NULL;
  size_t n = 0;
  bool *mask = NULL;
  int rc = floe_store_run_get(s, &a, run_id, &r, err);
  if (rc) goto out;
  if (!floe_run_status_done(r.status)) {
    rc = floe_err_set(err, FLOE_EINPUT, "run %s is %s; re-execute it after it ends", r.id, floe_run_status_name(r.status));
    goto out;
  }
  if ((rc = floe_store_step_list(s, &a, r.id, &steps, &n, err))) goto out;
  mask = floe_calloc(p->nassets ? p->nassets : 1, sizeof *mask);
  if (!mask) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  size_t nsel = 0;
  floe_buf sel;
  floe_buf_init(&sel, 0);
  for (size_t i = 0; i < n; i++) {
    if (from_failure && steps[i].status == FLOE_STEP_SUCCESS) continue;
    floe_asset *as = floe_project_asset(p, steps[i].asset_key);
    if (!as) {
      floe_buf_free(&sel);
      rc = floe_err_set(err, FLOE_EINPUT, "asset '%s' of run %s is no longer defined in the project", steps[i].asset_key,
                        r.id);
      goto out;
    }
    mask[as->index] = true;
    if (nsel++) floe_buf_putc(&sel, ',');
    floe_buf_puts(&sel, as->key);
  }
  if (!nsel) {
    floe_buf_free(&sel);
    rc = floe_err_set(err, FLOE_EINPUT, "run %s has no failed or skipped steps to re-execute", r.id);
    goto out;
  }
  if (r.config_yaml && strstr(r.config_yaml, "********")) {
    /* The run config held secret values, stored redacted: replaying it would hand the steps the mask. */
    floe_buf_free(&sel);
    rc = floe_err_set(err, FLOE_EINPUT,
                      "run %s was launched with run config holding secret values, which are stored redacted "
                      "(********); launch the job again with its config file (floe job launch %s -c FILE)",
                      r.id, r.job ? r.job : "JOB");
    goto out;
  }
  floe_launch l = {.job = r.job,
                   .selection = floe_buf_str(&sel),
                   .mask = mask,
                   .config_yaml = r.config_yaml,
                   .tags_json = reexec_tags(&a, &r, retry_number),
                   .parent_run_id = r.id,
                   .root_run_id = r.root_run_id ? r.root_run_id : r.id};
  rc = l.tags_json ? floe_run_create(s, p, &l, new_id, err) : floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_buf_free(&sel);
out:
  floe_free(mask);
  floe_arena_free(&a);
  return rc;
}

/* ---- for the daemon's run queue and run monitor */

int floe_proc_self_id(floe_arena *a, floe_proc_id *out) { return floe_proc_self(a, (int)getpid(), true, out); }

bool floe_proc_gone(const floe_proc_id *id) {
  const char *boot = floe_proc_boot_id();
  char host[256];
  if (id->pid <= 0 || !id->boot_id || !id->host || !boot || strcmp(boot, id->boot_id)) return false;
  if (gethostname(host, sizeof host) != 0 || strncmp(host, id->host, sizeof host)) return false;
  return floe_proc_start_ticks(id->pid) != id->start_ticks; /* no such process, or a stranger now */
}

bool floe_run_worker_gone(const floe_run_rec *r) { return floe_proc_gone(&r->worker); }

int floe_run_claim_for(floe_store *s, const char *run_id, pid_t worker, bool *claimed, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 1024);
  floe_proc_id id;
  int rc = floe_proc_self(&a, (int)worker, true, &id) ? floe_err_set(err, FLOE_ENOMEM, "out of memory") : 0;
  if (!rc) rc = floe_store_run_transition(s, run_id, FLOE_RUN_STARTING, &id, NULL, claimed, err);
  floe_arena_free(&a);
  return rc;
}

int floe_run_cancel_because(floe_store *s, const char *run_id, const char *why, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 1024);
  bool changed = false;
  int rc = floe_store_begin(s, err);
  if (!rc) rc = floe_store_run_transition(s, run_id, FLOE_RUN_CANCELING, NULL, why, &changed, err);
  if (!rc && changed) {
    floe_event_rec e = {.run_id = run_id, .type = "RUN_CANCELING", .level = "warning", .message = why};
    rc = floe_store_event_append(s, &e, err);
  }
  rc = floe_store_end(s, rc, err);
  floe_run_rec r;
  if (!rc && changed && floe_store_run_get(s, &a, run_id, &r, NULL) == 0 && floe_proc_is(&r.worker))
    kill(r.worker.pid, SIGUSR1); /* the worker polls the store too: the signal only saves it a second */
  floe_arena_free(&a);
  return rc;
}
