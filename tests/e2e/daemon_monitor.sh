# The daemon's run monitor: a killed run worker is FAILURE within seconds with the reason (a worker the daemon
# started: its exit status; a detached CLI worker on this host: its process gone), well before its 30 s lease
# runs out; start_timeout fails a run its worker never started; dagster/max_runtime cancels a run that runs too
# long; run retries: each retry a new run linked to its parent and root (tags too), FROM_FAILURE re-runs only
# what failed, ALL_STEPS everything; a cancelled run is never retried.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
MARK=floe-dmon-$$-$RANDOM
write_yaml() {
cat > $P/floe.yaml <<Y
name: dmon
$1
run_monitoring: {start_timeout_seconds: 1}
jobs:
  - {name: long, selection: "long"}
  - {name: capped, selection: "long", tags: {dagster/max_runtime: "1"}}
  - {name: flaky, selection: "flaky", tags: {dagster/max_retries: "2"}}
  - {name: chain, selection: "up,down", tags: {dagster/max_retries: "1"}}
  - {name: chain_all, selection: "up,down", tags: {dagster/max_retries: "1", dagster/retry_strategy: ALL_STEPS}}
  - {name: long_retry, selection: "long", tags: {dagster/max_retries: "3"}}
Y
}
cat > $P/assets/a.yaml <<Y
assets:
  - key: long
    kind: command
    command: ["sh", "-c", "touch started; exec python3 -c 'import time; time.sleep(300)' $MARK"]
  - key: flaky
    kind: command
    command: ["sh", "-c", "echo x >> flaky.count; [ \$(wc -l < flaky.count) -ge 3 ]"]
  - key: up
    kind: command
    command: ["sh", "-c", "echo up >> chain.log"]
  - key: down
    kind: command
    deps: [up]
    command: ["sh", "-c", "echo down >> chain.log; [ -f down.ok ]"]
Y
db() { sqlite3 -cmd ".timeout 10000" $P/.floe/floe.db "$1"; }
st() { db "select status from runs where id='$1'"; }
status_is() { [ "$(st $1)" = "$2" ]; }
D=
trap 'r=$?; [ -n "$D" ] && kill -TERM $D 2>/dev/null; (exit $r); cleanup' EXIT
start_daemon() { $FLOE -p $P daemon 2>> $T/daemon.log & D=$!; wait_for $FLOE -p $P daemon status; }
stop_daemon() { kill -TERM $D; wait $D || fail "daemon: $(cat $T/daemon.log)"; D=; }
worker_of() { pgrep -f -- "$P __run-worker $1"; }
unset FLOE_RUN_LEASE   # 30 s: every failure below must come from the monitor, not the lease

# 1) queue mode: kill -9 the worker the daemon started -> FAILURE with its exit status, within seconds
write_yaml "run_queue: {max_concurrent_runs: 4}"
start_daemon
R=$($FLOE -p $P job launch long --detach)
wait_for test -f $P/started; wait_for status_is $R STARTED
kill -9 $(worker_of $R)
WAIT_S=5 wait_for status_is $R FAILURE
[[ "$(db "select error from runs where id='$R'")" == *"killed by signal 9"* ]] || fail "reason: $(db "select error from runs where id='$R'")"
WAIT_S=5 wait_for not_alive $MARK
stop_daemon; rm -f $P/started

# 2) no queue: a detached CLI worker killed -9 -> FAILURE within seconds ("is gone")
write_yaml ""
start_daemon
R=$($FLOE -p $P job launch long --detach)
wait_for test -f $P/started; wait_for status_is $R STARTED
kill -9 $(worker_of $R)
WAIT_S=5 wait_for status_is $R FAILURE
[[ "$(db "select error from runs where id='$R'")" == *"is gone"* ]] || fail "reason: $(db "select error from runs where id='$R'")"
WAIT_S=5 wait_for not_alive $MARK
rm -f $P/started

# 3) dagster/max_runtime: cancelled, the reason kept
R=$($FLOE -p $P job launch capped --detach)
WAIT_S=15 wait_for status_is $R CANCELED
[[ "$(db "select error from runs where id='$R'")" == *"maximum runtime of 1s"* ]] || fail "reason: $(db "select error from runs where id='$R'")"
WAIT_S=5 wait_for not_alive $MARK
rm -f $P/started

# 4) start_timeout: the worker blocks before starting the run (its .env is a FIFO nobody writes)
mkfifo $P/.env
R=$($FLOE -p $P job launch long --detach)
WAIT_S=10 wait_for status_is $R FAILURE
[[ "$(db "select error from runs where id='$R'")" == *"did not start the run within 1s"* ]] || fail "reason: $(db "select error from runs where id='$R'")"
echo "A=1" > $P/.env; rm -f $P/.env
[ ! -f $P/started ] || fail "a step started after the start timeout"

# 5) retries: flaky fails twice, the second retry succeeds; each retry links to its parent and the root
R=$($FLOE -p $P job launch flaky --detach)
last_retry() { db "select id from runs where json_extract(tags,'\$.\"dagster/retry_number\"')='2' and root_run_id='$R'"; }
has_retry2() { [ -n "$(last_retry)" ]; }
WAIT_S=20 wait_for has_retry2
R2=$(last_retry); wait_for status_is $R2 SUCCESS
R1=$(db "select parent_run_id from runs where id='$R2'")
[ "$(st $R)" = FAILURE ] && [ "$(st $R1)" = FAILURE ] || fail "chain statuses"
[ "$(db "select parent_run_id||' '||root_run_id from runs where id='$R1'")" = "$R $R" ] || fail "retry 1 links"
[ "$(db "select root_run_id from runs where id='$R2'")" = "$R" ] || fail "retry 2 root"
[ "$(db "select json_extract(tags,'\$.\"dagster/parent_run_id\"')||' '||json_extract(tags,'\$.\"dagster/root_run_id\"') from runs where id='$R2'")" = "$R1 $R" ] || fail "retry tags"
[ "$(db "select count(*) from runs where root_run_id='$R'")" = 2 ] || fail "more retries than needed"
db "select message from events where run_id='$R' and type='RUN_RETRY'" | grep -q "retried as run $R1 (retry 1 of 2, FROM_FAILURE)" || fail "retry event"

# 6) FROM_FAILURE re-runs only the failed step; ALL_STEPS all of them
R=$($FLOE -p $P job launch chain --detach)
child() { db "select id from runs where parent_run_id='$1'"; }
has_child() { [ -n "$(child $1)" ]; }
WAIT_S=20 wait_for has_child $R; C=$(child $R)
wait_for status_is $C FAILURE
[ "$(db "select group_concat(asset_key) from steps where run_id='$C'")" = down ] || fail "FROM_FAILURE steps: $(db "select asset_key from steps where run_id='$C'")"
R=$($FLOE -p $P job launch chain_all --detach)
WAIT_S=20 wait_for has_child $R; C=$(child $R)
wait_for status_is $C FAILURE
[ "$(db "select count(*) from steps where run_id='$C'")" = 2 ] || fail "ALL_STEPS steps"

# 7) a cancelled run is never retried: cancel one, then let a failing run be retried after it
R=$($FLOE -p $P job launch long_retry --detach)
wait_for test -f $P/started; wait_for status_is $R STARTED
expect_rc 0 $FLOE -p $P run cancel $R
expect_out CANCELED
rm -f $P/flaky.count
F=$($FLOE -p $P job launch flaky --detach)
WAIT_S=20 wait_for has_child $F
[ -z "$(child $R)" ] || fail "a cancelled run was retried"
stop_daemon

# 8) a run left QUEUED without a run queue (its launcher never started a worker) does not hang forever
write_yaml "run_queue: {}"
expect_rc 0 $FLOE -p $P job launch long
Q=$(echo "$OUT" | tail -1)
write_yaml ""
start_daemon
WAIT_S=10 wait_for status_is $Q FAILURE
[[ "$(db "select error from runs where id='$Q'")" == *"no run worker started the run"* ]] || fail "reason: $(db "select error from runs where id='$Q'")"
stop_daemon
echo ok
