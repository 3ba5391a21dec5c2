/* test_redact.c — redaction: longest match, JSON-escaped and multi-line values, and the streaming
 * redactor catching a secret split across writes at every possible boundary. */
#include "floe/secrets.h"
#include "test.h"

static char *redact(floe_secrets *s, const char *in) {
  floe_buf b;
  floe_buf_init(&b, 0);
  CHECK(floe_secrets_redact(s, in, strlen(in), &b) == 0);
  return floe_buf_take(&b);
}

int main(void) {
  floe_secrets_opts o = {.sources = (const char *const[]){"env"}, .nsources = 1};
  floe_secrets *s = NULL;
  floe_err err = {0};
  CHECK(floe_secrets_open_opts(&o, &s, &err) == 0);
  char *r = redact(s, "nothing registered");
  CHECK_STR(r, "nothing registered");
  floe_free(r);
  /* values come from resolution */
  setenv("DAGSTER__DB__PASSWORD", "pa\"ss\\word", 1);
  setenv("DAGSTER__DB__PASS", "pa\"s", 1); /* a prefix of the password, FLOE_SECRET_MIN_LEN long */
  setenv("DAGSTER__TLS__KEY", "-----BEGIN KEY-----\nAAAABBBBCCCC\nDDDD\n-----END KEY-----", 1);
  const char *v;
  CHECK(floe_secrets_resolve(s, "db", "password", &v, &err) == 0);
  CHECK(floe_secrets_resolve(s, "db", "pass", &v, &err) == 0);
  CHECK(floe_secrets_resolve(s, "tls", "key", &v, &err) == 0);
  /* the longest match wins, the short one is still caught alone */
  r = redact(s, "x pa\"ss\\word y pa\"s z");
  CHECK_STR(r, "x ******** y ******** z");
  floe_free(r);
  /* JSON-escaped form (event log) */
  r = redact(s, "{\"msg\":\"pa\\\"ss\\\\word\"}");
  CHECK_STR(r, "{\"msg\":\"********\"}");
  floe_free(r);
  /* multi-line value: whole, and each line alone */
  r = redact(s, "[step] AAAABBBBCCCC\n");
  CHECK_STR(r, "[step] ********\n");
  floe_free(r);
  r = redact(s, "-----BEGIN KEY-----\nAAAABBBBCCCC\nDDDD\n-----END KEY-----!");
  CHECK_STR(r, "********!");
  floe_free(r);
  /* extra values */
  CHECK(floe_secrets_add_redaction(s, "tok_123456", 10) == 0);
  r = redact(s, "Bearer tok_123456.");
  CHECK_STR(r, "Bearer ********.");
  floe_free(r);

  /* streaming: split "secret tok_123456 and pa\"ss\\word end" at every boundary */
  const char *text = "a tok_123456 b pa\"ss\\word c tok_12345 d";
  char *whole = redact(s, text);
  size_t tl = strlen(text);
  for (size_t cut1 = 0; cut1 <= tl; cut1++) {
    for (size_t cut2 = cut1; cut2 <= tl; cut2 += 3) {
      floe_redactor rd;
      floe_redactor_init(&rd, s);
      floe_buf out;
      floe_buf_init(&out, 0);
      CHECK(floe_redactor_write(&rd, text, cut1, &out) == 0);
      CHECK(floe_redactor_write(&rd, text + cut1, cut2 - cut1, &out) == 0);
      CHECK(floe_redactor_write(&rd, text + cut2, tl - cut2, &out) == 0);
      CHECK(floe_redactor_flush(&rd, &out) == 0);
      if (strcmp(floe_buf_str(&out), whole)) {
        fprintf(stderr, "cut %zu/%zu: got %s want %s\n", cut1, cut2, floe_buf_str(&out), whole);
        test_failures++;
      }
      floe_buf_free(&out);
      floe_redactor_free(&rd);
    }
  }
  CHECK(strstr(whole, "tok_123456") == NULL && strstr(whole, "word") == NULL);
  floe_free(whole);
  /* byte-at-a-time */
  floe_redactor rd;
  floe_redactor_init(&rd, s);
  floe_buf out;
  floe_buf_init(&out, 0);
  const char *t2 = "log: tok_123456\nlog: done\n";
  for (size_t i = 0; t2[i]; i++)
    CHECK(floe_redactor_write(&rd, t2 + i, 1, &out) == 0);
  CHECK(floe_redactor_flush(&rd, &out) == 0);
  CHECK_STR(floe_buf_str(&out), "log: ********\nlog: done\n");
  floe_buf_free(&out);
  floe_redactor_free(&rd);
  floe_secrets_close(s);
  TEST_MAIN_END();
}
