/* common.c — argument helpers, error printing and the project, store and lake that `floe` commands open. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "floe/lake.h"
#include "floe/secrets.h"
#include "floe/store.h"

static void drop_args(floe_cli *c, int at, int n) {
  for (int j = at; j + n < c->argc; j++) c->argv[j] = c->argv[j + n];
  c->argc -= n;
}

bool cli_flag(floe_cli *c, const char *name) {
  for (int i = 0; i < c->argc; i++) {
    if (!strcmp(c->argv[i], name)) {
      drop_args(c, i, 1);
      return true;
    }
  }
  return false;
}

const char *cli_opt(floe_cli *c, const char *name) { return cli_opt2(c, name, NULL); }

const char *cli_opt2(floe_cli *c, const char *name, const char *alias) {
  size_t ln = strlen(name);
  for (int i = 0; i < c->argc; i++) {
    const char *a = c->argv[i];
    if ((!strcmp(a, name) || (alias && !strcmp(a, alias))) && i + 1 < c->argc) {
      const char *v = c->argv[i + 1];
      drop_args(c, i, 2);
      return v;
    }
    if (!strncmp(a, name, ln) && a[ln] == '=') {
      drop_args(c, i, 1);
      return a + ln + 1;
    }
  }
  return NULL;
}

int cli_usage_error(floe_cli *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "floe: error: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nusage: floe %s %s\n", c->cmd_name, c->usage);
  return 2;
}

int cli_positionals(floe_cli *c, int min, int max) {
  for (int i = 0; i < c->argc; i++) {
    if (c->argv[i][0] == '-' && c->argv[i][1]) return -cli_usage_error(c, "unknown option '%s'", c->argv[i]);
  }
  if (c->argc < min) return -cli_usage_error(c, "missing argument");
  if (max >= 0 && c->argc > max) return -cli_usage_error(c, "unexpected argument '%s'", c->argv[max]);
  return c->argc;
}

int cli_fail(const floe_err *err) {
  floe_secrets *s = floe_secrets_current(); /* redact with the resolver this process has open */
  floe_buf b;
  floe_buf_init(&b, 0);
  if (s && floe_secrets_redact(s, err->msg, strlen(err->msg), &b) == 0) fprintf(stderr, "floe: error: %s\n", floe_buf_str(&b));
  else fprintf(stderr, "floe: error: %s\n", s ? "(message withheld: redaction failed)" : err->msg);
  floe_buf_free(&b);
  return floe_err_exit_code(err->code);
}

int cli_int_opt(floe_cli *c, const char *name, long long def, long long min, long long max, long long *out) {
  const char *v = cli_opt(c, name);
  *out = def;
  if (!v) return 0;
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (!*v || *end || errno || n < min || n > max) {
    if (max >= INT_MAX) return cli_usage_error(c, "%s: expected a whole number >= %lld, found '%s'", name, min, v);
    return cli_usage_error(c, "%s: expected a whole number from %lld to %lld, found '%s'", name, min, max, v);
  }
  *out = n;
  return 0;
}

int cli_load_project(floe_cli *c, floe_project **out) {
  if (!c->project) {
    floe_err err = {0};
    const char *dir;
    if (floe_project_find(c->project_opt, &dir, &err) || floe_project_load(dir, &c->project, &err))
      return cli_fail(&err);
  }
  *out = c->project;
  return 0;
}

int cli_store(floe_cli *c, floe_store **out) {
  floe_project *p = NULL;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  if (!c->store) {
    floe_err err = {0};
    if (floe_mkdirs(p->home, 0700, &err) || floe_store_open(p->db_path, &c->store, &err)) return cli_fail(&err);
  }
  *out = c->store;
  return 0;
}

int cli_lake(floe_cli *c, floe_lake **out) {
  floe_project *p = NULL;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  if (!c->lake) {
    floe_err err = {0};
    if (floe_lake_open_project(p, &c->lake, &err)) return cli_fail(&err);
  }
  *out = c->lake;
  return 0;
}

void cli_close(floe_cli *c) {
  floe_lake_close(c->lake);
  floe_store_close(c->store);
  floe_project_free(c->project);
  c->lake = NULL;
  c->store = NULL;
  c->project = NULL;
}

bool cli_isatty_out(void) { return isatty(1); }
