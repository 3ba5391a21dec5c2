# Every program floe starts gets only what it asked for, and what it prints is redacted (issue 8.3/8.4):
# a `command` ingest source and an http_json `serve:` helper dump their environment and print a secret to
# stdout, stderr, events (log, materialization metadata, an asset_check name, an unknown event type, a
# malformed event line); a command asset prints 2 MiB without a newline and then a secret split across two
# writes. Afterwards no value is in the instance dir (floe.db + WAL + logs) or any CLI output, and the
# children's environments hold no keystore credential and no DAGSTER__* variable.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets $P/scripts
rnd() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
SRC_PW="srcpw-$(rnd)"; API_TOK="apitok-$(rnd)"; STREAM_PW="stream-$(rnd)"; PASSPHRASE="pass-$(rnd)"; UNUSED="unused-$(rnd)"
cat > $P/floe.yaml <<'Y'
name: children
lake: {warehouse: .floe/lake, namespace: oso}
Y
export DAGSTER__SRC__PASSWORD="$SRC_PW" DAGSTER__API__TOKEN="$API_TOK" DAGSTER__STREAM__PW="$STREAM_PW"
export DAGSTER__OTHER__UNUSED="$UNUSED"
R=$(rnd); API_KEY="k+y/$R"   # the server sees it as k%2By%2F... in its request line
export DAGSTER__API__KEY="$API_KEY"
export FLOE_KEYSTORE_KEY=$($FLOE secrets keygen) FLOE_KEYSTORE_PASSPHRASE="$PASSPHRASE"
export DUMP=$T
cat > $P/scripts/source.sh <<'SH'
env > "$DUMP/source_env"
echo "stdout $PW"; echo "stderr $PW" >&2
printf '{"type":"log","level":"info","message":"log %s"}\n' "$PW" >> "$FLOE_EVENTS"
printf '{"type":"materialization","metadata":{"pw":"%s"}}\n' "$PW" >> "$FLOE_EVENTS"
printf '{"type":"asset_check","name":"%s","passed":true}\n' "$PW" >> "$FLOE_EVENTS"
printf '{"type":"%s"}\n' "$PW" >> "$FLOE_EVENTS"
printf '{"type":"log", %s}\n' "$PW" >> "$FLOE_EVENTS"
printf '{"id":1}\n' > "$FLOE_OUTPUT"
SH
cat > $P/scripts/serve.py <<'PY'
import http.server, json, os, sys
out = open(os.path.join(os.environ["DUMP"], "serve_env"), "w")
out.write("\n".join("%s=%s" % kv for kv in os.environ.items())); out.close()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        print("stdout " + auth, flush=True); print("stderr " + auth, file=sys.stderr, flush=True)
        print("GET " + self.path, flush=True)
        with open(os.environ["FLOE_EVENTS"], "a") as ev:
            ev.write(json.dumps({"type": "log", "message": "got " + auth}) + "\n")
            ev.write(json.dumps({"type": "materialization", "metadata": {"auth": auth}}) + "\n")
        body = json.dumps([{"id": 1}]).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
pf = os.environ["FLOE_SERVE_PORT_FILE"]
open(pf + ".tmp", "w").write(str(s.server_address[1])); os.rename(pf + ".tmp", pf)
s.serve_forever()
PY
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.from_command
    kind: ingest
    source: {type: command, command: [sh, scripts/source.sh], format: ndjson, env: {PW: {secret: src.password}}}
  - key: oso.from_api
    kind: ingest
    source:
      type: http_json
      url: "http://127.0.0.1:{port}/items"
      bearer_token: {secret: api.token}
      params: {key: {secret: api.key}}
      serve: [python3, scripts/serve.py]
  - key: long_line
    kind: command
    env: {S: {secret: stream.pw}}
    command: [bash, -c, 'head -c 2097152 /dev/zero | tr "\0" A; printf %s "${S:0:9}"; sleep 1; printf "%s\n" "${S:9}"']
Y
ALL=$T/all_output; : > $ALL
run() { expect_rc "$@"; printf '%s\n' "$OUT" >> $ALL; }
run 0 $FLOE -p $P asset materialize --select '*'
RUN=$(sqlite3 $P/.floe/floe.db "select id from runs order by created_us desc limit 1")
$FLOE -p $P run logs $RUN > $T/logs 2>&1 || fail "run logs failed"
cat $T/logs >> $ALL
for want in "stdout ********" "stderr Bearer ********" "AAAA********" "GET /items?key=********"; do
  grep -qF -- "$want" $T/logs || fail "run logs lack '$want'"   # (the logs hold 2 MiB: not printed)
done
run 0 $FLOE -p $P run show $RUN
sqlite3 $P/.floe/floe.db "select type||' '||coalesce(message,'')||' '||coalesce(data,'') from events" > $T/events
grep -q "check \*\*\*\*\*\*\*\* passed" $T/events || fail "asset_check event missing: $(cat $T/events)"
grep -q "unknown event type '\*\*\*\*\*\*\*\*'" $T/events || fail "unknown-type event missing: $(cat $T/events)"
grep -q "ignored event line" $T/events || fail "malformed-line warning missing: $(cat $T/events)"
cat $T/events >> $ALL
# the children really ran, with environments that hold nothing they did not ask for
[ -s $T/source_env ] && [ -s $T/serve_env ] || fail "the children did not dump their environment"
grep -q "^PW=$SRC_PW\$" $T/source_env || fail "the command source did not get source.env"
for f in $T/source_env $T/serve_env; do
  grep -E '^(DAGSTER__|FLOE_KEYSTORE_KEY|FLOE_KEYSTORE_PASSPHRASE|FLOE__)' $f && fail "$(basename $f) inherited a secret variable"
  grep -qF -- "$PASSPHRASE" $f && fail "$(basename $f) holds the keystore passphrase"
  grep -qF -- "$UNUSED" $f && fail "$(basename $f) holds a secret it did not ask for"
  grep -qF -- "$API_TOK" $f && fail "$(basename $f) holds the API token"
  grep -qF -- "$R" $f && fail "$(basename $f) holds the API key"
done
leaks=$(for v in "$SRC_PW" "$API_TOK" "$STREAM_PW" "$PASSPHRASE" "$R"; do grep -rlaF -- "$v" $P/.floe $ALL || true; done | sort -u)
[ -z "$leaks" ] || fail "secret values found in:
$leaks"
echo ok
