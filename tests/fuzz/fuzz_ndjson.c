/* fuzz_ndjson.c — libFuzzer target for the checked NDJSON line pass floe runs before DuckDB reads a file
 * (src/ingest/json_check.c): cutting a byte stream into lines (plain, or gzip told by its magic number,
 * read in chunks of a size taken from the input so lines straddle chunk ends), and the strict RFC 8259
 * check of each line. Checks:
 *   - the lines are exactly the '\n'-separated byte ranges of the (decompressed) input, NULs included,
 *     none lost, none merged, numbered 1, 2, ...;
 *   - a line the check accepts as an object, jansson (a strict parser) accepts as an object too, except
 *     for integers past int64 that jansson cannot hold; a line jansson accepts as an object the check
 *     refuses only for its own limits (nesting past 1000 levels, keys differing only in case);
 *   - a refused line names a column within the line and a reason. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/ingest/ingest_int.h"

typedef struct mem {
  const uint8_t *p;
  size_t n, off, step;
} mem;

static ssize_t mem_read(void *ud, void *buf, size_t n) {
  mem *m = ud;
  size_t k = m->n - m->off;
  if (k > n) k = n;
  if (k > m->step) k = m->step;
  memcpy(buf, m->p + m->off, k);
  m->off += k;
  return (ssize_t)k;
}

typedef struct seen {
  ingest_json_check jc;
  char **lines; /* every line as cut (for the comparison with an independent split) */
  size_t *lens, nlines;
} seen;

/* jansson's verdict on one line: 1 object, 2 another value, 0 refused, -1 refused for a number it cannot hold. */
static int jansson_says(const char *p, size_t n) {
  json_error_t e;
  json_t *v = json_loadb(p, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
  int r = v ? (json_is_object(v) ? 1 : 2) : strstr(e.text, "too big") || strstr(e.text, "overflow") ? -1 : 0;
  json_decref(v);
  return r;
}

static int on_line(void *ud, const char *p, size_t n, int64_t ln, floe_err *err) {
  seen *s = ud;
  if ((size_t)ln != s->nlines + 1) abort(); /* numbered 1, 2, ... */
  s->lines = realloc(s->lines, (s->nlines + 1) * sizeof *s->lines);
  s->lens = realloc(s->lens, (s->nlines + 1) * sizeof *s->lens);
  if (!s->lines || !s->lens) abort();
  s->lines[s->nlines] = malloc(n + 1);
  memcpy(s->lines[s->nlines], p, n);
  s->lens[s->nlines++] = n;
  int k = ingest_json_check_line(&s->jc, p, n);
  int j = jansson_says(p, n);
  switch (k) {
  case INGEST_JSON_OBJECT:
    if (j != 1 && j != -1) abort();
    break;
  case INGEST_JSON_NOT_OBJECT:
    if (j != 2 && j != -1) abort();
    break;
  case INGEST_JSON_BLANK:
    for (size_t i = 0; i < n; i++)
      if (!strchr(" \t\r\n", p[i]) || !p[i]) abort();
    break;
  case INGEST_JSON_BAD:
    if (!s->jc.why || !s->jc.why[0] || s->jc.col < 1 || s->jc.col > n + 1) abort();
    /* jansson stops at a NUL byte as if the text ended there */
    if (j == 1 && !memchr(p, 0, n) && !strstr(s->jc.why, "nesting deeper") && !strstr(s->jc.why, "only in case") && !strstr(s->jc.why, "38 digits"))
      abort();
    break;
  default:
    abort();
  }
  (void)err;
  return 0;
}

/* The lines of text as an independent split would give them: at each '\n', a last unterminated one,
 * one '\r' before the end dropped. */
static void compare(const seen *s, const char *text, size_t n) {
  size_t k = 0, start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && text[i] != '\n') continue;
    if (i == n && start == n) break;
    size_t len = i - start;
    if (len && text[start + len - 1] == '\r') len--;
    if (k >= s->nlines || s->lens[k] != len || memcmp(s->lines[k], text + start, len)) abort();
    k++;
    start = i + 1;
  }
  if (k != s->nlines) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mem m = {data, size, 0, size % 7 == 0 ? 1 : 1 + size % 4093};
  seen s = {0};
  char *copy = NULL;
  size_t clen = 0;
  FILE *cf = open_memstream(&copy, &clen);
  floe_err err = {0};
  bool gz = false;
  int rc = ingest_lines_read(mem_read, &m, "fuzz.ndjson", cf, &gz, on_line, &s, &err);
  fclose(cf);
  if (rc && (rc != FLOE_EINPUT || !gz || strncmp(err.msg, "fuzz.ndjson: ", 13))) abort(); /* only gzip can be bad */
  if (!rc) compare(&s, gz ? copy : (const char *)data, gz ? clen : size);
  for (size_t i = 0; i < s.nlines; i++) free(s.lines[i]);
  free(s.lines);
  free(s.lens);
  free(copy);
  ingest_json_check_free(&s.jc);
  return 0;
}
