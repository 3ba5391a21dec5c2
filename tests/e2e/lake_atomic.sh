#!/usr/bin/env bash
# Atomicity: kill -9 at any moment of an ingest leaves the table at its previous snapshot, readable,
# with no partial rows; the test sees that its kills landed mid-commit (a data file written, the catalog
# not swapped), that they left orphans, and that `lake orphans --delete` collects exactly those, also for a
# create killed before the table existed; two processes appending to one table at once both succeed
# (optimistic commits retry on conflict) and no row is lost.
. "$(dirname "$0")/lib.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: big
    kind: ingest
    table: oso.big
    source: {type: csv, path: data/big.csv}
  - {key: fresh1, kind: ingest, table: oso.fresh1, source: {type: csv, path: data/big.csv}}
  - {key: fresh2, kind: ingest, table: oso.fresh2, source: {type: csv, path: data/big.csv}}
  - {key: fresh3, kind: ingest, table: oso.fresh3, source: {type: csv, path: data/big.csv}}
  - key: w1
    kind: ingest
    table: oso.shared
    source: {type: csv, path: data/w1.csv}
  - key: w2
    kind: ingest
    table: oso.shared
    source: {type: csv, path: data/w2.csv}
Y
q() { f query "$1" --format csv | tail -n +2; }
N=400000
awk -v n=$N 'BEGIN { print "id,name,ts,v"; for (i = 0; i < n; i++) printf "%d,name%d,2024-01-%02d 00:00:00,%.2f\n", i, i % 977, i % 28 + 1, i / 7 }' > $P/data/big.csv
export FLOE_EVENTS=/dev/null
expect_rc 0 f __step r0 big
want=$N
for d in 0.01 0.03 0.06 0.1 0.15 0.2 0.3 0.4 0.5 0.7 0.9; do
  "$FLOE" -p "$P" __step r1 big >/dev/null 2>&1 &
  pid=$!
  sleep $d
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  got=$(q "SELECT count(*) FROM oso.big")
  total=$(q "SELECT count(*) FROM (SELECT DISTINCT * FROM oso.big)")
  if [ "$got" = "$want" ]; then :; elif [ "$got" = $((want + N)) ]; then want=$got; else
    fail "after kill -9 at ${d}s: $got rows, expected $want or $((want + N))"; fi
  expect_rc 0 f lake files oso.big
  [ "$total" = "$N" ] || fail "distinct rows $total"
done
echo "kill -9 checks passed; rows now $want"

# Kills that are seen to land mid-commit: the step is killed as soon as its data file appears (the COPY is
# writing it; the manifests, metadata and catalog swap come after), so the table must be unchanged and the
# file left behind, an orphan.
files() { { find "$1" -type f 2>/dev/null || true; } | sort; }
metadata_of() { f lake describe "$1" | sed -n 's/^metadata: *//p'; }
left=$T/left; : > $left
kill_mid_commit() { # ASSET DIR: runs the step, kills it when DIR holds a file it did not hold before
  local before; before=$(files "$2")
  "$FLOE" -p "$P" __step rk "$1" >/dev/null 2>&1 &
  local pid=$! i
  for i in $(seq 1 5000); do
    [ "$(files "$2")" != "$before" ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.002
  done
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  comm -13 <(echo "$before") <(files "$2") | sed '/^$/d' >> $left
}
mid=0
for k in 1 2 3 4 5 6; do
  m0=$(metadata_of oso.big)
  n0=$(wc -l < $left)
  kill_mid_commit big $P/.floe/lake/oso/big/data
  if [ "$(metadata_of oso.big)" = "$m0" ]; then
    [ "$(q 'SELECT count(*) FROM oso.big')" = "$want" ] || fail "rows changed after a kill before the swap"
    [ "$(wc -l < $left)" -gt "$n0" ] && mid=$((mid + 1))
  else # the kill came after the swap (a slow poll): the write is whole, its files are the table's
    want=$((want + N))
    [ "$(q 'SELECT count(*) FROM oso.big')" = "$want" ] || fail "rows after a kill past the swap"
    head -n "$n0" $left > $left.tmp; mv $left.tmp $left
  fi
  [ $mid -ge 3 ] && break
done
[ $mid -ge 2 ] || fail "only $mid kills were seen mid-commit (data file written, catalog not swapped)"
# a create killed mid-write: the table does not exist, its directory holds a data file
fresh=
for k in 1 2 3; do
  n0=$(wc -l < $left)
  kill_mid_commit fresh$k $P/.floe/lake/oso/fresh$k/data
  if [ "$(wc -l < $left)" -gt "$n0" ] && ! f lake describe oso.fresh$k >/dev/null 2>&1; then fresh=fresh$k; break; fi
  head -n "$n0" $left > $left.tmp; mv $left.tmp $left
done
[ -n "$fresh" ] || fail "no killed create was seen mid-write"
echo "$mid kills seen mid-commit, and a create ($fresh); left: $(wc -l < $left) files"
# every file the kills left is listed as an orphan, then collected; the tables keep their rows
expect_rc 0 f lake orphans --min-age 0
while read -r p; do [ -e "$p" ] && { case "$OUT" in *"$p"*) ;; *) fail "orphan not listed: $p
$OUT";; esac; }; done < $left
expect_rc 0 f lake orphans --delete --min-age 0
while read -r p; do [ ! -e "$p" ] || fail "orphan not collected: $p"; done < $left
expect_rc 0 f lake orphans --min-age 0
expect_out "0 orphan files"
expect_rc 0 f query "SELECT count(*) FROM oso.big" --format csv
expect_out "$want"
expect_rc 0 f __step r9 $fresh
expect_rc 0 f query "SELECT count(*) FROM oso.$fresh" --format csv
expect_out "$N"

# two writers, one table
for i in $(seq 1 10); do echo "$i,w1"; done | sed '1i id,who' > $P/data/w1.csv
for i in $(seq 1 10); do echo "$i,w2"; done | sed '1i id,who' > $P/data/w2.csv
expect_rc 0 f __step r2 w1   # create the table first
writer() { for k in $(seq 1 12); do f __step r3 "$1" >/dev/null || { echo "writer $1 failed" >&2; return 1; }; done; }
writer w1 & a=$!
writer w2 & b=$!
wait $a || fail "writer w1 failed"
wait $b || fail "writer w2 failed"
[ "$(q 'SELECT count(*) FROM oso.shared')" = $((10 + 24 * 10)) ] || fail "rows lost: $(q 'SELECT count(*) FROM oso.shared')"
[ "$(q "SELECT count(*) FROM oso.shared WHERE who = 'w2'")" = 120 ] || fail "w2 rows"
n=$(f lake snapshots oso.shared --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 25 ] || fail "expected 25 snapshots, got $n"
echo ok
