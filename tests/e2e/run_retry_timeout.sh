# Retry policy (attempts, backoff) and per-step timeouts that kill the whole process group.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
echo "name: retry" > $P/floe.yaml
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: twice_failing
    kind: command
    command: ["sh", "-c", "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo attempt=$FLOE_ATTEMPT; [ $n -ge 3 ]"]
    retry: {max_retries: 2, delay: 0.2, backoff: exponential}
  - key: always_failing
    kind: command
    command: ["sh", "-c", "date +%s.%N >> fail_times; exit 1"]
    retry: {max_retries: 1, delay: 0.5, backoff: linear}
  - key: slow
    kind: command
    command: ["sh", "-c", "sleep 300 & echo $! > grandchild; sleep 300"]
    timeout: 1
Y
start=$(date +%s)
expect_rc 1 $FLOE -p $P asset materialize --select '*'
el=$(( $(date +%s) - start ))
[ $el -lt 20 ] || fail "timeout did not stop the step promptly (${el}s)"
[ "$(cat $P/count)" = 3 ] || fail "expected 3 attempts, got $(cat $P/count)"
[ "$(wc -l < $P/fail_times)" = 2 ] || fail "always_failing: expected 2 attempts"
python3 - $P/fail_times <<'PY' || fail "retry delay not honoured"
import sys; t=[float(x) for x in open(sys.argv[1])]; assert t[1]-t[0] >= 0.45, t
PY
RUN=$($FLOE -p $P run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_rc 0 $FLOE -p $P run show $RUN --json
echo "$OUT" | python3 -c '
import json,sys; r=json.load(sys.stdin); s={x["asset"]:x for x in r["steps"]}
assert s["twice_failing"]["status"]=="SUCCESS" and s["twice_failing"]["attempts"]==3, s["twice_failing"]
assert s["always_failing"]["status"]=="FAILURE" and s["always_failing"]["attempts"]==2, s["always_failing"]
assert s["slow"]["status"]=="FAILURE" and "timed out" in s["slow"]["error"], s["slow"]' || fail "step records wrong: $OUT"
gone() { ! alive "$1"; }
WAIT_S=5 wait_for gone $(cat $P/grandchild)  # the timed-out step's grandchild is killed with its group
expect_rc 0 $FLOE -p $P run logs $RUN --step twice_failing
expect_out "attempt=2"
echo ok
