#!/usr/bin/env bash
# defs_errors.sh — every kind of project mistake gives exit 2 and a message naming file:line:col, the key
# path, what was expected and what was found.
source "$(dirname "$0")/lib.sh"
cd "$T"
# bad FLOE_YAML ASSETS_YAML MESSAGE-PART... : writes the project, expects exit 2 and every part in the output
bad() {
  local fy=$1 ay=$2; shift 2
  rm -rf p && mkdir -p p/assets
  printf '%s\n' "$fy" > p/floe.yaml
  [ -n "$ay" ] && printf '%s\n' "$ay" > p/assets/a.yaml
  expect_rc 2 "$FLOE" -p p defs validate
  for part in "$@"; do expect_out "$part"; done
}
C='kind: command
    command: [echo]'

# unknown key, with did-you-mean
bad 'name: x' "assets:
  - key: a
    $C
    dep: [b]" \
  "floe: error: assets/a.yaml:5:5: assets[0].dep: unknown key; expected one of key, kind, command," "found 'dep' (did you mean 'deps'?)"
bad 'nmae: x' '' "floe.yaml:1:1: nmae: unknown key;" "(did you mean 'name'?)"
# a bad table name for an ingest asset
bad '' 'assets:
  - key: x
    kind: ingest
    table: "oso./t"
    source: {type: csv, path: t.csv}' \
  "assets/a.yaml:4:12: assets[0].table: bad table name; expected namespace.table with non-empty parts and no '/', found 'oso./t'"
# wrong types
bad '' "assets:
  - key: a
    $C
    timeout: abc" \
  "assets/a.yaml:5:14: assets[0].timeout: not a number; expected a number of seconds >= 0, found 'abc'"
bad '' "assets:
  - key: a
    $C
    deps: x" \
  "assets/a.yaml:5:11: assets[0].deps: wrong type; expected a list of asset keys, found 'x'"
bad '' 'assets:
  - key: a
    kind: command
    command: "echo hi"' \
  "assets/a.yaml:4:14: assets[0].command: wrong type; expected a list of strings (the argv to run), found 'echo hi'"
# missing required keys
bad '' 'assets:
  - kind: command
    command: [echo]' \
  "assets/a.yaml:2:5: assets[0].key: missing required key; expected an asset key" "found nothing"
bad '' 'assets:
  - key: a' \
  "assets/a.yaml:2:5: assets[0].kind: missing required key; expected one of command, ingest, found nothing"
bad '' 'assets:
  - key: a
    kind: command' \
  "assets/a.yaml:2:5: assets[0].command: missing required key for kind command; expected a list of strings"
bad '' 'assets:
  - key: a
    kind: ingest' \
  "assets/a.yaml:2:5: assets[0].source: missing required key for kind ingest; expected a mapping with type:"
# duplicate asset key: points at the second, names the first
rm -rf p && mkdir -p p/assets && echo 'name: p' > p/floe.yaml
printf 'assets:\n  - {key: a, kind: command, command: [echo]}\n' > p/assets/1.yaml
printf 'assets:\n  - {key: b, kind: command, command: [echo]}\n  - {key: a, kind: command, command: [echo]}\n' > p/assets/2.yaml
expect_rc 2 "$FLOE" -p p defs validate
expect_out "assets/2.yaml:3:11: assets[1].key: duplicate asset key 'a'; expected a unique key, found it again (first defined at assets/1.yaml:2:11)"
# unknown dependency, with did-you-mean against asset keys
bad '' 'assets:
  - {key: github_events, kind: command, command: [echo]}
  - {key: b, kind: command, command: [echo], deps: [github_event]}' \
  "assets/a.yaml:3:53: assets[1].deps[0]: no asset 'github_event'; expected the key of an asset defined in the project, found 'github_event' (did you mean 'github_events'?)"
# dependency cycle with its path
bad '' 'assets:
  - {key: a, kind: command, command: [echo], deps: [c]}
  - {key: b, kind: command, command: [echo], deps: [a]}
  - {key: c, kind: command, command: [echo], deps: [b]}' \
  "assets/a.yaml:2:53: assets[0].deps[0]: dependency cycle a -> c -> b -> a; expected deps without cycles"
# unknown job in a schedule
bad 'jobs: [{name: weekly_job}]
schedules:
  - {name: s, job: weekly_jbo, cron: "0 0 * * 0"}' '' \
  "floe.yaml:3:20: schedules[0].job: no job 'weekly_jbo'; expected the name of a job in jobs:, found 'weekly_jbo' (did you mean 'weekly_job'?)"
# invalid selections in a job: unknown key, malformed term
bad 'jobs:
  - name: j
    selection: "foo+"' 'assets:
  - {key: foo2, kind: command, command: [echo]}' \
  "floe.yaml:3:16: jobs[0].selection: selection 'foo+': no asset 'foo' (did you mean 'foo2'?); expected a valid asset selection, found 'foo+'"
bad 'jobs:
  - name: j
    selection: "foo2, a b"' 'assets:
  - {key: foo2, kind: command, command: [echo]}' \
  "floe.yaml:3:16: jobs[0].selection: selection 'foo2, a b': malformed term 'a b'"
bad 'jobs: [{name: j, selection: "tags:a=b"}]' '' "jobs[0].selection: selection 'tags:a=b': unknown term prefix 'tags:' (did you mean 'tag:'?)"
# bad enum value
bad '' "assets:
  - key: a
    $C
    retry: {max_retries: 2, backoff: expo}" \
  "assets/a.yaml:5:38: assets[0].retry.backoff: invalid value; expected one of constant, linear, exponential, found 'expo'"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: csv}, mode: apend}' "assets[0].mode: invalid value; expected one of append, overwrite, merge, replace_range, found 'apend' (did you mean 'append'?)"
# source: every option is checked against its connector's table at load (exit 2), never ignored
bad '' 'assets:
  - key: a
    kind: ingest
    source: {type: csv, path: a.csv, delimter: ";"}' \
  "assets/a.yaml:4:38: assets[0].source.delimter: unknown key; expected one of type, columns," "found 'delimter' (did you mean 'delimiter'?)"
bad '' 'assets:
  - key: a
    kind: ingest
    source:
      type: csv
      path: a.csv
      hedaer: false' \
  "assets/a.yaml:7:7: assets[0].source.hedaer: unknown key;" "(did you mean 'header'?)"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: csv, path: a.csv, header: maybe}}' \
  "assets/a.yaml:2:69: assets[0].source.header: not a boolean; expected true or false, found 'maybe'"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: cvs, path: a.csv}}' \
  "assets/a.yaml:2:43: assets[0].source.type: unknown source type; expected one of csv, ndjson, parquet, http_json, postgres, command, found 'cvs' (did you mean 'csv'?)"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: ndjson}}' \
  "assets/a.yaml:2:36: assets[0].source.path: missing required key; expected the path or glob of the NDJSON files, found nothing"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: http_json, url: "http://x", timeout: soon}}' \
  "assets[0].source.timeout: not a number >= 0; expected a number of seconds >= 0, found 'soon'"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: http_json, url: "http://x", pagination: {type: page, page_parm: p}}}' \
  "assets[0].source.pagination.page_parm: unknown key;" "(did you mean 'page_param'?)"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: http_json, url: "http://x", pagination: cursr}}' \
  "assets[0].source.pagination: invalid value; expected one of none, page, offset, cursor, link, next_url, or a mapping, found 'cursr' (did you mean 'cursor'?)"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: http_json, url: "http://x", retry: {max_retires: 3}}}' \
  "assets[0].source.retry.max_retires: unknown key; expected one of max_retries, backoff, max_backoff" "(did you mean 'max_retries'?)"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: postgres, url: {secret: pg}, query: "SELECT 1"}}' \
  "assets[0].source.url.secret: invalid secret reference; expected group.key"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: command, command: [sh], format: xml}}' \
  "assets[0].source.format: invalid value; expected one of ndjson, csv, parquet, found 'xml'"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: parquet, path: a.parquet, delimiter: ","}}' \
  "assets[0].source.delimiter: unknown key; expected one of type, columns, flatten, replace_where, start, end, path, found 'delimiter'"
# columns: types are checked at load (a bogus type used to pass validation and fail the run)
bad '' 'assets:
  - key: a
    kind: ingest
    source: {type: csv, path: a.csv}
    columns: {id: long, amount: bogus_type}' \
  "assets/a.yaml:5:33: assets[0].columns.amount: unknown column type; expected boolean, int, long, float, double, string, json, date, timestamp, timestamptz or decimal(P,S), found 'bogus_type'"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: csv, path: a.csv, columns: {ts: timestmap}}}' \
  "assets[0].source.columns.ts: unknown column type;" "found 'timestmap' (did you mean 'timestamp'?)"
bad '' 'assets:
  - {key: a, kind: ingest, source: {type: csv, path: a.csv}, columns: {x: "decimal(40,2)"}}' \
  "assets[0].columns.x: unknown column type;" "found 'decimal(40,2)'"
# every documented option of every connector loads
rm -rf p && mkdir -p p/assets && echo 'name: p' > p/floe.yaml
cat > p/assets/a.yaml <<'YAML'
assets:
  - {key: c, kind: ingest, source: {type: csv, path: a.csv, header: true, delimiter: ";", replace_where: "x > 1"}, columns: {a: "decimal(10, 2)", b: timestamptz}}
  - {key: n, kind: ingest, source: {type: ndjson, path: "d/*.ndjson", flatten: {x: a.b}, columns: {x: long}}}
  - {key: q, kind: ingest, source: {type: parquet, path: a.parquet}}
  - {key: m, kind: ingest, source: {type: command, command: [sh, x.sh], format: csv, env: {A: b, T: {secret: g.t}}, cwd: sub}}
  - key: h
    kind: ingest
    source:
      type: http_json
      url: {secret: api.url}
      params: {per_page: 100, key: {secret: api.key}}
      headers: {Accept: application/json}
      bearer_token: {secret: api.token}
      records: data.items
      pagination: {type: cursor, cursor_param: c, cursor_path: meta.next}
      max_pages: 10
      max_page_bytes: 1048576
      allow_hosts: [api2.example.com]
      retry: {max_retries: 2, backoff: 0.1, max_backoff: 1}
      rate_limit: 5
      timeout: 3
      serve: [python3, api.py]
  - {key: h2, kind: ingest, source: {type: http_json, url: "http://x", pagination: link}}
  - {key: g, kind: ingest, source: {type: postgres, url: {secret: pg.url}, table: public.t}}
YAML
expect_rc 0 "$FLOE" -p p defs validate

# negative numbers
bad '' "assets:
  - key: a
    $C
    timeout: -5" "assets/a.yaml:5:14: assets[0].timeout: must not be negative; expected a number of seconds >= 0, found '-5'"
bad '' "assets:
  - key: a
    $C
    retry: {max_retries: -1}" "assets[0].retry.max_retries: must not be negative; expected an integer >= 0, found '-1'"
# invalid asset key characters
bad '' 'assets:
  - {key: "github events", kind: command, command: [echo]}' \
  "assets/a.yaml:2:11: assets[0].key: invalid character ' '; expected letters, digits and _ . / -, found 'github events'"
# secret reference without a dot
bad '' "assets:
  - key: a
    $C
    env: {TOKEN: {secret: token}}" \
  "assets/a.yaml:5:27: assets[0].env.TOKEN.secret: invalid secret reference; expected group.key (for example github.token), found 'token'"
# cron
bad 'jobs: [{name: j}]
schedules: [{name: s, job: j, cron: "0 0 * *"}]' '' \
  "floe.yaml:2:37: schedules[0].cron: invalid cron expression; expected 5 fields"
# YAML syntax error
bad '' 'assets:
  - {key: a, kind: command, command: [echo]
' "assets/a.yaml:4:1: did not find expected ',' or '}'"
bad 'a: &x 1
b: *y' '' "floe.yaml:2:4: unknown alias '*y'; expected an anchor defined above it (&y)"
# a merge key must merge a mapping; what it merges is validated like the rest
bad '' "x-list: &x [1]
assets:
  - key: a
    <<: *x
    $C" "assets/a.yaml:4:5: merge key '<<': expected a mapping or a list of mappings"
bad '' "x-d: &d {kind: command, command: [echo], retry: {max_retries: lots}}
assets:
  - {<<: *d, key: a}" "assets/a.yaml:1:63: assets[0].retry.max_retries: not an integer; expected an integer >= 0, found 'lots'"

# anchors, aliases and merge keys share settings between assets (as in Dagster projects' YAML)
rm -rf p && mkdir -p p/assets
printf 'name: x\n' > p/floe.yaml
cat > p/assets/a.yaml <<'YAML'
x-defaults: &defaults
  kind: command
  command: [echo, hi]
  group: shared
  retry: {max_retries: 2, delay: 1}
assets:
  - <<: *defaults
    key: a
  - <<: *defaults
    key: b
    deps: [a]
    group: own
YAML
expect_rc 0 "$FLOE" -p p defs list --json
python3 - "$OUT" <<'PY' || fail "merged assets: $OUT"
import json, sys
a = {x["key"]: x for x in json.loads(sys.argv[1])}
assert a["a"]["group"] == "shared" and a["b"]["group"] == "own", a
assert a["b"]["deps"] == ["a"], a
PY
sed -i 's/^x-defaults:/defaults:/' p/assets/a.yaml
expect_rc 2 "$FLOE" -p p defs validate
expect_out "assets/a.yaml:1:1: defaults: unknown key"
echo ok
