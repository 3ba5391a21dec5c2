/* secrets_int.h — private parts of the secrets module shared by resolver.c, redact.c and refs.c. */
#ifndef FLOE_SECRETS_INT_H
#define FLOE_SECRETS_INT_H

#include "floe/secrets.h"

enum { SRC_ENV = 1, SRC_KEYSTORE = 2 };

typedef struct secret_val {
  char *bytes; /* NUL-terminated copy (may also contain NULs) */
  size_t len;
} secret_val;

typedef struct cached {
  char *name; /* "group.key" lower-case */
  const char *value;
  size_t len;
  const char *source; /* static or owned by the resolver's arena */
} cached;

struct floe_secrets {
  floe_arena arena; /* names, settings, source descriptions */
  char *prefix;
  char *env_file;        /* NULL: none */
  bool env_file_present; /* the .env file existed when opened */
  bool override_env;
  int sources[4];
  size_t nsources;
  char *keystore_path;  /* NULL: no keystore source */
  floe_map dotenv;      /* NAME -> secret_val* (values owned, wiped on close) */
  floe_vec dotenv_vals; /* secret_val* */
  int ks_state;         /* 0 not loaded, 1 loaded, -1 failed */
  floe_keystore *ks;
  floe_err ks_err;
  floe_vec redact;            /* secret_val*: values replaced by ******** */
  floe_vec too_short;         /* secret_val*: resolved values shorter than FLOE_SECRET_MIN_LEN (not redacted) */
  size_t redact_max;          /* longest redacted value */
  unsigned char first[256];   /* first bytes of redacted values */
  floe_map cache;             /* "group.key" -> cached* */
  floe_secrets *prev_current; /* previously current resolver (stack) */
};

/* floe_keystore_rekey with an explicit Argon2id cost. Not reachable from the CLI or the environment:
 * the unit tests use it to make keystores as cheap as old floe versions did (ops 1, 8 KiB). */
int keystore_rekey_cost(const char *path, const floe_keystore_cred *old_cred, const floe_keystore_cred *new_cred,
                        uint64_t ops, uint64_t mem, floe_keystore_kdf *before, floe_keystore_kdf *after,
                        floe_err *err) FLOE_WUR;

#endif
