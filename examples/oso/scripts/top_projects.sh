#!/bin/sh
# The ten most active projects by events.
. "$(dirname "$0")/lib.sh"
out="$DATA/top_projects.csv"
{ head -1 "$DATA/project_metrics.csv"; tail -n +2 "$DATA/project_metrics.csv" | sort -t, -k3,3nr -k1,1n | head -10; } > "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
emit_rows 10 "$out"
