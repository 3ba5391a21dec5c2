# Failing the Nth allocation (FLOE_FAIL_ALLOC_AT=N) in project loading and inspection commands: every N gives
# either success or a clean error exit (1 or 2) with a message — never a crash (signal) or a hang.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
cat > $P/floe.yaml <<'Y'
name: torture
jobs: [{name: j, selection: "a+", tags: {k: v}}]
schedules: [{name: s, job: j, cron: "0 0 * * 0"}]
Y
cat > $P/assets/a.yaml <<'Y'
assets:
  - {key: a, kind: command, command: ["true"], tags: {t: x}, group: g}
  - {key: b, kind: command, command: ["true"], deps: [a], retry: {max_retries: 1}}
  - {key: c/d.e, kind: command, command: ["true"], deps: [a, b], env: {X: {secret: g.k}}}
Y
$FLOE -p $P asset materialize --select '*' >/dev/null 2>&1 || true
for cmd in "defs validate" "defs list --json" "run list" "asset list" "job list"; do
  for n in $(seq 1 150); do
    set +e; out=$(FLOE_FAIL_ALLOC_AT=$n timeout 10 $FLOE -p $P $cmd 2>&1); rc=$?; set -e
    case $rc in
      0) ;;
      1|2) [ -n "$out" ] || fail "'$cmd' with allocation $n failing: exit $rc without a message" ;;
      *) fail "'$cmd' with allocation $n failing: exit $rc
$out" ;;
    esac
  done
done
echo ok
