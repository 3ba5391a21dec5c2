/* project.c — finding, loading, scaffolding and freeing a project directory.
 * Loading reads floe.yaml first (project settings, resources, jobs), then assets/ *.yaml in name order,
 * then links the graph and checks cross references (defs_finish). */
#include "defs_int.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Key paths and names are shortened rather than failing when they do not fit a buffer. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static int project_new(const char *dir, floe_project **out, floe_err *err) {
  *out = NULL;
  floe_project *p = floe_calloc(1, sizeof *p);
  if (!p) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  floe_arena_init(&p->arena, 256 * 1024);
  char real[PATH_MAX], cwd[PATH_MAX];
  const char *d = dir && *dir ? dir : ".";
  if (realpath(d, real))
    p->dir = floe_arena_strdup(&p->arena, real);
  else if (d[0] == '/')
    p->dir = floe_arena_strdup(&p->arena, d);
  else if (getcwd(cwd, sizeof cwd))
    p->dir = floe_path_join(&p->arena, cwd, d);
  else
    p->dir = floe_arena_strdup(&p->arena, d);
  if (!p->dir) {
    floe_project_free(p);
    return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  size_t n = strlen(p->dir);
  while (n > 1 && p->dir[n - 1] == '/')
    ((char *)p->dir)[--n] = 0;
  *out = p;
  return 0;
}

void floe_project_free(floe_project *p) {
  if (!p) return;
  floe_map_free(&p->by_key);
  floe_vec_free(&p->warnings);
  floe_arena_free(&p->arena);
  floe_free(p);
}

static int parse_text(floe_project *p, const char *file, const char *text, size_t len, const floe_node **root,
                      floe_err *err) {
  floe_node *n;
  const char *name = floe_arena_strdup(&p->arena, file);
  if (!name) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  int rc = floe_yaml_parse(&p->arena, name, text, len, &n, err);
  *root = n;
  return rc;
}

int floe_project_load_strings(const char *dir, const char *floe_yaml, const char *const *asset_files,
                              floe_project **out, floe_err *err) {
  floe_project *p;
  floe_vec assets = {0};
  const floe_node *root = NULL;
  int rc = project_new(dir, &p, err);
  if (rc) return rc;
  if ((rc = parse_text(p, "floe.yaml", floe_yaml ? floe_yaml : "", floe_yaml ? strlen(floe_yaml) : 0, &root, err)) ||
      (rc = defs_schema_project(p, root, err)))
    goto out;
  for (size_t i = 0; asset_files && asset_files[i] && asset_files[i + 1]; i += 2) {
    if ((rc = parse_text(p, asset_files[i], asset_files[i + 1], strlen(asset_files[i + 1]), &root, err)) ||
        (rc = defs_schema_assets_file(p, asset_files[i], root, &assets, err)))
      goto out;
  }
  rc = defs_finish(p, &assets, err);
out:
  floe_vec_free(&assets);
  if (rc) {
    floe_project_free(p);
    p = NULL;
  }
  *out = p;
  return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Names of assets/ *.yaml|yml in byte order (arena strings); an absent assets/ is no files. */
static int list_asset_files(floe_project *p, const char *adir, floe_vec *names, floe_err *err) {
  DIR *d = opendir(adir);
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return 0;
    return floe_err_set(err, FLOE_EIO, "%s: %s", adir, strerror(errno));
  }
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d)) && !rc) {
    if (e->d_name[0] == '.' || !(floe_str_ends(e->d_name, ".yaml") || floe_str_ends(e->d_name, ".yml"))) continue;
    char *s = floe_arena_strdup(&p->arena, e->d_name);
    if (!s || floe_vec_push(names, s)) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  closedir(d);
  if (!rc && names->len) qsort(names->items, names->len, sizeof *names->items, cmp_str);
  return rc;
}

int floe_project_load(const char *dir, floe_project **out, floe_err *err) {
  floe_project *p;
  floe_vec assets = {0}, names = {0};
  const floe_node *root = NULL;
  char *text = NULL;
  size_t len;
  *out = NULL;
  int rc = project_new(dir, &p, err);
  if (rc) return rc;
  const char *path = floe_path_join(&p->arena, p->dir, "floe.yaml");
  if (!path) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  if ((rc = floe_file_read(path, &text, &len, err))) {
    if (rc == FLOE_ENOTFOUND)
      rc = floe_err_set(err, FLOE_EINPUT, "no floe.yaml in %s (use -p DIR or run `floe init DIR`)", p->dir);
    goto out;
  }
  rc = parse_text(p, "floe.yaml", text, len, &root, err);
  floe_free(text);
  text = NULL;
  if (rc || (rc = defs_schema_project(p, root, err))) goto out;
  const char *adir = floe_path_join(&p->arena, p->dir, "assets");
  if (!adir) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  if ((rc = list_asset_files(p, adir, &names, err))) goto out;
  for (size_t i = 0; i < names.len; i++) {
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "assets/%s", (const char *)names.items[i]);
    const char *full = floe_path_join(&p->arena, p->dir, rel);
    if (!full) {
      rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      goto out;
    }
    if ((rc = floe_file_read(full, &text, &len, err))) goto out;
    rc = parse_text(p, rel, text, len, &root, err);
    floe_free(text);
    text = NULL;
    if (rc || (rc = defs_schema_assets_file(p, rel, root, &assets, err))) goto out;
  }
  rc = defs_finish(p, &assets, err);
out:
  floe_free(text);
  floe_vec_free(&names);
  floe_vec_free(&assets);
  if (rc)
    floe_project_free(p);
  else
    *out = p;
  return rc;
}

/* ---- finding a project */

int floe_project_find(const char *explicit_dir, const char **dir_out, floe_err *err) {
  static char found[PATH_MAX];
  char probe[PATH_MAX + 16];
  *dir_out = NULL;
  if (explicit_dir) {
    if (!realpath(explicit_dir, found) || !floe_is_dir(found))
      return floe_err_set(err, FLOE_EINPUT, "project directory %s does not exist (use -p DIR or run `floe init DIR`)",
                          explicit_dir);
    snprintf(probe, sizeof probe, "%s/floe.yaml", found);
    if (!floe_path_exists(probe))
      return floe_err_set(err, FLOE_EINPUT, "no floe.yaml in %s (use -p DIR or run `floe init DIR`)", found);
    *dir_out = found;
    return 0;
  }
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd))
    return floe_err_set(err, FLOE_EIO, "cannot read the current directory: %s", strerror(errno));
  snprintf(found, sizeof found, "%s", cwd);
  for (;;) {
    snprintf(probe, sizeof probe, "%s/floe.yaml", strcmp(found, "/") ? found : "");
    if (floe_path_exists(probe)) {
      *dir_out = found;
      return 0;
    }
    char *slash = strrchr(found, '/');
    if (!slash || !strcmp(found, "/")) break;
    if (slash == found)
      slash[1] = 0;
    else
      *slash = 0;
  }
  return floe_err_set(err, FLOE_EINPUT, "no floe.yaml in %s or any parent (use -p DIR or run `floe init DIR`)", cwd);
}

/* ---- scaffolding */

static const char scaffold_floe_yaml[] =
    "# floe project settings. Every key is described in docs/reference/project-files.md.\n"
    "name: %s\n"
    "storage: {sqlite: .floe/floe.db}     # instance storage: runs, events, schedules\n"
    "lake: {warehouse: .floe/lake, namespace: %s}\n"
    "secrets: {prefix: dagster, env_file: .env}   # DAGSTER__GROUP__KEY=... in .env or the environment\n"
    "# executor: {max_concurrent: 4}     # default: number of cores\n"
    "\n"
    "jobs:\n"
    "  - name: all_assets\n"
    "    selection: \"*\"\n"
    "    description: Materialize every asset.\n"
    "\n"
    "schedules:\n"
    "  - name: daily_all_assets\n"
    "    job: all_assets\n"
    "    cron: \"0 3 * * *\"\n"
    "    timezone: UTC\n"
    "    enabled: false                  # turn on when ready\n";

static const char scaffold_assets_yaml[] =
    "# Assets: each one is a step floe can materialize. See docs/reference/project-files.md.\n"
    "assets:\n"
    "  - key: hello\n"
    "    kind: command\n"
    "    command: [\"sh\", \"-c\", \"echo hello from floe\"]\n"
    "    group: example\n"
    "    description: A first asset, a command run from the project directory.\n"
    "\n"
    "  - key: hello_downstream\n"
    "    kind: command\n"
    "    command: [\"sh\", \"-c\", \"echo \\\"$FLOE_ASSET runs after hello\\\"\"]\n"
    "    deps: [hello]\n"
    "    group: example\n"
    "    retry: {max_retries: 1, delay: 1}\n";

int floe_project_init(const char *dir, floe_err *err) {
  floe_arena a;
  floe_arena_init(&a, 0);
  int rc = 0;
  char *text = NULL;
  const char *fy = floe_path_join(&a, dir, "floe.yaml"), *adir = floe_path_join(&a, dir, "assets");
  const char *ay = adir ? floe_path_join(&a, adir, "example.yaml") : NULL, *gi = floe_path_join(&a, dir, ".gitignore");
  if (!fy || !ay || !gi) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  if (floe_path_exists(fy) || floe_path_exists(ay)) {
    rc = floe_err_set(err, FLOE_EINPUT, "%s already exists; refusing to overwrite it", floe_path_exists(fy) ? fy : ay);
    goto out;
  }
  if ((rc = floe_mkdirs(adir, 0755, err))) goto out;
  /* project name: the directory's name, made a valid name */
  char real[PATH_MAX], name[128];
  const char *base = realpath(dir, real) ? real : dir;
  const char *slash = strrchr(base, '/');
  snprintf(name, sizeof name, "%s", slash && slash[1] ? slash + 1 : base);
  for (char *s = name; *s; s++) {
    char bad;
    char one[2] = {*s, 0};
    if (!defs_key_valid(one, &bad)) *s = '_';
  }
  if (!*name) snprintf(name, sizeof name, "floe");
  char *fyt = floe_arena_printf(&a, scaffold_floe_yaml, name, "oso");
  if (!fyt) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  if ((rc = floe_file_write_atomic(fy, fyt, strlen(fyt), 0644, err)) ||
      (rc = floe_file_write_atomic(ay, scaffold_assets_yaml, sizeof scaffold_assets_yaml - 1, 0644, err)))
    goto out;
  /* .gitignore: add what is missing, keep what is there */
  size_t len = 0;
  floe_err ignore;
  if (floe_file_read(gi, &text, &len, &ignore)) text = NULL;
  floe_buf b;
  floe_buf_init(&b, 0);
  if (text) {
    (void)floe_buf_puts(&b, text);
    if (len && text[len - 1] != '\n') (void)floe_buf_putc(&b, '\n');
  }
  static const char *const lines[] = {".floe/", ".env"};
  for (size_t i = 0; i < 2; i++) {
    bool have = false;
    for (const char *s = text; s && *s;) {
      const char *e = strchr(s, '\n');
      size_t l = e ? (size_t)(e - s) : strlen(s);
      if (l == strlen(lines[i]) && !strncmp(s, lines[i], l)) have = true;
      s = e ? e + 1 : s + l;
    }
    if (!have) (void)floe_buf_printf(&b, "%s\n", lines[i]);
  }
  if (b.oom)
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  else
    rc = floe_file_write_atomic(gi, floe_buf_str(&b), b.len, 0644, err);
  floe_buf_free(&b);
out:
  floe_free(text);
  floe_arena_free(&a);
  return rc;
}
