# The run state machine, end to end: a cancel during STARTING ends the run CANCELED with no step started; a
# second worker cannot take a STARTING run; a run reaped for its expired lease never comes back to
# STARTED; the reaper signals a step's process group only while it is provably the one the worker
# started (same boot id, same start time). The worker is held in STARTING by a .env that is a FIFO: it
# reads it between the claim and the start.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
echo "name: states" > $P/floe.yaml
MARK=floe-states-$$-$RANDOM
cat > $P/assets/a.yaml <<Y
assets:
  - key: a
    kind: command
    command: ["sh", "-c", "echo a >> ran; if [ -f hold ]; then touch started; exec python3 -c 'import time; time.sleep(300)' $MARK; fi"]
Y
db() { sqlite3 -cmd ".timeout 10000" $P/.floe/floe.db "$1"; }  # wait out the worker's write lock (no busy timeout by default: "database is locked" under load)
status_of() { $FLOE -p $P run show $1 | awk '$1 == "status:" {print $2; exit}'; }
status_is() { [ "$(status_of $1)" = "$2" ]; }
held_run() { # starts a detached run whose worker blocks in STARTING on the .env FIFO; prints its id
  rm -f $P/.env; mkfifo $P/.env
  $FLOE -p $P asset materialize --select '*' --detach
}
release() { echo "A=1" > $P/.env; }

# 1) cancel during STARTING
RUN=$(held_run)
wait_for status_is $RUN STARTING
$FLOE -p $P run cancel $RUN > $T/cancel.out 2>&1 &
CANCEL=$!
wait_for status_is $RUN CANCELING
release
wait $CANCEL || fail "cancel failed: $(cat $T/cancel.out)"
grep -q CANCELED $T/cancel.out || fail "cancel said: $(cat $T/cancel.out)"
wait_for status_is $RUN CANCELED
[ ! -f $P/ran ] || fail "a step started after the run was cancelled in STARTING"
[ "$(db "select status from steps where run_id='$RUN'")" = CANCELED ] || fail "step not marked cancelled"

# 2) a second worker cannot take a STARTING run
RUN=$(held_run)
wait_for status_is $RUN STARTING
W1=$(db "select worker_pid from runs where id='$RUN'")
expect_rc 1 timeout 10 $FLOE -p $P __run-worker $RUN
expect_out "not QUEUED"
status_is $RUN STARTING || fail "second worker changed the run: $(status_of $RUN)"
[ "$(db "select worker_pid from runs where id='$RUN'")" = "$W1" ] || fail "second worker took over the run"
release
wait_for status_is $RUN SUCCESS
[ "$(cat $P/ran)" = a ] || fail "ran: $(cat $P/ran)"

# 3) a run reaped for its expired lease never comes back to STARTED
rm -f $P/ran
export FLOE_RUN_LEASE=1
RUN=$(held_run)
wait_for status_is $RUN STARTING
reaped() { $FLOE -p $P run list >/dev/null; status_is $RUN FAILURE; }
wait_for reaped
release
WPID=$(db "select worker_pid from runs where id='$RUN'")
WAIT_S=10 wait_for not_alive "__run-worker $RUN"
status_is $RUN FAILURE || fail "reaped run moved on: $(status_of $RUN)"
[ ! -f $P/ran ] || fail "a reaped run started its steps"
rm -f $P/.env
unset FLOE_RUN_LEASE

# 3b) a worker stalled past its lease (SIGSTOP) is reaped with its step; when it resumes it stops and
#     overwrites nothing the reaper recorded
export FLOE_RUN_LEASE=1
touch $P/hold; rm -f $P/started
RUN=$($FLOE -p $P asset materialize --select '*' --detach)
wait_for test -f $P/started
WPID=$(db "select worker_pid from runs where id='$RUN'")
kill -STOP $WPID
wait_for reaped
WAIT_S=5 wait_for not_alive "$MARK"   # the reaper ended the step's group (its identity matched)
STEP_ERR=$(db "select status || ': ' || error from steps where run_id='$RUN'")
kill -CONT $WPID
WAIT_S=10 wait_for not_alive "__run-worker $RUN"
status_is $RUN FAILURE || fail "a reaped run moved on: $(status_of $RUN)"
[ "$(db "select status || ': ' || error from steps where run_id='$RUN'")" = "$STEP_ERR" ] ||
  fail "the resumed worker rewrote its step: $(db "select status, error from steps where run_id='$RUN'") (was $STEP_ERR)"
case "$STEP_ERR" in "FAILURE: run worker"*"stopped renewing its lease"*) ;; *) fail "step after reaping: $STEP_ERR";; esac
rm -f $P/hold
unset FLOE_RUN_LEASE

# 4) the reaper leaves a step's process group alone when it is not provably the one started: a pid whose
#    start time differs (reused) or a different boot id (after a reboot)
touch $P/hold
for fake in "pid_start=pid_start+1" "pid_boot='00000000-0000-0000-0000-000000000000'"; do
  rm -f $P/started
  RUN=$($FLOE -p $P asset materialize --select '*' --detach)
  wait_for test -f $P/started
  db "update steps set $fake where run_id='$RUN'"
  PGID=$(db "select pid from steps where run_id='$RUN'")
  WPID=$(db "select worker_pid from runs where id='$RUN'")
  kill -9 $WPID
  db "update runs set heartbeat_us=1 where id='$RUN'"  # its lease ran out long ago
  expect_rc 0 $FLOE -p $P run list
  expect_out "$RUN  FAILURE"
  sleep 0.3  # nothing to wait for: what must not happen is a kill
  marker_alive "$MARK" || fail "the reaper killed a process group it could not prove was the step's ($fake)"
  kill -KILL -- -$PGID  # the step's group, by its id
  WAIT_S=5 wait_for not_alive "$MARK"
done
echo ok
