/* postgres.c — the postgres source: a query through libpq (loaded on first use, see dyn.h), streamed
 * with COPY (query) TO STDOUT (CSV) into a staged file chunk by chunk, so no result is ever held in
 * memory; DuckDB then reads the file with the column types PostgreSQL reported.
 *
 *   source: {type: postgres, url: {secret: source_db.url}, query: "SELECT * FROM events"}
 *   source: {type: postgres, url: {secret: source_db.url}, table: public.events}
 *
 * The session runs with TimeZone UTC and DateStyle ISO. numeric(P,S) stays decimal (unconstrained numeric becomes double); json/jsonb, arrays,
 * uuid and other types become strings. Messages never carry the connection URL's password. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../util/dyn.h"
#include "floe/engine.h"
#include "floe/resources.h"
#include "ingest_int.h"

/* The DuckDB type a PostgreSQL column is read as. numeric(P,S) (typmod = (P << 16 | S) + 4) stays an exact
 * DECIMAL; unconstrained numeric has no precision to keep and becomes DOUBLE. buf holds the DECIMAL text. */
static const char *pg_duck_type(Oid t, int typmod, char *buf, size_t n) {
  if (t == 1700 && typmod >= 4) {
    int prec = ((typmod - 4) >> 16) & 0xffff, scale = (typmod - 4) & 0xffff;
    if (prec >= 1 && prec <= 38 && scale <= prec) {
      snprintf(buf, n, "DECIMAL(%d,%d)", prec, scale);
      return buf;
    }
  }
  switch (t) {
  case 16: return "BOOLEAN";
  case 20: return "BIGINT";
  case 21: case 23: return "INTEGER";
  case 700: return "FLOAT";
  case 701: case 1700: return "DOUBLE";
  case 1082: return "DATE";
  case 1114: return "TIMESTAMP";
  case 1184: return "TIMESTAMPTZ";
  default: return "VARCHAR";
  }
}

static void pg_notice(void *arg, const char *msg) { (void)arg; (void)msg; }

int ingest_postgres_select(ingest_ctx *cx, char **select, floe_err *err) {
  const floe_node *src = cx->a->source;
  const char *url, *query = floe_node_scalar(floe_node_get(src, "query"));
  const char *table = floe_node_scalar(floe_node_get(src, "table"));
  PGconn *c = NULL;
  PGresult *res = NULL;
  FILE *out = NULL;
  floe_buf q;
  floe_buf_init(&q, 0);
  int rc = ingest_value(cx, floe_node_get(src, "url"), "source.url", &url, err);
  if (rc) goto done;
  if (!url) {
    rc = ingest_fail_at(err, src, "source.url: missing; expected a connection URL, e.g. {secret: source_db.url}");
    goto done;
  }
  if (!query && !table) {
    rc = ingest_fail_at(err, src, "source.query: missing; expected an SQL query (or table: schema.name)");
    goto done;
  }
  if ((rc = floe_pq_load(err))) goto done;
  if (!cx->sec && (rc = floe_secrets_open(cx->p, &cx->sec, err))) goto done;
  floe_postgres_redact_url(cx->sec, url);
  { /* a string libpq cannot parse: its message quotes the fragment, which may be the password */
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (!opts) {
      char msg[512];
      floe_postgres_message(perr, msg, sizeof msg);
      PQfreemem(perr);
      rc = floe_err_set(err, FLOE_EINPUT, "postgres source: the connection URL is malformed: %s", msg);
      goto done;
    }
    PQconninfoFree(opts);
  }
  c = PQconnectdb(url);
  if (PQstatus(c) != CONNECTION_OK) {
    rc = floe_err_set(err, FLOE_EFAILED, "postgres source: cannot connect: %s", ingest_redact(cx, PQerrorMessage(c)));
    goto done;
  }
  PQsetNoticeProcessor(c, pg_notice, NULL);
  cx->label = floe_arena_printf(cx->ar, "postgres %s@%s:%s/%s", PQuser(c), PQhost(c), PQport(c), PQdb(c));
  res = PQexec(c, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET extra_float_digits = 3");
  PQclear(res);
  if (table) {
    char *id = NULL;
    /* schema.name: quote each part */
    floe_buf_puts(&q, "SELECT * FROM ");
    const char *dot = strchr(table, '.');
    if (dot) {
      char *sch = floe_arena_strndup(cx->ar, table, (size_t)(dot - table));
      id = PQescapeIdentifier(c, sch, strlen(sch));
      floe_buf_printf(&q, "%s.", id ? id : sch);
      PQfreemem(id);
      table = dot + 1;
    }
    id = PQescapeIdentifier(c, table, strlen(table));
    floe_buf_puts(&q, id ? id : table);
    PQfreemem(id);
    query = floe_arena_strdup(cx->ar, floe_buf_str(&q));
    floe_buf_reset(&q);
  }
  /* the column types, without running the query */
  floe_buf_printf(&q, "SELECT * FROM (%s) AS floe_q LIMIT 0", query);
  res = PQexec(c, floe_buf_str(&q));
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    rc = floe_err_set(err, FLOE_EINPUT, "%s: query failed: %s", cx->label, PQresultErrorMessage(res));
    goto done;
  }
  int nf = PQnfields(res);
  floe_buf cols;
  floe_buf_init(&cols, 0);
  for (int i = 0; i < nf; i++) {
    if (i) floe_buf_puts(&cols, ", ");
    floe_buf_sql_str(&cols, PQfname(res, i));
    floe_buf_puts(&cols, ": ");
    char dec[40];
    floe_buf_sql_str(&cols, pg_duck_type(PQftype(res, i), PQfmod(res, i), dec, sizeof dec));
  }
  PQclear(res);
  res = NULL;
  const char *path;
  if ((rc = ingest_stage_path(cx, "rows.csv", &path, err))) {
    floe_buf_free(&cols);
    goto done;
  }
  if (!(out = fopen(path, "w"))) {
    floe_buf_free(&cols);
    rc = floe_err_set(err, FLOE_EIO, "cannot create %s", path);
    goto done;
  }
  static char iobuf[1 << 20];
  setvbuf(out, iobuf, _IOFBF, sizeof iobuf);
  floe_buf_reset(&q);
  floe_buf_printf(&q, "COPY (%s) TO STDOUT WITH (FORMAT csv)", query);
  res = PQexec(c, floe_buf_str(&q));
  if (PQresultStatus(res) != PGRES_COPY_OUT) {
    rc = floe_err_set(err, FLOE_EINPUT, "%s: query failed: %s", cx->label, PQresultErrorMessage(res));
    floe_buf_free(&cols);
    goto done;
  }
  PQclear(res);
  res = NULL;
  char *chunk;
  int n;
  int64_t bytes = 0, t0 = floe_mono_us();
  while ((n = PQgetCopyData(c, &chunk, 0)) > 0) {
    size_t w = fwrite(chunk, 1, (size_t)n, out);
    PQfreemem(chunk);
    bytes += n;
    if (w != (size_t)n) {
      rc = floe_err_set(err, FLOE_EIO, "cannot write %s (disk full?)", path);
      break;
    }
  }
  res = PQgetResult(c);
  if (!rc && (n == -2 || PQresultStatus(res) != PGRES_COMMAND_OK))
    rc = floe_err_set(err, FLOE_EINPUT, "%s: query failed while streaming: %s", cx->label,
                      PQresultErrorMessage(res));
  if (!rc) cx->rows_known = strtoll(PQcmdTuples(res), NULL, 10);
  if (fclose(out) && !rc) rc = floe_err_set(err, FLOE_EIO, "cannot write %s", path);
  out = NULL;
  if (rc) {
    floe_buf_free(&cols);
    goto done;
  }
  floe_buf_printf(&cx->meta, ",\"copy_bytes\":%lld,\"copy_seconds\":%.3f", (long long)bytes,
                  (double)(floe_mono_us() - t0) / 1e6);
  floe_buf_reset(&q);
  floe_buf_puts(&q, "SELECT * FROM read_csv(");
  floe_buf_sql_str(&q, path);
  floe_buf_printf(&q, ", columns={%s}, header=false, auto_detect=false, delim=',', quote='\"', escape='\"', "
                      "allow_quoted_nulls=false)", floe_buf_str(&cols));
  floe_buf_free(&cols);
  *select = floe_arena_strdup(cx->ar, floe_buf_str(&q));
done:
  if (out) fclose(out);
  PQclear(res);
  if (c) PQfinish(c);
  floe_buf_free(&q);
  if (rc && cx->sec) { /* the query or an error may echo the URL */
    const char *m = ingest_redact(cx, err->msg);
    if (m != err->msg) snprintf(err->msg, sizeof err->msg, "%s", m);
  }
  return rc;
}
