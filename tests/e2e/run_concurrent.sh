# Eight runs launched at the same moment against one instance all complete, each with a complete event log,
# and the executor never runs more than max_concurrent steps at once.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
printf 'name: conc\nexecutor: {max_concurrent: 2}\n' > $P/floe.yaml
{
  echo "assets:"
  for i in $(seq 1 12); do
    echo "  - {key: s$i, kind: command, command: [\"sh\", \"-c\", \"mkdir -p live; touch live/\$FLOE_RUN_ID.$i; ls live | grep -c \$FLOE_RUN_ID >> conc_\$FLOE_RUN_ID; sleep 0.05; rm live/\$FLOE_RUN_ID.$i; echo '{\\\"type\\\":\\\"log\\\",\\\"message\\\":\\\"m$i\\\"}' >> \$FLOE_EVENTS\"]$([ $i -gt 1 ] && echo ", deps: [s$(( (i-1)/2 + 0 ))]" | sed 's/s0/s1/')}"
  done
} > $P/assets/a.yaml
$FLOE -p $P defs validate >/dev/null || { $FLOE -p $P defs validate; fail "bad generated project"; }
pids=()
for i in $(seq 8); do $FLOE -p $P asset materialize --select '*' > $T/out.$i 2>&1 & pids+=($!); done
for i in $(seq 8); do wait ${pids[$((i-1))]} || fail "run $i failed: $(cat $T/out.$i)"; done
cat $T/out.* | grep -qi "locked" && fail "database is locked"
[ "$(sqlite3 $P/.floe/floe.db "select count(*) from runs where status='SUCCESS'")" = 8 ] || fail "not 8 successful runs"
for RUN in $(sqlite3 $P/.floe/floe.db "select id from runs"); do
  q() { sqlite3 $P/.floe/floe.db "select count(*) from events where run_id='$RUN' and type='$1'"; }
  [ "$(q RUN_START)" = 1 ] && [ "$(q RUN_SUCCESS)" = 1 ] && [ "$(q STEP_START)" = 12 ] && [ "$(q STEP_SUCCESS)" = 12 ] \
    && [ "$(q LOG)" = 12 ] && [ "$(q ASSET_MATERIALIZATION)" = 12 ] || fail "incomplete event log for $RUN"
  max=$(sort -n $P/conc_$RUN | tail -1)
  [ "$max" -le 2 ] || fail "more than max_concurrent=2 steps at once ($max)"
done
echo ok
