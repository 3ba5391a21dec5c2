/* csv_int.h — the CSV connector's own text pass (csv_text.c): how the file splits into records with the
 * dialect DuckDB's sniffer found, and DuckDB's messages about a file put in the user's terms. Apart from
 * the connector (csv.c) and free of DuckDB, so that tests/fuzz/fuzz_csv.c can run it alone. */
#ifndef FLOE_INGEST_CSV_INT_H
#define FLOE_INGEST_CSV_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The dialect every read of the file uses (the load, the rescan for bad records, the walk that maps
 * rows to lines), fixed once so that they all split the file the same way. */
struct ingest_csv {
  const char *path;   /* absolute; a repaired copy after ingest_csv_clean fixed unterminated quotes */
  const char *args;   /* read_csv's arguments after the path: ", auto_detect=false, header=.., ..., columns={..}" */
  const char **names; /* the columns as DuckDB names them from the header (arena) */
  size_t nnames;
  const char *delims;                 /* the delimiter */
  char delim, quote, escape, comment; /* delim: its last byte */
  int64_t skip;                       /* lines before the header */
  bool header;
};

/* Called per record with its number (1-based, the header counted), its first physical line and the byte
 * offset where it starts; returning false stops the walk. */
typedef bool (*csv_record_fn)(void *arg, int64_t rec, int64_t line, int64_t off);

/* Walks the stream f as DuckDB's reader splits it with d's dialect: a record ends at a newline outside
 * quotes; a quote opens a quoted field only at the start of a field (after spaces); blank lines, comment
 * lines and the first d->skip lines are no records. *last_line (when not NULL): the last line with
 * something on it. -1 on a read error. */
int csv_walk_stream(FILE *f, const struct ingest_csv *d, csv_record_fn fn, void *arg, int64_t *last_line);
/* csv_walk_stream over d->path; -1 when it cannot be read. */
int csv_walk(const struct ingest_csv *d, csv_record_fn fn, void *arg, int64_t *last_line);

/* A record DuckDB refused with bytes that are not UTF-8, in the user's words. */
#define CSV_NOT_UTF8 "bytes that are not UTF-8 text (a CSV file is read as UTF-8)"

/* Whether s holds DuckDB's advice about its own options (which floe does not have) or its settings dump. */
bool csv_has_advice(const char *s);
/* Whether m (after "<label>: ") is a DuckDB error: "Invalid Input Error: ...", "Conversion Error: ...". */
bool csv_duck_error(const char *label, const char *m);
/* Cuts msg (a NUL-terminated DuckDB message) at the line holding its first piece of advice; the spaces,
 * colons and dots then at its end go. */
void csv_strip_advice(char *msg);
/* DuckDB's "CSV Error on Line: N\nOriginal Line: ...\n<reason>" in msg as "<label>: line N: <reason> — the
 * line reads: <text>" into out (cap bytes, valid UTF-8 when msg is); false when msg is no such message. */
bool csv_error_on_line(const char *label, const char *msg, char *out, size_t cap);
#endif
