#!/usr/bin/env bash
# History does not slow the instance: an instance store holding 100,000 runs (300,000 steps, 500,000 events)
# and the four commands that read it on every visit — `floe run list`, `run list --status S`,
# `run list --job J`, `asset list` — each timed as a whole process (median of R runs), next to the sqlite3
# CLI running the same queries alone on the same file (the floor: process start + open + query).
# Before (issue 9.2, same data): 322, 171, 148 and 397 ms — full-table sorts, a window function over all
# steps, `(?1 < 0 OR status = ?1)` filters that defeated the indexes, a reaper listing every live status.
# Target: every floe command under 20 ms. EXPLAIN QUERY PLAN must show an index, no temp b-tree, no scan.
# usage: bench/store_history.sh [RUNS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}; R=${2:-21}
FLOE=$PWD/build/floe
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI is required" >&2; exit 1; }
W=$(mktemp -d /tmp/floe-bench.XXXXXX); trap 'rm -rf $W' EXIT
P=$W/proj; mkdir -p $P/assets
echo "name: history" > $P/floe.yaml
{ echo "assets:"; for i in $(seq 0 29); do echo "  - {key: asset_$i, kind: command, command: [\"true\"]}"; done; } > $P/assets/a.yaml
$FLOE -p $P run list >/dev/null  # creates and migrates the store
DB=$P/.floe/floe.db
# the history, generated in SQL (seconds, not 100,000 real runs)
t0=$(date +%s.%N)
sqlite3 $DB <<SQL
PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $N)
INSERT INTO runs (id, job, selection, status, created_us, start_us, end_us, heartbeat_us)
SELECT printf('%032x', i), CASE WHEN i % 2 THEN 'job_' || (i % 10) END, '*',
       CASE WHEN i % 50 = 0 THEN 'CANCELED' WHEN i % 10 = 0 THEN 'FAILURE' ELSE 'SUCCESS' END,
       1700000000000000 + i * 60000000, 1700000000000000 + i * 60000000 + 1000,
       1700000000000000 + i * 60000000 + 5000000, 1700000000000000 + i * 60000000 + 5000000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $N * 3)
INSERT INTO steps (run_id, asset_key, status, attempt, start_us, end_us)
SELECT printf('%032x', i / 3), 'asset_' || ((i / 3 + i % 3 * 7) % 30), CASE WHEN i % 40 = 0 THEN 'FAILURE' ELSE 'SUCCESS' END,
       0, 1700000000000000 + i / 3 * 60000000 + 1000, 1700000000000000 + i / 3 * 60000000 + 4000000 FROM n WHERE true
ON CONFLICT DO NOTHING;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $N * 5)
INSERT INTO events (run_id, asset_key, type, level, message, ts_us)
SELECT printf('%032x', i / 5), NULL, CASE i % 5 WHEN 0 THEN 'RUN_START' WHEN 4 THEN 'RUN_SUCCESS' ELSE 'LOG' END,
       'info', 'event ' || i, 1700000000000000 + i / 5 * 60000000 + i % 5 FROM n;
INSERT INTO materializations (asset_key, run_id, metadata, ts_us)
SELECT 'asset_' || i, printf('%032x', $N - 1), '{"rows": 1}', 1700000000000000 FROM (SELECT value AS i FROM generate_series(0, 29));
COMMIT;
SQL
printf 'instance: %s runs, %s steps, %s events (%.1f s to generate, %s MB)\n' \
  "$(sqlite3 $DB 'select count(*) from runs')" "$(sqlite3 $DB 'select count(*) from steps')" \
  "$(sqlite3 $DB 'select count(*) from events')" "$(echo "$(date +%s.%N) - $t0" | bc)" "$(($(stat -c %s $DB) / 1048576))"

COLS="id, job, selection, status, tags, config, parent_run_id, root_run_id, error, worker_pid, worker_host, worker_boot, worker_start, created_us, start_us, end_us, heartbeat_us"
STALE="SELECT $COLS FROM runs WHERE status IN ('STARTING','STARTED','CANCELING') AND COALESCE(heartbeat_us, created_us) < 9e18 LIMIT 1000"
Q_LIST="SELECT $COLS FROM runs WHERE created_us >= 0 ORDER BY created_us DESC, id DESC LIMIT 50"
Q_STATUS="SELECT $COLS FROM runs WHERE status = 'FAILURE' AND created_us >= 0 ORDER BY created_us DESC, id DESC LIMIT 50"
Q_JOB="SELECT $COLS FROM runs WHERE job = 'job_3' AND created_us >= 0 ORDER BY created_us DESC, id DESC LIMIT 50"
Q_ASSET="SELECT asset_key, status FROM asset_status ORDER BY asset_key"
echo "query plans (the store's statements):"
plan_ok=1
for q in "$Q_LIST" "$Q_STATUS" "$Q_JOB" "$Q_ASSET" "$STALE"; do
  plan=$(sqlite3 $DB "EXPLAIN QUERY PLAN $q" | sed -n 's/^[|` -]*//p' | paste -sd';')
  printf '  %-90.90s  %s\n' "${q#SELECT $COLS }" "$plan"
  case "$plan" in *"TEMP B-TREE"*|*"SCAN runs"|*"SCAN runs;"*|*"SCAN steps"*) plan_ok=0;; esac
  case "$plan" in *"USING INDEX"*) ;; *) plan_ok=0;; esac
done
[ $plan_ok = 1 ] && echo "  every query uses an index, no temp b-tree" || echo "  WARNING: a query scans or sorts a whole table"

python3 - "$R" "$FLOE" "$P" "$DB" "$Q_LIST" "$Q_STATUS" "$Q_JOB" "$Q_ASSET" "$STALE" <<'PY'
import statistics, subprocess, sys, time
R, floe, proj, db = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
new, stale = sys.argv[5:9], sys.argv[9]
def med(cmd):
    ts = []
    for _ in range(R):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)
cmds = [("run list", ["run", "list"]), ("run list --status FAILURE", ["run", "list", "--status", "FAILURE"]),
        ("run list --job job_3", ["run", "list", "--job", "job_3"]), ("asset list", ["asset", "list"])]
print(f"median of {R} runs, whole processes:")
print(f"  {'command':28} {'floe':>8} {'sqlite3, same queries':>22} {'floe/sqlite3':>13}")
worst = 0
for (name, args), q in zip(cmds, new):
    # floe also reaps stale runs before listing (one indexed query): the peer runs it too
    tf = med([floe, "-p", proj] + args)
    ts = med(["sqlite3", db, stale + ";" + q])
    worst = max(worst, tf)
    print(f"  {name:28} {tf:6.1f}ms {ts:20.1f}ms {tf / ts:12.2f}x")
print(f"slowest floe command: {worst:.1f} ms (target < 20 ms)")
PY
