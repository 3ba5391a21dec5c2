# `floe run cancel` stops the step process groups (SIGTERM, then SIGKILL after the grace period).
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
echo "name: cancel" > $P/floe.yaml
MARK=floe-cancel-$$-$RANDOM
cat > $P/assets/a.yaml <<Y
assets:
  - key: long
    kind: command
    command: ["sh", "-c", "python3 -c 'import time; time.sleep(300)' $MARK & echo started > started; trap '' TERM; wait"]
  - key: after
    kind: command
    command: ["sh", "-c", "echo after > after_ran"]
    deps: [long]
Y
export FLOE_CANCEL_GRACE=1
expect_rc 0 $FLOE -p $P asset materialize --select '*' --detach
RUN=$OUT
wait_for test -f $P/started
marker_alive "$MARK" || fail "marker process not found"
expect_rc 0 $FLOE -p $P run cancel $RUN
expect_out "CANCELED"
WAIT_S=5 wait_for not_alive "$MARK"  # the group got SIGKILL after the 1 s grace
[ -f $P/after_ran ] && fail "downstream ran after cancel"
expect_rc 0 $FLOE -p $P run show $RUN --json
echo "$OUT" | grep -q '"status": "CANCELED"' || fail "run not CANCELED: $OUT"
expect_rc 2 $FLOE -p $P run cancel $RUN
expect_out "already ended"
echo ok
