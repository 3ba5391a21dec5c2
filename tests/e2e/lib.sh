# lib.sh — helpers for end-to-end tests: each test gets a fresh temp dir and runs the real binary.
set -euo pipefail
FLOE=${FLOE_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/floe}
SRC=${FLOE_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d /tmp/floe-e2e.XXXXXX)
cleanup() { local rc=$?; [ "${KEEP:-}" ] || rm -rf "$T"; exit $rc; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_rc RC cmd... : runs cmd, captures stdout+stderr in $OUT, checks exit code
expect_rc() {
  local want=$1; shift
  set +e; OUT=$("$@" 2>&1); local rc=$?; set -e
  [ "$rc" = "$want" ] || fail "expected exit $want, got $rc from: $*
$OUT"
}
expect_out() { # substring
  case "$OUT" in *"$1"*) ;; *) fail "expected output to contain: $1
--- got:
$OUT";; esac
}
expect_no_out() {
  case "$OUT" in *"$1"*) fail "output must not contain: $1
--- got:
$OUT";; esac
}
# alive PID : true when the process exists and is not a zombie
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; case "$st" in Z*) return 1;; esac; return 0; }
# marker_alive MARK : a live (non-zombie) process whose command line contains MARK
marker_alive() { local p; for p in $(pgrep -f "$1"); do alive "$p" && return 0; done; return 1; }
not_alive() { ! marker_alive "$1"; }

# wait_for CMD... : runs CMD (quietly) every 0.05 s until it succeeds; fails the test after ${WAIT_S:-30} s.
# Use it instead of a sleep whenever a test waits for something observable to happen.
wait_for() {
  local end=$((SECONDS + ${WAIT_S:-30}))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || fail "timed out waiting for: $*"
    sleep 0.05
  done
}

# lake_project [MORE_FLOE_YAML]: $P, a fresh project in $T with the lake namespace `oso` (assets/ and data/
# made), floe.yaml ending with MORE_FLOE_YAML; f runs floe on it.
lake_project() {
  P=$T/proj
  mkdir -p "$P/assets" "$P/data"
  printf 'name: oso\nlake: {warehouse: .floe/lake, namespace: oso}\n%s' "${1:-}" > "$P/floe.yaml"
}
f() { "$FLOE" -p "$P" "$@"; }

# expect_meta ASSET KEY=VALUE... : the asset's latest materialization metadata (`floe asset list --json`) has
# each KEY equal to VALUE (compared as text) — fields, whatever the order or spacing of the JSON.
expect_meta() {
  local asset=$1 js; shift
  js=$(f asset list --json) || fail "asset list --json failed: $js"
  python3 - "$asset" "$js" "$@" <<'PY' || fail "materialization metadata of $asset: $js"
import json, sys
asset, doc, pairs = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
m = next(a for a in doc if a["key"] == asset)["metadata"]
for p in pairs:
    k, v = p.split("=", 1)
    assert k in m and str(m[k]) == v, (k, m.get(k), v)
PY
}
