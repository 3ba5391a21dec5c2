#!/usr/bin/env bash
# http_json sources stay where they were pointed (issue 8.2), against a hostile local API
# (tests/e2e/http_api.py; 127.0.0.2 at the same port plays "another host", a raw TCP listener a local
# service): a next page (Link header or next_url body value) or a redirect to another host is refused
# before any header is sent there, unless the host is in source.allow_hosts; file://, gopher://, dict://
# and ftp:// are never fetched (nothing reaches the raw listener, no file is read); redirects are bounded;
# a gzip bomb stops at source.max_page_bytes with an error naming it; an error quotes only a short excerpt
# of a response, redacted before it is cut.
. "$(dirname "$0")/lib.sh"
python3 "$SRC/tests/e2e/http_api.py" $T/port $T/req.log 40 & API=$!
trap 'rc=$?; kill $API 2>/dev/null; (exit $rc); cleanup' EXIT  # keep the test's exit status
for i in $(seq 100); do [ -f $T/port ] && [ -f $T/port.raw ] && break; sleep 0.05; done
PORT=$(cat $T/port); RAW=$(cat $T/port.raw)
B=http://127.0.0.1:$PORT; OTHER=http://127.0.0.2:$PORT
curl -sf "$OTHER/pages" >/dev/null || fail "the API does not answer on 127.0.0.2"
: > $T/req.log
lake_project
printf 'DAGSTER__API__TOKEN=s3cr3t-tok\nDAGSTER__API__KEY=k3y-value\n' > $P/.env
echo "FILE-CONTENT-MARKER" > $T/local.txt
# asset NAME URL [EXTRA YAML for the source]: every source sends the bearer token and a secret header
asset() { # NAME URL [MORE]
  cat >> $P/assets/a.yaml <<Y
  - key: oso.$1
    kind: ingest
    source:
      type: http_json
      url: "$2"
      bearer_token: {secret: api.token}
      headers: {X-Api-Key: {secret: api.key}}
      records: items
      timeout: 5
      retry: {max_retries: 0}
${3:-}
Y
}
echo 'assets:' > $P/assets/a.yaml
asset link_other "$B/pages?next=$OTHER/pages" "      pagination: link"
asset body_other "$B/pages?next=$OTHER/pages" "      pagination: {type: next_url, next_path: next}"
asset link_allowed "$B/pages?next=$OTHER/pages" "      pagination: link
      allow_hosts: [127.0.0.2]"
asset link_same "$B/pages?next=/pages" "      pagination: link"
asset redirect_other "$B/redirect?to=$OTHER/pages"
asset redirect_same "$B/redirect?to=/pages"
asset redirect_loop "$B/loop"
asset to_file "$B/pages?next=file://$T/local.txt" "      pagination: link"
asset to_gopher "$B/pages?next=gopher://127.0.0.1:$RAW/_SET%2520pwned%25201" "      pagination: link"
asset to_dict "$B/pages?next=dict://127.0.0.1:$RAW/SET:pwned:1" "      pagination: {type: next_url, next_path: next}"
asset to_ftp "$B/pages?next=ftp://127.0.0.1:$RAW/x" "      pagination: link"
asset first_file "file://$T/local.txt"
asset bomb_capped "$B/bomb?mb=8" "      records: ''
      max_page_bytes: 1048576"
asset bomb "$B/bomb?mb=100" "      records: ''"
asset echo_err "$B/echo_err?pad=195"
for c in bad_elem trailing html escaped_key; do asset $c "$B/raw?case=$c"; done
asset cursor_inside "$B/raw?case=cursor_inside" "      pagination: {type: cursor, cursor_path: items.0.c}"
asset nested "$B/raw?case=nested" "      records: data.1.items"
python3 - $P/assets/a.yaml <<'PY'   # the bomb assets read the body itself: drop their first records: line
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r"      records: items\n((?:      (?!records).*\n)*)      records: ''\n", r"      records: ''\n\1", s)
open(sys.argv[1], "w").write(s)
PY
sed -i '/key: oso.nested/,/records: items/{/records: items/d}' $P/assets/a.yaml
q() { f query "$1" --format csv | tail -n +2; }
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
# run NAME: materializes oso.NAME expecting a failure; $OUT holds the run's messages
fails() {
  expect_rc 1 f asset materialize --select oso.$1
  local m=$OUT
  expect_rc 0 f run show "$(last_run)"
  OUT="$m
$OUT"
}
reached_other() { python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["srv"] == "127.0.0.2"))' $T/req.log; }

# (a) a next page on another host, by Link header or body value: refused, nothing sent there
fails link_other
expect_out "refused to follow the next page to $OTHER/pages: another origin than source.url's"
[ "$(reached_other)" = 0 ] || fail "a request (with the token) reached the other host: $(grep 127.0.0.2 $T/req.log)"
fails body_other
expect_out "refused to follow the next page to $OTHER/pages"
[ "$(reached_other)" = 0 ] || fail "next_url: a request reached the other host"
# ... unless the asset allows that host; the same origin needs nothing (a relative target included)
expect_rc 0 f asset materialize --select oso.link_allowed,oso.link_same
[ "$(q 'SELECT count(*) FROM oso.link_allowed')" = 20 ] || fail "allow_hosts: $(q 'SELECT count(*) FROM oso.link_allowed')"
[ "$(q 'SELECT count(*) FROM oso.link_same')" = 20 ] || fail "relative next: $(q 'SELECT count(*) FROM oso.link_same')"
[ "$(reached_other)" = 1 ] || fail "allow_hosts: $(reached_other) requests at the other host"

# (b) a redirect to another host: refused before the custom secret header goes there; same-origin ones are
# followed (with the headers), and a redirect loop ends after 10 hops
: > $T/req.log
fails redirect_other
expect_out "refused to follow a redirect (HTTP 302) to $OTHER/pages: another origin"
[ "$(reached_other)" = 0 ] || fail "the redirect was followed to the other host: $(cat $T/req.log)"
expect_rc 0 f asset materialize --select oso.redirect_same
[ "$(q 'SELECT count(*) FROM oso.redirect_same')" = 10 ] || fail "same-origin redirect"
grep '"path": "/pages"' $T/req.log | grep -q '"x": "k3y-value"' || fail "same-origin redirect lost the headers"
fails redirect_loop
expect_out "GET $B/loop: more than 10 redirects"
[ "$(grep -c '/loop' $T/req.log)" = 11 ] || fail "redirect loop: $(grep -c '/loop' $T/req.log) requests"

# (c) other schemes are never fetched: no file read, no byte (no connection even) at the local service
fails to_file
expect_out "refused to follow the next page to file://$T/local.txt: only http and https URLs are fetched"
expect_no_out "FILE-CONTENT-MARKER"
fails first_file
expect_out "source.url: expected an http:// or https:// URL"
expect_no_out "FILE-CONTENT-MARKER"
for s in gopher dict ftp; do
  fails to_$s
  expect_out "refused to follow the next page to $s://127.0.0.1:$RAW/"
  expect_out "only http and https URLs are fetched"
done
sleep 0.3   # the raw listener logs a connection when it closes (or after 2 s idle): none may exist
[ ! -s $T/req.log.raw ] || fail "bytes reached the local TCP service: $(cat $T/req.log.raw)"

# (d) a gzip bomb: the body is capped after decompression, with an error naming the limit (default 64 MiB)
fails bomb_capped
expect_out "the response is larger than source.max_page_bytes = 1048576 bytes (after decompression)"
t0=$(date +%s)
fails bomb
expect_out "the response is larger than source.max_page_bytes = 67108864 bytes"
[ $(( $(date +%s) - t0 )) -lt 30 ] || fail "the bomb took $(( $(date +%s) - t0 )) s"

# an error quotes a short excerpt of the response, with the secrets redacted before it is cut: the key
# the API echoes at byte 195 must not show even in part
fails echo_err
expect_out "HTTP 400: xxxxxxxx"
expect_no_out "k3y-v"
expect_no_out "$(printf 'x%.0s' $(seq 161))"

# records are read one by one (not as one tree of the whole body): the same records, the same errors
fails bad_elem
expect_out "GET $B/raw?case=bad_elem: the response is not JSON (line 2: "
fails trailing
expect_out "the response is not JSON (line 1: "
fails html
expect_out "the response is not JSON (line 1: "
expect_out "it starts: <!DOCTYPE html><html><body>zzz"
expect_no_out "$(printf 'z%.0s' $(seq 161))"
expect_rc 0 f asset materialize --select oso.escaped_key,oso.cursor_inside,oso.nested
[ "$(q "SELECT string_agg(id::VARCHAR, '|' ORDER BY id) FROM oso.escaped_key")" = 3 ] || fail "escaped/duplicate key"
[ "$(q 'SELECT count(*) FROM oso.cursor_inside')" = 2 ] || fail "cursor inside the records"
[ "$(q "SELECT string_agg(coalesce(id, value)::VARCHAR, '|' ORDER BY 1) FROM oso.nested")" = "6|7" ] || fail "nested path: $(q 'SELECT * FROM oso.nested')"
echo ok
