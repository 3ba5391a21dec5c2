/* secrets.h — SecretResolver: resolves (prefix, group, key) references from a chain of sources
 * (environment + the project's .env, then the encrypted keystore) and redacts every resolved value
 * from anything floe writes or prints.
 *
 * Naming (OSO's convention): reference `{secret: group.key}` -> environment variable
 * PREFIX__GROUP__KEY, upper-cased (default prefix "dagster": DAGSTER__CLICKHOUSE__PASSWORD);
 * keystore entry "group.key" (lower-cased). */
#ifndef FLOE_SECRETS_H
#define FLOE_SECRETS_H

#include "floe/defs.h"
#include "floe/err.h"
#include "floe/util.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct floe_secrets floe_secrets;

/* Opens a resolver for the project (reads `secrets:` from floe.yaml and the .env file when present).
 * A malformed .env line is FLOE_EINPUT naming the file and line. Caller frees with floe_secrets_close.
 * p may be NULL (environment + keystore from $FLOE_KEYSTORE only).
 * floe.yaml keys (parsed by the loader): secrets.prefix, secrets.env_file, secrets.sources
 * (list of "env" | "keystore"; default [env, keystore]), secrets.override_env (bool, default false:
 * variables already in the environment win over .env). The keystore path is $FLOE_KEYSTORE when
 * set, else <home>/keystore; its key comes from $FLOE_KEYSTORE_KEY, $FLOE_KEYSTORE_KEY_FILE or
 * $FLOE_KEYSTORE_PASSPHRASE, read when the keystore is first needed (so run workers find it too). */
int floe_secrets_open(const floe_project *p, floe_secrets **out, floe_err *err) FLOE_WUR;
void floe_secrets_close(floe_secrets *s);

/* Explicit options, for embedding and tests (floe_secrets_open builds these from the project). */
typedef struct floe_secrets_opts {
  const char *prefix;         /* NULL = "dagster" */
  const char *env_file;       /* .env path; NULL = none; a missing file is not an error */
  bool override_env;          /* true: .env wins over the process environment */
  const char *const *sources; /* "env" | "keystore", in order; NULL = {"env", "keystore"} */
  size_t nsources;
  const char *keystore_path; /* NULL = no keystore source */
} floe_secrets_opts;
int floe_secrets_open_opts(const floe_secrets_opts *o, floe_secrets **out, floe_err *err) FLOE_WUR;

/* Resolves group.key. *value is owned by the resolver (valid until close). Every resolved value is
 * remembered for redaction. A missing or empty secret is FLOE_ESECRET naming the variable and every
 * source tried. */
int floe_secrets_resolve(floe_secrets *s, const char *group, const char *key, const char **value,
                         floe_err *err) FLOE_WUR;
/* Same, for values that may hold any bytes (keystore); *source (optional) names the source that
 * answered, e.g. "environment variable DAGSTER__X__Y", ".env file /p/.env", "keystore /p/.floe/keystore". */
int floe_secrets_resolve_bytes(floe_secrets *s, const char *group, const char *key, const void **value, size_t *len,
                               const char **source, floe_err *err) FLOE_WUR;

/* Resolves a project-file value (literal or secret reference). */
int floe_value_resolve(floe_secrets *s, const floe_value *v, const char **out, floe_err *err) FLOE_WUR;

/* Appends in[0..len) to out with every resolved secret value replaced by "********". */
int floe_secrets_redact(const floe_secrets *s, const char *in, size_t len, floe_buf *out) FLOE_WUR;
/* Number of values registered for redaction. */
size_t floe_secrets_count(const floe_secrets *s);
/* Values shorter than this are handed out but never redacted (masking a one-letter secret everywhere it
 * occurs would reveal it); `floe defs validate` and `floe secrets doctor` warn about them. */
#define FLOE_SECRET_MIN_LEN 4
/* Registers an extra value for redaction (copied). Empty values and those shorter than
 * FLOE_SECRET_MIN_LEN are ignored. */
int floe_secrets_add_redaction(floe_secrets *s, const void *value, size_t len) FLOE_WUR;
/* Registers the password inside a connection string for redaction on its own, before anything parses it:
 * of a URL (scheme://user:PASSWORD@host, ?password=...; raw and percent-decoded) and of a libpq
 * key=value string (password=... or password='...'). A secret value that is such a URL gets this
 * automatically; call it for literal strings. */
int floe_secrets_add_conninfo_password(floe_secrets *s, const char *conninfo) FLOE_WUR;
/* Registers every value src redacts in dst too. */
int floe_secrets_add_all(floe_secrets *dst, const floe_secrets *src) FLOE_WUR;
/* Resolves every secret reference of the project that can be resolved (ignoring failures), so that
 * redaction covers them all even before a step asks for them. Returns how many resolved. */
size_t floe_secrets_preload(floe_secrets *s, const floe_project *p);
/* The most recently opened resolver of this process that is not closed yet (or NULL): the CLI
 * redacts every error message it prints with it. */
floe_secrets *floe_secrets_current(void);

/* Streaming redaction for output that arrives in chunks (step logs): a secret split across two
 * writes is still caught. Holds back at most (longest secret - 1) bytes until the next write or flush. */
typedef struct floe_redactor {
  const floe_secrets *s;
  floe_buf pending;
} floe_redactor;
void floe_redactor_init(floe_redactor *r, const floe_secrets *s);
/* The same over a caller-owned buffer: appends pending, redacted, to out and removes from pending what it
 * consumed — all of it when eof, else all but a tail that may be the start of a secret (at most the longest
 * secret - 1 bytes), however long the text and wherever its lines end. s may be NULL (copied as is). */
int floe_secrets_redact_stream(const floe_secrets *s, floe_buf *pending, bool eof, floe_buf *out) FLOE_WUR;
int floe_redactor_write(floe_redactor *r, const char *in, size_t len, floe_buf *out) FLOE_WUR;
int floe_redactor_flush(floe_redactor *r, floe_buf *out) FLOE_WUR;
void floe_redactor_free(floe_redactor *r);

/* ---- child processes */
/* The environment for a program floe starts (every spawner uses this): floe's own environment without
 * the variables that carry secrets — PREFIX__* (secrets_prefix upper-cased; NULL = "dagster"),
 * FLOE_KEYSTORE_* (FLOE_KEYSTORE_KEY, _KEY_FILE, _PASSPHRASE) — and floe's internals (FLOE__*),
 * without the variables whose names start with one of drop (NULL-terminated, e.g. "FLOE_OUTPUT=") or are
 * set by set, then set[0..nset) ("NAME=value"; NULL entries skipped) appended. A child gets a secret only
 * through set. *out (arena a, NULL-terminated) points into environ and set: valid while they are;
 * *nout (optional) is its length. */
int floe_secrets_child_env(const char *secrets_prefix, const char *const *drop, const char *const *set, size_t nset,
                           floe_arena *a, char ***out, size_t *nout, floe_err *err) FLOE_WUR;

/* ---- names */
/* Writes PREFIX__GROUP__KEY (upper-cased) into out. FLOE_EINPUT when group/key are not
 * [A-Za-z0-9_]+ or the name does not fit. */
int floe_secrets_env_name(const char *prefix, const char *group, const char *key, char *out, size_t n,
                          floe_err *err) FLOE_WUR;
/* Splits "group.key" into its parts (written into group/key buffers of n bytes each); FLOE_EINPUT
 * naming the text when malformed. */
int floe_secrets_split_ref(const char *ref, char *group, char *key, size_t n, floe_err *err) FLOE_WUR;

/* ---- every secret reference in a project: `{secret: group.key}` anywhere in floe.yaml or an asset
 * file, plus the implicit defaults of declared resources (clickhouse: clickhouse.host/user/password;
 * postgres: postgres.connection_url). */
typedef struct floe_secret_ref {
  const char *group, *key; /* arena */
  const char *where;       /* "floe.yaml:12:5" or "resource clickhouse (default)" */
} floe_secret_ref;
/* Fills refs (floe_secret_ref* from arena a), in file order. */
int floe_secrets_project_refs(const floe_project *p, floe_arena *a, floe_vec *refs, floe_err *err) FLOE_WUR;
/* Appends one warning (arena string "<where>: secret group.key cannot be resolved: <why>") per
 * unresolvable reference to warnings, for `floe defs validate`. Never prints a value. */
int floe_secrets_validate(const floe_project *p, floe_arena *a, floe_vec *warnings, floe_err *err) FLOE_WUR;

/* ---- .env parsing (exposed for tests and `floe secrets doctor`) */
typedef int (*floe_dotenv_fn)(void *ud, const char *name, const char *value, size_t vlen, int line);
/* Parses dotenv text: KEY=value, `export KEY=value`, 'single' (literal) and "double" quotes (escapes
 * \n \r \t \" \\ \$; may span lines), `#` comments (whole line, or after whitespace in an unquoted
 * value), `=` inside values, blank lines, CRLF. A malformed line is FLOE_EINPUT "<file>:<line>: ..."
 * (the message never contains the value). fn is called once per assignment in file order. */
int floe_dotenv_parse(const char *file, const char *text, size_t len, floe_dotenv_fn fn, void *ud,
                      floe_err *err) FLOE_WUR;

/* ---- keystore: one file, XChaCha20-Poly1305 (libsodium), mode 0600, replaced atomically. */
typedef struct floe_keystore floe_keystore;
typedef struct floe_keystore_cred {
  int kind; /* 0 none, 1 raw 32-byte key, 2 passphrase (Argon2id) */
  unsigned char key[32];
  char passphrase[1024];
  const char *origin; /* "FLOE_KEYSTORE_KEY", "FLOE_KEYSTORE_KEY_FILE", ... for messages */
} floe_keystore_cred;
/* Argon2id cost of every keystore floe writes for a passphrase: libsodium's MODERATE limits (about a
 * second and 256 MiB per derivation), so a copied file resists offline guessing. Keystores made with a
 * lower cost (floe before this, stored in their header) still open; `floe secrets rekey` upgrades them. */
#define FLOE_KEYSTORE_ARGON2_OPS 3u
#define FLOE_KEYSTORE_ARGON2_MEM (256u << 20)
typedef struct floe_keystore_kdf {
  int kind;          /* 1 raw key, 2 Argon2id passphrase (0: no file) */
  uint64_t ops, mem; /* Argon2id opslimit and memlimit (bytes); 0 for a raw key */
} floe_keystore_kdf;
/* The key derivation of a loaded keystore, from its header. */
void floe_keystore_kdf_of(const floe_keystore *ks, floe_keystore_kdf *out);
/* The key derivation of the keystore the resolver opened (kind 0 when it opened none). */
void floe_secrets_keystore_kdf(const floe_secrets *s, floe_keystore_kdf *out);
/* Whether kdf is a passphrase derivation cheaper than FLOE_KEYSTORE_ARGON2_OPS / _MEM. */
bool floe_keystore_kdf_weak(const floe_keystore_kdf *kdf);
/* Re-encrypts the keystore at path (which must exist) under new_cred — the same credential to upgrade an
 * old keystore's cost, or another key or passphrase — with a fresh salt, nonce and the current Argon2id
 * cost, under the writers' lock. before/after (optional) receive the old and new derivation. */
int floe_keystore_rekey(const char *path, const floe_keystore_cred *old_cred, const floe_keystore_cred *new_cred,
                        floe_keystore_kdf *before, floe_keystore_kdf *after, floe_err *err) FLOE_WUR;
/* Fills cred from the variables named (key, key file, passphrase, in that order), like
 * floe_keystore_cred_from_env does from FLOE_KEYSTORE_KEY, _KEY_FILE and _PASSPHRASE. */
int floe_keystore_cred_from_vars(floe_keystore_cred *cred, const char *key_var, const char *file_var,
                                 const char *pass_var, floe_err *err) FLOE_WUR;
/* Fills cred from $FLOE_KEYSTORE_KEY (64 hex chars or base64 of 32 bytes), $FLOE_KEYSTORE_KEY_FILE
 * (a file holding such a key, or 32 raw bytes) or $FLOE_KEYSTORE_PASSPHRASE, in that order.
 * FLOE_ENOTFOUND when none is set; FLOE_EINPUT when a key is malformed (the key is never echoed). */
int floe_keystore_cred_from_env(floe_keystore_cred *cred, floe_err *err) FLOE_WUR;
/* Parses a key given as hex or base64 text (surrounding whitespace ignored). */
int floe_keystore_parse_key(const char *text, size_t len, unsigned char key[32]) FLOE_WUR;
/* Writes a new random key as 64 hex chars + NUL into out (65 bytes). */
void floe_keystore_keygen(char out[65]);
/* Loads the keystore at path; a missing file is an empty keystore. A wrong key or a modified file is
 * FLOE_ESECRET with a message saying which. Caller frees with floe_keystore_free. */
int floe_keystore_load(const char *path, const floe_keystore_cred *cred, floe_keystore **out, floe_err *err) FLOE_WUR;
void floe_keystore_free(floe_keystore *ks);
bool floe_keystore_exists(const floe_keystore *ks); /* false when the file was missing */
/* Looks up "group.key" (case-insensitive); returns false when absent. */
bool floe_keystore_get(const floe_keystore *ks, const char *name, const void **value, size_t *len);
size_t floe_keystore_count(const floe_keystore *ks);
const char *floe_keystore_name(const floe_keystore *ks, size_t i); /* sorted by name */
/* Sets (value != NULL) or removes (value == NULL) one entry: takes an exclusive lock (<path>.lock),
 * re-reads the file, changes it and replaces it atomically, so concurrent writers lose nothing.
 * Removing an absent name is FLOE_ENOTFOUND. */
int floe_keystore_update(const char *path, const floe_keystore_cred *cred, const char *name, const void *value,
                         size_t len, floe_err *err) FLOE_WUR;
/* The keystore path for a project: $FLOE_KEYSTORE, else <home>/keystore (p may be NULL).
 * Result in a thread-local buffer or the environment; NULL when it cannot be determined. */
const char *floe_keystore_path(const floe_project *p);

#endif
