# libpq quotes the text it cannot parse: `invalid percent-encoded token: "Sup3r%zzSECRETpw"` put a
# connection URL's password into `floe resource check` output and a postgres source's step error. The
# password of a connection string is registered for redaction before libpq parses it, and libpq's parse
# errors are never quoted verbatim (issue 8.4). No server is needed: the strings never parse.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
cat > $P/floe.yaml <<'Y'
name: pgerr
lake: {warehouse: .floe/lake, namespace: oso}
resources:
  from_secret: {type: postgres, url: {secret: pg.url}}
  literal_url: {type: postgres, url: "postgresql://u:Lit3r%zzALpw@127.0.0.1:1/db"}
  keyword: {type: postgres, url: "host=127.0.0.1 port=1 password=Kw0rd KWsecondHALF dbname=x"}
Y
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.pg_rows
    kind: ingest
    source: {type: postgres, url: {secret: pg.url}, query: "SELECT 1"}
Y
export DAGSTER__PG__URL='postgresql://u:Sup3r%zzSECRETpw@127.0.0.1:1/db'
ALL=$T/all; : > $ALL
for r in from_secret literal_url keyword; do
  set +e; OUT=$($FLOE -p $P resource check $r 2>&1); rc=$?; set -e
  [ $rc != 0 ] || fail "resource check $r succeeded"
  printf '%s\n' "$OUT" >> $ALL
  expect_out "malformed"
done
expect_rc 1 $FLOE -p $P asset materialize --select oso.pg_rows
printf '%s\n' "$OUT" >> $ALL
RUN=$(sqlite3 $P/.floe/floe.db "select id from runs order by created_us desc limit 1")
expect_rc 0 $FLOE -p $P run show $RUN; printf '%s\n' "$OUT" >> $ALL
expect_out "connection URL is malformed"
expect_rc 0 $FLOE -p $P run logs $RUN; printf '%s\n' "$OUT" >> $ALL
for v in Sup3r SECRETpw Lit3r ALpw Kw0rd KWsecondHALF; do
  leaks=$(grep -rlaF -- "$v" $P/.floe $ALL || true)
  [ -z "$leaks" ] || fail "'$v' found in: $leaks
$(cat $ALL)"
done
echo ok
