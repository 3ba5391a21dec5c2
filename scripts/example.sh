#!/usr/bin/env bash
# Builds floe and runs the example warehouse's main job end to end on the embedded defaults
# (SQLite instance storage and the local-filesystem lake under examples/oso/.floe/).
# Installs what it needs first (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
make -s -j"$(nproc)" build/floe
FLOE=build/floe
EX=examples/oso
[ -f "$EX/.env" ] || { [ -f "$EX/.env.example" ] && cp "$EX/.env.example" "$EX/.env"; } || true
$FLOE -p "$EX" defs validate
$FLOE -p "$EX" job launch materialize_core_assets_job
$FLOE -p "$EX" asset list
# a first query over the Iceberg tables the job wrote
$FLOE -p "$EX" query "SELECT p.project_name, count(*) AS events
  FROM oso.stg_github__events e JOIN oso.stg_ossd__projects p USING (github_org)
  GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5"
