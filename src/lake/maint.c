/* maint.c — table maintenance: rollback, tags and branches, snapshot expiry, orphan files.
 *
 * Deleting is confined (docs/security.md, "Files on disk and the lake"): a file is removed only when its path,
 * resolved (realpath of its parent, the file itself not a symlink), lies in the data/ or metadata/ directory
 * of a table location that is itself below the warehouse; paths another engine wrote that are relative or
 * of another scheme (s3://, hdfs://) are never passed to unlink. Orphans are what no table references:
 * every table's references are gathered before any file is called an orphan, and again, under the catalog
 * lock, just before deleting, so a commit published meanwhile keeps its files. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lake_int.h"

typedef struct ref_ctx {
  int64_t snapshot_id;
  const char *name;
  bool branch, rollback;
} ref_ctx;

static int ref_mutate(floe_lake *l, lake_table *base, json_t **out, void *vctx, floe_err *err) {
  ref_ctx *c = vctx;
  int64_t id = c->snapshot_id ? c->snapshot_id : lake_current_snapshot_id(base->meta);
  if (!id) return floe_err_set(err, FLOE_EINPUT, "table %s.%s has no snapshot yet", base->ns, base->name);
  if (!lake_snapshot(base->meta, id))
    return floe_err_set(err, FLOE_ENOTFOUND, "table %s.%s has no snapshot %lld (see floe lake snapshots)", base->ns,
                        base->name, (long long)id);
  json_t *m = json_deep_copy(base->meta);
  json_t *refs = json_object_get(m, "refs");
  if (!refs) json_object_set_new(m, "refs", refs = json_object());
  if (c->rollback) {
    json_object_set_new(m, "current-snapshot-id", json_integer(id));
    json_object_set_new(refs, "main", json_pack("{sI ss}", "snapshot-id", (json_int_t)id, "type", "branch"));
    json_t *slog = json_object_get(m, "snapshot-log");
    if (!slog) json_object_set_new(m, "snapshot-log", slog = json_array());
    json_array_append_new(slog, json_pack("{sI sI}", "timestamp-ms", (json_int_t)(floe_now_us() / 1000),
                                          "snapshot-id", (json_int_t)id));
  } else {
    if (!strcmp(c->name, "main") && !c->branch) {
      json_decref(m);
      return floe_err_set(err, FLOE_EINPUT, "'main' is the table's main branch; choose another tag name");
    }
    json_object_set_new(refs, c->name, json_pack("{sI ss}", "snapshot-id", (json_int_t)id, "type",
                                                 c->branch ? "branch" : "tag"));
    if (!strcmp(c->name, "main")) json_object_set_new(m, "current-snapshot-id", json_integer(id));
  }
  json_object_set_new(m, "last-updated-ms", json_integer(floe_now_us() / 1000));
  *out = m;
  (void)l;
  return 0;
}

int floe_lake_rollback(floe_lake *l, const char *table, int64_t snapshot_id, floe_err *err) {
  ref_ctx c = {.snapshot_id = snapshot_id, .rollback = true};
  if (!snapshot_id) return floe_err_set(err, FLOE_EINPUT, "rollback needs a snapshot id");
  return lake_commit(l, table, false, ref_mutate, &c, NULL, err);
}

int floe_lake_tag(floe_lake *l, const char *table, const char *name, int64_t snapshot_id, bool branch, floe_err *err) {
  ref_ctx c = {.snapshot_id = snapshot_id, .name = name, .branch = branch};
  if (!name || !*name) return floe_err_set(err, FLOE_EINPUT, "a tag needs a name");
  return lake_commit(l, table, false, ref_mutate, &c, NULL, err);
}

/* ---- paths */

/* Files are compared by their resolved paths: the warehouse may be reached through a symlink, and a path
 * in metadata through another spelling. dirs caches directory -> resolved directory (one realpath per
 * directory, not per file). */
typedef struct refs {
  floe_lake *l;
  json_t *set;  /* resolved path -> true */
  json_t *dirs; /* directory -> resolved directory */
} refs;

/* The local absolute path of an Iceberg location, or NULL for a relative path or another scheme. */
static const char *local_abs(const char *loc) {
  if (!loc) return NULL;
  const char *p = lake_local_path(loc);
  return p[0] == '/' && !strstr(p, "://") ? p : NULL;
}

/* path with its directory resolved (floe_malloc'd); NULL when not a local absolute path. */
static char *resolved(json_t *dirs, const char *loc) {
  const char *p = local_abs(loc);
  const char *slash = p ? strrchr(p, '/') : NULL;
  if (!slash || !slash[1]) return NULL;
  char *dir = floe_strndup(p, (size_t)(slash - p));
  if (!dir) return NULL;
  const char *rd = json_string_value(json_object_get(dirs, dir));
  if (!rd) {
    char real[PATH_MAX];
    /* a directory that does not resolve holds nothing to walk: keep its spelling */
    json_object_set_new(dirs, dir, json_string(realpath(*dir ? dir : "/", real) ? real : dir));
    rd = json_string_value(json_object_get(dirs, dir));
  }
  char *out = NULL, *r = NULL;
  if (asprintf(&out, "%s/%s", strcmp(rd, "/") ? rd : "", slash + 1) >= 0) r = floe_strdup(out);
  free(out);
  floe_free(dir);
  return r;
}

static void ref_add(refs *r, const char *loc) {
  char *p = resolved(r->dirs, loc);
  if (p) json_object_set_new(r->set, p, json_true());
  floe_free(p);
}

/* Every file a snapshot uses: its manifest list, manifests and live data files. */
static int snapshot_files(refs *r, const json_t *snap, floe_err *err) {
  const char *mlp = json_string_value(json_object_get(snap, "manifest-list"));
  if (!mlp) return 0;
  ref_add(r, mlp);
  json_t *ml;
  int rc = lake_read_manifest_list(r->l, snap, &ml, err);
  if (rc) return rc;
  size_t i, j;
  json_t *mf, *e;
  json_array_foreach(ml, i, mf) {
    ref_add(r, json_string_value(json_object_get(mf, "manifest_path")));
    json_t *entries;
    if ((rc = lake_read_manifest(r->l, mf, &entries, err))) break;
    json_array_foreach(entries, j, e) {
      if (json_integer_value(json_object_get(e, "status")) == 2) continue;
      ref_add(r, json_string_value(json_object_get(json_object_get(e, "data_file"), "file_path")));
    }
    json_decref(entries);
  }
  json_decref(ml);
  return rc;
}

/* Everything a table references: every snapshot's files, the current and logged metadata files, the
 * version hint. */
static int table_refs(refs *r, const lake_table *t, floe_err *err) {
  size_t j;
  json_t *s;
  int rc = 0;
  json_array_foreach(json_object_get(t->meta, "snapshots"), j, s) {
    if ((rc = snapshot_files(r, s, err))) {
      floe_err_prefix(err, "table %s.%s: ", t->ns, t->name);
      return rc;
    }
  }
  ref_add(r, t->loc);
  json_array_foreach(json_object_get(t->meta, "metadata-log"), j, s)
      ref_add(r, json_string_value(json_object_get(s, "metadata-file")));
  const char *loc = local_abs(json_string_value(json_object_get(t->meta, "location")));
  char *hint = NULL;
  if (loc && asprintf(&hint, "%s/metadata/version-hint.text", loc) >= 0) {
    ref_add(r, hint);
    free(hint);
  }
  return 0;
}

/* The directory maintenance may delete in for a table: its location, resolved, strictly below the resolved
 * warehouse wh (a table at the warehouse root, outside it, or in another scheme owns nothing to delete). */
static bool owned_location(const char *wh, const json_t *meta, char *out) {
  const char *loc = local_abs(json_string_value(json_object_get(meta, "location")));
  return loc && realpath(loc, out) && floe_path_under(wh, out) && strcmp(wh, out);
}

/* Deletable: below <location>/data/ or <location>/metadata/ (where Iceberg writers put a table's files). */
static bool in_table_dirs(const char *owned, const char *path) {
  char d[PATH_MAX + 16];
  snprintf(d, sizeof d, "%s/data", owned);
  if (floe_path_under(d, path) && strcmp(d, path)) return true;
  snprintf(d, sizeof d, "%s/metadata", owned);
  return floe_path_under(d, path) && strcmp(d, path);
}

typedef struct expire_ctx {
  int64_t older_than_ms;
  int retain_last;
  json_t *expired_snaps; /* snapshots removed by the successful attempt */
  json_t *kept_snaps;
} expire_ctx;

static int expire_mutate(floe_lake *l, lake_table *base, json_t **out, void *vctx, floe_err *err) {
  expire_ctx *c = vctx;
  json_t *m = json_deep_copy(base->meta);
  json_t *snaps = json_object_get(m, "snapshots");
  json_t *keep_ids = json_object();
  char k[32];
  /* Keep: the last retain_last snapshots of main's ancestry, every ref target, everything newer. */
  int64_t cur = lake_current_snapshot_id(m);
  int n = 0;
  for (int64_t id = cur; id && n < c->retain_last; n++) {
    snprintf(k, sizeof k, "%lld", (long long)id);
    json_object_set_new(keep_ids, k, json_true());
    json_t *s = lake_snapshot(m, id);
    id = s ? (int64_t)json_integer_value(json_object_get(s, "parent-snapshot-id")) : 0;
  }
  const char *rn;
  json_t *ref;
  json_object_foreach(json_object_get(m, "refs"), rn, ref) {
    snprintf(k, sizeof k, "%lld", (long long)json_integer_value(json_object_get(ref, "snapshot-id")));
    json_object_set_new(keep_ids, k, json_true());
  }
  json_t *kept = json_array(), *expired = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(snaps, i, s) {
    snprintf(k, sizeof k, "%lld", (long long)json_integer_value(json_object_get(s, "snapshot-id")));
    if (json_object_get(keep_ids, k) || json_integer_value(json_object_get(s, "timestamp-ms")) >= c->older_than_ms)
      json_array_append(kept, s);
    else
      json_array_append(expired, s);
  }
  json_decref(keep_ids);
  if (!json_array_size(expired)) {
    json_decref(kept);
    json_decref(expired);
    json_decref(m);
    *out = NULL;
    return 0;
  }
  json_object_set(m, "snapshots", kept);
  /* snapshot-log: drop entries of expired snapshots. */
  json_t *slog = json_object_get(m, "snapshot-log"), *nlog = json_array();
  json_array_foreach(slog, i, s) {
    if (lake_snapshot(m, json_integer_value(json_object_get(s, "snapshot-id")))) json_array_append(nlog, s);
  }
  json_object_set_new(m, "snapshot-log", nlog);
  json_object_set_new(m, "last-updated-ms", json_integer(floe_now_us() / 1000));
  json_decref(c->expired_snaps);
  json_decref(c->kept_snaps);
  c->expired_snaps = expired;
  c->kept_snaps = kept;
  *out = m;
  (void)l;
  (void)err;
  return 0;
}

/* Deletes the files of the expired snapshots that no kept snapshot uses — only inside the table's own
 * directories (see the top of this file). */
static int expire_files(floe_lake *l, const char *table, json_t *kept, json_t *gone, int *files_deleted,
                        floe_err *err) {
  char wh[PATH_MAX], own[PATH_MAX];
  lake_table t;
  int rc = lake_table_load(l, table, false, &t, err);
  if (rc) return rc;
  if (!realpath(l->warehouse, wh) || !owned_location(wh, t.meta, own)) {
    lake_table_free(&t);
    return 0; /* not floe's to delete: the snapshots are expired, their files stay */
  }
  refs live = {l, json_object(), json_object()}, dead = {l, json_object(), live.dirs};
  size_t i;
  json_t *s;
  json_array_foreach(kept, i, s) {
    if ((rc = snapshot_files(&live, s, err))) break;
  }
  json_array_foreach(gone, i, s) {
    floe_err ignore = {0};
    if (rc) break;
    if (snapshot_files(&dead, s, &ignore)) continue; /* already partly gone: skip */
  }
  const char *p;
  json_t *v;
  if (!rc) json_object_foreach(dead.set, p, v) {
      if (json_object_get(live.set, p) || !in_table_dirs(own, p)) continue;
      floe_err ignore = {0};
      if (floe_unlink_under(own, p, &ignore) == 0 && files_deleted) (*files_deleted)++;
    }
  json_decref(live.set);
  json_decref(dead.set);
  json_decref(live.dirs);
  lake_table_free(&t);
  return rc;
}

int floe_lake_expire(floe_lake *l, const char *table, int64_t older_than_ms, int retain_last, int *expired,
                     int *files_deleted, floe_err *err) {
  expire_ctx c = {.older_than_ms = older_than_ms ? older_than_ms : floe_now_us() / 1000,
                  .retain_last = retain_last < 1 ? 1 : retain_last};
  if (expired) *expired = 0;
  if (files_deleted) *files_deleted = 0;
  int rc = lake_commit(l, table, false, expire_mutate, &c, NULL, err);
  if (!rc && c.expired_snaps) {
    if (expired) *expired = (int)json_array_size(c.expired_snaps);
    rc = expire_files(l, table, c.kept_snaps, c.expired_snaps, files_deleted, err);
  }
  json_decref(c.expired_snaps);
  json_decref(c.kept_snaps);
  return rc;
}


/* ---- orphans */

typedef struct orphan_scan {
  floe_lake *l;
  char wh[PATH_MAX];
  refs live;
  json_t *owned;  /* resolved table locations below the warehouse -> true */
  json_t *seen;   /* ns.name -> the metadata location its references were gathered from */
  json_t *found;  /* resolved path -> [mtime, the table directory it may be deleted from] */
} orphan_scan;

/* Gathers the references of every catalog table not yet seen at its current metadata location. */
static int gather(orphan_scan *o, floe_err *err) {
  json_t *list;
  int rc = lake_catalog_list(o->l, &list, err);
  if (rc) return rc;
  size_t i;
  json_t *row;
  json_array_foreach(list, i, row) {
    char *name = NULL;
    const char *at = json_string_value(json_array_get(row, 2));
    if (asprintf(&name, "%s.%s", json_string_value(json_array_get(row, 0)), json_string_value(json_array_get(row, 1))) < 0) {
      rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      break;
    }
    const char *was = json_string_value(json_object_get(o->seen, name));
    lake_table t;
    if (!(was && at && !strcmp(was, at)) && !(rc = lake_table_load(o->l, name, false, &t, err))) {
      rc = table_refs(&o->live, &t, err);
      char own[PATH_MAX];
      if (!rc && owned_location(o->wh, t.meta, own)) json_object_set_new(o->owned, own, json_true());
      if (!rc) json_object_set_new(o->seen, name, json_string(at ? at : ""));
      lake_table_free(&t);
    }
    free(name);
    if (rc) break;
  }
  json_decref(list);
  return rc;
}

/* Names floe gives what it writes (data/<uuid>.parquet, data/<uuid>/.../data_<uuid>.parquet, manifests,
 * manifest lists, temp files): the only files taken from a directory that belongs to no table. */
static bool floe_written_name(const char *name) {
  return floe_str_ends(name, ".parquet") || floe_str_ends(name, ".avro") || strstr(name, ".tmp.") ||
         !strcmp(name, "version-hint.text");
}

static void walk(const char *dir, const char *own, bool unowned, json_t *found) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) continue;
    struct stat st;
    if (lstat(p, &st) == 0) { /* never through a symlink */
      if (S_ISDIR(st.st_mode)) walk(p, own, unowned, found);
      else if (S_ISREG(st.st_mode) && (!unowned || floe_written_name(de->d_name)))
        json_object_set_new(found, p, json_pack("[Is]", (json_int_t)st.st_mtime, own));
    }
    free(p);
  }
  closedir(d);
}

static bool has_metadata_json(const char *dir) {
  char *m = NULL;
  if (asprintf(&m, "%s/metadata", dir) < 0) return true;
  DIR *d = opendir(m);
  free(m);
  if (!d) return false;
  bool any = false;
  struct dirent *de;
  while (!any && (de = readdir(d))) any = floe_str_ends(de->d_name, ".metadata.json");
  closedir(d);
  return any;
}

/* Walks each owned table's data/ and metadata/, and the <warehouse>/<ns>/<name> directories of no table
 * (a create that failed or was killed before its first commit) that hold no metadata file: a directory with
 * one is some other catalog's table, never floe's to clean. */
static void walk_all(orphan_scan *o) {
  const char *own;
  json_t *v;
  char sub[PATH_MAX + 16];
  json_object_foreach(o->owned, own, v) {
    snprintf(sub, sizeof sub, "%s/data", own);
    walk(sub, own, false, o->found);
    snprintf(sub, sizeof sub, "%s/metadata", own);
    walk(sub, own, false, o->found);
  }
  DIR *w = opendir(o->wh);
  struct dirent *ns, *tb;
  while (w && (ns = readdir(w))) {
    char nsdir[PATH_MAX];
    struct stat st;
    if (ns->d_name[0] == '.' || snprintf(nsdir, sizeof nsdir, "%s/%s", o->wh, ns->d_name) >= (int)sizeof nsdir ||
        lstat(nsdir, &st) || !S_ISDIR(st.st_mode) || json_object_get(o->owned, nsdir))
      continue;
    DIR *n = opendir(nsdir);
    while (n && (tb = readdir(n))) {
      char tdir[PATH_MAX];
      if (tb->d_name[0] == '.' || snprintf(tdir, sizeof tdir, "%s/%s", nsdir, tb->d_name) >= (int)sizeof tdir ||
          lstat(tdir, &st) || !S_ISDIR(st.st_mode) || json_object_get(o->owned, tdir) || has_metadata_json(tdir))
        continue;
      snprintf(sub, sizeof sub, "%s/data", tdir);
      walk(sub, tdir, true, o->found);
      snprintf(sub, sizeof sub, "%s/metadata", tdir);
      walk(sub, tdir, true, o->found);
    }
    if (n) closedir(n);
  }
  if (w) closedir(w);
}

int floe_lake_orphans(floe_lake *l, bool remove, int min_age_s, floe_vec *paths, floe_err *err) {
  orphan_scan o = {.l = l, .live = {l, json_object(), json_object()}, .owned = json_object(), .seen = json_object(),
                   .found = json_object()};
  int rc = 0;
  if (!realpath(l->warehouse, o.wh)) goto out; /* no warehouse: nothing written yet */
  /* 1. What every table references, then 2. what the deletable directories hold. */
  if ((rc = gather(&o, err))) goto out;
  walk_all(&o);
  if ((rc = lake_hook(l, "orphans-walked"))) {
    rc = floe_err_set(err, FLOE_EIO, "orphans stopped by a test hook");
    goto out;
  }
  /* 3. Under the catalog lock no commit publishes: the references of tables committed since step 1 are
   * added, and what is still unreferenced is an orphan (commits check their files under the same lock). A
   * dry run only lists: it re-reads without holding writers up. */
  if (remove && (rc = lake_catalog_lock(l, err))) goto out;
  rc = gather(&o, err);
  /* The fine clock, not time(): a file's mtime may be taken from a finer clock than time()'s and lie up to a
   * second ahead of it. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const char *p;
  json_t *f;
  if (!rc) json_object_foreach(o.found, p, f) {
      if (json_object_get(o.live.set, p)) continue;
      if (min_age_s > 0 && ts.tv_sec - (time_t)json_integer_value(json_array_get(f, 0)) < min_age_s) continue;
      /* Metadata files older than the metadata-log window are history, not orphans of a failed write, but
       * nothing references them either: they are removable too. */
      char *c = floe_strdup(p);
      if (c && floe_vec_push(paths, c)) floe_free(c);
      floe_err ignore = {0};
      /* only from the table directory it was found in, resolved again at the last moment */
      if (remove && floe_unlink_under(json_string_value(json_array_get(f, 1)), p, &ignore)) { /* gone or refused */
      }
    }
  if (remove) rc = lake_catalog_unlock(l, rc, err);
out:
  json_decref(o.live.set);
  json_decref(o.live.dirs);
  json_decref(o.owned);
  json_decref(o.seen);
  json_decref(o.found);
  return rc;
}
