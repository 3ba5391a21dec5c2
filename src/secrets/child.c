/* child.c — the environment of every program floe starts (a command asset, a command source, an http_json
 * serve helper): floe's own environment without the variables that carry secrets or floe's internals, plus
 * exactly what the caller asked for. One function, so that no spawner can forget a variable.
 *
 * Redaction of what such programs print is the run worker's job (every step's stdout, stderr and events
 * pass through it, and a source's child writes into the step's streams). */
#include "floe/secrets.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

/* Variables no child gets, whatever starts it: the keystore credentials and floe's private channel to its
 * own re-executions (FLOE__*). */
static const char *const always_drop[] = {"FLOE_KEYSTORE_", "FLOE__"};

/* Whether e ("NAME=value") is named by one of set's "NAME=value" strings. */
static bool named_in(const char *e, const char *const *set, size_t nset) {
  const char *eq = strchr(e, '=');
  size_t n = eq ? (size_t)(eq - e) : strlen(e);
  for (size_t i = 0; i < nset; i++)
    if (set[i] && !strncmp(set[i], e, n) && set[i][n] == '=') return true;
  return false;
}

static const char *secrets_prefix_or(const char *p) { return p ? p : "dagster"; }

/* Whether e ("NAME=value") could be a secret read without a prefix: GROUP__KEY, a "__" after the name's
 * first byte and before its '='. */
static bool unprefixed_secret_name(const char *e) {
  const char *eq = strchr(e, '='), *u = strstr(e + (*e ? 1 : 0), "__");
  return u && (!eq || u < eq);
}

int floe_secrets_child_env(const char *secrets_prefix, const char *const *drop, const char *const *set, size_t nset,
                           floe_arena *a, char ***out, size_t *nout, floe_err *err) {
  char prefix[128];
  /* NULL: the default prefix; "": no prefix, so secrets are read from GROUP__KEY (src/secrets/resolver.c)
   * and any variable named X__Y may be one */
  int w = snprintf(prefix, sizeof prefix, "%s__", secrets_prefix ? secrets_prefix : "dagster");
  if (w < 0 || (size_t)w >= sizeof prefix) return floe_err_set(err, FLOE_EINPUT, "secrets.prefix is too long");
  for (char *c = prefix; *c; c++) *c = (char)toupper((unsigned char)*c);
  size_t n = 0;
  while (environ[n]) n++;
  char **env = floe_arena_alloc(a, sizeof(char *) * (n + nset + 1));
  if (!env) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char *e = environ[i];
    bool skip = (*secrets_prefix_or(secrets_prefix) ? floe_str_starts(e, prefix) : unprefixed_secret_name(e)) ||
                named_in(e, set, nset);
    for (size_t j = 0; !skip && j < sizeof always_drop / sizeof always_drop[0]; j++) skip = floe_str_starts(e, always_drop[j]);
    for (size_t j = 0; !skip && drop && drop[j]; j++) skip = floe_str_starts(e, drop[j]);
    if (!skip) env[k++] = (char *)e;
  }
  for (size_t i = 0; i < nset; i++)
    if (set[i]) env[k++] = (char *)set[i];
  env[k] = NULL;
  *out = env;
  if (nout) *nout = k;
  return 0;
}
