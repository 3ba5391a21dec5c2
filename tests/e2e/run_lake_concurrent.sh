# Orchestration meets the lake: concurrent runs appending to one Iceberg table all succeed (optimistic commits
# retry) with no row lost; kill -9 of a run worker during an ingest leaves the table at its previous snapshot
# and `reexecute --from-failure` completes it.
. "$(dirname "$0")/lib.sh"
lake_project 'executor: {max_concurrent: 2}
'
python3 - $P/data/events.csv <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,kind,value\n")
    for i in range(2000): f.write(f"{i},k{i % 7},{i * 0.5}\n")
PY
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.events
    kind: ingest
    source: {type: csv, path: data/events.csv}
    mode: append
  - key: slow_gate
    kind: command
    command: ["sh", "-c", "if [ -f gate ]; then touch waiting; while [ -f gate ]; do sleep 0.05; done; fi"]
  - key: oso.gated
    kind: ingest
    deps: [slow_gate]
    source: {type: csv, path: data/events.csv}
    mode: append
Y
pids=()
for i in 1 2 3 4 5 6; do $FLOE -p $P asset materialize --select oso.events > $T/out.$i 2>&1 & pids+=($!); done
for i in 1 2 3 4 5 6; do wait ${pids[$((i-1))]} || fail "run $i failed: $(cat $T/out.$i)"; done
expect_rc 0 $FLOE -p $P query "SELECT count(*) AS n, count(DISTINCT id) AS d FROM oso.events" --format csv
expect_out "12000,2000"
expect_rc 0 $FLOE -p $P lake snapshots oso.events --json
[ "$(echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d) if isinstance(d,list) else len(d["snapshots"]))')" = 6 ] \
  || fail "expected 6 snapshots: $OUT"
# a first gated ingest lands one snapshot
expect_rc 0 $FLOE -p $P asset materialize --select 'oso.gated'
# kill -9 the worker while the ingest chain runs: the gate holds the run so the kill lands mid-run
touch $P/gate
$FLOE -p $P asset materialize --select '+oso.gated' > $T/killed.out 2>&1 &
CLI=$!
wait_for test -f $P/waiting
kill -9 $(pgrep -f -- "$P __run-worker") ; rm -f $P/gate  # only this project's worker
set +e; wait $CLI; rc=$?; set -e
[ $rc = 1 ] || fail "launcher exit $rc: $(cat $T/killed.out)"
expect_rc 0 $FLOE -p $P query "SELECT count(*) FROM oso.gated" --format csv
expect_out "2000"
RUN=$($FLOE -p $P run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_rc 0 $FLOE -p $P run reexecute $RUN --from-failure
expect_out SUCCESS
expect_rc 0 $FLOE -p $P query "SELECT count(*) FROM oso.gated" --format csv
expect_out "4000"
echo ok
