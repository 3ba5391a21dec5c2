/* mem.c — the allocation wrapper, arenas, growable buffers, vectors and string maps. */
#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "floe/util.h"

/* ---- allocation with fault injection: FLOE_FAIL_ALLOC_AT=N fails the Nth allocation. */
static long fail_at = -1, alloc_count;
static pthread_once_t fail_once = PTHREAD_ONCE_INIT;

static void fail_setup(void) {
  const char *e = getenv("FLOE_FAIL_ALLOC_AT");
  fail_at = e ? atol(e) : -1;
}

/* Thread-safe: `floe query` opens DuckDB on a second thread while the main one reads the lake. */
static int should_fail(void) {
  pthread_once(&fail_once, fail_setup);
  if (fail_at < 0) return 0;
  return __atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED) == fail_at;
}

void *floe_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *floe_calloc(size_t n, size_t sz) { return should_fail() ? NULL : calloc(n ? n : 1, sz ? sz : 1); }
void *floe_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }
void floe_free(void *p) { free(p); }

/* jansson allocates through the same wrapper, so FLOE_FAIL_ALLOC_AT reaches its parser, its values and its
 * encoder too. A constructor: every binary linking libfloe (floe, the unit tests) gets it before main runs,
 * before any JSON value exists, and no front end can forget it. */
__attribute__((constructor)) static void json_alloc_setup(void) { json_set_alloc_funcs(floe_malloc, floe_free); }
char *floe_strdup(const char *s) { return s ? floe_strndup(s, strlen(s)) : NULL; }
char *floe_strndup(const char *s, size_t n) {
  char *d = floe_malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

/* ---- arena */
struct floe_arena_chunk {
  floe_arena_chunk *next;
  size_t used, size;
  _Alignas(16) char data[];
};

void floe_arena_init(floe_arena *a, size_t chunk_size) {
  a->head = NULL;
  a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

void *floe_arena_alloc(floe_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  floe_arena_chunk *c = a->head;
  if (!c || c->size - c->used < n) {
    size_t sz = n > a->chunk_size / 4 ? n : a->chunk_size;
    c = floe_malloc(sizeof *c + sz);
    if (!c) return NULL;
    c->size = sz;
    c->used = 0;
    if (n > a->chunk_size / 4 && a->head) { /* big block: keep the current chunk on top */
      c->next = a->head->next;
      a->head->next = c;
    } else {
      c->next = a->head;
      a->head = c;
    }
  }
  void *p = c->data + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

char *floe_arena_strndup(floe_arena *a, const char *s, size_t n) {
  char *d = floe_arena_alloc(a, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

char *floe_arena_strdup(floe_arena *a, const char *s) { return s ? floe_arena_strndup(a, s, strlen(s)) : NULL; }

char *floe_arena_printf(floe_arena *a, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *d = n >= 0 ? floe_arena_alloc(a, (size_t)n + 1) : NULL;
  if (d) vsnprintf(d, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return d;
}

void floe_arena_free(floe_arena *a) {
  floe_arena_chunk *c = a->head;
  while (c) {
    floe_arena_chunk *n = c->next;
    floe_free(c);
    c = n;
  }
  a->head = NULL;
}

/* ---- buf */
void floe_buf_init(floe_buf *b, size_t max) {
  memset(b, 0, sizeof *b);
  b->max = max ? max : (size_t)1 << 30;
}

/* Fails the buffer for good and drops its text (see floe_buf in util.h): all of it is zeroed, since callers
 * that wipe a secret they built wipe len bytes, and len is now 0. */
static int buf_fail(floe_buf *b) {
  b->oom = true;
  b->len = 0;
  if (b->p) memset(b->p, 0, b->cap);
  return FLOE_ENOMEM;
}

static int buf_grow(floe_buf *b, size_t extra) {
  if (b->oom) return FLOE_ENOMEM;
  if (!b->max) b->max = (size_t)1 << 30;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return 0;
  if (need > b->max) return buf_fail(b);
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  if (cap > b->max) cap = b->max;
  char *p = floe_realloc(b->p, cap);
  if (!p) return buf_fail(b);
  b->p = p;
  b->cap = cap;
  return 0;
}

int floe_buf_append(floe_buf *b, const void *data, size_t n) {
  if (buf_grow(b, n)) return FLOE_ENOMEM;
  if (n) memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = 0;
  return 0;
}
int floe_buf_puts(floe_buf *b, const char *s) { return floe_buf_append(b, s, strlen(s)); }
int floe_buf_putc(floe_buf *b, char c) { return floe_buf_append(b, &c, 1); }

int floe_buf_printf(floe_buf *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || buf_grow(b, (size_t)n)) {
    va_end(ap2);
    return FLOE_ENOMEM;
  }
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->len += (size_t)n;
  return 0;
}

int floe_buf_json_str(floe_buf *b, const char *s) { return floe_buf_json_strn(b, s, strlen(s)); }

int floe_buf_json_strn(floe_buf *b, const char *s, size_t n) {
  int rc = floe_buf_putc(b, '"');
  for (const unsigned char *p = (const unsigned char *)s, *end = p + n; p < end && !rc; p++) {
    switch (*p) {
    case '"': rc = floe_buf_puts(b, "\\\""); break;
    case '\\': rc = floe_buf_puts(b, "\\\\"); break;
    case '\n': rc = floe_buf_puts(b, "\\n"); break;
    case '\r': rc = floe_buf_puts(b, "\\r"); break;
    case '\t': rc = floe_buf_puts(b, "\\t"); break;
    default:
      if (*p < 0x20) rc = floe_buf_printf(b, "\\u%04x", *p);
      else rc = floe_buf_putc(b, (char)*p);
    }
  }
  return rc ? rc : floe_buf_putc(b, '"');
}

void floe_buf_reset(floe_buf *b) {
  b->len = 0;
  if (b->p) b->p[0] = 0;
}

char *floe_buf_take(floe_buf *b) {
  char *p = b->p;
  if (b->oom) {
    floe_free(p);
    p = NULL;
  } else if (!p) {
    p = floe_strdup("");
  }
  b->p = NULL;
  b->len = b->cap = 0;
  return p;
}

void floe_buf_free(floe_buf *b) {
  floe_free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* ---- vec */
int floe_vec_push(floe_vec *v, void *item) {
  if (v->len == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 8;
    void **n = floe_realloc(v->items, cap * sizeof *n);
    if (!n) return FLOE_ENOMEM;
    v->items = n;
    v->cap = cap;
  }
  v->items[v->len++] = item;
  return 0;
}

void floe_vec_free(floe_vec *v) {
  floe_free(v->items);
  memset(v, 0, sizeof *v);
}

/* ---- map: FNV-1a, linear probing, load factor <= 1/2 */
static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static int map_grow(floe_map *m) {
  size_t cap = m->cap ? m->cap * 2 : 16;
  const char **keys = floe_calloc(cap, sizeof *keys);
  void **vals = floe_calloc(cap, sizeof *vals);
  if (!keys || !vals) {
    floe_free(keys);
    floe_free(vals);
    return FLOE_ENOMEM;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i]) continue;
    size_t j = hash_str(m->keys[i]) & (cap - 1);
    while (keys[j]) j = (j + 1) & (cap - 1);
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
  floe_free(m->keys);
  floe_free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
  return 0;
}

int floe_map_put(floe_map *m, const char *key, void *val) {
  if ((m->len + 1) * 2 > m->cap && map_grow(m)) return FLOE_ENOMEM;
  size_t j = hash_str(key) & (m->cap - 1);
  while (m->keys[j]) {
    if (strcmp(m->keys[j], key) == 0) {
      m->vals[j] = val;
      return 0;
    }
    j = (j + 1) & (m->cap - 1);
  }
  m->keys[j] = key;
  m->vals[j] = val;
  m->len++;
  return 0;
}

static long map_find(const floe_map *m, const char *key) {
  if (!m->cap) return -1;
  size_t j = hash_str(key) & (m->cap - 1);
  while (m->keys[j]) {
    if (strcmp(m->keys[j], key) == 0) return (long)j;
    j = (j + 1) & (m->cap - 1);
  }
  return -1;
}

void *floe_map_get(const floe_map *m, const char *key) {
  long j = map_find(m, key);
  return j < 0 ? NULL : m->vals[j];
}
bool floe_map_has(const floe_map *m, const char *key) { return map_find(m, key) >= 0; }

void floe_map_free(floe_map *m) {
  floe_free(m->keys);
  floe_free(m->vals);
  memset(m, 0, sizeof *m);
}
