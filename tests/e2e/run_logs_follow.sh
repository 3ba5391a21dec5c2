# `floe run logs ID --follow` streams step output while the run is going and stops when it ends.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
echo "name: follow" > $P/floe.yaml
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: ticker
    kind: command
    command: ["sh", "-c", "for i in 1 2 3 4 5; do echo tick $i; [ $i = 2 ] && while [ ! -f go ]; do sleep 0.05; done; done; echo done >&2"]
  - key: after
    kind: command
    command: ["sh", "-c", "echo after-line"]
    deps: [ticker]
Y
expect_rc 0 $FLOE -p $P asset materialize --select '*' --detach
RUN=$OUT
$FLOE -p $P run logs $RUN --follow > $T/follow.out 2>&1 &
F=$!
# while the run goes on (the ticker waits for `go` after tick 2), the first ticks are already out
WAIT_S=10 wait_for grep -q "ticker stdout | tick 2" $T/follow.out
grep -q "tick 3\|after-line" $T/follow.out && fail "saw later output too early: $(cat $T/follow.out)"
touch $P/go
wait $F || fail "follow exited non-zero"
for l in "ticker stdout | tick 5" "ticker stderr | done" "after stdout | after-line" "run $RUN SUCCESS"; do
  grep -qF "$l" $T/follow.out || fail "missing '$l' in: $(cat $T/follow.out)"
done
[ "$(grep -c 'tick 3' $T/follow.out)" = 1 ] || fail "a line was printed twice"
echo ok
