# The run worker survives the environment it is started from: a launcher that ignores SIGCHLD and blocks
# SIGTERM (as some supervisors and shells leave things). The run completes; its steps start with default
# signal dispositions and an empty signal mask; and it can be cancelled (the step gets the SIGTERM).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 is required"
P=$T/proj; mkdir -p $P/assets
echo "name: signals" > $P/floe.yaml
MARK=floe-signals-$$-$RANDOM
cat > $P/assets/a.yaml <<Y
assets:
  - key: first
    kind: command
    command: ["sh", "-c", "grep -E '^Sig(Blk|Ign):' /proc/self/status > sigs"]
  - key: second
    kind: command
    command: ["sh", "-c", "echo second > second_ran"]
    deps: [first]
  - key: long
    kind: command
    command: ["sh", "-c", "if [ -f hold ]; then touch started; exec python3 -c 'import time; time.sleep(300)' $MARK; fi"]
    deps: [second]
Y
# hostile LAUNCHER: exec floe with SIGCHLD ignored and SIGTERM blocked (both survive exec)
hostile() {
  python3 -c '
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
os.execv(sys.argv[1], sys.argv[1:])' "$@"
}
# 1) the run completes (an ignored SIGCHLD made the worker wait forever for steps the kernel had reaped)
set +e; OUT=$(timeout 60 bash -c "$(declare -f hostile); hostile $FLOE -p $P asset materialize --select '*'" 2>&1); rc=$?; set -e
[ $rc = 0 ] || fail "run under a hostile launcher: exit $rc: $OUT"
expect_out "SUCCESS"
[ -f $P/second_ran ] || fail "second step did not run"
# signals 1..31 (glibc itself ignores its internal 32 and 33 in children of a threaded process)
classic() { python3 -c 'import sys; print(int(sys.argv[1], 16) & 0x7fffffff)' "$(awk -v k="$1:" '$1 == k {print $2}' $P/sigs)"; }
[ "$(classic SigBlk)" = 0 ] || fail "step started with blocked signals: $(cat $P/sigs)"
[ "$(classic SigIgn)" = 0 ] || fail "step started with ignored signals: $(cat $P/sigs)"
# 2) and can be cancelled: SIGTERM reaches the step long before the 60 s grace would SIGKILL it
touch $P/hold
export FLOE_CANCEL_GRACE=60
set +e; timeout 60 bash -c "$(declare -f hostile); hostile $FLOE -p $P asset materialize --select '*' --detach" > $T/id 2>&1; set -e
RUN=$(cat $T/id)
wait_for test -f $P/started
t0=$SECONDS
expect_rc 0 timeout 50 $FLOE -p $P run cancel $RUN
expect_out "CANCELED"
[ $((SECONDS - t0)) -lt 20 ] || fail "cancel took $((SECONDS - t0)) s: the step did not get SIGTERM"
WAIT_S=10 wait_for not_alive "$MARK"
echo ok
