/* cmd_run.c — `floe asset materialize|list`, `floe job launch`, `floe run list|show|logs|cancel|reexecute`,
 * and the internal `__run-worker` / `__step` entry points of child processes. */
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "floe/exec.h"
#include "floe/ingest.h"
#include "floe/store.h"

static void fmt_duration(int64_t us, char *out, size_t n) {
  if (us < 0) us = 0;
  if (us < 1000000) snprintf(out, n, "%dms", (int)(us / 1000));
  else if (us < 60000000) snprintf(out, n, "%.2fs", us / 1e6);
  else snprintf(out, n, "%dm%02ds", (int)(us / 60000000), (int)(us / 1000000 % 60));
}

typedef struct progress {
  size_t total, done;
} progress;

/* One line per finished step on a TTY: "[3/12] ok     github_events (1.2s)". */
static void on_event(void *ud, const floe_event_rec *e) {
  progress *pr = ud;
  const char *tag = !strcmp(e->type, "STEP_SUCCESS") ? "ok" : !strcmp(e->type, "STEP_FAILURE") ? "FAILED"
                  : !strcmp(e->type, "STEP_SKIPPED") ? "skipped" : !strcmp(e->type, "STEP_CANCELED") ? "cancel"
                  : !strcmp(e->type, "STEP_RETRY") ? "retry" : NULL;
  if (!tag || !e->asset_key) return;
  if (strcmp(tag, "retry")) pr->done++;
  fprintf(stderr, "[%zu/%zu] %-7s %s%s%s\n", pr->done, pr->total, tag, e->asset_key,
          strcmp(tag, "ok") && e->message ? ": " : "", strcmp(tag, "ok") && e->message ? e->message : "");
}

static void on_started(void *ud, const floe_launch_outcome *o) {
  ((progress *)ud)->total = o->nsteps;
  fprintf(stderr, "run %s started (worker pid %d)\n", o->run_id, (int)o->worker_pid);
}

/* What a failed step said: its own error line, then the rest of its stderr's last lines, then where the
 * whole log is. */
static void print_failure(const floe_step_failure *f) {
  fprintf(stderr, "step %s failed: %s", f->asset_key, f->reason ? f->reason : f->error ? f->error : "");
  if (f->reason && f->error) fprintf(stderr, " (%s)", f->error);
  fprintf(stderr, "\n");
  if (f->stderr_tail) {
    const char *line = f->stderr_tail;
    size_t shown = 0;
    while (*line) {
      const char *nl = strchr(line, '\n');
      size_t len = nl ? (size_t)(nl - line) : strlen(line);
      bool is_reason = f->reason && len >= strlen(f->reason) && !strncmp(line + len - strlen(f->reason), f->reason, strlen(f->reason));
      if (!is_reason) {
        if (!shown++) fprintf(stderr, "  stderr (last lines):\n");
        fprintf(stderr, "    | %.*s\n", (int)len, line);
      }
      line += len + (nl ? 1 : 0);
    }
  }
  if (f->stderr_path && floe_path_exists(f->stderr_path)) fprintf(stderr, "  log: %s\n", f->stderr_path);
}

/* Launches through the library (floe_job_launch) and prints the outcome. Exit code: 0 the run succeeded,
 * 1 it failed, 2 the request was bad. */
static int launch(floe_cli *c, floe_launch_req *req) {
  floe_project *p;
  floe_store *s;
  int rc = cli_store(c, &s);
  if (!rc) rc = cli_load_project(c, &p);
  if (rc) return rc;
  floe_err err = {0};
  floe_arena a;
  floe_arena_init(&a, 0);
  progress pr = {0};
  floe_launch_outcome o;
  req->launched_by = "cli";
  req->wait = !req->detach;
  req->ud = &pr;
  if (isatty(2)) {
    req->started = on_started;
    req->progress = on_event;
  }
  /* Ctrl-C reaches the worker too (same process group): it cancels the run; we keep waiting for it */
  if (req->wait && !p->run_queue.enabled) signal(SIGINT, SIG_IGN); /* queued: Ctrl-C stops only the waiting */
  if (floe_job_launch(s, p, req, &a, &o, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  if (o.notice) fprintf(stderr, "floe: warning: %s\n", o.notice);
  if (req->detach || (o.queued && !floe_run_status_done(o.status))) {
    printf("%s\n", o.run_id);
    goto out;
  }
  for (size_t i = 0; i < o.nfailures; i++) print_failure(&o.failures[i]);
  char dur[32];
  fmt_duration(o.duration_us, dur, sizeof dur);
  printf("run %s %s in %s: %zu succeeded, %zu failed, %zu skipped", o.run_id, floe_run_status_name(o.status), dur,
         o.nsucceeded, o.nfailed, o.nskipped);
  if (o.ncanceled) printf(", %zu cancelled", o.ncanceled);
  if (req->reexecute_of) printf(" (re-execution of %s)", req->reexecute_of);
  printf("\n");
  if (o.status == FLOE_RUN_FAILURE && !o.nsucceeded && !o.nfailed && !o.ncanceled && o.run_error)
    fprintf(stderr, "%s\n", o.run_error); /* no step ran: say why (the worker's reason, e.g. a bad .env line) */
  rc = o.status == FLOE_RUN_SUCCESS ? 0 : 1;
out:
  floe_arena_free(&a);
  return rc;
}

int cmd_asset_materialize(floe_cli *c) {
  floe_launch_req req = {.selection = cli_opt(c, "--select"), .detach = cli_flag(c, "--detach")};
  if (cli_positionals(c, 0, 0) < 0) return 2;
  if (!req.selection) return cli_usage_error(c, "--select is required (e.g. --select '*' or --select my_asset+)");
  return launch(c, &req);
}

int cmd_job_launch(floe_cli *c) {
  const char *cfg = cli_opt2(c, "--config", "-c");
  floe_launch_req req = {.detach = cli_flag(c, "--detach"), .config_name = cfg};
  if (cli_positionals(c, 1, 1) < 0) return 2;
  req.job = c->argv[0];
  char *text = NULL;
  floe_err err = {0};
  if (cfg && floe_file_read(cfg, &text, NULL, &err)) return cli_fail(&err);
  req.config_text = text;
  int rc = launch(c, &req);
  floe_free(text);
  return rc;
}

/* Opens the project and store and recovers runs whose worker died, for the inspection commands. */
static int inspect_open(floe_cli *c, floe_project **p, floe_store **s) {
  int rc = cli_load_project(c, p);
  if (!rc) rc = cli_store(c, s);
  if (rc) return rc;
  floe_err err = {0};
  if (floe_run_reap_dead(*s, &err)) fprintf(stderr, "floe: warning: %s\n", err.msg);
  return 0;
}

int cmd_run_list(floe_cli *c) {
  const char *status = cli_opt(c, "--status"), *job = cli_opt(c, "--job"), *since = cli_opt(c, "--since");
  long long limit;
  if (cli_int_opt(c, "--limit", 50, 1, INT_MAX, &limit)) return 2;
  bool json = cli_flag(c, "--json");
  if (cli_positionals(c, 0, 0) < 0) return 2;
  floe_run_filter f = {.status = -1, .job = job, .limit = (int)limit};
  if (status && (f.status = floe_run_status_parse(status)) < 0)
    return cli_usage_error(c, "unknown status '%s' (QUEUED, STARTED, SUCCESS, FAILURE, CANCELING, CANCELED)", status);
  if (since && floe_time_parse(since, &f.since_us))
    return cli_usage_error(c, "bad --since '%s' (a date like 2026-01-31, a time like 2026-01-31T12:00:00, or 2h, 3d)", since);
  floe_project *p;
  floe_store *s;
  int rc = inspect_open(c, &p, &s);
  if (rc) return rc;
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_run_rec *runs;
  size_t n;
  floe_err err = {0};
  if (floe_store_run_list(s, &a, &f, &runs, &n, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  if (json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
      json_t *o = json_object();
      json_object_set_new(o, "id", json_string(runs[i].id));
      json_object_set_new(o, "job", runs[i].job ? json_string(runs[i].job) : json_null());
      json_object_set_new(o, "selection", json_string(runs[i].selection ? runs[i].selection : ""));
      json_object_set_new(o, "status", json_string(floe_run_status_name(runs[i].status)));
      json_object_set_new(o, "created_us", json_integer(runs[i].created_us));
      json_object_set_new(o, "start_us", runs[i].start_us ? json_integer(runs[i].start_us) : json_null());
      json_object_set_new(o, "end_us", runs[i].end_us ? json_integer(runs[i].end_us) : json_null());
      json_object_set_new(o, "parent_run_id", runs[i].parent_run_id ? json_string(runs[i].parent_run_id) : json_null());
      json_array_append_new(arr, o);
    }
    char *d = json_dumps(arr, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    printf("%s\n", d);
    free(d);
    json_decref(arr);
    goto out;
  }
  printf("%-32s  %-9s  %-24s  %-10s  %s\n", "RUN ID", "STATUS", "CREATED", "DURATION", "JOB / SELECTION");
  for (size_t i = 0; i < n; i++) {
    char created[40], dur[32] = "-";
    floe_time_iso(runs[i].created_us, created, sizeof created);
    if (runs[i].start_us) fmt_duration((runs[i].end_us ? runs[i].end_us : floe_now_us()) - runs[i].start_us, dur, sizeof dur);
    printf("%-32s  %-9s  %-24s  %-10s  %s\n", runs[i].id, floe_run_status_name(runs[i].status), created, dur,
           runs[i].job ? runs[i].job : runs[i].selection ? runs[i].selection : "");
  }
out:
  floe_arena_free(&a);
  return rc;
}

/* Prints the last `lines` lines of a file, indented. */
static void print_tail(const char *path, int lines, const char *indent) {
  char *data = NULL;
  size_t len = 0;
  if (floe_file_read(path, &data, &len, NULL) || !len) {
    floe_free(data);
    return;
  }
  size_t start = len;
  int seen = 0;
  if (start && data[start - 1] == '\n') start--;
  while (start > 0) {
    if (data[start - 1] == '\n' && ++seen == lines) break;
    start--;
  }
  for (char *line = data + start, *nl; *line; line = nl + 1) {
    nl = strchr(line, '\n');
    if (nl) *nl = 0;
    printf("%s%s\n", indent, line);
    if (!nl) break;
  }
  floe_free(data);
}

int cmd_run_show(floe_cli *c) {
  bool json = cli_flag(c, "--json");
  bool events = cli_flag(c, "--events");
  if (cli_positionals(c, 1, 1) < 0) return 2;
  floe_project *p;
  floe_store *s;
  int rc = inspect_open(c, &p, &s);
  if (rc) return rc;
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_err err = {0};
  floe_run_rec r;
  floe_step_rec *steps;
  size_t n;
  if (floe_store_run_get(s, &a, c->argv[0], &r, &err) || floe_store_step_list(s, &a, r.id, &steps, &n, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r.id));
    json_object_set_new(o, "status", json_string(floe_run_status_name(r.status)));
    json_object_set_new(o, "job", r.job ? json_string(r.job) : json_null());
    json_object_set_new(o, "selection", json_string(r.selection ? r.selection : ""));
    json_object_set_new(o, "error", r.error ? json_string(r.error) : json_null());
    json_object_set_new(o, "parent_run_id", r.parent_run_id ? json_string(r.parent_run_id) : json_null());
    json_error_t je;
    json_t *tags = r.tags_json ? json_loads(r.tags_json, 0, &je) : NULL;
    json_object_set_new(o, "tags", tags ? tags : json_object());
    json_object_set_new(o, "config", r.config_yaml ? json_string(r.config_yaml) : json_null()); /* as stored: redacted */
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
      json_t *so = json_object();
      json_object_set_new(so, "asset", json_string(steps[i].asset_key));
      json_object_set_new(so, "status", json_string(floe_step_status_name(steps[i].status)));
      json_object_set_new(so, "attempts", json_integer(steps[i].attempt + 1));
      json_object_set_new(so, "start_us", steps[i].start_us ? json_integer(steps[i].start_us) : json_null());
      json_object_set_new(so, "end_us", steps[i].end_us ? json_integer(steps[i].end_us) : json_null());
      json_object_set_new(so, "error", steps[i].error ? json_string(steps[i].error) : json_null());
      json_array_append_new(arr, so);
    }
    json_object_set_new(o, "steps", arr);
    char *d = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    printf("%s\n", d);
    free(d);
    json_decref(o);
    goto out;
  }
  char created[40], dur[32] = "-";
  floe_time_iso(r.created_us, created, sizeof created);
  if (r.start_us) fmt_duration((r.end_us ? r.end_us : floe_now_us()) - r.start_us, dur, sizeof dur);
  printf("run %s\n  status:    %s\n  created:   %s\n  duration:  %s\n", r.id, floe_run_status_name(r.status), created, dur);
  if (r.job) printf("  job:       %s\n", r.job);
  printf("  selection: %s\n", r.selection ? r.selection : "");
  if (r.parent_run_id) printf("  parent:    %s\n", r.parent_run_id);
  if (r.error) printf("  error:     %s\n", r.error);
  printf("\n  %-40s  %-9s  %-8s  %-10s  %s\n", "STEP", "STATUS", "ATTEMPTS", "DURATION", "ERROR");
  for (size_t i = 0; i < n; i++) {
    char d[32] = "-";
    if (steps[i].start_us) fmt_duration((steps[i].end_us ? steps[i].end_us : floe_now_us()) - steps[i].start_us, d, sizeof d);
    printf("  %-40s  %-9s  %-8d  %-10s  %s\n", steps[i].asset_key, floe_step_status_name(steps[i].status),
           steps[i].attempt + 1, d, steps[i].error ? steps[i].error : "");
  }
  for (size_t i = 0; i < n; i++) {
    struct stat lst;
    if (steps[i].status != FLOE_STEP_FAILURE || !steps[i].log_err || stat(steps[i].log_err, &lst) || !lst.st_size)
      continue;
    printf("\n  stderr of %s (last lines of %s):\n", steps[i].asset_key, steps[i].log_err);
    print_tail(steps[i].log_err, 10, "    | ");
  }
  if (events) { /* the event log, as Dagster's run view shows it */
    floe_event_rec *ev;
    size_t ne = 0;
    if (floe_store_event_list(s, &a, r.id, 0, &ev, &ne, &err)) {
      rc = cli_fail(&err);
      goto out;
    }
    printf("\n  %-24s  %-24s  %-7s  %-30s  %s\n", "TIME", "EVENT", "LEVEL", "STEP", "MESSAGE");
    for (size_t i = 0; i < ne; i++) {
      char when[40];
      floe_time_iso(ev[i].ts_us, when, sizeof when);
      printf("  %-24s  %-24s  %-7s  %-30s  %s%s%s\n", when, ev[i].type, ev[i].level ? ev[i].level : "",
             ev[i].asset_key ? ev[i].asset_key : "-", ev[i].message ? ev[i].message : "",
             ev[i].data_json && ev[i].message ? " " : "", ev[i].data_json ? ev[i].data_json : "");
    }
  }
out:
  floe_arena_free(&a);
  return rc;
}

int cmd_run_logs(floe_cli *c) {
  bool follow = cli_flag(c, "--follow") || cli_flag(c, "-f");
  const char *only = cli_opt(c, "--step");
  if (cli_positionals(c, 1, 1) < 0) return 2;
  floe_project *p;
  floe_store *s;
  int rc = inspect_open(c, &p, &s);
  if (rc) return rc;
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_err err = {0};
  floe_run_rec r;
  if (floe_store_run_get(s, &a, c->argv[0], &r, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  /* offsets per (step, stream); steps appear as the run starts them */
  floe_map offsets = {0};
  for (;;) {
    floe_arena it;
    floe_arena_init(&it, 0);
    floe_step_rec *steps;
    size_t n;
    floe_run_rec cur;
    if (floe_store_run_get(s, &it, r.id, &cur, &err) || floe_store_step_list(s, &it, r.id, &steps, &n, &err)) {
      floe_arena_free(&it);
      rc = cli_fail(&err);
      break;
    }
    for (size_t i = 0; i < n; i++) {
      if (only && strcmp(only, steps[i].asset_key)) continue;
      const char *paths[2] = {steps[i].log_out, steps[i].log_err};
      for (int k = 0; k < 2; k++) {
        if (!paths[k]) continue;
        intptr_t off = (intptr_t)floe_map_get(&offsets, paths[k]);
        FILE *f = fopen(paths[k], "r");
        if (!f) continue;
        if (off) fseek(f, off - 1, SEEK_SET);
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        long pos = ftell(f);
        while ((len = getline(&line, &cap, f)) > 0) {
          if (line[len - 1] != '\n' && follow && !floe_run_status_done(cur.status)) break; /* partial line: later */
          printf("%s %s | %s%s", steps[i].asset_key, k ? "stderr" : "stdout", line, line[len - 1] == '\n' ? "" : "\n");
          pos = ftell(f);
        }
        free(line);
        fclose(f);
        const char *key = floe_arena_strdup(&a, paths[k]);
        if (key && floe_map_put(&offsets, key, (void *)(intptr_t)(pos + 1))) {
        }
      }
    }
    fflush(stdout);
    floe_arena_free(&it);
    if (!follow || floe_run_status_done(cur.status)) {
      if (follow) printf("run %s %s\n", r.id, floe_run_status_name(cur.status));
      break;
    }
    floe_sleep_ms(200);
    if (floe_run_reap_dead(s, NULL)) {
    }
  }
  floe_map_free(&offsets);
out:
  floe_arena_free(&a);
  return rc;
}

int cmd_run_cancel(floe_cli *c) {
  if (cli_positionals(c, 1, 1) < 0) return 2;
  floe_project *p;
  floe_store *s;
  int rc = inspect_open(c, &p, &s);
  if (rc) return rc;
  floe_err err = {0};
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_run_rec r;
  if (floe_run_cancel(s, c->argv[0], (int)floe_cancel_grace() + 10, &err) ||
      floe_store_run_get(s, &a, c->argv[0], &r, &err))
    rc = cli_fail(&err);
  else printf("run %s %s\n", r.id, floe_run_status_name(r.status));
  floe_arena_free(&a);
  return rc;
}

int cmd_run_reexecute(floe_cli *c) {
  floe_launch_req req = {.from_failure = cli_flag(c, "--from-failure"), .detach = cli_flag(c, "--detach")};
  if (cli_positionals(c, 1, 1) < 0) return 2;
  floe_project *p;
  floe_store *s;
  int rc = inspect_open(c, &p, &s);
  if (rc) return rc;
  req.reexecute_of = c->argv[0];
  return launch(c, &req);
}

int cmd_asset_list(floe_cli *c) {
  bool json = cli_flag(c, "--json");
  if (cli_positionals(c, 0, 0) < 0) return 2;
  floe_project *p;
  floe_store *s;
  int rc = inspect_open(c, &p, &s);
  if (rc) return rc;
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_err err = {0};
  floe_materialization_rec *mats;
  size_t nm, ns;
  const char **keys;
  int *sts;
  floe_map mat_by = {0}, st_by = {0};
  if (floe_store_materialization_list(s, &a, &mats, &nm, &err) ||
      floe_store_asset_last_status(s, &a, &keys, &sts, &ns, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  for (size_t i = 0; i < nm; i++)
    if (floe_map_put(&mat_by, mats[i].asset_key, &mats[i])) goto oom;
  for (size_t i = 0; i < ns; i++)
    if (floe_map_put(&st_by, keys[i], &sts[i])) goto oom;
  json_t *arr = json ? json_array() : NULL;
  if (!json) printf("%-44s  %-8s  %-12s  %-9s  %s\n", "ASSET", "KIND", "GROUP", "STATUS", "LAST MATERIALIZED");
  for (size_t i = 0; i < p->nassets; i++) {
    const floe_asset *as = p->assets[i];
    floe_materialization_rec *m = floe_map_get(&mat_by, as->key);
    int *st = floe_map_get(&st_by, as->key);
    const char *kind = as->kind == FLOE_ASSET_COMMAND ? "command" : as->kind == FLOE_ASSET_INGEST ? "ingest" : "model";
    const char *status = st ? floe_step_status_name(*st) : "NEVER";
    char when[40] = "-";
    if (m) floe_time_iso(m->ts_us, when, sizeof when);
    if (json) {
      json_t *o = json_object();
      json_object_set_new(o, "key", json_string(as->key));
      json_object_set_new(o, "kind", json_string(kind));
      json_object_set_new(o, "group", json_string(as->group ? as->group : "default"));
      json_object_set_new(o, "status", json_string(status));
      json_object_set_new(o, "last_materialization", m ? json_string(when) : json_null());
      json_object_set_new(o, "run_id", m ? json_string(m->run_id) : json_null());
      json_error_t je;
      json_t *md = m && m->metadata_json ? json_loads(m->metadata_json, 0, &je) : NULL;
      json_object_set_new(o, "metadata", md ? md : json_object());
      json_array_append_new(arr, o);
    } else {
      printf("%-44s  %-8s  %-12s  %-9s  %s%s%s\n", as->key, kind, as->group ? as->group : "default", status, when,
             m && m->metadata_json && strcmp(m->metadata_json, "{}") ? "  " : "",
             m && m->metadata_json && strcmp(m->metadata_json, "{}") ? m->metadata_json : "");
    }
  }
  if (json) {
    char *d = json_dumps(arr, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    printf("%s\n", d);
    free(d);
    json_decref(arr);
  }
  goto out;
oom:
  rc = cli_fail(&(floe_err){FLOE_ENOMEM, "out of memory"});
out:
  floe_map_free(&mat_by);
  floe_map_free(&st_by);
  floe_arena_free(&a);
  return rc;
}

int cmd_internal_run_worker(floe_cli *c) {
  if (c->argc != 1) return 2;
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  floe_err err = {0};
  rc = floe_run_execute(p, c->argv[0], &err);
  if (rc && rc != FLOE_EFAILED) fprintf(stderr, "floe: run worker: %s\n", err.msg);
  return rc ? 1 : 0;
}

int cmd_internal_step(floe_cli *c) {
  if (c->argc != 2) return 2;
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  floe_err err = {0};
  floe_asset *a = floe_project_asset(p, c->argv[1]);
  if (!a) {
    fprintf(stderr, "floe: error: no asset '%s'\n", c->argv[1]);
    return 2;
  }
  const char *ev = getenv("FLOE_EVENTS");
  FILE *events = ev ? fopen(ev, "a") : NULL;
  if (a->kind == FLOE_ASSET_INGEST) rc = floe_ingest_step(p, a, c->argv[0], events ? events : stderr, &err);
  else rc = floe_err_set(&err, FLOE_EUNSUPPORTED, "asset '%s' has no built-in step", a->key);
  if (events) fclose(events);
  if (rc) fprintf(stderr, "floe: error: %s\n", err.msg);
  return rc ? 1 : 0;
}
