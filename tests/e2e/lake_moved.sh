#!/usr/bin/env bash
# A moved or copied project still opens its lake, and writes into its own warehouse: the catalog (copied
# with .floe/floe.db) names the metadata under the old path; floe reads the table where this project's
# warehouse has it and writes new files there, never into the project it was copied from. A project moved
# without its warehouse gets an error saying where it looked and what to do.
. "$(dirname "$0")/lib.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - {key: t, kind: ingest, table: oso.t, source: {type: csv, path: data/t.csv}}
  - {key: p, kind: ingest, table: oso.p, partition: "id", source: {type: csv, path: data/t.csv}}
Y
printf 'id,name\n1,a\n2,b\n' > $P/data/t.csv
export FLOE_EVENTS=/dev/null
expect_rc 0 f __step r1 t
expect_rc 0 f __step r1 p
snap() { find "$1/.floe/lake" -type f -printf '%P %s %T@\n' | sort; }
before=$(snap $P)

# 1. cp -a: the copy reads its own files and writes into itself
cp -a $P $T/proj2
P2=$T/proj2
g() { "$FLOE" -p "$P2" "$@"; }
expect_rc 0 g query "SELECT count(*) FROM oso.t" --format csv
expect_out 2
expect_rc 0 g __step r2 t
expect_rc 0 g __step r2 p
expect_rc 0 g query "SELECT count(*) FROM oso.t" --format csv
expect_out 4
expect_rc 0 g query "SELECT count(*) FROM oso.p" --format csv
expect_out 4
[ "$(snap $P)" = "$before" ] || fail "writing in the copy changed the original project's lake"
expect_rc 0 g lake describe oso.t
expect_out "$P2/.floe/lake/oso/t"
expect_no_out "$P/.floe/lake"
expect_rc 0 g lake files oso.p --json
expect_no_out "\"$P/.floe"
expect_rc 0 g lake expire oso.t --retain-last 1
expect_rc 0 g lake orphans --min-age 0
expect_rc 0 g query "SELECT count(*) FROM oso.t" --format csv
expect_out 4
[ "$(snap $P)" = "$before" ] || fail "maintenance in the copy changed the original project's lake"
# the original still works on its own files
expect_rc 0 f query "SELECT count(*) FROM oso.t" --format csv
expect_out 2

# 2. mv: the old path is gone altogether
mv $P2 $T/proj3
P3=$T/proj3
expect_rc 0 "$FLOE" -p $P3 query "SELECT count(*) FROM oso.t" --format csv
expect_out 4
expect_rc 0 "$FLOE" -p $P3 __step r3 t
expect_rc 0 "$FLOE" -p $P3 query "SELECT count(*) FROM oso.t" --format csv
expect_out 6
[ ! -e $P2 ] || fail "writing after the move recreated the old path"

# 3. moved without the warehouse: an error that says why and how to fix it
mkdir $T/proj4 && cp -a $P3/floe.yaml $P3/assets $P3/data $T/proj4/ && mkdir $T/proj4/.floe && cp -a $P3/.floe/floe.db* $T/proj4/.floe/
rm -rf $P3/.floe/lake
expect_rc 2 "$FLOE" -p $T/proj4 query "SELECT count(*) FROM oso.t"
expect_out "outside this project's warehouse"
expect_out "$T/proj4/.floe/lake/oso/t"
echo ok
