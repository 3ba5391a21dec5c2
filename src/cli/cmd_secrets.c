/* cmd_secrets.c — `floe secrets set|get|list|rm|keygen|doctor` and `floe resource check`.
 * Values are read from stdin or a no-echo prompt, never from argv (argv is visible to every user in
 * `ps`). Only `secrets get` prints a value, on purpose; everything else prints names and sources,
 * and passes through redaction as a second line of defence. */
#include "cli.h"
#include "floe/resources.h"
#include "floe/secrets.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define MAX_VALUE (1 << 20)

/* Prints through the process's resolver redaction (when one is open). */
static void out_redacted(FILE *f, const char *text) {
  floe_secrets *s = floe_secrets_current();
  floe_buf b;
  floe_buf_init(&b, 0);
  if (s && floe_secrets_redact(s, text, strlen(text), &b) == 0)
    fputs(floe_buf_str(&b), f);
  else if (!s)
    fputs(text, f);
  floe_buf_free(&b);
}

/* Reads a line from /dev/tty without echo. Returns bytes read or -1 when there is no terminal. */
static long tty_read_hidden(const char *prompt, char *buf, size_t n) {
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  struct termios old, quiet;
  bool restore = tcgetattr(fd, &old) == 0;
  if (restore) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  if (write(fd, prompt, strlen(prompt)) < 0) {
  }
  size_t len = 0;
  char ch;
  while (len + 1 < n) {
    ssize_t r = read(fd, &ch, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || ch == '\n') break;
    buf[len++] = ch;
  }
  buf[len] = 0;
  if (restore) tcsetattr(fd, TCSAFLUSH, &old);
  if (write(fd, "\n", 1) < 0) {
  }
  close(fd);
  return (long)len;
}

/* Key from the environment, else a passphrase typed at the terminal (twice when creating). */
static int get_cred(const char *path, bool creating, floe_keystore_cred *cred, floe_err *err) {
  int rc = floe_keystore_cred_from_env(cred, err);
  if (rc != FLOE_ENOTFOUND) return rc;
  if (!isatty(0) && !isatty(2)) return rc;
  char p1[1024], p2[1024];
  char prompt[4200];
  snprintf(prompt, sizeof prompt, "passphrase for keystore %s: ", path);
  long n = tty_read_hidden(prompt, p1, sizeof p1);
  if (n < 0) return rc;
  if (n == 0) return floe_err_set(err, FLOE_EINPUT, "empty passphrase");
  if (creating && !floe_path_exists(path)) {
    if (tty_read_hidden("repeat the passphrase: ", p2, sizeof p2) < 0 || strcmp(p1, p2)) {
      sodium_memzero(p1, sizeof p1);
      sodium_memzero(p2, sizeof p2);
      return floe_err_set(err, FLOE_EINPUT, "the passphrases do not match");
    }
    sodium_memzero(p2, sizeof p2);
  }
  memset(cred, 0, sizeof *cred);
  cred->kind = 2;
  memcpy(cred->passphrase, p1, (size_t)n + 1);
  cred->origin = "the passphrase typed";
  sodium_memzero(p1, sizeof p1);
  return 0;
}

/* The keystore path: $FLOE_KEYSTORE, else the project's home (loads the project). */
static int keystore_path(floe_cli *c, const char **path) {
  const char *env = getenv("FLOE_KEYSTORE");
  if (env && *env) {
    *path = env;
    return 0;
  }
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  *path = floe_keystore_path(p);
  return 0;
}

static int parse_name(floe_cli *c, const char *ref, char *name, size_t n) {
  char g[256], k[256];
  floe_err err = {0};
  if (floe_secrets_split_ref(ref, g, k, sizeof g, &err)) return cli_usage_error(c, "%s", err.msg);
  snprintf(name, n, "%s.%s", g, k);
  for (char *p = name; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  return 0;
}

int cmd_secrets_set(floe_cli *c) {
  bool raw = cli_flag(c, "--raw");
  if (cli_positionals(c, 1, 1) < 0) return 2;
  char name[520];
  if (parse_name(c, c->argv[0], name, sizeof name)) return 2;
  const char *path;
  int rc = keystore_path(c, &path);
  if (rc) return rc;
  floe_err err = {0};
  floe_keystore_cred cred;
  floe_buf val;
  floe_buf_init(&val, MAX_VALUE);
  if ((rc = get_cred(path, true, &cred, &err))) goto fail;
  if (isatty(0)) {
    char line[8192], prompt[600];
    snprintf(prompt, sizeof prompt, "value for %s: ", name);
    long n = tty_read_hidden(prompt, line, sizeof line);
    if (n > 0 && floe_buf_append(&val, line, (size_t)n)) n = -1;
    sodium_memzero(line, sizeof line);
  } else {
    char tmp[4096];
    ssize_t n;
    while ((n = read(0, tmp, sizeof tmp)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        rc = floe_err_set(&err, FLOE_EIO, "reading the value from stdin: %s", strerror(errno));
        goto fail;
      }
      if (floe_buf_append(&val, tmp, (size_t)n)) {
        rc = floe_err_set(&err, FLOE_EINPUT, "the value on stdin is larger than %d bytes", MAX_VALUE);
        goto fail;
      }
    }
    sodium_memzero(tmp, sizeof tmp);
    if (!raw && val.len && val.p[val.len - 1] == '\n') val.len--; /* `echo x |` adds one */
    if (!raw && val.len && val.p[val.len - 1] == '\r') val.len--;
  }
  if (val.len == 0) {
    rc = floe_err_set(&err, FLOE_EINPUT,
                      "empty value for %s (pipe it on stdin: printf %%s \"$VALUE\" | floe secrets set %s)", name, name);
    goto fail;
  }
  if ((rc = floe_keystore_update(path, &cred, name, val.p, val.len, &err))) goto fail;
  fprintf(stderr, "floe: %s set in keystore %s\n", name, path);
fail:
  if (val.p) sodium_memzero(val.p, val.cap);
  floe_buf_free(&val);
  sodium_memzero(&cred, sizeof cred);
  return rc ? cli_fail(&err) : 0;
}

static const char *kdf_text(const floe_keystore_kdf *k, char *buf, size_t n) {
  if (k->kind == 2) snprintf(buf, n, "passphrase, Argon2id ops %llu, %llu MiB", (unsigned long long)k->ops,
                             (unsigned long long)(k->mem >> 20));
  else snprintf(buf, n, "key");
  return buf;
}

/* Loads the keystore for get/list/rm. When the project cannot be loaded, *exit_rc is the exit code
 * (the error is printed) and 0 is returned with *ks NULL. */
static int load_ks(floe_cli *c, const char **path, floe_keystore **ks, floe_err *err, int *exit_rc) {
  *exit_rc = keystore_path(c, path);
  if (*exit_rc) return 0;
  floe_keystore_cred cred;
  int rc = get_cred(*path, false, &cred, err);
  if (rc == FLOE_ENOTFOUND && !floe_path_exists(*path)) rc = 0; /* nothing to decrypt */
  if (!rc) rc = floe_keystore_load(*path, cred.kind ? &cred : NULL, ks, err);
  sodium_memzero(&cred, sizeof cred);
  return rc;
}

int cmd_secrets_get(floe_cli *c) {
  if (cli_positionals(c, 1, 1) < 0) return 2;
  char name[520];
  if (parse_name(c, c->argv[0], name, sizeof name)) return 2;
  const char *path;
  floe_keystore *ks = NULL;
  floe_err err = {0};
  int xrc;
  int rc = load_ks(c, &path, &ks, &err, &xrc);
  if (xrc) return xrc;
  const void *v;
  size_t len;
  if (!rc && !floe_keystore_get(ks, name, &v, &len))
    rc = floe_err_set(&err, FLOE_ENOTFOUND, "keystore %s has no secret %s (see floe secrets list)", path, name);
  if (!rc) {
    fwrite(v, 1, len, stdout);
    if (isatty(1)) fputc('\n', stdout);
  }
  floe_keystore_free(ks);
  return rc ? cli_fail(&err) : 0;
}

int cmd_secrets_list(floe_cli *c) {
  if (cli_positionals(c, 0, 0) < 0) return 2;
  const char *path;
  floe_keystore *ks = NULL;
  floe_err err = {0};
  int xrc;
  int rc = load_ks(c, &path, &ks, &err, &xrc);
  if (xrc) return xrc;
  if (!rc) {
    for (size_t i = 0; i < floe_keystore_count(ks); i++)
      printf("%s\n", floe_keystore_name(ks, i));
    if (!floe_keystore_exists(ks))
      fprintf(stderr, "floe: keystore %s does not exist yet (floe secrets set creates it)\n", path);
    floe_keystore_kdf k;
    floe_keystore_kdf_of(ks, &k);
    char b[96];
    if (floe_keystore_kdf_weak(&k))
      fprintf(stderr, "floe: warning: keystore %s is protected by a cheaper derivation (%s) than floe uses now "
              "(ops %u, %u MiB); run `floe secrets rekey`\n", path, kdf_text(&k, b, sizeof b),
              FLOE_KEYSTORE_ARGON2_OPS, FLOE_KEYSTORE_ARGON2_MEM >> 20);
  }
  floe_keystore_free(ks);
  return rc ? cli_fail(&err) : 0;
}

int cmd_secrets_rm(floe_cli *c) {
  if (cli_positionals(c, 1, 1) < 0) return 2;
  char name[520];
  if (parse_name(c, c->argv[0], name, sizeof name)) return 2;
  const char *path;
  int rc = keystore_path(c, &path);
  if (rc) return rc;
  floe_err err = {0};
  floe_keystore_cred cred;
  rc = get_cred(path, false, &cred, &err);
  if (!rc && !floe_path_exists(path)) rc = floe_err_set(&err, FLOE_ENOTFOUND, "keystore %s does not exist", path);
  if (!rc) rc = floe_keystore_update(path, &cred, name, NULL, 0, &err);
  if (!rc) fprintf(stderr, "floe: %s removed from keystore %s\n", name, path);
  sodium_memzero(&cred, sizeof cred);
  return rc ? cli_fail(&err) : 0;
}

/* Re-encrypts the keystore: with the same credential to upgrade an old Argon2id cost, or under the key or
 * passphrase in FLOE_KEYSTORE_NEW_KEY / _NEW_KEY_FILE / _NEW_PASSPHRASE. */
int cmd_secrets_rekey(floe_cli *c) {
  if (cli_positionals(c, 0, 0) < 0) return 2;
  const char *path;
  int rc = keystore_path(c, &path);
  if (rc) return rc;
  floe_err err = {0};
  floe_keystore_cred cred, next;
  memset(&next, 0, sizeof next);
  floe_keystore_kdf before, after;
  rc = get_cred(path, false, &cred, &err);
  if (!rc) {
    rc = floe_keystore_cred_from_vars(&next, "FLOE_KEYSTORE_NEW_KEY", "FLOE_KEYSTORE_NEW_KEY_FILE",
                                      "FLOE_KEYSTORE_NEW_PASSPHRASE", &err);
    if (rc == FLOE_ENOTFOUND) { /* no new credential: the same one, at today's cost */
      next = cred;
      rc = 0;
    }
  }
  if (!rc) rc = floe_keystore_rekey(path, &cred, &next, &before, &after, &err);
  if (!rc) {
    char b1[96], b2[96];
    fprintf(stderr, "floe: keystore %s re-encrypted (%s -> %s)\n", path, kdf_text(&before, b1, sizeof b1),
            kdf_text(&after, b2, sizeof b2));
  }
  sodium_memzero(&cred, sizeof cred);
  sodium_memzero(&next, sizeof next);
  return rc ? cli_fail(&err) : 0;
}

int cmd_secrets_keygen(floe_cli *c) {
  const char *file = cli_opt(c, "--file");
  if (cli_positionals(c, 0, 0) < 0) return 2;
  char key[65];
  floe_keystore_keygen(key);
  int rc = 0;
  floe_err err = {0};
  if (file) {
    if (floe_path_exists(file)) {
      rc = floe_err_set(&err, FLOE_EINPUT, "%s exists; refusing to overwrite a key", file);
    } else {
      key[64] = '\n';
      rc = floe_file_write_atomic(file, key, 65, 0600, &err);
      if (!rc)
        fprintf(stderr, "floe: wrote a new keystore key to %s (mode 0600); export FLOE_KEYSTORE_KEY_FILE=%s\n", file,
                file);
    }
  } else {
    printf("%s\n", key);
  }
  sodium_memzero(key, sizeof key);
  return rc ? cli_fail(&err) : 0;
}

typedef struct uref {
  const char *group, *key;
  floe_buf where;
  size_t uses;
} uref;

int cmd_secrets_doctor(floe_cli *c) {
  if (cli_positionals(c, 0, 0) < 0) return 2;
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  floe_err err = {0};
  floe_secrets *s = NULL;
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_vec refs = {0};
  uref *u = NULL;
  size_t nu = 0, missing = 0;
  if ((rc = floe_secrets_open(p, &s, &err)) || (rc = floe_secrets_project_refs(p, &a, &refs, &err))) goto out;
  u = floe_calloc(refs.len ? refs.len : 1, sizeof *u);
  if (!u) {
    rc = floe_err_set(&err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < refs.len; i++) { /* unique references, first-use order */
    const floe_secret_ref *r = refs.items[i];
    size_t j = 0;
    while (j < nu && (strcasecmp(u[j].group, r->group) || strcasecmp(u[j].key, r->key)))
      j++;
    if (j == nu) {
      u[nu].group = r->group;
      u[nu].key = r->key;
      floe_buf_init(&u[nu].where, 0);
      nu++;
    }
    if (u[j].uses++ < 3)
      floe_buf_printf(&u[j].where, "%s%s", u[j].uses > 1 ? ", " : "", r->where);
    else if (u[j].uses == 4)
      floe_buf_puts(&u[j].where, ", ...");
  }
  floe_buf o;
  floe_buf_init(&o, 0);
  const char *ks = floe_keystore_path(p);
  floe_keystore_cred cred;
  floe_err e2 = {0};
  int crc = floe_keystore_cred_from_env(&cred, &e2);
  const char *origin = crc == 0 ? cred.origin : NULL;
  sodium_memzero(&cred, sizeof cred);
  floe_buf_printf(&o, "prefix: %s\n.env: %s%s\nkeystore: %s%s (key: %s)\n",
                  p->secrets_prefix ? p->secrets_prefix : "dagster", p->env_file ? p->env_file : "(none)",
                  p->env_file && !floe_path_exists(p->env_file) ? " (absent)" : "", ks ? ks : "(none)",
                  ks && !floe_path_exists(ks) ? " (absent)" : "",
                  crc == 0                ? origin
                  : crc == FLOE_ENOTFOUND ? "none set"
                                          : "invalid");
  floe_buf_printf(&o, "sources, in order: ");
  const floe_node *sn = p->secret_sources;
  if (sn && sn->type == FLOE_NODE_SEQ) {
    for (size_t i = 0; i < sn->len; i++)
      floe_buf_printf(&o, "%s%s", i ? ", " : "", floe_node_scalar(sn->items[i]));
  } else {
    floe_buf_puts(&o, "env, keystore");
  }
  floe_buf_printf(&o, " (%s)\n\n",
                  p->secrets_override_env ? ".env wins over the environment" : "the environment wins over .env");
  if (!nu)
    floe_buf_puts(&o, "no secret references in this project\n");
  else
    floe_buf_printf(&o, "%-28s %-36s %-9s %s\n", "SECRET", "VARIABLE", "STATUS", "RESOLVED FROM / USED AT");
  floe_buf details, shorts;
  floe_buf_init(&details, 0);
  floe_buf_init(&shorts, 0);
  for (size_t i = 0; i < nu; i++) {
    char ref[520], var[520];
    snprintf(ref, sizeof ref, "%s.%s", u[i].group, u[i].key);
    if (floe_secrets_env_name(p->secrets_prefix, u[i].group, u[i].key, var, sizeof var, &e2))
      snprintf(var, sizeof var, "?");
    const void *v;
    size_t len;
    const char *src = NULL;
    floe_err re = {0};
    bool ok = floe_secrets_resolve_bytes(s, u[i].group, u[i].key, &v, &len, &src, &re) == 0;
    if (!ok) {
      missing++;
      floe_buf_printf(&details, "  %s: %s\n", ref, re.msg);
    } else if (len < FLOE_SECRET_MIN_LEN) {
      floe_buf_printf(&shorts, "warning: %s: the value is shorter than %d bytes, so floe does not redact it "
                      "(masking it everywhere would reveal it); use a longer value\n", ref, FLOE_SECRET_MIN_LEN);
    }
    floe_buf_printf(&o, "%-28s %-36s %-9s %s\n%-28s %-36s %-9s used at %s\n", ref, var, ok ? "ok" : "MISSING",
                    ok ? src : "-", "", "", "", floe_buf_str(&u[i].where));
  }
  if (missing)
    floe_buf_printf(&o, "\n%zu of %zu secret%s cannot be resolved:\n%s", missing, nu, nu == 1 ? "" : "s",
                    floe_buf_str(&details));
  else if (nu)
    floe_buf_printf(&o, "\nall %zu secret%s resolve (values not shown)\n", nu, nu == 1 ? "" : "s");
  floe_keystore_kdf kdf;
  floe_secrets_keystore_kdf(s, &kdf);
  if (floe_keystore_kdf_weak(&kdf)) {
    char kb[96];
    floe_buf_printf(&shorts, "warning: keystore %s is protected by a cheaper derivation (%s) than floe uses now "
                    "(ops %u, %u MiB); run `floe secrets rekey`\n", ks ? ks : "", kdf_text(&kdf, kb, sizeof kb),
                    FLOE_KEYSTORE_ARGON2_OPS, FLOE_KEYSTORE_ARGON2_MEM >> 20);
  }
  if (shorts.len) floe_buf_printf(&o, "\n%s", floe_buf_str(&shorts));
  out_redacted(stdout, floe_buf_str(&o));
  floe_buf_free(&o);
  floe_buf_free(&details);
  floe_buf_free(&shorts);
out:
  for (size_t i = 0; i < nu; i++)
    floe_buf_free(&u[i].where);
  floe_free(u);
  floe_vec_free(&refs);
  floe_arena_free(&a);
  if (rc) rc = cli_fail(&err);
  floe_secrets_close(s);
  return rc ? rc : missing ? 1 : 0;
}

int cmd_resource_check(floe_cli *c) {
  if (cli_positionals(c, 1, 1) < 0) return 2;
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  floe_err err = {0};
  floe_secrets *s = NULL;
  floe_buf rep;
  floe_buf_init(&rep, 0);
  if (!(rc = floe_secrets_open(p, &s, &err)) && !(rc = floe_resource_check(s, p, c->argv[0], &rep, &err))) {
    floe_buf_putc(&rep, '\n');
    out_redacted(stdout, floe_buf_str(&rep));
  }
  floe_buf_free(&rep);
  if (rc) rc = cli_fail(&err); /* redacted while s is open */
  floe_secrets_close(s);
  return rc;
}
