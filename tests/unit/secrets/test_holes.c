/* test_holes.c — the holes redaction had (issue 8.3/8.4): a secret after a line longer than 1 MiB, split
 * across two writes; a one-byte secret turning "banana" into "b********n..."; and the environment every child
 * of floe starts from (no keystore credential, no PREFIX__* secret, no floe internals). */
#include "floe/resources.h"
#include "floe/secrets.h"
#include "test.h"

static size_t env_has(char **env, const char *prefix) {
  size_t n = 0;
  for (; *env; env++) n += !strncmp(*env, prefix, strlen(prefix));
  return n;
}

int main(void) {
  floe_secrets_opts o = {.sources = (const char *const[]){"env"}, .nsources = 1, .prefix = "oso"};
  floe_secrets *s = NULL;
  floe_err err = {0};
  CHECK(floe_secrets_open_opts(&o, &s, &err) == 0);
  const char *v;
  setenv("OSO__API__TOKEN", "Sup3rSECRETtoken", 1);
  setenv("OSO__SHORT__ONE", "a", 1);
  CHECK(floe_secrets_resolve(s, "api", "token", &v, &err) == 0);
  CHECK(floe_secrets_resolve(s, "short", "one", &v, &err) == 0 && !strcmp(v, "a")); /* handed out... */
  floe_buf b;
  floe_buf_init(&b, 0);
  CHECK(floe_secrets_redact(s, "banana", 6, &b) == 0);
  CHECK_STR(floe_buf_str(&b), "banana"); /* ...but not masked: "b********n********n********" would reveal it */
  floe_buf_free(&b);
  CHECK(floe_secrets_add_redaction(s, "xyz", 3) == 0);
  CHECK(floe_secrets_count(s) == 1);

  /* 2 MiB of 'A' without a newline, then the secret split across two writes, the way the worker drains a pipe */
  floe_buf pend, out;
  floe_buf_init(&pend, 0);
  floe_buf_init(&out, 0);
  size_t big = 2u << 20;
  char *as = malloc(big);
  memset(as, 'A', big);
  CHECK(floe_buf_append(&pend, as, big) == 0 && floe_buf_append(&pend, "Sup3rSEC", 8) == 0);
  CHECK(floe_secrets_redact_stream(s, &pend, false, &out) == 0);
  CHECK(pend.len == 8);  /* the possible start of a secret is held back, however long the line */
  CHECK(out.len == big); /* everything before it is written */
  CHECK(floe_buf_append(&pend, "RETtoken\n", 9) == 0);
  CHECK(floe_secrets_redact_stream(s, &pend, false, &out) == 0);
  CHECK(floe_secrets_redact_stream(s, &pend, true, &out) == 0);
  CHECK(pend.len == 0);
  CHECK(strstr(out.p + big - 4, "AAAA********\n") != NULL);
  CHECK(memmem(out.p, out.len, "SECRET", 6) == NULL);
  free(as);
  floe_buf_free(&pend);
  floe_buf_free(&out);

  /* connection strings: the password is registered as written and percent-decoded, before any parser runs */
  floe_secrets *c = NULL;
  CHECK(floe_secrets_open_opts(&o, &c, &err) == 0);
  CHECK(floe_secrets_add_conninfo_password(c, "postgresql://u:Sup3r%zzSECRETpw@h:1/db") == 0);
  CHECK(floe_secrets_add_conninfo_password(c, "postgres://u:p%41ssw0rd@h/db?sslmode=require") == 0);
  CHECK(floe_secrets_add_conninfo_password(c, "postgres:///db?user=u&password=Qu3ryPw&x=1") == 0);
  CHECK(floe_secrets_add_conninfo_password(c, "host=h password='it\\'s secret' dbname=x") == 0);
  CHECK(floe_secrets_add_conninfo_password(c, "host=h password = Kw0rdPw dbname=x") == 0);
  floe_buf_init(&b, 0);
  const char *t = "a Sup3r%zzSECRETpw b p%41ssw0rd c pAssw0rd d Qu3ryPw e it's secret f Kw0rdPw";
  CHECK(floe_secrets_redact(c, t, strlen(t), &b) == 0);
  CHECK_STR(floe_buf_str(&b), "a ******** b ******** c ******** d ******** e ******** f ********");
  floe_buf_free(&b);
  floe_secrets_close(c);
  /* a secret value that is a URL gets its password registered on its own */
  setenv("OSO__PG__URL", "postgresql://u:Sup3r%zzOTHERpw@h:1/db", 1);
  CHECK(floe_secrets_resolve(s, "pg", "url", &v, &err) == 0);
  floe_buf_init(&b, 0);
  CHECK(floe_secrets_redact(s, "token: \"Sup3r%zzOTHERpw\"", 25, &b) == 0);
  CHECK_STR(floe_buf_str(&b), "token: \"********\"");
  floe_buf_free(&b);
  /* the percent-encoded form (a server floe started logging its request line) */
  setenv("OSO__API__KEY", "k+y/v=l ue", 1);
  CHECK(floe_secrets_resolve(s, "api", "key", &v, &err) == 0);
  floe_buf_init(&b, 0);
  CHECK(floe_secrets_redact(s, "GET /items?key=k%2By%2Fv%3Dl%20ue&x=1", 37, &b) == 0);
  CHECK_STR(floe_buf_str(&b), "GET /items?key=********&x=1");
  floe_buf_free(&b);
  /* libpq's parse errors lose what they quote, but keep libpq's own one-character quotes */
  char m[256];
  floe_postgres_message("invalid percent-encoded token: \"Sup3r%zzSECRETpw\"\nmore", m, sizeof m);
  CHECK_STR(m, "invalid percent-encoded token: \"...\"");
  floe_postgres_message("missing \"=\" after \"SECRETpw\" in connection info string", m, sizeof m);
  CHECK_STR(m, "missing \"=\" after \"...\" in connection info string");

  /* the child environment */
  setenv("FLOE_KEYSTORE_PASSPHRASE", "correct horse", 1);
  setenv("FLOE_KEYSTORE_KEY", "00", 1);
  setenv("FLOE_KEYSTORE_KEY_FILE", "/k", 1);
  setenv("FLOE__RUN_CONFIG_TEXT", "ops: {}", 1);
  setenv("FLOE_OUTPUT", "/old", 1);
  setenv("DAGSTER__NOT__MINE", "kept: not this project's prefix", 1);
  setenv("KEEP_ME", "1", 1);
  floe_arena a;
  floe_arena_init(&a, 0);
  char **env;
  size_t n;
  const char *set[] = {"FLOE_OUTPUT=/new", "TOKEN=given"};
  const char *const drop[] = {"KEEP_", NULL};
  CHECK(floe_secrets_child_env("oso", NULL, set, 2, &a, &env, &n, &err) == 0);
  CHECK(env_has(env, "OSO__") == 0);
  CHECK(env_has(env, "FLOE_KEYSTORE_") == 0);
  CHECK(env_has(env, "FLOE__") == 0);
  CHECK(env_has(env, "FLOE_OUTPUT=") == 1 && env_has(env, "FLOE_OUTPUT=/new") == 1);
  CHECK(env_has(env, "TOKEN=given") == 1);
  CHECK(env_has(env, "KEEP_ME=1") == 1 && env_has(env, "DAGSTER__NOT__MINE=") == 1);
  CHECK(env_has(env, "PATH=") == (getenv("PATH") ? 1u : 0u));
  CHECK(env[n] == NULL);
  CHECK(floe_secrets_child_env(NULL, drop, NULL, 0, &a, &env, &n, &err) == 0);
  CHECK(env_has(env, "KEEP_ME=") == 0 && env_has(env, "DAGSTER__") == 0 && env_has(env, "OSO__API__TOKEN=") == 1);
  /* a secret JSON-escaped by Python's json.dumps (ensure_ascii) and by Go's encoding/json is caught too */
  CHECK(floe_secrets_add_redaction(s, "Pa&ss\xc3\xa9word\x7f", 12) == 0);
  floe_buf_init(&b, 0);
  CHECK(floe_secrets_redact(s, "py \"Pa&ss\\u00e9word\\u007f\" go \"Pa\\u0026ss\xc3\xa9word\x7f\"", 49, &b) == 0);
  CHECK_STR(floe_buf_str(&b), "py \"********\" go \"********\"");
  floe_buf_free(&b);

  /* secrets.prefix "": secrets are read from GROUP__KEY, so no child gets any such variable */
  setenv("DB__PASSWORD", "hunter2secret", 1);
  CHECK(floe_secrets_child_env("", NULL, NULL, 0, &a, &env, &n, &err) == 0);
  CHECK(env_has(env, "DB__PASSWORD=") == 0 && env_has(env, "OSO__API__TOKEN=") == 0 && env_has(env, "KEEP_ME=1") == 1);
  floe_arena_free(&a);
  floe_secrets_close(s);
  TEST_MAIN_END();
}
