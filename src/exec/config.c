/* config.c — run config validation against a job's declared schema.
 *
 * A job declares the config its ops accept (types: string, int, float, bool, list, map, any):
 *   config: {sqlmesh_project: {restate_models: list, skip_tests: bool}}
 * and run config has the launchpad's shape:
 *   ops: {sqlmesh_project: {config: {restate_models: [a, b], skip_tests: false}}}
 * Every unknown op or key and every wrong type is an error at its file:line:col. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/exec.h"

static const char *const run_config_top[] = {"ops", "execution", "resources", "loggers", NULL};

static bool scalar_is(const floe_node *n, const char *type) {
  if (!strcmp(type, "any")) return true;
  if (!strcmp(type, "list")) return n->type == FLOE_NODE_SEQ;
  if (!strcmp(type, "map")) return n->type == FLOE_NODE_MAP;
  if (n->type != FLOE_NODE_SCALAR || floe_node_is_null(n)) return false;
  if (!strcmp(type, "string")) return true;
  if (n->quoted) return false;
  char *end;
  if (!strcmp(type, "int")) {
    strtoll(n->str, &end, 10);
    return *n->str && !*end;
  }
  if (!strcmp(type, "float")) {
    strtod(n->str, &end);
    return *n->str && !*end;
  }
  if (!strcmp(type, "bool"))
    return !strcmp(n->str, "true") || !strcmp(n->str, "false") || !strcmp(n->str, "True") || !strcmp(n->str, "False");
  return false;
}

static int at(floe_err *err, const floe_node *n, const char *path, const char *fmt, const char *a, const char *b) {
  char found[128], what[512];
  snprintf(what, sizeof what, fmt, a, b);
  return floe_err_set(err, FLOE_EINPUT, "%s:%d:%d: %s: %s; found %s", n->file ? n->file : "run config", n->line,
                      n->col, path, what, floe_node_describe(n, found, sizeof found));
}

static bool listed(const char *const *names, const char *s) {
  for (; names && *names; names++)
    if (!strcmp(*names, s)) return true;
  return false;
}

int floe_config_validate(const floe_node *schema, const char *const *ops_allowed, const floe_node *root,
                         floe_err *err) {
  if (!root) return 0;
  if (root->type != FLOE_NODE_MAP) return at(err, root, "(top level)", "expected a mapping with %s%s", "ops", "");
  for (size_t i = 0; i < root->len; i++) {
    bool known = false;
    for (const char *const *k = run_config_top; *k; k++) known |= !strcmp(*k, root->keys[i]);
    if (!known)
      return at(err, root->key_nodes[i], root->keys[i], "unknown key; expected one of %s%s",
                "ops, execution, resources, loggers", "");
  }
  const floe_node *ops = floe_node_get(root, "ops");
  if (!ops || floe_node_is_null(ops)) return 0;
  if (ops->type != FLOE_NODE_MAP) return at(err, ops, "ops", "expected a mapping of op name to %s%s", "{config: ...}", "");
  for (size_t i = 0; i < ops->len; i++) {
    const char *op = ops->keys[i];
    char path[512];
    snprintf(path, sizeof path, "ops.%s", op);
    if (!schema) {
      /* no declared schema: config for any op (asset) the job runs, keys free-form (e.g. start/end) */
      if (!listed(ops_allowed, op))
        return at(err, ops->key_nodes[i], path, "unknown op '%s': expected an asset this job runs%s", op,
                  " (or declare `config:` on the job in floe.yaml)");
      continue;
    }
    const floe_node *ops_schema = floe_node_get(schema, "ops");
    const floe_node *op_schema = floe_node_get(ops_schema ? ops_schema : schema, op);
    if (!op_schema) return at(err, ops->key_nodes[i], path, "unknown op '%s' for this job%s", op, "");
    const floe_node *opn = ops->items[i];
    if (floe_node_is_null(opn)) continue;
    if (opn->type != FLOE_NODE_MAP) return at(err, opn, path, "expected a mapping with %s%s", "config", "");
    const floe_node *cfg = NULL;
    for (size_t j = 0; j < opn->len; j++) {
      if (strcmp(opn->keys[j], "config"))
        return at(err, opn->key_nodes[j], path, "unknown key '%s'; expected %s", opn->keys[j], "config");
      cfg = opn->items[j];
    }
    if (!cfg || floe_node_is_null(cfg)) continue;
    const floe_node *fields = floe_node_get(op_schema, "config");
    if (!fields || fields->type != FLOE_NODE_MAP) fields = op_schema;
    if (cfg->type != FLOE_NODE_MAP) return at(err, cfg, path, "config: expected a mapping%s%s", "", "");
    for (size_t j = 0; j < cfg->len; j++) {
      char kpath[768];
      snprintf(kpath, sizeof kpath, "%s.config.%s", path, cfg->keys[j]);
      const floe_node *t = floe_node_get(fields, cfg->keys[j]);
      if (!t) {
        floe_buf names;
        floe_buf_init(&names, 0);
        for (size_t k = 0; k < fields->len; k++) floe_buf_printf(&names, "%s%s", k ? ", " : "", fields->keys[k]);
        int rc = at(err, cfg->key_nodes[j], kpath, "unknown config key; expected one of: %s%s", floe_buf_str(&names), "");
        floe_buf_free(&names);
        return rc;
      }
      const char *type = floe_node_scalar(t) ? floe_node_scalar(t) : "any";
      if (!scalar_is(cfg->items[j], type)) return at(err, cfg->items[j], kpath, "expected %s%s", type, "");
    }
  }
  return 0;
}
