#!/bin/sh
# The projects registry as a command source: writes one NDJSON row per project to $FLOE_OUTPUT.
# Each run re-sends every project with its current attributes (a later run bumps `revision` and renames a few),
# and the asset merges them by project_id — the table always holds one row per project.
set -eu
rev=$(( $(date +%s) / 60 % 1000 ))
awk -v rev="$rev" 'BEGIN {
  split("atlas,beacon,cedar,delta,ember,fjord,grove,harbor,iris,juniper", a, ",");
  split("labs,dao,protocol,network,foundation", b, ",");
  for (i = 1; i <= 50; i++) {
    name = a[(i - 1) % 10 + 1] "-" b[int((i - 1) / 10) + 1];
    printf "{\"project_id\":%d,\"slug\":\"%s\",\"github_org\":\"%s-gh\",\"revision\":%d,\"meta\":{\"tier\":\"%s\",\"since\":\"2024-%02d-01\"}}\n",
      i, name, name, rev, (i % 3 ? "community" : "core"), 1 + i % 12;
  }
}' > "$FLOE_OUTPUT"
echo "wrote 50 projects (revision $rev)"
