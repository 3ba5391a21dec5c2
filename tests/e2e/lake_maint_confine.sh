#!/usr/bin/env bash
# The lake deletes only its own files: `lake expire` and `lake orphans --delete` on tables whose metadata
# (as another engine, or an attacker who can write metadata, could leave it) names files outside the table:
# an old snapshot's manifest list outside the warehouse, a relative one, one of another scheme; a table
# location in another directory; a table located at the warehouse root beside a table with live files.
. "$(dirname "$0")/lib.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - {key: e1, kind: ingest, table: oso.e1, source: {type: csv, path: data/t.csv}}
  - {key: e2, kind: ingest, table: oso.e2, source: {type: csv, path: data/t.csv}}
  - {key: e3, kind: ingest, table: oso.e3, source: {type: csv, path: data/t.csv}}
  - {key: far, kind: ingest, table: oso.far, source: {type: csv, path: data/t.csv}}
  - {key: live, kind: ingest, table: oso.live, source: {type: csv, path: data/t.csv}}
  - {key: root, kind: ingest, table: oso.root, source: {type: csv, path: data/t.csv}}
Y
printf 'id,name\n1,a\n2,b\n' > $P/data/t.csv
export FLOE_EVENTS=/dev/null
WH=$P/.floe/lake
for k in e1 e2 e3 far live root; do expect_rc 0 f __step r1 $k; done
for k in e1 e2 e3; do expect_rc 0 f __step r2 $k; done

# edit TABLE PYTHON-STATEMENT: commits an edited copy of the table's current metadata (m), as another
# writer could, by writing a new metadata file and swapping the catalog pointer.
edit() {
  python3 - "$P/.floe/floe.db" "$1" "$2" <<'PY'
import json, sqlite3, sys, uuid, os
db, table, stmt = sys.argv[1:]
ns, name = table.rsplit('.', 1)
c = sqlite3.connect(db)
loc, = c.execute("SELECT metadata_location FROM iceberg_tables WHERE table_namespace=? AND table_name=?", (ns, name)).fetchone()
m = json.load(open(loc))
exec(stmt)
new = os.path.join(os.path.dirname(loc), "%05d-%s.metadata.json" % (99, uuid.uuid4()))
json.dump(m, open(new, 'w'))
c.execute("UPDATE iceberg_tables SET metadata_location=? WHERE metadata_location=?", (new, loc))
c.commit()
PY
}
old() { mkdir -p "$(dirname "$1")"; echo "not the lake's" > "$1"; touch -d '-2 hours' "$1"; }

# 1. expire: old snapshots whose manifest list is a file outside the warehouse, a relative path (as
#    another engine may write), a path of another scheme.
old $T/outside/victim.avro
old $T/cwd/victim_rel.avro
old "$T/cwd/s3:/bucket/key.avro"
edit oso.e1 "m['snapshots'][0]['manifest-list'] = '$T/outside/victim.avro'"
edit oso.e2 "m['snapshots'][0]['manifest-list'] = 'victim_rel.avro'"
edit oso.e3 "m['snapshots'][0]['manifest-list'] = 's3://bucket/key.avro'"
for k in e1 e2 e3; do (cd $T/cwd && expect_rc 0 "$FLOE" -p "$P" lake expire oso.$k --retain-last 1 && echo "$OUT"); done
[ -f $T/outside/victim.avro ] || fail "lake expire deleted a file outside the warehouse"
[ -f $T/cwd/victim_rel.avro ] || fail "lake expire deleted a relative path"
[ -f "$T/cwd/s3:/bucket/key.avro" ] || fail "lake expire unlinked an s3:// path as a local one"
expect_rc 0 f query "SELECT count(*) FROM oso.e1" --format csv
expect_out 4

# 2. orphans: a table whose location is another directory; one reached through a symlink
old $T/elsewhere/data/keep.parquet
old $T/elsewhere/metadata/keep.avro
edit oso.far "m['location'] = '$T/elsewhere'"
old $T/linked/data/keep.parquet
ln -s $T/linked $WH/oso/lnk
edit oso.live "m['properties']['x'] = 'y'"   # (a second metadata version for the live table)
# 3. a table located at the warehouse root, beside a table with live files
edit oso.root "m['location'] = '$WH'"
expect_rc 0 f lake orphans --min-age 0
echo "$OUT"
expect_no_out "/oso/live/data/"
expect_no_out "/elsewhere/"
expect_no_out "/linked/"
expect_rc 0 f lake orphans --delete --min-age 0
[ -f $T/elsewhere/data/keep.parquet ] && [ -f $T/elsewhere/metadata/keep.avro ] ||
  fail "lake orphans --delete deleted files in another table location's directory"
[ -f $T/linked/data/keep.parquet ] || fail "lake orphans --delete followed a symlink out of the warehouse"
expect_rc 0 f query "SELECT count(*) FROM oso.live" --format csv
expect_out 2
echo ok
