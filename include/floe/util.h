/* util.h — memory, buffers, maps, files, time and processes shared by every module of libfloe. */
#ifndef FLOE_UTIL_H
#define FLOE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include "floe/err.h"

/* ---- allocation: every allocation goes through these so tests can fail the Nth one
 * (env FLOE_FAIL_ALLOC_AT=N). They return NULL on failure; callers report FLOE_ENOMEM. */
void *floe_malloc(size_t n);
void *floe_calloc(size_t n, size_t sz);
void *floe_realloc(void *p, size_t n);
char *floe_strdup(const char *s);
char *floe_strndup(const char *s, size_t n);
void floe_free(void *p);

/* ---- arena: one lifetime (a definitions load, a request), freed in one call. */
typedef struct floe_arena_chunk floe_arena_chunk;
typedef struct floe_arena {
  floe_arena_chunk *head;
  size_t chunk_size;
} floe_arena;
void floe_arena_init(floe_arena *a, size_t chunk_size);
/* Returns zeroed memory owned by the arena, or NULL when out of memory. */
void *floe_arena_alloc(floe_arena *a, size_t n);
char *floe_arena_strdup(floe_arena *a, const char *s);
char *floe_arena_strndup(floe_arena *a, const char *s, size_t n);
char *floe_arena_printf(floe_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void floe_arena_free(floe_arena *a);

/* ---- buf: growable string with a hard cap. Always NUL-terminated. The owner frees with
 * floe_buf_free or takes the string with floe_buf_take (then the caller floe_free()s it).
 * An append that fails (out of memory, or past the cap) fails the buffer for good (oom, sticky) and drops its
 * text (len 0): a failed buffer never reads as the text built so far minus what did not fit. */
typedef struct floe_buf {
  char *p;
  size_t len, cap, max; /* max 0 = 1 GiB */
  bool oom;             /* sticky: an append failed */
} floe_buf;
void floe_buf_init(floe_buf *b, size_t max);
int floe_buf_append(floe_buf *b, const void *data, size_t n);
int floe_buf_puts(floe_buf *b, const char *s);
int floe_buf_putc(floe_buf *b, char c);
int floe_buf_printf(floe_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (with quotes). */
int floe_buf_json_str(floe_buf *b, const char *s);
/* The same for n bytes that may hold NUL (written \u0000). */
int floe_buf_json_strn(floe_buf *b, const char *s, size_t n);
void floe_buf_reset(floe_buf *b);
/* The text, floe_malloc'd, for the caller to floe_free; NULL when the buffer failed (or out of memory). */
char *floe_buf_take(floe_buf *b);
void floe_buf_free(floe_buf *b);
/* What a failed buffer reads as. Bytes 0xFF never occur in UTF-8, so no real text holds it and no parser
 * accepts it; the engine refuses every statement that holds it (floe_engine_query). So SQL built in a failed
 * buffer can never run, whether run directly, copied out or pasted into a larger statement. */
#define FLOE_BUF_FAILED "\xff(out of memory)\xff"
static inline const char *floe_buf_str(const floe_buf *b) { return b->oom ? FLOE_BUF_FAILED : b->p ? b->p : ""; }

/* ---- vec: growable array of pointers. */
typedef struct floe_vec {
  void **items;
  size_t len, cap;
} floe_vec;
int floe_vec_push(floe_vec *v, void *item) FLOE_WUR;
void floe_vec_free(floe_vec *v);

/* ---- map: string -> pointer hash map (open addressing). Keys are not copied: they must
 * outlive the map (typically arena strings). */
typedef struct floe_map {
  const char **keys;
  void **vals;
  size_t len, cap;
} floe_map;
int floe_map_put(floe_map *m, const char *key, void *val) FLOE_WUR;
void *floe_map_get(const floe_map *m, const char *key);
bool floe_map_has(const floe_map *m, const char *key);
void floe_map_free(floe_map *m);

/* ---- files */
/* Reads a whole file; *out is floe_malloc'd and NUL-terminated (caller frees). */
int floe_file_read(const char *path, char **out, size_t *len, floe_err *err) FLOE_WUR;
/* Writes via a temp file + fsync + rename: readers see the old or the new content, never a mix.
 * mode 0 = 0600 (floe's files are private: see docs/security.md). */
int floe_file_write_atomic(const char *path, const void *data, size_t len, int mode, floe_err *err) FLOE_WUR;
/* mkdir -p; directories it creates get mode (& ~umask). */
int floe_mkdirs(const char *path, int mode, floe_err *err) FLOE_WUR;
/* Creates path empty with mode when it does not exist (e.g. a database file, so that the library opening
 * it, and the journal files it makes with the same mode, never create it more open). Existing: untouched. */
int floe_file_create(const char *path, int mode, floe_err *err) FLOE_WUR;
/* Makes what this process creates private to its user (umask 077: files 0600, directories 0700), also for
 * files other libraries create (DuckDB's COPY, SQLite's -wal/-shm) and for the programs it starts. Returns
 * the umask before the first call (later calls change nothing). */
unsigned floe_umask_private(void);
/* True when path is root or lies below it (lexically: both must already be resolved, see below). */
bool floe_path_under(const char *root, const char *path);
/* path with its parent directory resolved (realpath: no symlink, no "..", no "."), into out (n bytes).
 * The last component is kept as it is (it must be a plain name). -1 (errno set) when the parent does not
 * resolve or path is relative. */
int floe_path_resolve_parent(const char *path, char *out, size_t n);
/* Removes the regular file path only when it lies below the directory root (resolved by the caller with
 * realpath): path must be absolute, its parent must resolve inside root, and path itself must be a regular
 * file (a symlink or a directory is refused, never followed). 0 removed; FLOE_ENOTFOUND when it is already
 * gone; FLOE_EINPUT when refused (outside root, relative, not a regular file); FLOE_EIO otherwise. */
int floe_unlink_under(const char *root, const char *path, floe_err *err) FLOE_WUR;
bool floe_path_exists(const char *path);
bool floe_is_dir(const char *path);
/* Removes a directory tree (like rm -rf). */
int floe_rmtree(const char *path);
/* Joins a and b with '/'; result from the arena. */
char *floe_path_join(floe_arena *a, const char *x, const char *y);
/* Absolute path of the running floe executable (static buffer). */
const char *floe_self_exe(void);

/* ---- time */
int64_t floe_now_us(void);      /* wall clock, microseconds since the epoch */
int64_t floe_mono_us(void);     /* monotonic clock */
/* The automation clock (schedules, sensors, queue, retention): floe_now_us() unless a test replaced it, through
 * the env var FLOE_CLOCK_FILE (a file holding the instant, re-read on every call) or floe_clock_override(fn)
 * (NULL restores the real clock). See src/util/clock.c. */
int64_t floe_clock_now_us(void);
void floe_clock_override(int64_t (*fn)(void));
int floe_clock_is_fake(void);
/* Formats microseconds since the epoch as ISO-8601 UTC into out (at least 32 bytes). */
void floe_time_iso(int64_t us, char *out, size_t n);
/* Parses "2026-01-02", "2026-01-02T03:04:05Z", or relative "1h", "2d", "30m"; returns 0 on success. */
int floe_time_parse(const char *s, int64_t *us_out);
void floe_sleep_ms(int ms);

/* ---- wake-up datagrams (src/util/wake.c): a hint that something changed, sent to whoever bound path.
 * floe_wake_bind binds (replacing a stale socket file) a non-blocking socket; floe_wake_send pokes it and never
 * fails (nobody listening is fine); floe_wake_drain empties the socket, returning how many pokes it held. */
int floe_wake_bind(const char *path, int *fd, floe_err *err) FLOE_WUR;
void floe_wake_send(const char *path);
int floe_wake_drain(int fd);

/* ---- ids */
/* Writes a random 32-hex-char id (like a UUID without dashes) into out (at least 33 bytes). */
void floe_random_id(char *out);
/* Writes a canonical lower-case RFC 4122 v4 uuid into out (37 bytes). */
void floe_uuid4(char *out);
uint64_t floe_random_u64(void);

/* ---- misc strings */
bool floe_str_starts(const char *s, const char *prefix);
bool floe_str_ends(const char *s, const char *suffix);
/* Levenshtein distance, capped at cap+1 (for "did you mean"). */
int floe_edit_distance(const char *a, const char *b, int cap);

#endif
