/* redact.c — replaces every registered secret value by "********" in text floe writes or prints,
 * in one pass (longest match first), and a streaming form for output that arrives in chunks. */
#include "floe/secrets.h"
#include "secrets_int.h"
#include <sodium.h>
#include <string.h>

#define MASK "********"

/* Longest registered value that starts at p and fits in avail; *prefix_of_longer is set when
 * p[0..avail) is a proper prefix of some value (the stream must wait for more bytes). */
static size_t match_at(const floe_secrets *s, const char *p, size_t avail, bool *prefix_of_longer) {
  size_t best = 0;
  if (prefix_of_longer) *prefix_of_longer = false;
  if (!s->first[(unsigned char)p[0]]) return 0;
  for (size_t i = 0; i < s->redact.len; i++) {
    const secret_val *v = s->redact.items[i];
    if (v->len <= avail) {
      if (v->len > best && !memcmp(p, v->bytes, v->len)) best = v->len;
    } else if (prefix_of_longer && !memcmp(p, v->bytes, avail)) {
      *prefix_of_longer = true;
    }
  }
  return best;
}

/* Redacts in[0..len); when stream is true, stops at the first position whose tail could still
 * become a secret and returns how many bytes were consumed. */
static int redact_span(const floe_secrets *s, const char *in, size_t len, bool stream, floe_buf *out, size_t *used) {
  size_t i = 0, lit = 0; /* in[lit..i) is pending literal output */
  while (i < len) {
    bool partial = false;
    size_t m = match_at(s, in + i, len - i, stream ? &partial : NULL);
    if (partial) break; /* a longer secret may continue in the next chunk: wait for it */
    if (m) {
      if (floe_buf_append(out, in + lit, i - lit) || floe_buf_puts(out, MASK)) return FLOE_ENOMEM;
      i += m;
      lit = i;
      continue;
    }
    i++;
  }
  if (floe_buf_append(out, in + lit, i - lit)) return FLOE_ENOMEM;
  if (used) *used = i;
  return 0;
}

int floe_secrets_redact(const floe_secrets *s, const char *in, size_t len, floe_buf *out) {
  if (!s || !s->redact.len) return floe_buf_append(out, in, len);
  return redact_span(s, in, len, false, out, NULL);
}

void floe_redactor_init(floe_redactor *r, const floe_secrets *s) {
  r->s = s;
  floe_buf_init(&r->pending, 0);
}

int floe_secrets_redact_stream(const floe_secrets *s, floe_buf *pending, bool eof, floe_buf *out) {
  size_t used = pending->len;
  int rc;
  if (!s || !s->redact.len) rc = floe_buf_append(out, pending->p, pending->len);
  else rc = redact_span(s, pending->p, pending->len, !eof, out, &used);
  if (rc) return rc;
  if (!pending->p) return 0;
  memmove(pending->p, pending->p + used, pending->len - used);
  sodium_memzero(pending->p + (pending->len - used), used);
  pending->len -= used;
  pending->p[pending->len] = 0;
  return 0;
}

int floe_redactor_write(floe_redactor *r, const char *in, size_t len, floe_buf *out) {
  if (floe_buf_append(&r->pending, in, len)) return FLOE_ENOMEM;
  return floe_secrets_redact_stream(r->s, &r->pending, false, out);
}

int floe_redactor_flush(floe_redactor *r, floe_buf *out) {
  int rc = floe_secrets_redact_stream(r->s, &r->pending, true, out);
  floe_buf_reset(&r->pending);
  return rc;
}

void floe_redactor_free(floe_redactor *r) {
  if (r->pending.p) sodium_memzero(r->pending.p, r->pending.cap);
  floe_buf_free(&r->pending);
}
