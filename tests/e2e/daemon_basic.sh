# floe daemon: a real daemon process holds the instance's lease; a second one is refused naming the first's pid
# and host (also when both start at the same moment: exactly one wins); `daemon status` shows each component's
# heartbeat; SIGTERM stops it at once while a run it started keeps running in its own worker; a daemon killed
# with -9 is replaced at once by the next (its process is provably gone on this host).
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
MARK=floe-dbasic-$$-$RANDOM
cat > $P/floe.yaml <<Y
name: dbasic
run_queue: {max_concurrent_runs: 2}
jobs: [{name: slow, selection: "*"}]
Y
cat > $P/assets/a.yaml <<Y
assets:
  - key: a
    kind: command
    command: ["sh", "-c", "touch started; while [ ! -f go ]; do python3 -c 'import time; time.sleep(0.05)' $MARK; done; echo done >> ran"]
Y
db() { sqlite3 -cmd ".timeout 10000" $P/.floe/floe.db "$1"; }
status_is() { [ "$(db "select status from runs where id='$1'")" = "$2" ]; }
holder_is() { [ "$(db "select pid from daemon_lease where heartbeat_us is not null")" = "$1" ]; }
D1=; D2=; D3=
stop_all() { for p in $D1 $D2 $D3; do kill -TERM $p 2>/dev/null || true; done; touch $P/go; }
trap 'r=$?; stop_all; (exit $r); cleanup' EXIT
not_alive_pid() { ! alive $1; }

# no daemon yet: a queued launch says so and names the command that starts one
expect_rc 2 $FLOE -p $P daemon extra
expect_rc 1 $FLOE -p $P daemon status
expect_out "never ran"
expect_rc 0 $FLOE -p $P job launch slow
expect_out "no daemon is running"; expect_out "daemon\` (or \`floe dev\`)"
Q1=$(echo "$OUT" | tail -1)
[ "$(db "select status from runs where id='$Q1'")" = QUEUED ] || fail "not queued"
expect_rc 1 $FLOE -p $P daemon status
expect_out "queue: 1 run(s) QUEUED"; expect_out "no daemon runs to start them"

# the daemon starts, and picks the queued run up
$FLOE -p $P daemon 2> $T/d1.log & D1=$!
running() { $FLOE -p $P daemon status | grep -q run_queue; }
wait_for running
wait_for test -f $P/started
expect_rc 0 $FLOE -p $P daemon status
expect_out "running, pid $D1 on $(hostname)"; expect_out "run_queue"; expect_out "run_monitor"
expect_rc 0 $FLOE -p $P daemon status --json
python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['running'] and d['pid']==$D1, d
assert {'run_queue','run_monitor'} <= {c['name'] for c in d['components']}, d" "$OUT" || fail "status json: $OUT"

# a second daemon is refused, naming the first
expect_rc 1 $FLOE -p $P daemon
expect_out "already running"; expect_out "pid $D1 on host $(hostname)"

# SIGTERM: stops within a second (no sleep: wait for the process, bounded); the run keeps going
kill -TERM $D1
WAIT_S=2 wait_for not_alive_pid $D1
wait $D1 || fail "daemon exit code $?: $(cat $T/d1.log)"
grep -q "stopping" $T/d1.log || fail "no stop message: $(cat $T/d1.log)"
marker_alive $MARK || fail "the run's step died with the daemon"
[ "$(db "select status from runs where id='$Q1'")" = STARTED ] || fail "run not STARTED after the daemon stopped"
expect_rc 1 $FLOE -p $P daemon status
expect_out "not running"; expect_out "stopped"
touch $P/go
wait_for status_is $Q1 SUCCESS
rm -f $P/go $P/started

# two daemons started at the same moment: exactly one holds the lease, the other is refused
$FLOE -p $P daemon 2> $T/d2.log & D2=$!
$FLOE -p $P daemon 2> $T/d3.log & D3=$!
one_left() { [ $( (alive $D2 && echo x; alive $D3 && echo x) | wc -l) = 1 ] && running; }
WAIT_S=10 wait_for one_left
if alive $D2; then W=$D2; L=$T/d3.log; else W=$D3; L=$T/d2.log; fi
grep -q "already running" $L || fail "loser did not say why: $(cat $L)"
[ "$(db "select pid from daemon_lease")" = "$W" ] || fail "lease not held by the survivor"

# kill -9: the next daemon replaces the dead holder at once (no waiting for its lease to run out)
export FLOE_DAEMON_LEASE=300
kill -9 $W
WAIT_S=2 wait_for not_alive_pid $W
$FLOE -p $P daemon 2> $T/d4.log & D1=$!
wait_for holder_is $D1
kill -TERM $D1; wait $D1 || fail "exit: $(cat $T/d4.log)"
echo ok
