/* postgres.c — PostgreSQL resources through libpq: one connection URL (a secret by default,
 * postgres.connection_url). The password inside a URL is registered for redaction on its own, so
 * that a libpq message quoting part of the URL cannot reveal it. */
#include "resources_int.h"
#include "../util/dyn.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const floe_resource_field_def fields[] = {
    {"url", "postgres", "connection_url", NULL, NULL, "libpq connection URL or key=value string"},
};

/* Registers the password component of a connection string for redaction: first as written (so that it
 * is redacted even when libpq cannot parse the string and quotes it), then as libpq reads it. */
void floe_postgres_redact_url(floe_secrets *s, const char *url) {
  if (floe_secrets_add_conninfo_password(s, url)) { /* out of memory: the messages below elide quotes anyway */
  }
  if (floe_pq_load(NULL)) return;
  PQconninfoOption *opts = PQconninfoParse(url, NULL);
  for (PQconninfoOption *o = opts; o && o->keyword; o++)
    if (!strcmp(o->keyword, "password") && o->val && *o->val && floe_secrets_add_redaction(s, o->val, strlen(o->val))) {
    }
  PQconninfoFree(opts);
}

/* First line of a libpq message, without the trailing newline. */
static void first_line(const char *m, char *out, size_t n) {
  snprintf(out, n, "%s", m ? m : "");
  out[strcspn(out, "\n")] = 0;
}

void floe_postgres_message(const char *m, char *out, size_t n) {
  size_t k = 0;
  bool quoted = false;
  const char *open = NULL;
  for (const char *c = m ? m : ""; *c && *c != '\n' && k + 4 < n; c++) {
    if (*c != '"') {
      if (!quoted) out[k++] = *c;
      continue;
    }
    if (!quoted) {
      quoted = true;
      open = c;
      continue;
    }
    quoted = false;
    /* "=" in `missing "=" after ...` is libpq's own text; anything longer came from the string */
    if (c - open == 2) out[k++] = '"', out[k++] = open[1], out[k++] = '"';
    else out[k++] = '"', out[k++] = '.', out[k++] = '.', out[k++] = '.', out[k++] = '"';
  }
  out[k < n ? k : n - 1] = 0;
}

int floe_postgres_check(const char *url, floe_buf *report, floe_err *err) {
  char msg[1024];
  char *errmsg = NULL;
  if (floe_pq_load(err)) return err ? err->code : FLOE_EUNSUPPORTED;
  PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
  if (!opts) {
    floe_postgres_message(errmsg, msg, sizeof msg);
    PQfreemem(errmsg);
    return floe_err_set(err, FLOE_EINPUT, "postgres: the connection URL is malformed: %s", msg);
  }
  PQconninfoFree(opts);
  int64_t t0 = floe_mono_us();
  const char *keys[] = {"dbname", "connect_timeout", NULL};
  const char *vals[] = {url, "10", NULL};
  PGconn *c = PQconnectdbParams(keys, vals, 1);
  int rc = 0;
  if (!c || PQstatus(c) != CONNECTION_OK) {
    first_line(c ? PQerrorMessage(c) : "out of memory", msg, sizeof msg);
    rc = floe_err_set(err, FLOE_EFAILED, "postgres: cannot connect: %s", msg);
    goto out;
  }
  PGresult *res = PQexec(c, "SELECT 1");
  if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "1")) {
    first_line(PQresultErrorMessage(res), msg, sizeof msg);
    rc = floe_err_set(err, FLOE_EFAILED, "postgres: SELECT 1 failed: %s", msg[0] ? msg : "unexpected answer");
  } else {
    int v = PQserverVersion(c);
    floe_buf_printf(report, "postgres %s:%s/%s as %s (server %d.%d): SELECT 1 ok in %.1f ms", PQhost(c), PQport(c),
                    PQdb(c), PQuser(c), v / 10000, v % 10000, (double)(floe_mono_us() - t0) / 1000.0);
  }
  PQclear(res);
out:
  PQfinish(c);
  return rc;
}

static int check(floe_secrets *s, const floe_resource *r, floe_buf *report, floe_err *err) {
  const char *url;
  int rc = resource_get(s, r, "url", &url, err);
  if (rc) return rc;
  if (!url || !*url) return floe_err_set(err, FLOE_EINPUT, "needs url");
  floe_postgres_redact_url(s, url);
  return floe_postgres_check(url, report, err);
}

const resource_type floe_postgres_type = {"postgres", fields, sizeof fields / sizeof fields[0], check};
