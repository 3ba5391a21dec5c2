/* sqlite.c — the SQLite backend of instance storage (WAL mode).
 *
 * Many processes (CLI, run workers, daemon) write at once. To never surface "database is locked":
 * every connection sets a long busy timeout, write transactions start with BEGIN IMMEDIATE (a deferred
 * transaction that upgrades to a writer can fail with SQLITE_BUSY without waiting), and each statement
 * is retried on SQLITE_BUSY/SQLITE_LOCKED until a deadline. Schema changes are numbered migrations
 * tracked in PRAGMA user_version. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "store_int.h"

#define STMT_CACHE 32
#define BUSY_DEADLINE_US (120 * 1000000LL)

typedef struct sqlite_store {
  floe_store base;
  sqlite3 *db;
  int depth; /* begin/commit nesting */
  struct {
    const char *sql;
    sqlite3_stmt *st;
  } cache[STMT_CACHE];
} sqlite_store;

static const char *const migrations[] = {
    /* 1: runs, steps, the event log, latest materializations */
    "CREATE TABLE runs (id TEXT PRIMARY KEY, job TEXT, selection TEXT, status INTEGER NOT NULL, tags TEXT,"
    " config TEXT, parent_run_id TEXT, root_run_id TEXT, error TEXT, worker_pid INTEGER,"
    " created_us INTEGER NOT NULL, start_us INTEGER, end_us INTEGER, heartbeat_us INTEGER);"
    "CREATE INDEX runs_created ON runs(created_us);"
    "CREATE INDEX runs_status ON runs(status);"
    "CREATE TABLE steps (run_id TEXT NOT NULL, asset_key TEXT NOT NULL, status INTEGER NOT NULL,"
    " attempt INTEGER NOT NULL DEFAULT 0, pid INTEGER, start_us INTEGER, end_us INTEGER, error TEXT,"
    " log_out TEXT, log_err TEXT, PRIMARY KEY (run_id, asset_key));"
    "CREATE INDEX steps_asset ON steps(asset_key, end_us);"
    "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, asset_key TEXT,"
    " type TEXT NOT NULL, level TEXT NOT NULL, message TEXT, data TEXT, ts_us INTEGER NOT NULL);"
    "CREATE INDEX events_run ON events(run_id, id);"
    "CREATE TABLE materializations (asset_key TEXT PRIMARY KEY, run_id TEXT NOT NULL, metadata TEXT,"
    " ts_us INTEGER NOT NULL);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static int db_err(sqlite_store *s, floe_err *err, const char *what) {
  return floe_err_set(err, FLOE_EDB, "instance database: %s: %s", what, sqlite3_errmsg(s->db));
}

static bool is_busy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

/* Runs a statement-less SQL script, retrying while busy. */
static int exec_retry(sqlite_store *s, const char *sql, floe_err *err) {
  int64_t deadline = floe_mono_us() + BUSY_DEADLINE_US;
  for (int attempt = 0;; attempt++) {
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK) return 0;
    if (!is_busy(rc) || floe_mono_us() > deadline) return db_err(s, err, sql);
    floe_sleep_ms(1 + (int)(floe_random_u64() % (attempt < 10 ? 5 : 50)));
  }
}

static sqlite3_stmt *prep(sqlite_store *s, const char *sql, floe_err *err) {
  int free_slot = -1;
  for (int i = 0; i < STMT_CACHE; i++) {
    if (s->cache[i].sql == sql) {
      sqlite3_reset(s->cache[i].st);
      sqlite3_clear_bindings(s->cache[i].st);
      return s->cache[i].st;
    }
    if (!s->cache[i].sql && free_slot < 0) free_slot = i;
  }
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
    db_err(s, err, "prepare");
    return NULL;
  }
  if (free_slot >= 0) {
    s->cache[free_slot].sql = sql;
    s->cache[free_slot].st = st;
  }
  return st;
}

static void unprep(sqlite_store *s, sqlite3_stmt *st) {
  for (int i = 0; i < STMT_CACHE; i++)
    if (s->cache[i].st == st) {
      sqlite3_reset(st);
      return;
    }
  sqlite3_finalize(st);
}

/* Steps a write statement to completion, retrying while busy (outside explicit transactions). */
static int step_done(sqlite_store *s, sqlite3_stmt *st, floe_err *err) {
  int64_t deadline = floe_mono_us() + BUSY_DEADLINE_US;
  for (int attempt = 0;; attempt++) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return 0;
    if (!is_busy(rc) || s->depth > 0 || floe_mono_us() > deadline) {
      int r = db_err(s, err, sqlite3_sql(st));
      sqlite3_reset(st);
      return r;
    }
    sqlite3_reset(st);
    floe_sleep_ms(1 + (int)(floe_random_u64() % (attempt < 10 ? 5 : 50)));
  }
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
  if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(st, i);
}
static void bind_i64(sqlite3_stmt *st, int i, int64_t v) {
  if (v) sqlite3_bind_int64(st, i, v);
  else sqlite3_bind_null(st, i);
}
static const char *col_text(floe_arena *a, sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? floe_arena_strdup(a, (const char *)t) : NULL;
}

static int sq_begin(floe_store *b, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  if (s->depth++ > 0) return 0;
  int rc = exec_retry(s, "BEGIN IMMEDIATE", err);
  if (rc) s->depth = 0;
  return rc;
}

static int sq_commit(floe_store *b, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  if (s->depth == 0 || --s->depth > 0) return 0;
  int rc = exec_retry(s, "COMMIT", err);
  if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

static void sq_close(floe_store *b) {
  sqlite_store *s = (sqlite_store *)b;
  if (s->depth > 0) sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  for (int i = 0; i < STMT_CACHE; i++)
    if (s->cache[i].st) sqlite3_finalize(s->cache[i].st);
  sqlite3_close_v2(s->db);
  floe_free(s);
}

static int migrate(sqlite_store *s, floe_err *err) {
  sqlite3_stmt *st = NULL;
  int version = 0;
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) return db_err(s, err, "user_version");
  if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (version >= NMIGRATIONS) return 0;
  int rc = sq_begin(&s->base, err);
  if (rc) return rc;
  /* re-read inside the write lock: another process may have migrated meanwhile */
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  for (int v = version; v < NMIGRATIONS && !rc; v++) {
    if (sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK) {
      rc = db_err(s, err, "migration");
      break;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
    if (sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK) rc = db_err(s, err, "migration");
  }
  if (rc) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->depth = 0;
    return rc;
  }
  return sq_commit(&s->base, err);
}

static int sq_run_create(floe_store *b, const floe_run_rec *r, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "INSERT INTO runs (id, job, selection, status, tags, config, parent_run_id, root_run_id,"
                            " created_us) VALUES (?,?,?,?,?,?,?,?,?)";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, r->id);
  bind_text(st, 2, r->job);
  bind_text(st, 3, r->selection);
  sqlite3_bind_int(st, 4, r->status);
  bind_text(st, 5, r->tags_json);
  bind_text(st, 6, r->config_yaml);
  bind_text(st, 7, r->parent_run_id);
  bind_text(st, 8, r->root_run_id);
  sqlite3_bind_int64(st, 9, r->created_us ? r->created_us : floe_now_us());
  int rc = step_done(s, st, err);
  unprep(s, st);
  return rc;
}

static int sq_run_set_status(floe_store *b, const char *id, int status, const char *error, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] =
      "UPDATE runs SET status=?1, error=COALESCE(?2, error),"
      " start_us=CASE WHEN ?1=2 AND start_us IS NULL THEN ?3 ELSE start_us END,"
      " end_us=CASE WHEN ?1 IN (3,4,6) THEN ?3 ELSE end_us END WHERE id=?4";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int(st, 1, status);
  bind_text(st, 2, error);
  sqlite3_bind_int64(st, 3, floe_now_us());
  bind_text(st, 4, id);
  int rc = step_done(s, st, err);
  unprep(s, st);
  return rc;
}

static int sq_run_cas_status(floe_store *b, const char *id, int from, int to, bool *changed, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "UPDATE runs SET status=?1, end_us=CASE WHEN ?1 IN (3,4,6) THEN ?2 ELSE end_us END"
                            " WHERE id=?3 AND status=?4";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int(st, 1, to);
  sqlite3_bind_int64(st, 2, floe_now_us());
  bind_text(st, 3, id);
  sqlite3_bind_int(st, 4, from);
  int rc = step_done(s, st, err);
  if (!rc && changed) *changed = sqlite3_changes(s->db) > 0;
  unprep(s, st);
  return rc;
}

static int sq_run_set_worker(floe_store *b, const char *id, int pid, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "UPDATE runs SET worker_pid=?1, heartbeat_us=?2 WHERE id=?3";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int(st, 1, pid);
  sqlite3_bind_int64(st, 2, floe_now_us());
  bind_text(st, 3, id);
  int rc = step_done(s, st, err);
  unprep(s, st);
  return rc;
}

static int sq_run_heartbeat(floe_store *b, const char *id, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "UPDATE runs SET heartbeat_us=?1 WHERE id=?2";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int64(st, 1, floe_now_us());
  bind_text(st, 2, id);
  int rc = step_done(s, st, err);
  unprep(s, st);
  return rc;
}

#define RUN_COLS                                                                                                       \
  "id, job, selection, status, tags, config, parent_run_id, root_run_id, error, worker_pid, created_us,"             \
  " start_us, end_us, heartbeat_us"

static void read_run(floe_arena *a, sqlite3_stmt *st, floe_run_rec *r) {
  memset(r, 0, sizeof *r);
  snprintf(r->id, sizeof r->id, "%s", (const char *)sqlite3_column_text(st, 0));
  r->job = col_text(a, st, 1);
  r->selection = col_text(a, st, 2);
  r->status = sqlite3_column_int(st, 3);
  r->tags_json = col_text(a, st, 4);
  r->config_yaml = col_text(a, st, 5);
  r->parent_run_id = col_text(a, st, 6);
  r->root_run_id = col_text(a, st, 7);
  r->error = col_text(a, st, 8);
  r->worker_pid = sqlite3_column_int(st, 9);
  r->created_us = sqlite3_column_int64(st, 10);
  r->start_us = sqlite3_column_int64(st, 11);
  r->end_us = sqlite3_column_int64(st, 12);
  r->heartbeat_us = sqlite3_column_int64(st, 13);
}

static int sq_run_get(floe_store *b, floe_arena *a, const char *id, floe_run_rec *out, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT " RUN_COLS " FROM runs WHERE id >= ?1 AND id < ?1 || 'g' ORDER BY id LIMIT 2";
  if (!*id || strlen(id) > 32) return floe_err_set(err, FLOE_ENOTFOUND, "no run '%s'", id);
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, id);
  int n = 0, rc = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == 0) read_run(a, st, out);
    n++;
  }
  unprep(s, st);
  if (rc != SQLITE_DONE) return db_err(s, err, "run get");
  if (n == 0) return floe_err_set(err, FLOE_ENOTFOUND, "no run with id '%s' (see `floe run list`)", id);
  if (n > 1) return floe_err_set(err, FLOE_EINPUT, "run id prefix '%s' is ambiguous; give more characters", id);
  return 0;
}

static int sq_run_list(floe_store *b, floe_arena *a, const floe_run_filter *f, floe_run_rec **out, size_t *n,
                       floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT " RUN_COLS " FROM runs WHERE (?1 < 0 OR status = ?1) AND (?2 IS NULL OR job = ?2)"
                            " AND created_us >= ?3 ORDER BY created_us DESC, id DESC LIMIT ?4";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int(st, 1, f ? f->status : -1);
  bind_text(st, 2, f ? f->job : NULL);
  sqlite3_bind_int64(st, 3, f ? f->since_us : 0);
  int limit = f && f->limit > 0 ? f->limit : 50;
  sqlite3_bind_int(st, 4, limit);
  floe_run_rec *arr = floe_arena_alloc(a, sizeof *arr * (size_t)limit);
  size_t k = 0;
  int rc;
  while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW) read_run(a, st, &arr[k++]);
  unprep(s, st);
  if (!arr) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  *out = arr;
  *n = k;
  return 0;
}

static int sq_step_upsert(floe_store *b, const floe_step_rec *r, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] =
      "INSERT INTO steps (run_id, asset_key, status, attempt, pid, start_us, end_us, error, log_out, log_err)"
      " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(run_id, asset_key) DO UPDATE SET status=excluded.status,"
      " attempt=excluded.attempt, pid=excluded.pid, start_us=COALESCE(excluded.start_us, start_us),"
      " end_us=excluded.end_us, error=excluded.error, log_out=COALESCE(excluded.log_out, log_out),"
      " log_err=COALESCE(excluded.log_err, log_err)";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, r->run_id);
  bind_text(st, 2, r->asset_key);
  sqlite3_bind_int(st, 3, r->status);
  sqlite3_bind_int(st, 4, r->attempt);
  bind_i64(st, 5, r->pid);
  bind_i64(st, 6, r->start_us);
  bind_i64(st, 7, r->end_us);
  bind_text(st, 8, r->error);
  bind_text(st, 9, r->log_out);
  bind_text(st, 10, r->log_err);
  int rc = step_done(s, st, err);
  unprep(s, st);
  return rc;
}

static int sq_step_list(floe_store *b, floe_arena *a, const char *run_id, floe_step_rec **out, size_t *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT run_id, asset_key, status, attempt, pid, start_us, end_us, error, log_out, log_err"
                            " FROM steps WHERE run_id=? ORDER BY COALESCE(start_us, 9e18), rowid";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, run_id);
  floe_vec v = {0};
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    floe_step_rec *r = floe_arena_alloc(a, sizeof *r);
    if (!r || floe_vec_push(&v, r)) {
      unprep(s, st);
      floe_vec_free(&v);
      return floe_err_set(err, FLOE_ENOMEM, "out of memory");
    }
    r->run_id = col_text(a, st, 0);
    r->asset_key = col_text(a, st, 1);
    r->status = sqlite3_column_int(st, 2);
    r->attempt = sqlite3_column_int(st, 3);
    r->pid = sqlite3_column_int(st, 4);
    r->start_us = sqlite3_column_int64(st, 5);
    r->end_us = sqlite3_column_int64(st, 6);
    r->error = col_text(a, st, 7);
    r->log_out = col_text(a, st, 8);
    r->log_err = col_text(a, st, 9);
  }
  unprep(s, st);
  floe_step_rec *arr = floe_arena_alloc(a, sizeof *arr * (v.len + 1));
  for (size_t i = 0; arr && i < v.len; i++) arr[i] = *(floe_step_rec *)v.items[i];
  *out = arr;
  *n = v.len;
  floe_vec_free(&v);
  return arr ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

static int sq_event_append(floe_store *b, const floe_event_rec *e, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] =
      "INSERT INTO events (run_id, asset_key, type, level, message, data, ts_us) VALUES (?,?,?,?,?,?,?)";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, e->run_id);
  bind_text(st, 2, e->asset_key);
  bind_text(st, 3, e->type);
  bind_text(st, 4, e->level ? e->level : "info");
  bind_text(st, 5, e->message);
  bind_text(st, 6, e->data_json);
  sqlite3_bind_int64(st, 7, e->ts_us ? e->ts_us : floe_now_us());
  int rc = step_done(s, st, err);
  unprep(s, st);
  return rc;
}

static int sq_event_list(floe_store *b, floe_arena *a, const char *run_id, int64_t after, floe_event_rec **out,
                         size_t *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT id, run_id, asset_key, type, level, message, data, ts_us FROM events"
                            " WHERE run_id=? AND id>? ORDER BY id";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, run_id);
  sqlite3_bind_int64(st, 2, after);
  floe_vec v = {0};
  while (sqlite3_step(st) == SQLITE_ROW) {
    floe_event_rec *r = floe_arena_alloc(a, sizeof *r);
    if (!r || floe_vec_push(&v, r)) {
      unprep(s, st);
      floe_vec_free(&v);
      return floe_err_set(err, FLOE_ENOMEM, "out of memory");
    }
    r->id = sqlite3_column_int64(st, 0);
    r->run_id = col_text(a, st, 1);
    r->asset_key = col_text(a, st, 2);
    r->type = col_text(a, st, 3);
    r->level = col_text(a, st, 4);
    r->message = col_text(a, st, 5);
    r->data_json = col_text(a, st, 6);
    r->ts_us = sqlite3_column_int64(st, 7);
  }
  unprep(s, st);
  floe_event_rec *arr = floe_arena_alloc(a, sizeof *arr * (v.len + 1));
  for (size_t i = 0; arr && i < v.len; i++) arr[i] = *(floe_event_rec *)v.items[i];
  *out = arr;
  *n = v.len;
  floe_vec_free(&v);
  return arr ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

static int sq_mat_put(floe_store *b, const floe_materialization_rec *m, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "INSERT INTO materializations (asset_key, run_id, metadata, ts_us) VALUES (?,?,?,?)"
                            " ON CONFLICT(asset_key) DO UPDATE SET run_id=excluded.run_id,"
                            " metadata=excluded.metadata, ts_us=excluded.ts_us";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, m->asset_key);
  bind_text(st, 2, m->run_id);
  bind_text(st, 3, m->metadata_json);
  sqlite3_bind_int64(st, 4, m->ts_us ? m->ts_us : floe_now_us());
  int rc = step_done(s, st, err);
  unprep(s, st);
  return rc;
}

static int sq_mat_list(floe_store *b, floe_arena *a, floe_materialization_rec **out, size_t *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT asset_key, run_id, metadata, ts_us FROM materializations ORDER BY asset_key";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  floe_vec v = {0};
  while (sqlite3_step(st) == SQLITE_ROW) {
    floe_materialization_rec *r = floe_arena_alloc(a, sizeof *r);
    if (!r || floe_vec_push(&v, r)) {
      unprep(s, st);
      floe_vec_free(&v);
      return floe_err_set(err, FLOE_ENOMEM, "out of memory");
    }
    r->asset_key = col_text(a, st, 0);
    r->run_id = col_text(a, st, 1);
    r->metadata_json = col_text(a, st, 2);
    r->ts_us = sqlite3_column_int64(st, 3);
  }
  unprep(s, st);
  floe_materialization_rec *arr = floe_arena_alloc(a, sizeof *arr * (v.len + 1));
  for (size_t i = 0; arr && i < v.len; i++) arr[i] = *(floe_materialization_rec *)v.items[i];
  *out = arr;
  *n = v.len;
  floe_vec_free(&v);
  return arr ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

static int sq_asset_last_status(floe_store *b, floe_arena *a, const char ***keys, int **sts, size_t *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  /* the step of each asset with the newest end (or start) time */
  static const char sql[] = "SELECT asset_key, status FROM (SELECT asset_key, status, ROW_NUMBER() OVER"
                            " (PARTITION BY asset_key ORDER BY COALESCE(end_us, start_us, 0) DESC) AS rn FROM steps"
                            " WHERE status NOT IN (0)) WHERE rn = 1";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  floe_vec v = {0};
  floe_vec vs = {0};
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *k = col_text(a, st, 0);
    if (!k || floe_vec_push(&v, (void *)k) || floe_vec_push(&vs, (void *)(intptr_t)sqlite3_column_int(st, 1))) {
      unprep(s, st);
      floe_vec_free(&v);
      floe_vec_free(&vs);
      return floe_err_set(err, FLOE_ENOMEM, "out of memory");
    }
  }
  unprep(s, st);
  const char **ka = floe_arena_alloc(a, sizeof *ka * (v.len + 1));
  int *sa = floe_arena_alloc(a, sizeof *sa * (v.len + 1));
  for (size_t i = 0; ka && sa && i < v.len; i++) {
    ka[i] = v.items[i];
    sa[i] = (int)(intptr_t)vs.items[i];
  }
  *keys = ka;
  *sts = sa;
  *n = v.len;
  floe_vec_free(&v);
  floe_vec_free(&vs);
  return ka && sa ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

static void *sq_handle(floe_store *b) { return ((sqlite_store *)b)->db; }

static const floe_store_ops sqlite_ops = {
    "sqlite",         sq_close,          sq_begin,      sq_commit,       sq_run_create,  sq_run_set_status,
    sq_run_cas_status, sq_run_set_worker, sq_run_heartbeat, sq_run_get,  sq_run_list,    sq_step_upsert,
    sq_step_list,     sq_event_append,   sq_event_list, sq_mat_put,      sq_mat_list,    sq_asset_last_status,
    sq_handle,
};

int floe_store_sqlite_open(const char *path, floe_store **out, floe_err *err) {
  *out = NULL;
  sqlite_store *s = floe_calloc(1, sizeof *s);
  if (!s) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  s->base.ops = &sqlite_ops;
  int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    rc = floe_err_set(err, FLOE_EDB, "cannot open instance database %s: %s", path,
                      s->db ? sqlite3_errmsg(s->db) : "out of memory");
    goto fail;
  }
  sqlite3_busy_timeout(s->db, 10000);
  /* Short-lived processes (every CLI command, every run worker) would otherwise checkpoint and delete the
   * WAL on close and re-create (and fsync) it on open: keep it, and leave checkpoints to the automatic
   * ones every 1000 pages. */
  int one = 1;
  sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
  sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  /* journal_mode=WAL persists in the file; setting it needs a brief exclusive lock, so retry */
  if ((rc = exec_retry(s, "PRAGMA journal_mode=WAL", err))) goto fail;
  if ((rc = exec_retry(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON", err))) goto fail;
  if ((rc = migrate(s, err))) goto fail;
  *out = &s->base;
  return 0;
fail:
  floe_err_prefix(err, "%s", "");
  sqlite3_close_v2(s->db);
  floe_free(s);
  return rc;
}
