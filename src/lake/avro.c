/* avro.c — Avro object container files, driven by the writer's schema, over jansson values.
 *
 * Iceberg needs attributes avro-c drops (field-id, element-id) and header keys it cannot write, and the
 * two schemas it uses are small, so the container and binary encoding are written here directly.
 * Values map to JSON as: record -> object, array -> array, map -> object, union -> the branch's value
 * (null for the null branch), bytes/fixed -> lower-case hex string, int/long -> integer,
 * float/double -> real, or the string "NaN", "Infinity" or "-Infinity" for the values JSON cannot hold
 * (a NaN partition value), enum -> string. Decoding accepts any schema (files of other engines); codecs
 * null and deflate. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "lake_int.h"

/* ---------------------------------------------------------------- encoding */

static void put_long(floe_buf *b, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
  char tmp[10];
  int n = 0;
  while (z & ~0x7fULL) {
    tmp[n++] = (char)((z & 0x7f) | 0x80);
    z >>= 7;
  }
  tmp[n++] = (char)z;
  floe_buf_append(b, tmp, (size_t)n);
}

static void put_bytes(floe_buf *b, const void *p, size_t n) {
  put_long(b, (int64_t)n);
  floe_buf_append(b, p, n);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes hex into out (capacity at least strlen(hex)/2); returns the byte count or -1. */
int lake_unhex(const char *hex, unsigned char *out) {
  size_t n = strlen(hex);
  if (n % 2) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (unsigned char)(hi << 4 | lo);
  }
  return (int)(n / 2);
}

char *lake_hex(const unsigned char *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  char *o = floe_malloc(2 * n + 1);
  if (!o) return NULL;
  for (size_t i = 0; i < n; i++) {
    o[2 * i] = digits[p[i] >> 4];
    o[2 * i + 1] = digits[p[i] & 15];
  }
  o[2 * n] = 0;
  return o;
}

double lake_json_double(const json_t *v) {
  const char *s = json_string_value(v);
  if (!s) return json_number_value(v);
  if (!strcmp(s, "Infinity")) return INFINITY;
  if (!strcmp(s, "-Infinity")) return -INFINITY;
  return NAN;
}

/* JSON value of a decoded float/double (jansson refuses non-finite reals). */
static json_t *number_json(double d) {
  if (isnan(d)) return json_string("NaN");
  if (isinf(d)) return json_string(d > 0 ? "Infinity" : "-Infinity");
  return json_real(d);
}

typedef struct codec {
  json_t *names; /* name -> schema, for references to named types */
  floe_err *err;
} codec;

static const json_t *resolve(codec *c, const json_t *s) {
  if (json_is_string(s)) {
    const json_t *n = json_object_get(c->names, json_string_value(s));
    if (n) return n;
  }
  return s;
}

static void register_names(codec *c, const json_t *s) {
  if (json_is_array(s)) {
    size_t i;
    json_t *v;
    json_array_foreach(s, i, v) register_names(c, v);
    return;
  }
  if (!json_is_object(s)) return;
  const char *type = json_string_value(json_object_get(s, "type"));
  const char *name = json_string_value(json_object_get(s, "name"));
  if (type && name && (!strcmp(type, "record") || !strcmp(type, "enum") || !strcmp(type, "fixed")))
    json_object_set(c->names, name, (json_t *)s);
  if (type && !strcmp(type, "record")) {
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(s, "fields"), i, f) register_names(c, json_object_get(f, "type"));
  } else if (type && !strcmp(type, "array")) {
    register_names(c, json_object_get(s, "items"));
  } else if (type && !strcmp(type, "map")) {
    register_names(c, json_object_get(s, "values"));
  } else {
    register_names(c, json_object_get(s, "type"));
  }
}

static const char *type_name(const json_t *s) {
  const char *t = NULL;
  if (json_is_string(s)) t = json_string_value(s);
  else if (json_is_object(s)) t = json_string_value(json_object_get(s, "type"));
  else if (json_is_array(s)) t = "union";
  return t ? t : "?";
}

static int encode(codec *c, const json_t *schema, const json_t *v, floe_buf *b) {
  schema = resolve(c, schema);
  if (json_is_array(schema)) { /* union */
    size_t i;
    json_t *br;
    size_t pick = (size_t)-1;
    json_array_foreach(schema, i, br) {
      bool is_null = !strcmp(type_name(resolve(c, br)), "null");
      if (is_null == (v == NULL || json_is_null(v))) {
        pick = i;
        break;
      }
    }
    if (pick == (size_t)-1) return floe_err_set(c->err, FLOE_EINTERNAL, "avro: no union branch for a value");
    put_long(b, (int64_t)pick);
    return encode(c, json_array_get(schema, pick), v, b);
  }
  const char *t = type_name(schema);
  if (json_is_object(schema) && json_is_object(json_object_get(schema, "type")))
    return encode(c, json_object_get(schema, "type"), v, b);
  if (!strcmp(t, "null")) return 0;
  if (!strcmp(t, "boolean")) return floe_buf_putc(b, json_is_true(v) ? 1 : 0);
  if (!strcmp(t, "int") || !strcmp(t, "long")) {
    put_long(b, (int64_t)json_integer_value(v));
    return 0;
  }
  if (!strcmp(t, "float")) {
    float f = (float)lake_json_double(v);
    return floe_buf_append(b, &f, 4);
  }
  if (!strcmp(t, "double")) {
    double d = lake_json_double(v);
    return floe_buf_append(b, &d, 8);
  }
  if (!strcmp(t, "string")) {
    const char *s = json_string_value(v);
    put_bytes(b, s ? s : "", s ? json_string_length(v) : 0);
    return 0;
  }
  if (!strcmp(t, "bytes") || !strcmp(t, "fixed")) {
    const char *h = json_string_value(v);
    if (!h) h = "";
    unsigned char *raw = floe_malloc(strlen(h) / 2 + 1);
    if (!raw) return floe_err_set(c->err, FLOE_ENOMEM, "out of memory");
    int n = lake_unhex(h, raw);
    if (n < 0) {
      floe_free(raw);
      return floe_err_set(c->err, FLOE_EINTERNAL, "avro: bad hex bytes value");
    }
    if (!strcmp(t, "bytes")) put_long(b, n);
    floe_buf_append(b, raw, (size_t)n);
    floe_free(raw);
    return 0;
  }
  if (!strcmp(t, "record")) {
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(schema, "fields"), i, f) {
      const char *fname = json_string_value(json_object_get(f, "name"));
      int rc = encode(c, json_object_get(f, "type"), json_object_get(v, fname), b);
      if (rc) return rc;
    }
    return 0;
  }
  if (!strcmp(t, "array")) {
    size_t n = json_array_size(v);
    if (n) {
      put_long(b, (int64_t)n);
      size_t i;
      json_t *it;
      json_array_foreach(v, i, it) {
        int rc = encode(c, json_object_get(schema, "items"), it, b);
        if (rc) return rc;
      }
    }
    put_long(b, 0);
    return 0;
  }
  if (!strcmp(t, "map")) {
    size_t n = json_object_size(v);
    if (n) {
      put_long(b, (int64_t)n);
      const char *k;
      json_t *it;
      json_object_foreach((json_t *)v, k, it) {
        put_bytes(b, k, strlen(k));
        int rc = encode(c, json_object_get(schema, "values"), it, b);
        if (rc) return rc;
      }
    }
    put_long(b, 0);
    return 0;
  }
  if (!strcmp(t, "enum")) {
    const char *s = json_string_value(v);
    size_t i;
    json_t *sym;
    json_array_foreach(json_object_get(schema, "symbols"), i, sym) {
      if (s && !strcmp(json_string_value(sym), s)) {
        put_long(b, (int64_t)i);
        return 0;
      }
    }
    return floe_err_set(c->err, FLOE_EINTERNAL, "avro: bad enum value");
  }
  return floe_err_set(c->err, FLOE_EINTERNAL, "avro: unsupported schema type %s", t);
}

int lake_avro_write(const char *path, const json_t *schema, const char *const *meta, const json_t *records,
                    int64_t *size_out, floe_err *err) {
  return lake_avro_write_memo(path, schema, meta, records, NULL, size_out, err);
}

int lake_avro_write_memo(const char *path, const json_t *schema, const char *const *meta, const json_t *records,
                         lake_memo *memo, int64_t *size_out, floe_err *err) {
  codec c = {json_object(), err};
  floe_buf b, block;
  floe_buf_init(&b, 0);
  floe_buf_init(&block, 0);
  int rc = 0;
  register_names(&c, schema);
  char *schema_text = json_dumps(schema, JSON_COMPACT);
  floe_buf_append(&b, "Obj\x01", 4);
  size_t nmeta = 0;
  while (meta && meta[2 * nmeta]) nmeta++;
  put_long(&b, (int64_t)nmeta + 2);
  put_bytes(&b, "avro.schema", 11);
  put_bytes(&b, schema_text, strlen(schema_text));
  put_bytes(&b, "avro.codec", 10);
  put_bytes(&b, "null", 4);
  for (size_t i = 0; i < nmeta; i++) {
    put_bytes(&b, meta[2 * i], strlen(meta[2 * i]));
    put_bytes(&b, meta[2 * i + 1], strlen(meta[2 * i + 1]));
  }
  put_long(&b, 0);
  unsigned char sync[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = floe_random_u64();
    memcpy(sync + i, &r, 8);
  }
  floe_buf_append(&b, sync, 16);
  size_t n = json_array_size(records), i;
  json_t *rec;
  json_array_foreach(records, i, rec) {
    size_t mlen;
    const char *m = memo ? lake_memo_get(memo, rec, 2, &mlen) : NULL;
    if (m) {
      floe_buf_append(&block, m, mlen);
      continue;
    }
    size_t at = block.len;
    rc = encode(&c, schema, rec, &block);
    if (rc) goto out;
    if (memo) lake_memo_put(memo, rec, 2, block.p + at, block.len - at);
  }
  if (n) {
    put_long(&b, (int64_t)n);
    put_long(&b, (int64_t)block.len);
    floe_buf_append(&b, block.p, block.len);
    floe_buf_append(&b, sync, 16);
  }
  if (b.oom || block.oom) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  rc = floe_file_write_atomic(path, b.p, b.len, 0600, err);
  if (!rc && size_out) *size_out = (int64_t)b.len;
out:
  free(schema_text);
  json_decref(c.names);
  floe_buf_free(&b);
  floe_buf_free(&block);
  return rc;
}

/* ---------------------------------------------------------------- decoding */

typedef struct reader {
  const unsigned char *p, *end;
  codec *c;
  const char *path;
  int depth; /* nesting guard: schemas come from the file */
} reader;

#define AVRO_MAX_DEPTH 64

static int bad(reader *r, const char *what) {
  return floe_err_set(r->c->err, FLOE_EFORMAT, "%s: not a valid Avro file (%s)", r->path, what);
}

static int get_long(reader *r, int64_t *out) {
  uint64_t z = 0;
  int shift = 0;
  for (;;) {
    if (r->p >= r->end || shift > 63) return bad(r, "truncated varint");
    unsigned char c = *r->p++;
    z |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) break;
    shift += 7;
  }
  *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
  return 0;
}

static int get_raw(reader *r, int64_t n, const unsigned char **out) {
  if (n < 0 || r->end - r->p < n) return bad(r, "truncated data");
  *out = r->p;
  r->p += n;
  return 0;
}

static int decode_value(reader *r, const json_t *schema, json_t **out);

static int decode(reader *r, const json_t *schema, json_t **out) {
  *out = NULL;
  if (r->depth >= AVRO_MAX_DEPTH) return bad(r, "values nested too deeply");
  r->depth++;
  int rc = decode_value(r, schema, out);
  r->depth--;
  return rc;
}

static int decode_value(reader *r, const json_t *schema, json_t **out) {
  *out = NULL;
  schema = resolve(r->c, schema);
  int rc;
  int64_t n;
  const unsigned char *raw = NULL;
  if (json_is_array(schema)) {
    if ((rc = get_long(r, &n))) return rc;
    if (n < 0 || (size_t)n >= json_array_size(schema)) return bad(r, "union branch out of range");
    return decode(r, json_array_get(schema, (size_t)n), out);
  }
  if (json_is_object(schema) && json_is_object(json_object_get(schema, "type")))
    return decode(r, json_object_get(schema, "type"), out);
  const char *t = type_name(schema);
  if (!strcmp(t, "null")) {
    *out = json_null();
    return 0;
  }
  if (!strcmp(t, "boolean")) {
    if ((rc = get_raw(r, 1, &raw))) return rc;
    *out = json_boolean(*raw);
    return 0;
  }
  if (!strcmp(t, "int") || !strcmp(t, "long")) {
    if ((rc = get_long(r, &n))) return rc;
    *out = json_integer(n);
    return 0;
  }
  if (!strcmp(t, "float")) {
    float f;
    if ((rc = get_raw(r, 4, &raw))) return rc;
    memcpy(&f, raw, 4);
    *out = number_json(f);
    return 0;
  }
  if (!strcmp(t, "double")) {
    double d;
    if ((rc = get_raw(r, 8, &raw))) return rc;
    memcpy(&d, raw, 8);
    *out = number_json(d);
    return 0;
  }
  if (!strcmp(t, "string") || !strcmp(t, "bytes") || !strcmp(t, "fixed")) {
    if (!strcmp(t, "fixed")) n = json_integer_value(json_object_get(schema, "size"));
    else if ((rc = get_long(r, &n))) return rc;
    if ((rc = get_raw(r, n, &raw))) return rc;
    if (!strcmp(t, "string")) {
      *out = json_stringn((const char *)raw, (size_t)n);
      if (!*out) return bad(r, "string is not UTF-8");
    } else {
      char *h = lake_hex(raw, (size_t)n);
      if (!h) return floe_err_set(r->c->err, FLOE_ENOMEM, "out of memory");
      *out = json_string(h);
      floe_free(h);
    }
    return 0;
  }
  if (!strcmp(t, "enum")) {
    if ((rc = get_long(r, &n))) return rc;
    json_t *sym = json_array_get(json_object_get(schema, "symbols"), (size_t)n);
    if (!sym) return bad(r, "enum index out of range");
    *out = json_copy(sym);
    return 0;
  }
  if (!strcmp(t, "record")) {
    json_t *o = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(schema, "fields"), i, f) {
      json_t *v;
      if ((rc = decode(r, json_object_get(f, "type"), &v))) {
        json_decref(o);
        return rc;
      }
      json_object_set_new(o, json_string_value(json_object_get(f, "name")), v);
    }
    *out = o;
    return 0;
  }
  if (!strcmp(t, "array") || !strcmp(t, "map")) {
    bool is_map = !strcmp(t, "map");
    json_t *o = is_map ? json_object() : json_array();
    for (;;) {
      if ((rc = get_long(r, &n))) goto fail_coll;
      if (n == 0) break;
      if (n < 0) {
        int64_t skip;
        if (n == INT64_MIN) {
          rc = bad(r, "bad block count");
          goto fail_coll;
        }
        n = -n;
        if ((rc = get_long(r, &skip))) goto fail_coll;
      }
      /* Zero-size items (null) would let a tiny file claim billions of values. */
      if (n > (r->end - r->p) + 64) {
        rc = bad(r, "block count larger than the data");
        goto fail_coll;
      }
      for (int64_t k = 0; k < n; k++) {
        json_t *v;
        if (is_map) {
          int64_t kl;
          if ((rc = get_long(r, &kl)) || (rc = get_raw(r, kl, &raw))) goto fail_coll;
          char *key = floe_strndup((const char *)raw, (size_t)kl);
          if ((rc = decode(r, json_object_get(schema, "values"), &v))) {
            floe_free(key);
            goto fail_coll;
          }
          json_object_set_new(o, key, v);
          floe_free(key);
        } else {
          if ((rc = decode(r, json_object_get(schema, "items"), &v))) goto fail_coll;
          json_array_append_new(o, v);
        }
      }
    }
    *out = o;
    return 0;
  fail_coll:
    json_decref(o);
    return rc;
  }
  return bad(r, "unsupported schema type");
}

static int inflate_raw(const unsigned char *in, size_t n, unsigned char **out, size_t *out_len) {
  z_stream zs = {0};
  if (inflateInit2(&zs, -15) != Z_OK) return -1;
  size_t cap = n * 4 + 1024, len = 0;
  unsigned char *buf = floe_malloc(cap);
  if (!buf) {
    inflateEnd(&zs);
    return -1;
  }
  zs.next_in = (unsigned char *)in;
  zs.avail_in = (uInt)n;
  int zr = Z_OK;
  do {
    if (len == cap) {
      if (cap > (256u << 20)) break; /* a manifest block is never this large */
      cap *= 2;
      unsigned char *nb = floe_realloc(buf, cap);
      if (!nb) break;
      buf = nb;
    }
    zs.next_out = buf + len;
    zs.avail_out = (uInt)(cap - len);
    zr = inflate(&zs, Z_NO_FLUSH);
    len = cap - zs.avail_out;
  } while (zr == Z_OK);
  inflateEnd(&zs);
  if (zr != Z_STREAM_END) {
    floe_free(buf);
    return -1;
  }
  *out = buf;
  *out_len = len;
  return 0;
}

int lake_avro_read(const char *path, json_t **schema_out, json_t **meta_out, json_t **records_out, floe_err *err) {
  char *data = NULL;
  size_t len = 0;
  int rc = floe_file_read(path, &data, &len, err);
  if (rc) return rc;
  rc = lake_avro_read_buf(data, len, path, schema_out, meta_out, records_out, err);
  floe_free(data);
  return rc;
}

int lake_avro_read_buf(const char *data, size_t len, const char *path, json_t **schema_out, json_t **meta_out,
                       json_t **records_out, floe_err *err) {
  int rc = 0;
  codec c = {json_object(), err};
  reader r = {(const unsigned char *)data, (const unsigned char *)data + len, &c, path, 0};
  json_t *meta = json_object(), *records = json_array(), *schema = NULL;
  int64_t n;
  if (len < 4 || memcmp(data, "Obj\x01", 4)) {
    rc = bad(&r, "no Obj\\x01 magic");
    goto out;
  }
  r.p += 4;
  for (;;) {
    if ((rc = get_long(&r, &n))) goto out;
    if (n == 0) break;
    if (n < 0) {
      int64_t skip;
      if (n == INT64_MIN) {
        rc = bad(&r, "bad header count");
        goto out;
      }
      n = -n;
      if ((rc = get_long(&r, &skip))) goto out;
    }
    for (int64_t k = 0; k < n; k++) {
      int64_t kl, vl;
      const unsigned char *kp = NULL, *vp = NULL;
      if ((rc = get_long(&r, &kl)) || (rc = get_raw(&r, kl, &kp)) || (rc = get_long(&r, &vl)) ||
          (rc = get_raw(&r, vl, &vp)))
        goto out;
      char *key = floe_strndup((const char *)kp, (size_t)kl);
      json_object_set_new(meta, key, json_stringn((const char *)vp, (size_t)vl));
      floe_free(key);
    }
  }
  const unsigned char *sync = NULL;
  if ((rc = get_raw(&r, 16, &sync))) goto out;
  const char *schema_text = json_string_value(json_object_get(meta, "avro.schema"));
  const char *codec_name = json_string_value(json_object_get(meta, "avro.codec"));
  if (!codec_name) codec_name = "null";
  if (!schema_text) {
    rc = bad(&r, "no avro.schema in the header");
    goto out;
  }
  schema = json_loads(schema_text, JSON_DECODE_ANY, NULL);
  if (!schema) {
    rc = bad(&r, "avro.schema is not JSON");
    goto out;
  }
  if (strcmp(codec_name, "null") && strcmp(codec_name, "deflate")) {
    rc = floe_err_set(err, FLOE_EUNSUPPORTED, "%s: Avro codec %s is not supported (null, deflate are)", path,
                      codec_name);
    goto out;
  }
  register_names(&c, schema);
  while (r.p < r.end) {
    int64_t count, size;
    const unsigned char *blk = NULL, *bsync = NULL;
    if ((rc = get_long(&r, &count)) || (rc = get_long(&r, &size)) || (rc = get_raw(&r, size, &blk)) ||
        (rc = get_raw(&r, 16, &bsync)))
      goto out;
    if (memcmp(bsync, sync, 16)) {
      rc = bad(&r, "sync marker mismatch");
      goto out;
    }
    unsigned char *inflated = NULL;
    size_t ilen = (size_t)size;
    if (!strcmp(codec_name, "deflate")) {
      if (inflate_raw(blk, (size_t)size, &inflated, &ilen)) {
        rc = bad(&r, "bad deflate block");
        goto out;
      }
      blk = inflated;
    }
    reader br = {blk, blk + ilen, &c, path, 0};
    if (count < 0 || count > (int64_t)ilen + 64) {
      floe_free(inflated);
      rc = bad(&r, "block count larger than the data");
      goto out;
    }
    for (int64_t k = 0; k < count && !rc; k++) {
      json_t *v;
      rc = decode(&br, schema, &v);
      if (!rc) json_array_append_new(records, v);
    }
    floe_free(inflated);
    if (rc) goto out;
  }
out:
  json_decref(c.names);
  if (rc) {
    json_decref(meta);
    json_decref(records);
    json_decref(schema);
    return rc;
  }
  if (schema_out) *schema_out = schema;
  else json_decref(schema);
  if (meta_out) *meta_out = meta;
  else json_decref(meta);
  *records_out = records;
  return 0;
}
