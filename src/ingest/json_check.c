/* json_check.c — the strict check of NDJSON lines that runs before DuckDB reads a file, and the reader
 * that cuts a file (plain or gzip, checked) into lines. DuckDB's JSON reader is lenient where floe must not
 * be: it accepts trailing commas, NaN and Infinity, cuts a key at a \u0000, renames a key that differs from
 * another only in case, reads an integer past int64 (and the whole column with it) as a double, and
 * overflows its stack on deep nesting. So each line is checked here against RFC 8259 first, in one
 * streaming pass without recursion or allocation per value: a line DuckDB may read is an object, at most
 * INGEST_JSON_MAX_DEPTH levels deep, valid UTF-8, with no duplicate key (ignoring ASCII case, as DuckDB's
 * column names do), no NUL in a key and no top-level integer longer than INGEST_JSON_MAX_DIGITS digits.
 * Lines are byte ranges cut at '\n' only (a NUL is a byte like any other). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include "ingest_int.h"

typedef struct jkey {
  size_t off, len;
  bool decoded; /* off is into c->kbuf (the key had escapes), else into the line */
} jkey;

/* 0 plain, 1 '"', 2 '\\', 3 control byte, 4 first byte of a multi-byte UTF-8 sequence (or invalid) */
static unsigned char str_class[256];

static void init_tables(void) {
  if (str_class['"']) return;
  for (int i = 0; i < 0x20; i++) str_class[i] = 3;
  for (int i = 0x80; i < 0x100; i++) str_class[i] = 4;
  str_class['\\'] = 2;
  str_class['"'] = 1;
}

size_t ingest_utf8_len(const unsigned char *p, size_t n) {
  unsigned b = p[0];
  size_t len;
  unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) len = 2;
  else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F; /* nothing past U+10FFFF */
  } else return 0;
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  return len;
}

static int fail(ingest_json_check *c, size_t at, const char *why) {
  c->col = at + 1;
  c->why = why;
  return INGEST_JSON_BAD;
}

static int failf(ingest_json_check *c, size_t at, const char *fmt, const char *arg, size_t arglen) {
  char shown[64];
  size_t k = 0;
  for (size_t i = 0; i < arglen && k + 5 < sizeof shown; i++) /* the key as text, control bytes escaped */
    k += (unsigned char)arg[i] < 0x20 ? (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02x", (unsigned char)arg[i])
                                      : (size_t)(shown[k] = arg[i], 1);
  shown[k] = 0;
  snprintf(c->whybuf, sizeof c->whybuf, fmt, shown, arglen > k ? "..." : "");
  return fail(c, at, c->whybuf);
}

static const char nul_why[] = "a NUL byte (JSON text cannot hold one; write \\u0000 inside a string)";

/* A fault at an unexpected byte: a NUL is named as such (a file cut or padded with zeros). */
static int fail_at_byte(ingest_json_check *c, const char *p, size_t i, const char *why) {
  return fail(c, i, p[i] ? why : nul_why);
}

static int hex4(const char *p, size_t n, size_t i, unsigned *cp) {
  if (i + 4 > n) return -1;
  unsigned v = 0;
  for (size_t k = 0; k < 4; k++) {
    char h = p[i + k];
    unsigned d = h >= '0' && h <= '9' ? (unsigned)(h - '0') : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
               : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10) : 16;
    if (d == 16) return -1;
    v = v << 4 | d;
  }
  *cp = v;
  return 0;
}

static int kbuf_put(ingest_json_check *c, const char *s, size_t n) {
  if (!n) return 0;
  if (c->kbuf_len + n > c->kbuf_cap) {
    size_t nc = (c->kbuf_len + n) * 2 + 64;
    char *p = realloc(c->kbuf, nc);
    if (!p) return -1;
    c->kbuf = p;
    c->kbuf_cap = nc;
  }
  memcpy(c->kbuf + c->kbuf_len, s, n);
  c->kbuf_len += n;
  return 0;
}

/* Scans the string starting at the quote p[*i]; a key is recorded in c->keys (decoded when it has
 * escapes). On success *i is past the closing quote. */
static int scan_string(ingest_json_check *c, const char *p, size_t n, size_t *i, bool key) {
  const unsigned char *u = (const unsigned char *)p;
  size_t start = ++*i, k = start;
  bool escaped = false;
  size_t kb = c->kbuf_len;
  for (;;) {
    while (k < n && !str_class[u[k]]) k++;
    if (k >= n) return fail(c, k, "unexpected end of line inside a string");
    switch (str_class[u[k]]) {
    case 1:
      goto done;
    case 3:
      return fail(c, k, u[k] ? "a control character in a string (JSON needs it escaped, like \\n or \\u0001)" : nul_why);
    case 4: {
      size_t l = ingest_utf8_len(u + k, n - k);
      if (!l) return fail(c, k, "invalid UTF-8 (JSON text must be UTF-8)");
      k += l;
      break;
    }
    default: { /* an escape */
      if (key && !escaped) {
        escaped = true;
        if (kbuf_put(c, p + start, k - start)) return fail(c, k, "out of memory");
      } else if (key && k > start && kbuf_put(c, p + start, k - start)) return fail(c, k, "out of memory");
      size_t at = k++;
      if (k >= n) return fail(c, at, "unexpected end of line inside a string");
      char e = p[k++], out[4];
      size_t olen = 1;
      const char *simple = strchr("\"\\/bfnrt", e);
      if (e && simple) {
        out[0] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
      } else if (e == 'u') {
        unsigned cp, lo;
        if (hex4(p, n, k, &cp)) return fail(c, at, "a \\u escape needs four hex digits");
        k += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(c, at, "a lone UTF-16 low surrogate (\\uDC00-\\uDFFF)");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (k + 2 > n || p[k] != '\\' || p[k + 1] != 'u' || hex4(p, n, k + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return fail(c, at, "a UTF-16 high surrogate not followed by a low surrogate");
          k += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (cp == 0 && key) return fail(c, at, "a key holding \\u0000 (a NUL character), which a column name cannot hold");
        if (cp < 0x80) out[0] = (char)cp;
        else if (cp < 0x800) out[0] = (char)(0xC0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3F)), olen = 2;
        else if (cp < 0x10000)
          out[0] = (char)(0xE0 | cp >> 12), out[1] = (char)(0x80 | (cp >> 6 & 0x3F)), out[2] = (char)(0x80 | (cp & 0x3F)), olen = 3;
        else
          out[0] = (char)(0xF0 | cp >> 18), out[1] = (char)(0x80 | (cp >> 12 & 0x3F)),
          out[2] = (char)(0x80 | (cp >> 6 & 0x3F)), out[3] = (char)(0x80 | (cp & 0x3F)), olen = 4;
      } else {
        return fail(c, at, "an invalid escape in a string (JSON knows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
      if (key && kbuf_put(c, out, olen)) return fail(c, at, "out of memory");
      start = k;
      break;
    }
    }
  }
done:
  if (key) {
    if (escaped && k > start && kbuf_put(c, p + start, k - start)) return fail(c, k, "out of memory");
    if (c->nkeys == c->capkeys) {
      size_t nc = c->capkeys ? c->capkeys * 2 : 64;
      jkey *nk = realloc(c->keys, nc * sizeof *nk);
      if (!nk) return fail(c, k, "out of memory");
      c->keys = nk;
      c->capkeys = nc;
    }
    jkey *jk = &c->keys[c->nkeys++];
    if (escaped) *jk = (jkey){kb, c->kbuf_len - kb, true};
    else *jk = (jkey){*i, k - *i, false};
  }
  *i = k + 1;
  return INGEST_JSON_OBJECT;
}

static const char *key_text(const ingest_json_check *c, const char *line, const jkey *k) {
  return k->decoded ? c->kbuf + k->off : line + k->off;
}

typedef struct key_order {
  const ingest_json_check *c;
  const char *line;
} key_order;

static int cmp_keys(const void *x, const void *y, void *ud) {
  const key_order *o = ud;
  const jkey *a = x, *b = y;
  if (a->len != b->len) return a->len < b->len ? -1 : 1;
  return strncasecmp(key_text(o->c, o->line, a), key_text(o->c, o->line, b), a->len);
}

static int key_fault(ingest_json_check *c, const char *line, const jkey *a, const jkey *b, size_t at) {
  const char *ka = key_text(c, line, a), *kb = key_text(c, line, b);
  if (!memcmp(ka, kb, a->len)) return failf(c, at, "duplicate key \"%s%s\" in an object", ka, a->len);
  return failf(c, at, "keys differing only in case (\"%s%s\" twice; column names ignore case)", ka, a->len);
}

/* Keys of the object whose keys start at c->keys[from]: equal, or equal ignoring ASCII case, is a fault.
 * A few keys are compared pairwise; many are sorted (a copy: the top-level keys keep their order). */
static int check_keys(ingest_json_check *c, const char *line, size_t from, size_t at) {
  size_t nk = c->nkeys - from;
  key_order o = {c, line};
  if (nk <= 32) {
    for (size_t a = from + 1; a < c->nkeys; a++)
      for (size_t b = from; b < a; b++)
        if (c->keys[a].len == c->keys[b].len && !cmp_keys(&c->keys[a], &c->keys[b], &o))
          return key_fault(c, line, &c->keys[a], &c->keys[b], at);
    return 0;
  }
  jkey *s = malloc(nk * sizeof *s);
  if (!s) return fail(c, at, "out of memory");
  memcpy(s, c->keys + from, nk * sizeof *s);
  qsort_r(s, nk, sizeof *s, cmp_keys, &o);
  int rc = 0;
  for (size_t k = 1; k < nk && !rc; k++)
    if (!cmp_keys(&s[k - 1], &s[k], &o)) rc = key_fault(c, line, &s[k], &s[k - 1], at);
  free(s);
  return rc;
}

/* Notes that the top-level key `name` holds a number DuckDB would read through a double. */
static void note_big(ingest_json_check *c, const char *name, size_t len, unsigned flag) {
  for (size_t i = 0; i < c->nbig; i++)
    if (strlen(c->big[i].name) == len && !memcmp(c->big[i].name, name, len)) {
      c->big[i].flags |= flag;
      return;
    }
  ingest_json_bigkey *nb = realloc(c->big, (c->nbig + 1) * sizeof *nb);
  if (!nb) return;
  c->big = nb;
  char *s = malloc(len + 1);
  if (!s) return;
  memcpy(s, name, len);
  s[len] = 0;
  c->big[c->nbig++] = (ingest_json_bigkey){s, flag};
}

/* Scans a number at p[*i]; depth 1 = the value of a top-level key (c->keys[c->top]). */
static int scan_number(ingest_json_check *c, const char *p, size_t n, size_t *i, int depth, size_t top) {
  size_t k = *i, at = k;
  bool neg = p[k] == '-';
  if (neg) k++;
  size_t d0 = k;
  if (k < n && p[k] == '0') k++;
  else if (k < n && p[k] >= '1' && p[k] <= '9')
    while (k < n && p[k] >= '0' && p[k] <= '9') k++;
  else if (k < n && (p[k] == 'I' || p[k] == 'N' || p[k] == 'i' || p[k] == 'n'))
    return fail(c, at, "NaN and Infinity are not JSON numbers");
  else return fail(c, at, "a '-' not followed by a digit");
  size_t ndig = k - d0;
  if (k < n && p[k] >= '0' && p[k] <= '9') return fail(c, k, "a number with a leading zero");
  bool frac = false, expo = false;
  if (k < n && p[k] == '.') {
    frac = true;
    if (++k >= n || p[k] < '0' || p[k] > '9') return fail(c, k, "a '.' not followed by a digit");
    while (k < n && p[k] >= '0' && p[k] <= '9') k++;
  }
  if (k < n && (p[k] == 'e' || p[k] == 'E')) {
    expo = true;
    if (++k < n && (p[k] == '+' || p[k] == '-')) k++;
    if (k >= n || p[k] < '0' || p[k] > '9') return fail(c, k, "an exponent without digits");
    while (k < n && p[k] >= '0' && p[k] <= '9') k++;
  }
  *i = k;
  if (expo || ndig > 300) { /* a number no double holds would be read as infinity */
    char tmp[512];
    size_t len = k - at;
    if (len < sizeof tmp) {
      memcpy(tmp, p + at, len);
      tmp[len] = 0;
      double v = strtod(tmp, NULL);
      if (v > 1.7976931348623157e308 || v < -1.7976931348623157e308)
        return fail(c, at, "a number too large for a double");
    } else if (expo) return fail(c, at, "a number too large for a double");
  }
  if (frac || expo || ndig < 16) return INGEST_JSON_OBJECT;
  /* An integer: past 2^53 a double no longer holds it exactly. */
  if (ndig == 16 && memcmp(p + d0, "9007199254740992", 16) <= 0) return INGEST_JSON_OBJECT;
  if (depth == 1 && ndig > INGEST_JSON_MAX_DIGITS)
    return fail(c, at, "an integer of more than 38 digits (the widest exact column is decimal(38,0))");
  if (top < c->nkeys) {
    const jkey *tk = &c->keys[top];
    bool past64 = ndig > 19 || (ndig == 19 && memcmp(p + d0, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0);
    note_big(c, key_text(c, p, tk), tk->len,
             depth == 1 ? INGEST_JSON_BIG | (past64 ? INGEST_JSON_BIG64 : 0) : INGEST_JSON_NESTED_BIG);
  }
  return INGEST_JSON_OBJECT;
}

static size_t skip_ws(const char *p, size_t n, size_t i) {
  while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
  return i;
}

static int scan_literal(ingest_json_check *c, const char *p, size_t n, size_t *i) {
  const char *lit = p[*i] == 't' ? "true" : p[*i] == 'f' ? "false" : p[*i] == 'n' ? "null" : NULL;
  size_t l = lit ? strlen(lit) : 0;
  if (lit && n - *i >= l && !memcmp(p + *i, lit, l)) {
    *i += l;
    return INGEST_JSON_OBJECT;
  }
  if (p[*i] == 'N' || p[*i] == 'I') return fail(c, *i, "NaN and Infinity are not JSON numbers");
  if (p[*i] == '}' || p[*i] == ']') return fail(c, *i, "a trailing comma (or a missing value)");
  return fail_at_byte(c, p, *i, "expected a value (an object, array, string, number, true, false or null)");
}

int ingest_json_check_line(ingest_json_check *c, const char *p, size_t n) {
  init_tables();
  c->nkeys = c->kbuf_len = 0;
  c->nfields = 0;
  size_t i = skip_ws(p, n, 0), top = (size_t)-1;
  if (i == n) return INGEST_JSON_BLANK;
  if (n - i >= 3 && !memcmp(p + i, "\xEF\xBB\xBF", 3)) return fail(c, i, "a byte-order mark (BOM) before the value");
  char first = p[i];
  int depth = 0, rc;
  size_t kstart[INGEST_JSON_MAX_DEPTH + 1];
  unsigned char obj[INGEST_JSON_MAX_DEPTH + 1]; /* per level: an object (1) or an array (0) */
  /* A value is expected at p[i] (after whitespace). */
value:
  i = skip_ws(p, n, i);
  if (i >= n) return fail(c, i, "unexpected end of line (the value is incomplete)");
  switch (p[i]) {
  case '{':
  case '[':
    if (depth == INGEST_JSON_MAX_DEPTH) return fail(c, i, "nesting deeper than 1000 levels");
    obj[++depth] = p[i] == '{';
    kstart[depth] = c->nkeys;
    i = skip_ws(p, n, i + 1);
    if (i < n && p[i] == (obj[depth] ? '}' : ']')) {
      depth--;
      i++;
      goto after;
    }
    if (obj[depth]) goto key;
    goto value;
  case '"':
    if ((rc = scan_string(c, p, n, &i, false))) return rc;
    goto after;
  case '-':
  case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
    if ((rc = scan_number(c, p, n, &i, depth, top))) return rc;
    goto after;
  default:
    if ((rc = scan_literal(c, p, n, &i))) return rc;
    goto after;
  }
  /* A key is expected at p[i] (after whitespace). */
key:
  i = skip_ws(p, n, i);
  if (i >= n) return fail(c, i, "unexpected end of line (the object is incomplete)");
  if (p[i] != '"') return fail_at_byte(c, p, i, p[i] == '}' ? "a trailing comma before '}'" : "expected a key in double quotes");
  if (depth == 1) top = c->nkeys, c->nfields++;
  if ((rc = scan_string(c, p, n, &i, true))) return rc;
  i = skip_ws(p, n, i);
  if (i >= n) return fail(c, i, "unexpected end of line (the object is incomplete)");
  if (p[i] != ':') return fail_at_byte(c, p, i, "expected ':' after the key");
  i++;
  goto value;
  /* A value ended at p[i]. */
after:
  i = skip_ws(p, n, i);
  if (depth == 0) {
    if (i < n) return fail_at_byte(c, p, i, "text after the value (one JSON value per line)");
    if (first == '{') return INGEST_JSON_OBJECT;
    c->col = 1;
    c->why = "not a JSON object";
    return INGEST_JSON_NOT_OBJECT;
  }
  if (i >= n) return fail(c, i, "unexpected end of line (the value is incomplete)");
  if (p[i] == ',') {
    i = skip_ws(p, n, i + 1);
    if (obj[depth]) goto key;
    if (i < n && p[i] == ']') return fail(c, i, "a trailing comma before ']'");
    goto value;
  }
  if (p[i] == (obj[depth] ? '}' : ']')) {
    if (obj[depth] && (rc = check_keys(c, p, kstart[depth], i))) return rc;
    if (obj[depth] && depth > 1) c->nkeys = kstart[depth]; /* the top-level keys stay: big numbers name them */
    depth--;
    i++;
    goto after;
  }
  return fail_at_byte(c, p, i, obj[depth] ? "expected ',' or '}'" : "expected ',' or ']'");
}

void ingest_json_check_free(ingest_json_check *c) {
  for (size_t i = 0; i < c->nbig; i++) free(c->big[i].name);
  free(c->big);
  free(c->keys);
  free(c->kbuf);
  memset(c, 0, sizeof *c);
}

/* ---- lines: a byte stream (plain or gzip) cut at '\n' */

typedef struct lines {
  ingest_line_fn fn;
  void *ud;
  char *carry; /* the start of a line the last chunk did not finish */
  size_t clen, ccap;
  int64_t ln;
} lines;

static int lines_emit(lines *L, const char *p, size_t n, floe_err *err) {
  L->ln++;
  if (n && p[n - 1] == '\r') n--; /* CRLF */
  return L->fn(L->ud, p, n, L->ln, err);
}

static int lines_feed(lines *L, const char *p, size_t n, floe_err *err) {
  while (n) {
    const char *nl = memchr(p, '\n', n);
    size_t take = nl ? (size_t)(nl - p) : n;
    if (nl && !L->clen) { /* a whole line in this chunk: checked where it lies */
      int rc = lines_emit(L, p, take, err);
      if (rc) return rc;
    } else {
      if (L->clen + take > L->ccap) {
        size_t nc = (L->clen + take) * 2 + 4096;
        char *c = realloc(L->carry, nc);
        if (!c) return floe_err_set(err, FLOE_ENOMEM, "out of memory (a line of %zu bytes)", L->clen + take);
        L->carry = c;
        L->ccap = nc;
      }
      memcpy(L->carry + L->clen, p, take);
      L->clen += take;
      if (nl) {
        int rc = lines_emit(L, L->carry, L->clen, err);
        L->clen = 0;
        if (rc) return rc;
      }
    }
    if (!nl) break;
    n -= take + 1;
    p = nl + 1;
  }
  return 0;
}

static int out_chunk(lines *L, FILE *copy, const char *what, const unsigned char *p, size_t n, floe_err *err) {
  if (copy && n && fwrite(p, 1, n, copy) != n)
    return floe_err_set(err, FLOE_EIO, "%s: cannot write its decompressed copy", what);
  return lines_feed(L, (const char *)p, n, err);
}

enum { CHUNK = 1 << 18 };

/* Reads the next compressed chunk into in; *eof once rd has nothing more. */
static int refill(ingest_read_fn rd, void *rd_ud, unsigned char *in, z_stream *zs, bool *eof, const char *what,
                  floe_err *err) {
  ssize_t r = rd(rd_ud, in, CHUNK);
  if (r < 0) return floe_err_set(err, FLOE_EIO, "%s: read error", what);
  *eof = r == 0;
  zs->next_in = in;
  zs->avail_in = (uInt)r;
  return 0;
}

/* Inflates gzip members (one after another, as gzip(1) writes them with -c >>) from rd, the first n bytes
 * already in in. inflate checks each member's CRC-32 and length; the stream must end at a member's end. */
static int gunzip(ingest_read_fn rd, void *rd_ud, unsigned char *in, size_t n, lines *L, FILE *copy, const char *what,
                  floe_err *err) {
  unsigned char *out = malloc(CHUNK);
  z_stream zs = {0};
  if (!out || inflateInit2(&zs, 15 + 16) != Z_OK) {
    free(out);
    return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  int rc = 0;
  uint64_t total = 0;
  bool eof = false;
  zs.next_in = in;
  zs.avail_in = (uInt)n;
  for (;;) {
    if (!zs.avail_in && !eof && (rc = refill(rd, rd_ud, in, &zs, &eof, what, err))) break;
    zs.next_out = out;
    zs.avail_out = CHUNK;
    int z = inflate(&zs, Z_NO_FLUSH);
    size_t got = CHUNK - zs.avail_out;
    total += got;
    if ((rc = out_chunk(L, copy, what, out, got, err))) break;
    if (z == Z_STREAM_END) {
      /* is there another member? */
      if (!zs.avail_in && !eof && (rc = refill(rd, rd_ud, in, &zs, &eof, what, err))) break;
      if (!zs.avail_in) break; /* the end */
      if (zs.next_in[0] != 0x1f || (zs.avail_in > 1 && zs.next_in[1] != 0x8b)) {
        rc = floe_err_set(err, FLOE_EINPUT, "%s: corrupt gzip file: data after the end of the compressed stream", what);
        break;
      }
      inflateReset(&zs);
      continue;
    }
    if (z == Z_DATA_ERROR || z == Z_NEED_DICT || z == Z_STREAM_ERROR) {
      const char *m = zs.msg ? zs.msg : "invalid data";
      rc = floe_err_set(err, FLOE_EINPUT, "%s: corrupt gzip file: %s", what,
                        !strcmp(m, "incorrect data check")     ? "the CRC-32 check of the data fails"
                        : !strcmp(m, "incorrect length check") ? "the length in its trailer does not match the data"
                                                               : m);
      break;
    }
    if (z == Z_MEM_ERROR) {
      rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      break;
    }
    if (eof && !zs.avail_in && !got) {
      rc = floe_err_set(err, FLOE_EINPUT,
                        "%s: truncated gzip file: the compressed stream ends early (after %llu bytes of data), "
                        "so its end and CRC check are missing",
                        what, (unsigned long long)total);
      break;
    }
  }
  inflateEnd(&zs);
  free(out);
  return rc;
}

int ingest_lines_read(ingest_read_fn rd, void *rd_ud, const char *what, FILE *copy, bool *gzipped, ingest_line_fn fn,
                      void *ud, floe_err *err) {
  lines L = {.fn = fn, .ud = ud};
  unsigned char *in = malloc(CHUNK);
  if (!in) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  int rc = 0;
  ssize_t n = rd(rd_ud, in, CHUNK);
  if (n < 0) rc = floe_err_set(err, FLOE_EIO, "%s: read error", what);
  *gzipped = n >= 2 && in[0] == 0x1f && in[1] == 0x8b; /* the gzip magic number: compressed whatever the name */
  if (!rc && *gzipped) rc = gunzip(rd, rd_ud, in, (size_t)n, &L, copy, what, err);
  while (!rc && !*gzipped && n > 0) {
    if ((rc = lines_feed(&L, (const char *)in, (size_t)n, err))) break;
    if ((n = rd(rd_ud, in, CHUNK)) < 0) rc = floe_err_set(err, FLOE_EIO, "%s: read error", what);
  }
  if (!rc && L.clen) rc = lines_emit(&L, L.carry, L.clen, err); /* the last line has no '\n' */
  free(L.carry);
  free(in);
  return rc;
}
