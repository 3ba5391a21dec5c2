#!/bin/sh
# Generates 20,000 GitHub-like events over 8 weeks for the registry's repositories (deterministic).
. "$(dirname "$0")/lib.sh"
out="$DATA/events.csv"
awk -F, 'NR > 1 { org[++n] = $3; repos[n] = $4 }
END {
  srand(7);
  split("PushEvent,IssuesEvent,PullRequestEvent,WatchEvent,ForkEvent", t, ",");
  print "event_id,event_type,github_org,repo,actor,created_at";
  for (i = 1; i <= 20000; i++) {
    p = 1 + int(rand() * n); r = 1 + int(rand() * repos[p]);
    d = int(rand() * 56); day = 1 + d % 28; mon = 9 + int(d / 28);
    printf "%d,%s,%s,%s/repo-%d,user%d,2026-%02d-%02dT%02d:%02d:00Z\n", i, t[1 + int(rand() * 5)], org[p], org[p], r,
      1 + int(rand() * 400), mon, day, int(rand() * 24), int(rand() * 60);
  }
}' "$DATA/projects.csv" > "$out.tmp" && mv "$out.tmp" "$out"
n=$(($(wc -l < "$out") - 1))
log "wrote $n events"
emit_rows "$n" "$out"
