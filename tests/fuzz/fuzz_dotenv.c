/* fuzz_dotenv.c — libFuzzer target for the .env parser and redaction. The input is a .env text, then a
 * line `---`, then output text. Every .env must parse or fail with "<file>:<line>:"; every parsed value
 * is registered for redaction, and redacting the output in two chunks (split at a point taken from
 * the input) must give exactly what redacting it whole gives. */
#include "floe/secrets.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put(void *ud, const char *name, const char *value, size_t vlen, int line) {
  (void)name;
  (void)line;
  return floe_secrets_add_redaction(ud, value, vlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  size_t envlen = size;
  const char *out = "";
  size_t outlen = 0;
  char *sep = memmem(text, size, "\n---\n", 5);
  if (sep) {
    envlen = (size_t)(sep - text) + 1;
    out = sep + 5;
    outlen = size - (size_t)(out - text);
  }
  floe_secrets_opts o = {.sources = (const char *const[]){"env"}, .nsources = 1};
  floe_secrets *s = NULL;
  floe_err err = {0};
  if (floe_secrets_open_opts(&o, &s, &err)) abort();
  int rc = floe_dotenv_parse("f.env", text, envlen, put, s, &err);
  if (rc && rc != FLOE_EINPUT && rc != FLOE_ENOMEM) abort();
  if (rc == FLOE_EINPUT && strncmp(err.msg, "f.env:", 6)) abort();
  floe_buf whole, parts;
  floe_buf_init(&whole, 0);
  floe_buf_init(&parts, 0);
  if (floe_secrets_redact(s, out, outlen, &whole)) abort();
  size_t cut = outlen ? (size_t)data[0] % (outlen + 1) : 0;
  floe_redactor r;
  floe_redactor_init(&r, s);
  if (floe_redactor_write(&r, out, cut, &parts) || floe_redactor_write(&r, out + cut, outlen - cut, &parts) ||
      floe_redactor_flush(&r, &parts))
    abort();
  if (whole.len != parts.len || memcmp(floe_buf_str(&whole), floe_buf_str(&parts), whole.len)) abort();
  floe_redactor_free(&r);
  floe_buf_free(&whole);
  floe_buf_free(&parts);
  floe_secrets_close(s);
  free(text);
  return 0;
}
