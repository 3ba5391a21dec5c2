#!/usr/bin/env bash
# launch_outcome.sh — a failed run tells the launching terminal why: each failed step's own error (the
# file:line message of an ingest: a missing file, the first bad row) and the last lines of its stderr, not
# only "exited with code 1 (stderr: <path>)". The same outcome for asset materialize, job launch and
# run reexecute (one library call: floe_job_launch).
source "$(dirname "$0")/lib.sh"
lake_project 'jobs: [{name: all, selection: "*"}]
'
printf 'id,amount\n1,2\n2,3\n3,x\n4,5\n' > $P/data/bad.csv
cat > $P/assets/a.yaml <<'Y'
assets:
  - {key: missing, kind: ingest, source: {type: csv, path: data/nope.csv}}
  - {key: badrow, kind: ingest, source: {type: csv, path: data/bad.csv}, columns: {amount: long}}
  - key: cmd
    kind: command
    command: [sh, -c, "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo noise $i >&2; done; echo 'boom: it broke' >&2; exit 3"]
  - {key: fine, kind: command, command: [true]}
Y
check() {
  expect_out "step missing failed: assets/a.yaml:2:60: source.path: no such file $P/data/nope.csv (exited with code 1)"
  expect_out "step badrow failed: data/bad.csv: row 3 (line 4): column 'amount': cannot convert x to BIGINT"
  expect_out "step cmd failed: exited with code 3"
  expect_out "    | boom: it broke"
  expect_out "    | noise 12"
  expect_no_out "    | noise 2"$'\n'    # only the last lines
  expect_out "log: $P/.floe/logs/"
  expect_out "1 succeeded, 3 failed, 0 skipped"
}
expect_rc 1 f asset materialize --select '*'
check
RUN=$(f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_rc 1 f job launch all
check
expect_rc 1 f run reexecute $RUN --from-failure
expect_out "step badrow failed: data/bad.csv: row 3 (line 4)"
expect_out "0 succeeded, 3 failed, 0 skipped (re-execution of $RUN)"
# a detached launch prints the run id and returns at once; the run is recorded as launched from the CLI
expect_rc 0 f asset materialize --select fine --detach
ID=$OUT
[[ "$ID" =~ ^[0-9a-f]{32}$ ]] || fail "detach printed: $ID"
WAIT_S=30 wait_for sh -c "'$FLOE' -p '$P' run show $ID --json | grep -q '\"status\": \"SUCCESS\"'"
expect_rc 0 f run show $ID --json
python3 - "$OUT" <<'PY' || fail "run show: $OUT"
import json, sys
r = json.loads(sys.argv[1])
assert r["status"] == "SUCCESS" and r["tags"]["floe/launched_by"] == "cli", r
assert r["job"] is None and r["selection"] == "fine", r
PY
# a bad request is exit 2 and creates no run
N=$(f run list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_rc 2 f asset materialize --select nosuch
expect_rc 2 f job launch nosuch
[ "$(f run list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$N" ] || fail "a bad launch created a run"
echo ok
