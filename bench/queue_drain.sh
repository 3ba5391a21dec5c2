#!/usr/bin/env bash
# Run queue drain: N queued no-op runs (one `true` step each) with run_queue.max_concurrent_runs 4, drained by
# `floe daemon`. Prints the gap between a run ending and the queue starting the next one (the slot's refill:
# the run's end_us to the next RUN_DEQUEUED event; target median < 10 ms — Dagster dequeues on a 5 s poll) and
# to that run being STARTED (includes the worker process's own start), median and p95, and the total drain
# time. Peer, measured in the same run: the same N runs with no queue, launched 4 at a time by `xargs -P 4`.
# usage: bench/queue_drain.sh [N_RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
FLOE=${FLOE_BIN:-$PWD/build/floe}
W=$(mktemp -d /tmp/floe-bench.XXXXXX)
D=
trap '[ -n "$D" ] && kill -TERM $D 2>/dev/null; rm -rf $W' EXIT
mkdir -p $W/q/assets $W/peer/assets
for d in q peer; do
  printf 'assets:\n  - {key: noop, kind: command, command: ["true"]}\n' > $W/$d/assets/a.yaml
  printf 'name: %s\njobs: [{name: noop, selection: "*"}]\n' $d > $W/$d/floe.yaml
done
printf 'run_queue: {max_concurrent_runs: 4}\n' >> $W/q/floe.yaml
now() { date +%s.%N; }
db() { sqlite3 -cmd ".timeout 10000" $W/q/.floe/floe.db "$1"; }

# the queue: N runs queued with no daemon, then the daemon drains them
for i in $(seq $N); do $FLOE -p $W/q job launch noop --detach >/dev/null 2>&1; done
s=$(now)
$FLOE -p $W/q daemon 2> $W/daemon.log & D=$!
until [ "$(db "select count(*) from runs where status in ('QUEUED','STARTING','STARTED')")" = 0 ]; do sleep 0.05; done
t_queue=$(echo "$(now) - $s" | bc)
kill -TERM $D; wait $D; D=
ok=$(db "select count(*) from runs where status='SUCCESS'")

# the peer: no queue, 4 launches at a time
s=$(now)
seq $N | xargs -P 4 -I{} $FLOE -p $W/peer job launch noop >/dev/null 2>&1
t_peer=$(echo "$(now) - $s" | bc)

# gaps: for each dequeue after the first 4, since the latest run end before it
db "select 'E', end_us from runs where end_us is not null union all
    select 'D', ts_us from events where type='RUN_DEQUEUED' union all
    select 'S', start_us from runs where start_us is not null" > $W/points
python3 - $W/points <<'PY'
import sys, statistics
pts = [l.strip().split('|') for l in open(sys.argv[1]) if l.strip()]
ends = sorted(int(t) for k, t in pts if k == 'E')
deq = sorted(int(t) for k, t in pts if k == 'D')
starts = sorted(int(t) for k, t in pts if k == 'S')
import bisect
def gaps(points):
    out = []
    for t in points[4:]:
        i = bisect.bisect_left(ends, t)
        if i: out.append((t - ends[i - 1]) / 1000.0)
    return out
def show(name, g):
    g = sorted(g)
    if not g: print(f"  {name}: no data"); return
    p95 = g[min(len(g) - 1, int(len(g) * 0.95))]
    print(f"  {name:<34} median {statistics.median(g):7.2f} ms   p95 {p95:7.2f} ms   ({len(g)} gaps)")
show("run end -> next run dequeued", gaps(deq))
show("run end -> next run STARTED", gaps(starts))
PY
printf '  %d runs, %d succeeded; max_concurrent_runs 4\n' $N $ok
printf '  queue drain (floe daemon)      %8.3f s\n  peer: no queue, xargs -P 4     %8.3f s   queue/peer = %.2fx\n' \
  $t_queue $t_peer $(echo "$t_queue / $t_peer" | bc -l)
echo "  (Dagster's queued run coordinator dequeues on a 5 s poll: dequeue_interval_seconds default 5)"
