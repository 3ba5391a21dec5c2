/* resource.c — the resource-type table, field defaults, the env a command asset receives for the
 * resources it names, and `floe resource check`. */
#include "floe/resources.h"
#include "resources_int.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const resource_type *const types[] = {&floe_clickhouse_type, &floe_postgres_type};
#define NTYPES (sizeof types / sizeof types[0])

static const resource_type *find_type(const char *name) {
  for (size_t i = 0; name && i < NTYPES; i++)
    if (!strcmp(types[i]->name, name)) return types[i];
  return NULL;
}

const floe_resource_field_def *floe_resource_type_fields(const char *type, size_t *n) {
  const resource_type *t = find_type(type);
  *n = t ? t->nfields : 0;
  return t ? t->fields : NULL;
}

const char *floe_resource_type_names(void) { return "clickhouse, postgres"; }

static const floe_kv *declared(const floe_resource *r, const char *field) {
  for (size_t i = 0; i < r->nfields; i++)
    if (!strcmp(r->fields[i].name, field)) return &r->fields[i];
  return NULL;
}

static bool default_value(const floe_resource *r, const floe_resource_field_def *d, floe_value *out) {
  if (d->unless && declared(r, d->unless)) return false;
  memset(out, 0, sizeof *out);
  out->node = r->node;
  if (d->default_group) {
    out->secret_group = d->default_group;
    out->secret_key = d->default_key;
    return true;
  }
  if (d->default_literal) {
    out->literal = d->default_literal;
    return true;
  }
  return false;
}

bool floe_resource_field(const floe_resource *r, const char *field, floe_value *out) {
  const floe_kv *kv = declared(r, field);
  if (kv) {
    *out = kv->value;
    return true;
  }
  const resource_type *t = find_type(r->type);
  for (size_t i = 0; t && i < t->nfields; i++)
    if (!strcmp(t->fields[i].name, field)) return default_value(r, &t->fields[i], out);
  return false;
}

size_t floe_resource_fields(const floe_resource *r, const char **names, floe_value *values, size_t nmax) {
  size_t n = 0;
  for (size_t i = 0; i < r->nfields && n < nmax; i++, n++) {
    names[n] = r->fields[i].name;
    values[n] = r->fields[i].value;
  }
  const resource_type *t = find_type(r->type);
  for (size_t i = 0; t && i < t->nfields && n < nmax; i++) {
    if (declared(r, t->fields[i].name)) continue;
    if (default_value(r, &t->fields[i], &values[n])) names[n++] = t->fields[i].name;
  }
  return n;
}

floe_resource *floe_project_resource(const floe_project *p, const char *name) {
  for (size_t i = 0; p && i < p->nresources; i++)
    if (p->resources[i]->name && !strcmp(p->resources[i]->name, name)) return p->resources[i];
  return NULL;
}

int resource_get(floe_secrets *s, const floe_resource *r, const char *field, const char **out, floe_err *err) {
  floe_value v;
  *out = NULL;
  if (!floe_resource_field(r, field, &v)) return 0;
  int rc = floe_value_resolve(s, &v, out, err);
  if (rc) floe_err_prefix(err, "resource %s field %s: ", r->name, field);
  return rc;
}

static int lookup(const floe_project *p, const char *name, const floe_resource **out, floe_err *err) {
  const floe_resource *r = floe_project_resource(p, name);
  if (!r) {
    floe_buf names;
    floe_buf_init(&names, 4096);
    for (size_t i = 0; i < p->nresources; i++)
      floe_buf_printf(&names, "%s%s", i ? ", " : "", p->resources[i]->name);
    int rc = floe_err_set(err, FLOE_ENOTFOUND, "no resource named '%s' in floe.yaml resources: (declared: %s)", name,
                          names.len ? floe_buf_str(&names) : "none");
    floe_buf_free(&names);
    return rc;
  }
  if (!find_type(r->type))
    return floe_err_set(err, FLOE_EINPUT, "resource %s has type '%s'; expected one of %s", r->name,
                        r->type ? r->type : "(none)", floe_resource_type_names());
  *out = r;
  return 0;
}

int floe_resource_env(floe_secrets *s, const floe_project *p, const floe_asset *a, floe_vec *env, floe_err *err) {
  for (size_t i = 0; i < a->nresources; i++) {
    const floe_resource *r;
    int rc = lookup(p, a->resources[i], &r, err);
    if (rc) {
      floe_err_prefix(err, "asset %s: ", a->key);
      return rc;
    }
    const char *names[32];
    floe_value vals[32];
    size_t n = floe_resource_fields(r, names, vals, 32);
    for (size_t j = 0; j < n; j++) {
      const char *v;
      if ((rc = floe_value_resolve(s, &vals[j], &v, err))) {
        floe_err_prefix(err, "asset %s: resource %s field %s: ", a->key, r->name, names[j]);
        return rc;
      }
      if (!strcmp(r->type, "postgres") && !strcmp(names[j], "url")) floe_postgres_redact_url(s, v);
      floe_buf b;
      floe_buf_init(&b, 0);
      for (const char *c = r->name; *c; c++)
        floe_buf_putc(&b, isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_');
      floe_buf_putc(&b, '_');
      for (const char *c = names[j]; *c; c++)
        floe_buf_putc(&b, isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_');
      floe_buf_printf(&b, "=%s", v);
      char *kv = b.oom ? NULL : floe_buf_take(&b);
      if (!kv || floe_vec_push(env, kv)) {
        floe_free(kv);
        floe_buf_free(&b);
        return floe_err_set(err, FLOE_ENOMEM, "out of memory");
      }
    }
  }
  return 0;
}

int floe_resource_check(floe_secrets *s, const floe_project *p, const char *name, floe_buf *report, floe_err *err) {
  const floe_resource *r;
  int rc = lookup(p, name, &r, err);
  if (rc) return rc;
  const resource_type *t = find_type(r->type);
  rc = t->check(s, r, report, err);
  if (rc) floe_err_prefix(err, "resource %s (%s): ", r->name, r->type);
  return rc;
}
