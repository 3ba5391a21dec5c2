/* sqlite.c — the SQLite backend of instance storage (WAL mode).
 *
 * Many processes (CLI, run workers, daemon) write at once. To never surface "database is locked":
 * every connection waits up to 10 s for a lock (polling finely: busy_wait), write transactions start with BEGIN IMMEDIATE (a deferred
 * transaction that upgrades to a writer can fail with SQLITE_BUSY without waiting), and each statement
 * is retried on SQLITE_BUSY/SQLITE_LOCKED until a deadline. Schema changes are numbered migrations
 * tracked in PRAGMA user_version. A statement that fails inside a transaction poisons it, and the
 * outermost commit rolls it back. Statuses are stored by name, never by enum number. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "store_int.h"

#define STMT_CACHE 32
#define BUSY_DEADLINE_US (120 * 1000000LL)

typedef struct sqlite_store {
  floe_store base;
  sqlite3 *db;
  int depth;   /* begin/commit nesting */
  bool failed; /* a statement of the open transaction failed: it must roll back */
  bool durable; /* the open transaction is a catalog one: synchronous=FULL until it ends */
  char fail_msg[256];
  bool run_changed; /* a run was created or moved: wake the daemon once it is committed */
  char *wake_path;  /* <db>-wake: the daemon's wake-up socket */
  int listen_fd;    /* the daemon's end of it, -1 when not listening */
  int64_t busy_since; /* busy_wait: when the current wait for a lock began */
  struct {
    const char *sql;
    sqlite3_stmt *st;
  } cache[STMT_CACHE];
} sqlite_store;

/* The live statuses (a worker owns the run), spelled once; runs_status serves the reaper's query on them. */
#define LIVE_STATUSES "status IN ('STARTING','STARTED','CANCELING')"

/* Version 1 stored statuses as enum numbers; version 2 maps those fixed codes to names once. */
#define V1_RUN_STATUS                                                                                                  \
  "CASE status WHEN 0 THEN 'QUEUED' WHEN 1 THEN 'STARTING' WHEN 2 THEN 'STARTED' WHEN 3 THEN 'SUCCESS'"              \
  " WHEN 4 THEN 'FAILURE' WHEN 5 THEN 'CANCELING' WHEN 6 THEN 'CANCELED' ELSE 'FAILURE' END"
#define V1_STEP_STATUS                                                                                                 \
  "CASE status WHEN 0 THEN 'PENDING' WHEN 1 THEN 'RUNNING' WHEN 2 THEN 'SUCCESS' WHEN 3 THEN 'FAILURE'"              \
  " WHEN 4 THEN 'SKIPPED' WHEN 5 THEN 'CANCELED' WHEN 6 THEN 'RETRYING' ELSE 'FAILURE' END"
/* the newest non-PENDING step per asset, kept as steps change (`floe asset list` reads O(assets) rows) */
#define ASSET_STATUS_UPSERT                                                                                            \
  " BEGIN INSERT INTO asset_status (asset_key, status, ts_us) VALUES (new.asset_key, new.status,"                     \
  " COALESCE(new.end_us, new.start_us, 0)) ON CONFLICT(asset_key) DO UPDATE SET status=excluded.status,"              \
  " ts_us=excluded.ts_us WHERE excluded.ts_us >= asset_status.ts_us; END;"

/* A run's queue priority: its dagster/priority tag as an integer (0 when absent or not a number). */
#define RUN_PRIORITY(tags)                                                                                             \
  "(CASE WHEN json_valid(" tags ") THEN CAST(COALESCE(json_extract(" tags ", '$.\"dagster/priority\"'), 0) AS INTEGER)" \
  " ELSE 0 END)"

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
    /* 2: statuses by name; the worker's identity (host, boot, start time) and the step process's; indexes
     * that serve `run list` filters in created order; the per-asset last status table */
    "CREATE TABLE runs2 (id TEXT PRIMARY KEY, job TEXT, selection TEXT, status TEXT NOT NULL, tags TEXT,"
    " config TEXT, parent_run_id TEXT, root_run_id TEXT, error TEXT, worker_pid INTEGER, worker_host TEXT,"
    " worker_boot TEXT, worker_start INTEGER, created_us INTEGER NOT NULL, start_us INTEGER, end_us INTEGER,"
    " heartbeat_us INTEGER);"
    "INSERT INTO runs2 SELECT id, job, selection, " V1_RUN_STATUS ", tags, config, parent_run_id, root_run_id,"
    " error, worker_pid, NULL, NULL, NULL, created_us, start_us, end_us, heartbeat_us FROM runs;"
    "DROP TABLE runs; ALTER TABLE runs2 RENAME TO runs;"
    "CREATE INDEX runs_created ON runs(created_us, id);"
    "CREATE INDEX runs_status ON runs(status, created_us, id);"
    "CREATE INDEX runs_job ON runs(job, created_us, id);"
    "CREATE TABLE steps2 (run_id TEXT NOT NULL, asset_key TEXT NOT NULL, status TEXT NOT NULL,"
    " attempt INTEGER NOT NULL DEFAULT 0, pid INTEGER, pid_boot TEXT, pid_start INTEGER, start_us INTEGER,"
    " end_us INTEGER, error TEXT, log_out TEXT, log_err TEXT, PRIMARY KEY (run_id, asset_key));"
    "INSERT INTO steps2 SELECT run_id, asset_key, " V1_STEP_STATUS ", attempt, pid, NULL, NULL, start_us, end_us,"
    " error, log_out, log_err FROM steps;"
    "DROP TABLE steps; ALTER TABLE steps2 RENAME TO steps;"
    "CREATE TABLE asset_status (asset_key TEXT PRIMARY KEY, status TEXT NOT NULL, ts_us INTEGER NOT NULL);"
    "INSERT INTO asset_status SELECT asset_key, status, ts FROM (SELECT asset_key, status,"
    " COALESCE(end_us, start_us, 0) AS ts, ROW_NUMBER() OVER (PARTITION BY asset_key"
    " ORDER BY COALESCE(end_us, start_us, 0) DESC) AS rn FROM steps WHERE status <> 'PENDING') WHERE rn = 1;"
    "CREATE TRIGGER steps_asset_status_ins AFTER INSERT ON steps WHEN new.status <> 'PENDING'" ASSET_STATUS_UPSERT
    "CREATE TRIGGER steps_asset_status_upd AFTER UPDATE ON steps WHEN new.status <> 'PENDING'" ASSET_STATUS_UPSERT,
    /* 3: the Iceberg SQL catalog, in the JDBC catalog's schema exactly (pyiceberg's SqlCatalog and Java's
     * JdbcCatalog open it). IF NOT EXISTS: the lake created these before they were the store's, and another
     * catalog client may have created them first. */
    "CREATE TABLE IF NOT EXISTS iceberg_tables ("
    " catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,"
    " table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000),"
    " previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5),"
    " PRIMARY KEY (catalog_name, table_namespace, table_name));"
    "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
    " catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL,"
    " property_key VARCHAR(255), property_value VARCHAR(1000),"
    " PRIMARY KEY (catalog_name, namespace, property_key));",
    /* 4: the automation daemon: its lease (one per instance) and its components' heartbeats; the run queue's
     * order (priority from the dagster/priority tag, kept in a column so that an index serves the dequeue);
     * runs by end time (the run monitor's retries) and by parent (one retry per failed run) */
    "ALTER TABLE runs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;"
    "UPDATE runs SET priority = " RUN_PRIORITY("tags") " WHERE status = 'QUEUED';"
    "CREATE INDEX runs_queue ON runs(priority DESC, created_us, id) WHERE status = 'QUEUED';"
    "CREATE INDEX runs_ended ON runs(status, end_us);"
    "CREATE INDEX runs_parent ON runs(parent_run_id) WHERE parent_run_id IS NOT NULL;"
    "CREATE TABLE daemon_lease (name TEXT PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER, host TEXT, boot_id TEXT,"
    " start_ticks INTEGER, started_us INTEGER, heartbeat_us INTEGER, stopped_us INTEGER);"
    "CREATE TABLE daemon_components (name TEXT PRIMARY KEY, heartbeat_us INTEGER NOT NULL, error TEXT,"
    " cursor INTEGER);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static int db_err(sqlite_store *s, floe_err *err, const char *what) {
  int rc = floe_err_set(err, FLOE_EDB, "instance database: %s: %s", what, sqlite3_errmsg(s->db));
  if (s->depth > 0 && !s->failed) { /* the transaction is poisoned: its commit rolls back */
    s->failed = true;
    snprintf(s->fail_msg, sizeof s->fail_msg, "%s: %s", what, sqlite3_errmsg(s->db));
  }
  return rc;
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

/* Runs a write statement and releases it. */
static int write_stmt(sqlite_store *s, sqlite3_stmt *st, floe_err *err) {
  int rc = step_done(s, st, err);
  unprep(s, st);
  return rc;
}

/* Reads one row into rec (rec_size bytes, zeroed); false when out of memory. */
typedef bool (*row_reader)(floe_arena *a, sqlite3_stmt *st, void *rec);

/* The one loop that collects a query's rows: an arena array of *n records in *out. A read that ends in
 * anything but SQLITE_DONE is an error, never a short list. Releases st. */
static int collect_rows(sqlite_store *s, sqlite3_stmt *st, floe_arena *a, size_t rec_size, row_reader read,
                        void **out, size_t *n, floe_err *err) {
  char *tmp = NULL;
  size_t k = 0, cap = 0;
  int rc = 0, src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (k == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      char *nt = floe_realloc(tmp, ncap * rec_size);
      if (!nt) break;
      tmp = nt;
      cap = ncap;
    }
    memset(tmp + k * rec_size, 0, rec_size);
    if (!read(a, st, tmp + k * rec_size)) break;
    k++;
  }
  if (src == SQLITE_ROW) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  else if (src != SQLITE_DONE) rc = db_err(s, err, sqlite3_sql(st));
  unprep(s, st);
  char *arr = rc ? NULL : floe_arena_alloc(a, rec_size * (k + 1));
  if (!rc && !arr) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  if (!rc) {
    if (k) memcpy(arr, tmp, rec_size * k);
    *out = arr;
    *n = k;
  }
  floe_free(tmp);
  return rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
  if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(st, i);
}
static void bind_i64(sqlite3_stmt *st, int i, int64_t v) {
  if (v) sqlite3_bind_int64(st, i, v);
  else sqlite3_bind_null(st, i);
}
/* col_text: NULL stays NULL; *ok turns false when the copy ran out of memory */
static const char *col_text_ok(floe_arena *a, sqlite3_stmt *st, int i, bool *ok) {
  const unsigned char *t = sqlite3_column_text(st, i);
  if (!t) return NULL;
  char *c = floe_arena_strdup(a, (const char *)t);
  if (!c) *ok = false;
  return c;
}
static int col_status(sqlite3_stmt *st, int i, int (*parse)(const char *)) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? parse((const char *)t) : -1;
}

/* ---- wake-ups: after a commit that created or moved a run, poke the daemon */

static void sq_notify(floe_store *b) { floe_wake_send(((sqlite_store *)b)->wake_path); }

/* A run changed: outside a transaction it is committed already; inside, the outermost commit pokes. */
static void run_changed(sqlite_store *s) {
  if (s->depth > 0) s->run_changed = true;
  else sq_notify(&s->base);
}

static int sq_listen(floe_store *b, int *fd, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  if (s->listen_fd < 0) {
    int rc = floe_wake_bind(s->wake_path, &s->listen_fd, err);
    if (rc) return rc;
  }
  *fd = s->listen_fd;
  return 0;
}

static void sq_listen_drain(floe_store *b) {
  sqlite_store *s = (sqlite_store *)b;
  if (s->listen_fd >= 0) floe_wake_drain(s->listen_fd);
}

static int sq_begin(floe_store *b, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  if (s->depth++ > 0) return 0;
  s->failed = false;
  int rc = exec_retry(s, "BEGIN IMMEDIATE", err);
  if (rc) s->depth = 0;
  return rc;
}

static int sq_end(floe_store *b, int rc, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  if (s->depth == 0) return rc;
  if (rc) s->failed = true;
  if (--s->depth > 0) return rc;
  bool notify = s->run_changed;
  s->run_changed = false;
  if (s->failed) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->failed = false;
    return rc ? rc : floe_err_set(err, FLOE_EDB, "instance database: a statement failed (%s); the transaction was "
                                  "rolled back", s->fail_msg);
  }
  int crc = exec_retry(s, "COMMIT", err);
  if (crc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  else if (notify) sq_notify(b);
  return crc;
}

/* Ends the transaction (sq_end); a catalog transaction then gives the connection back its NORMAL sync. */
static int sq_end_sync(floe_store *b, int rc, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  rc = sq_end(b, rc, err);
  if (s->depth == 0 && s->durable) {
    sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    s->durable = false;
  }
  return rc;
}

/* A write transaction whose commit is durable: synchronous=FULL syncs the WAL at its commit, which a catalog
 * commit needs (once a lake commit returns, a power loss must not take the table back). The rest of the store
 * runs with NORMAL (a power loss may lose its last transactions, never corrupt them). SQLite refuses to change
 * the setting inside a transaction: nested in an open one, the commit is as durable as that one. */
static int sq_catalog_begin(floe_store *b, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  if (s->depth == 0 && sqlite3_exec(s->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) == SQLITE_OK) s->durable = true;
  int rc = sq_begin(b, err);
  if (rc && s->depth == 0 && s->durable) {
    sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    s->durable = false;
  }
  return rc;
}

static void sq_close(floe_store *b) {
  sqlite_store *s = (sqlite_store *)b;
  if (s->depth > 0) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL); /* never commit what no one ended */
  for (int i = 0; i < STMT_CACHE; i++)
    if (s->cache[i].st) sqlite3_finalize(s->cache[i].st);
  sqlite3_close_v2(s->db);
  if (s->listen_fd >= 0) {
    close(s->listen_fd);
    unlink(s->wake_path);
  }
  floe_free(s->wake_path);
  floe_free(s);
}

static int read_user_version(sqlite_store *s, int *version, floe_err *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) return db_err(s, err, "user_version");
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : db_err(s, err, "user_version");
}

static int migrate(sqlite_store *s, floe_err *err) {
  int version = 0;
  int rc = read_user_version(s, &version, err);
  if (rc || version >= NMIGRATIONS) return rc;
  if ((rc = sq_begin(&s->base, err))) return rc;
  /* re-read inside the write lock: another process may have migrated meanwhile */
  rc = read_user_version(s, &version, err);
  for (int v = version; v < NMIGRATIONS && !rc; v++) {
    if (sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK) {
      rc = db_err(s, err, "migration");
      break;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
    if (sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK) rc = db_err(s, err, "migration");
  }
  return sq_end(&s->base, rc, err);
}

static int sq_run_create(floe_store *b, const floe_run_rec *r, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "INSERT INTO runs (id, job, selection, status, tags, config, parent_run_id, root_run_id,"
                            " created_us, priority) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9," RUN_PRIORITY("?5") ")";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, r->id);
  bind_text(st, 2, r->job);
  bind_text(st, 3, r->selection);
  bind_text(st, 4, floe_run_status_name(r->status));
  bind_text(st, 5, r->tags_json);
  bind_text(st, 6, r->config_yaml);
  bind_text(st, 7, r->parent_run_id);
  bind_text(st, 8, r->root_run_id);
  sqlite3_bind_int64(st, 9, r->created_us ? r->created_us : floe_now_us());
  int rc = write_stmt(s, st, err);
  if (!rc) run_changed(s);
  return rc;
}

static int run_exists(sqlite_store *s, const char *id, bool *found, floe_err *err) {
  static const char sql[] = "SELECT 1 FROM runs WHERE id=?";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, id);
  int src = sqlite3_step(st);
  *found = src == SQLITE_ROW;
  int rc = src == SQLITE_ROW || src == SQLITE_DONE ? 0 : db_err(s, err, "run lookup");
  unprep(s, st);
  return rc;
}

/* One compare-and-swap UPDATE: the from statuses are ?10..?17 (unused ones NULL, which match nothing). */
static int sq_run_transition(floe_store *b, const char *id, int to, unsigned from_mask, const floe_proc_id *w,
                             const char *error, bool *changed, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] =
      "UPDATE runs SET status=?1, error=CASE WHEN error IS NULL OR ?2 IS NULL THEN COALESCE(?2, error)"
      " ELSE error || '; ' || ?2 END,"
      " start_us=CASE WHEN ?1='STARTED' THEN COALESCE(start_us, ?3) ELSE start_us END,"
      " end_us=CASE WHEN ?4 THEN ?3 ELSE end_us END,"
      " worker_pid=COALESCE(?5, worker_pid), worker_host=COALESCE(?6, worker_host),"
      " worker_boot=COALESCE(?7, worker_boot), worker_start=COALESCE(?8, worker_start),"
      " heartbeat_us=CASE WHEN ?5 IS NOT NULL THEN ?3 ELSE heartbeat_us END"
      " WHERE id=?9 AND status IN (?10,?11,?12,?13,?14,?15,?16,?17)";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, floe_run_status_name(to));
  bind_text(st, 2, error);
  sqlite3_bind_int64(st, 3, floe_now_us());
  sqlite3_bind_int(st, 4, floe_run_status_done(to));
  if (w) {
    sqlite3_bind_int(st, 5, w->pid);
    bind_text(st, 6, w->host);
    bind_text(st, 7, w->boot_id);
    bind_i64(st, 8, w->start_ticks);
  }
  bind_text(st, 9, id);
  for (int i = 0, k = 10; i < FLOE_RUN_NSTATUS && k <= 17; i++)
    if (from_mask & (1u << i)) bind_text(st, k++, floe_run_status_name(i));
  int rc = step_done(s, st, err);
  *changed = !rc && sqlite3_changes(s->db) > 0;
  unprep(s, st);
  if (*changed) run_changed(s);
  if (!rc && !*changed) {
    bool found = false;
    if ((rc = run_exists(s, id, &found, err)) == 0 && !found)
      rc = floe_err_set(err, FLOE_ENOTFOUND, "no run with id '%s'", id);
  }
  return rc;
}

static int sq_run_heartbeat(floe_store *b, const char *id, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] =
      "UPDATE runs SET heartbeat_us=?1 WHERE id=?2 AND " LIVE_STATUSES;
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int64(st, 1, floe_now_us());
  bind_text(st, 2, id);
  return write_stmt(s, st, err);
}

#define RUN_COLS                                                                                                       \
  "id, job, selection, status, tags, config, parent_run_id, root_run_id, error, worker_pid, worker_host,"            \
  " worker_boot, worker_start, created_us, start_us, end_us, heartbeat_us"

static bool read_run(floe_arena *a, sqlite3_stmt *st, void *rec) {
  floe_run_rec *r = rec;
  bool ok = true;
  const unsigned char *id = sqlite3_column_text(st, 0);
  snprintf(r->id, sizeof r->id, "%s", id ? (const char *)id : "");
  r->job = col_text_ok(a, st, 1, &ok);
  r->selection = col_text_ok(a, st, 2, &ok);
  r->status = col_status(st, 3, floe_run_status_parse);
  r->tags_json = col_text_ok(a, st, 4, &ok);
  r->config_yaml = col_text_ok(a, st, 5, &ok);
  r->parent_run_id = col_text_ok(a, st, 6, &ok);
  r->root_run_id = col_text_ok(a, st, 7, &ok);
  r->error = col_text_ok(a, st, 8, &ok);
  r->worker.pid = sqlite3_column_int(st, 9);
  r->worker.host = col_text_ok(a, st, 10, &ok);
  r->worker.boot_id = col_text_ok(a, st, 11, &ok);
  r->worker.start_ticks = sqlite3_column_int64(st, 12);
  r->created_us = sqlite3_column_int64(st, 13);
  r->start_us = sqlite3_column_int64(st, 14);
  r->end_us = sqlite3_column_int64(st, 15);
  r->heartbeat_us = sqlite3_column_int64(st, 16);
  return ok;
}

static int sq_run_get(floe_store *b, floe_arena *a, const char *id, floe_run_rec *out, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT " RUN_COLS " FROM runs WHERE id >= ?1 AND id < ?1 || 'g' ORDER BY id LIMIT 2";
  if (!*id || strlen(id) > 32) return floe_err_set(err, FLOE_ENOTFOUND, "no run '%s'", id);
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, id);
  floe_run_rec *rows;
  size_t n = 0;
  int rc = collect_rows(s, st, a, sizeof *rows, read_run, (void **)&rows, &n, err);
  if (rc) return rc;
  if (n == 0) return floe_err_set(err, FLOE_ENOTFOUND, "no run with id '%s' (see `floe run list`)", id);
  if (n > 1) return floe_err_set(err, FLOE_EINPUT, "run id prefix '%s' is ambiguous; give more characters", id);
  *out = rows[0];
  return 0;
}

/* One statement per filter shape, each served by an index in created order (no sort, no full scan):
 * runs_created, runs_status, runs_job. A `?1 < 0 OR status = ?1` form would defeat them all. */
#define RUN_LIST(where) "SELECT " RUN_COLS " FROM runs WHERE " where "created_us >= ?3 ORDER BY created_us DESC, id DESC LIMIT ?4"
static const char *const run_list_sql[4] = {
    RUN_LIST(""),
    RUN_LIST("status = ?1 AND "),
    RUN_LIST("job = ?2 AND "),
    RUN_LIST("status = ?1 AND job = ?2 AND "),
};

static int sq_run_list(floe_store *b, floe_arena *a, const floe_run_filter *f, floe_run_rec **out, size_t *n,
                       floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  bool by_status = f && f->status >= 0, by_job = f && f->job;
  sqlite3_stmt *st = prep(s, run_list_sql[by_status | by_job << 1], err);
  if (!st) return FLOE_EDB;
  if (by_status) bind_text(st, 1, floe_run_status_name(f->status));
  if (by_job) bind_text(st, 2, f->job);
  sqlite3_bind_int64(st, 3, f ? f->since_us : 0);
  sqlite3_bind_int(st, 4, f && f->limit > 0 ? f->limit : 50);
  return collect_rows(s, st, a, sizeof **out, read_run, (void **)out, n, err);
}

static int sq_run_list_stale(floe_store *b, floe_arena *a, int64_t before_us, floe_run_rec **out, size_t *n,
                             floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT " RUN_COLS " FROM runs WHERE " LIVE_STATUSES
                            " AND COALESCE(heartbeat_us, created_us) < ?1 LIMIT 1000";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int64(st, 1, before_us);
  return collect_rows(s, st, a, sizeof **out, read_run, (void **)out, n, err);
}

static int sq_step_upsert(floe_store *b, const floe_step_rec *r, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] =
      "INSERT INTO steps (run_id, asset_key, status, attempt, pid, pid_boot, pid_start, start_us, end_us, error,"
      " log_out, log_err) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(run_id, asset_key) DO UPDATE SET"
      " status=excluded.status, attempt=excluded.attempt, pid=excluded.pid, pid_boot=excluded.pid_boot,"
      " pid_start=excluded.pid_start, start_us=COALESCE(excluded.start_us, start_us), end_us=excluded.end_us,"
      " error=excluded.error, log_out=COALESCE(excluded.log_out, log_out), log_err=COALESCE(excluded.log_err, log_err)";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, r->run_id);
  bind_text(st, 2, r->asset_key);
  bind_text(st, 3, floe_step_status_name(r->status));
  sqlite3_bind_int(st, 4, r->attempt);
  bind_i64(st, 5, r->proc.pid);
  bind_text(st, 6, r->proc.pid ? r->proc.boot_id : NULL);
  bind_i64(st, 7, r->proc.pid ? r->proc.start_ticks : 0);
  bind_i64(st, 8, r->start_us);
  bind_i64(st, 9, r->end_us);
  bind_text(st, 10, r->error);
  bind_text(st, 11, r->log_out);
  bind_text(st, 12, r->log_err);
  return write_stmt(s, st, err);
}

static bool read_step(floe_arena *a, sqlite3_stmt *st, void *rec) {
  floe_step_rec *r = rec;
  bool ok = true;
  r->run_id = col_text_ok(a, st, 0, &ok);
  r->asset_key = col_text_ok(a, st, 1, &ok);
  r->status = col_status(st, 2, floe_step_status_parse);
  r->attempt = sqlite3_column_int(st, 3);
  r->proc.pid = sqlite3_column_int(st, 4);
  r->proc.boot_id = col_text_ok(a, st, 5, &ok);
  r->proc.start_ticks = sqlite3_column_int64(st, 6);
  r->start_us = sqlite3_column_int64(st, 7);
  r->end_us = sqlite3_column_int64(st, 8);
  r->error = col_text_ok(a, st, 9, &ok);
  r->log_out = col_text_ok(a, st, 10, &ok);
  r->log_err = col_text_ok(a, st, 11, &ok);
  return ok;
}

static int sq_step_list(floe_store *b, floe_arena *a, const char *run_id, floe_step_rec **out, size_t *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT run_id, asset_key, status, attempt, pid, pid_boot, pid_start, start_us, end_us,"
                            " error, log_out, log_err FROM steps WHERE run_id=? ORDER BY COALESCE(start_us, 9e18), rowid";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, run_id);
  return collect_rows(s, st, a, sizeof **out, read_step, (void **)out, n, err);
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
  return write_stmt(s, st, err);
}

static bool read_event(floe_arena *a, sqlite3_stmt *st, void *rec) {
  floe_event_rec *r = rec;
  bool ok = true;
  r->id = sqlite3_column_int64(st, 0);
  r->run_id = col_text_ok(a, st, 1, &ok);
  r->asset_key = col_text_ok(a, st, 2, &ok);
  r->type = col_text_ok(a, st, 3, &ok);
  r->level = col_text_ok(a, st, 4, &ok);
  r->message = col_text_ok(a, st, 5, &ok);
  r->data_json = col_text_ok(a, st, 6, &ok);
  r->ts_us = sqlite3_column_int64(st, 7);
  return ok;
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
  return collect_rows(s, st, a, sizeof **out, read_event, (void **)out, n, err);
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
  return write_stmt(s, st, err);
}

static bool read_mat(floe_arena *a, sqlite3_stmt *st, void *rec) {
  floe_materialization_rec *r = rec;
  bool ok = true;
  r->asset_key = col_text_ok(a, st, 0, &ok);
  r->run_id = col_text_ok(a, st, 1, &ok);
  r->metadata_json = col_text_ok(a, st, 2, &ok);
  r->ts_us = sqlite3_column_int64(st, 3);
  return ok;
}

static int sq_mat_list(floe_store *b, floe_arena *a, floe_materialization_rec **out, size_t *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT asset_key, run_id, metadata, ts_us FROM materializations ORDER BY asset_key";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  return collect_rows(s, st, a, sizeof **out, read_mat, (void **)out, n, err);
}

typedef struct asset_status_row {
  const char *key;
  int status;
} asset_status_row;

static bool read_asset_status(floe_arena *a, sqlite3_stmt *st, void *rec) {
  asset_status_row *r = rec;
  bool ok = true;
  r->key = col_text_ok(a, st, 0, &ok);
  r->status = col_status(st, 1, floe_step_status_parse);
  return ok && r->key;
}

static int sq_asset_last_status(floe_store *b, floe_arena *a, const char ***keys, int **sts, size_t *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT asset_key, status FROM asset_status ORDER BY asset_key";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  asset_status_row *rows;
  int rc = collect_rows(s, st, a, sizeof *rows, read_asset_status, (void **)&rows, n, err);
  if (rc) return rc;
  const char **ka = floe_arena_alloc(a, sizeof *ka * (*n + 1));
  int *sa = floe_arena_alloc(a, sizeof *sa * (*n + 1));
  if (!ka || !sa) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; i < *n; i++) {
    ka[i] = rows[i].key;
    sa[i] = rows[i].status;
  }
  *keys = ka;
  *sts = sa;
  return 0;
}

/* ---- the daemon's lease and components, the run queue */

static int sq_daemon_claim(floe_store *b, const floe_daemon_rec *me, int64_t stale_before_us, const char *replace_owner,
                           bool *won, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  /* one statement: the row is taken only when free, released, stale, or held by the proven-dead replace_owner */
  static const char sql[] =
      "INSERT INTO daemon_lease (name, owner, pid, host, boot_id, start_ticks, started_us, heartbeat_us, stopped_us)"
      " VALUES ('daemon', ?1, ?2, ?3, ?4, ?5, ?6, ?6, NULL) ON CONFLICT(name) DO UPDATE SET owner=excluded.owner,"
      " pid=excluded.pid, host=excluded.host, boot_id=excluded.boot_id, start_ticks=excluded.start_ticks,"
      " started_us=excluded.started_us, heartbeat_us=excluded.heartbeat_us, stopped_us=NULL"
      " WHERE daemon_lease.heartbeat_us IS NULL OR daemon_lease.heartbeat_us < ?7 OR daemon_lease.owner = ?8";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, me->owner);
  sqlite3_bind_int(st, 2, me->proc.pid);
  bind_text(st, 3, me->proc.host);
  bind_text(st, 4, me->proc.boot_id);
  bind_i64(st, 5, me->proc.start_ticks);
  sqlite3_bind_int64(st, 6, floe_now_us());
  sqlite3_bind_int64(st, 7, stale_before_us);
  bind_text(st, 8, replace_owner);
  int rc = step_done(s, st, err);
  *won = !rc && sqlite3_changes(s->db) > 0;
  unprep(s, st);
  return rc;
}

static bool read_daemon(floe_arena *a, sqlite3_stmt *st, void *rec) {
  floe_daemon_rec *r = rec;
  bool ok = true;
  const unsigned char *o = sqlite3_column_text(st, 0);
  snprintf(r->owner, sizeof r->owner, "%s", o ? (const char *)o : "");
  r->proc.pid = sqlite3_column_int(st, 1);
  r->proc.host = col_text_ok(a, st, 2, &ok);
  r->proc.boot_id = col_text_ok(a, st, 3, &ok);
  r->proc.start_ticks = sqlite3_column_int64(st, 4);
  r->started_us = sqlite3_column_int64(st, 5);
  r->heartbeat_us = sqlite3_column_int64(st, 6);
  r->stopped_us = sqlite3_column_int64(st, 7);
  return ok;
}

static int sq_daemon_get(floe_store *b, floe_arena *a, floe_daemon_rec *out, bool *found, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT owner, pid, host, boot_id, start_ticks, started_us, heartbeat_us, stopped_us"
                            " FROM daemon_lease WHERE name = 'daemon'";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  floe_daemon_rec *rows;
  size_t n = 0;
  int rc = collect_rows(s, st, a, sizeof *rows, read_daemon, (void **)&rows, &n, err);
  *found = !rc && n > 0;
  if (*found) *out = rows[0];
  return rc;
}

static int sq_daemon_renew(floe_store *b, const char *owner, bool *held, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "UPDATE daemon_lease SET heartbeat_us = ?1 WHERE name = 'daemon' AND owner = ?2"
                            " AND heartbeat_us IS NOT NULL";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int64(st, 1, floe_now_us());
  bind_text(st, 2, owner);
  int rc = step_done(s, st, err);
  *held = !rc && sqlite3_changes(s->db) > 0;
  unprep(s, st);
  return rc;
}

static int sq_daemon_release(floe_store *b, const char *owner, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "UPDATE daemon_lease SET heartbeat_us = NULL, stopped_us = ?1 WHERE name = 'daemon'"
                            " AND owner = ?2";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int64(st, 1, floe_now_us());
  bind_text(st, 2, owner);
  return write_stmt(s, st, err);
}

static int sq_component_put(floe_store *b, const floe_component_rec *c, bool set_cursor, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] =
      "INSERT INTO daemon_components (name, heartbeat_us, error, cursor) VALUES (?1, ?2, ?3, ?4)"
      " ON CONFLICT(name) DO UPDATE SET heartbeat_us = excluded.heartbeat_us, error = excluded.error,"
      " cursor = CASE WHEN ?5 THEN excluded.cursor ELSE daemon_components.cursor END";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, c->name);
  sqlite3_bind_int64(st, 2, c->heartbeat_us ? c->heartbeat_us : floe_now_us());
  bind_text(st, 3, c->error);
  bind_i64(st, 4, c->cursor);
  sqlite3_bind_int(st, 5, set_cursor);
  return write_stmt(s, st, err);
}

static bool read_component(floe_arena *a, sqlite3_stmt *st, void *rec) {
  floe_component_rec *r = rec;
  bool ok = true;
  r->name = col_text_ok(a, st, 0, &ok);
  r->heartbeat_us = sqlite3_column_int64(st, 1);
  r->error = col_text_ok(a, st, 2, &ok);
  r->cursor = sqlite3_column_int64(st, 3);
  return ok;
}

static int sq_component_list(floe_store *b, floe_arena *a, floe_component_rec **out, size_t *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT name, heartbeat_us, error, cursor FROM daemon_components ORDER BY name";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  return collect_rows(s, st, a, sizeof **out, read_component, (void **)out, n, err);
}

static int sq_run_list_queued(floe_store *b, floe_arena *a, int offset, int limit, floe_run_rec **out, size_t *n,
                              floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT " RUN_COLS " FROM runs WHERE status = 'QUEUED'"
                            " ORDER BY priority DESC, created_us, id LIMIT ?1 OFFSET ?2";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  sqlite3_bind_int(st, 1, limit > 0 ? limit : 100);
  sqlite3_bind_int(st, 2, offset > 0 ? offset : 0);
  return collect_rows(s, st, a, sizeof **out, read_run, (void **)out, n, err);
}

static int sq_run_list_in(floe_store *b, floe_arena *a, int status, int limit, floe_run_rec **out, size_t *n,
                          floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT " RUN_COLS " FROM runs WHERE status = ?1 LIMIT ?2";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, floe_run_status_name(status));
  sqlite3_bind_int(st, 2, limit > 0 ? limit : 10000);
  return collect_rows(s, st, a, sizeof **out, read_run, (void **)out, n, err);
}

static int sq_run_list_ended(floe_store *b, floe_arena *a, int status, int64_t after_us, int limit, floe_run_rec **out,
                             size_t *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT " RUN_COLS " FROM runs WHERE status = ?1 AND end_us > ?2 ORDER BY end_us LIMIT ?3";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, floe_run_status_name(status));
  sqlite3_bind_int64(st, 2, after_us);
  sqlite3_bind_int(st, 3, limit > 0 ? limit : 100);
  return collect_rows(s, st, a, sizeof **out, read_run, (void **)out, n, err);
}

static int sq_run_count_children(floe_store *b, const char *parent_id, int *n, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT count(*) FROM runs WHERE parent_run_id = ?1";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, parent_id);
  int src = sqlite3_step(st);
  *n = src == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  int rc = src == SQLITE_ROW ? 0 : db_err(s, err, "count children");
  unprep(s, st);
  return rc;
}

static void *sq_handle(floe_store *b) { return ((sqlite_store *)b)->db; }

/* ---- the Iceberg SQL catalog */

#define CATALOG_TABLE "catalog_name=? AND table_namespace=? AND table_name=?"
#define IS_TABLE "(iceberg_type IS NULL OR iceberg_type='TABLE')"

static int sq_catalog_get(floe_store *b, floe_arena *a, const char *catalog, const char *ns, const char *name,
                          const char **loc, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT metadata_location FROM iceberg_tables WHERE " CATALOG_TABLE " AND " IS_TABLE;
  *loc = NULL;
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, catalog);
  bind_text(st, 2, ns);
  bind_text(st, 3, name);
  int src = sqlite3_step(st), rc = 0;
  bool ok = true;
  if (src == SQLITE_ROW) *loc = col_text_ok(a, st, 0, &ok);
  if (!ok) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  else if (src == SQLITE_DONE) rc = floe_err_set(err, FLOE_ENOTFOUND, "no table %s.%s in the lake catalog", ns, name);
  else if (src != SQLITE_ROW) rc = db_err(s, err, "catalog lookup");
  else if (!*loc) rc = floe_err_set(err, FLOE_EFORMAT, "table %s.%s: the catalog has no metadata_location", ns, name);
  unprep(s, st);
  return rc;
}

static bool read_catalog_entry(floe_arena *a, sqlite3_stmt *st, void *rec) {
  floe_catalog_entry *r = rec;
  bool ok = true;
  r->ns = col_text_ok(a, st, 0, &ok);
  r->name = col_text_ok(a, st, 1, &ok);
  r->metadata_location = col_text_ok(a, st, 2, &ok);
  if (ok && !r->ns) r->ns = "";
  if (ok && !r->name) r->name = "";
  return ok;
}

static int sq_catalog_list(floe_store *b, floe_arena *a, const char *catalog, floe_catalog_entry **out, size_t *n,
                           floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "SELECT table_namespace, table_name, metadata_location FROM iceberg_tables"
                            " WHERE catalog_name=? AND " IS_TABLE " ORDER BY 1, 2";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, catalog);
  return collect_rows(s, st, a, sizeof **out, read_catalog_entry, (void **)out, n, err);
}

/* Runs a catalog write; *changed = rows it changed. Outside a transaction it commits durably on its own. */
static int catalog_write(sqlite_store *s, sqlite3_stmt *st, int *changed, floe_err *err) {
  bool own = s->depth == 0;
  int rc = own ? sq_catalog_begin(&s->base, err) : 0;
  if (!rc) {
    rc = step_done(s, st, err);
    *changed = rc ? 0 : sqlite3_changes(s->db);
  }
  unprep(s, st);
  return own ? sq_end_sync(&s->base, rc, err) : rc;
}

static int catalog_create(sqlite_store *s, const char *catalog, const char *ns, const char *name, const char *loc,
                          floe_err *err) {
  /* A namespace exists when it has a property row (as pyiceberg writes it). */
  static const char ns_sql[] = "INSERT OR IGNORE INTO iceberg_namespace_properties VALUES (?, ?, 'exists', 'true')";
  static const char sql[] = "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name,"
                            " metadata_location, previous_metadata_location, iceberg_type)"
                            " VALUES (?, ?, ?, ?, NULL, 'TABLE') ON CONFLICT DO NOTHING";
  int rc = sq_catalog_begin(&s->base, err), changed = 0;
  sqlite3_stmt *st = rc ? NULL : prep(s, ns_sql, err);
  if (!rc && !st) rc = FLOE_EDB;
  if (!rc) {
    bind_text(st, 1, catalog);
    bind_text(st, 2, ns);
    rc = catalog_write(s, st, &changed, err);
  }
  if (!rc && !(st = prep(s, sql, err))) rc = FLOE_EDB;
  if (!rc) {
    bind_text(st, 1, catalog);
    bind_text(st, 2, ns);
    bind_text(st, 3, name);
    bind_text(st, 4, loc);
    rc = catalog_write(s, st, &changed, err);
    if (!rc && changed != 1) rc = floe_err_set(err, FLOE_ECONFLICT, "table %s.%s already exists in the catalog", ns, name);
  }
  return sq_end_sync(&s->base, rc, err);
}

static int sq_catalog_swap(floe_store *b, const char *catalog, const char *ns, const char *name, const char *old,
                           const char *new_loc, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  if (!old) return catalog_create(s, catalog, ns, name, new_loc, err);
  static const char sql[] = "UPDATE iceberg_tables SET metadata_location=?, previous_metadata_location=?"
                            " WHERE " CATALOG_TABLE " AND metadata_location=?";
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, new_loc);
  bind_text(st, 2, old);
  bind_text(st, 3, catalog);
  bind_text(st, 4, ns);
  bind_text(st, 5, name);
  bind_text(st, 6, old);
  int changed = 0, rc = catalog_write(s, st, &changed, err);
  if (!rc && changed != 1) rc = floe_err_set(err, FLOE_ECONFLICT, "table %s.%s was changed concurrently", ns, name);
  return rc;
}

static int sq_catalog_drop(floe_store *b, const char *catalog, const char *ns, const char *name, floe_err *err) {
  sqlite_store *s = (sqlite_store *)b;
  static const char sql[] = "DELETE FROM iceberg_tables WHERE " CATALOG_TABLE " AND " IS_TABLE;
  sqlite3_stmt *st = prep(s, sql, err);
  if (!st) return FLOE_EDB;
  bind_text(st, 1, catalog);
  bind_text(st, 2, ns);
  bind_text(st, 3, name);
  int changed = 0, rc = catalog_write(s, st, &changed, err);
  if (!rc && !changed) rc = floe_err_set(err, FLOE_ENOTFOUND, "no table %s.%s in the lake catalog", ns, name);
  return rc;
}

static const floe_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .end = sq_end_sync,
    .run_create = sq_run_create,
    .run_transition = sq_run_transition,
    .run_heartbeat = sq_run_heartbeat,
    .run_list_stale = sq_run_list_stale,
    .run_get = sq_run_get,
    .run_list = sq_run_list,
    .step_upsert = sq_step_upsert,
    .step_list = sq_step_list,
    .event_append = sq_event_append,
    .event_list = sq_event_list,
    .mat_put = sq_mat_put,
    .mat_list = sq_mat_list,
    .asset_last_status = sq_asset_last_status,
    .sqlite_handle = sq_handle,
    .catalog_begin = sq_catalog_begin,
    .catalog_get = sq_catalog_get,
    .catalog_list = sq_catalog_list,
    .catalog_swap = sq_catalog_swap,
    .catalog_drop = sq_catalog_drop,
    .daemon_claim = sq_daemon_claim,
    .daemon_get = sq_daemon_get,
    .daemon_renew = sq_daemon_renew,
    .daemon_release = sq_daemon_release,
    .component_put = sq_component_put,
    .component_list = sq_component_list,
    .run_list_queued = sq_run_list_queued,
    .run_list_in = sq_run_list_in,
    .run_list_ended = sq_run_list_ended,
    .run_count_children = sq_run_count_children,
    .notify = sq_notify,
    .listen = sq_listen,
    .listen_drain = sq_listen_drain,
};

/* Waiting for another connection's lock. SQLite's own busy timeout sleeps 1, 2, 5, 10, 15, 20, 25 ... ms between
 * tries, so a writer whose lock frees 100 us later (the run queue claiming a run while a worker commits) sleeps
 * milliseconds. This one tries again every 100 us at first, backing off to 2 ms, for up to 10 s in all. */
static int busy_wait(void *ud, int n) {
  sqlite_store *s = ud;
  if (n == 0) s->busy_since = floe_mono_us();
  if (floe_mono_us() - s->busy_since > 10000000) return 0;
  struct timespec ts = {0, (n < 20 ? 100 : n < 100 ? 500 : 2000) * 1000L + (long)(floe_random_u64() % 100000)};
  nanosleep(&ts, NULL);
  return 1;
}

int floe_store_sqlite_open(const char *path, floe_store **out, floe_err *err) {
  *out = NULL;
  sqlite_store *s = floe_calloc(1, sizeof *s);
  if (!s) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  s->base.ops = &sqlite_ops;
  s->listen_fd = -1;
  if (strcmp(path, ":memory:") && !(s->wake_path = floe_malloc(strlen(path) + 6))) {
    floe_free(s);
    return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  if (s->wake_path) sprintf(s->wake_path, "%s-wake", path);
  /* 0600: SQLite gives its -wal and -shm files the database file's mode (docs/security.md). A failure is
   * SQLite's to report, just below. */
  floe_err ignore = {0};
  if (strcmp(path, ":memory:") && floe_file_create(path, 0600, &ignore)) {
  }
  int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    rc = floe_err_set(err, FLOE_EDB, "cannot open instance database %s: %s", path,
                      s->db ? sqlite3_errmsg(s->db) : "out of memory");
    goto fail;
  }
  sqlite3_busy_handler(s->db, busy_wait, s);
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
  floe_free(s->wake_path);
  floe_free(s);
  return rc;
}
