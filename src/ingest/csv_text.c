/* csv_text.c — the CSV connector's own text pass, without DuckDB (see csv_int.h): the walk that splits the
 * file into records as DuckDB's reader does with the sniffed dialect, for row and line numbers and the
 * repaired copies, and DuckDB's messages put in the user's terms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "csv_int.h"

/* ---- the walk: records as DuckDB's reader splits them with the dialect */

int csv_walk_stream(FILE *f, const struct ingest_csv *d, csv_record_fn fn, void *arg, int64_t *last_line) {
  int64_t off = 0, line = 1, rec = 0, skip = d->skip, last = 0;
  bool inq = false, qpend = false, escpend = false, inrec = false, comment = false, fstart = true, stop = false;
  char buf[65536];
  size_t n;
  while (!stop && (n = fread(buf, 1, sizeof buf, f)) > 0) {
    for (size_t i = 0; i < n && !stop; i++, off++) {
      char c = buf[i];
      if (c != '\n' && c != '\r') last = line;
      if (skip > 0) {
        if (c == '\n') skip--, line++;
        continue;
      }
      if (inq) {
        if (escpend) {
          escpend = false;
          if (c == '\n') line++;
          continue;
        }
        if (qpend) { /* the quote before c closed the field, unless c doubles it */
          qpend = false;
          if (c == d->quote) continue;
          inq = false;
        } else {
          if (c == '\n') line++;
          if (d->escape != d->quote && c == d->escape)
            escpend = true;
          else if (c == d->quote && d->escape == d->quote)
            qpend = true;
          else if (c == d->quote)
            inq = false;
          continue;
        }
      }
      if (c == '\n') {
        line++;
        inrec = comment = false;
        fstart = true;
        continue;
      }
      if (comment || c == '\r') continue;
      if (!inrec) {
        if (d->comment && c == d->comment) {
          comment = true;
          continue;
        }
        inrec = true;
        if (!fn(arg, ++rec, line, off)) stop = true;
      }
      if (fstart && c == ' ') continue;
      if (fstart && c == d->quote) {
        inq = true;
        fstart = false;
        continue;
      }
      fstart = c == d->delim;
    }
  }
  if (last_line) *last_line = last; /* the last line with something on it */
  return ferror(f) ? -1 : 0;
}

int csv_walk(const struct ingest_csv *d, csv_record_fn fn, void *arg, int64_t *last_line) {
  FILE *f = fopen(d->path, "rb");
  if (!f) return -1;
  int rc = csv_walk_stream(f, d, fn, arg, last_line);
  fclose(f);
  return rc;
}

/* ---- DuckDB's messages */

/* Where DuckDB's message turns to advice about its own options (which floe does not have), or to the
 * dump of its settings: the message is cut there. */
static const char *const duck_advice[] = {
    "Possible Solution", "Possible fixes", "\n  file = ", "ignore_errors", "strict_mode", "null_padding",
    "store_rejects", "max_line_size=", "auto_detect", "all_varchar", "sample_size", "buffer_size", "rejects_",
    "parallel=", "sniff_csv", "read_csv", "SET ", NULL};

bool csv_has_advice(const char *s) {
  for (size_t i = 0; duck_advice[i]; i++)
    if (strstr(s, duck_advice[i])) return true;
  return false;
}

bool csv_duck_error(const char *label, const char *m) {
  size_t n = strlen(label);
  if (!strncmp(m, label, n) && !strncmp(m + n, ": ", 2)) m += n + 2;
  const char *e = strstr(m, " Error: ");
  if (!e || e - m > 40 || !(*m >= 'A' && *m <= 'Z')) return false;
  for (const char *p = m; p < e; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == ' ')) return false;
  return true;
}

void csv_strip_advice(char *msg) {
  char *cut = NULL;
  for (size_t i = 0; duck_advice[i]; i++) {
    char *p = strstr(msg, duck_advice[i]);
    if (!p) continue;
    while (p > msg && p[-1] != '\n')
      p--;
    if (!cut || p < cut) cut = p;
  }
  if (cut) *cut = 0;
  size_t n = strlen(msg);
  while (n && strchr(" \t\r\n:.", msg[n - 1]))
    msg[--n] = 0;
}

/* The first n bytes of s, fewer so as not to cut a UTF-8 sequence. */
static int utf8_cut(const char *s, size_t n) {
  size_t len = strlen(s);
  if (len <= n) return (int)len;
  while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
    n--;
  return (int)n;
}

/* (what ingest_csv_clean did not explain: a read error it found no bad record for) */
bool csv_error_on_line(const char *label, const char *m, char *out, size_t cap) {
  const char *line = strstr(m, "CSV Error on Line: ");
  if (!line) return false;
  long ln = strtol(line + 19, NULL, 10);
  const char *why = strstr(m, "Error when converting");
  if (!why) {
    why = strchr(line, '\n');
    while (why && *why == '\n')
      why++;
    if (why && !strncmp(why, "Original Line:", 14)) why = strchr(why, '\n');
    while (why && *why == '\n')
      why++;
  }
  const char *orig = strstr(m, "Original Line: ");
  char orig_s[256] = "", reason[1024] = "";
  if (orig) {
    orig += 15;
    const char *e = strchr(orig, '\n');
    snprintf(orig_s, sizeof orig_s, "%.*s", (int)(e ? e - orig : (long)strlen(orig)), orig);
  }
  const char *e = why ? strchr(why, '\n') : NULL;
  snprintf(reason, sizeof reason, "%.*s", why ? (int)(e ? e - why : (long)strlen(why)) : 0, why ? why : "");
  if (csv_has_advice(reason)) reason[0] = 0;
  if (strstr(reason, "Invalid unicode")) snprintf(reason, sizeof reason, "%s", CSV_NOT_UTF8);
  snprintf(out, cap, "%s: line %ld: %.*s%s%.*s", label, ln, utf8_cut(reason[0] ? reason : "bad row", 1000),
           reason[0] ? reason : "bad row", orig_s[0] ? " — the line reads: " : "", utf8_cut(orig_s, 200), orig_s);
  return true;
}
