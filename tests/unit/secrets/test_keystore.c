/* test_keystore.c — the encrypted keystore: round trip, mode 0600, wrong key, tampered and truncated
 * files, passphrases (Argon2id), key parsing, and concurrent writers losing nothing. */
#include "floe/secrets.h"
#include "../../../src/secrets/secrets_int.h"
#include "test.h"
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *K1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char *K2 = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static floe_keystore_cred key_cred(const char *hex) {
  floe_keystore_cred c = {0};
  CHECK(floe_keystore_parse_key(hex, strlen(hex), c.key) == 0);
  c.kind = 1;
  c.origin = "test key";
  return c;
}

static void flip_byte(const char *path, long off) {
  FILE *f = fopen(path, "r+b");
  fseek(f, off, off < 0 ? SEEK_END : SEEK_SET);
  int ch = fgetc(f);
  fseek(f, off, off < 0 ? SEEK_END : SEEK_SET);
  fputc(ch ^ 0x01, f);
  fclose(f);
}

static void copy_file(const char *from, const char *to) {
  char *d;
  size_t n;
  floe_err err = {0};
  CHECK(floe_file_read(from, &d, &n, &err) == 0);
  CHECK(floe_file_write_atomic(to, d, n, 0600, &err) == 0);
  floe_free(d);
}

int main(void) {
  char dir[] = "/tmp/floe-test-keystore.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[256], copy[256];
  snprintf(path, sizeof path, "%s/sub/keystore", dir);
  snprintf(copy, sizeof copy, "%s/copy", dir);
  floe_err err = {0};
  floe_keystore_cred c1 = key_cred(K1), c2 = key_cred(K2);

  /* key parsing: hex, base64, garbage */
  unsigned char k[32];
  CHECK(floe_keystore_parse_key(K1, 64, k) == 0 && k[31] == 0x1f);
  CHECK(floe_keystore_parse_key("  AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 47, k) == 0 && k[31] == 0x1f);
  CHECK(floe_keystore_parse_key("short", 5, k) != 0);
  char gen[65];
  floe_keystore_keygen(gen);
  CHECK(strlen(gen) == 64 && floe_keystore_parse_key(gen, 64, k) == 0);

  /* missing file: an empty keystore */
  floe_keystore *ks = NULL;
  CHECK(floe_keystore_load(path, &c1, &ks, &err) == 0);
  CHECK(!floe_keystore_exists(ks) && floe_keystore_count(ks) == 0);
  floe_keystore_free(ks);

  /* round trip (binary value with a NUL), mode 0600, sorted names, case-insensitive lookup */
  CHECK(floe_keystore_update(path, &c1, "clickhouse.password", "hunter2", 7, &err) == 0);
  CHECK(floe_keystore_update(path, &c1, "Github.Token", "a\0b", 3, &err) == 0);
  CHECK(floe_keystore_update(path, &c1, "clickhouse.password", "hunter3", 7, &err) == 0); /* replace */
  struct stat st;
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
  CHECK(floe_keystore_load(path, &c1, &ks, &err) == 0);
  CHECK(floe_keystore_exists(ks) && floe_keystore_count(ks) == 2);
  CHECK_STR(floe_keystore_name(ks, 0), "clickhouse.password");
  CHECK_STR(floe_keystore_name(ks, 1), "github.token");
  const void *v;
  size_t len;
  CHECK(floe_keystore_get(ks, "CLICKHOUSE.PASSWORD", &v, &len) && len == 7 && !memcmp(v, "hunter3", 7));
  CHECK(floe_keystore_get(ks, "github.token", &v, &len) && len == 3 && !memcmp(v, "a\0b", 3));
  CHECK(!floe_keystore_get(ks, "nope.nope", &v, &len));
  floe_keystore_free(ks);
  /* the file does not contain the values in clear */
  char *raw;
  size_t rawlen;
  CHECK(floe_file_read(path, &raw, &rawlen, &err) == 0);
  CHECK(memmem(raw, rawlen, "hunter3", 7) == NULL && memmem(raw, rawlen, "clickhouse", 10) == NULL);
  floe_free(raw);

  /* wrong key */
  CHECK(floe_keystore_load(path, &c2, &ks, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "wrong key");
  CHECK(ks == NULL);
  /* no key at all */
  CHECK(floe_keystore_load(path, NULL, &ks, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "no key was given");
  /* a passphrase for a key-encrypted keystore */
  floe_keystore_cred pw = {.kind = 2, .passphrase = "correct horse", .origin = "FLOE_KEYSTORE_PASSPHRASE"};
  CHECK(floe_keystore_load(path, &pw, &ks, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "encrypted with a key");

  /* tampered ciphertext: the key is right, authentication fails */
  copy_file(path, copy);
  flip_byte(copy, -5);
  CHECK(floe_keystore_load(copy, &c1, &ks, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "modified or corrupted");
  /* tampered header (authenticated as associated data): the Argon2 cost field */
  copy_file(path, copy);
  flip_byte(copy, 33);
  CHECK(floe_keystore_load(copy, &c1, &ks, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "modified or corrupted");
  /* tampered nonce */
  copy_file(path, copy);
  flip_byte(copy, 70);
  CHECK(floe_keystore_load(copy, &c1, &ks, &err) == FLOE_ESECRET);
  /* truncated */
  copy_file(path, copy);
  CHECK(truncate(copy, 50) == 0);
  CHECK(floe_keystore_load(copy, &c1, &ks, &err) == FLOE_EFORMAT);
  CHECK_CONTAINS(err.msg, "not a floe keystore");
  /* not a keystore at all */
  CHECK(floe_file_write_atomic(copy, "DAGSTER__X__Y=1\n", 16, 0600, &err) == 0);
  CHECK(floe_keystore_load(copy, &c1, &ks, &err) == FLOE_EFORMAT);
  /* updating a tampered file fails and leaves it as it was */
  copy_file(path, copy);
  flip_byte(copy, -1);
  CHECK(floe_keystore_update(copy, &c1, "a.b", "c", 1, &err) == FLOE_ESECRET);

  /* remove */
  CHECK(floe_keystore_update(path, &c1, "github.token", NULL, 0, &err) == 0);
  CHECK(floe_keystore_update(path, &c1, "github.token", NULL, 0, &err) == FLOE_ENOTFOUND);
  CHECK(floe_keystore_load(path, &c1, &ks, &err) == 0 && floe_keystore_count(ks) == 1);
  floe_keystore_free(ks);

  /* passphrase keystore (Argon2id). An old one, as cheap as floe made them before (ops 1, 8 KiB: the
   * environment can no longer ask for that), still opens... */
  char ppath[256];
  snprintf(ppath, sizeof ppath, "%s/pass.ks", dir);
  CHECK(floe_keystore_update(ppath, &c1, "postgres.connection_url", "postgres://u:pw@h/db", 20, &err) == 0);
  floe_keystore_kdf before, after;
  CHECK(keystore_rekey_cost(ppath, &c1, &pw, 1, 8192, &before, &after, &err) == 0);
  CHECK(before.kind == 1 && after.kind == 2 && after.ops == 1 && after.mem == 8192 && floe_keystore_kdf_weak(&after));
  CHECK(floe_keystore_load(ppath, &pw, &ks, &err) == 0 && floe_keystore_count(ks) == 1);
  floe_keystore_free(ks);
  floe_keystore_cred bad = {.kind = 2, .passphrase = "wrong horse", .origin = "FLOE_KEYSTORE_PASSPHRASE"};
  CHECK(floe_keystore_load(ppath, &bad, &ks, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "wrong key");
  CHECK(floe_keystore_load(ppath, &c1, &ks, &err) == FLOE_ESECRET);
  CHECK_CONTAINS(err.msg, "protected by a passphrase");
  /* ...and re-keying gives it the real cost (MODERATE: ops 3, 256 MiB), a fresh salt, the same entries */
  setenv("FLOE_KEYSTORE_ARGON2_MIN", "1", 1); /* the variable old floe honoured: ignored now */
  CHECK(floe_keystore_rekey(ppath, &bad, &pw, NULL, NULL, &err) == FLOE_ESECRET);
  CHECK(floe_keystore_rekey(ppath, &pw, &pw, &before, &after, &err) == 0);
  CHECK(before.ops == 1 && after.kind == 2 && after.ops == 3 && after.mem == 256u << 20);
  CHECK(!floe_keystore_kdf_weak(&after));
  CHECK(floe_keystore_load(ppath, &pw, &ks, &err) == 0 && floe_keystore_count(ks) == 1);
  floe_keystore_kdf_of(ks, &after);
  CHECK(after.ops == FLOE_KEYSTORE_ARGON2_OPS && after.mem == FLOE_KEYSTORE_ARGON2_MEM);
  const void *pv;
  size_t pl;
  CHECK(floe_keystore_get(ks, "postgres.connection_url", &pv, &pl) && pl == 20);
  floe_keystore_free(ks);
  /* a passphrase keystore can become a key keystore (no Argon2id at all) */
  CHECK(floe_keystore_rekey(ppath, &pw, &c1, NULL, &after, &err) == 0 && after.kind == 1);
  CHECK(floe_keystore_load(ppath, &c1, &ks, &err) == 0 && floe_keystore_count(ks) == 1);
  floe_keystore_free(ks);
  unsetenv("FLOE_KEYSTORE_ARGON2_MIN");
  char missing[256];
  snprintf(missing, sizeof missing, "%s/none.ks", dir);
  CHECK(floe_keystore_rekey(missing, &c1, &c1, NULL, NULL, &err) == FLOE_ENOTFOUND);

  /* credentials from the environment */
  floe_keystore_cred ec;
  unsetenv("FLOE_KEYSTORE_KEY");
  unsetenv("FLOE_KEYSTORE_KEY_FILE");
  unsetenv("FLOE_KEYSTORE_PASSPHRASE");
  CHECK(floe_keystore_cred_from_env(&ec, &err) == FLOE_ENOTFOUND);
  setenv("FLOE_KEYSTORE_KEY", "not-a-key-s3cr3t", 1);
  CHECK(floe_keystore_cred_from_env(&ec, &err) == FLOE_EINPUT);
  CHECK(strstr(err.msg, "s3cr3t") == NULL);
  unsetenv("FLOE_KEYSTORE_KEY");
  char kf[256];
  snprintf(kf, sizeof kf, "%s/key", dir);
  CHECK(floe_file_write_atomic(kf, K1, 64, 0600, &err) == 0);
  setenv("FLOE_KEYSTORE_KEY_FILE", kf, 1);
  CHECK(floe_keystore_cred_from_env(&ec, &err) == 0 && ec.kind == 1 && !memcmp(ec.key, c1.key, 32));
  CHECK(floe_keystore_load(path, &ec, &ks, &err) == 0);
  floe_keystore_free(ks);
  unsetenv("FLOE_KEYSTORE_KEY_FILE");
  setenv("FLOE_KEYSTORE_PASSPHRASE", "correct horse", 1);
  CHECK(floe_keystore_cred_from_env(&ec, &err) == 0 && ec.kind == 2);
  unsetenv("FLOE_KEYSTORE_PASSPHRASE");

  /* concurrent writers: 8 processes x 10 distinct names each; none may be lost */
  char cpath[256];
  snprintf(cpath, sizeof cpath, "%s/concurrent.ks", dir);
  enum { PROCS = 8, EACH = 10 };
  pid_t pids[PROCS];
  for (int i = 0; i < PROCS; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      for (int j = 0; j < EACH; j++) {
        char name[64], val[64];
        snprintf(name, sizeof name, "g%d.k%d", i, j);
        snprintf(val, sizeof val, "value-%d-%d", i, j);
        floe_err e = {0};
        if (floe_keystore_update(cpath, &c1, name, val, strlen(val), &e)) {
          fprintf(stderr, "child %d: %s\n", i, e.msg);
          _exit(1);
        }
      }
      _exit(0);
    }
  }
  for (int i = 0; i < PROCS; i++) {
    int status = 0;
    waitpid(pids[i], &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  CHECK(floe_keystore_load(cpath, &c1, &ks, &err) == 0);
  CHECK(floe_keystore_count(ks) == PROCS * EACH);
  for (int i = 0; i < PROCS; i++)
    for (int j = 0; j < EACH; j++) {
      char name[64], val[64];
      snprintf(name, sizeof name, "g%d.k%d", i, j);
      snprintf(val, sizeof val, "value-%d-%d", i, j);
      CHECK(floe_keystore_get(ks, name, &v, &len) && len == strlen(val) && !memcmp(v, val, len));
    }
  floe_keystore_free(ks);

  floe_rmtree(dir);
  TEST_MAIN_END();
}
