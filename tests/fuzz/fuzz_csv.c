/* fuzz_csv.c — libFuzzer target for the CSV connector's own text pass (src/ingest/csv_text.c): the walk
 * that splits a file into records with the sniffed dialect (row -> line numbers, the offsets the repaired
 * copies cut at), gzip told by its magic number and checked (src/ingest/json_check.c), and DuckDB's
 * messages put in the user's terms. The first 4 bytes choose the dialect (delimiter, quote, escape,
 * comment, lines skipped); the rest is the file. Checks:
 *   - the records the walk gives are the ones an independent field-by-field reader finds: numbered
 *     1, 2, ..., each at the offset and physical line where it starts, none lost, none invented, NULs and
 *     CRs being bytes like others; the last line with something on it is right;
 *   - a gzip input decompresses to what the walk then reads, or is refused as truncated/corrupt gzip;
 *   - the rest of the input, read as a DuckDB message, gives a message that starts with the file's name,
 *     is valid UTF-8 when the input is, and holds none of DuckDB's advice about its own options. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/ingest/csv_int.h"
#include "../../src/ingest/ingest_int.h"

typedef struct rec {
  int64_t line, off;
} rec;

typedef struct recs {
  rec *r;
  size_t n;
} recs;

static void push(recs *s, int64_t line, int64_t off) {
  s->r = realloc(s->r, (s->n + 1) * sizeof *s->r);
  if (!s->r) abort();
  s->r[s->n++] = (rec){line, off};
}

static bool on_record(void *arg, int64_t n, int64_t line, int64_t off) {
  recs *s = arg;
  if ((size_t)n != s->n + 1) abort(); /* numbered 1, 2, ... */
  push(s, line, off);
  return true;
}

/* The reference: reads field by field. Skips d->skip lines; then per record: a line of nothing but CRs is
 * blank, a line starting with the comment character is a comment; else fields follow until a newline
 * outside quotes. A field starts after spaces; if it then starts with the quote it is quoted up to the
 * closing quote (a doubled quote, or the escape and any byte after it, inside), and whatever follows up
 * to the delimiter or newline belongs to it too. */
static void reference(const char *t, size_t n, const struct ingest_csv *d, recs *out, int64_t *last) {
  size_t i = 0;
  int64_t line = 1;
  *last = 0;
  for (size_t k = 0; k < n; k++) { /* the last line with a byte that is not a newline or CR */
    if (t[k] != '\n' && t[k] != '\r') *last = line;
    if (t[k] == '\n') line++;
  }
  line = 1;
  for (int64_t s = 0; s < d->skip && i < n; i++)
    if (t[i] == '\n') s++, line++;
  while (i < n) {
    size_t j = i;
    while (j < n && t[j] == '\r')
      j++;
    if (j == n) break;
    if (t[j] == '\n') {
      i = j + 1, line++;
      continue;
    }
    if (d->comment && t[j] == d->comment) {
      while (j < n && t[j] != '\n')
        j++;
      i = j + (j < n), line += j < n;
      continue;
    }
    push(out, line, (int64_t)j);
    for (bool end = false; !end;) { /* one field per round */
      while (j < n && (t[j] == ' ' || t[j] == '\r'))
        j++;
      if (j < n && t[j] == d->quote) {
        for (j++; j < n; j++) {
          if (t[j] == '\n') line++;
          if (d->escape != d->quote && t[j] == d->escape) {
            if (++j < n && t[j] == '\n') line++;
          } else if (t[j] == d->quote) {
            if (d->escape == d->quote && j + 1 < n && t[j + 1] == d->quote) j++;
            else break;
          }
        }
        if (j < n) j++; /* the closing quote */
      }
      while (j < n && t[j] != d->delim && t[j] != '\n')
        j++;
      if (j >= n) end = true;
      else if (t[j] == '\n') end = true, line++;
      j++;
    }
    i = j;
  }
}

static void check_walk(const char *text, size_t n, const struct ingest_csv *d) {
  if (!n) return;
  FILE *f = fmemopen((void *)text, n, "rb");
  if (!f) abort();
  recs got = {0}, want = {0};
  int64_t last = -1, want_last;
  if (csv_walk_stream(f, d, on_record, &got, &last)) abort();
  fclose(f);
  reference(text, n, d, &want, &want_last);
  if (last != want_last) abort();
  if (got.n != want.n) abort();
  for (size_t i = 0; i < got.n; i++)
    if (got.r[i].line != want.r[i].line || got.r[i].off != want.r[i].off) abort();
  free(got.r);
  free(want.r);
}

static bool valid_utf8(const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    size_t k = ingest_utf8_len((const unsigned char *)s + i, n - i);
    if (!k) return false;
    i += k;
  }
  return true;
}

/* The input as DuckDB's message: what comes out names the file and holds no advice. */
static void check_message(const uint8_t *data, size_t size) {
  char msg[4096], out[4096];
  size_t n = size < sizeof msg - 1 ? size : sizeof msg - 1;
  memcpy(msg, data, n);
  msg[n] = 0;
  bool utf8 = valid_utf8(msg);
  csv_duck_error("data/x.csv", msg);
  if (csv_error_on_line("data/x.csv", msg, out, sizeof out)) {
    if (strncmp(out, "data/x.csv: line ", 17)) abort();
    const char *reads = strstr(out, " — the line reads: ");
    char head[4096];
    snprintf(head, sizeof head, "%.*s", (int)(reads ? reads - out : (long)strlen(out)), out);
    if (csv_has_advice(head)) abort(); /* (the quoted line is the user's text) */
    if (utf8 && !valid_utf8(out)) abort();
  }
  csv_strip_advice(msg);
  if (csv_has_advice(msg)) abort();
  if (utf8 && !valid_utf8(msg)) abort();
}

static ssize_t mem_read(void *ud, void *buf, size_t n) {
  size_t *m = ud; /* {data, size, off} */
  const uint8_t *p = (const uint8_t *)m[0];
  size_t k = m[1] - m[2] < n ? m[1] - m[2] : n;
  memcpy(buf, p + m[2], k);
  m[2] += k;
  return (ssize_t)k;
}

static int no_line(void *ud, const char *p, size_t n, int64_t ln, floe_err *err) {
  (void)ud, (void)p, (void)n, (void)ln, (void)err;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  static const char delims[] = ",;\t|", quotes[] = "\"'", escapes[] = "\"\\'", comments[] = "\0#";
  struct ingest_csv d = {0};
  d.delim = delims[data[0] % 4];
  d.quote = quotes[data[1] % 2];
  d.escape = data[1] & 2 ? escapes[data[1] / 4 % 3] : d.quote;
  d.comment = comments[data[2] % 2];
  d.skip = data[3] % 3;
  if (d.escape == d.delim || d.comment == d.delim) return 0;
  const char *text = (const char *)data + 4;
  size_t n = size - 4;
  check_message((const uint8_t *)text, n);
  size_t m[3] = {(size_t)text, n, 0};
  char *plain = NULL;
  size_t plen = 0;
  FILE *cf = open_memstream(&plain, &plen);
  floe_err err = {0};
  bool gz = false;
  int rc = ingest_lines_read(mem_read, m, "data/x.csv", cf, &gz, no_line, NULL, &err);
  fclose(cf);
  if (rc && (rc != FLOE_EINPUT || !gz || strncmp(err.msg, "data/x.csv: ", 12))) abort(); /* only gzip can be bad */
  if (!rc) check_walk(gz ? plain : text, gz ? plen : n, &d);
  free(plain);
  return 0;
}
