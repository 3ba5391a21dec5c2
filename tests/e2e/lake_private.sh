#!/usr/bin/env bash
# Private by default on a shared host: after a run (a command step with output on stdout and stderr) and an
# ingest (DuckDB writes the Parquet files, SQLite the database and its WAL), nothing under the instance
# directory or the lake is open to the group or to others (0700 directories, 0600 files), whatever the
# user's umask; `floe init` still writes the project's own files with the user's umask.
. "$(dirname "$0")/lib.sh"
umask 022
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: hello
    kind: command
    command: ["sh", "-c", "echo out; echo err >&2"]
  - key: t
    kind: ingest
    table: oso.t
    partition: "month(ts)"
    source: {type: csv, path: data/t.csv}
Y
printf 'id,ts\n1,2024-01-02 00:00:00\n2,2024-02-03 00:00:00\n' > $P/data/t.csv
expect_rc 0 f asset materialize --select '*'
expect_out "2 succeeded"
expect_rc 0 f query "SELECT count(*) FROM oso.t" --format csv
expect_out 2
expect_rc 0 f lake expire oso.t
[ -n "$(find $P/.floe/logs -type f)" ] || fail "expected step logs"
[ -n "$(find $P/.floe/lake -name '*.parquet')" ] || fail "expected data files"
open=$(find $P/.floe -perm /077)
[ -z "$open" ] || fail "open to group or others:
$(ls -ld $open)"
# the project's own files keep the user's umask
expect_rc 0 "$FLOE" init $T/fresh
[ "$(stat -c %a $T/fresh/floe.yaml)" = 644 ] || fail "floe init: floe.yaml is $(stat -c %a $T/fresh/floe.yaml)"
echo ok
