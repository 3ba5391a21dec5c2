#!/bin/sh
# Aggregates events per repository, day and event type.
. "$(dirname "$0")/lib.sh"
out="$DATA/events_daily.csv"
awk -F, 'NR > 1 { k = $4 "," substr($6, 1, 10) "," $2; c[k]++ }
END { print "repo,day,event_type,events"; for (k in c) print k "," c[k] }' "$DATA/events.csv" \
  | { read -r h; echo "$h"; sort; } > "$out.tmp" && mv "$out.tmp" "$out"
n=$(($(wc -l < "$out") - 1))
emit_rows "$n" "$out"
