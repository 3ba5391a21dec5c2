/* resolver.c — the SecretResolver: a chain of sources (environment + .env, keystore) queried in
 * order for PREFIX__GROUP__KEY / group.key. Every value it hands out is registered for redaction;
 * every failure names the variable and each source that was tried, and never contains a value. */
#include "floe/secrets.h"
#include "secrets_int.h"
#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t current_mu = PTHREAD_MUTEX_INITIALIZER;
static floe_secrets *current;

floe_secrets *floe_secrets_current(void) {
  pthread_mutex_lock(&current_mu);
  floe_secrets *s = current;
  pthread_mutex_unlock(&current_mu);
  return s;
}

static bool name_ok(const char *s) {
  if (!s || !*s) return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return false;
  return true;
}

int floe_secrets_env_name(const char *prefix, const char *group, const char *key, char *out, size_t n, floe_err *err) {
  if (!name_ok(group) || !name_ok(key))
    return floe_err_set(err, FLOE_EINPUT,
                        "secret reference '%s.%s' is malformed; expected group.key with letters, digits and _",
                        group ? group : "", key ? key : "");
  int w =
      prefix && *prefix ? snprintf(out, n, "%s__%s__%s", prefix, group, key) : snprintf(out, n, "%s__%s", group, key);
  if (w < 0 || (size_t)w >= n) return floe_err_set(err, FLOE_EINPUT, "secret reference %s.%s is too long", group, key);
  for (char *c = out; *c; c++)
    *c = (char)toupper((unsigned char)*c);
  return 0;
}

int floe_secrets_split_ref(const char *ref, char *group, char *key, size_t n, floe_err *err) {
  const char *dot = ref ? strchr(ref, '.') : NULL;
  if (!dot || dot == ref || !dot[1] || strchr(dot + 1, '.') || (size_t)(dot - ref) >= n || strlen(dot + 1) >= n)
    return floe_err_set(err, FLOE_EINPUT,
                        "secret reference '%s' is malformed; expected group.key (e.g. clickhouse.password)",
                        ref ? ref : "");
  memcpy(group, ref, (size_t)(dot - ref));
  group[dot - ref] = 0;
  strcpy(key, dot + 1);
  if (!name_ok(group) || !name_ok(key))
    return floe_err_set(err, FLOE_EINPUT,
                        "secret reference '%s' is malformed; group and key may hold letters, digits and _", ref);
  return 0;
}

static void wipe_val(secret_val *v) {
  if (!v) return;
  sodium_memzero(v->bytes, v->len);
  floe_free(v->bytes);
  floe_free(v);
}

static secret_val *new_val(const void *p, size_t len) {
  secret_val *v = floe_calloc(1, sizeof *v);
  if (!v) return NULL;
  v->bytes = floe_malloc(len + 1);
  if (!v->bytes) {
    floe_free(v);
    return NULL;
  }
  if (len) memcpy(v->bytes, p, len);
  v->bytes[len] = 0;
  v->len = len;
  return v;
}

typedef struct dotenv_ctx {
  floe_secrets *s;
} dotenv_ctx;

static int dotenv_put(void *ud, const char *name, const char *value, size_t vlen, int line) {
  (void)line;
  floe_secrets *s = ud;
  secret_val *v = new_val(value, vlen);
  char *k = floe_arena_strdup(&s->arena, name);
  if (!v || !k || floe_vec_push(&s->dotenv_vals, v)) {
    wipe_val(v);
    return FLOE_ENOMEM;
  }
  return floe_map_put(&s->dotenv, k, v);
}

static void push_current(floe_secrets *s) {
  pthread_mutex_lock(&current_mu);
  s->prev_current = current;
  current = s;
  pthread_mutex_unlock(&current_mu);
}

static void pop_current(floe_secrets *s) {
  pthread_mutex_lock(&current_mu);
  if (current == s) {
    current = s->prev_current;
  } else {
    for (floe_secrets *c = current; c; c = c->prev_current) {
      if (c->prev_current == s) {
        c->prev_current = s->prev_current;
        break;
      }
    }
  }
  pthread_mutex_unlock(&current_mu);
}

int floe_secrets_open_opts(const floe_secrets_opts *o, floe_secrets **out, floe_err *err) {
  *out = NULL;
  if (sodium_init() < 0) return floe_err_set(err, FLOE_EINTERNAL, "libsodium failed to initialize");
  floe_secrets *s = floe_calloc(1, sizeof *s);
  if (!s) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_arena_init(&s->arena, 8192);
  int rc = 0;
  s->prefix = floe_arena_strdup(&s->arena, o && o->prefix ? o->prefix : "dagster");
  s->override_env = o && o->override_env;
  if (o && o->env_file) s->env_file = floe_arena_strdup(&s->arena, o->env_file);
  if (o && o->keystore_path) s->keystore_path = floe_arena_strdup(&s->arena, o->keystore_path);
  if (!s->prefix) goto oom;
  if (o && o->sources) {
    for (size_t i = 0; i < o->nsources; i++) {
      int k = !strcmp(o->sources[i], "env") ? SRC_ENV : !strcmp(o->sources[i], "keystore") ? SRC_KEYSTORE : 0;
      if (!k) {
        rc = floe_err_set(err, FLOE_EINPUT, "secrets.sources: unknown source '%s'; expected env or keystore",
                          o->sources[i]);
        goto fail;
      }
      bool dup = false;
      for (size_t j = 0; j < s->nsources; j++)
        dup |= s->sources[j] == k;
      if (!dup) s->sources[s->nsources++] = k;
    }
  } else {
    s->sources[s->nsources++] = SRC_ENV;
    s->sources[s->nsources++] = SRC_KEYSTORE;
  }
  if (s->env_file) {
    char *text = NULL;
    size_t len = 0;
    floe_err e2 = {0};
    rc = floe_file_read(s->env_file, &text, &len, &e2);
    if (rc == FLOE_ENOTFOUND) {
      rc = 0;
    } else if (rc) {
      floe_err_set(err, rc, "%s", e2.msg);
      goto fail;
    } else {
      s->env_file_present = true;
      rc = floe_dotenv_parse(s->env_file, text, len, dotenv_put, s, err);
      sodium_memzero(text, len);
      floe_free(text);
      if (rc) goto fail;
    }
  }
  push_current(s);
  *out = s;
  return 0;
oom:
  rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
fail:
  floe_secrets_close(s);
  return rc;
}

int floe_secrets_open(const floe_project *p, floe_secrets **out, floe_err *err) {
  floe_secrets_opts o = {0};
  const char *srcs[8];
  char env_file[4096];
  o.prefix = p ? p->secrets_prefix : NULL;
  if (p && p->env_file) {
    o.env_file = p->env_file;
  } else if (p && p->dir) {
    snprintf(env_file, sizeof env_file, "%s/.env", p->dir);
    o.env_file = env_file;
  }
  o.override_env = p && p->secrets_override_env;
  const floe_node *n = p ? p->secret_sources : NULL;
  if (n && !floe_node_is_null(n)) {
    if (n->type != FLOE_NODE_SEQ || n->len == 0 || n->len > 8)
      return floe_err_set(err, FLOE_EINPUT, "%s:%d:%d: secrets.sources: expected a list of env and keystore",
                          n->file ? n->file : "floe.yaml", n->line, n->col);
    for (size_t i = 0; i < n->len; i++) {
      const floe_node *it = n->items[i];
      if (it->type != FLOE_NODE_SCALAR || (strcmp(it->str, "env") && strcmp(it->str, "keystore")))
        return floe_err_set(err, FLOE_EINPUT,
                            "%s:%d:%d: secrets.sources: unknown source '%s'; expected env or keystore",
                            it->file ? it->file : "floe.yaml", it->line, it->col,
                            it->type == FLOE_NODE_SCALAR ? it->str : "(not a string)");
      srcs[i] = it->str;
    }
    o.sources = srcs;
    o.nsources = n->len;
  }
  o.keystore_path = floe_keystore_path(p);
  return floe_secrets_open_opts(&o, out, err);
}

void floe_secrets_close(floe_secrets *s) {
  if (!s) return;
  pop_current(s);
  for (size_t i = 0; i < s->dotenv_vals.len; i++)
    wipe_val(s->dotenv_vals.items[i]);
  floe_vec_free(&s->dotenv_vals);
  floe_map_free(&s->dotenv);
  for (size_t i = 0; i < s->redact.len; i++)
    wipe_val(s->redact.items[i]);
  floe_vec_free(&s->redact);
  for (size_t i = 0; i < s->too_short.len; i++)
    wipe_val(s->too_short.items[i]);
  floe_vec_free(&s->too_short);
  for (size_t i = 0; i < s->cache.cap; i++) {
    cached *c = s->cache.keys && s->cache.keys[i] ? s->cache.vals[i] : NULL;
    if (c) floe_free(c);
  }
  floe_map_free(&s->cache);
  floe_keystore_free(s->ks);
  floe_arena_free(&s->arena);
  floe_free(s);
}

/* ---- redaction registry */
static secret_val *find_val(const floe_vec *vals, const char *p, size_t len) {
  for (size_t i = 0; i < vals->len; i++) {
    secret_val *v = vals->items[i];
    if (v->len == len && !memcmp(v->bytes, p, len)) return v;
  }
  return NULL;
}

/* A value shorter than FLOE_SECRET_MIN_LEN is kept (the resolver hands it out) but never masked: masking
 * "a" in every word would reveal it rather than hide it, and mangle all output. */
static int add_one(floe_secrets *s, const char *p, size_t len) {
  if (!len) return 0;
  floe_vec *into = len < FLOE_SECRET_MIN_LEN ? &s->too_short : &s->redact;
  if (find_val(into, p, len)) return 0;
  secret_val *v = new_val(p, len);
  if (!v || floe_vec_push(into, v)) {
    wipe_val(v);
    return FLOE_ENOMEM;
  }
  if (into != &s->redact) return 0;
  if (len > s->redact_max) s->redact_max = len;
  s->first[(unsigned char)p[0]] = 1;
  return 0;
}

int floe_secrets_add_all(floe_secrets *dst, const floe_secrets *src) {
  for (size_t i = 0; src && i < src->redact.len; i++) {
    const secret_val *v = src->redact.items[i];
    int rc = add_one(dst, v->bytes, v->len);
    if (rc) return rc;
  }
  return 0;
}

static int hex_val(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Registers raw and its percent-decoded form (a parser that rejects the URL quotes one or the other). */
static int add_url_piece(floe_secrets *s, const char *raw, size_t len) {
  int rc = add_one(s, raw, len);
  if (rc || !memchr(raw, '%', len)) return rc;
  char *dec = floe_malloc(len + 1);
  if (!dec) return FLOE_ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < len; i++) {
    int hi = i + 2 < len ? hex_val(raw[i + 1]) : -1, lo = hi >= 0 ? hex_val(raw[i + 2]) : -1;
    if (raw[i] == '%' && lo >= 0) {
      dec[k++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      dec[k++] = raw[i];
    }
  }
  rc = add_one(s, dec, k);
  sodium_memzero(dec, len + 1);
  floe_free(dec);
  return rc;
}

/* A value that is a URL with credentials (scheme://user:password@host..., a connection URL) also has its
 * password registered on its own: a parser that rejects the URL (libpq: `invalid percent-encoded token:
 * "<password>"`) quotes that part, not the whole. Both ends a parser may take the password to end at are
 * covered: the first '@' or '/', and the last '@'. Query parameters named password count too. */
static int add_url_parts(floe_secrets *s, const char *p, size_t len) {
  const char *e = p + len, *sep = memmem(p, len, "://", 3);
  if (!sep || memchr(p, '\n', len)) return 0;
  const char *auth = sep + 3, *colon = NULL, *end1 = auth, *last_at = NULL;
  while (end1 < e && *end1 != '@' && *end1 != '/') end1++;
  for (const char *c = auth; c < e; c++)
    if (*c == '@') last_at = c;
  for (const char *c = auth; c < e && *c != '@' && !colon; c++)
    if (*c == ':') colon = c;
  int rc = 0;
  if (colon && end1 < e && *end1 == '@' && end1 > colon + 1) rc = add_url_piece(s, colon + 1, (size_t)(end1 - colon - 1));
  if (!rc && colon && last_at && last_at > colon + 1) rc = add_url_piece(s, colon + 1, (size_t)(last_at - colon - 1));
  for (const char *q = memchr(auth, '?', (size_t)(e - auth)); !rc && q && q < e;) {
    const char *amp = memchr(q + 1, '&', (size_t)(e - q - 1)), *pe = amp ? amp : e;
    if (pe - q > 10 && !strncasecmp(q + 1, "password=", 9)) rc = add_url_piece(s, q + 10, (size_t)(pe - q - 10));
    q = amp;
  }
  return rc;
}

/* The value percent-encoded as URL query parameters carry it (every byte but A-Z a-z 0-9 - . _ ~ as %XX),
 * when that differs: a server started by floe may log the request line it received. */
static int add_percent_encoded(floe_secrets *s, const char *p, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += isalnum((unsigned char)p[i]) || strchr("-._~", p[i]) ? 0 : 1;
  if (!n || memchr(p, 0, len)) return 0;
  char *enc = floe_malloc(len + 2 * n + 1);
  if (!enc) return FLOE_ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)p[i];
    if (isalnum(c) || strchr("-._~", c)) {
      enc[k++] = (char)c;
    } else {
      enc[k++] = '%';
      enc[k++] = hex[c >> 4];
      enc[k++] = hex[c & 15];
    }
  }
  int rc = add_one(s, enc, k);
  sodium_memzero(enc, k);
  floe_free(enc);
  return rc;
}

/* The value JSON-escaped the way other common encoders write it, when that differs from floe's own form:
 * Python's json.dumps (ensure_ascii: every non-ASCII character and DEL as \\uXXXX) and Go's encoding/json
 * (<, > and & as \\u003c \\u003e \\u0026, U+2028/9 escaped). A program printing its config as JSON must not
 * get a secret past redaction because it holds an & or an e-acute. Invalid UTF-8: only floe's form. */
static int add_foreign_json(floe_secrets *s, const unsigned char *p, size_t len) {
  int rc = 0;
  for (int go = 0; go < 2 && !rc; go++) {
    floe_buf b;
    floe_buf_init(&b, 0);
    bool differs = false, ok = true;
    for (size_t i = 0; i < len && ok && !rc;) {
      unsigned c = p[i], cp = c, n = 1;
      if (c >= 0x80) { /* decode one UTF-8 sequence */
        n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        ok = n && i + n <= len;
        cp = ok ? c & (0x3F >> (n - 1)) : 0;
        for (unsigned k = 1; ok && k < n; k++) {
          ok = (p[i + k] & 0xC0) == 0x80;
          cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (!ok) break;
      }
      bool esc = go ? (c == '<' || c == '>' || c == '&' || cp == 0x2028 || cp == 0x2029) : (c == 0x7f || c >= 0x80);
      if (esc && cp > 0xFFFF) { /* a surrogate pair, as Python writes it */
        cp -= 0x10000;
        rc = floe_buf_printf(&b, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
      } else if (esc) {
        rc = floe_buf_printf(&b, "\\u%04x", cp);
      } else {
        floe_buf j;
        floe_buf_init(&j, 0);
        rc = floe_buf_json_strn(&j, (const char *)p + i, n);
        if (!rc) rc = floe_buf_append(&b, j.p + 1, j.len - 2);
        if (j.p) sodium_memzero(j.p, j.len);
        floe_buf_free(&j);
      }
      differs |= esc;
      i += n;
    }
    if (!rc && ok && differs) rc = add_one(s, b.p, b.len);
    if (b.p) sodium_memzero(b.p, b.len);
    floe_buf_free(&b);
  }
  return rc;
}

/* password = value in a libpq key=value string: unquoted up to whitespace, or 'quoted' with \' and \\. */
static int add_keyword_password(floe_secrets *s, const char *p) {
  int rc = 0;
  for (const char *k = strcasestr(p, "password"); !rc && k; k = strcasestr(k + 8, "password")) {
    const char *v = k + 8;
    while (*v == ' ' || *v == '\t') v++;
    if (*v++ != '=') continue;
    while (*v == ' ' || *v == '\t') v++;
    if (*v != '\'') {
      size_t n = strcspn(v, " \t\r\n");
      if (n) rc = add_url_piece(s, v, n);
      continue;
    }
    const char *q = ++v;
    floe_buf un;
    floe_buf_init(&un, 0);
    while (*q && *q != '\'') {
      if (*q == '\\' && q[1]) q++;
      floe_buf_putc(&un, *q++);
    }
    rc = add_one(s, v, (size_t)(q - v));
    if (!rc && un.len) rc = add_one(s, un.p, un.len);
    if (un.p) sodium_memzero(un.p, un.len);
    floe_buf_free(&un);
  }
  return rc;
}

int floe_secrets_add_conninfo_password(floe_secrets *s, const char *conninfo) {
  if (!s || !conninfo) return 0;
  int rc = add_url_parts(s, conninfo, strlen(conninfo));
  return rc ? rc : add_keyword_password(s, conninfo);
}

/* Registers the value, its JSON-escaped form (the event log stores JSON), its percent-encoded form (URLs),
 * for multi-line values each line of 4+ bytes (output is often split and prefixed per line), and the
 * password of a URL value. */
int floe_secrets_add_redaction(floe_secrets *s, const void *value, size_t len) {
  const char *p = value;
  if (!s || !len) return 0;
  int rc = add_one(s, p, len);
  if (rc || len < FLOE_SECRET_MIN_LEN) return rc; /* nor its escaped form: that would tell it apart again */
  if (!memchr(p, 0, len)) {
    floe_buf j;
    floe_buf_init(&j, 0);
    rc = floe_buf_json_str(&j, p);
    if (!rc && j.len - 2 != len) rc = add_one(s, j.p + 1, j.len - 2);
    if (j.p) sodium_memzero(j.p, j.len);
    floe_buf_free(&j);
    if (rc) return rc;
  }
  if ((rc = add_percent_encoded(s, p, len))) return rc;
  if (!memchr(p, 0, len) && (rc = add_foreign_json(s, (const unsigned char *)p, len))) return rc;
  if (memchr(p, '\n', len)) {
    const char *e = p + len;
    for (const char *a = p; a < e;) {
      const char *nl = memchr(a, '\n', (size_t)(e - a));
      const char *b = nl ? nl : e;
      const char *t = b;
      if (t > a && t[-1] == '\r') t--;
      if (t - a >= 4 && (rc = add_one(s, a, (size_t)(t - a)))) return rc;
      a = nl ? nl + 1 : e;
    }
  }
  return add_url_parts(s, p, len);
}

size_t floe_secrets_count(const floe_secrets *s) { return s ? s->redact.len : 0; }

void floe_secrets_keystore_kdf(const floe_secrets *s, floe_keystore_kdf *out) {
  floe_keystore_kdf_of(s && s->ks_state == 1 ? s->ks : NULL, out);
}

/* ---- resolution */
static const char *env_source_desc(floe_secrets *s, const char *name) {
  return floe_arena_printf(&s->arena, "environment variable %s", name);
}

static void load_keystore(floe_secrets *s) {
  if (s->ks_state) return;
  floe_keystore_cred cred;
  floe_err e = {0};
  int rc = floe_keystore_cred_from_env(&cred, &e);
  if (rc && rc != FLOE_ENOTFOUND) {
    s->ks_state = -1;
    s->ks_err = e;
    return;
  }
  rc = floe_keystore_load(s->keystore_path, rc ? NULL : &cred, &s->ks, &e);
  sodium_memzero(&cred, sizeof cred);
  if (rc) {
    s->ks_state = -1;
    s->ks_err = e;
    return;
  }
  s->ks_state = 1;
}

int floe_secrets_resolve_bytes(floe_secrets *s, const char *group, const char *key, const void **value, size_t *len,
                               const char **source, floe_err *err) {
  char name[512], ref[512];
  int rc = floe_secrets_env_name(s->prefix, group, key, name, sizeof name, err);
  if (rc) return rc;
  snprintf(ref, sizeof ref, "%s.%s", group, key);
  for (char *c = ref; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  cached *hit = floe_map_get(&s->cache, ref);
  if (hit) {
    *value = hit->value;
    if (len) *len = hit->len;
    if (source) *source = hit->source;
    return 0;
  }
  floe_buf tried;
  floe_buf_init(&tried, 8192);
  const void *v = NULL;
  size_t vl = 0;
  const char *src = NULL;
  for (size_t i = 0; i < s->nsources && !src; i++) {
    if (s->sources[i] == SRC_ENV) {
      for (int step = 0; step < 2 && !src; step++) {
        bool dotenv = (step == 0) == s->override_env;
        if (!dotenv) {
          const char *e = getenv(name);
          if (e && *e) {
            v = e;
            vl = strlen(e);
            src = env_source_desc(s, name);
          } else {
            floe_buf_printf(&tried, "%senvironment variable %s (%s)", tried.len ? ", " : "", name,
                            e ? "set but empty" : "not set");
          }
        } else if (s->env_file) {
          secret_val *d = floe_map_get(&s->dotenv, name);
          if (d && d->len) {
            v = d->bytes;
            vl = d->len;
            src = floe_arena_printf(&s->arena, ".env file %s", s->env_file);
          } else {
            floe_buf_printf(&tried, "%s.env file %s (%s)", tried.len ? ", " : "", s->env_file,
                            !s->env_file_present ? "no such file"
                            : d                  ? "set but empty"
                                                 : "not set");
          }
        }
      }
    } else if (s->sources[i] == SRC_KEYSTORE) {
      if (!s->keystore_path) {
        floe_buf_printf(&tried, "%skeystore (none configured: set FLOE_KEYSTORE)", tried.len ? ", " : "");
        continue;
      }
      load_keystore(s);
      if (s->ks_state < 0) {
        floe_buf_printf(&tried, "%skeystore %s (cannot open: %s)", tried.len ? ", " : "", s->keystore_path,
                        s->ks_err.msg);
      } else if (floe_keystore_get(s->ks, ref, &v, &vl) && vl) {
        src = floe_arena_printf(&s->arena, "keystore %s", s->keystore_path);
      } else {
        floe_buf_printf(&tried, "%skeystore %s (%s)", tried.len ? ", " : "", s->keystore_path,
                        !floe_keystore_exists(s->ks)             ? "no keystore file"
                        : floe_keystore_get(s->ks, ref, &v, &vl) ? "set but empty"
                                                                 : "not set");
        v = NULL;
      }
    }
  }
  if (!src) {
    rc = floe_err_set(err, FLOE_ESECRET, "secret %s.%s (variable %s) is not set: tried %s", group, key, name,
                      tried.len ? floe_buf_str(&tried) : "no sources (secrets.sources is empty)");
    floe_buf_free(&tried);
    return rc;
  }
  floe_buf_free(&tried);
  cached *c = floe_calloc(1, sizeof *c);
  char *cname = floe_arena_strdup(&s->arena, ref);
  if (!c || !cname || floe_secrets_add_redaction(s, v, vl)) {
    floe_free(c);
    return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  /* keep a copy owned by the resolver: the environment and keystore may change under us */
  secret_val *own = find_val(vl < FLOE_SECRET_MIN_LEN ? &s->too_short : &s->redact, v, vl);
  c->name = cname;
  c->value = own ? own->bytes : NULL;
  c->len = vl;
  c->source = src;
  if (!c->value || floe_map_put(&s->cache, cname, c)) {
    floe_free(c);
    return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  *value = c->value;
  if (len) *len = vl;
  if (source) *source = src;
  return 0;
}

int floe_secrets_resolve(floe_secrets *s, const char *group, const char *key, const char **value, floe_err *err) {
  const void *v;
  size_t len;
  int rc = floe_secrets_resolve_bytes(s, group, key, &v, &len, NULL, err);
  if (rc) return rc;
  if (memchr(v, 0, len))
    return floe_err_set(err, FLOE_ESECRET, "secret %s.%s holds binary data (a NUL byte) and cannot be used as a string",
                        group, key);
  *value = v;
  return 0;
}

int floe_value_resolve(floe_secrets *s, const floe_value *v, const char **out, floe_err *err) {
  if (v->literal) {
    *out = v->literal;
    return 0;
  }
  int rc = floe_secrets_resolve(s, v->secret_group, v->secret_key, out, err);
  if (rc && v->node && v->node->file) floe_err_prefix(err, "%s:%d:%d: ", v->node->file, v->node->line, v->node->col);
  return rc;
}
