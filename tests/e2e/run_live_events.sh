# Events a step writes while it runs reach the event log before it ends (complete lines only); events of a
# failed attempt that is retried are kept; materialization metadata is merged over all lines.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
echo "name: live" > $P/floe.yaml
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: slow
    kind: command
    command: ["sh", "-c", "echo '{\"type\":\"log\",\"message\":\"phase 1\"}' >> $FLOE_EVENTS; echo '{\"type\":\"materialization\",\"metadata\":{\"a\":1}}' >> $FLOE_EVENTS; printf '{\"type\":\"log\",' >> $FLOE_EVENTS; touch phase1; while [ ! -f go ]; do sleep 0.05; done; echo '\"message\":\"phase 2\"}' >> $FLOE_EVENTS; echo '{\"type\":\"materialization\",\"metadata\":{\"b\":2}}' >> $FLOE_EVENTS"]
  - key: flaky
    kind: command
    command: ["sh", "-c", "echo \"{\\\"type\\\":\\\"log\\\",\\\"message\\\":\\\"attempt $FLOE_ATTEMPT\\\"}\" >> $FLOE_EVENTS; [ $FLOE_ATTEMPT -ge 1 ]"]
    retry: {max_retries: 1, delay: 0.1}
Y
expect_rc 0 $FLOE -p $P asset materialize --select '*' --detach
RUN=$OUT
wait_for test -f $P/phase1
db() { sqlite3 $P/.floe/floe.db "$1"; }
phase1_recorded() { [ "$(db "select count(*) from events where run_id='$RUN' and message='phase 1'")" = 1 ]; }
WAIT_S=10 wait_for phase1_recorded  # while the step still runs (it waits for `go`)
[ "$(db "select count(*) from events where run_id='$RUN' and type='LOG' and asset_key='slow'")" = 1 ] || fail "a partial line was recorded"
touch $P/go
run_succeeded() { [ "$(db "select status from runs where id='$RUN'")" = SUCCESS ]; }
wait_for run_succeeded
[ "$(db "select count(*) from events where run_id='$RUN' and message='phase 1'")" = 1 ] || fail "event recorded twice"
[ "$(db "select count(*) from events where run_id='$RUN' and message='phase 2'")" = 1 ] || fail "completed line not recorded"
[ "$(db "select metadata from materializations where asset_key='slow'")" = '{"a":1,"b":2}' ] || fail "metadata: $(db "select metadata from materializations where asset_key='slow'")"
[ "$(db "select count(*) from events where run_id='$RUN' and message in ('attempt 0','attempt 1')")" = 2 ] || fail "events of the failed attempt lost"
echo ok
