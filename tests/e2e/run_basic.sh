# Runs: a diamond DAG materialized in one run; inspection commands; step protocol env and events.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
cat > $P/floe.yaml <<'Y'
name: basic
executor: {max_concurrent: 3}
jobs:
  - {name: all_job, selection: "*", tags: {team: data}}
Y
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: src
    kind: command
    command: ["sh", "-c", "echo hello from src; echo warn >&2; echo $FLOE_RUN_ID > out_src; printf '{\"type\":\"materialization\",\"metadata\":{\"rows\":42}}\\n' >> $FLOE_EVENTS; printf '{\"type\":\"log\",\"level\":\"warning\",\"message\":\"careful\"}\\n' >> $FLOE_EVENTS"]
    tags: {opensource.observer/source: stable}
  - key: left
    kind: command
    command: ["sh", "-c", "test -f out_src && echo \"$FLOE_ASSET\" > out_left"]
    deps: [src]
  - key: right/nested.key
    kind: command
    command: ["sh", "-c", "test -f out_src && echo ok > out_right"]
    deps: [src]
  - key: sink
    kind: command
    command: ["sh", "-c", "test -f out_left && test -f out_right && echo sink-ran"]
    deps: [left, right/nested.key]
Y
expect_rc 0 $FLOE -p $P asset materialize --select '*'
expect_out "SUCCESS"
expect_out "4 succeeded, 0 failed, 0 skipped"
[ "$(cat $P/out_left)" = left ] || fail "FLOE_ASSET not passed"
RUN=$(cat $P/out_src)
[ ${#RUN} = 32 ] || fail "FLOE_RUN_ID not passed: $RUN"
expect_rc 0 $FLOE -p $P run list
expect_out "$RUN"; expect_out "SUCCESS"
expect_rc 0 $FLOE -p $P run show ${RUN:0:8}
expect_out "sink"; expect_out "right/nested.key"; expect_out "SUCCESS"
expect_rc 0 $FLOE -p $P run show $RUN --events
expect_out "RUN_START"; expect_out "careful"; expect_out "ASSET_MATERIALIZATION"; expect_out "RUN_SUCCESS"
expect_rc 0 $FLOE -p $P run logs $RUN
expect_out "src stdout | hello from src"
expect_out "src stderr | warn"
expect_out "sink stdout | sink-ran"
expect_rc 0 $FLOE -p $P asset list
expect_out '"rows":42'
expect_rc 0 $FLOE -p $P asset list --json
expect_out '"status": "SUCCESS"'
# events in the log: the warning the step emitted, materialization metadata
sqlite3 $P/.floe/floe.db "select type||':'||coalesce(message,'') from events where run_id='$RUN' order by id" > $T/ev
grep -q "^RUN_START" $T/ev || fail "no RUN_START"
grep -q "^LOG:careful" $T/ev || fail "step log event missing"
grep -q "^RUN_SUCCESS" $T/ev || fail "no RUN_SUCCESS"
[ "$(grep -c '^STEP_SUCCESS' $T/ev)" = 4 ] || fail "expected 4 STEP_SUCCESS"
# steps ran in dependency order: sink started after left and right ended
sqlite3 $P/.floe/floe.db "select (select start_us from steps where run_id='$RUN' and asset_key='sink') >= max(end_us) from steps where run_id='$RUN' and asset_key in ('left','right/nested.key')" | grep -qx 1 || fail "sink started before its deps ended"
# selection variants
expect_rc 0 $FLOE -p $P asset materialize --select 'left+'
expect_out "2 succeeded"
expect_rc 0 $FLOE -p $P asset materialize --select 'tag:opensource.observer/source=stable'
expect_out "1 succeeded"
# job launch records the job and its tags
expect_rc 0 $FLOE -p $P job launch all_job
expect_rc 0 $FLOE -p $P run list --job all_job --json
python3 -c 'import json,sys; r = json.load(sys.stdin); assert r and all(x["job"] == "all_job" for x in r), r' <<<"$OUT" \
  || fail "run list --job: $OUT"
expect_rc 2 $FLOE -p $P job launch nope
expect_out "no job 'nope'"
expect_rc 2 $FLOE -p $P asset materialize
expect_out "--select is required"
expect_rc 2 $FLOE -p $P run show deadbeef
expect_out "no run with id 'deadbeef'"
expect_rc 2 $FLOE -p $P run list --status bogus
echo ok
