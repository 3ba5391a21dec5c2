#!/usr/bin/env bash
# http_json through real runs against a local API (tests/e2e/http_api.py) that pages, fails and
# rate-limits like real ones: Link-header, page-number, offset and cursor pagination; 503 and 429 with
# Retry-After retried; a bearer token and a header from secrets (.env), never shown in messages; a
# client-side rate limit; a request timeout; an HTTP error naming the URL and the status.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
python3 "$SRC/tests/e2e/http_api.py" $T/port $T/requests.log 250 & API=$!
trap 'rc=$?; kill $API 2>/dev/null; (exit $rc); cleanup' EXIT  # keep the test's exit status
for i in $(seq 100); do [ -f $T/port ] && break; sleep 0.05; done
PORT=$(cat $T/port); B=http://127.0.0.1:$PORT
cat > $P/floe.yaml <<'Y'
name: oso
lake: {warehouse: .floe/lake, namespace: oso}
Y
printf 'DAGSTER__API__TOKEN=s3cr3t-tok\nDAGSTER__API__KEY=k3y-value\n' > $P/.env
cat > $P/assets/a.yaml <<Y
assets:
  - key: oso.gh_events
    kind: ingest
    source:
      type: http_json
      url: $B/events
      params: {per_page: 30, token: s3cr3t-tok}
      bearer_token: {secret: api.token}
      headers: {X-Api-Key: {secret: api.key}}
      pagination: {type: link}
      flatten: {actor_login: actor.login}
    columns: {created_at: timestamptz}
  - key: oso.paged
    kind: ingest
    source:
      type: http_json
      url: $B/paged
      records: data.items
      pagination: {type: page, page_param: page, size_param: size, size: 50}
  - key: oso.offset
    kind: ingest
    source:
      type: http_json
      url: $B/offset
      params: {chaos: 1}
      records: results
      pagination: {type: offset, limit: 60}
      retry: {max_retries: 3, backoff: 0.05}
  - key: oso.cursor
    kind: ingest
    source:
      type: http_json
      url: $B/cursor
      records: items
      pagination: {type: cursor, cursor_param: cursor, cursor_path: meta.next_cursor}
      rate_limit: 20
    mode: merge
    unique_key: [id]
  - key: oso.missing
    kind: ingest
    source: {type: http_json, url: $B/missing, params: {key: {secret: api.key}}}
  - key: oso.dated
    kind: ingest
    source:
      type: http_json
      url: $B/offset
      params: {chaos: 2}
      records: results
      retry: {max_retries: 2, backoff: 0.05}
  - key: oso.served
    kind: ingest
    source:
      type: http_json
      url: "http://127.0.0.1:{port}/paged"
      serve: [python3, $SRC/tests/e2e/http_api.py, unused, $T/served.log, "70"]
      records: data.items
      pagination: {type: page, size_param: size, size: 50}
  - key: oso.slow
    kind: ingest
    source: {type: http_json, url: $B/slow, timeout: 1, retry: {max_retries: 0}}
Y
f() { "$FLOE" -p "$P" "$@"; }
q() { f query "$1" --format csv | tail -n +2; }
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
expect_rc 0 f asset materialize --select 'oso.gh_events,oso.paged,oso.offset,oso.cursor'
for t in gh_events paged offset cursor; do
  [ "$(q "SELECT count(*) FROM oso.$t")" = 250 ] || fail "$t: $(q "SELECT count(*) FROM oso.$t") rows"
  [ "$(q "SELECT count(DISTINCT id) FROM oso.$t")" = 250 ] || fail "$t: duplicate rows"
done
[ "$(q "SELECT actor_login FROM oso.gh_events WHERE id = 18")" = user1 ] || fail "flatten"
[ "$(q "SELECT typeof(created_at) FROM oso.gh_events LIMIT 1")" = "TIMESTAMP WITH TIME ZONE" ] || fail "declared type"
# every request carried the bearer token and the secret header
python3 - $T/requests.log <<'PY' || fail "auth headers"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ev = [r for r in rows if r["path"].startswith("/events")]
assert len(ev) == 9, len(ev)
assert all(r["auth"] == "Bearer s3cr3t-tok" and r["x"] == "k3y-value" for r in ev), ev[0]
# the chaos endpoint: each page failed with 503 then 429 (Retry-After: 1) before succeeding
off = [r for r in rows if r["path"].startswith("/offset")]
assert len(off) == 3 * 5, len(off)
# rate limit 20/s on the cursor endpoint: requests start 50 ms apart. Seen at the server, the first one
# arrives late by the TCP connect (the others reuse the connection) and any one by a few ms of scheduling on a
# loaded machine: the span from the second request cannot be short, no later gap much shorter (the first
# gap shrinks by however late the first request arrived)
cur = sorted(r["t"] for r in rows if r["path"].startswith("/cursor"))
assert len(cur) == 7, len(cur)
gaps = [b - a for a, b in zip(cur, cur[1:])]
assert cur[-1] - cur[1] >= 5 * 0.05 - 0.005 and min(gaps[1:]) >= 0.02, gaps
# Retry-After honoured: the retry after a 429 came at least ~1 s later
by = {}
for r in off: by.setdefault(r["path"], []).append(r["t"])
assert all(ts[2] - ts[1] >= 0.95 for ts in by.values()), by
PY
expect_rc 0 f asset list
expect_out '"pages":9'
expect_out '"retries":10'
expect_out '"rows_read":250'

# Retry-After as an HTTP date (2 s ahead, 1 s resolution): the retry waits until then, not the 0.05 s backoff
expect_rc 0 f asset materialize --select oso.dated
[ "$(q 'SELECT count(*) FROM oso.dated')" = 50 ] || fail "dated: $(q 'SELECT count(*) FROM oso.dated')"
python3 - $T/requests.log <<'PY' || fail "Retry-After date not honoured"
import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1]) if "chaos=2" in json.loads(l)["path"]]
assert len(ts) == 2, ts
assert ts[1] - ts[0] >= 0.9, ts
PY

# source.serve with {port} in the URL: the server picks a free port and writes it to $FLOE_SERVE_PORT_FILE;
# two runs at once get a server each
f asset materialize --select oso.served > $T/served1.out 2>&1 & S1=$!
expect_rc 0 f asset materialize --select oso.served
wait $S1 || fail "overlapping served run: $(cat $T/served1.out)"
[ "$(q 'SELECT count(*) FROM oso.served')" = 140 ] || fail "served: $(q 'SELECT count(*) FROM oso.served')"
marker_alive "$T/served.log" && fail "the served API outlived the step"

# errors: status and URL, without the secret; timeouts
expect_rc 1 f asset materialize --select oso.missing
expect_rc 0 f run show "$(last_run)"
expect_out "GET $B/missing?key=********: HTTP 404: {\"message\": \"Not Found\"}"
expect_no_out "k3y-value"
expect_rc 1 f asset materialize --select oso.slow
expect_rc 0 f run show "$(last_run)"
expect_out "GET $B/slow: Timeout was reached"
# the logs never hold a secret either
expect_rc 0 f run logs "$(last_run)"
expect_no_out "s3cr3t-tok"
# secrets from the environment (not .env) reach built-in ingest steps too
printf 'DAGSTER__API__KEY=k3y-value\n' > $P/.env
: > $T/requests.log
export DAGSTER__API__TOKEN=s3cr3t-tok   # .env no longer has it: without the environment the step would fail
expect_rc 0 f asset materialize --select oso.gh_events
unset DAGSTER__API__TOKEN
grep -aq '"auth": "Bearer s3cr3t-tok"' $T/requests.log || fail "token from the environment did not reach the ingest step"
printf 'DAGSTER__API__KEY=k3y-value\n' > $P/.env
expect_rc 1 f asset materialize --select oso.gh_events   # and without it, the secret is missing
expect_rc 0 f run show "$(last_run)"
expect_out "DAGSTER__API__TOKEN"
echo ok
