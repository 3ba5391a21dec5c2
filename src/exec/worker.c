/* worker.c — the run worker: the multiprocess executor of one run.
 *
 * Steps run as child processes, each in its own process group (so cancel and timeouts reach everything
 * a step started), with stdout/stderr going to per-step log files. When a step uses secrets its output
 * passes through a pipe and is redacted before it reaches the file. The loop waits on a signalfd
 * (SIGCHLD, cancel signals) and the pipes; instance-storage writes of one loop iteration share one
 * transaction, so a 1,000-step DAG costs about one commit per wake-up rather than several per step. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "exec_int.h"
#include "floe/resources.h"

extern char **environ;

typedef struct step {
  const floe_asset *a;
  int status;
  int attempt;
  pid_t pid;          /* process group leader of the running attempt */
  floe_proc_id proc;  /* its identity as recorded in the store */
  int64_t start_us, deadline_mono, retry_at_mono, kill_at_mono;
  int64_t events_off; /* how much of the events file is already recorded */
  int apos;           /* index in worker.active, -1 when not running or waiting to retry */
  int nwait;          /* selected upstreams that have not succeeded yet */
  bool timed_out, term_sent, canceled;
  int pipe_fd[2];     /* read ends of stdout/stderr pipes when redacting, else -1 */
  int log_fd[2];      /* log files the pipes drain into */
  floe_buf pend[2];   /* partial line waiting for redaction */
  const char *log_out, *log_err, *events;
  floe_secrets *sec;  /* per-step resolver (values this step received) */
} step;

typedef struct worker {
  const floe_project *p;
  floe_store *s;
  floe_arena a;
  const char *run_id;
  floe_run_rec run;
  step *steps;
  size_t nsteps;
  int *index_of;      /* asset index -> step index or -1 */
  int *ready;         /* queue of step indexes */
  int *active;        /* steps running or waiting to retry: the only ones the loop needs to look at */
  size_t nactive;
  size_t nready, ready_head;
  int running, retrying, max_conc;
  bool canceling;
  int64_t cancel_kill_at;
  int sfd;
  char **base_env, **full_env;
  size_t nbase_env, nfull_env;
  const char *config_path;
  floe_map exe_cache; /* argv0 -> resolved path */
  const char *private_dir; /* 0700 temp dir for the run config, removed at the end */
  int devnull;
  floe_secrets *run_sec;  /* every value resolved in this run, for redacting errors */
  floe_proc_id self;      /* our identity, recorded by the claim */
  bool claimed;           /* we moved the run out of QUEUED and nobody has ended it since */
  int64_t next_heartbeat, next_status_check; /* monotonic */
  struct pollfd *pfds;
  step **pstep;           /* step of each polled pipe */
  floe_err *err;
} worker;

/* After the run was ended by someone else (reaped), the worker records nothing more about it. */
static int event(worker *w, const char *asset, const char *type, const char *level, const char *msg) {
  if (!w->claimed) return 0;
  floe_event_rec e = {.run_id = w->run_id, .asset_key = asset, .type = type, .level = level, .message = msg};
  return floe_store_event_append(w->s, &e, w->err);
}

static int save_step(worker *w, step *st, const char *error) {
  if (!w->claimed) return 0;
  floe_step_rec r = {.run_id = w->run_id,
                     .asset_key = st->a->key,
                     .status = st->status,
                     .attempt = st->attempt,
                     .proc = st->status == FLOE_STEP_RUNNING ? st->proc : (floe_proc_id){0},
                     .start_us = st->start_us,
                     .end_us = (st->status == FLOE_STEP_RUNNING || st->status == FLOE_STEP_RETRYING) ? 0 : floe_now_us(),
                     .error = error,
                     .log_out = st->log_out,
                     .log_err = st->log_err};
  return floe_store_step_upsert(w->s, &r, w->err);
}

/* Builds the environments steps start from. Command steps get ours without secret-bearing variables (a
 * step gets secrets only through the env its definition asks for); built-in steps (floe itself, e.g.
 * ingest) resolve their sources' secrets in-process, so they keep them. */
static int build_base_env(worker *w) {
  size_t n = 0;
  while (environ[n]) n++;
  w->full_env = floe_arena_alloc(&w->a, sizeof(char *) * (n + 1));
  if (!w->full_env) return floe_err_set(w->err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *e = environ[i];
    if (floe_str_starts(e, "FLOE__") || floe_str_starts(e, "FLOE_RUN_ID=") || floe_str_starts(e, "FLOE_ASSET=") ||
        floe_str_starts(e, "FLOE_EVENTS=") || floe_str_starts(e, "FLOE_OUTPUT="))
      continue;
    w->full_env[w->nfull_env++] = (char *)e;
  }
  static const char *const protocol[] = {"FLOE_RUN_ID=", "FLOE_ASSET=", "FLOE_EVENTS=", "FLOE_OUTPUT=", NULL};
  return floe_secrets_child_env(w->p->secrets_prefix, protocol, NULL, 0, &w->a, &w->base_env, &w->nbase_env, w->err);
}

/* Resolves the step's env (literals, secret references, resource fields). On failure the step fails
 * with the resolver's message; nothing is started. */
static int step_env(worker *w, step *st, floe_arena *a, char ***envp_out, floe_err *serr) {
  const floe_asset *as = st->a;
  size_t extra = 12 + as->nenv;
  for (size_t i = 0; i < as->nresources; i++) {
    const floe_resource *r = floe_project_resource(w->p, as->resources[i]);
    extra += 16 + (r ? r->nfields : 0);
  }
  bool builtin = as->kind != FLOE_ASSET_COMMAND;
  char **base = builtin ? w->full_env : w->base_env;
  size_t nbase = builtin ? w->nfull_env : w->nbase_env;
  char **envp = floe_arena_alloc(a, sizeof(char *) * (nbase + extra + 1));
  if (!envp) return floe_err_set(serr, FLOE_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < nbase; i++) envp[k++] = base[i];
  envp[k++] = floe_arena_printf(a, "FLOE_RUN_ID=%s", w->run_id);
  envp[k++] = floe_arena_printf(a, "FLOE_ASSET=%s", as->key);
  envp[k++] = floe_arena_printf(a, "FLOE_EVENTS=%s", st->events);
  envp[k++] = floe_arena_printf(a, "FLOE_OUTPUT=%s", floe_step_file(a, w->p, w->run_id, as->key, "output"));
  envp[k++] = floe_arena_printf(a, "FLOE_PROJECT_DIR=%s", w->p->dir);
  envp[k++] = floe_arena_printf(a, "FLOE_HOME=%s", w->p->home);
  envp[k++] = floe_arena_printf(a, "FLOE_ATTEMPT=%d", st->attempt);
  if (w->config_path) envp[k++] = floe_arena_printf(a, "FLOE_RUN_CONFIG=%s", w->config_path);
  if (as->nenv || as->nresources) {
    if (!st->sec) {
      int rc = floe_secrets_open(w->p, &st->sec, serr);
      if (rc) return rc;
    }
  }
  for (size_t i = 0; i < as->nenv; i++) {
    const char *v;
    int rc = floe_value_resolve(st->sec, &as->env[i].value, &v, serr);
    if (rc) {
      floe_err_prefix(serr, "env %s: ", as->env[i].name);
      return rc;
    }
    envp[k++] = floe_arena_printf(a, "%s=%s", as->env[i].name, v);
  }
  if (as->nresources) {
    floe_vec renv = {0};
    int rc = floe_resource_env(st->sec, w->p, as, &renv, serr);
    for (size_t i = 0; i < renv.len; i++) {
      if (!rc && k < nbase + extra) envp[k++] = floe_arena_strdup(a, renv.items[i]);
      floe_free(renv.items[i]);
    }
    floe_vec_free(&renv);
    if (rc) return rc;
  }
  envp[k] = NULL;
  for (size_t i = 0; i < k; i++)
    if (!envp[i]) return floe_err_set(serr, FLOE_ENOMEM, "out of memory");
  *envp_out = envp;
  return 0;
}

static void push_ready(worker *w, int i) { w->ready[w->nready++] = i; }

static void active_add(worker *w, step *st) {
  if (st->apos >= 0) return;
  st->apos = (int)w->nactive;
  w->active[w->nactive++] = (int)(st - w->steps);
}

static void active_del(worker *w, step *st) {
  if (st->apos < 0) return;
  int last = w->active[--w->nactive];
  w->active[st->apos] = last;
  w->steps[last].apos = st->apos;
  st->apos = -1;
}

static void finish_step(worker *w, step *st, int status, const char *error);

/* Finds argv0 on PATH once per distinct command (a failed execve per PATH entry per step adds up). */
static const char *resolve_exe(worker *w, const char *argv0) {
  if (strchr(argv0, '/')) return argv0;
  const char *hit = floe_map_get(&w->exe_cache, argv0);
  if (hit) return hit;
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  const char *found = argv0; /* not found: execvp reports the error */
  for (const char *p = path; *p;) {
    const char *colon = strchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    if (n && p[0] == '/') {
      char *cand = floe_arena_printf(&w->a, "%.*s/%s", (int)n, p, argv0);
      if (cand && access(cand, X_OK) == 0) {
        found = cand;
        break;
      }
    }
    p += n + (colon ? 1 : 0);
    if (!colon) break;
  }
  const char *key = floe_arena_strdup(&w->a, argv0);
  if (key && floe_map_put(&w->exe_cache, key, (void *)found)) { /* uncached: resolved again next time */
  }
  return found;
}

/* Starts the step's process: its own process group, stdin /dev/null, stdout/stderr into pipes that the
 * worker drains into the step's log files (created on first output, redacted when the step has secrets).
 * Whatever the worker inherited (a launcher that ignored SIGCHLD or blocked SIGTERM), the step starts with
 * every signal at its default disposition and none blocked: cancel and timeouts must reach it.
 * Returns 0, or an errno (from fork, chdir or exec) with nothing started. */
static int spawn_step(worker *w, step *st, const char *exe, const char *const *argv, char **envp, const char *cwd) {
  int outp[2], errp[2];
  if (pipe2(outp, O_CLOEXEC)) return errno;
  if (pipe2(errp, O_CLOEXEC)) {
    int e = errno;
    close(outp[0]), close(outp[1]);
    return e;
  }
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_init(&fa);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  posix_spawn_file_actions_adddup2(&fa, w->devnull, 0);
  posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
  posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
  if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
  pid_t pid = 0;
  int e = posix_spawn(&pid, exe, &fa, &attr, (char *const *)argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(outp[1]);
  close(errp[1]);
  if (e) {
    close(outp[0]);
    close(errp[0]);
    return e;
  }
  st->pid = pid;
  /* our unreaped child: its pid cannot be reused yet, so this is the identity of the step we started */
  if (floe_proc_self(&w->a, pid, false, &st->proc)) st->proc = (floe_proc_id){.pid = pid};
  st->pipe_fd[0] = outp[0];
  st->pipe_fd[1] = errp[0];
  fcntl(outp[0], F_SETFL, O_NONBLOCK);
  fcntl(errp[0], F_SETFL, O_NONBLOCK);
  return 0;
}

static int launch(worker *w, step *st) {
  floe_arena a;
  floe_arena_init(&a, 8192);
  floe_err serr = {0};
  char **envp = NULL;
  int rc = 0;
  st->pipe_fd[0] = st->pipe_fd[1] = st->log_fd[0] = st->log_fd[1] = -1;
  st->timed_out = st->term_sent = false;
  st->kill_at_mono = 0;
  st->events_off = 0;
  if (st->attempt > 0) unlink(st->events);
  int serr_rc = step_env(w, st, &a, &envp, &serr);
  if (st->sec && floe_secrets_add_all(w->run_sec, st->sec)) serr_rc = floe_err_set(&serr, FLOE_ENOMEM, "out of memory");
  if (serr_rc) {
    st->start_us = floe_now_us();
    finish_step(w, st, FLOE_STEP_FAILURE, serr.msg);
    goto out;
  }
  const char *argv_int[7];
  const char *const *argv;
  if (st->a->kind == FLOE_ASSET_COMMAND) {
    argv = st->a->command;
  } else {
    argv_int[0] = floe_self_exe();
    argv_int[1] = "-p";
    argv_int[2] = w->p->dir;
    argv_int[3] = "__step";
    argv_int[4] = w->run_id;
    argv_int[5] = st->a->key;
    argv_int[6] = NULL;
    argv = argv_int;
  }
  const char *cwd = st->a->cwd ? floe_path_join(&a, w->p->dir, st->a->cwd) : w->p->dir;
  const char *exe = resolve_exe(w, argv[0]);
  st->start_us = floe_now_us();
  int e = spawn_step(w, st, exe, argv, envp, cwd);
  if (e) {
    const char *msg = floe_arena_printf(&a, "cannot run '%s' (cwd %s): %s", argv[0], cwd, strerror(e));
    finish_step(w, st, FLOE_STEP_FAILURE, msg);
    goto out;
  }
  w->running++;
  st->status = FLOE_STEP_RUNNING;
  active_add(w, st);
  st->deadline_mono = st->a->timeout > 0 ? floe_mono_us() + (int64_t)(st->a->timeout * 1e6) : 0;
  if (st->attempt == 0) rc = event(w, st->a->key, "STEP_START", "info", "step started");
  else {
    char msg[64];
    snprintf(msg, sizeof msg, "step started (attempt %d)", st->attempt + 1);
    rc = event(w, st->a->key, "STEP_START", "info", msg);
  }
  if (!rc) rc = save_step(w, st, NULL);
out:
  floe_arena_free(&a);
  return rc;
}


/* Skips everything downstream of a failed step (within this run), recording why. */
static void skip_downstream(worker *w, step *failed) {
  int *stack = floe_malloc(sizeof(int) * (w->nsteps + 1));
  if (!stack) return;
  size_t sp = 0;
  stack[sp++] = (int)(failed - w->steps);
  char why[512];
  snprintf(why, sizeof why, "skipped: upstream '%s' %s", failed->a->key,
           failed->status == FLOE_STEP_CANCELED ? "was cancelled" : "failed");
  while (sp) {
    step *cur = &w->steps[stack[--sp]];
    for (size_t d = 0; d < cur->a->ndownstream; d++) {
      int si = w->index_of[cur->a->downstream[d]];
      if (si < 0) continue;
      step *ds = &w->steps[si];
      if (ds->status != FLOE_STEP_PENDING) continue;
      ds->status = FLOE_STEP_SKIPPED;
      ds->nwait = -1;
      if (save_step(w, ds, why) == 0) event(w, ds->a->key, "STEP_SKIPPED", "warning", why);
      stack[sp++] = si;
    }
  }
  floe_free(stack);
}

double floe_retry_delay(const floe_retry *r, int attempt) {
  double d = r->delay;
  if (r->backoff == FLOE_BACKOFF_LINEAR) d *= attempt;
  else if (r->backoff == FLOE_BACKOFF_EXPONENTIAL) d *= pow(2.0, attempt - 1);
  if (r->jitter > 0) d += d * r->jitter * ((double)(floe_random_u64() % 10000) / 10000.0);
  return d;
}

static void finish_step(worker *w, step *st, int status, const char *error) {
  floe_arena a;
  floe_arena_init(&a, 4096);
  error = floe_exec_redact(&a, w->run_sec, error);
  if (status == FLOE_STEP_FAILURE && !w->canceling && st->attempt < st->a->retry.max_retries) {
    /* what the failed attempt reported stays in the event log */
    if (st->start_us && floe_step_events_ingest(w->s, &a, w->run_sec, w->run_id, st->a->key, st->events,
                                                &st->events_off, true, NULL, w->err)) {
    }
    st->events_off = 0;
    st->attempt++;
    st->status = FLOE_STEP_RETRYING;
    active_add(w, st);
    double d = floe_retry_delay(&st->a->retry, st->attempt);
    st->retry_at_mono = floe_mono_us() + (int64_t)(d * 1e6);
    w->retrying++;
    const char *msg = floe_arena_printf(&a, "%s; retrying in %.2fs (attempt %d of %d)", error ? error : "failed", d,
                                        st->attempt + 1, st->a->retry.max_retries + 1);
    if (!save_step(w, st, msg)) event(w, st->a->key, "STEP_RETRY", "warning", msg);
    floe_arena_free(&a);
    return;
  }
  st->status = status;
  active_del(w, st);
  const char *meta = "{}";
  if (status == FLOE_STEP_SUCCESS) {
    if (floe_step_events_ingest(w->s, &a, w->run_sec, w->run_id, st->a->key, st->events, &st->events_off, true, &meta,
                                w->err) == 0) {
      floe_materialization_rec m = {.asset_key = st->a->key, .run_id = w->run_id, .metadata_json = meta};
      if (floe_store_materialization_put(w->s, &m, w->err) == 0) {
        floe_event_rec e = {.run_id = w->run_id, .asset_key = st->a->key, .type = "ASSET_MATERIALIZATION",
                            .level = "info", .message = "materialized", .data_json = meta};
        if (floe_store_event_append(w->s, &e, w->err)) { /* reported by the commit */
        }
      }
    }
  } else if (st->start_us) {
    /* events the step wrote before failing are still worth keeping */
    if (floe_step_events_ingest(w->s, &a, w->run_sec, w->run_id, st->a->key, st->events, &st->events_off, true, &meta,
                                w->err)) {
    }
  }
  save_step(w, st, error);
  const char *type = status == FLOE_STEP_SUCCESS ? "STEP_SUCCESS" : status == FLOE_STEP_CANCELED ? "STEP_CANCELED" : "STEP_FAILURE";
  event(w, st->a->key, type, status == FLOE_STEP_SUCCESS ? "info" : "error",
        error ? error : status == FLOE_STEP_SUCCESS ? "step succeeded" : "step failed");
  if (status == FLOE_STEP_SUCCESS) {
    for (size_t d = 0; d < st->a->ndownstream; d++) {
      int si = w->index_of[st->a->downstream[d]];
      if (si >= 0 && w->steps[si].status == FLOE_STEP_PENDING && --w->steps[si].nwait == 0) push_ready(w, si);
    }
  } else {
    skip_downstream(w, st);
  }
  if (st->sec) {
    floe_secrets_close(st->sec);
    st->sec = NULL;
  }
  floe_arena_free(&a);
}

/* Moves what a step's pipe holds to its log file, redacted. eof flushes the remainder. */
static void drain_pipe(worker *w, step *st, int k, bool eof) {
  char buf[65536];
  for (;;) {
    ssize_t n = st->pipe_fd[k] >= 0 ? read(st->pipe_fd[k], buf, sizeof buf) : 0;
    if (n > 0) {
      floe_buf_append(&st->pend[k], buf, (size_t)n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && st->pipe_fd[k] >= 0) {
      close(st->pipe_fd[k]);
      st->pipe_fd[k] = -1;
      eof = true;
    }
    break;
  }
  /* every step's output is redacted with every value of the run (a source's child writes here too), by
   * the streaming redactor: a secret split across reads or after a megabyte-long line is still caught */
  floe_buf *p = &st->pend[k];
  if (!p->len) return;
  if (st->log_fd[k] < 0) {
    const char *path = k ? st->log_err : st->log_out;
    st->log_fd[k] = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  }
  floe_buf out;
  floe_buf_init(&out, 0);
  if (floe_secrets_redact_stream(w->run_sec, p, eof, &out) == 0 && st->log_fd[k] >= 0 && out.len) {
    if (write(st->log_fd[k], out.p, out.len) < 0) { /* log disk full: the step still runs */
    }
  }
  floe_buf_free(&out);
}

static step *step_by_pid(worker *w, pid_t pid) {
  for (size_t j = 0; j < w->nactive; j++) {
    step *st = &w->steps[w->active[j]];
    if (st->pid == pid && st->status == FLOE_STEP_RUNNING) return st;
  }
  return NULL;
}

/* The end of a step's process, as the step's status and message (msg empty on success). */
static int exit_status(const step *st, int ws, char *msg, size_t n) {
  msg[0] = 0;
  if (st->canceled) return snprintf(msg, n, "cancelled"), FLOE_STEP_CANCELED;
  if (st->timed_out) return snprintf(msg, n, "timed out after %gs", st->a->timeout), FLOE_STEP_FAILURE;
  if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) return FLOE_STEP_SUCCESS;
  if (WIFEXITED(ws)) return snprintf(msg, n, "exited with code %d", WEXITSTATUS(ws)), FLOE_STEP_FAILURE;
  snprintf(msg, n, "killed by signal %d (%s)", WTERMSIG(ws), strsignal(WTERMSIG(ws)));
  return FLOE_STEP_FAILURE;
}

static void reap_children(worker *w) {
  for (;;) {
    /* peek first (WNOWAIT): while the step's zombie exists its pid, and so its process group id, cannot be
     * reused, so ending the grandchildren that outlive the step can never hit a stranger's group */
    siginfo_t si = {0};
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0) break;
    pid_t pid = si.si_pid;
    step *st = step_by_pid(w, pid);
    if (st) killpg(pid, SIGKILL);
    int ws = 0;
    if (waitpid(pid, &ws, 0) != pid || !st) continue;
    w->running--;
    for (int k = 0; k < 2; k++) {
      if (st->pipe_fd[k] >= 0) drain_pipe(w, st, k, true);
      if (st->log_fd[k] >= 0) close(st->log_fd[k]);
      st->log_fd[k] = -1;
      floe_buf_free(&st->pend[k]);
    }
    char msg[256];
    int status = exit_status(st, ws, msg, sizeof msg);
    finish_step(w, st, status, msg[0] ? msg : NULL);
  }
}

static void begin_cancel(worker *w) {
  if (w->canceling) return;
  w->canceling = true;
  w->cancel_kill_at = floe_mono_us() + (int64_t)(floe_cancel_grace() * 1e6);
  event(w, NULL, "RUN_CANCELING", "warning", "terminating running steps");
  for (size_t i = 0; i < w->nsteps; i++) {
    step *st = &w->steps[i];
    if (st->status == FLOE_STEP_RUNNING) {
      st->canceled = true;
      killpg(st->pid, SIGTERM); /* our unreaped child: still ours */
    } else if (st->status == FLOE_STEP_PENDING || st->status == FLOE_STEP_RETRYING) {
      if (st->status == FLOE_STEP_RETRYING) w->retrying--;
      active_del(w, st);
      st->status = FLOE_STEP_CANCELED;
      st->nwait = -1;
      if (!save_step(w, st, "run cancelled before the step started")) event(w, st->a->key, "STEP_CANCELED", "warning", "not started: run cancelled");
    }
  }
  w->nready = w->ready_head = 0;
}

static int load_run(worker *w) {
  floe_step_rec *recs;
  size_t n;
  int rc = floe_store_step_list(w->s, &w->a, w->run_id, &recs, &n, w->err);
  if (rc) return rc;
  w->steps = floe_arena_alloc(&w->a, sizeof(step) * (n + 1));
  w->index_of = floe_arena_alloc(&w->a, sizeof(int) * (w->p->nassets + 1));
  w->ready = floe_arena_alloc(&w->a, sizeof(int) * (n + 1) * 4);
  w->active = floe_arena_alloc(&w->a, sizeof(int) * (n + 1));
  if (!w->steps || !w->index_of || !w->ready || !w->active) return floe_err_set(w->err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; i < w->p->nassets; i++) w->index_of[i] = -1;
  for (size_t i = 0; i < n; i++) {
    if (recs[i].status != FLOE_STEP_PENDING) continue;
    floe_asset *as = floe_project_asset(w->p, recs[i].asset_key);
    if (!as)
      return floe_err_set(w->err, FLOE_EINPUT, "run %s: asset '%s' is no longer defined in the project", w->run_id,
                          recs[i].asset_key);
    step *st = &w->steps[w->nsteps];
    st->a = as;
    st->status = FLOE_STEP_PENDING;
    st->apos = -1;
    st->pipe_fd[0] = st->pipe_fd[1] = st->log_fd[0] = st->log_fd[1] = -1;
    st->log_out = floe_step_file(&w->a, w->p, w->run_id, as->key, "out");
    st->log_err = floe_step_file(&w->a, w->p, w->run_id, as->key, "err");
    st->events = floe_step_file(&w->a, w->p, w->run_id, as->key, "events");
    floe_buf_init(&st->pend[0], 0);
    floe_buf_init(&st->pend[1], 0);
    w->index_of[as->index] = (int)w->nsteps++;
  }
  /* ready order follows the project's topological order: deterministic and dependency-safe */
  for (size_t t = 0; t < w->p->nassets; t++) {
    int si = w->index_of[w->p->topo[t]];
    if (si < 0) continue;
    step *st = &w->steps[si];
    for (size_t u = 0; u < st->a->nupstream; u++)
      if (w->index_of[st->a->upstream[u]] >= 0) st->nwait++;
    if (st->nwait == 0) push_ready(w, si);
  }
  return 0;
}

/* The signals the worker relies on. SIGCHLD must be at its default (an ignored SIGCHLD makes the kernel reap
 * the steps before we can wait for them) and the cancel signals must be deliverable, whatever the launcher
 * left us. SIGINT and SIGHUP keep an inherited SIG_IGN (nohup, `cmd &` in a script): ignoring them was the
 * launcher's explicit wish. All of them are then blocked and read from a signalfd. */
static const int worker_signals[] = {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP};
static const int worker_signals_default[] = {SIGCHLD, SIGUSR1, SIGTERM};

static int phase_signals(worker *w) {
  for (size_t i = 0; i < sizeof worker_signals_default / sizeof *worker_signals_default; i++)
    signal(worker_signals_default[i], SIG_DFL);
  sigset_t none, mask;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL); /* nothing the launcher blocked stays blocked */
  sigemptyset(&mask);
  for (size_t i = 0; i < sizeof worker_signals / sizeof *worker_signals; i++) sigaddset(&mask, worker_signals[i]);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  w->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (w->sfd < 0) return floe_err_set(w->err, FLOE_EIO, "signalfd: %s", strerror(errno));
  return 0;
}

/* Phase 1, the claim: QUEUED -> STARTING with our identity in the same statement. Exactly one worker wins;
 * a run in any other status (another worker's, cancelled, reaped) is left untouched. */
static int phase_claim(worker *w) {
  int rc = floe_store_run_get(w->s, &w->a, w->run_id, &w->run, w->err);
  if (rc) return rc;
  w->run_id = w->run.id;
  if ((rc = floe_proc_self(&w->a, (int)getpid(), true, &w->self)))
    return floe_err_set(w->err, FLOE_ENOMEM, "out of memory");
  bool changed = false;
  if ((rc = floe_store_run_transition(w->s, w->run_id, FLOE_RUN_STARTING, &w->self, NULL, &changed, w->err))) return rc;
  if (!changed) {
    floe_run_rec cur;
    int status = floe_store_run_get(w->s, &w->a, w->run_id, &cur, NULL) == 0 ? cur.status : w->run.status;
    /* the daemon's run queue claims the run for the worker it started, naming it: then the run is ours */
    bool for_us = status == FLOE_RUN_STARTING && cur.worker.pid == w->self.pid &&
                  cur.worker.start_ticks == w->self.start_ticks && cur.worker.boot_id && w->self.boot_id &&
                  !strcmp(cur.worker.boot_id, w->self.boot_id);
    if (!for_us)
      return floe_err_set(w->err, FLOE_ECONFLICT, "run %s is %s, not QUEUED: another worker has it or it ended",
                          w->run_id, floe_run_status_name(status));
  }
  w->claimed = true;
  return 0;
}

/* Phase 2, preparation: the steps, the log directory, the run config, secrets, the step environment. */
static int phase_prepare(worker *w) {
  int rc = load_run(w);
  if (rc) return rc;
  const char *logdir = floe_arena_printf(&w->a, "%s/logs/%s", w->p->home, w->run_id);
  if ((rc = floe_mkdirs(logdir, 0700, w->err))) return rc;
  /* The stored run config is redacted; the launcher hands the step the text as given through the run's
   * private config file (launch.c), taken here. The step reads it from a private directory outside the
   * instance, removed at the end. */
  const char *raw = NULL;
  if ((rc = floe_run_config_take(&w->a, w->p, w->run_id, &raw, w->err))) return rc;
  const char *cfg = raw ? raw : w->run.config_yaml;
  if (cfg) {
    char tmpl[] = "/tmp/floe-run-XXXXXX";
    if (!mkdtemp(tmpl))
      return floe_err_set(w->err, FLOE_EIO, "cannot create a private directory for the run config: %s", strerror(errno));
    w->private_dir = floe_arena_strdup(&w->a, tmpl);
    w->config_path = floe_arena_printf(&w->a, "%s/run_config.yaml", tmpl);
    if ((rc = floe_file_write_atomic(w->config_path, cfg, strlen(cfg), 0600, w->err))) return rc;
  }
  if ((rc = floe_secrets_open(w->p, &w->run_sec, w->err))) return rc;
  floe_secrets_preload(w->run_sec, w->p); /* every value the project can resolve, for redacting messages */
  w->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (w->devnull < 0) return floe_err_set(w->err, FLOE_EIO, "/dev/null: %s", strerror(errno));
  if ((rc = build_base_env(w))) return rc;
  w->max_conc = w->p->max_concurrent > 0 ? w->p->max_concurrent : 1;
  w->pfds = floe_arena_alloc(&w->a, sizeof(struct pollfd) * (2 * w->nsteps + 2));
  w->pstep = floe_arena_alloc(&w->a, sizeof(step *) * (2 * w->nsteps + 2));
  if (!w->pfds || !w->pstep) return floe_err_set(w->err, FLOE_ENOMEM, "out of memory");
  return 0;
}

/* Ends a run we claimed that never reached its steps: the run fails, every step it would have run is
 * marked (skipped, with the reason), and the reason is the run's error. One transaction. */
static void fail_before_steps(worker *w, const char *why) {
  floe_err e2 = {0};
  floe_arena a;
  floe_arena_init(&a, 0);
  const char *msg = floe_arena_printf(&a, "the run failed before its first step: %s", why);
  const char *step_why = floe_arena_printf(&a, "not started: %s", why);
  floe_step_rec *steps = NULL;
  size_t n = 0;
  bool changed = false;
  int rc = floe_store_begin(w->s, &e2);
  if (!rc) rc = floe_store_run_transition(w->s, w->run_id, FLOE_RUN_FAILURE, NULL, msg, &changed, &e2);
  if (!rc && changed) rc = floe_store_step_list(w->s, &a, w->run_id, &steps, &n, &e2);
  if (!rc && changed)
    rc = floe_run_close_steps(w->s, w->run_id, steps, n, FLOE_STEP_FAILURE, step_why, FLOE_STEP_SKIPPED, step_why, &e2);
  if (!rc && changed) {
    floe_event_rec e = {.run_id = w->run_id, .type = "RUN_FAILURE", .level = "error", .message = msg};
    rc = floe_store_event_append(w->s, &e, &e2);
  }
  if (floe_store_end(w->s, rc, &e2)) fprintf(stderr, "floe: run worker: cannot record the failure: %s\n", e2.msg);
  floe_arena_free(&a);
}

/* Ends a run that was cancelled while STARTING: no step starts. */
static int cancel_before_steps(worker *w) {
  int rc = floe_store_begin(w->s, w->err);
  if (rc) return rc;
  for (size_t i = 0; !rc && i < w->nsteps; i++) {
    w->steps[i].status = FLOE_STEP_CANCELED;
    rc = save_step(w, &w->steps[i], "not started: run cancelled");
    if (!rc) rc = event(w, w->steps[i].a->key, "STEP_CANCELED", "warning", "not started: run cancelled");
  }
  if (!rc) rc = floe_store_run_transition(w->s, w->run_id, FLOE_RUN_CANCELED, NULL, "cancelled before it started", NULL, w->err);
  if (!rc) rc = event(w, NULL, "RUN_CANCELED", "warning", "cancelled before it started");
  rc = floe_store_end(w->s, rc, w->err);
  return rc ? rc : floe_err_set(w->err, FLOE_EFAILED, "run %s was cancelled before it started", w->run_id);
}

/* Phase 3: STARTING -> STARTED. Refused when a cancel (STARTING -> CANCELING) or the reaper got there
 * first; then no step starts. */
static int phase_start(worker *w) {
  bool changed = false;
  int rc = floe_store_begin(w->s, w->err);
  if (rc) return rc;
  rc = floe_store_run_transition(w->s, w->run_id, FLOE_RUN_STARTED, NULL, NULL, &changed, w->err);
  if (!rc && changed) rc = floe_store_run_heartbeat(w->s, w->run_id, w->err); /* preparing took a while */
  if (!rc && changed) {
    char msg[160];
    snprintf(msg, sizeof msg, "run worker started (pid %d on %s): %zu step(s), up to %d at once", w->self.pid,
             w->self.host, w->nsteps, w->max_conc);
    rc = event(w, NULL, "RUN_START", "info", msg);
  }
  if ((rc = floe_store_end(w->s, rc, w->err)) || changed) return rc;
  floe_run_rec cur;
  if ((rc = floe_store_run_get(w->s, &w->a, w->run_id, &cur, w->err))) return rc;
  if (cur.status == FLOE_RUN_CANCELING) return cancel_before_steps(w);
  w->claimed = false; /* reaped or otherwise ended: no longer ours to record anything for */
  return floe_err_set(w->err, FLOE_EFAILED, "run %s is %s: its steps will not start", w->run_id,
                      floe_run_status_name(cur.status));
}

/* Loop part 1: starts ready steps up to the concurrency limit. Part of the iteration's transaction. */
static void loop_launch(worker *w) {
  while (!w->canceling && w->running < w->max_conc && w->ready_head < w->nready) {
    step *st = &w->steps[w->ready[w->ready_head++]];
    if (st->status != FLOE_STEP_PENDING && st->status != FLOE_STEP_RETRYING) continue;
    if (st->status == FLOE_STEP_RETRYING) w->retrying--;
    launch(w, st);
  }
  if (w->ready_head == w->nready) w->ready_head = w->nready = 0;
}

/* Loop part 2: sleeps until a child ends, a signal arrives, a step writes output, or the next timer.
 * Returns poll's result; *np the number of descriptors polled. */
static int loop_wait(worker *w, size_t *np_out) {
  int64_t now = floe_mono_us(), wake = w->next_heartbeat;
  if (w->running > 0 && now + 500000 < wake) wake = now + 500000; /* live events of running steps */
  if (!w->canceling && w->next_status_check < wake) wake = w->next_status_check;
  for (size_t j = 0; j < w->nactive; j++) {
    step *st = &w->steps[w->active[j]];
    if (st->status == FLOE_STEP_RUNNING) {
      if (st->deadline_mono && !st->timed_out && st->deadline_mono < wake) wake = st->deadline_mono;
      if (st->kill_at_mono && st->kill_at_mono < wake) wake = st->kill_at_mono;
    } else if (st->status == FLOE_STEP_RETRYING && st->retry_at_mono < wake) wake = st->retry_at_mono;
  }
  if (w->canceling && w->cancel_kill_at < wake) wake = w->cancel_kill_at;
  size_t np = 0;
  w->pfds[np++] = (struct pollfd){.fd = w->sfd, .events = POLLIN};
  for (size_t j = 0; j < w->nactive; j++)
    for (int k = 0; k < 2; k++) {
      step *st = &w->steps[w->active[j]];
      if (st->pipe_fd[k] >= 0) {
        w->pstep[np] = st;
        w->pfds[np++] = (struct pollfd){.fd = st->pipe_fd[k], .events = POLLIN};
      }
    }
  *np_out = np;
  return poll(w->pfds, np, wake > now ? (int)((wake - now + 999) / 1000) : 0);
}

/* Loop part 3: step output, signals, ended children. */
static void loop_io(worker *w, int pr, size_t np) {
  for (size_t i = 1; pr > 0 && i < np; i++)
    if (w->pfds[i].revents) {
      step *st = w->pstep[i];
      for (int k = 0; k < 2; k++)
        if (st->pipe_fd[k] == w->pfds[i].fd) drain_pipe(w, st, k, false);
    }
  struct signalfd_siginfo si;
  bool got_chld = false;
  while (read(w->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGCHLD) got_chld = true;
    else begin_cancel(w);
  }
  if (got_chld || pr == 0) reap_children(w);
}

/* Loop part 4: timeouts (SIGTERM, then SIGKILL after the grace period), cancel escalation, due retries. */
static void loop_timers(worker *w, int64_t now) {
  for (size_t j = 0; j < w->nactive; j++) {
    int i = w->active[j];
    step *st = &w->steps[i];
    if (st->status == FLOE_STEP_RUNNING) {
      if (st->deadline_mono && !st->timed_out && now >= st->deadline_mono) {
        st->timed_out = true;
        killpg(st->pid, SIGTERM);
        st->kill_at_mono = now + (int64_t)(floe_cancel_grace() * 1e6);
        event(w, st->a->key, "LOG", "error", "step timed out: sending SIGTERM");
      } else if (st->kill_at_mono && now >= st->kill_at_mono) {
        killpg(st->pid, SIGKILL);
        st->kill_at_mono = 0;
      }
      if (w->canceling && now >= w->cancel_kill_at) killpg(st->pid, SIGKILL);
    } else if (st->status == FLOE_STEP_RETRYING && !w->canceling && now >= st->retry_at_mono) {
      st->retry_at_mono = INT64_MAX;
      push_ready(w, i);
    }
  }
}

/* Loop part 5: events steps report while they run reach the event log as they come. */
static void loop_live_events(worker *w) {
  for (size_t j = 0; j < w->nactive; j++) {
    step *st = &w->steps[w->active[j]];
    struct stat es;
    if (st->status != FLOE_STEP_RUNNING || stat(st->events, &es) || es.st_size <= st->events_off) continue;
    floe_arena ea;
    floe_arena_init(&ea, 4096);
    if (floe_step_events_ingest(w->s, &ea, w->run_sec, w->run_id, st->a->key, st->events, &st->events_off, false, NULL,
                                w->err)) { /* the rest is read at the step's end */
    }
    floe_arena_free(&ea);
  }
}

/* Loop part 6: renews the lease, and sees in the store what could not signal us: a cancel request from
 * another user or host, or the reaper having ended the run (we were stalled past the lease). */
static void loop_housekeeping(worker *w, int64_t now) {
  if (now >= w->next_heartbeat) {
    if (floe_store_run_heartbeat(w->s, w->run_id, NULL)) { /* retried next time */
    }
    w->next_heartbeat = now + floe_run_heartbeat_us();
  }
  if (w->canceling || now < w->next_status_check) return;
  w->next_status_check = now + 1000000;
  floe_run_rec cur;
  floe_arena tmp;
  floe_arena_init(&tmp, 4096);
  if (floe_store_run_get(w->s, &tmp, w->run_id, &cur, NULL) == 0) {
    if (floe_run_status_done(cur.status)) w->claimed = false; /* reaped: stop, record nothing more */
    if (cur.status == FLOE_RUN_CANCELING || floe_run_status_done(cur.status)) begin_cancel(w);
  }
  floe_arena_free(&tmp);
}

/* Phase 4: runs the steps until none is running, ready or waiting to retry. */
static int phase_loop(worker *w) {
  int rc;
  w->next_heartbeat = floe_mono_us() + floe_run_heartbeat_us();
  w->next_status_check = floe_mono_us() + 1000000;
  for (;;) {
    if ((rc = floe_store_begin(w->s, w->err))) return rc;
    loop_launch(w);
    if ((rc = floe_store_end(w->s, 0, w->err))) return rc;
    if (w->running == 0 && w->ready_head == w->nready && w->retrying == 0) return 0;
    size_t np = 0;
    int pr = loop_wait(w, &np);
    if (pr < 0 && errno != EINTR) return floe_err_set(w->err, FLOE_EIO, "poll: %s", strerror(errno));
    if ((rc = floe_store_begin(w->s, w->err))) return rc;
    int64_t now = floe_mono_us();
    loop_housekeeping(w, now); /* first: after a stall, learn that we were reaped before recording anything */
    loop_io(w, pr, np);
    loop_timers(w, now);
    loop_live_events(w);
    if ((rc = floe_store_end(w->s, 0, w->err))) return rc;
  }
}

/* Phase 5: the run's outcome, from its steps. A cancel that landed after the last step (STARTED ->
 * CANCELING) wins over the outcome: the run ends CANCELED. */
static int phase_finish(worker *w) {
  size_t nfail = 0, nskip = 0, nok = 0, ncancel = 0;
  for (size_t i = 0; i < w->nsteps; i++) {
    int s = w->steps[i].status;
    nok += s == FLOE_STEP_SUCCESS;
    nfail += s == FLOE_STEP_FAILURE;
    nskip += s == FLOE_STEP_SKIPPED;
    ncancel += s == FLOE_STEP_CANCELED;
  }
  if (!w->claimed) return floe_err_set(w->err, FLOE_EFAILED, "run %s was ended by another process", w->run_id);
  int final = w->canceling ? FLOE_RUN_CANCELED : (nfail || nskip || ncancel) ? FLOE_RUN_FAILURE : FLOE_RUN_SUCCESS;
  char msg[256];
  snprintf(msg, sizeof msg, "%zu succeeded, %zu failed, %zu skipped, %zu cancelled", nok, nfail, nskip, ncancel);
  bool changed = false;
  int rc = floe_store_begin(w->s, w->err);
  if (rc) return rc;
  rc = floe_store_run_transition(w->s, w->run_id, final, NULL, final == FLOE_RUN_SUCCESS ? NULL : msg, &changed, w->err);
  if (!rc && !changed && final != FLOE_RUN_CANCELED) { /* cancelled meanwhile */
    final = FLOE_RUN_CANCELED;
    rc = floe_store_run_transition(w->s, w->run_id, final, NULL, msg, &changed, w->err);
  }
  if (!rc && changed)
    rc = event(w, NULL, final == FLOE_RUN_SUCCESS ? "RUN_SUCCESS" : final == FLOE_RUN_CANCELED ? "RUN_CANCELED" : "RUN_FAILURE",
               final == FLOE_RUN_SUCCESS ? "info" : "error", msg);
  if ((rc = floe_store_end(w->s, rc, w->err))) return rc;
  if (!changed) return floe_err_set(w->err, FLOE_EFAILED, "run %s was ended by another process", w->run_id);
  if (final != FLOE_RUN_SUCCESS)
    return floe_err_set(w->err, FLOE_EFAILED, "run %s %s: %s", w->run_id,
                        final == FLOE_RUN_CANCELED ? "was cancelled" : "failed", msg);
  return 0;
}

static void worker_close(worker *w) {
  for (size_t i = 0; i < w->nsteps; i++) {
    if (w->steps[i].status == FLOE_STEP_RUNNING) killpg(w->steps[i].pid, SIGKILL);
    floe_buf_free(&w->steps[i].pend[0]);
    floe_buf_free(&w->steps[i].pend[1]);
    for (int k = 0; k < 2; k++) {
      if (w->steps[i].pipe_fd[k] >= 0) close(w->steps[i].pipe_fd[k]);
      if (w->steps[i].log_fd[k] >= 0) close(w->steps[i].log_fd[k]);
    }
    if (w->steps[i].sec) floe_secrets_close(w->steps[i].sec);
  }
  if (w->run_sec) floe_secrets_close(w->run_sec);
  if (w->sfd >= 0) close(w->sfd);
  if (w->devnull >= 0) close(w->devnull);
  if (w->private_dir) floe_rmtree(w->private_dir);
  floe_map_free(&w->exe_cache);
  floe_store_close(w->s);
  floe_arena_free(&w->a);
}

int floe_run_execute(const floe_project *p, const char *run_id, floe_err *err) {
  worker w = {.p = p, .run_id = run_id, .err = err, .sfd = -1, .devnull = -1};
  floe_arena_init(&w.a, 0);
  int rc = floe_store_open(p->db_path, &w.s, err);
  if (rc) {
    floe_arena_free(&w.a);
    return rc;
  }
  if (!(rc = phase_signals(&w)) && !(rc = phase_claim(&w)) && (rc = phase_prepare(&w)) && w.claimed) {
    fail_before_steps(&w, err && err->msg[0] ? err->msg : "run worker failed");
    rc = FLOE_EFAILED;
  }
  if (!rc) rc = phase_start(&w);
  if (!rc && !(rc = phase_loop(&w))) rc = phase_finish(&w);
  worker_close(&w);
  return rc;
}
