/* refs.c — finds every secret reference of a project (for `floe secrets doctor`, `floe defs
 * validate` warnings and redaction preloading): `{secret: group.key}` anywhere in floe.yaml or an
 * asset's mapping, plus the default references of declared resources' undeclared fields. */
#include "floe/resources.h"
#include "floe/secrets.h"
#include <stdio.h>
#include <string.h>

static int push_ref(floe_arena *a, floe_vec *refs, const char *group, const char *key, const char *where) {
  floe_secret_ref *r = floe_arena_alloc(a, sizeof *r);
  if (!r) return FLOE_ENOMEM;
  r->group = floe_arena_strdup(a, group);
  r->key = floe_arena_strdup(a, key);
  r->where = floe_arena_strdup(a, where);
  if (!r->group || !r->key || !r->where) return FLOE_ENOMEM;
  return floe_vec_push(refs, r);
}

static int walk(const floe_node *n, floe_arena *a, floe_vec *refs, floe_err *err) {
  if (!n) return 0;
  if (n->type == FLOE_NODE_MAP && n->len == 1 && n->keys[0] && !strcmp(n->keys[0], "secret") && n->items[0] &&
      n->items[0]->type == FLOE_NODE_SCALAR) {
    char g[256], k[256], where[1200];
    const floe_node *v = n->items[0];
    snprintf(where, sizeof where, "%s:%d:%d", v->file ? v->file : "floe.yaml", v->line, v->col);
    floe_err e2 = {0};
    if (floe_secrets_split_ref(v->str, g, k, sizeof g, &e2)) {
      return floe_err_set(err, FLOE_EINPUT, "%s: %s", where, e2.msg);
    }
    return push_ref(a, refs, g, k, where) ? floe_err_set(err, FLOE_ENOMEM, "out of memory") : 0;
  }
  if (n->type == FLOE_NODE_MAP || n->type == FLOE_NODE_SEQ) {
    for (size_t i = 0; i < n->len; i++) {
      int rc = walk(n->items[i], a, refs, err);
      if (rc) return rc;
    }
  }
  return 0;
}

int floe_secrets_project_refs(const floe_project *p, floe_arena *a, floe_vec *refs, floe_err *err) {
  int rc = walk(p->root, a, refs, err);
  for (size_t i = 0; !rc && i < p->nassets; i++)
    rc = walk(p->assets[i]->node, a, refs, err);
  /* asset env values built by hand (tests, embedders) without a node tree */
  for (size_t i = 0; !rc && i < p->nassets; i++) {
    const floe_asset *as = p->assets[i];
    if (as->node) continue;
    for (size_t j = 0; !rc && j < as->nenv; j++) {
      const floe_value *v = &as->env[j].value;
      if (v->literal || !v->secret_group) continue;
      char where[600];
      snprintf(where, sizeof where, "asset %s env %s", as->key, as->env[j].name);
      if (push_ref(a, refs, v->secret_group, v->secret_key, where))
        rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    }
  }
  for (size_t i = 0; !rc && i < p->nresources; i++) {
    const floe_resource *r = p->resources[i];
    const char *names[32];
    floe_value vals[32];
    size_t n = floe_resource_fields(r, names, vals, 32);
    for (size_t j = 0; !rc && j < n; j++) {
      if (vals[j].literal || !vals[j].secret_group) continue;
      bool declared = false;
      for (size_t k = 0; k < r->nfields; k++)
        declared |= !strcmp(r->fields[k].name, names[j]);
      if (declared && r->node) continue; /* found by the tree walk, with its position */
      char where[600];
      snprintf(where, sizeof where, "resource %s field %s%s", r->name, names[j], declared ? "" : " (default)");
      if (push_ref(a, refs, vals[j].secret_group, vals[j].secret_key, where))
        rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    }
  }
  return rc;
}

int floe_secrets_validate(const floe_project *p, floe_arena *a, floe_vec *warnings, floe_err *err) {
  floe_vec refs = {0};
  floe_secrets *s = NULL;
  int rc = floe_secrets_project_refs(p, a, &refs, err);
  if (!rc) rc = floe_secrets_open(p, &s, err);
  for (size_t i = 0; !rc && i < refs.len; i++) {
    const floe_secret_ref *r = refs.items[i];
    const void *v;
    size_t len;
    floe_err e2 = {0};
    char *w;
    if (floe_secrets_resolve_bytes(s, r->group, r->key, &v, &len, NULL, &e2) == 0) {
      if (len >= FLOE_SECRET_MIN_LEN) continue;
      w = floe_arena_printf(a, "%s: secret %s.%s is shorter than %d bytes, so floe does not redact it (masking it "
                            "everywhere would reveal it); use a longer value", r->where, r->group, r->key,
                            FLOE_SECRET_MIN_LEN);
    } else {
      w = floe_arena_printf(a, "%s: %s", r->where, e2.msg);
    }
    if (!w || floe_vec_push(warnings, w)) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  floe_secrets_close(s);
  floe_vec_free(&refs);
  return rc;
}

size_t floe_secrets_preload(floe_secrets *s, const floe_project *p) {
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_vec refs = {0};
  size_t ok = 0;
  if (floe_secrets_project_refs(p, &a, &refs, NULL) == 0) {
    for (size_t i = 0; i < refs.len; i++) {
      const floe_secret_ref *r = refs.items[i];
      const void *v;
      size_t len;
      if (floe_secrets_resolve_bytes(s, r->group, r->key, &v, &len, NULL, NULL) == 0) ok++;
    }
  }
  floe_vec_free(&refs);
  floe_arena_free(&a);
  return ok;
}
