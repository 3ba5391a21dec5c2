/* launch.c — launching a run: the one library call the CLI, the daemon, sensors and the HTTP server make.
 *
 * floe_job_launch resolves what to run (a job, a selection, or a re-execution), builds the run's tags, checks
 * the run config against the job's schema, stores the run (config redacted), hands the worker the config as
 * given through a private file of the run, starts the worker, and, when asked, waits and summarizes the
 * outcome with what a failed step said (its own error line and the tail of its stderr). Front ends only
 * parse their input and print the outcome. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "exec_int.h"
#include "floe/secrets.h"

/* ---- the run config's private file: <home>/private/<run id>.yaml, 0600 in a 0700 directory. The stored
 * copy is redacted; this one holds the text as given, for the worker only, which removes it on reading. */

const char *floe_run_config_path(floe_arena *a, const floe_project *p, const char *run_id) {
  return floe_arena_printf(a, "%s/private/%s.yaml", p->home, run_id);
}

static int config_put(const floe_project *p, const char *run_id, const char *text, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 0);
  const char *dir = floe_path_join(&a, p->home, "private");
  const char *path = floe_run_config_path(&a, p, run_id);
  int rc = !dir || !path ? floe_err_set(err, FLOE_ENOMEM, "out of memory") : floe_mkdirs(dir, 0700, err);
  if (!rc && chmod(dir, 0700) != 0) rc = floe_err_set(err, FLOE_EIO, "%s: %s", dir, strerror(errno));
  if (!rc) rc = floe_file_write_atomic(path, text, strlen(text), 0600, err);
  floe_arena_free(&a);
  return rc;
}

int floe_run_config_take(floe_arena *a, const floe_project *p, const char *run_id, const char **text, floe_err *err) {
  *text = NULL;
  const char *path = floe_run_config_path(a, p, run_id);
  if (!path) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  char *data = NULL;
  size_t len = 0;
  if (!floe_path_exists(path)) return 0;
  int rc = floe_file_read(path, &data, &len, err);
  if (rc) return rc;
  *text = floe_arena_strndup(a, data, len);
  floe_free(data);
  unlink(path);
  return *text ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

/* ---- what to run */

static int no_job(const floe_project *p, const char *name, floe_err *err) {
  const char **names = floe_calloc(p->njobs + 1, sizeof *names);
  floe_buf list;
  floe_buf_init(&list, 0);
  for (size_t i = 0; i < p->njobs; i++) {
    floe_buf_printf(&list, "%s%s", i ? ", " : "", p->jobs[i]->name);
    if (names) names[i] = p->jobs[i]->name;
  }
  const char *best = NULL;
  int bestd = 3;
  for (size_t i = 0; names && i < p->njobs; i++) {
    int d = floe_edit_distance(name, names[i], 2);
    if (d < bestd) bestd = d, best = names[i];
  }
  int rc = floe_err_set(err, FLOE_EINPUT, "no job '%s' in %s/floe.yaml (jobs: %s)%s%s%s", name, p->dir,
                        p->njobs ? floe_buf_str(&list) : "none", best ? " (did you mean '" : "", best ? best : "",
                        best ? "'?)" : "");
  floe_buf_free(&list);
  floe_free(names);
  return rc;
}

/* {"k":"v",...}: the job's tags, then the request's (a later key wins), then floe/launched_by. */
static const char *tags_json(floe_arena *a, const floe_job *job, const floe_launch_req *req) {
  floe_buf b;
  floe_buf_init(&b, 0);
  floe_buf_putc(&b, '{');
  size_t nj = job ? job->ntags : 0, k = 0;
  for (size_t i = 0; i < nj + req->ntags; i++) {
    const floe_tag *t = i < nj ? &job->tags[i] : &req->tags[i - nj];
    bool overridden = false;
    for (size_t j = i + 1; j < nj + req->ntags && !overridden; j++)
      overridden = !strcmp(t->key, (j < nj ? &job->tags[j] : &req->tags[j - nj])->key);
    if (overridden || !strcmp(t->key, "floe/launched_by")) continue;
    if (k++) floe_buf_putc(&b, ',');
    floe_buf_json_str(&b, t->key);
    floe_buf_putc(&b, ':');
    floe_buf_json_str(&b, t->value ? t->value : "");
  }
  if (req->launched_by) {
    if (k++) floe_buf_putc(&b, ',');
    floe_buf_puts(&b, "\"floe/launched_by\":");
    floe_buf_json_str(&b, req->launched_by);
  }
  floe_buf_putc(&b, '}');
  const char *r = floe_arena_strdup(a, floe_buf_str(&b));
  floe_buf_free(&b);
  return r;
}

/* Checks config text against the job's schema (or, without one, the ops the run runs). */
static int check_config(const floe_project *p, const bool *mask, const floe_job *job, const floe_launch_req *req,
                        floe_arena *a, floe_err *err) {
  floe_node *root = NULL;
  const char **ops = floe_arena_alloc(a, sizeof(char *) * (p->nassets + 1));
  if (!ops) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < p->nassets; i++)
    if (mask[i]) ops[k++] = p->assets[i]->key;
  const char *name = req->config_name ? req->config_name : "run config";
  int rc = floe_yaml_parse(a, name, req->config_text, strlen(req->config_text), &root, err);
  if (!rc) rc = floe_config_validate(job ? job->config_schema : NULL, ops, root, err);
  return rc;
}

/* The config as stored (redacted); *raw_differs when the worker needs the text as given. */
static int config_redact(const floe_project *p, const char *text, floe_arena *a, const char **stored, bool *raw_differs,
                         floe_err *err) {
  floe_secrets *sec = NULL;
  int rc = floe_secrets_open(p, &sec, err);
  if (rc) return rc;
  floe_secrets_preload(sec, p);
  floe_buf b;
  floe_buf_init(&b, 0);
  if (floe_secrets_redact(sec, text, strlen(text), &b)) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_secrets_close(sec);
  *stored = rc ? NULL : floe_arena_strdup(a, floe_buf_str(&b));
  floe_buf_free(&b);
  if (!rc && !*stored) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  *raw_differs = !rc && strcmp(*stored, text) != 0;
  return rc;
}

/* Creates the run the request describes; run_id gets its id. */
static int create_run(floe_store *s, const floe_project *p, const floe_launch_req *req, floe_arena *a, char run_id[33],
                      floe_err *err) {
  if (req->reexecute_of) return floe_run_reexecute(s, p, req->reexecute_of, req->from_failure, run_id, err);
  const floe_job *job = NULL;
  const char *selection = req->selection;
  if (req->job) {
    if (!(job = floe_project_job(p, req->job))) return no_job(p, req->job, err);
    selection = job->selection;
  }
  if (!selection) return floe_err_set(err, FLOE_EINPUT, "nothing to run: give a job or a selection (e.g. '*')");
  bool *mask = floe_arena_alloc(a, p->nassets + 1);
  if (!mask) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  int rc = floe_select(p, selection, mask, err);
  const char *stored = NULL;
  bool raw_differs = false;
  if (!rc && req->config_text) rc = check_config(p, mask, job, req, a, err);
  if (!rc && req->config_text) rc = config_redact(p, req->config_text, a, &stored, &raw_differs, err);
  if (rc) return rc;
  floe_launch l = {.job = job ? job->name : NULL, .selection = selection, .mask = mask, .config_yaml = stored,
                   .tags_json = tags_json(a, job, req)};
  if (!l.tags_json) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  if ((rc = floe_run_create(s, p, &l, run_id, err))) return rc;
  /* Written after the run exists and before any worker can claim it. Should it fail, the run is cancelled
   * rather than left for a worker that would run it without its config. */
  if (raw_differs && (rc = config_put(p, run_id, req->config_text, err)) && floe_run_cancel(s, run_id, 0, NULL)) {
  }
  return rc;
}

int floe_job_launch(floe_store *s, const floe_project *p, const floe_launch_req *req, floe_arena *a,
                    floe_launch_outcome *out, floe_err *err) {
  memset(out, 0, sizeof *out);
  int64_t t0 = floe_mono_us();
  int rc = create_run(s, p, req, a, out->run_id, err);
  if (rc) return rc;
  if ((rc = floe_run_outcome(s, p, out->run_id, 0, a, out, err))) return rc;
  /* With a run_queue: the run stays QUEUED (its commit woke the daemon, whose run queue starts the worker) */
  if (p->run_queue.enabled) return floe_launch_queued(s, p, req, a, out, t0, err);
  if ((rc = floe_run_spawn_worker(p, out->run_id, req->detach, &out->worker_pid, err))) return rc;
  if (req->started) req->started(req->ud, out);
  if (req->detach || !req->wait) return 0;
  int status;
  if ((rc = floe_run_wait_progress(s, out->run_id, out->worker_pid, req->progress, req->ud, &status, err))) return rc;
  pid_t pid = out->worker_pid;
  rc = floe_run_outcome(s, p, out->run_id, 10, a, out, err);
  out->worker_pid = pid;
  out->duration_us = floe_mono_us() - t0;
  return rc;
}

/* ---- the outcome */

/* The last `lines` lines of text (a pointer into it). */
static const char *tail_of(const char *text, size_t len, int lines) {
  size_t start = len;
  int seen = 0;
  if (start && text[start - 1] == '\n') start--;
  while (start > 0) {
    if (text[start - 1] == '\n' && ++seen == lines) break;
    start--;
  }
  return text + start;
}

/* The end of a log file, at most max bytes, starting at a line (NUL-terminated, caller frees). A step may
 * log gigabytes; what the launcher shows is at its end. */
static char *read_end(const char *path, size_t max) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  if (fseeko(f, 0, SEEK_END) == 0) {
    off_t size = ftello(f);
    off_t from = size > (off_t)max ? size - (off_t)max : 0;
    buf = size >= 0 && fseeko(f, from, SEEK_SET) == 0 ? floe_malloc((size_t)(size - from) + 1) : NULL;
    size_t n = buf ? fread(buf, 1, (size_t)(size - from), f) : 0;
    if (buf) buf[n] = 0;
    if (buf && from > 0) { /* drop the partial first line */
      char *nl = strchr(buf, '\n');
      memmove(buf, nl ? nl + 1 : buf + n, strlen(nl ? nl + 1 : buf + n) + 1);
    }
  }
  fclose(f);
  return buf;
}

/* The step's own error: its last "floe: error: " line (arena copy), or NULL. */
static const char *own_error(floe_arena *a, const char *text) {
  static const char mark[] = "floe: error: ";
  const char *last = NULL;
  for (const char *q = text; (q = strstr(q, mark)); q += sizeof mark - 1)
    if (q == text || q[-1] == '\n') last = q + sizeof mark - 1;
  if (!last) return NULL;
  const char *nl = strchr(last, '\n');
  return floe_arena_strndup(a, last, nl ? (size_t)(nl - last) : strlen(last));
}

static void describe_failure(floe_arena *a, const floe_step_rec *st, int tail_lines, floe_step_failure *f) {
  f->asset_key = st->asset_key;
  f->error = st->error;
  f->stderr_path = st->log_err;
  char *data = tail_lines > 0 && st->log_err ? read_end(st->log_err, 64 * 1024) : NULL;
  size_t len = data ? strlen(data) : 0;
  if (!len) {
    floe_free(data);
    return;
  }
  f->reason = own_error(a, data);
  const char *t = tail_of(data, len, tail_lines);
  size_t tl = strlen(t);
  while (tl && t[tl - 1] == '\n') tl--;
  f->stderr_tail = floe_arena_strndup(a, t, tl);
  floe_free(data);
}

int floe_run_outcome(floe_store *s, const floe_project *p, const char *run_id, int tail_lines, floe_arena *a,
                     floe_launch_outcome *out, floe_err *err) {
  floe_run_rec r;
  floe_step_rec *steps = NULL;
  size_t n = 0;
  int rc = floe_store_run_get(s, a, run_id, &r, err);
  if (!rc) rc = floe_store_step_list(s, a, r.id, &steps, &n, err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  memcpy(out->run_id, r.id, sizeof out->run_id);
  out->status = r.status;
  out->run_error = r.error;
  out->nsteps = n;
  out->failures = floe_arena_alloc(a, sizeof *out->failures * (n + 1));
  if (!out->failures) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    out->nsucceeded += steps[i].status == FLOE_STEP_SUCCESS;
    out->nskipped += steps[i].status == FLOE_STEP_SKIPPED;
    out->ncanceled += steps[i].status == FLOE_STEP_CANCELED;
    if (steps[i].status != FLOE_STEP_FAILURE) continue;
    out->nfailed++;
    describe_failure(a, &steps[i], tail_lines, &out->failures[out->nfailures++]);
  }
  return 0;
}
