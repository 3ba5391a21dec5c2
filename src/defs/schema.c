/* schema.c — the keys of floe.yaml and assets/ *.yaml as tables, and the one loop that interprets them.
 *
 * Each mapping the user writes has a schema: a table of fields (name, type, where the value goes in
 * the target struct, limits). parse_map() walks a mapping against its table and reports every mistake
 * as "<file>:<line>:<col>: <key path>: <problem>; expected <X>, found <Y>". Adding a key means adding a
 * row; docs/reference/project-files.md lists the same keys. */
#include "defs_int.h"
#include "floe/ingest.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Key paths and names are shortened rather than failing when they do not fit a buffer. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

typedef struct ctx {
  floe_project *p;
  floe_arena *a;
  floe_err *err;
} ctx;

typedef enum {
  T_STR,      /* const char *: any non-null scalar */
  T_NAME,     /* const char *: [A-Za-z0-9_./-]+ (asset keys, groups, job names) */
  T_INT,      /* int */
  T_NUM,      /* double */
  T_BOOL,     /* bool */
  T_ENUM,     /* int: index into enums */
  T_ENUMSTR,  /* const char *: one of enums */
  T_STRLIST,  /* const char ** (NULL-terminated) + size_t count at off_n */
  T_NAMELIST, /* same, each item a T_NAME */
  T_TAGS,     /* floe_tag * + size_t */
  T_ENV,      /* floe_kv * + size_t: NAME -> string | {secret: group.key} */
  T_VALUE,    /* floe_value: string | {secret: group.key} */
  T_NODE,     /* const floe_node *, kept as written */
  T_MAPNODE,  /* const floe_node *, must be a mapping */
  T_SEQNODE,  /* const floe_node *, must be a list */
  T_STRUCT,   /* nested mapping: sub schema, same target struct */
  T_LIST,     /* list of mappings: array of new sub->size objects + size_t count */
  T_FN,       /* custom parser fn */
} ftype;

typedef struct schema schema;
typedef int (*field_fn)(ctx *c, const floe_node *n, void *obj, const char *path);

typedef struct field {
  const char *name;
  ftype type;
  size_t off, off_n;
  bool required;
  bool has_min, has_max;
  double min, max;
  const char *const *enums;
  const schema *sub;
  field_fn fn;        /* T_FN: the parser; other types: an extra check run after parsing */
  const char *expect; /* what to write after "expected" (default: from the type) */
} field;

struct schema {
  const field *fields;
  size_t nfields;
  size_t size;     /* T_LIST: size of one object */
  size_t node_off; /* T_LIST: offset of the object's `const floe_node *node`, or NO_OFF */
  void (*init)(ctx *c, void *obj);
  int (*post)(ctx *c, const floe_node *n, void *obj, const char *path);
};
#define NO_OFF SIZE_MAX
#define PATHLEN 256

_Static_assert(sizeof(floe_asset_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(floe_backoff) == sizeof(int), "enums are stored as int");

/* ---- errors */

static int fail(ctx *c, const floe_node *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(ctx *c, const floe_node *at, const char *path, const char *fmt, ...) {
  char msg[3072];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return floe_err_set(c->err, FLOE_EINPUT, "%s:%d:%d: %s: %s", at->file, at->line, at->col,
                      *path ? path : "(top level)", msg);
}

static int oom(ctx *c) { return floe_err_set(c->err, FLOE_ENOMEM, "out of memory while loading the project"); }

static const char *enum_list(const char *const *e, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = 0;
  for (size_t i = 0; e[i] && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", e[i]);
  return buf;
}

static const char *expect_text(const field *f, char *buf, size_t n) {
  if (f->expect) return f->expect;
  char e[512];
  switch (f->type) {
  case T_STR: return "a string";
  case T_NAME: return "a name of letters, digits and _ . / -";
  case T_INT:
  case T_NUM:
    if (f->has_min && f->has_max)
      snprintf(buf, n, "a%s from %g to %g", f->type == T_INT ? "n integer" : " number", f->min, f->max);
    else if (f->has_min)
      snprintf(buf, n, "a%s >= %g", f->type == T_INT ? "n integer" : " number", f->min);
    else
      snprintf(buf, n, "a%s", f->type == T_INT ? "n integer" : " number");
    return buf;
  case T_BOOL: return "true or false";
  case T_ENUM:
  case T_ENUMSTR: snprintf(buf, n, "one of %s", enum_list(f->enums, e, sizeof e)); return buf;
  case T_STRLIST: return "a list of strings";
  case T_NAMELIST: return "a list of names";
  case T_TAGS: return "a mapping of tag names to string values";
  case T_ENV: return "a mapping of NAME: string or {secret: group.key}";
  case T_VALUE: return "a string or {secret: group.key}";
  case T_NODE: return "a value";
  case T_MAPNODE:
  case T_STRUCT:
  case T_FN: return "a mapping";
  case T_SEQNODE: return "a list";
  case T_LIST: return "a list of mappings";
  }
  return "a value";
}

static int wrong(ctx *c, const floe_node *n, const char *path, const char *problem, const char *expected) {
  char found[128];
  return fail(c, n, path, "%s; expected %s, found %s", problem, expected, floe_node_describe(n, found, sizeof found));
}

static int wrong_type(ctx *c, const field *f, const floe_node *n, const char *path) {
  char buf[600];
  const char *problem = "wrong type";
  if (n->type == FLOE_NODE_SCALAR && !floe_node_is_null(n)) {
    if (f->type == T_INT) problem = "not an integer";
    if (f->type == T_NUM) problem = "not a number";
    if (f->type == T_BOOL) problem = "not a boolean";
  }
  return wrong(c, n, path, problem, expect_text(f, buf, sizeof buf));
}

/* Key paths are built for every value on the success path too, so without printf. */
static void join_key(char *out, const char *path, const char *key) {
  size_t pl = strlen(path), kl = strlen(key);
  if (pl > PATHLEN - 2) pl = PATHLEN - 2;
  if (out != path) memcpy(out, path, pl);
  if (pl) out[pl++] = '.';
  if (kl > PATHLEN - 1 - pl) kl = PATHLEN - 1 - pl;
  memcpy(out + pl, key, kl);
  out[pl + kl] = 0;
}

static void join_index(char *out, const char *path, size_t i) {
  char num[24];
  size_t nl = 0, pl = strlen(path);
  do
    num[sizeof num - 1 - nl++] = (char)('0' + i % 10);
  while ((i /= 10) && nl < 20);
  if (pl > PATHLEN - 3 - nl) pl = PATHLEN - 3 - nl;
  memcpy(out, path, pl);
  out[pl] = '[';
  memcpy(out + pl + 1, num + sizeof num - nl, nl);
  out[pl + 1 + nl] = ']';
  out[pl + 2 + nl] = 0;
}

/* ---- suggestions (computed only on the error path) */

const char *defs_suggest(const char *word, const char *const *cands, size_t n) {
  const char *best = NULL;
  int bestd = 3;
  for (size_t i = 0; i < n; i++) {
    if (!cands[i]) continue;
    int d = floe_edit_distance(word, cands[i], 2);
    if (d < bestd) {
      bestd = d;
      best = cands[i];
    }
  }
  return best;
}

const char *defs_suggest_asset(const floe_project *p, const char *word) {
  const char *best = NULL;
  int bestd = 3;
  for (size_t i = 0; i < p->nassets; i++) {
    int d = floe_edit_distance(word, p->assets[i]->key, 2);
    if (d < bestd) {
      bestd = d;
      best = p->assets[i]->key;
    }
  }
  return best;
}

const char *defs_hint(char *buf, size_t n, const char *suggestion) {
  if (suggestion)
    snprintf(buf, n, " (did you mean '%s'?)", suggestion);
  else
    buf[0] = 0;
  return buf;
}

bool defs_key_valid(const char *s, char *bad) {
  *bad = 0;
  if (!*s) return false;
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (!(isalnum(ch) || ch == '_' || ch == '.' || ch == '/' || ch == '-')) {
      *bad = (char)ch;
      return false;
    }
  }
  return true;
}

void defs_warn(floe_project *p, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char *s = floe_arena_strdup(&p->arena, msg);
  if (s && floe_vec_push(&p->warnings, s)) { /* best effort */
  }
}

/* ---- scalar parsers */

static int parse_name(ctx *c, const floe_node *n, const char *path, const char **out) {
  const char *s = floe_node_scalar(n);
  if (!s) return wrong(c, n, path, "wrong type", "a name of letters, digits and _ . / -");
  char bad;
  if (!defs_key_valid(s, &bad)) {
    char what[32];
    if (!*s)
      snprintf(what, sizeof what, "an empty name");
    else if (isprint((unsigned char)bad))
      snprintf(what, sizeof what, "invalid character '%c'", bad);
    else
      snprintf(what, sizeof what, "invalid byte 0x%02x", (unsigned char)bad);
    return wrong(c, n, path, what, "letters, digits and _ . / -");
  }
  *out = s;
  return 0;
}

/* string | {secret: group.key} */
static int parse_value(ctx *c, const floe_node *n, const char *path, floe_value *out) {
  memset(out, 0, sizeof *out);
  out->node = n;
  if (floe_node_is_null(n)) {
    out->literal = "";
    return 0;
  }
  if (n->type == FLOE_NODE_SCALAR) {
    out->literal = n->str;
    return 0;
  }
  if (n->type != FLOE_NODE_MAP) return wrong(c, n, path, "wrong type", "a string or {secret: group.key}");
  static const char *const secret_keys[] = {"secret"};
  for (size_t i = 0; i < n->len; i++) {
    if (strcmp(n->keys[i], "secret")) {
      char sub[PATHLEN], hint[128];
      join_key(sub, path, n->keys[i]);
      return fail(c, n->key_nodes[i], sub,
                  "unknown key; expected secret (a reference {secret: group.key}), found '%s'%s", n->keys[i],
                  defs_hint(hint, sizeof hint, defs_suggest(n->keys[i], secret_keys, 1)));
    }
  }
  const floe_node *v = floe_node_get(n, "secret");
  char sub[PATHLEN];
  join_key(sub, path, "secret");
  if (!v) return wrong(c, n, path, "empty secret reference", "{secret: group.key}");
  const char *s = floe_node_scalar(v);
  const char *dot = s ? strchr(s, '.') : NULL;
  if (!s || !dot || dot == s || !dot[1])
    return wrong(c, v, sub, "invalid secret reference", "group.key (for example github.token)");
  out->secret_group = floe_arena_strndup(c->a, s, (size_t)(dot - s));
  out->secret_key = dot + 1;
  if (!out->secret_group) return oom(c);
  return 0;
}

static bool parse_bool(const char *s, bool *out) {
  static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
  static const char *const f[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    if (!strcmp(s, t[i])) return (*out = true);
    if (!strcmp(s, f[i])) return !(*out = false);
  }
  return false;
}

static bool parse_double(const char *s, double *out) {
  if (!*s || isspace((unsigned char)*s)) return false;
  if (!(isdigit((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.')) return false;
  if (strpbrk(s, "xXpP")) return false; /* no hex floats */
  char *end;
  errno = 0;
  double d = strtod(s, &end);
  if (*end || errno || !isfinite(d)) return false;
  *out = d;
  return true;
}

/* ---- the interpreter */

static int parse_map(ctx *c, const schema *s, const floe_node *n, void *obj, const char *path);

#define AT(obj, off, T) ((T *)((char *)(obj) + (off)))

static int check_range(ctx *c, const field *f, const floe_node *n, const char *path, double d) {
  char buf[128];
  if (f->has_min && d < f->min)
    return wrong(c, n, path, f->min == 0 ? "must not be negative" : "too small", expect_text(f, buf, sizeof buf));
  if (f->has_max && d > f->max) return wrong(c, n, path, "too large", expect_text(f, buf, sizeof buf));
  return 0;
}

static int parse_list(ctx *c, const field *f, const floe_node *n, void *obj, const char *path) {
  char buf[600];
  if (n->type != FLOE_NODE_SEQ) return wrong_type(c, f, n, path);
  if (f->has_min && (double)n->len < f->min)
    return wrong(c, n, path, "empty list", f->type == T_STRLIST ? "a non-empty list of strings" : "a non-empty list");
  const char **items = floe_arena_alloc(c->a, (n->len + 1) * sizeof *items);
  if (!items) return oom(c);
  for (size_t i = 0; i < n->len; i++) {
    char sub[PATHLEN];
    join_index(sub, path, i);
    if (f->type == T_NAMELIST) {
      int rc = parse_name(c, n->items[i], sub, &items[i]);
      if (rc) return rc;
    } else if (!(items[i] = floe_node_scalar(n->items[i]))) {
      return wrong(c, n->items[i], sub, "wrong type", f->expect ? f->expect : expect_text(f, buf, sizeof buf));
    }
  }
  *AT(obj, f->off, const char **) = items;
  *AT(obj, f->off_n, size_t) = n->len;
  return 0;
}

static bool env_name_valid(const char *s) {
  if (!*s || isdigit((unsigned char)*s)) return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
  return true;
}

static int parse_field(ctx *c, const field *f, const floe_node *n, void *obj, const char *path) {
  int rc = 0;
  const char *s = floe_node_scalar(n);
  switch (f->type) {
  case T_STR:
    if (!s) return wrong_type(c, f, n, path);
    *AT(obj, f->off, const char *) = s;
    break;
  case T_NAME: rc = parse_name(c, n, path, AT(obj, f->off, const char *)); break;
  case T_INT:
  case T_NUM: {
    double d;
    if (!s || n->quoted || !parse_double(s, &d)) return wrong_type(c, f, n, path);
    if (f->type == T_INT && (d != floor(d) || d < INT32_MIN || d > INT32_MAX)) return wrong_type(c, f, n, path);
    if ((rc = check_range(c, f, n, path, d))) return rc;
    if (f->type == T_INT)
      *AT(obj, f->off, int) = (int)d;
    else
      *AT(obj, f->off, double) = d;
    break;
  }
  case T_BOOL:
    if (!s || n->quoted || !parse_bool(s, AT(obj, f->off, bool))) return wrong_type(c, f, n, path);
    break;
  case T_ENUM:
  case T_ENUMSTR: {
    if (!s) return wrong_type(c, f, n, path);
    size_t ne = 0;
    while (f->enums[ne])
      ne++;
    for (size_t i = 0; i < ne; i++) {
      if (strcmp(s, f->enums[i])) continue;
      if (f->type == T_ENUM)
        *AT(obj, f->off, int) = (int)i;
      else
        *AT(obj, f->off, const char *) = f->enums[i];
      return f->fn ? f->fn(c, n, obj, path) : 0;
    }
    char buf[600], found[128], hint[128];
    return fail(c, n, path, "invalid value; expected %s, found %s%s", expect_text(f, buf, sizeof buf),
                floe_node_describe(n, found, sizeof found),
                defs_hint(hint, sizeof hint, defs_suggest(s, f->enums, ne)));
  }
  case T_STRLIST:
  case T_NAMELIST: rc = parse_list(c, f, n, obj, path); break;
  case T_TAGS: {
    if (n->type != FLOE_NODE_MAP) return wrong_type(c, f, n, path);
    floe_tag *tags = floe_arena_alloc(c->a, (n->len ? n->len : 1) * sizeof *tags);
    if (!tags) return oom(c);
    for (size_t i = 0; i < n->len; i++) {
      char sub[PATHLEN];
      join_key(sub, path, n->keys[i]);
      tags[i].key = n->keys[i];
      if (!*n->keys[i]) return wrong(c, n->key_nodes[i], sub, "empty tag name", "a tag name");
      if (floe_node_is_null(n->items[i]))
        tags[i].value = "";
      else if (!(tags[i].value = floe_node_scalar(n->items[i])))
        return wrong(c, n->items[i], sub, "wrong type", "a string tag value");
    }
    *AT(obj, f->off, floe_tag *) = tags;
    *AT(obj, f->off_n, size_t) = n->len;
    break;
  }
  case T_ENV: {
    if (n->type != FLOE_NODE_MAP) return wrong_type(c, f, n, path);
    floe_kv *kv = floe_arena_alloc(c->a, (n->len ? n->len : 1) * sizeof *kv);
    if (!kv) return oom(c);
    for (size_t i = 0; i < n->len; i++) {
      char sub[PATHLEN];
      join_key(sub, path, n->keys[i]);
      if (!env_name_valid(n->keys[i]))
        return wrong(c, n->key_nodes[i], sub, "invalid environment variable name",
                     "letters, digits and _ (not starting with a digit)");
      kv[i].name = n->keys[i];
      if ((rc = parse_value(c, n->items[i], sub, &kv[i].value))) return rc;
    }
    *AT(obj, f->off, floe_kv *) = kv;
    *AT(obj, f->off_n, size_t) = n->len;
    break;
  }
  case T_VALUE: rc = parse_value(c, n, path, AT(obj, f->off, floe_value)); break;
  case T_NODE: *AT(obj, f->off, const floe_node *) = n; break;
  case T_MAPNODE:
  case T_SEQNODE:
    if (n->type != (f->type == T_MAPNODE ? FLOE_NODE_MAP : FLOE_NODE_SEQ)) return wrong_type(c, f, n, path);
    *AT(obj, f->off, const floe_node *) = n;
    break;
  case T_STRUCT:
    if (n->type != FLOE_NODE_MAP) return wrong_type(c, f, n, path);
    rc = parse_map(c, f->sub, n, obj, path);
    break;
  case T_LIST: {
    if (n->type != FLOE_NODE_SEQ) return wrong_type(c, f, n, path);
    void **objs = floe_arena_alloc(c->a, (n->len ? n->len : 1) * sizeof *objs);
    if (!objs) return oom(c);
    for (size_t i = 0; i < n->len; i++) {
      char sub[PATHLEN];
      join_index(sub, path, i);
      const floe_node *item = n->items[i];
      if (item->type != FLOE_NODE_MAP) return wrong(c, item, sub, "wrong type", "a mapping");
      void *o = floe_arena_alloc(c->a, f->sub->size);
      if (!o) return oom(c);
      if (f->sub->node_off != NO_OFF) *AT(o, f->sub->node_off, const floe_node *) = item;
      if (f->sub->init) f->sub->init(c, o);
      if ((rc = parse_map(c, f->sub, item, o, sub))) return rc;
      objs[i] = o;
    }
    *AT(obj, f->off, void **) = objs;
    *AT(obj, f->off_n, size_t) = n->len;
    break;
  }
  case T_FN: return f->fn(c, n, obj, path);
  }
  if (!rc && f->fn) rc = f->fn(c, n, obj, path);
  return rc;
}

static int unknown_key(ctx *c, const schema *s, const floe_node *key, const char *path) {
  const char *names[64];
  char list[1024], hint[128], sub[PATHLEN];
  size_t used = 0, n = s->nfields < 64 ? s->nfields : 64;
  list[0] = 0;
  for (size_t i = 0; i < n; i++) {
    names[i] = s->fields[i].name;
    if (used < sizeof list) used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
  }
  join_key(sub, path, key->str);
  return fail(c, key, sub, "unknown key; expected one of %s, found '%s'%s", list, key->str,
              defs_hint(hint, sizeof hint, defs_suggest(key->str, names, n)));
}

static int parse_map(ctx *c, const schema *s, const floe_node *n, void *obj, const char *path) {
  uint64_t seen = 0;
  int rc;
  for (size_t i = 0; i < n->len; i++) {
    /* top-level keys starting with x- are extension fields, ignored: a place for YAML anchors (&defaults) */
    if (!path[0] && !strncmp(n->keys[i], "x-", 2)) continue;
    size_t k = 0;
    while (k < s->nfields && strcmp(s->fields[k].name, n->keys[i]))
      k++;
    if (k == s->nfields) return unknown_key(c, s, n->key_nodes[i], path);
    const field *f = &s->fields[k];
    if (floe_node_is_null(n->items[i]) && f->type != T_NODE) continue; /* `key:` with no value = absent */
    char sub[PATHLEN];
    join_key(sub, path, f->name);
    if ((rc = parse_field(c, f, n->items[i], obj, sub))) return rc;
    seen |= (uint64_t)1 << k;
  }
  for (size_t k = 0; k < s->nfields; k++) {
    if (!s->fields[k].required || (seen & ((uint64_t)1 << k))) continue;
    char sub[PATHLEN], buf[600];
    join_key(sub, path, s->fields[k].name);
    return fail(c, n, sub, "missing required key; expected %s, found nothing",
                expect_text(&s->fields[k], buf, sizeof buf));
  }
  return s->post ? s->post(c, n, obj, path) : 0;
}

/* ---- floe.yaml */

static const char *const backoffs[] = {"constant", "linear", "exponential", NULL};
static const char *const kinds[] = {"command", "ingest", NULL};
static const char *const modes[] = {"append", "overwrite", "merge", "replace_range", NULL};

#define FA(nm, ty, mem, ...)                                                                                           \
  { .name = nm, .type = ty, .off = offsetof(floe_asset, mem), __VA_ARGS__ }
#define FAL(nm, ty, mem, ...) FA(nm, ty, mem, .off_n = offsetof(floe_asset, n##mem), __VA_ARGS__)

static const field retry_fields[] = {
    FA("max_retries", T_INT, retry.max_retries, .has_min = true),
    FA("delay", T_NUM, retry.delay, .has_min = true, .expect = "a number of seconds >= 0"),
    FA("backoff", T_ENUM, retry.backoff, .enums = backoffs),
    FA("jitter", T_NUM, retry.jitter, .has_min = true, .has_max = true, .max = 1),
};
static const schema retry_schema = {retry_fields, sizeof retry_fields / sizeof retry_fields[0], 0, NO_OFF, NULL, NULL};

/* ---- option tables of other modules (floe_opt: the ingest connectors' source: keys) */

static int check_opts(ctx *c, const floe_opt *opts, const floe_node *n, const char *path);

static const char *opt_expect(const floe_opt *o, char *buf, size_t n) {
  char e[512];
  if (o->expect) return o->expect;
  switch (o->type) {
  case FLOE_OPT_STRING: return "a string";
  case FLOE_OPT_NUMBER: return "a number >= 0";
  case FLOE_OPT_BOOL: return "true or false";
  case FLOE_OPT_VALUE: return "a string or {secret: group.key}";
  case FLOE_OPT_VALUES: return "a mapping of name: string or {secret: group.key}";
  case FLOE_OPT_STRINGS: return "a non-empty list of strings";
  case FLOE_OPT_STRMAP: return "a mapping of name: string";
  case FLOE_OPT_ENUM: snprintf(buf, n, "one of %s", enum_list(o->enums, e, sizeof e)); return buf;
  case FLOE_OPT_MAP: return "a mapping";
  case FLOE_OPT_ENUM_OR_MAP: snprintf(buf, n, "one of %s, or a mapping", enum_list(o->enums, e, sizeof e)); return buf;
  case FLOE_OPT_COLUMNS: return "a mapping of column: type";
  case FLOE_OPT_ANY: return "a value";
  }
  return "a value";
}

static int opt_enum(ctx *c, const floe_opt *o, const floe_node *n, const char *path) {
  const char *s = floe_node_scalar(n);
  size_t ne = 0;
  while (o->enums[ne]) ne++;
  for (size_t i = 0; s && i < ne; i++)
    if (!strcmp(s, o->enums[i])) return 0;
  char buf[600], found[128], hint[128];
  return fail(c, n, path, "invalid value; expected %s, found %s%s", opt_expect(o, buf, sizeof buf),
              floe_node_describe(n, found, sizeof found), defs_hint(hint, sizeof hint, s ? defs_suggest(s, o->enums, ne) : NULL));
}

/* `columns:` (the asset's or the source's): column: type, every type one floe knows. */
static int check_columns(ctx *c, const floe_node *n, const char *path) {
  static const char *const names[] = {"boolean", "int", "long", "float", "double", "string", "json", "date",
                                      "timestamp", "timestamptz", "decimal(P,S)"};
  if (n->type != FLOE_NODE_MAP) return wrong(c, n, path, "wrong type", "a mapping of column: type");
  for (size_t i = 0; i < n->len; i++) {
    char sub[PATHLEN], hint[128];
    join_key(sub, path, n->keys[i]);
    const char *t = floe_node_scalar(n->items[i]);
    if (t && floe_ingest_column_type(t)) continue;
    char found[128];
    return fail(c, n->items[i], sub, "unknown column type; expected %s, found %s%s", FLOE_INGEST_COLUMN_TYPES,
                floe_node_describe(n->items[i], found, sizeof found),
                defs_hint(hint, sizeof hint, t ? defs_suggest(t, names, sizeof names / sizeof names[0]) : NULL));
  }
  return 0;
}

static int columns_field(ctx *c, const floe_node *n, void *obj, const char *path) { return check_columns(c, n, path); }

static bool opt_number(const floe_node *n) {
  const char *s = floe_node_scalar(n);
  char *end;
  return s && *s && strtod(s, &end) >= 0 && !*end;
}

/* One option's value against its row. A null value is absent (as for the loader's own keys). */
static int check_opt(ctx *c, const floe_opt *o, const floe_node *n, const char *path) {
  char buf[600], sub[PATHLEN];
  const char *s = floe_node_scalar(n);
  bool b;
  switch (o->type) {
  case FLOE_OPT_STRING:
    if (!s) return wrong(c, n, path, "wrong type", opt_expect(o, buf, sizeof buf));
    return 0;
  case FLOE_OPT_NUMBER:
    if (!opt_number(n)) return wrong(c, n, path, s ? "not a number >= 0" : "wrong type", opt_expect(o, buf, sizeof buf));
    return 0;
  case FLOE_OPT_BOOL:
    if (!s || (!parse_bool(s, &b) && strcmp(s, "1") && strcmp(s, "0")))
      return wrong(c, n, path, s ? "not a boolean" : "wrong type", opt_expect(o, buf, sizeof buf));
    return 0;
  case FLOE_OPT_VALUE: {
    floe_value v;
    return parse_value(c, n, path, &v);
  }
  case FLOE_OPT_VALUES:
  case FLOE_OPT_STRMAP:
    if (n->type != FLOE_NODE_MAP) return wrong(c, n, path, "wrong type", opt_expect(o, buf, sizeof buf));
    for (size_t i = 0; i < n->len; i++) {
      floe_value v;
      join_key(sub, path, n->keys[i]);
      if (o->type == FLOE_OPT_STRMAP && !floe_node_scalar(n->items[i]))
        return wrong(c, n->items[i], sub, "wrong type", "a string");
      int rc = o->type == FLOE_OPT_VALUES ? parse_value(c, n->items[i], sub, &v) : 0;
      if (rc) return rc;
    }
    return 0;
  case FLOE_OPT_STRINGS:
    if (n->type != FLOE_NODE_SEQ || !n->len) return wrong(c, n, path, "wrong type", opt_expect(o, buf, sizeof buf));
    for (size_t i = 0; i < n->len; i++) {
      join_index(sub, path, i);
      if (!floe_node_scalar(n->items[i])) return wrong(c, n->items[i], sub, "wrong type", "a string");
    }
    return 0;
  case FLOE_OPT_ENUM: return opt_enum(c, o, n, path);
  case FLOE_OPT_ENUM_OR_MAP:
    if (n->type == FLOE_NODE_MAP) return check_opts(c, o->sub, n, path);
    return opt_enum(c, o, n, path);
  case FLOE_OPT_MAP:
    if (n->type != FLOE_NODE_MAP) return wrong(c, n, path, "wrong type", opt_expect(o, buf, sizeof buf));
    return check_opts(c, o->sub, n, path);
  case FLOE_OPT_COLUMNS: return check_columns(c, n, path);
  case FLOE_OPT_ANY: return 0;
  }
  return 0;
}

/* A mapping against an option table: unknown keys (with did-you-mean), required keys, each value. */
static int check_opts(ctx *c, const floe_opt *opts, const floe_node *n, const char *path) {
  const char *names[64];
  size_t nn = 0;
  while (opts[nn].name && nn < 64) {
    names[nn] = opts[nn].name;
    nn++;
  }
  for (size_t i = 0; i < n->len; i++) {
    size_t k = 0;
    while (k < nn && strcmp(names[k], n->keys[i])) k++;
    char sub[PATHLEN];
    join_key(sub, path, n->keys[i]);
    if (k == nn) {
      char list[1024], hint[128];
      size_t used = 0;
      list[0] = 0;
      for (size_t j = 0; j < nn && used < sizeof list; j++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", names[j]);
      return fail(c, n->key_nodes[i], sub, "unknown key; expected one of %s, found '%s'%s", list, n->keys[i],
                  defs_hint(hint, sizeof hint, defs_suggest(n->keys[i], names, nn)));
    }
    if (floe_node_is_null(n->items[i])) continue;
    int rc = check_opt(c, &opts[k], n->items[i], sub);
    if (rc) return rc;
  }
  for (size_t k = 0; k < nn; k++) {
    const floe_node *v = floe_node_get(n, names[k]);
    if (!opts[k].required || (v && !floe_node_is_null(v))) continue;
    char sub[PATHLEN], buf[600];
    join_key(sub, path, names[k]);
    return fail(c, n, sub, "missing required key; expected %s, found nothing", opt_expect(&opts[k], buf, sizeof buf));
  }
  return 0;
}

/* source: {type: T, ...}: the type is one a connector reads, and every key is one that connector reads. */
static int check_source(ctx *c, const floe_asset *a, const char *path) {
  char sub[PATHLEN], hint[128], types[256], found[128];
  const floe_node *t = floe_node_get(a->source, "type");
  const floe_opt *opts = floe_ingest_source_opts(floe_node_scalar(t));
  join_key(sub, path, "source.type");
  if (!opts) {
    size_t nt = 0;
    while (floe_ingest_source_types[nt]) nt++;
    return fail(c, t, sub, "unknown source type; expected one of %s, found %s%s",
                enum_list(floe_ingest_source_types, types, sizeof types), floe_node_describe(t, found, sizeof found),
                defs_hint(hint, sizeof hint, defs_suggest(floe_node_scalar(t), floe_ingest_source_types, nt)));
  }
  join_key(sub, path, "source");
  return check_opts(c, opts, a->source, sub);
}

static void asset_init(ctx *c, void *obj) {
  floe_asset *a = obj;
  a->group = "default";
  a->retry.backoff = FLOE_BACKOFF_CONSTANT;
}

static int asset_post(ctx *c, const floe_node *n, void *obj, const char *path) {
  floe_asset *a = obj;
  char sub[PATHLEN];
  const char *only = a->kind == FLOE_ASSET_COMMAND ? "source" : "command";
  const floe_node *bad = floe_node_get(n, only);
  if (bad && !floe_node_is_null(bad)) {
    join_key(sub, path, only);
    char found[128];
    return fail(c, bad, sub, "not allowed for kind %s; expected %s, found %s", kinds[a->kind],
                a->kind == FLOE_ASSET_COMMAND ? "command: [...] for kind command (source: is for kind ingest)"
                                              : "source: {...} for kind ingest (command: is for kind command)",
                floe_node_describe(bad, found, sizeof found));
  }
  if (a->kind == FLOE_ASSET_COMMAND && !a->command) {
    join_key(sub, path, "command");
    return fail(c, n, sub,
                "missing required key for kind command; expected a list of strings (the argv to run), found nothing");
  }
  if (a->kind == FLOE_ASSET_INGEST) {
    if (!a->source) {
      join_key(sub, path, "source");
      return fail(c, n, sub,
                  "missing required key for kind ingest; expected a mapping with type: (csv, ndjson, parquet, ...), "
                  "found nothing");
    }
    const floe_node *t = floe_node_get(a->source, "type");
    join_key(sub, path, "source.type");
    if (!t || floe_node_is_null(t))
      return fail(c, a->source, sub,
                  "missing required key; expected a source type (csv, ndjson, parquet, http_json, postgres or "
                  "command), found nothing");
    if (!floe_node_scalar(t)) return wrong(c, t, sub, "wrong type", "a source type name");
    int rc = check_source(c, a, path);
    if (rc) return rc;
    if (!a->mode) a->mode = "append";
    if (!strcmp(a->mode, "merge") && !a->unique_key) {
      join_key(sub, path, "unique_key");
      return fail(c, n, sub, "missing required key for mode merge; expected a list of key columns, found nothing");
    }
  }
  const floe_node *table_node = floe_node_get(n, "table");
  if (a->table) {
    if (!strchr(a->table, '.')) a->table = floe_arena_printf(c->a, "%s.%s", c->p->lake_namespace, a->table);
  } else if (a->kind == FLOE_ASSET_INGEST) {
    /* the table of `sqlmesh/oso.projects_v1` is oso.projects_v1: a key's path prefix is not part of it */
    const char *base = strrchr(a->key, '/') ? strrchr(a->key, '/') + 1 : a->key;
    a->table = strchr(base, '.') ? base : floe_arena_printf(c->a, "%s.%s", c->p->lake_namespace, base);
    table_node = floe_node_get(n, "key");
  }
  if (a->kind == FLOE_ASSET_INGEST && !a->table) return oom(c);
  if (a->table) { /* namespace.table: non-empty dot-separated parts, no path separators */
    const char *t = a->table;
    bool ok = t[0] && t[0] != '.' && t[strlen(t) - 1] != '.' && !strstr(t, "..");
    for (const char *q = t; ok && *q; q++) ok = *q != '/' && *q != '\\' && (unsigned char)*q >= 32;
    if (!ok) {
      join_key(sub, path, "table");
      return fail(c, table_node ? table_node : n, sub,
                  "bad table name; expected namespace.table with non-empty parts and no '/', found '%s'", t);
    }
  }
  /* resources: floe.yaml was read first, so every resource is known */
  for (size_t j = 0; j < a->nresources; j++) {
    const floe_project *p = c->p;
    size_t k = 0;
    while (k < p->nresources && strcmp(p->resources[k]->name, a->resources[j]))
      k++;
    if (k < p->nresources) continue;
    const char **names = floe_arena_alloc(c->a, (p->nresources + 1) * sizeof *names);
    if (!names) return oom(c);
    for (k = 0; k < p->nresources; k++)
      names[k] = p->resources[k]->name;
    char hint[128];
    snprintf(sub, sizeof sub, "%s.resources[%zu]", path, j);
    return fail(c, floe_node_get(n, "resources")->items[j], sub,
                "no resource '%s'; expected the name of a resource in floe.yaml resources:, found '%s'%s",
                a->resources[j], a->resources[j],
                defs_hint(hint, sizeof hint, defs_suggest(a->resources[j], names, p->nresources)));
  }
  /* unique key within the project: the map holds every asset loaded so far */
  floe_asset *first = floe_map_get(&c->p->by_key, a->key);
  if (first) {
    const floe_node *k1 = floe_node_get(first->node, "key"), *k2 = floe_node_get(n, "key");
    join_key(sub, path, "key");
    return fail(c, k2, sub,
                "duplicate asset key '%s'; expected a unique key, found it again (first defined at %s:%d:%d)", a->key,
                k1->file, k1->line, k1->col);
  }
  if (floe_map_put(&c->p->by_key, a->key, a)) return oom(c);
  return 0;
}

static const field asset_fields[] = {
    FA("key", T_NAME, key, .required = true, .expect = "an asset key of letters, digits and _ . / -"),
    FA("kind", T_ENUM, kind, .required = true, .enums = kinds),
    FAL("command", T_STRLIST, command, .has_min = true, .min = 1, .expect = "a list of strings (the argv to run)"),
    FA("cwd", T_STR, cwd),
    FAL("env", T_ENV, env),
    FAL("deps", T_NAMELIST, deps, .expect = "a list of asset keys"),
    FA("group", T_NAME, group),
    FAL("tags", T_TAGS, tags),
    FAL("owners", T_STRLIST, owners),
    FA("description", T_STR, description),
    {.name = "retry", .type = T_STRUCT, .off = 0, .sub = &retry_schema},
    FA("timeout", T_NUM, timeout, .has_min = true, .expect = "a number of seconds >= 0"),
    FAL("resources", T_NAMELIST, resources, .expect = "a list of resource names"),
    FA("source", T_MAPNODE, source),
    FA("mode", T_ENUMSTR, mode, .enums = modes),
    FAL("unique_key", T_STRLIST, unique_key, .has_min = true, .min = 1, .expect = "a list of key columns"),
    FA("table", T_STR, table, .expect = "a table name (namespace.table)"),
    FA("columns", T_MAPNODE, columns, .fn = columns_field),
    FA("on_schema_change", T_STR, on_schema_change),
    FA("rejects", T_NODE, rejects),
    FA("partition", T_NODE, partition),
    FA("range", T_NODE, range),
};
static const schema asset_schema = {asset_fields,       sizeof asset_fields / sizeof asset_fields[0],
                                    sizeof(floe_asset), offsetof(floe_asset, node),
                                    asset_init,         asset_post};

typedef struct asset_file {
  floe_asset **assets;
  size_t nassets;
} asset_file;
static const field asset_file_fields[] = {
    {.name = "assets",
     .type = T_LIST,
     .off = offsetof(asset_file, assets),
     .off_n = offsetof(asset_file, nassets),
     .sub = &asset_schema},
};
static const schema asset_file_schema = {asset_file_fields, 1, 0, NO_OFF, NULL, NULL};

/* ---- jobs, schedules, resources */

/* The run tags the daemon reads (docs/automation.md) must hold what it expects: checked at load, not ignored
 * at run time. */
static int check_run_tags(ctx *c, const floe_node *n, void *obj, const char *path) {
  static const struct {
    const char *key, *expect;
    bool integer, signed_ok;
  } known[] = {
      {"dagster/priority", "an integer, e.g. \"5\" or \"-1\"", true, true},
      {"dagster/max_retries", "an integer >= 0", true, false},
      {"dagster/max_runtime", "a number of seconds >= 0", false, false},
  };
  for (size_t i = 0; i < n->len; i++) {
    const char *v = floe_node_scalar(n->items[i]);
    char sub[PATHLEN];
    join_key(sub, path, n->keys[i]);
    if (!v) continue;
    if (!strcmp(n->keys[i], "dagster/retry_strategy") && strcmp(v, "FROM_FAILURE") && strcmp(v, "ALL_STEPS"))
      return wrong(c, n->items[i], sub, "invalid value", "FROM_FAILURE or ALL_STEPS");
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
      if (strcmp(n->keys[i], known[k].key)) continue;
      char *end = NULL;
      double d = strtod(v, &end);
      if (end == v || *end || (known[k].integer && d != floor(d)) || (!known[k].signed_ok && d < 0))
        return wrong(c, n->items[i], sub, "invalid value", known[k].expect);
    }
  }
  return 0;
}

#define FJ(nm, ty, mem, ...)                                                                                           \
  { .name = nm, .type = ty, .off = offsetof(floe_job, mem), __VA_ARGS__ }
static const field job_fields[] = {
    FJ("name", T_NAME, name, .required = true),
    FJ("selection", T_STR, selection, .expect = "an asset selection (key, +key, key+, tag:k=v, group:g, *)"),
    FJ("tags", T_TAGS, tags, .off_n = offsetof(floe_job, ntags), .fn = check_run_tags),
    FJ("description", T_STR, description),
    FJ("config", T_MAPNODE, config_schema),
};
static void job_init(ctx *c, void *obj) { ((floe_job *)obj)->selection = "*"; }
static const schema job_schema = {
    job_fields, sizeof job_fields / sizeof job_fields[0], sizeof(floe_job), offsetof(floe_job, node), job_init, NULL};

static int check_cron(ctx *c, const floe_node *n, void *obj, const char *path) {
  int fields = 0;
  for (const char *s = n->str; *s;) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (!*s) break;
    fields++;
    while (*s && *s != ' ' && *s != '\t')
      s++;
  }
  if (fields != 5)
    return wrong(c, n, path, "invalid cron expression", "5 fields: minute hour day-of-month month day-of-week");
  return 0;
}

#define FS(nm, ty, mem, ...)                                                                                           \
  { .name = nm, .type = ty, .off = offsetof(floe_schedule, mem), __VA_ARGS__ }
static const field schedule_fields[] = {
    FS("name", T_NAME, name, .required = true),
    FS("job", T_NAME, job, .required = true, .expect = "the name of a job"),
    FS("cron", T_STR, cron, .required = true, .fn = check_cron, .expect = "a cron expression of 5 fields"),
    FS("timezone", T_STR, timezone),
    FS("enabled", T_BOOL, enabled),
};
static void schedule_init(ctx *c, void *obj) {
  floe_schedule *s = obj;
  s->enabled = true;
  s->timezone = "UTC";
}
static const schema schedule_schema = {schedule_fields,       sizeof schedule_fields / sizeof schedule_fields[0],
                                       sizeof(floe_schedule), offsetof(floe_schedule, node),
                                       schedule_init,         NULL};

/* resources: {NAME: {type: T, field: string | {secret: group.key}, ...}} */
static int parse_resources(ctx *c, const floe_node *n, void *obj, const char *path) {
  floe_project *p = obj;
  if (n->type != FLOE_NODE_MAP) return wrong(c, n, path, "wrong type", "a mapping of NAME: {type: ..., ...}");
  p->resources = floe_arena_alloc(c->a, (n->len ? n->len : 1) * sizeof *p->resources);
  if (!p->resources) return oom(c);
  for (size_t i = 0; i < n->len; i++) {
    char sub[PATHLEN];
    join_key(sub, path, n->keys[i]);
    const floe_node *rn = n->items[i];
    floe_resource *r = floe_arena_alloc(c->a, sizeof *r);
    if (!r) return oom(c);
    int rc = parse_name(c, n->key_nodes[i], sub, &r->name);
    if (rc) return rc;
    if (rn->type != FLOE_NODE_MAP)
      return wrong(c, rn, sub, "wrong type", "a mapping with type: and the resource's settings");
    r->node = rn;
    r->fields = floe_arena_alloc(c->a, (rn->len ? rn->len : 1) * sizeof *r->fields);
    if (!r->fields) return oom(c);
    for (size_t j = 0; j < rn->len; j++) {
      char fsub[PATHLEN];
      join_key(fsub, sub, rn->keys[j]);
      if (!strcmp(rn->keys[j], "type")) {
        if (!(r->type = floe_node_scalar(rn->items[j])))
          return wrong(c, rn->items[j], fsub, "wrong type", "a resource type name");
        continue;
      }
      floe_kv *kv = &r->fields[r->nfields++];
      kv->name = rn->keys[j];
      if ((rc = parse_value(c, rn->items[j], fsub, &kv->value))) return rc;
    }
    if (!r->type) {
      char tsub[PATHLEN];
      join_key(tsub, sub, "type");
      return fail(c, rn, tsub, "missing required key; expected a resource type name, found nothing");
    }
    p->resources[p->nresources++] = r;
  }
  return 0;
}

/* storage.postgres: URL | {secret: group.key} | {url: URL | {secret: ...}} */
static int parse_postgres(ctx *c, const floe_node *n, void *obj, const char *path) {
  floe_project *p = obj;
  p->storage_postgres = n;
  const floe_node *url = floe_node_get(n, "url");
  if (n->type == FLOE_NODE_MAP && !floe_node_get(n, "secret")) {
    for (size_t i = 0; i < n->len; i++) {
      if (strcmp(n->keys[i], "url")) {
        char sub[PATHLEN];
        join_key(sub, path, n->keys[i]);
        return fail(c, n->key_nodes[i], sub, "unknown key; expected url or secret, found '%s'", n->keys[i]);
      }
    }
    char sub[PATHLEN];
    join_key(sub, path, "url");
    if (!url)
      return fail(c, n, sub, "missing required key; expected a connection URL or {secret: group.key}, found nothing");
    return parse_value(c, url, sub, &p->postgres_url);
  }
  return parse_value(c, n, path, &p->postgres_url);
}

#define FP(nm, ty, mem, ...)                                                                                           \
  { .name = nm, .type = ty, .off = offsetof(floe_project, mem), __VA_ARGS__ }
static const field storage_fields[] = {
    FP("sqlite", T_STR, db_path, .expect = "a path to the SQLite file"),
    {.name = "postgres", .type = T_FN, .fn = parse_postgres, .expect = "a connection URL or {secret: group.key}"},
};
static const field lake_fields[] = {
    FP("warehouse", T_STR, warehouse, .expect = "a directory path"),
    FP("namespace", T_NAME, lake_namespace),
};
static const field secrets_fields[] = {
    FP("prefix", T_STR, secrets_prefix),
    FP("env_file", T_STR, env_file, .expect = "a file path"),
    FP("sources", T_NODE, secret_sources),
    FP("override_env", T_BOOL, secrets_override_env),
    FP("keystore", T_STR, secrets_keystore, .expect = "a path to the keystore file"),
};
static const field executor_fields[] = {
    FP("max_concurrent", T_INT, max_concurrent, .has_min = true, .min = 1),
};

/* ---- automation: run_queue, run_retries, run_monitoring (read by the daemon, docs/automation.md) */

/* tag_concurrency_limits[].value: a string, or Dagster's {applyLimitPerUniqueValue: true} */
static int parse_limit_value(ctx *c, const floe_node *n, void *obj, const char *path) {
  floe_tag_limit *l = obj;
  if ((l->value = floe_node_scalar(n))) return 0;
  const floe_node *per = n->type == FLOE_NODE_MAP && n->len == 1 ? floe_node_get(n, "applyLimitPerUniqueValue") : NULL;
  const char *ps = floe_node_scalar(per);
  if (!ps || (strcmp(ps, "true") && strcmp(ps, "false")))
    return wrong(c, n, path, "wrong type", "a tag value, or {applyLimitPerUniqueValue: true}");
  l->per_value = !strcmp(ps, "true");
  return 0;
}

#define FL(nm, ty, mem, ...)                                                                                           \
  { .name = nm, .type = ty, .off = offsetof(floe_tag_limit, mem), __VA_ARGS__ }
static const field tag_limit_fields[] = {
    FL("key", T_STR, key, .required = true, .expect = "a tag name"),
    {.name = "value", .type = T_FN, .fn = parse_limit_value, .expect = "a tag value, or {applyLimitPerUniqueValue: true}"},
    FL("limit", T_INT, limit, .required = true, .has_min = true, .min = 0),
};
static const schema tag_limit_schema = {tag_limit_fields, sizeof tag_limit_fields / sizeof tag_limit_fields[0],
                                        sizeof(floe_tag_limit), offsetof(floe_tag_limit, node), NULL, NULL};

/* run_queue: present (even empty) turns the queue on; max_concurrent_runs defaults to 10 as in Dagster */
static int run_queue_on(ctx *c, const floe_node *n, void *obj, const char *path) {
  floe_project *p = obj;
  p->run_queue.enabled = true;
  if (!floe_node_get(n, "max_concurrent_runs")) p->run_queue.max_concurrent_runs = 10;
  return 0;
}
static int run_retries_seen(ctx *c, const floe_node *n, void *obj, const char *path) {
  floe_project *p = obj;
  const floe_node *r = floe_node_get(n, "retry_on_asset_or_op_failure");
  if (!r) p->run_retries.retry_on_asset_or_op_failure = true;
  if (!floe_node_get(n, "enabled")) p->run_retries.enabled = true;
  return 0;
}

static const field run_queue_fields[] = {
    FP("max_concurrent_runs", T_INT, run_queue.max_concurrent_runs, .has_min = true, .min = -1,
       .expect = "an integer >= 0, or -1 for no limit"),
    FP("tag_concurrency_limits", T_LIST, run_queue.tag_limits, .off_n = offsetof(floe_project, run_queue.ntag_limits),
       .sub = &tag_limit_schema),
};
static const field run_retries_fields[] = {
    FP("enabled", T_BOOL, run_retries.enabled),
    FP("max_retries", T_INT, run_retries.max_retries, .has_min = true, .min = 0),
    FP("retry_on_asset_or_op_failure", T_BOOL, run_retries.retry_on_asset_or_op_failure),
};
static const field run_monitoring_fields[] = {
    FP("start_timeout_seconds", T_NUM, run_monitoring.start_timeout, .has_min = true, .min = 0),
    FP("max_runtime_seconds", T_NUM, run_monitoring.max_runtime, .has_min = true, .min = 0),
};
#define SUB(f)                                                                                                         \
  { f, sizeof f / sizeof f[0], 0, NO_OFF, NULL, NULL }
static const schema storage_schema = SUB(storage_fields), lake_schema = SUB(lake_fields),
                    secrets_schema = SUB(secrets_fields), executor_schema = SUB(executor_fields),
                    run_queue_schema = SUB(run_queue_fields), run_retries_schema = SUB(run_retries_fields),
                    run_monitoring_schema = SUB(run_monitoring_fields);

static const field project_fields[] = {
    FP("name", T_NAME, name),
    {.name = "storage", .type = T_STRUCT, .sub = &storage_schema},
    {.name = "lake", .type = T_STRUCT, .sub = &lake_schema},
    {.name = "secrets", .type = T_STRUCT, .sub = &secrets_schema},
    {.name = "executor", .type = T_STRUCT, .sub = &executor_schema},
    FP("jobs", T_LIST, jobs, .off_n = offsetof(floe_project, njobs), .sub = &job_schema),
    FP("schedules", T_LIST, schedules, .off_n = offsetof(floe_project, nschedules), .sub = &schedule_schema),
    FP("sensors", T_SEQNODE, sensors),
    FP("alerts", T_SEQNODE, alerts),
    {.name = "resources", .type = T_FN, .fn = parse_resources},
    {.name = "run_queue", .type = T_STRUCT, .sub = &run_queue_schema, .fn = run_queue_on},
    {.name = "run_retries", .type = T_STRUCT, .sub = &run_retries_schema, .fn = run_retries_seen},
    {.name = "run_monitoring", .type = T_STRUCT, .sub = &run_monitoring_schema},
};
static const schema project_schema = SUB(project_fields);

/* ---- defaults and paths */

static const char *abs_path(floe_arena *a, const char *base, const char *path) {
  if (path[0] == '/' || strstr(path, "://")) return path;
  if (!strcmp(path, ".")) return base;
  if (path[0] == '.' && path[1] == '/') path += 2;
  return floe_path_join(a, base, path);
}

static int apply_defaults(ctx *c) {
  floe_project *p = c->p;
  floe_arena *a = c->a;
  if (!p->name) {
    const char *slash = strrchr(p->dir, '/');
    p->name = slash && slash[1] ? slash + 1 : p->dir;
  }
  const char *home = getenv("FLOE_HOME");
  if (home && *home) {
    if (home[0] != '/') {
      char cwd[4096];
      if (!getcwd(cwd, sizeof cwd))
        return floe_err_set(c->err, FLOE_EIO, "cannot resolve FLOE_HOME: current directory unknown");
      p->home = floe_path_join(a, cwd, home);
    } else {
      p->home = floe_arena_strdup(a, home);
    }
  } else {
    p->home = floe_path_join(a, p->dir, ".floe");
  }
  if (!p->home) return oom(c);
  p->db_path = p->db_path ? abs_path(a, p->dir, p->db_path) : floe_path_join(a, p->home, "floe.db");
  p->warehouse = p->warehouse ? abs_path(a, p->dir, p->warehouse) : floe_path_join(a, p->home, "lake");
  p->env_file = abs_path(a, p->dir, p->env_file ? p->env_file : ".env");
  if (!p->lake_namespace) p->lake_namespace = "oso";
  if (!p->secrets_prefix) p->secrets_prefix = "dagster";
  if (!p->max_concurrent) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    p->max_concurrent = n > 0 ? (int)n : 1;
  }
  if (!p->db_path || !p->warehouse || !p->env_file) return oom(c);
  if (!p->root || !floe_node_get(p->root, "run_retries")) {
    p->run_retries.enabled = true; /* the dagster/max_retries tag works alone */
    p->run_retries.retry_on_asset_or_op_failure = true;
  }
  if (!p->run_monitoring.start_timeout) p->run_monitoring.start_timeout = 180;
  return 0;
}

int defs_schema_project(floe_project *p, const floe_node *root, floe_err *err) {
  ctx c = {p, &p->arena, err};
  p->root = root;
  if (root && !floe_node_is_null(root)) {
    if (root->type != FLOE_NODE_MAP)
      return wrong(&c, root, "", "wrong type", "a mapping of project settings (name:, jobs:, ...)");
    int rc = parse_map(&c, &project_schema, root, p, "");
    if (rc) return rc;
  }
  return apply_defaults(&c);
}

int defs_schema_assets_file(floe_project *p, const char *file, const floe_node *root, floe_vec *assets, floe_err *err) {
  ctx c = {p, &p->arena, err};
  if (!root || floe_node_is_null(root)) {
    defs_warn(p, "%s: empty file (no assets)", file);
    return 0;
  }
  if (root->type != FLOE_NODE_MAP) return wrong(&c, root, "", "wrong type", "a mapping with assets: [...]");
  asset_file af = {0};
  int rc = parse_map(&c, &asset_file_schema, root, &af, "");
  for (size_t i = 0; !rc && i < af.nassets; i++)
    if (floe_vec_push(assets, af.assets[i])) rc = oom(&c);
  if (!rc && !af.nassets) defs_warn(p, "%s: no assets", file);
  return rc;
}

/* ---- cross references, once every file is in */

static int check_cross_refs(ctx *c) {
  floe_project *p = c->p;
  char sub[PATHLEN], hint[128];
  /* jobs: unique names, valid selections */
  floe_map names = {0};
  int rc = 0;
  bool *mask = floe_malloc(p->nassets ? p->nassets : 1);
  if (!mask) return oom(c);
  for (size_t i = 0; i < p->njobs && !rc; i++) {
    floe_job *j = p->jobs[i];
    floe_job *first = floe_map_get(&names, j->name);
    const floe_node *nn = floe_node_get(j->node, "name");
    snprintf(sub, sizeof sub, "jobs[%zu].name", i);
    if (first) {
      rc = fail(c, nn, sub, "duplicate job name '%s'; expected a unique name, found it again (first at line %d)",
                j->name, floe_node_get(first->node, "name")->line);
      break;
    }
    if (floe_map_put(&names, j->name, j)) {
      rc = oom(c);
      break;
    }
    floe_err serr = {0};
    if (floe_select(p, j->selection, mask, &serr)) {
      const floe_node *sn = floe_node_get(j->node, "selection");
      snprintf(sub, sizeof sub, "jobs[%zu].selection", i);
      if (serr.code != FLOE_EINPUT)
        rc = floe_err_set(c->err, serr.code, "%s", serr.msg);
      else
        rc =
            fail(c, sn ? sn : j->node, sub, "%s; expected a valid asset selection, found '%s'", serr.msg, j->selection);
      break;
    }
    size_t nsel = 0;
    for (size_t k = 0; k < p->nassets; k++)
      nsel += mask[k];
    if (!nsel)
      defs_warn(p, "%s:%d:%d: job '%s' selects no assets ('%s')", j->node->file, j->node->line, j->node->col, j->name,
                j->selection);
  }
  floe_free(mask);
  floe_map_free(&names);
  if (rc) return rc;
  /* schedules: unique names, existing jobs */
  const char **jnames = floe_arena_alloc(c->a, (p->njobs ? p->njobs : 1) * sizeof *jnames);
  if (!jnames) return oom(c);
  for (size_t i = 0; i < p->njobs; i++)
    jnames[i] = p->jobs[i]->name;
  for (size_t i = 0; i < p->nschedules && !rc; i++) {
    floe_schedule *s = p->schedules[i];
    for (size_t k = 0; k < i; k++) {
      if (strcmp(p->schedules[k]->name, s->name)) continue;
      snprintf(sub, sizeof sub, "schedules[%zu].name", i);
      const floe_node *nn = floe_node_get(s->node, "name");
      rc = fail(c, nn, sub, "duplicate schedule name '%s'; expected a unique name, found it again (first at line %d)",
                s->name, floe_node_get(p->schedules[k]->node, "name")->line);
      break;
    }
    if (rc || floe_project_job(p, s->job)) continue;
    snprintf(sub, sizeof sub, "schedules[%zu].job", i);
    rc = fail(c, floe_node_get(s->node, "job"), sub, "no job '%s'; expected the name of a job in jobs:, found '%s'%s",
              s->job, s->job, defs_hint(hint, sizeof hint, defs_suggest(s->job, jnames, p->njobs)));
  }
  return rc;
}

int defs_finish(floe_project *p, floe_vec *assets, floe_err *err) {
  ctx c = {p, &p->arena, err};
  p->nassets = assets->len;
  p->assets = floe_arena_alloc(&p->arena, (p->nassets ? p->nassets : 1) * sizeof *p->assets);
  if (!p->assets) return oom(&c);
  for (size_t i = 0; i < p->nassets; i++) {
    p->assets[i] = assets->items[i];
    p->assets[i]->index = (int)i;
  }
  int rc = defs_graph_build(p, err);
  return rc ? rc : check_cross_refs(&c);
}
