/* stub_tmp.c — TEMPORARY minimal resolver (environment only) until src/secrets/ lands; delete then. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/secrets.h"
struct floe_secrets { const char *prefix; floe_vec vals; };
int floe_secrets_open(const floe_project *p, floe_secrets **out, floe_err *err) {
  floe_secrets *s = floe_calloc(1, sizeof *s);
  if (!s) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  s->prefix = p && p->secrets_prefix ? p->secrets_prefix : "dagster";
  *out = s;
  return 0;
}
void floe_secrets_close(floe_secrets *s) {
  if (!s) return;
  for (size_t i = 0; i < s->vals.len; i++) floe_free(s->vals.items[i]);
  floe_vec_free(&s->vals);
  floe_free(s);
}
int floe_secrets_resolve(floe_secrets *s, const char *group, const char *key, const char **value, floe_err *err) {
  char name[512];
  snprintf(name, sizeof name, "%s__%s__%s", s->prefix, group, key);
  for (char *c = name; *c; c++) *c = (char)toupper((unsigned char)*c);
  const char *v = getenv(name);
  if (!v || !*v) return floe_err_set(err, FLOE_ESECRET, "secret %s.%s not found: tried environment variable %s", group, key, name);
  char *d = floe_strdup(v);
  if (!d || floe_vec_push(&s->vals, d)) { floe_free(d); return floe_err_set(err, FLOE_ENOMEM, "out of memory"); }
  *value = d;
  return 0;
}
int floe_value_resolve(floe_secrets *s, const floe_value *v, const char **out, floe_err *err) {
  if (v->literal) { *out = v->literal; return 0; }
  return floe_secrets_resolve(s, v->secret_group, v->secret_key, out, err);
}
int floe_secrets_redact(const floe_secrets *s, const char *in, size_t len, floe_buf *out) {
  size_t i = 0;
  while (i < len) {
    size_t best = 0;
    for (size_t k = 0; s && k < s->vals.len; k++) {
      const char *v = s->vals.items[k]; size_t vl = strlen(v);
      if (vl && vl <= len - i && !memcmp(in + i, v, vl) && vl > best) best = vl;
    }
    if (best) { if (floe_buf_puts(out, "********")) return FLOE_ENOMEM; i += best; }
    else { if (floe_buf_putc(out, in[i])) return FLOE_ENOMEM; i++; }
  }
  return 0;
}
size_t floe_secrets_count(const floe_secrets *s) { return s ? s->vals.len : 0; }
