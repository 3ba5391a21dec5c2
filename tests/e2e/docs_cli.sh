# The CLI reference in docs/ is generated from the command table: it must match the binary.
. "$(dirname "$0")/lib.sh"
$FLOE --help-markdown > $T/cli.md
diff -u "$SRC/docs/reference/cli.md" $T/cli.md || fail "docs/reference/cli.md is stale: run build/floe --help-markdown > docs/reference/cli.md"
expect_rc 0 $FLOE --help
expect_out "asset materialize"
expect_rc 2 $FLOE bogus-command
expect_out "unknown command 'bogus-command'"
expect_rc 0 $FLOE run list --help
expect_out "usage: floe run list"
# the public headers (include/floe/) compile on their own, together, and rename no other library's functions
# (dyn.h's #defines of libcurl/libpq names are private to libfloe: src/util/dyn.h)
{ echo '#include <curl/curl.h>'; echo '#include <postgresql/libpq-fe.h>'
  for h in "$SRC"/include/floe/*.h; do echo "#include \"floe/$(basename "$h")\""; done
  printf '#if defined(curl_easy_init) || defined(PQconnectdb)\n#error a public header renames another library function\n#endif\nint main(void) { return 0; }\n'
} > $T/headers.c
cc -std=c11 -D_GNU_SOURCE -I"$SRC/include" -fsyntax-only $T/headers.c || fail "the public headers do not compile on their own, or rename libcurl/libpq functions"

# a group of commands lists its commands: `floe defs` (exit 2: a command is needed), `floe job --help` (exit 0),
# and an unknown command of a group suggests the nearest
expect_rc 2 $FLOE defs
expect_out "floe: error: 'defs' needs a command"
expect_out "floe defs validate"; expect_out "floe defs list"
expect_no_out "floe run list"
expect_rc 0 $FLOE job --help
expect_out "usage: floe [-p PROJECT_DIR] job COMMAND [ARGS]"
expect_out "floe job launch JOB"; expect_out "floe job list"
expect_no_out "floe defs"
expect_rc 0 $FLOE lake -h
expect_out "floe lake tables"; expect_out "floe lake orphans"
expect_rc 2 $FLOE lake tabels
expect_out "unknown command 'lake tabels' (did you mean 'lake tables'?)"
expect_out "floe lake describe"

# secrets doctor --json: the same report as fields (names and sources, never values); exit 1 when one is missing
P=$T/p; mkdir -p $P/assets
printf 'name: p\n' > $P/floe.yaml
printf 'assets:\n  - {key: a, kind: command, command: [true], env: {T: {secret: gh.token}, M: {secret: gone.key}}}\n' > $P/assets/a.yaml
printf 'DAGSTER__GH__TOKEN=a-long-token-value\n' > $P/.env
set +e; OUT=$($FLOE -p $P secrets doctor --json 2>/dev/null); rc=$?; set -e
[ $rc = 1 ] || fail "secrets doctor --json: exit $rc"
python3 - "$OUT" <<'PY' || fail "secrets doctor --json: $OUT"
import json, sys
d = json.loads(sys.argv[1])
assert d["prefix"] == "dagster" and d["missing"] == 1, d
s = {x["secret"]: x for x in d["secrets"]}
assert s["gh.token"]["status"] == "ok" and s["gh.token"]["variable"] == "DAGSTER__GH__TOKEN", s
assert ".env" in s["gh.token"]["resolved_from"], s
assert s["gone.key"]["status"] == "missing" and "DAGSTER__GONE__KEY" in s["gone.key"]["error"], s
assert "a-long-token-value" not in sys.argv[1]
PY
echo ok
