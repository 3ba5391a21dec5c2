/* keystore.c — the production keystore: one file holding every secret of a project, encrypted and
 * authenticated with XChaCha20-Poly1305 (libsodium). The key is a random 32-byte key or is derived
 * from a passphrase with Argon2id (salt and cost stored in the header: new keystores at
 * FLOE_KEYSTORE_ARGON2_OPS / _MEM, older cheaper ones still open and floe_keystore_rekey upgrades them).
 *
 * File layout (all integers little-endian):
 *   0  8  magic "FLOEKS01"
 *   8  1  kdf: 1 = raw key, 2 = argon2id passphrase
 *   9  7  zero
 *   16 16 salt (argon2id) or zero
 *   32 8  opslimit      40 8 memlimit
 *   48 16 key check: BLAKE2b-128 keyed with the key over a constant — tells "wrong key" apart
 *         from "file modified" without revealing anything about the key
 *   64 24 nonce (fresh for every write)
 *   88 .. ciphertext of the payload + 16-byte tag; the 88 header bytes are the associated data
 * Payload: u32 count, then per entry u32 name length, name, u32 value length, value (sorted by name).
 *
 * Writers take an exclusive flock on <path>.lock, re-read, modify and replace the file with
 * floe_file_write_atomic (mode 0600): readers never lock and see the old or the new file. */
#include "floe/secrets.h"
#include "secrets_int.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(FLOE_KEYSTORE_ARGON2_OPS >= crypto_pwhash_OPSLIMIT_MODERATE &&
                   FLOE_KEYSTORE_ARGON2_MEM >= crypto_pwhash_MEMLIMIT_MODERATE,
               "new keystores are derived at least at libsodium's MODERATE limits");

#define KS_MAGIC "FLOEKS01"
#define KS_HDR 88
#define KDF_RAW 1
#define KDF_ARGON 2

typedef struct ks_entry {
  char *name;
  unsigned char *value;
  size_t len;
} ks_entry;

struct floe_keystore {
  bool exists;
  ks_entry *e;
  size_t n, cap;
  /* header of the loaded file (reused when rewriting, so a passphrase is derived once) */
  int kdf;
  unsigned char salt[16];
  uint64_t ops, mem;
  unsigned char key[32];
  bool have_key;
};

static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}
static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int sodium_ready(floe_err *err) {
  if (sodium_init() < 0) return floe_err_set(err, FLOE_EINTERNAL, "libsodium failed to initialize");
  return 0;
}

int floe_keystore_parse_key(const char *text, size_t len, unsigned char key[32]) {
  while (len && isspace((unsigned char)*text))
    text++, len--;
  while (len && isspace((unsigned char)text[len - 1]))
    len--;
  if (sodium_init() < 0) return FLOE_EINTERNAL;
  size_t bin = 0;
  const char *end = NULL;
  if (len == 64 && sodium_hex2bin(key, 32, text, len, NULL, &bin, &end) == 0 && bin == 32 && end == text + len)
    return 0;
  static const int variants[] = {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                                 sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
    if (sodium_base642bin(key, 32, text, len, NULL, &bin, &end, variants[i]) == 0 && bin == 32 && end == text + len)
      return 0;
  }
  sodium_memzero(key, 32);
  return FLOE_EINPUT;
}

void floe_keystore_keygen(char out[65]) {
  unsigned char k[32];
  if (sodium_init() < 0) abort();
  randombytes_buf(k, sizeof k);
  sodium_bin2hex(out, 65, k, sizeof k);
  sodium_memzero(k, sizeof k);
}

static const char key_help[] =
    "a key is 32 bytes written as 64 hex characters or base64 (make one with `floe secrets keygen`)";

int floe_keystore_cred_from_vars(floe_keystore_cred *cred, const char *key_var, const char *file_var,
                                 const char *pass_var, floe_err *err) {
  memset(cred, 0, sizeof *cred);
  const char *k = getenv(key_var);
  if (k && *k) {
    if (floe_keystore_parse_key(k, strlen(k), cred->key))
      return floe_err_set(err, FLOE_EINPUT, "%s is not a valid key: %s", key_var, key_help);
    cred->kind = 1;
    cred->origin = key_var;
    return 0;
  }
  const char *f = getenv(file_var);
  if (f && *f) {
    char *text = NULL;
    size_t len = 0;
    int rc = floe_file_read(f, &text, &len, err);
    if (rc) {
      floe_err_prefix(err, "%s: ", file_var);
      return rc == FLOE_ENOTFOUND ? FLOE_EINPUT : rc;
    }
    if (floe_keystore_parse_key(text, len, cred->key) == 0) {
      cred->kind = 1;
    } else if (len == 32) {
      memcpy(cred->key, text, 32);
      cred->kind = 1;
    }
    sodium_memzero(text, len);
    floe_free(text);
    if (!cred->kind)
      return floe_err_set(err, FLOE_EINPUT, "%s %s does not hold a valid key: %s", file_var, f, key_help);
    cred->origin = file_var;
    return 0;
  }
  const char *pw = getenv(pass_var);
  if (pw && *pw) {
    if (strlen(pw) >= sizeof cred->passphrase)
      return floe_err_set(err, FLOE_EINPUT, "%s is longer than %zu bytes", pass_var, sizeof cred->passphrase - 1);
    strcpy(cred->passphrase, pw);
    cred->kind = 2;
    cred->origin = pass_var;
    return 0;
  }
  return floe_err_set(err, FLOE_ENOTFOUND, "no keystore key: set %s (make one with `floe secrets keygen`), %s or %s",
                      key_var, file_var, pass_var);
}

int floe_keystore_cred_from_env(floe_keystore_cred *cred, floe_err *err) {
  return floe_keystore_cred_from_vars(cred, "FLOE_KEYSTORE_KEY", "FLOE_KEYSTORE_KEY_FILE", "FLOE_KEYSTORE_PASSPHRASE", err);
}

/* The header of a keystore about to be (re)written for a credential of kind (1 key, 2 passphrase): a
 * passphrase gets a fresh salt and the given Argon2id cost. */
static void set_kdf(floe_keystore *ks, int kind, uint64_t ops, uint64_t mem) {
  ks->kdf = kind == 2 ? KDF_ARGON : KDF_RAW;
  memset(ks->salt, 0, sizeof ks->salt);
  ks->ops = ks->mem = 0;
  if (ks->kdf == KDF_ARGON) {
    randombytes_buf(ks->salt, sizeof ks->salt);
    ks->ops = ops;
    ks->mem = mem;
  }
}

static void key_check(const unsigned char key[32], unsigned char out[16]) {
  static const char label[] = "floe keystore key check v1";
  crypto_generichash(out, 16, (const unsigned char *)label, sizeof label - 1, key, 32);
}

/* Derives ks->key for the header in ks (kdf, salt, ops, mem) from cred. */
static int derive_key(floe_keystore *ks, const floe_keystore_cred *cred, const char *path, floe_err *err) {
  if (ks->kdf == KDF_RAW) {
    if (cred->kind != 1)
      return floe_err_set(err, FLOE_ESECRET,
                          "keystore %s is encrypted with a key, but only a passphrase (%s) was given: set "
                          "FLOE_KEYSTORE_KEY or FLOE_KEYSTORE_KEY_FILE",
                          path, cred->origin ? cred->origin : "none");
    memcpy(ks->key, cred->key, 32);
  } else {
    if (cred->kind != 2)
      return floe_err_set(err, FLOE_ESECRET,
                          "keystore %s is protected by a passphrase, but a key (%s) was given: set "
                          "FLOE_KEYSTORE_PASSPHRASE instead",
                          path, cred->origin ? cred->origin : "none");
    if (ks->ops < crypto_pwhash_OPSLIMIT_MIN || ks->ops > crypto_pwhash_OPSLIMIT_MAX ||
        ks->mem < crypto_pwhash_MEMLIMIT_MIN || ks->mem > ((uint64_t)1 << 32))
      return floe_err_set(err, FLOE_EFORMAT, "keystore %s: header has invalid Argon2id parameters", path);
    if (crypto_pwhash(ks->key, 32, cred->passphrase, strlen(cred->passphrase), ks->salt, ks->ops, (size_t)ks->mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
      return floe_err_set(err, FLOE_ENOMEM, "keystore %s: Argon2id needs %llu bytes of memory", path,
                          (unsigned long long)ks->mem);
  }
  ks->have_key = true;
  return 0;
}

static int add_entry(floe_keystore *ks, const char *name, size_t nlen, const void *val, size_t vlen) {
  if (ks->n == ks->cap) {
    size_t cap = ks->cap ? ks->cap * 2 : 16;
    ks_entry *e = floe_realloc(ks->e, cap * sizeof *e);
    if (!e) return FLOE_ENOMEM;
    ks->e = e;
    ks->cap = cap;
  }
  ks_entry *e = &ks->e[ks->n];
  e->name = floe_strndup(name, nlen);
  e->value = floe_malloc(vlen + 1);
  if (!e->name || !e->value) {
    floe_free(e->name);
    floe_free(e->value);
    return FLOE_ENOMEM;
  }
  for (char *c = e->name; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  if (vlen) memcpy(e->value, val, vlen);
  e->value[vlen] = 0;
  e->len = vlen;
  ks->n++;
  return 0;
}

void floe_keystore_free(floe_keystore *ks) {
  if (!ks) return;
  for (size_t i = 0; i < ks->n; i++) {
    floe_free(ks->e[i].name);
    sodium_memzero(ks->e[i].value, ks->e[i].len);
    floe_free(ks->e[i].value);
  }
  floe_free(ks->e);
  sodium_memzero(ks, sizeof *ks);
  floe_free(ks);
}

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const ks_entry *)a)->name, ((const ks_entry *)b)->name);
}

static int parse_payload(floe_keystore *ks, const unsigned char *p, size_t len, const char *path, floe_err *err) {
  const unsigned char *end = p + len;
  if (len < 4) goto bad;
  uint32_t n = get_u32(p);
  p += 4;
  for (uint32_t i = 0; i < n; i++) {
    if (end - p < 4) goto bad;
    uint32_t nl = get_u32(p);
    p += 4;
    if ((size_t)(end - p) < nl || nl == 0) goto bad;
    const char *name = (const char *)p;
    p += nl;
    if (end - p < 4) goto bad;
    uint32_t vl = get_u32(p);
    p += 4;
    if ((size_t)(end - p) < vl) goto bad;
    if (memchr(name, 0, nl) || add_entry(ks, name, nl, p, vl)) goto bad;
    p += vl;
  }
  if (p != end) goto bad;
  qsort(ks->e, ks->n, sizeof *ks->e, cmp_entry);
  return 0;
bad:
  return floe_err_set(err, FLOE_EFORMAT, "keystore %s: decrypted content is malformed", path);
}

int floe_keystore_load(const char *path, const floe_keystore_cred *cred, floe_keystore **out, floe_err *err) {
  *out = NULL;
  int rc = sodium_ready(err);
  if (rc) return rc;
  floe_keystore *ks = floe_calloc(1, sizeof *ks);
  if (!ks) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  char *data = NULL;
  size_t len = 0;
  unsigned char *plain = NULL;
  size_t plen = 0;
  floe_err e2 = {0};
  rc = floe_file_read(path, &data, &len, &e2);
  if (rc == FLOE_ENOTFOUND) { /* an empty keystore; the first write creates it */
    rc = 0;
    if (cred && cred->kind) {
      ks->kdf = cred->kind == 2 ? KDF_ARGON : KDF_RAW;
      set_kdf(ks, cred->kind, FLOE_KEYSTORE_ARGON2_OPS, FLOE_KEYSTORE_ARGON2_MEM);
      rc = derive_key(ks, cred, path, err);
    }
    goto done;
  }
  if (rc) {
    floe_err_set(err, rc, "keystore: %s", e2.msg);
    goto done;
  }
  const unsigned char *d = (const unsigned char *)data;
  if (len < KS_HDR + crypto_aead_xchacha20poly1305_ietf_ABYTES || memcmp(d, KS_MAGIC, 8) != 0) {
    rc = floe_err_set(err, FLOE_EFORMAT, "%s is not a floe keystore (bad header or truncated)", path);
    goto done;
  }
  ks->exists = true;
  ks->kdf = d[8];
  if (ks->kdf != KDF_RAW && ks->kdf != KDF_ARGON) {
    rc = floe_err_set(err, FLOE_EFORMAT, "keystore %s: unknown key derivation %d (file modified or from a newer floe)",
                      path, ks->kdf);
    goto done;
  }
  memcpy(ks->salt, d + 16, 16);
  ks->ops = get_u64(d + 32);
  ks->mem = get_u64(d + 40);
  if (!cred || !cred->kind) {
    rc = floe_err_set(err, FLOE_ESECRET,
                      "keystore %s is encrypted and no key was given: set FLOE_KEYSTORE_KEY, FLOE_KEYSTORE_KEY_FILE "
                      "or FLOE_KEYSTORE_PASSPHRASE",
                      path);
    goto done;
  }
  if ((rc = derive_key(ks, cred, path, err))) goto done;
  unsigned char check[16];
  key_check(ks->key, check);
  if (sodium_memcmp(check, d + 48, 16) != 0) {
    rc = floe_err_set(err, FLOE_ESECRET, "keystore %s: wrong key (%s does not open this keystore)", path,
                      cred->origin ? cred->origin : "the given key");
    goto done;
  }
  size_t clen = len - KS_HDR;
  plain = floe_malloc(clen);
  if (!plain) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto done;
  }
  unsigned long long pl = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &pl, NULL, d + KS_HDR, clen, d, KS_HDR, d + 64, ks->key) != 0) {
    rc = floe_err_set(err, FLOE_ESECRET,
                      "keystore %s was modified or corrupted: authentication failed (the key is right, the content "
                      "is not what floe wrote); restore it from a backup",
                      path);
    goto done;
  }
  plen = (size_t)pl;
  rc = parse_payload(ks, plain, plen, path, err);
done:
  if (plain) {
    sodium_memzero(plain, plen);
    floe_free(plain);
  }
  if (data) {
    sodium_memzero(data, len);
    floe_free(data);
  }
  if (rc) {
    floe_keystore_free(ks);
    return rc;
  }
  *out = ks;
  return 0;
}

bool floe_keystore_exists(const floe_keystore *ks) { return ks && ks->exists; }

static long find(const floe_keystore *ks, const char *name) {
  for (size_t i = 0; i < ks->n; i++)
    if (!strcasecmp(ks->e[i].name, name)) return (long)i;
  return -1;
}

bool floe_keystore_get(const floe_keystore *ks, const char *name, const void **value, size_t *len) {
  long i = ks ? find(ks, name) : -1;
  if (i < 0) return false;
  *value = ks->e[i].value;
  if (len) *len = ks->e[i].len;
  return true;
}

size_t floe_keystore_count(const floe_keystore *ks) { return ks ? ks->n : 0; }
const char *floe_keystore_name(const floe_keystore *ks, size_t i) { return ks && i < ks->n ? ks->e[i].name : NULL; }

static int save(floe_keystore *ks, const char *path, floe_err *err) {
  qsort(ks->e, ks->n, sizeof *ks->e, cmp_entry);
  size_t plen = 4;
  for (size_t i = 0; i < ks->n; i++)
    plen += 8 + strlen(ks->e[i].name) + ks->e[i].len;
  size_t total = KS_HDR + plen + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  unsigned char *plain = floe_malloc(plen), *file = floe_calloc(1, total);
  int rc = 0;
  if (!plain || !file) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto done;
  }
  unsigned char *p = plain;
  put_u32(p, (uint32_t)ks->n);
  p += 4;
  for (size_t i = 0; i < ks->n; i++) {
    size_t nl = strlen(ks->e[i].name);
    put_u32(p, (uint32_t)nl);
    memcpy(p + 4, ks->e[i].name, nl);
    p += 4 + nl;
    put_u32(p, (uint32_t)ks->e[i].len);
    if (ks->e[i].len) memcpy(p + 4, ks->e[i].value, ks->e[i].len);
    p += 4 + ks->e[i].len;
  }
  memcpy(file, KS_MAGIC, 8);
  file[8] = (unsigned char)ks->kdf;
  memcpy(file + 16, ks->salt, 16);
  put_u64(file + 32, ks->ops);
  put_u64(file + 40, ks->mem);
  key_check(ks->key, file + 48);
  randombytes_buf(file + 64, 24);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(file + KS_HDR, &clen, plain, plen, file, KS_HDR, NULL, file + 64, ks->key);
  rc = floe_file_write_atomic(path, file, KS_HDR + (size_t)clen, 0600, err);
done:
  if (plain) sodium_memzero(plain, plen);
  floe_free(plain);
  floe_free(file);
  return rc;
}

static int lock_file(const char *path, int *fd_out, floe_err *err) {
  char lock[4096];
  snprintf(lock, sizeof lock, "%s.lock", path);
  int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return floe_err_set(err, FLOE_EIO, "keystore lock %s: %s", lock, strerror(errno));
  while (flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    close(fd);
    return floe_err_set(err, FLOE_EIO, "keystore lock %s: %s", lock, strerror(e));
  }
  *fd_out = fd;
  return 0;
}

int floe_keystore_update(const char *path, const floe_keystore_cred *cred, const char *name, const void *value,
                         size_t len, floe_err *err) {
  if (!cred || !cred->kind)
    return floe_err_set(err, FLOE_ESECRET,
                        "no keystore key: set FLOE_KEYSTORE_KEY (make one with `floe secrets keygen`), "
                        "FLOE_KEYSTORE_KEY_FILE or FLOE_KEYSTORE_PASSPHRASE");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    int rc = floe_mkdirs(dir, 0700, err);
    if (rc) return rc;
  }
  int fd = -1;
  int rc = lock_file(path, &fd, err);
  if (rc) return rc;
  floe_keystore *ks = NULL;
  if ((rc = floe_keystore_load(path, cred, &ks, err))) goto out;
  long i = find(ks, name);
  if (value) {
    if (i >= 0) { /* replace in place */
      unsigned char *v = floe_malloc(len + 1);
      if (!v) {
        rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
        goto out;
      }
      if (len) memcpy(v, value, len);
      v[len] = 0;
      sodium_memzero(ks->e[i].value, ks->e[i].len);
      floe_free(ks->e[i].value);
      ks->e[i].value = v;
      ks->e[i].len = len;
    } else if (add_entry(ks, name, strlen(name), value, len)) {
      rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      goto out;
    }
  } else {
    if (i < 0) {
      rc = floe_err_set(err, FLOE_ENOTFOUND, "keystore %s has no secret %s", path, name);
      goto out;
    }
    floe_free(ks->e[i].name);
    sodium_memzero(ks->e[i].value, ks->e[i].len);
    floe_free(ks->e[i].value);
    memmove(&ks->e[i], &ks->e[i + 1], (ks->n - (size_t)i - 1) * sizeof *ks->e);
    ks->n--;
  }
  rc = save(ks, path, err);
out:
  floe_keystore_free(ks);
  close(fd); /* releases the lock */
  return rc;
}

void floe_keystore_kdf_of(const floe_keystore *ks, floe_keystore_kdf *out) {
  memset(out, 0, sizeof *out);
  if (!ks || !ks->exists) return;
  out->kind = ks->kdf == KDF_ARGON ? 2 : 1;
  out->ops = ks->ops;
  out->mem = ks->mem;
}

bool floe_keystore_kdf_weak(const floe_keystore_kdf *k) {
  return k->kind == 2 && (k->ops < FLOE_KEYSTORE_ARGON2_OPS || k->mem < FLOE_KEYSTORE_ARGON2_MEM);
}

int keystore_rekey_cost(const char *path, const floe_keystore_cred *old_cred, const floe_keystore_cred *new_cred,
                        uint64_t ops, uint64_t mem, floe_keystore_kdf *before, floe_keystore_kdf *after,
                        floe_err *err) {
  if (!new_cred || !new_cred->kind) return floe_err_set(err, FLOE_EINPUT, "keystore %s: no new key or passphrase", path);
  int fd = -1;
  int rc = lock_file(path, &fd, err);
  if (rc) return rc;
  floe_keystore *ks = NULL;
  if ((rc = floe_keystore_load(path, old_cred, &ks, err))) goto out;
  if (!ks->exists) {
    rc = floe_err_set(err, FLOE_ENOTFOUND, "keystore %s does not exist (floe secrets set creates it)", path);
    goto out;
  }
  if (before) floe_keystore_kdf_of(ks, before);
  set_kdf(ks, new_cred->kind, ops, mem);
  sodium_memzero(ks->key, sizeof ks->key);
  if ((rc = derive_key(ks, new_cred, path, err)) || (rc = save(ks, path, err))) goto out;
  if (after) floe_keystore_kdf_of(ks, after);
out:
  floe_keystore_free(ks);
  close(fd);
  return rc;
}

int floe_keystore_rekey(const char *path, const floe_keystore_cred *old_cred, const floe_keystore_cred *new_cred,
                        floe_keystore_kdf *before, floe_keystore_kdf *after, floe_err *err) {
  return keystore_rekey_cost(path, old_cred, new_cred, FLOE_KEYSTORE_ARGON2_OPS, FLOE_KEYSTORE_ARGON2_MEM, before,
                             after, err);
}

const char *floe_keystore_path(const floe_project *p) {
  static __thread char buf[4096];
  const char *env = getenv("FLOE_KEYSTORE");
  if (env && *env) return env;
  if (p && p->secrets_keystore && *p->secrets_keystore) {
    if (p->secrets_keystore[0] == '/' || !p->dir) return p->secrets_keystore;
    snprintf(buf, sizeof buf, "%s/%s", p->dir, p->secrets_keystore);
    return buf;
  }
  if (p && p->home) {
    snprintf(buf, sizeof buf, "%s/keystore", p->home);
    return buf;
  }
  if (p && p->dir) {
    snprintf(buf, sizeof buf, "%s/.floe/keystore", p->dir);
    return buf;
  }
  return NULL;
}
