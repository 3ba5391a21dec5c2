#!/bin/sh
# Generates the projects registry: 50 projects, each with a GitHub org and 1-5 repositories (deterministic).
. "$(dirname "$0")/lib.sh"
out="$DATA/projects.csv"
awk 'BEGIN {
  srand(42);
  split("atlas,beacon,cedar,delta,ember,fjord,grove,harbor,iris,juniper", a, ",");
  split("labs,dao,protocol,network,foundation", b, ",");
  print "project_id,project_name,github_org,repo_count,created_at";
  for (i = 1; i <= 50; i++) {
    name = a[(i - 1) % 10 + 1] "-" b[int((i - 1) / 10) + 1];
    printf "%d,%s,%s-gh,%d,2024-%02d-%02d\n", i, name, name, 1 + int(rand() * 5), 1 + int(rand() * 12), 1 + int(rand() * 28);
  }
}' > "$out.tmp" && mv "$out.tmp" "$out"
n=$(($(wc -l < "$out") - 1))
log "wrote $n projects"
emit_rows "$n" "$out"
