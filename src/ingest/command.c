/* command.c — the command source, floe's escape hatch (like Dagster Pipes): any program that writes
 * rows to the file named by $FLOE_OUTPUT as NDJSON, CSV or Parquet.
 *
 *   source: {type: command, command: [python3, scripts/extract.py], format: ndjson, env: {TOKEN: {secret: x.y}}}
 *
 * The program runs in the project directory (or source.cwd) with the step's environment stripped of every
 * secret (floe_secrets_child_env) plus FLOE_OUTPUT and source.env; its stdout/stderr go to the step's logs
 * and it may append events to $FLOE_EVENTS (the run worker redacts both).
 * It is in the step's process group, so step timeouts and cancellation stop it too. format is
 * detected from the file when not given. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ingest_int.h"

int ingest_command_select(ingest_ctx *cx, char **select, floe_err *err) {
  const floe_node *src = cx->a->source, *cn = floe_node_get(src, "command");
  if (!cn || cn->type != FLOE_NODE_SEQ || !cn->len)
    return ingest_fail_at(err, cn ? cn : src, "source.command: expected a list of strings (the argv to run)");
  const char **argv = floe_arena_alloc(cx->ar, (cn->len + 1) * sizeof *argv);
  if (!argv) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_buf shown;
  floe_buf_init(&shown, 0);
  for (size_t i = 0; i < cn->len; i++) {
    if (!(argv[i] = floe_node_scalar(cn->items[i]))) {
      floe_buf_free(&shown);
      return ingest_fail_at(err, cn->items[i], "source.command[%zu]: expected a string", i);
    }
    floe_buf_printf(&shown, "%s%s", i ? " " : "", argv[i]);
  }
  cx->label = floe_arena_strdup(cx->ar, floe_buf_str(&shown));
  floe_buf_free(&shown);
  const char *format = floe_node_scalar(floe_node_get(src, "format"));
  if (format && strcmp(format, "ndjson") && strcmp(format, "csv") && strcmp(format, "parquet"))
    return ingest_fail_at(err, floe_node_get(src, "format"),
                          "source.format: unknown format '%s'; expected ndjson, csv or parquet", format);
  const char *out;
  int rc = ingest_stage_path(cx, format && !strcmp(format, "parquet") ? "output.parquet" : "output", &out, err);
  if (rc) return rc;
  /* environment: ours without secrets (floe_secrets_child_env) + FLOE_OUTPUT + source.env */
  const floe_node *en = floe_node_get(src, "env");
  if (en && en->type != FLOE_NODE_MAP) return ingest_fail_at(err, en, "source.env: expected a mapping NAME: value");
  const char **set = floe_arena_alloc(cx->ar, (1 + (en ? en->len : 0)) * sizeof *set);
  if (!set) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  size_t nset = 0;
  set[nset++] = floe_arena_printf(cx->ar, "FLOE_OUTPUT=%s", out);
  for (size_t i = 0; en && i < en->len; i++) {
    const char *v;
    char what[256];
    snprintf(what, sizeof what, "source.env.%s", en->keys[i]);
    if ((rc = ingest_value(cx, en->items[i], what, &v, err))) return rc;
    set[nset++] = floe_arena_printf(cx->ar, "%s=%s", en->keys[i], v ? v : "");
  }
  char **envp;
  if ((rc = floe_secrets_child_env(cx->p->secrets_prefix, NULL, set, nset, cx->ar, &envp, NULL, err))) return rc;
  const char *cwd = floe_node_scalar(floe_node_get(src, "cwd"));
  cwd = cwd ? (cwd[0] == '/' ? cwd : floe_path_join(cx->ar, cx->p->dir, cwd)) : cx->p->dir;
  fflush(stdout);
  fflush(stderr);
  int64_t t0 = floe_mono_us();
  pid_t pid = fork();
  if (pid < 0) return floe_err_set(err, FLOE_ESPAWN, "source.command: cannot fork: %s", strerror(errno));
  if (pid == 0) {
    if (chdir(cwd) != 0) {
      fprintf(stderr, "floe: cannot chdir to %s: %s\n", cwd, strerror(errno));
      _exit(127);
    }
    execvpe(argv[0], (char *const *)argv, envp);
    fprintf(stderr, "floe: cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return floe_err_set(err, FLOE_EIO, "waitpid: %s", strerror(errno));
  floe_buf_printf(&cx->meta, ",\"command_seconds\":%.3f", (double)(floe_mono_us() - t0) / 1e6);
  if (WIFSIGNALED(status))
    return floe_err_set(err, FLOE_EFAILED, "source command '%s' was killed by signal %d (%s)", cx->label,
                        WTERMSIG(status), strsignal(WTERMSIG(status)));
  if (WEXITSTATUS(status) == 127)
    return floe_err_set(err, FLOE_EFAILED, "source command '%s' could not be started (exit 127; see the step's stderr)",
                        cx->label);
  if (WEXITSTATUS(status))
    return floe_err_set(err, FLOE_EFAILED, "source command '%s' failed with exit status %d (see the step's logs)",
                        cx->label, WEXITSTATUS(status));
  struct stat st;
  if (stat(out, &st) != 0)
    return floe_err_set(err, FLOE_EFAILED,
                        "source command '%s' succeeded but wrote no rows: $FLOE_OUTPUT (%s) does not exist", cx->label, out);
  if (st.st_size == 0) cx->rows_known = 0;
  return ingest_staged_select(cx, out, format, select, err);
}
