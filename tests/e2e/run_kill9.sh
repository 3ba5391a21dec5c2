# kill -9 of the run worker mid-run: the run ends up FAILED (not running forever), no step process is left,
# the database stays consistent, and `reexecute --from-failure` completes the run. Detached, nobody sees the
# worker die: the run is reaped when its heartbeat lease (FLOE_RUN_LEASE, short here) runs out.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
echo "name: kill9" > $P/floe.yaml
MARK=floe-kill9-$$-$RANDOM
cat > $P/assets/a.yaml <<Y
assets:
  - key: first
    kind: command
    command: ["sh", "-c", "echo first >> ran"]
  - key: long
    kind: command
    command: ["sh", "-c", "if [ ! -f resume ]; then touch started; python3 -c 'import time; time.sleep(300)' $MARK; fi; echo long >> ran"]
    deps: [first]
  - key: last
    kind: command
    command: ["sh", "-c", "echo last >> ran"]
    deps: [long]
Y
export FLOE_RUN_LEASE=2
wait_started() { wait_for test -f $P/started; }
# 1) attached: the launching CLI sees its worker die
$FLOE -p $P asset materialize --select '*' > $T/cli.out 2>&1 &
CLI=$!
wait_started
WPID=$(pgrep -f -- "$P __run-worker" | head -1)  # this test's worker, never another project's
[ -n "$WPID" ] || fail "no worker"
kill -9 $WPID
set +e; wait $CLI; rc=$?; set -e
[ $rc = 1 ] || fail "launcher exit $rc: $(cat $T/cli.out)"
grep -q "FAILURE" $T/cli.out || fail "launcher did not report failure: $(cat $T/cli.out)"
WAIT_S=5 wait_for not_alive "$MARK"
RUN=$($FLOE -p $P run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_rc 0 $FLOE -p $P run show $RUN
expect_out "FAILURE"; expect_out "killed by signal 9"
sqlite3 $P/.floe/floe.db "PRAGMA integrity_check" | grep -qx ok || fail "database integrity"
touch $P/resume
expect_rc 0 $FLOE -p $P run reexecute $RUN --from-failure
expect_out SUCCESS
[ "$(cat $P/ran | tr '\n' ' ')" = "first long last " ] || fail "ran: $(cat $P/ran)"
# 2) detached: nobody waits; the next inspection command notices the dead worker
rm -f $P/resume $P/started $P/ran
expect_rc 0 $FLOE -p $P asset materialize --select '*' --detach
RUN2=$OUT
wait_started
WPID=$(pgrep -f -- "$P __run-worker $RUN2")
kill -9 $WPID
listed_failed() { $FLOE -p $P run list | grep -q "$RUN2  FAILURE"; }
WAIT_S=20 wait_for listed_failed
expect_rc 0 $FLOE -p $P run show $RUN2
expect_out "stopped renewing its lease"
WAIT_S=5 wait_for not_alive "$MARK"
touch $P/resume
expect_rc 0 $FLOE -p $P run reexecute $RUN2 --from-failure
expect_out SUCCESS
# 3) cancelling a run whose worker died: cancel waits for the lease to run out (longer than its own wait of
#    grace + 10 s) and reports the reaped run, instead of giving up with "still cancelling"
rm -f $P/resume $P/started
export FLOE_RUN_LEASE=12 FLOE_CANCEL_GRACE=0
expect_rc 0 $FLOE -p $P asset materialize --select '*' --detach
RUN3=$OUT
wait_started
kill -9 $(pgrep -f -- "$P __run-worker $RUN3")
expect_rc 0 timeout 60 $FLOE -p $P run cancel $RUN3
expect_out "$RUN3 FAILURE"
WAIT_S=5 wait_for not_alive "$MARK"
echo ok
