/* stub_tmp.c — TEMPORARY placeholders until the loader lands; delete when src/defs/ is implemented. */
#include "floe/defs.h"
int floe_project_load(const char *dir, floe_project **out, floe_err *err) {
  (void)dir; *out = NULL;
  return floe_err_set(err, FLOE_EUNSUPPORTED, "project loading not implemented yet");
}
int floe_project_load_strings(const char *dir, const char *y, const char *const *a, floe_project **out, floe_err *err) {
  (void)dir; (void)y; (void)a; *out = NULL;
  return floe_err_set(err, FLOE_EUNSUPPORTED, "project loading not implemented yet");
}
void floe_project_free(floe_project *p) { (void)p; }
floe_asset *floe_project_asset(const floe_project *p, const char *key) { return floe_map_get(&p->by_key, key); }
floe_job *floe_project_job(const floe_project *p, const char *name) { (void)p; (void)name; return NULL; }
int floe_select(const floe_project *p, const char *s, bool *mask, floe_err *err) { (void)p; (void)s; (void)mask;
  return floe_err_set(err, FLOE_EUNSUPPORTED, "not implemented"); }
int floe_project_init(const char *dir, floe_err *err) { (void)dir; return floe_err_set(err, FLOE_EUNSUPPORTED, "not implemented"); }
int floe_project_find(const char *d, const char **o, floe_err *err) { (void)d; *o = "."; (void)err; return 0; }
const floe_node *floe_node_get(const floe_node *m, const char *k) { (void)m; (void)k; return NULL; }
bool floe_node_is_null(const floe_node *n) { (void)n; return true; }
