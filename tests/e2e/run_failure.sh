# A failing step skips its downstream, independent branches go on, run exits 1;
# `run show` names the error and the stderr tail; `reexecute --from-failure` runs only what failed or was skipped.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
echo "name: fail" > $P/floe.yaml
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: root
    kind: command
    command: ["sh", "-c", "echo root >> ran"]
  - key: flaky
    kind: command
    command: ["sh", "-c", "echo flaky >> ran; if [ ! -f fixed ]; then echo 'ERROR: upstream API returned 500' >&2; exit 3; fi"]
    deps: [root]
  - key: after_flaky
    kind: command
    command: ["sh", "-c", "echo after_flaky >> ran"]
    deps: [flaky]
  - key: after_after
    kind: command
    command: ["sh", "-c", "echo after_after >> ran"]
    deps: [after_flaky]
  - key: independent
    kind: command
    command: ["sh", "-c", "echo independent >> ran"]
    deps: [root]
Y
expect_rc 1 $FLOE -p $P asset materialize --select '*'
expect_out "FAILURE"
expect_out "1 failed, 2 skipped"
expect_out "step flaky failed: exited with code 3"
grep -q independent $P/ran || fail "independent branch did not run"
grep -q after_flaky $P/ran && fail "downstream of a failed step ran"
RUN=$($FLOE -p $P run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_rc 0 $FLOE -p $P run show $RUN
expect_out "FAILURE"
expect_out "exited with code 3"
expect_out "ERROR: upstream API returned 500"
expect_out "skipped: upstream 'flaky' failed"
expect_rc 0 $FLOE -p $P run list --status failure
expect_out "$RUN"
touch $P/fixed; : > $P/ran
expect_rc 0 $FLOE -p $P run reexecute $RUN --from-failure
expect_out "SUCCESS"
sort $P/ran | tr '\n' ' ' | grep -qx "after_after after_flaky flaky " || fail "from-failure ran: $(cat $P/ran)"
NEW=$($FLOE -p $P run list --json | python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print(r["id"], r["parent_run_id"])')
[ "${NEW#* }" = "$RUN" ] || fail "parent run id not recorded: $NEW"
expect_rc 2 $FLOE -p $P run reexecute ${NEW% *} --from-failure
expect_out "no failed or skipped steps"
# a run that fails before its first step (an unterminated quote in .env) marks every step, not PENDING, and
# the launching terminal says why
printf 'X="unterminated\n' > $P/.env
expect_rc 1 $FLOE -p $P asset materialize --select '*'
expect_out "0 succeeded, 0 failed, 5 skipped"
expect_out "the run failed before its first step: $P/.env:1"
RUN=$($FLOE -p $P run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ "$(sqlite3 $P/.floe/floe.db "select group_concat(distinct status) from steps where run_id='$RUN'")" = SKIPPED ] ||
  fail "steps of a run that never started: $(sqlite3 $P/.floe/floe.db "select asset_key, status from steps where run_id='$RUN'")"
expect_rc 0 $FLOE -p $P run show $RUN
expect_out "not started: $P/.env:1"
echo ok
