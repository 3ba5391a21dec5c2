# On a TTY a run prints a progress line per finished step; `run list --since` filters by creation time.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
echo "name: progress" > $P/floe.yaml
cat > $P/assets/a.yaml <<'Y'
assets:
  - {key: a, kind: command, command: ["true"]}
  - {key: b, kind: command, command: ["false"], deps: [a]}
  - {key: c, kind: command, command: ["true"], deps: [b]}
Y
command -v script >/dev/null || fail "script(1) missing (bsdutils)"
set +e; script -qec "$FLOE -p $P asset materialize --select '*'" /dev/null > $T/tty.out 2>&1; set -e
tr -d '\r' < $T/tty.out > $T/tty.txt
grep -q "\[1/3\] ok      a" $T/tty.txt || fail "no progress line for a: $(cat $T/tty.txt)"
grep -q "\[2/3\] FAILED  b: exited with code 1" $T/tty.txt || fail "no progress line for b: $(cat $T/tty.txt)"
grep -q "\[3/3\] skipped c" $T/tty.txt || fail "no progress line for c: $(cat $T/tty.txt)"
# not a TTY: no progress lines, just the summary
expect_rc 1 $FLOE -p $P asset materialize --select '*'
expect_no_out "[1/3]"
expect_out "1 succeeded, 1 failed, 1 skipped"
expect_rc 0 $FLOE -p $P run list --since 1h --json
[ "$(echo "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] || fail "--since 1h: $OUT"
expect_rc 0 $FLOE -p $P run list --since 2099-01-01 --json
[ "$(echo "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] || fail "--since future: $OUT"
echo ok
