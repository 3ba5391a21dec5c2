#!/bin/sh
# Per-project totals: events, active days and distinct contributors, joined with the registry.
. "$(dirname "$0")/lib.sh"
out="$DATA/project_metrics.csv"
awk -F, 'FNR == 1 { f++; next }
  f == 1 { name[$3] = $2; id[$3] = $1; next }
  f == 2 { split($1, r, "/"); ev[r[1]] += $4; d = r[1] "|" $2; if (!(d in seen)) { seen[d] = 1; days[r[1]]++ } next }
  f == 3 { k = $3 "|" $5; if (!(k in who)) { who[k] = 1; actors[$3]++ } }
  END { print "project_id,project_name,events,active_days,contributors";
        for (o in name) printf "%d,%s,%d,%d,%d\n", id[o], name[o], ev[o], days[o], actors[o] }' \
  "$DATA/projects.csv" "$DATA/events_daily.csv" "$DATA/events.csv" \
  | { read -r h; echo "$h"; sort -t, -k1,1n; } > "$out.tmp" && mv "$out.tmp" "$out"
n=$(($(wc -l < "$out") - 1))
emit_rows "$n" "$out"
