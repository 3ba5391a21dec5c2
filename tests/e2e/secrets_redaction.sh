# Secrets end to end: steps receive secrets from .env, the environment and the keystore (also as
# resource fields) and print them everywhere they can; afterwards the values must appear nowhere in
# the instance directory (database included) nor in any CLI output, while the steps really got them.
# A missing secret fails only the step that needs it, with an error naming the variable.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
rnd() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
PW_DOTENV="dotenv-$(rnd)"; PW_ENV="environ-$(rnd)"; PW_KS="keystore-$(rnd)"; CH_PW="chpw-$(rnd)"
cat > $P/floe.yaml <<'Y'
name: secrets_e2e
secrets: {prefix: dagster, env_file: .env}
jobs:
  - name: plain_job
    selection: plain
    config: {plain: {note: string}}
resources:
  warehouse:
    type: clickhouse
    host: {secret: clickhouse.host}
    user: {secret: clickhouse.user}
    password: {secret: clickhouse.password}
Y
cat > $P/.env <<E
# local secrets
DAGSTER__DB__PASSWORD="$PW_DOTENV"
export DAGSTER__CLICKHOUSE__HOST=ch.internal
DAGSTER__CLICKHOUSE__USER=reader
DAGSTER__CLICKHOUSE__PASSWORD='$CH_PW'
E
export DAGSTER__GITHUB__TOKEN="$PW_ENV"
export FLOE_KEYSTORE=$P/.floe/keystore FLOE_KEYSTORE_KEY=$($FLOE secrets keygen)
printf '%s\n' "$PW_KS" | $FLOE -p $P secrets set gcp.credentials >/dev/null 2>&1 || fail "secrets set"
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: leaky
    kind: command
    env:
      DB_PW: {secret: db.password}
      TOKEN: {secret: github.token}
      GCP: {secret: gcp.credentials}
    resources: [warehouse]
    command: ["sh", "-c", "echo \"db=$DB_PW token=$TOKEN gcp=$GCP ch=$WAREHOUSE_PASSWORD\"; echo \"stderr $DB_PW\" >&2; printf '%s|%s|%s|%s' \"$DB_PW\" \"$TOKEN\" \"$GCP\" \"$WAREHOUSE_PASSWORD\" > \"$RECEIVED\"; printf '{\"type\":\"log\",\"level\":\"info\",\"message\":\"token %s\"}\\n' \"$TOKEN\" >> $FLOE_EVENTS; printf '{\"type\":\"materialization\",\"metadata\":{\"pw\":\"%s\"}}\\n' \"$DB_PW\" >> $FLOE_EVENTS"]
  - key: fails_loudly
    kind: command
    env: {GCP: {secret: gcp.credentials}}
    command: ["sh", "-c", "echo \"about to fail with $GCP\"; echo \"fatal: bad credentials $GCP\" >&2; exit 3"]
  - key: needs_missing
    kind: command
    env: {K: {secret: missing.api_key}}
    command: ["sh", "-c", "echo should-not-run > \"$RECEIVED.missing\""]
  - key: plain
    kind: command
    command: ["sh", "-c", "echo plain-ran"]
Y
export RECEIVED=$T/received
ALL=$T/all_output; : > $ALL
run() { expect_rc "$@"; printf '%s\n' "$OUT" >> $ALL; }

run 0 $FLOE -p $P defs validate
run 1 $FLOE -p $P secrets doctor          # missing.api_key is missing -> exit 1
expect_out "missing.api_key"; expect_out "DAGSTER__MISSING__API_KEY"; expect_out "MISSING"
expect_out "db.password"; expect_out ".env file"; expect_out "environment variable DAGSTER__GITHUB__TOKEN"
expect_out "keystore $P/.floe/keystore"
run 1 $FLOE -p $P asset materialize --select '*'
# the step really received every value
[ "$(cat $RECEIVED)" = "$PW_DOTENV|$PW_ENV|$PW_KS|$CH_PW" ] || fail "step did not receive the secrets: $(cat $RECEIVED)"
[ ! -e $RECEIVED.missing ] || fail "a step whose secret is missing ran"
RUN=$(sqlite3 $P/.floe/floe.db "select id from runs order by created_us desc limit 1")
run 0 $FLOE -p $P run logs $RUN
expect_out "db=********"; expect_out "stderr ********"; expect_out "about to fail with ********"
set +e; OUT=$($FLOE -p $P run show $RUN 2>&1); set -e; printf '%s\n' "$OUT" >> $ALL
expect_out "DAGSTER__MISSING__API_KEY"        # the error names the variable...
expect_out "plain"
# a secret value pasted into run config is redacted in the copy stored with the run
cat > $T/config.yaml <<C
ops: {plain: {config: {note: "$PW_ENV"}}}
C
run 0 $FLOE -p $P job launch plain_job -c $T/config.yaml
# ...so re-executing that run is refused (it would hand the step the mask, not the value)
CFG_RUN=$($FLOE -p $P run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
run 2 $FLOE -p $P run reexecute $CFG_RUN
expect_out "stored redacted (********); launch the job again with its config file (floe job launch plain_job -c FILE)"
run 0 $FLOE -p $P run list
run 0 $FLOE -p $P asset list --json
run 0 $FLOE -p $P secrets list
run 2 $FLOE -p $P resource check nosuch
# the missing secret failed only its own step
sqlite3 $P/.floe/floe.db "select asset_key||':'||status from steps where run_id='$RUN'" > $T/steps
grep -qx "plain:SUCCESS" $T/steps || fail "plain did not succeed: $(cat $T/steps)"
grep -qx "leaky:SUCCESS" $T/steps || fail "leaky did not succeed: $(cat $T/steps)"
grep -qx "needs_missing:FAILURE" $T/steps || fail "needs_missing did not fail: $(cat $T/steps)"
grep -qx "fails_loudly:FAILURE" $T/steps || fail "fails_loudly did not fail: $(cat $T/steps)"
# the search: no value anywhere in the instance directory (db, WAL, logs, run config) or the output
leaks=$(for v in "$PW_DOTENV" "$PW_ENV" "$PW_KS" "$CH_PW"; do grep -rlaF -- "$v" $P/.floe $ALL || true; done | sort -u)
[ -z "$leaks" ] || fail "secret values found in:
$leaks"
[ -s $P/.floe/floe.db ] || fail "no database"
ls $P/.floe/logs >/dev/null 2>&1 || fail "no step logs"
grep -raF -- "********" $P/.floe >/dev/null || fail "no redaction marker in the instance dir: were the logs written?"
echo "ok"
