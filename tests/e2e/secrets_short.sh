# A secret shorter than 4 bytes is not used for redaction (masking "a" everywhere turned "banana" into
# "b********n********n********", revealing it), and `floe defs validate` / `floe secrets doctor` warn about it.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
printf 'name: short\n' > $P/floe.yaml
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: fruit
    kind: command
    env: {X: {secret: short.one}, Y: {secret: long.one}}
    command: ["sh", "-c", "echo banana; echo \"y=$Y\""]
Y
export DAGSTER__SHORT__ONE=a DAGSTER__LONG__ONE=longenough
expect_rc 0 $FLOE -p $P defs validate
expect_out "secret short.one is shorter than 4 bytes, so floe does not redact it"
expect_no_out "long.one"
expect_rc 0 $FLOE -p $P secrets doctor
expect_out "warning: short.one: the value is shorter than 4 bytes"
expect_rc 0 $FLOE -p $P asset materialize --select fruit
RUN=$(sqlite3 $P/.floe/floe.db "select id from runs order by created_us desc limit 1")
expect_rc 0 $FLOE -p $P run logs $RUN
expect_out "banana"; expect_out "y=********"; expect_no_out "longenough"
echo ok
