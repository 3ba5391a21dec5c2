#!/usr/bin/env bash
# defs_basic.sh — `floe init`, `floe defs validate|list`, `floe job list` on a fresh project; finding the
# project from a subdirectory; -p; the error when there is no project.
source "$(dirname "$0")/lib.sh"
cd "$T"
expect_rc 0 "$FLOE" init proj
expect_out "created project in proj"
[ -f proj/floe.yaml ] && [ -f proj/assets/example.yaml ] || fail "scaffold files missing"
grep -qx '.floe/' proj/.gitignore && grep -qx '.env' proj/.gitignore || fail ".gitignore lacks .floe/ or .env"
expect_rc 2 "$FLOE" init proj
expect_out "already exists; refusing to overwrite"

cd proj
expect_rc 0 "$FLOE" defs validate
expect_out "ok: 2 assets, 1 job, 1 schedule"
mkdir -p sub/deeper && cd sub/deeper
expect_rc 0 "$FLOE" defs list                      # found from a subdirectory
expect_out "hello_downstream  command  example  hello"
cd "$T"
expect_rc 0 "$FLOE" -p proj defs list --json
echo "$OUT" | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert [x["key"] for x in a] == ["hello", "hello_downstream"], a
assert a[1]["deps"] == ["hello"] and a[1]["kind"] == "command" and a[1]["group"] == "example"
for k in ("key", "kind", "group", "deps", "tags", "owners", "description", "table"): assert k in a[0], k
' || fail "defs list --json: $OUT"
expect_rc 0 "$FLOE" -p proj defs list --select 'hello+'
expect_out "hello_downstream"
expect_rc 2 "$FLOE" -p proj defs list --select 'helo'
expect_out "selection 'helo': no asset 'helo' (did you mean 'hello'?)"
expect_rc 0 "$FLOE" -p proj job list
expect_out "all_assets"
case "$OUT" in *"all_assets  *          2"*) ;; *) fail "job list: $OUT";; esac

# a bigger project: ingest assets, tags, jobs with selections, warnings on stderr
mkdir -p big/assets
cat > big/floe.yaml <<'Y'
name: big
lake: {namespace: lk}
jobs:
  - {name: stable, selection: "tag:src=stable", tags: {dagster/priority: "-1"}}
  - {name: down, selection: "raw*"}
  - {name: nothing, selection: "group:none"}
schedules:
  - {name: weekly, job: stable, cron: "0 0 * * 0", timezone: UTC}
Y
cat > big/assets/b.yaml <<'Y'
assets:
  - key: raw
    kind: ingest
    source: {type: csv, path: data/raw.csv}
    tags: {src: stable}
  - key: oso.clean
    kind: command
    command: [sh, -c, "true"]
    deps: [raw]
    tags: {src: stable}
Y
cat > big/assets/a.yaml <<'Y'
assets:
  - {key: report, kind: command, command: ["true"], deps: [oso.clean], owners: [me@x.org]}
Y
expect_rc 0 "$FLOE" -p big defs validate
expect_out "ok: 3 assets, 3 jobs, 1 schedule"
expect_out "warning: floe.yaml:6:5: job 'nothing' selects no assets"
expect_rc 0 "$FLOE" -p big defs list --json
echo "$OUT" | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert [x["key"] for x in a] == ["raw", "oso.clean", "report"], a   # dependency order across files
assert a[0]["table"] == "lk.raw" and a[1]["table"] is None and a[2]["owners"] == ["me@x.org"]
assert a[0]["tags"] == {"src": "stable"}
' || fail "big defs list --json: $OUT"
# a key's path prefix is not part of the table it names: sqlmesh/oso.projects_v1 -> oso.projects_v1
mkdir -p keys/assets && echo "name: keys" > keys/floe.yaml
printf 'assets:\n  - {key: sqlmesh/oso.projects_v1, kind: ingest, source: {type: csv, path: x.csv}}\n  - {key: github/events, kind: ingest, source: {type: csv, path: x.csv}}\n' > keys/assets/a.yaml
expect_rc 0 "$FLOE" -p keys defs list --json
echo "$OUT" | python3 -c '
import json, sys
t = {x["key"]: x["table"] for x in json.load(sys.stdin)}
assert t == {"sqlmesh/oso.projects_v1": "oso.projects_v1", "github/events": "oso.events"}, t' || fail "tables from keys: $OUT"
# defs validate warns (exit 0) about a file source whose path matches nothing yet
printf 'assets:\n  - {key: gone, kind: ingest, source: {type: csv, path: data/nope.csv}}\n  - {key: here, kind: ingest, source: {type: ndjson, path: "d/*.ndjson"}}\n' > keys/assets/b.yaml
mkdir -p keys/d && echo '{}' > keys/d/x.ndjson
expect_rc 0 "$FLOE" -p keys defs validate
expect_out "floe: warning: assets/b.yaml:2:57: asset 'gone': source.path: no file matches data/nope.csv"
expect_no_out "asset 'here'"
rm keys/assets/b.yaml
expect_rc 0 "$FLOE" -p big job list
expect_out "stable   tag:src=stable  2"
expect_out "down     raw*            3"

# no project
mkdir -p empty && cd empty
expect_rc 2 "$FLOE" defs validate
expect_out "no floe.yaml in $T/empty or any parent (use -p DIR or run \`floe init DIR\`)"
cd "$T"
expect_rc 2 "$FLOE" -p nowhere defs validate
expect_out "does not exist"
echo ok
