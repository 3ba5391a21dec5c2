/* maint.c — table maintenance: rollback, tags and branches, snapshot expiry, orphan files. */
#include <dirent.h>
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

/* Every file a snapshot uses: its manifest list, manifests and live data files -> set. */
static int snapshot_files(const json_t *snap, json_t *set, floe_err *err) {
  const char *mlp = json_string_value(json_object_get(snap, "manifest-list"));
  if (!mlp) return 0;
  json_object_set_new(set, lake_local_path(mlp), json_true());
  json_t *ml;
  int rc = lake_read_manifest_list(snap, &ml, err);
  if (rc) return rc;
  size_t i, j;
  json_t *mf, *e;
  json_array_foreach(ml, i, mf) {
    json_object_set_new(set, lake_local_path(json_string_value(json_object_get(mf, "manifest_path"))), json_true());
    json_t *entries;
    if ((rc = lake_read_manifest(mf, &entries, err))) break;
    json_array_foreach(entries, j, e) {
      if (json_integer_value(json_object_get(e, "status")) == 2) continue;
      const char *p = json_string_value(json_object_get(json_object_get(e, "data_file"), "file_path"));
      if (p) json_object_set_new(set, lake_local_path(p), json_true());
    }
    json_decref(entries);
  }
  json_decref(ml);
  return rc;
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

int floe_lake_expire(floe_lake *l, const char *table, int64_t older_than_ms, int retain_last, int *expired,
                     int *files_deleted, floe_err *err) {
  expire_ctx c = {.older_than_ms = older_than_ms ? older_than_ms : floe_now_us() / 1000,
                  .retain_last = retain_last < 1 ? 1 : retain_last};
  if (expired) *expired = 0;
  if (files_deleted) *files_deleted = 0;
  int rc = lake_commit(l, table, false, expire_mutate, &c, NULL, err);
  if (!rc && c.expired_snaps) {
    if (expired) *expired = (int)json_array_size(c.expired_snaps);
    /* Files of the expired snapshots that no kept snapshot uses. */
    json_t *live = json_object(), *dead = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(c.kept_snaps, i, s) {
      if ((rc = snapshot_files(s, live, err))) break;
    }
    json_array_foreach(c.expired_snaps, i, s) {
      if (rc) break;
      floe_err ignore = {0};
      if (snapshot_files(s, dead, &ignore)) continue; /* already partly gone: skip */
    }
    if (!rc) {
      const char *p;
      json_t *v;
      json_object_foreach(dead, p, v) {
        if (json_object_get(live, p)) continue;
        if (unlink(p) == 0 && files_deleted) (*files_deleted)++;
      }
    }
    json_decref(live);
    json_decref(dead);
  }
  json_decref(c.expired_snaps);
  json_decref(c.kept_snaps);
  return rc;
}

static void walk(const char *dir, json_t *found) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) continue;
    struct stat st;
    if (lstat(p, &st) == 0) {
      if (S_ISDIR(st.st_mode)) walk(p, found);
      else if (S_ISREG(st.st_mode)) json_object_set_new(found, p, json_integer(st.st_mtime));
    }
    free(p);
  }
  closedir(d);
}

int floe_lake_orphans(floe_lake *l, bool remove, int min_age_s, floe_vec *paths, floe_err *err) {
  json_t *list;
  int rc = lake_catalog_list(l, &list, err);
  if (rc) return rc;
  /* The fine clock, not time(): a file's mtime may be taken from a finer clock than time()'s and lie up to a
   * second ahead of it. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  time_t now = ts.tv_sec;
  size_t i;
  json_t *row;
  json_array_foreach(list, i, row) {
    char *name = NULL;
    if (asprintf(&name, "%s.%s", json_string_value(json_array_get(row, 0)), json_string_value(json_array_get(row, 1))) < 0)
      break;
    lake_table t;
    rc = lake_table_load(l, name, false, &t, err);
    free(name);
    if (rc) break;
    json_t *live = json_object();
    /* Referenced: every snapshot's files, the current and logged metadata files, version-hint. */
    size_t j;
    json_t *s;
    json_array_foreach(json_object_get(t.meta, "snapshots"), j, s) {
      if ((rc = snapshot_files(s, live, err))) break;
    }
    json_object_set_new(live, lake_local_path(t.loc), json_true());
    json_array_foreach(json_object_get(t.meta, "metadata-log"), j, s) {
      const char *mf = json_string_value(json_object_get(s, "metadata-file"));
      if (mf) json_object_set_new(live, lake_local_path(mf), json_true());
    }
    const char *loc = lake_local_path(json_string_value(json_object_get(t.meta, "location")));
    char *hint = NULL;
    if (asprintf(&hint, "%s/metadata/version-hint.text", loc) >= 0) {
      json_object_set_new(live, hint, json_true());
      free(hint);
    }
    if (!rc) {
      json_t *found = json_object();
      walk(loc, found);
      const char *p;
      json_t *mt;
      json_object_foreach(found, p, mt) {
        if (json_object_get(live, p)) continue;
        if (min_age_s > 0 && now - (time_t)json_integer_value(mt) < min_age_s) continue;
        /* Metadata files older than the metadata-log window are history, not orphans of a failed write,
         * but nothing references them either: they are removable too. */
        char *c = floe_strdup(p);
        if (c && floe_vec_push(paths, c)) floe_free(c);
        if (remove) unlink(p);
      }
      json_decref(found);
    }
    json_decref(live);
    lake_table_free(&t);
    if (rc) break;
  }
  json_decref(list);
  return rc;
}
