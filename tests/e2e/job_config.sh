# Run config with the launchpad's shape, validated against the job's schema; steps read it via FLOE_RUN_CONFIG.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets
cat > $P/floe.yaml <<'Y'
name: cfg
jobs:
  - {name: free_job, selection: "*", tags: {team: data}}
  - name: sqlmesh_job
    selection: "*"
    config:
      sqlmesh_project:
        restate_by_entity_category: bool
        restate_models: list
        skip_tests: bool
Y
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: sqlmesh_project
    kind: command
    env: {API_KEY: {secret: api.key}}
    command: ["sh", "-c", "cat \"$FLOE_RUN_CONFIG\" > seen_config; tr '\\0' '\\n' < /proc/$PPID/environ > worker_env"]
Y
printf 'DAGSTER__API__KEY=s3cr3t-in-config\n' > $P/.env
cat > $T/good.yaml <<'Y'
ops:
  sqlmesh_project:
    config:
      restate_by_entity_category: false
      restate_models: [oso.stg_github__XYZ, oso.stg_github__XYZ_2]
      skip_tests: false
Y
expect_rc 0 $FLOE -p $P job launch sqlmesh_job -c $T/good.yaml
grep -q "oso.stg_github__XYZ_2" $P/seen_config || fail "step did not receive the run config"
cat > $T/bad.yaml <<'Y'
ops:
  sqlmesh_project:
    config:
      restate_modles: [oso.x]
Y
expect_rc 2 $FLOE -p $P job launch sqlmesh_job -c $T/bad.yaml
expect_out "bad.yaml:4:7: ops.sqlmesh_project.config.restate_modles: unknown config key"
cat > $T/bad2.yaml <<'Y'
ops:
  sqlmesh_project:
    config:
      skip_tests: maybe
Y
expect_rc 2 $FLOE -p $P job launch sqlmesh_job -c $T/bad2.yaml
expect_out "bad2.yaml:4:19: ops.sqlmesh_project.config.skip_tests: expected bool; found 'maybe'"
printf 'ops:\n  other_op: {config: {}}\n' > $T/bad3.yaml
expect_rc 2 $FLOE -p $P job launch sqlmesh_job -c $T/bad3.yaml
expect_out "unknown op 'other_op'"
[ "$(sqlite3 $P/.floe/floe.db 'select count(*) from runs')" = 1 ] || fail "a rejected config created a run"
# a job without a config schema takes config for the assets it runs (free-form keys), nothing else
printf 'ops:\n  sqlmesh_project: {config: {start: 2024-01-01, end: 2024-02-01}}\n' > $T/free.yaml
expect_rc 0 $FLOE -p $P job launch free_job -c $T/free.yaml
grep -q "start: 2024-01-01" $P/seen_config || fail "free-form config not passed"
printf 'ops:\n  nope: {config: {a: 1}}\n' > $T/free_bad.yaml
expect_rc 2 $FLOE -p $P job launch free_job -c $T/free_bad.yaml
expect_out "free_bad.yaml:2:3: ops.nope: unknown op 'nope': expected an asset this job runs"
# run config holding a secret value: stored redacted, handed to the worker as given through a private file of
# the run (never the environment: the worker's own environment does not hold it), which is gone after the run
printf 'ops:\n  sqlmesh_project: {config: {start: s3cr3t-in-config}}\n' > $T/secret.yaml
expect_rc 0 $FLOE -p $P job launch free_job -c $T/secret.yaml
grep -q "start: s3cr3t-in-config" $P/seen_config || fail "the step did not receive the config as given: $(cat $P/seen_config)"
grep -q "s3cr3t-in-config" $P/worker_env && fail "the run worker's environment holds the run config"
grep -q "^FLOE__" $P/worker_env && fail "the run worker's environment holds floe's private variables: $(grep ^FLOE__ $P/worker_env)"
[ -z "$(ls -A $P/.floe/private 2>/dev/null)" ] || fail "the run's private config file was left: $(ls $P/.floe/private)"
grep -rlaF s3cr3t-in-config $P/.floe && fail "the config's secret value is in the instance directory"
# the stored (redacted) config, the job's tags and who launched the run are recorded with it
RUN=$($FLOE -p $P run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_rc 0 $FLOE -p $P run show $RUN --json
python3 - "$OUT" <<'PY' || fail "run show: $OUT"
import json, sys
r = json.loads(sys.argv[1])
assert r["config"] == "ops:\n  sqlmesh_project: {config: {start: ********}}\n", r["config"]
assert r["tags"]["floe/launched_by"] == "cli", r["tags"]
assert r["tags"]["team"] == "data", r["tags"]
PY
# an unknown job suggests the nearest name
expect_rc 2 $FLOE -p $P job launch fre_job
expect_out "no job 'fre_job' in $P/floe.yaml (jobs: free_job, sqlmesh_job) (did you mean 'free_job'?)"
echo ok
