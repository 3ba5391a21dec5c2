/* cmd_secrets.c — `floe secrets set|get|list|rm|keygen|doctor` and `floe resource check`.
 * Values are read from stdin or a no-echo prompt, never from argv (argv is visible to every user in
 * `ps`). Only `secrets get` prints a value, on purpose; everything else prints names and sources,
 * and passes through redaction as a second line of defence. */
#include "cli.h"
#include "floe/resources.h"
#include "floe/secrets.h"
#include <errno.h>
#include <jansson.h>
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

/* One secret reference of the project, as `secrets doctor` reports it. */
typedef struct uref {
  const char *group, *key;
  floe_buf where;       /* where it is used: the first three places */
  size_t uses;
  char ref[520], var[520];
  bool ok, is_short;
  const char *src;      /* where it resolved from (arena), or NULL */
  const char *error;    /* why it does not resolve (arena), or NULL */
} uref;

/* What `secrets doctor` found: the settings, every reference, the warnings. */
typedef struct doctor {
  const floe_project *p;
  const char *keystore, *key_origin; /* key_origin: where the keystore key comes from, "none set", "invalid" */
  uref *u;
  size_t nu, missing;
  const char *kdf_warning;           /* or NULL */
} doctor;

/* Unique references in first-use order, each resolved. */
static int doctor_collect(doctor *d, floe_secrets *s, const floe_vec *refs, floe_arena *a, floe_err *err) {
  d->u = floe_calloc(refs->len ? refs->len : 1, sizeof *d->u);
  if (!d->u) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; i < refs->len; i++) {
    const floe_secret_ref *r = refs->items[i];
    size_t j = 0;
    while (j < d->nu && (strcasecmp(d->u[j].group, r->group) || strcasecmp(d->u[j].key, r->key))) j++;
    uref *u = &d->u[j];
    if (j == d->nu) {
      u->group = r->group;
      u->key = r->key;
      floe_buf_init(&u->where, 0);
      d->nu++;
    }
    if (u->uses++ < 3) floe_buf_printf(&u->where, "%s%s", u->uses > 1 ? ", " : "", r->where);
    else if (u->uses == 4) floe_buf_puts(&u->where, ", ...");
  }
  for (size_t i = 0; i < d->nu; i++) {
    uref *u = &d->u[i];
    floe_err e2 = {0}, re = {0};
    snprintf(u->ref, sizeof u->ref, "%s.%s", u->group, u->key);
    if (floe_secrets_env_name(d->p->secrets_prefix, u->group, u->key, u->var, sizeof u->var, &e2))
      snprintf(u->var, sizeof u->var, "?");
    const void *v;
    size_t len;
    u->ok = floe_secrets_resolve_bytes(s, u->group, u->key, &v, &len, &u->src, &re) == 0;
    u->src = u->ok && u->src ? floe_arena_strdup(a, u->src) : NULL;
    u->error = u->ok ? NULL : floe_arena_strdup(a, re.msg);
    u->is_short = u->ok && len < FLOE_SECRET_MIN_LEN;
    d->missing += !u->ok;
  }
  floe_keystore_kdf kdf;
  floe_secrets_keystore_kdf(s, &kdf);
  if (floe_keystore_kdf_weak(&kdf)) {
    char kb[96];
    d->kdf_warning = floe_arena_printf(a, "keystore %s is protected by a cheaper derivation (%s) than floe uses now "
                                       "(ops %u, %u MiB); run `floe secrets rekey`", d->keystore ? d->keystore : "",
                                       kdf_text(&kdf, kb, sizeof kb), FLOE_KEYSTORE_ARGON2_OPS,
                                       FLOE_KEYSTORE_ARGON2_MEM >> 20);
  }
  return 0;
}

static void doctor_text(const doctor *d, floe_buf *o) {
  const floe_project *p = d->p;
  floe_buf_printf(o, "prefix: %s\n.env: %s%s\nkeystore: %s%s (key: %s)\n", p->secrets_prefix ? p->secrets_prefix : "dagster",
                  p->env_file ? p->env_file : "(none)", p->env_file && !floe_path_exists(p->env_file) ? " (absent)" : "",
                  d->keystore ? d->keystore : "(none)", d->keystore && !floe_path_exists(d->keystore) ? " (absent)" : "",
                  d->key_origin);
  floe_buf_printf(o, "sources, in order: ");
  const floe_node *sn = p->secret_sources;
  if (sn && sn->type == FLOE_NODE_SEQ)
    for (size_t i = 0; i < sn->len; i++) floe_buf_printf(o, "%s%s", i ? ", " : "", floe_node_scalar(sn->items[i]));
  else
    floe_buf_puts(o, "env, keystore");
  floe_buf_printf(o, " (%s)\n\n", p->secrets_override_env ? ".env wins over the environment" : "the environment wins over .env");
  if (!d->nu) floe_buf_puts(o, "no secret references in this project\n");
  else floe_buf_printf(o, "%-28s %-36s %-9s %s\n", "SECRET", "VARIABLE", "STATUS", "RESOLVED FROM / USED AT");
  for (size_t i = 0; i < d->nu; i++)
    floe_buf_printf(o, "%-28s %-36s %-9s %s\n%-28s %-36s %-9s used at %s\n", d->u[i].ref, d->u[i].var,
                    d->u[i].ok ? "ok" : "MISSING", d->u[i].ok ? d->u[i].src : "-", "", "", "", floe_buf_str(&d->u[i].where));
  if (d->missing) {
    floe_buf_printf(o, "\n%zu of %zu secret%s cannot be resolved:\n", d->missing, d->nu, d->nu == 1 ? "" : "s");
    for (size_t i = 0; i < d->nu; i++)
      if (!d->u[i].ok) floe_buf_printf(o, "  %s: %s\n", d->u[i].ref, d->u[i].error ? d->u[i].error : "");
  } else if (d->nu) {
    floe_buf_printf(o, "\nall %zu secret%s resolve (values not shown)\n", d->nu, d->nu == 1 ? "" : "s");
  }
  int head = 0;
  for (size_t i = 0; i < d->nu; i++)
    if (d->u[i].is_short)
      floe_buf_printf(o, "%swarning: %s: the value is shorter than %d bytes, so floe does not redact it "
                      "(masking it everywhere would reveal it); use a longer value\n", head++ ? "" : "\n", d->u[i].ref,
                      FLOE_SECRET_MIN_LEN);
  if (d->kdf_warning) floe_buf_printf(o, "%swarning: %s\n", head ? "" : "\n", d->kdf_warning);
}

/* The same report as one JSON object (names and sources only, never values). */
static void doctor_json(const doctor *d, floe_buf *o) {
  const floe_project *p = d->p;
  json_t *r = json_object(), *srcs = json_array(), *arr = json_array(), *warn = json_array();
  json_object_set_new(r, "prefix", json_string(p->secrets_prefix ? p->secrets_prefix : "dagster"));
  json_object_set_new(r, "env_file", p->env_file ? json_string(p->env_file) : json_null());
  json_object_set_new(r, "env_file_exists", json_boolean(p->env_file && floe_path_exists(p->env_file)));
  json_object_set_new(r, "keystore", d->keystore ? json_string(d->keystore) : json_null());
  json_object_set_new(r, "keystore_exists", json_boolean(d->keystore && floe_path_exists(d->keystore)));
  json_object_set_new(r, "keystore_key", json_string(d->key_origin));
  const floe_node *sn = p->secret_sources;
  if (sn && sn->type == FLOE_NODE_SEQ)
    for (size_t i = 0; i < sn->len; i++) json_array_append_new(srcs, json_string(floe_node_scalar(sn->items[i]) ? floe_node_scalar(sn->items[i]) : ""));
  else
    json_array_append_new(srcs, json_string("env")), json_array_append_new(srcs, json_string("keystore"));
  json_object_set_new(r, "sources", srcs);
  json_object_set_new(r, "override_env", json_boolean(p->secrets_override_env));
  for (size_t i = 0; i < d->nu; i++) {
    const uref *u = &d->u[i];
    json_t *e = json_object();
    json_object_set_new(e, "secret", json_string(u->ref));
    json_object_set_new(e, "variable", json_string(u->var));
    json_object_set_new(e, "status", json_string(u->ok ? "ok" : "missing"));
    json_object_set_new(e, "resolved_from", u->src ? json_string(u->src) : json_null());
    json_object_set_new(e, "used_at", json_string(floe_buf_str(&u->where)));
    json_object_set_new(e, "uses", json_integer((json_int_t)u->uses));
    json_object_set_new(e, "error", u->error ? json_string(u->error) : json_null());
    json_object_set_new(e, "short", json_boolean(u->is_short));
    json_array_append_new(arr, e);
  }
  json_object_set_new(r, "secrets", arr);
  json_object_set_new(r, "missing", json_integer((json_int_t)d->missing));
  if (d->kdf_warning) json_array_append_new(warn, json_string(d->kdf_warning));
  json_object_set_new(r, "warnings", warn);
  char *txt = json_dumps(r, JSON_INDENT(2));
  if (txt) floe_buf_printf(o, "%s\n", txt);
  free(txt);
  json_decref(r);
}

int cmd_secrets_doctor(floe_cli *c) {
  bool as_json = cli_flag(c, "--json");
  if (cli_positionals(c, 0, 0) < 0) return 2;
  floe_project *p;
  int rc = cli_load_project(c, &p);
  if (rc) return rc;
  floe_err err = {0};
  floe_secrets *s = NULL;
  floe_arena a;
  floe_arena_init(&a, 0);
  floe_vec refs = {0};
  doctor d = {.p = p, .keystore = floe_keystore_path(p)};
  floe_keystore_cred cred;
  floe_err e2 = {0};
  int crc = floe_keystore_cred_from_env(&cred, &e2);
  d.key_origin = crc == 0 ? floe_arena_strdup(&a, cred.origin) : crc == FLOE_ENOTFOUND ? "none set" : "invalid";
  sodium_memzero(&cred, sizeof cred);
  if (!(rc = floe_secrets_open(p, &s, &err)) && !(rc = floe_secrets_project_refs(p, &a, &refs, &err)) &&
      !(rc = doctor_collect(&d, s, &refs, &a, &err))) {
    floe_buf o;
    floe_buf_init(&o, 0);
    if (as_json) doctor_json(&d, &o);
    else doctor_text(&d, &o);
    out_redacted(stdout, floe_buf_str(&o));
    floe_buf_free(&o);
  }
  for (size_t i = 0; i < d.nu; i++) floe_buf_free(&d.u[i].where);
  floe_free(d.u);
  floe_vec_free(&refs);
  floe_arena_free(&a);
  if (rc) rc = cli_fail(&err);
  floe_secrets_close(s);
  return rc ? rc : d.missing ? 1 : 0;
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
