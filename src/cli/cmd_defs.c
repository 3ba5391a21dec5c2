/* cmd_defs.c — `floe init`, `floe defs validate|list`, `floe job list`: thin printers over src/defs/. */
#include "cli.h"
#include "floe/ingest.h"
#include "floe/secrets.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_name(floe_asset_kind k) {
  switch (k) {
  case FLOE_ASSET_COMMAND: return "command";
  case FLOE_ASSET_INGEST: return "ingest";
  case FLOE_ASSET_MODEL: return "model";
  }
  return "?";
}

static void print_warnings(const floe_project *p) {
  for (size_t i = 0; i < p->warnings.len; i++)
    fprintf(stderr, "floe: warning: %s\n", (const char *)p->warnings.items[i]);
}

int cmd_init(floe_cli *c) {
  if (cli_positionals(c, 1, 1) < 0) return 2;
  floe_err err = {0};
  if (floe_project_init(c->argv[0], &err)) return cli_fail(&err);
  printf("created project in %s\n  floe.yaml\n  assets/example.yaml\n  .gitignore\nnext: cd %s && floe defs validate\n",
         c->argv[0], c->argv[0]);
  return 0;
}

int cmd_defs_validate(floe_cli *c) {
  if (cli_positionals(c, 0, 0) < 0) return 2;
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  print_warnings(p);
  floe_vec fw = {0};
  floe_err ferr = {0};
  if (floe_ingest_source_warnings(p, &p->arena, &fw, &ferr)) fprintf(stderr, "floe: warning: %s\n", ferr.msg);
  for (size_t i = 0; i < fw.len; i++) fprintf(stderr, "floe: warning: %s\n", (const char *)fw.items[i]);
  floe_vec_free(&fw);
  /* secret references are resolved when steps run; here an unresolvable one is only a warning */
  floe_vec sw = {0};
  floe_err serr = {0};
  if (floe_secrets_validate(p, &p->arena, &sw, &serr) == 0) {
    for (size_t i = 0; i < sw.len; i++) fprintf(stderr, "floe: warning: %s\n", (const char *)sw.items[i]);
  } else {
    fprintf(stderr, "floe: warning: secrets: %s\n", serr.msg);
  }
  floe_vec_free(&sw);
  printf("ok: %zu asset%s, %zu job%s, %zu schedule%s\n", p->nassets, p->nassets == 1 ? "" : "s", p->njobs,
         p->njobs == 1 ? "" : "s", p->nschedules, p->nschedules == 1 ? "" : "s");
  return 0;
}

static json_t *str_array(const char *const *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static json_t *asset_json(const floe_asset *a) {
  json_t *o = json_object(), *tags = json_object();
  json_object_set_new(o, "key", json_string(a->key));
  json_object_set_new(o, "kind", json_string(kind_name(a->kind)));
  json_object_set_new(o, "group", json_string(a->group));
  json_object_set_new(o, "deps", str_array(a->deps, a->ndeps));
  for (size_t i = 0; i < a->ntags; i++)
    json_object_set_new(tags, a->tags[i].key, json_string(a->tags[i].value));
  json_object_set_new(o, "tags", tags);
  json_object_set_new(o, "owners", str_array(a->owners, a->nowners));
  json_object_set_new(o, "description", a->description ? json_string(a->description) : json_null());
  json_object_set_new(o, "table", a->table ? json_string(a->table) : json_null());
  return o;
}

/* `defs list [--json] [--select SEL]`: assets in dependency order (upstream first). */
int cmd_defs_list(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  const char *sel = cli_opt(c, "--select");
  if (cli_positionals(c, 0, 0) < 0) return 2;
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  bool *mask = calloc(p->nassets ? p->nassets : 1, 1);
  floe_err err = {0};
  if (!mask) {
    floe_err_set(&err, FLOE_ENOMEM, "out of memory");
    rc = cli_fail(&err);
    goto out;
  }
  if (sel && floe_select(p, sel, mask, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  if (!sel) memset(mask, 1, p->nassets);
  if (as_json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < p->nassets; i++)
      if (mask[p->topo[i]]) json_array_append_new(arr, asset_json(p->assets[p->topo[i]]));
    char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) printf("%s\n", s);
    free(s);
    json_decref(arr);
    goto out;
  }
  int wk = 3, wkind = 4, wg = 5;
  for (size_t i = 0; i < p->nassets; i++) {
    const floe_asset *a = p->assets[i];
    if (!mask[i]) continue;
    if ((int)strlen(a->key) > wk) wk = (int)strlen(a->key);
    if ((int)strlen(kind_name(a->kind)) > wkind) wkind = (int)strlen(kind_name(a->kind));
    if ((int)strlen(a->group) > wg) wg = (int)strlen(a->group);
  }
  printf("%-*s  %-*s  %-*s  %s\n", wk, "KEY", wkind, "KIND", wg, "GROUP", "DEPS");
  for (size_t i = 0; i < p->nassets; i++) {
    const floe_asset *a = p->assets[p->topo[i]];
    if (!mask[a->index]) continue;
    printf("%-*s  %-*s  %-*s  ", wk, a->key, wkind, kind_name(a->kind), wg, a->group);
    for (size_t j = 0; j < a->ndeps; j++)
      printf("%s%s", j ? ", " : "", a->deps[j]);
    printf("%s\n", a->ndeps ? "" : "-");
  }
out:
  free(mask);
  return rc;
}

int cmd_job_list(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  if (cli_positionals(c, 0, 0) < 0) return 2;
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  bool *mask = calloc(p->nassets ? p->nassets : 1, 1);
  size_t *counts = calloc(p->njobs ? p->njobs : 1, sizeof *counts);
  floe_err err = {0};
  if (!mask || !counts) {
    floe_err_set(&err, FLOE_ENOMEM, "out of memory");
    rc = cli_fail(&err);
    goto out;
  }
  int wn = 4, ws = 9;
  for (size_t i = 0; i < p->njobs; i++) {
    const floe_job *j = p->jobs[i];
    if (floe_select(p, j->selection, mask, &err)) { /* validated at load: cannot fail but for memory */
      rc = cli_fail(&err);
      goto out;
    }
    for (size_t k = 0; k < p->nassets; k++)
      counts[i] += mask[k];
    if ((int)strlen(j->name) > wn) wn = (int)strlen(j->name);
    if ((int)strlen(j->selection) > ws) ws = (int)strlen(j->selection);
  }
  if (as_json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < p->njobs; i++) {
      json_t *o = json_object();
      json_object_set_new(o, "name", json_string(p->jobs[i]->name));
      json_object_set_new(o, "selection", json_string(p->jobs[i]->selection));
      json_object_set_new(o, "assets", json_integer((json_int_t)counts[i]));
      json_object_set_new(o, "description",
                          p->jobs[i]->description ? json_string(p->jobs[i]->description) : json_null());
      json_array_append_new(arr, o);
    }
    char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) printf("%s\n", s);
    free(s);
    json_decref(arr);
    goto out;
  }
  printf("%-*s  %-*s  %s\n", wn, "NAME", ws, "SELECTION", "ASSETS");
  for (size_t i = 0; i < p->njobs; i++)
    printf("%-*s  %-*s  %zu\n", wn, p->jobs[i]->name, ws, p->jobs[i]->selection, counts[i]);
out:
  free(mask);
  free(counts);
  return rc;
}
