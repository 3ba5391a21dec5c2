/* resources.h — external systems a project talks to, declared in floe.yaml under `resources:`
 * (`clickhouse`, `postgres`), with fields that may be secret references. Each type is one backend
 * file in src/resources/ behind the table in resource.c. Resolved field values never appear in
 * output: they go through the SecretResolver, which registers them for redaction. */
#ifndef FLOE_RESOURCES_H
#define FLOE_RESOURCES_H

#include "floe/defs.h"
#include "floe/err.h"
#include "floe/secrets.h"
#include "floe/util.h"
#include <stdbool.h>

/* A field a resource type knows, with its default when the project does not set it:
 * a secret reference (default_group.default_key) or a literal. */
typedef struct floe_resource_field_def {
  const char *name;
  const char *default_group, *default_key; /* secret reference default, or NULL */
  const char *default_literal;             /* literal default, or NULL */
  const char *unless;                      /* the default does not apply when this field is declared */
  const char *help;
} floe_resource_field_def;

/* Known fields of a type (NULL and *n = 0 for an unknown type). */
const floe_resource_field_def *floe_resource_type_fields(const char *type, size_t *n);
/* Comma-separated names of the known types, for error messages ("clickhouse, postgres"). */
const char *floe_resource_type_names(void);
/* The effective value of a field: declared in floe.yaml, else the type's default. false when neither. */
bool floe_resource_field(const floe_resource *r, const char *field, floe_value *out);
/* Every field that applies to r (declared ones, then defaults of undeclared known fields), in order;
 * fills names/values (arrays of at least nmax). Returns the count. */
size_t floe_resource_fields(const floe_resource *r, const char **names, floe_value *values, size_t nmax);

floe_resource *floe_project_resource(const floe_project *p, const char *name);

/* Appends "NAME_FIELD=value" strings (floe_malloc'd; the caller frees each and the vec) for every
 * field of every resource the asset names (NAME = resource name upper-cased, non-alphanumerics
 * as _), e.g. CLICKHOUSE_HOST, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD. Values are resolved now (when
 * the step runs); a missing secret is FLOE_ESECRET from the resolver. */
int floe_resource_env(floe_secrets *s, const floe_project *p, const floe_asset *a, floe_vec *env,
                      floe_err *err) FLOE_WUR;

/* Connects to the resource named name and runs SELECT 1. On success appends a one-line report
 * (endpoint, server version when known, latency; no secret) to report. */
int floe_resource_check(floe_secrets *s, const floe_project *p, const char *name, floe_buf *report,
                        floe_err *err) FLOE_WUR;

/* ---- ClickHouse over its HTTP interface (libcurl). */
typedef struct floe_clickhouse {
  char url[1024];                         /* base URL, e.g. https://host:8443/ */
  const char *user, *password, *database; /* borrowed */
  bool insecure_tls;                      /* tls_verify: false */
  long timeout_ms;
} floe_clickhouse;
/* Builds the connection from the resource's resolved fields: url, or host (+ port, secure: default
 * true -> https and port 8443; false -> http and 8123). An http:// url or host without
 * `secure: false` is refused (TLS is on by default). */
int floe_clickhouse_from_resource(floe_secrets *s, const floe_resource *r, floe_clickhouse *ch, floe_err *err) FLOE_WUR;
/* Runs sql; on HTTP 200 appends the body to out (format as the query says, default TabSeparated).
 * Otherwise FLOE_EFAILED with ClickHouse's error code and message (X-ClickHouse-Exception-Code,
 * body's first line). *summary (optional) receives the X-ClickHouse-Summary header. */
int floe_clickhouse_query(const floe_clickhouse *ch, const char *sql, floe_buf *out, floe_buf *summary,
                          floe_err *err) FLOE_WUR;

/* ---- PostgreSQL via libpq: runs SELECT 1 on the connection URL; version into report. */
int floe_postgres_check(const char *url, floe_buf *report, floe_err *err) FLOE_WUR;
/* Registers the password inside a libpq connection string (URL or key=value) for redaction on its own;
 * call it before anything parses the string. */
void floe_postgres_redact_url(floe_secrets *s, const char *url);
/* The first line of a libpq message with every quoted fragment longer than one character replaced by
 * "...": libpq quotes the text it could not parse (`invalid percent-encoded token: "<password>"`). */
void floe_postgres_message(const char *libpq_msg, char *out, size_t n);

#endif
