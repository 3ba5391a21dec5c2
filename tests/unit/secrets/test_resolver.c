/* test_resolver.c — the resolver chain: naming, source order, .env vs environment precedence,
 * keystore, errors that name every source tried, value resolution and project references. */
#include "floe/resources.h"
#include "floe/secrets.h"
#include "test.h"
#include <unistd.h>

static char dir[256];

static void write_file(const char *name, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  fputs(text, f);
  fclose(f);
}

static floe_secrets *open_with(const char *const *sources, size_t n, bool override_env) {
  char envp[512], ksp[512];
  snprintf(envp, sizeof envp, "%s/.env", dir);
  snprintf(ksp, sizeof ksp, "%s/keystore", dir);
  floe_secrets_opts o = {.prefix = "dagster",
                         .env_file = envp,
                         .override_env = override_env,
                         .sources = sources,
                         .nsources = n,
                         .keystore_path = ksp};
  floe_secrets *s = NULL;
  floe_err err = {0};
  int rc = floe_secrets_open_opts(&o, &s, &err);
  if (rc) fprintf(stderr, "open: %s\n", err.msg);
  CHECK(rc == 0);
  return s;
}

static const char *res(floe_secrets *s, const char *g, const char *k, const char **src) {
  const void *v = NULL;
  size_t len;
  floe_err err = {0};
  if (floe_secrets_resolve_bytes(s, g, k, &v, &len, src, &err)) return NULL;
  return v;
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/floe-test-resolver.XXXXXX");
  CHECK(mkdtemp(dir) != NULL);
  floe_err err = {0};
  char name[256];

  /* naming: PREFIX__GROUP__KEY upper-cased */
  CHECK(floe_secrets_env_name("dagster", "clickhouse", "password", name, sizeof name, &err) == 0);
  CHECK_STR(name, "DAGSTER__CLICKHOUSE__PASSWORD");
  CHECK(floe_secrets_env_name("oso", "Gcp", "project_id", name, sizeof name, &err) == 0);
  CHECK_STR(name, "OSO__GCP__PROJECT_ID");
  CHECK(floe_secrets_env_name("dagster", "bad-group", "k", name, sizeof name, &err) == FLOE_EINPUT);
  char g[64], k[64];
  CHECK(floe_secrets_split_ref("github.token", g, k, sizeof g, &err) == 0);
  CHECK_STR(g, "github");
  CHECK_STR(k, "token");
  CHECK(floe_secrets_split_ref("nodot", g, k, sizeof g, &err) == FLOE_EINPUT);
  CHECK(floe_secrets_split_ref("a.b.c", g, k, sizeof g, &err) == FLOE_EINPUT);
  CHECK(floe_secrets_split_ref(".b", g, k, sizeof g, &err) == FLOE_EINPUT);

  /* keystore with two entries, one also in env and .env */
  setenv("FLOE_KEYSTORE_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 1);
  floe_keystore_cred cred;
  CHECK(floe_keystore_cred_from_env(&cred, &err) == 0 && cred.kind == 1);
  char ksp[512];
  snprintf(ksp, sizeof ksp, "%s/keystore", dir);
  CHECK(floe_keystore_update(ksp, &cred, "clickhouse.password", "from-keystore", 13, &err) == 0);
  CHECK(floe_keystore_update(ksp, &cred, "only.keystore", "ks-only-value", 13, &err) == 0);
  write_file(".env", "DAGSTER__CLICKHOUSE__PASSWORD=from-dotenv\nDAGSTER__ONLY__DOTENV=dotenv-only-value\n"
                     "DAGSTER__EMPTY__VALUE=\n");
  setenv("DAGSTER__CLICKHOUSE__PASSWORD", "from-environ", 1);
  unsetenv("DAGSTER__MISSING__KEY");

  /* default chain: env (environment first, then .env), then keystore */
  floe_secrets *s = open_with(NULL, 0, false);
  const char *src = NULL;
  CHECK_STR(res(s, "clickhouse", "password", &src), "from-environ");
  CHECK_CONTAINS(src, "environment variable DAGSTER__CLICKHOUSE__PASSWORD");
  CHECK_STR(res(s, "only", "dotenv", &src), "dotenv-only-value");
  CHECK_CONTAINS(src, ".env file");
  CHECK_STR(res(s, "only", "keystore", &src), "ks-only-value");
  CHECK_CONTAINS(src, "keystore ");
  CHECK_STR(res(s, "ONLY", "KEYSTORE", &src), "ks-only-value"); /* case-insensitive */
  /* missing: the error names the variable and every source, in order */
  const char *v = NULL;
  CHECK(floe_secrets_resolve(s, "missing", "key", &v, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "missing.key");
  CHECK_CONTAINS(err.msg, "DAGSTER__MISSING__KEY");
  CHECK_CONTAINS(err.msg, "environment variable DAGSTER__MISSING__KEY (not set), .env file ");
  CHECK_CONTAINS(err.msg, "(not set), keystore ");
  CHECK(v == NULL);
  /* empty is an error, never a silent "" */
  CHECK(floe_secrets_resolve(s, "empty", "value", &v, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "set but empty");
  setenv("DAGSTER__EMPTY__ENV", "", 1);
  CHECK(floe_secrets_resolve(s, "empty", "env", &v, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "environment variable DAGSTER__EMPTY__ENV (set but empty)");
  /* resolved values are redacted */
  CHECK(floe_secrets_count(s) >= 3);
  floe_buf b;
  floe_buf_init(&b, 0);
  const char *line = "pw=from-environ ks=ks-only-value other=dotenv-only-value!";
  CHECK(floe_secrets_redact(s, line, strlen(line), &b) == 0);
  CHECK_STR(floe_buf_str(&b), "pw=******** ks=******** other=********!");
  floe_buf_free(&b);
  CHECK(floe_secrets_current() == s);
  floe_secrets_close(s);
  CHECK(floe_secrets_current() == NULL);

  /* override_env: .env wins over the environment */
  s = open_with(NULL, 0, true);
  CHECK_STR(res(s, "clickhouse", "password", &src), "from-dotenv");
  floe_secrets_close(s);

  /* keystore first */
  const char *ks_first[] = {"keystore", "env"};
  s = open_with(ks_first, 2, false);
  CHECK_STR(res(s, "clickhouse", "password", &src), "from-keystore");
  CHECK(floe_secrets_resolve(s, "missing", "key", &v, &err) == FLOE_ESECRET);
  CHECK(strstr(err.msg, "keystore") < strstr(err.msg, "environment variable")); /* order as configured */
  floe_secrets_close(s);

  /* env only: the keystore is not consulted */
  const char *env_only[] = {"env"};
  s = open_with(env_only, 1, false);
  CHECK(res(s, "only", "keystore", &src) == NULL);
  CHECK(floe_secrets_resolve(s, "only", "keystore", &v, &err) == FLOE_ESECRET);
  CHECK(strstr(err.msg, "keystore /") == NULL);
  floe_secrets_close(s);

  /* unknown source */
  const char *bogus[] = {"vault"};
  floe_secrets_opts o = {.sources = bogus, .nsources = 1};
  CHECK(floe_secrets_open_opts(&o, &s, &err) == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, "vault");

  /* a wrong keystore key: the env source still answers, a keystore-only secret names the problem */
  setenv("FLOE_KEYSTORE_KEY", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 1);
  s = open_with(NULL, 0, false);
  CHECK_STR(res(s, "clickhouse", "password", &src), "from-environ");
  CHECK(floe_secrets_resolve(s, "only", "keystore", &v, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "wrong key");
  floe_secrets_close(s);
  setenv("FLOE_KEYSTORE_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 1);

  /* malformed .env is an error at open, naming file and line */
  write_file(".env", "A=1\nB\n");
  char envp[512];
  snprintf(envp, sizeof envp, "%s/.env", dir);
  floe_secrets_opts o2 = {.env_file = envp};
  CHECK(floe_secrets_open_opts(&o2, &s, &err) == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, ".env:2:");
  /* a missing .env is fine */
  unlink(envp);
  CHECK(floe_secrets_open_opts(&o2, &s, &err) == 0);
  CHECK(floe_secrets_resolve(s, "missing", "key", &v, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "(no such file)");
  floe_secrets_close(s);

  /* a hand-built project: prefix, values, resources and their references */
  floe_project p = {0};
  floe_arena_init(&p.arena, 0);
  p.dir = dir;
  char home[300];
  snprintf(home, sizeof home, "%s/home", dir);
  p.home = home;
  p.secrets_prefix = "oso";
  setenv("OSO__GITHUB__TOKEN", "ghp_secret_token", 1);
  setenv("OSO__CLICKHOUSE__HOST", "http://127.0.0.1:1", 1);
  setenv("OSO__CLICKHOUSE__USER", "reader", 1);
  unsetenv("OSO__CLICKHOUSE__PASSWORD");
  floe_asset a = {0};
  floe_kv env[2] = {{"TOKEN", {.secret_group = "github", .secret_key = "token"}}, {"PLAIN", {.literal = "x"}}};
  const char *resources[] = {"clickhouse"};
  a.key = "github_events";
  a.env = env;
  a.nenv = 2;
  a.resources = resources;
  a.nresources = 1;
  floe_asset *assets[] = {&a};
  p.assets = assets;
  p.nassets = 1;
  floe_resource r = {.name = "clickhouse", .type = "clickhouse"};
  floe_resource *rs[] = {&r};
  p.resources = rs;
  p.nresources = 1;
  CHECK(floe_secrets_open(&p, &s, &err) == 0);
  CHECK(floe_value_resolve(s, &env[0].value, &v, &err) == 0);
  CHECK_STR(v, "ghp_secret_token");
  CHECK(floe_value_resolve(s, &env[1].value, &v, &err) == 0);
  CHECK_STR(v, "x");
  floe_vec refs = {0};
  floe_arena ar;
  floe_arena_init(&ar, 0);
  CHECK(floe_secrets_project_refs(&p, &ar, &refs, &err) == 0);
  CHECK(refs.len == 4); /* github.token + clickhouse host/user/password defaults */
  floe_vec warnings = {0};
  CHECK(floe_secrets_validate(&p, &ar, &warnings, &err) == 0);
  CHECK(warnings.len == 1);
  if (warnings.len) CHECK_CONTAINS(warnings.items[0], "OSO__CLICKHOUSE__PASSWORD");
  /* env for a command asset: the password is missing -> the step fails with the resolver's error */
  floe_vec ev = {0};
  CHECK(floe_resource_env(s, &p, &a, &ev, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "OSO__CLICKHOUSE__PASSWORD");
  for (size_t i = 0; i < ev.len; i++)
    floe_free(ev.items[i]);
  floe_vec_free(&ev);
  setenv("OSO__CLICKHOUSE__PASSWORD", "chpw", 1);
  CHECK(floe_resource_env(s, &p, &a, &ev, &err) == 0);
  CHECK(ev.len == 5);
  bool saw = false;
  for (size_t i = 0; i < ev.len; i++) {
    saw |= !strcmp(ev.items[i], "CLICKHOUSE_PASSWORD=chpw");
    floe_free(ev.items[i]);
  }
  CHECK(saw);
  floe_vec_free(&ev);
  CHECK(floe_secrets_preload(s, &p) == 4);
  floe_vec_free(&warnings);
  floe_vec_free(&refs);
  floe_arena_free(&ar);
  floe_secrets_close(s);
  floe_arena_free(&p.arena);

  unsetenv("FLOE_KEYSTORE_KEY");
  floe_rmtree(dir);
  TEST_MAIN_END();
}
