# The run queue (run_queue: in floe.yaml), with a real daemon: max_concurrent_runs 2 with 6 runs never has more
# than 2 runs live at once (checked from the store: dequeue and end times), the freed slot is refilled on the
# run's end; tag_concurrency_limits (a value, and per unique value) hold runs back without blocking others;
# dagster/priority decides the order (FIFO within a priority); a queued run is cancelled at once; bad
# run_queue: keys are load errors with file:line:col.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
MARK=floe-dqueue-$$-$RANDOM
write_yaml() {
cat > $P/floe.yaml <<Y
name: dqueue
run_queue:
  max_concurrent_runs: $1
  tag_concurrency_limits:
    - {key: dagster/concurrency_key, value: sqlmesh, limit: 1}
    - {key: team, value: {applyLimitPerUniqueValue: true}, limit: 1}
jobs:
  - {name: plain, selection: "*"}
  - {name: sqlmesh, selection: "*", tags: {dagster/concurrency_key: sqlmesh}}
  - {name: team_a, selection: "*", tags: {team: a}}
  - {name: team_b, selection: "*", tags: {team: b}}
  - {name: high, selection: "*", tags: {dagster/priority: "5"}}
  - {name: low, selection: "*", tags: {dagster/priority: "-1"}}
Y
}
write_yaml 2
cat > $P/assets/a.yaml <<Y
assets:
  - key: a
    kind: command
    command: ["sh", "-c", "echo \$FLOE_RUN_ID >> order; while [ ! -f go ]; do python3 -c 'import time; time.sleep(0.05)' $MARK; done"]
Y
db() { sqlite3 -cmd ".timeout 10000" $P/.floe/floe.db "$1"; }
count() { db "select count(*) from runs where status in ($1)"; }
counts_are() { [ "$(count "'STARTING','STARTED'")" = "$1" ] && [ "$(count "'QUEUED'")" = "$2" ]; }
all_done() { [ "$(count "'QUEUED','STARTING','STARTED','CANCELING'")" = 0 ]; }
D=
trap 'r=$?; [ -n "$D" ] && kill -TERM $D 2>/dev/null; touch $P/go; (exit $r); cleanup' EXIT
start_daemon() { $FLOE -p $P daemon 2>> $T/daemon.log & D=$!; wait_for $FLOE -p $P daemon status; }
stop_daemon() { kill -TERM $D; wait $D || fail "daemon: $(cat $T/daemon.log)"; D=; }
# the most runs live at once, from the store: each run is live from its dequeue event to its end
max_overlap() {
  db "select e.ts_us, 1 from events e where e.type='RUN_DEQUEUED' union all select end_us, -1 from runs where end_us is not null" |
    sort -t'|' -k1,1n -k2,2n | awk -F'|' '{c+=$2; if (c>m) m=c} END {print m+0}'
}

# 1) max_concurrent_runs: 2 with 6 runs
start_daemon
for i in 1 2 3 4 5 6; do $FLOE -p $P job launch plain --detach > /dev/null; done
wait_for counts_are 2 4
touch $P/go
wait_for all_done
[ "$(count "'SUCCESS'")" = 6 ] || fail "not all succeeded: $(db 'select status, error from runs')"
[ "$(max_overlap)" = 2 ] || fail "at most 2 live runs expected, saw $(max_overlap)"
[ "$(db "select count(*) from events where type='RUN_DEQUEUED'")" = 6 ] || fail "dequeue events"
rm -f $P/go

# 2) tag limits: one sqlmesh run at a time, one per team value; others pass the blocked ones
stop_daemon; write_yaml 10; start_daemon
S1=$($FLOE -p $P job launch sqlmesh --detach); S2=$($FLOE -p $P job launch sqlmesh --detach)
A1=$($FLOE -p $P job launch team_a --detach); A2=$($FLOE -p $P job launch team_a --detach)
B1=$($FLOE -p $P job launch team_b --detach); X1=$($FLOE -p $P job launch plain --detach)
st() { db "select status from runs where id='$1'"; }
live() { case "$(st $1)" in STARTING|STARTED) return 0;; esac; return 1; }
wait_for live $S1; wait_for live $A1; wait_for live $B1; wait_for live $X1
[ "$(st $S2)" = QUEUED ] && [ "$(st $A2)" = QUEUED ] || fail "tag limits not applied: $(db 'select id, status, tags from runs where status<>"SUCCESS"')"
touch $P/go
wait_for all_done
[ "$(count "'SUCCESS'")" = 12 ] || fail "tag-limited runs did not all run"
rm -f $P/go

# 3) priority: with one slot, a blocker runs; then low, plain, high, plain2 queue; high runs first, then the
#    two plain ones in launch order, then low
stop_daemon; write_yaml 1; start_daemon
BL=$($FLOE -p $P job launch plain --detach); wait_for live $BL
L=$($FLOE -p $P job launch low --detach); N1=$($FLOE -p $P job launch plain --detach)
H=$($FLOE -p $P job launch high --detach); N2=$($FLOE -p $P job launch plain --detach)
# 4) a queued run is cancelled at once
C=$($FLOE -p $P job launch plain --detach)
expect_rc 0 $FLOE -p $P run cancel $C
expect_out CANCELED
[ "$(st $C)" = CANCELED ] || fail "queued run not cancelled at once"
rm -f $P/order
touch $P/go
wait_for all_done
[ "$(cat $P/order | tr '\n' ' ')" = "$H $N1 $N2 $L " ] || fail "dequeue order: $(cat $P/order | tr '\n' ' ') (want $H $N1 $N2 $L)"
stop_daemon

# 5) bad keys at load: file:line:col and did-you-mean
cat > $P/floe.yaml <<Y
name: dqueue
run_queue:
  max_concurent_runs: 2
Y
expect_rc 2 $FLOE -p $P defs validate
expect_out "floe.yaml:3:3: run_queue.max_concurent_runs: unknown key"; expect_out "did you mean 'max_concurrent_runs'"
printf 'name: dqueue\nrun_queue:\n  tag_concurrency_limits:\n    - {key: k, value: {perValue: true}, limit: 1}\n' > $P/floe.yaml
expect_rc 2 $FLOE -p $P defs validate
expect_out "floe.yaml:4:23: run_queue.tag_concurrency_limits[0].value"; expect_out "applyLimitPerUniqueValue"
printf 'name: dqueue\nrun_queue:\n  tag_concurrency_limits:\n    - {key: k}\n' > $P/floe.yaml
expect_rc 2 $FLOE -p $P defs validate
expect_out "limit: missing required key"
# the run tags the daemon reads are checked at load too
printf 'name: dqueue\njobs:\n  - {name: a, tags: {dagster/retry_strategy: FROM_FAILUR}}\n' > $P/floe.yaml
expect_rc 2 $FLOE -p $P defs validate
expect_out "floe.yaml:3:46: jobs[0].tags.dagster/retry_strategy: invalid value; expected FROM_FAILURE or ALL_STEPS"
printf 'name: dqueue\njobs:\n  - {name: a, tags: {dagster/priority: "high"}}\n' > $P/floe.yaml
expect_rc 2 $FLOE -p $P defs validate
expect_out "jobs[0].tags.dagster/priority: invalid value; expected an integer"
echo ok
