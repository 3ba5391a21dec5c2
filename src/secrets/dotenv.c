/* dotenv.c — the .env parser: the rules python-dotenv and docker compose users expect, minus
 * variable interpolation. Error messages name file and line but never echo a value: a malformed
 * line in a .env file is usually a line holding a secret. */
#include "floe/secrets.h"
#include <ctype.h>
#include <string.h>

typedef struct cursor {
  const char *p, *end;
  int line;
} cursor;

static void skip_blank(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
    c->p++;
}

static void skip_to_eol(cursor *c) {
  while (c->p < c->end && *c->p != '\n')
    c->p++;
}

static void eat_eol(cursor *c) {
  if (c->p < c->end && *c->p == '\n') {
    c->p++;
    c->line++;
  }
}

/* After a closing quote only blanks and a comment may follow. */
static int expect_line_end(cursor *c, const char *file, int line, floe_err *err) {
  skip_blank(c);
  if (c->p < c->end && *c->p == '\r') c->p++;
  if (c->p < c->end && *c->p == '#') skip_to_eol(c);
  if (c->p < c->end && *c->p != '\n')
    return floe_err_set(err, FLOE_EINPUT, "%s:%d: unexpected text after the closing quote of the value", file, line);
  return 0;
}

int floe_dotenv_parse(const char *file, const char *text, size_t len, floe_dotenv_fn fn, void *ud, floe_err *err) {
  cursor c = {text, text + len, 1};
  floe_buf val;
  floe_buf_init(&val, 0);
  int rc = 0;
  if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) c.p += 3; /* UTF-8 BOM */
  if (!file) file = ".env";
  while (c.p < c.end) {
    int line = c.line;
    skip_blank(&c);
    if (c.p < c.end && *c.p == '\r') c.p++;
    if (c.p >= c.end || *c.p == '\n' || *c.p == '#') { /* blank line or comment */
      skip_to_eol(&c);
      eat_eol(&c);
      continue;
    }
    if ((size_t)(c.end - c.p) > 7 && !memcmp(c.p, "export", 6) && (c.p[6] == ' ' || c.p[6] == '\t')) {
      c.p += 6;
      skip_blank(&c);
    }
    const char *name = c.p;
    while (c.p < c.end && (isalnum((unsigned char)*c.p) || *c.p == '_' || *c.p == '.' || *c.p == '-'))
      c.p++;
    size_t nlen = (size_t)(c.p - name);
    char namebuf[256];
    if (nlen == 0 || isdigit((unsigned char)name[0])) {
      rc = floe_err_set(err, FLOE_EINPUT,
                        "%s:%d: expected KEY=value, where KEY is a variable name (letters, digits, _)", file, line);
      goto out;
    }
    if (nlen >= sizeof namebuf) {
      rc = floe_err_set(err, FLOE_EINPUT, "%s:%d: variable name longer than %zu characters", file, line,
                        sizeof namebuf - 1);
      goto out;
    }
    memcpy(namebuf, name, nlen);
    namebuf[nlen] = 0;
    skip_blank(&c);
    if (c.p >= c.end || *c.p != '=') {
      rc =
          floe_err_set(err, FLOE_EINPUT, "%s:%d: expected '=' after %s (lines must be KEY=value)", file, line, namebuf);
      goto out;
    }
    c.p++;
    skip_blank(&c);
    floe_buf_reset(&val);
    if (c.p < c.end && (*c.p == '\'' || *c.p == '"')) {
      char q = *c.p++;
      for (;;) {
        if (c.p >= c.end) {
          rc = floe_err_set(err, FLOE_EINPUT, "%s:%d: value of %s has no closing %s quote", file, line, namebuf,
                            q == '"' ? "double" : "single");
          goto out;
        }
        char ch = *c.p++;
        if (ch == q) break;
        if (ch == '\n') c.line++;
        if (ch == '\\' && q == '"' && c.p < c.end) {
          char e = *c.p++;
          switch (e) {
          case 'n': ch = '\n'; break;
          case 'r': ch = '\r'; break;
          case 't': ch = '\t'; break;
          case '"':
          case '\\':
          case '$':
          case '\'': ch = e; break;
          default: /* unknown escape: kept as written */
            if (floe_buf_putc(&val, '\\')) goto oom;
            if (e == '\n') c.line++;
            ch = e;
          }
        } else if (ch == '\r' && c.p < c.end && *c.p == '\n') {
          continue; /* CRLF inside a multi-line value */
        }
        if (floe_buf_putc(&val, ch)) goto oom;
      }
      if ((rc = expect_line_end(&c, file, c.line, err))) goto out;
    } else {
      const char *v = c.p;
      while (c.p < c.end && *c.p != '\n') {
        if (*c.p == '#' && c.p > v && (c.p[-1] == ' ' || c.p[-1] == '\t')) break; /* inline comment */
        c.p++;
      }
      const char *ve = c.p;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
        ve--;
      if (floe_buf_append(&val, v, (size_t)(ve - v))) goto oom;
      skip_to_eol(&c);
    }
    eat_eol(&c);
    if (fn && (rc = fn(ud, namebuf, floe_buf_str(&val), val.len, line))) {
      if (err && !err->code) floe_err_set(err, rc, "%s:%d: could not store %s", file, line, namebuf);
      goto out;
    }
  }
out:
  floe_buf_free(&val);
  return rc;
oom:
  rc = floe_err_set(err, FLOE_ENOMEM, "%s: out of memory", file);
  goto out;
}
