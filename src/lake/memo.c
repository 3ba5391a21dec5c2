/* memo.c — serialized forms of immutable JSON values, keyed by the value's identity.
 *
 * A commit rewrites the whole metadata.json and manifest list although only one snapshot and one
 * manifest are new: the rest are the same jansson values, shared from the parsed base (see
 * meta_for_update). Remembering their encoded bytes keeps the cost of a commit from growing with the
 * table's history. Entries hold a reference to their value, so an address is never reused while
 * cached. */
#include <stdio.h>
#include <string.h>
#include "lake_int.h"

typedef struct memo_entry {
  json_t *key;
  char *data;
  size_t len;
  int kind;
} memo_entry;

struct lake_memo {
  memo_entry *e;
  size_t len, cap;
};

#define MEMO_MAX 200000

static size_t hash_ptr(const void *p, int kind) {
  uint64_t x = (uint64_t)(uintptr_t)p ^ (uint64_t)kind * 0x9e3779b97f4a7c15ULL;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x;
}

void lake_memo_free(lake_memo *m) {
  if (!m) return;
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->e[i].key) continue;
    json_decref(m->e[i].key);
    floe_free(m->e[i].data);
  }
  floe_free(m->e);
  floe_free(m);
}

const char *lake_memo_get(lake_memo *m, const json_t *key, int kind, size_t *len) {
  if (!m || !m->cap) return NULL;
  for (size_t i = hash_ptr(key, kind) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    if (!m->e[i].key) return NULL;
    if (m->e[i].key == key && m->e[i].kind == kind) {
      *len = m->e[i].len;
      return m->e[i].data;
    }
  }
}

static void clear(lake_memo *m) {
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->e[i].key) continue;
    json_decref(m->e[i].key);
    floe_free(m->e[i].data);
    m->e[i].key = NULL;
  }
  m->len = 0;
}

void lake_memo_put(lake_memo *m, json_t *key, int kind, const char *data, size_t len) {
  if (!m) return;
  if (m->len >= MEMO_MAX) clear(m);
  if ((m->len + 1) * 2 > m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 1024;
    memo_entry *ne = floe_calloc(ncap, sizeof *ne);
    if (!ne) return;
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->e[i].key) continue;
      size_t j = hash_ptr(m->e[i].key, m->e[i].kind) & (ncap - 1);
      while (ne[j].key) j = (j + 1) & (ncap - 1);
      ne[j] = m->e[i];
    }
    floe_free(m->e);
    m->e = ne;
    m->cap = ncap;
  }
  char *copy = floe_malloc(len ? len : 1);
  if (!copy) return;
  memcpy(copy, data, len);
  size_t i = hash_ptr(key, kind) & (m->cap - 1);
  while (m->e[i].key) {
    if (m->e[i].key == key && m->e[i].kind == kind) {
      floe_free(m->e[i].data);
      m->e[i].data = copy;
      m->e[i].len = len;
      return;
    }
    i = (i + 1) & (m->cap - 1);
  }
  m->e[i] = (memo_entry){json_incref(key), copy, len, kind};
  m->len++;
}

lake_memo *lake_memo_new(void) { return floe_calloc(1, sizeof(lake_memo)); }

/* ---- a JSON writer (jansson's json_dumps costs ~10 ms per 600 KB of metadata) */

static void dump(floe_buf *b, json_t *v, lake_memo *m, int depth) {
  char num[40];
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    floe_buf_putc(b, '{');
    const char *k;
    json_t *x;
    bool first = true;
    json_object_foreach(v, k, x) {
      if (!first) floe_buf_putc(b, ',');
      first = false;
      floe_buf_json_str(b, k);
      floe_buf_putc(b, ':');
      dump(b, x, m, depth + 1);
    }
    floe_buf_putc(b, '}');
    break;
  }
  case JSON_ARRAY: {
    floe_buf_putc(b, '[');
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
      if (i) floe_buf_putc(b, ',');
      /* Elements of the top-level arrays (snapshots, logs, schemas) are immutable once written. */
      size_t len;
      const char *c = depth == 1 && json_is_object(x) ? lake_memo_get(m, x, 1, &len) : NULL;
      if (c) {
        floe_buf_append(b, c, len);
      } else if (depth == 1 && json_is_object(x) && m) {
        size_t at = b->len;
        dump(b, x, m, depth + 1);
        lake_memo_put(m, x, 1, b->p + at, b->len - at);
      } else {
        dump(b, x, m, depth + 1);
      }
    }
    floe_buf_putc(b, ']');
    break;
  }
  case JSON_STRING: floe_buf_json_str(b, json_string_value(v)); break;
  case JSON_INTEGER:
    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    floe_buf_puts(b, num);
    break;
  case JSON_REAL:
    snprintf(num, sizeof num, "%.17g", json_real_value(v));
    if (!strpbrk(num, ".eEn")) strcat(num, ".0");
    floe_buf_puts(b, num);
    break;
  case JSON_TRUE: floe_buf_puts(b, "true"); break;
  case JSON_FALSE: floe_buf_puts(b, "false"); break;
  case JSON_NULL: floe_buf_puts(b, "null"); break;
  }
}

char *lake_json_text(json_t *v, lake_memo *m) {
  floe_buf b;
  floe_buf_init(&b, 0);
  dump(&b, v, m, 0);
  if (b.oom) {
    floe_buf_free(&b);
    return NULL;
  }
  return floe_buf_take(&b);
}

static lake_memo *global_memo;
static int global_refs;
static char *ml_path;
static json_t *ml_records;

lake_memo *lake_global_memo(void) {
  if (!global_memo) global_memo = lake_memo_new();
  return global_memo;
}

void lake_global_ref(int delta) {
  global_refs += delta;
  if (global_refs > 0) return;
  global_refs = 0;
  lake_memo_free(global_memo);
  global_memo = NULL;
  floe_free(ml_path);
  ml_path = NULL;
  json_decref(ml_records);
  ml_records = NULL;
}

json_t *lake_ml_cache_get(const char *path) {
  return ml_path && !strcmp(ml_path, path) ? json_incref(ml_records) : NULL;
}

void lake_ml_cache_put(const char *path, json_t *records) {
  if (!global_refs) return;
  floe_free(ml_path);
  json_decref(ml_records);
  ml_path = floe_strdup(path);
  ml_records = json_incref(records);
}
