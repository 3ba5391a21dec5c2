# Resources: `floe resource check` against a fake ClickHouse HTTP interface (plain HTTP explicitly;
# TLS is the default) and a real PostgreSQL server; credentials from .env and the keystore; errors
# are ClickHouse's/libpq's own and never contain a password.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
P=$T/proj; mkdir -p $P/assets
CH_PW="ch-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
python3 "$(dirname "$0")/clickhouse_fake.py" $T/ch.port reader "$CH_PW" $T/ch.log &
CH_PID=$!
trap 'rc=$?; kill $CH_PID 2>/dev/null; pg_stop; (exit $rc); cleanup' EXIT
for _ in $(seq 100); do [ -s $T/ch.port ] && break; sleep 0.05; done
CH_PORT=$(cat $T/ch.port)
pg_start
cat > $P/floe.yaml <<Y
name: res
resources:
  clickhouse: {type: clickhouse, port: "$CH_PORT", secure: false}   # host/user/password: defaults
  ch_url: {type: clickhouse, url: "http://127.0.0.1:$CH_PORT", user: reader, password: {secret: clickhouse.password}}
  ch_tls: {type: clickhouse, port: "$CH_PORT"}                      # TLS on by default
  ch_wrong: {type: clickhouse, port: "$CH_PORT", secure: false, password: {secret: clickhouse.wrong_password}}
  pg: {type: postgres}                                              # url: postgres.connection_url
  pg_wrong: {type: postgres, url: {secret: postgres.wrong_url}}
Y
cat > $P/.env <<E
DAGSTER__CLICKHOUSE__HOST=127.0.0.1
DAGSTER__CLICKHOUSE__USER=reader
DAGSTER__CLICKHOUSE__PASSWORD="$CH_PW"
DAGSTER__CLICKHOUSE__WRONG_PASSWORD=not-$CH_PW
DAGSTER__POSTGRES__WRONG_URL=postgresql://floe:wrong-$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres
E
export FLOE_KEYSTORE=$T/keystore FLOE_KEYSTORE_KEY=$($FLOE secrets keygen)
printf '%s' "$PG_URL" | $FLOE -p $P secrets set postgres.connection_url 2>/dev/null || fail "secrets set"
ALL=$T/all; : > $ALL
run() { expect_rc "$@"; printf '%s\n' "$OUT" >> $ALL; }

run 0 $FLOE -p $P resource check clickhouse
# host and user come from secrets (OSO's convention), so they are redacted too
expect_out "clickhouse http://********:$CH_PORT/ as ********: SELECT 1 ok"
grep -q "auth=headers user=reader password_in_url=False" $T/ch.log || fail "credentials not sent in X-ClickHouse headers: $(cat $T/ch.log)"
run 0 $FLOE -p $P resource check ch_url
expect_out "clickhouse http://127.0.0.1:$CH_PORT/ as reader: SELECT 1 ok"
run 1 $FLOE -p $P resource check ch_wrong
expect_out "HTTP 516"; expect_out "exception code 516"; expect_out "AUTHENTICATION_FAILED"
run 1 $FLOE -p $P resource check ch_tls
expect_out "https://********:$CH_PORT/"
run 0 $FLOE -p $P resource check pg
expect_out "postgres 127.0.0.1:$PG_PORT/postgres as floe"; expect_out "SELECT 1 ok"
run 1 $FLOE -p $P resource check pg_wrong
expect_out "password authentication failed"
run 2 $FLOE -p $P resource check nosuch
expect_out "no resource named 'nosuch'"; expect_out "clickhouse, ch_url"
# a missing secret names the variable and the sources
unset DAGSTER__CLICKHOUSE__PASSWORD
sed -i '/^DAGSTER__CLICKHOUSE__PASSWORD=/d' $P/.env
run 1 $FLOE -p $P resource check clickhouse
expect_out "DAGSTER__CLICKHOUSE__PASSWORD"; expect_out "environment variable"; expect_out ".env file"; expect_out "keystore $T/keystore"
# now from the keystore instead
printf '%s' "$CH_PW" | $FLOE -p $P secrets set clickhouse.password 2>/dev/null
run 0 $FLOE -p $P resource check clickhouse
run 0 $FLOE -p $P secrets doctor
expect_out "clickhouse.password"; expect_out "keystore $T/keystore"; expect_out "postgres.connection_url"
expect_out "(default)"
# no password in any output
for v in "$CH_PW" "$PG_PASSWORD"; do
  if grep -qaF -- "$v" $ALL; then fail "a password appeared in CLI output"; fi
done
echo ok
