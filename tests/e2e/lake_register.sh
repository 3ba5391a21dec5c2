#!/usr/bin/env bash
# `floe lake register NAME METADATA_LOCATION` adds an existing Iceberg table to the catalog without copying it,
# after checking what can be read (the metadata parses, its format version, the current snapshot's manifest
# list, manifests and data files), and says what floe will refuse to do with it; `lake unregister` removes it
# and leaves its files. Format-version 3 is refused everywhere alike: register, `lake tables` (no "0 rows"),
# describe, query, writes. Tables: one floe wrote in another project, relocated (byte for byte, to a path of
# the same length, the original deleted); hand-made v1 and v3 metadata; a v1 table with inline manifests.
. "$(dirname "$0")/lib.sh"
export FLOE_EVENTS=/dev/null
# 1. a table written by floe in project A, then relocated out of A (A deleted)
P=$T/pa; mkdir -p $P/assets $P/data
printf 'name: a\nlake: {warehouse: .floe/lake, namespace: oso}\n' > $P/floe.yaml
printf 'assets:\n  - {key: t, kind: ingest, table: oso.t, partition: "month(d)", source: {type: csv, path: data/t.csv}}\n' > $P/assets/a.yaml
printf 'id,d\n1,2024-01-05\n2,2024-02-06\n3,2024-02-07\n' > $P/data/t.csv
expect_rc 0 f __step r1 t
printf 'id,d\n4,2024-03-01\n' > $P/data/t.csv
expect_rc 0 f __step r2 t
expect_rc 0 f query "SELECT string_agg(id::VARCHAR, ',' ORDER BY id) FROM oso.t" --format csv
want=$(echo "$OUT" | tail -1 | tr -d '"')
[ "$want" = "1,2,3,4" ] || fail "source table: $want"
# relocate OLD NEW: copies the table directory OLD to NEW (a path of the same length) and rewrites every path
# in its metadata and Avro files in place (same length: lengths and offsets stay right)
relocate() {
  mkdir -p "$(dirname $2)"; cp -a $1 $2
  python3 - "$1" "$2" "$2" <<'PY'
import os, sys
old, new, root = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3]
assert len(old) == len(new)
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        b = open(p, 'rb').read()
        if old in b: open(p, 'wb').write(b.replace(old, new))
PY
}
# into project B's warehouse (pa -> pb)
relocate $T/pa/.floe/lake/oso/t $T/pb/.floe/lake/oso/t
rm -rf $T/pa
META=$(ls $T/pb/.floe/lake/oso/t/metadata/*.metadata.json | sort | tail -1)

# project B registers it
P=$T/pb; mkdir -p $P/assets $P/data
printf 'name: b\nlake: {warehouse: .floe/lake, namespace: oso}\n' > $P/floe.yaml
printf 'assets: []\n' > $P/assets/a.yaml
expect_rc 0 f lake tables
expect_rc 2 f lake register oso.moved $T/pb/nope.metadata.json
expect_out "nope.metadata.json"
expect_rc 2 f lake register nodot "$META"
# relative path, from another directory
expect_rc 0 bash -c "cd $T/pb/.floe/lake/oso/t && '$FLOE' -p '$P' lake register oso.moved metadata/$(basename $META)"
expect_out "oso.moved: registered $META (Iceberg v2, 4 rows, 2 snapshots); no file was copied"
expect_no_out "refuses"
expect_rc 0 f query "SELECT string_agg(id::VARCHAR, ',' ORDER BY id) FROM oso.moved" --format csv
[ "$(echo "$OUT" | tail -1 | tr -d '"')" = "$want" ] || fail "registered table reads: $OUT"
expect_rc 0 f lake tables
expect_out "oso.moved"; expect_out "4 rows"
expect_rc 0 f lake describe oso.moved
expect_out "metadata:  $META"; expect_out "month(field 2) as d_month"
# registering twice is refused, and so is a name the catalog has
expect_rc 1 f lake register oso.moved "$META"
expect_out "in the catalog already"
# floe appends to it (a floe table: writable), where the table is
printf 'id,d\n5,2024-04-01\n' > $P/data/t.csv
printf 'assets:\n  - {key: m, kind: ingest, table: oso.moved, source: {type: csv, path: data/t.csv}}\n' > $P/assets/a.yaml
expect_rc 0 f __step r3 m
expect_rc 0 f query "SELECT count(*) FROM oso.moved" --format csv
expect_out 5
ls $T/pb/.floe/lake/oso/t/data/*/* >/dev/null || fail "the append wrote outside the table's location"
# a registered file: URL is kept as given
expect_rc 0 f lake unregister oso.moved
expect_out "removed from the catalog; its files are untouched"
[ -n "$(ls $T/pb/.floe/lake/oso/t/metadata/*.metadata.json)" ] || fail "unregister deleted files"
expect_rc 2 f lake unregister oso.moved
META=$(ls $T/pb/.floe/lake/oso/t/metadata/*.metadata.json | sort | tail -1)
expect_rc 0 f lake register oso.url "file://$META"
expect_rc 0 f query "SELECT count(*) FROM oso.url" --format csv
expect_out 5
python3 -c "
import sqlite3, sys
loc, = sqlite3.connect('$P/.floe/floe.db').execute(\"SELECT metadata_location FROM iceberg_tables WHERE table_name='url'\").fetchone()
sys.exit(loc != 'file://$META')" || fail "file: URL not stored as given"
# outside the warehouse: registered, and told that floe query will not read it
relocate $T/pb/.floe/lake/oso/t $T/pb/.floe/lak2/oso/t
expect_rc 0 f lake register oso.outside "$(ls $T/pb/.floe/lak2/oso/t/metadata/*.metadata.json | sort | tail -1)"
expect_out "floe refuses reads: its location $T/pb/.floe/lak2/oso/t is outside"
expect_out "floe refuses maintenance:"
expect_rc 0 f lake unregister oso.outside
# a manifest list that is gone: refused, nothing registered
ML=$(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(next(s['manifest-list'] for s in m['snapshots'] if s['snapshot-id'] == m['current-snapshot-id']))" "$META")
rm -f "${ML#file:}"
expect_rc 2 f lake register oso.broken "$META"
expect_out "the current snapshot"; expect_out "$(basename $ML)"
expect_rc 2 f lake describe oso.broken

# 2. hand-made metadata: v3 (refused everywhere alike), v1 (read; writes refused), v1 with inline manifests
H=$P/.floe/lake/hand; mkdir -p $H/v1/metadata $H/v3/metadata $H/v1i/metadata
python3 - $H <<'PY'
import json, sys
h = sys.argv[1]
schema = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}
v1 = {"format-version": 1, "table-uuid": "11111111-1111-1111-1111-111111111111", "location": h + "/v1",
      "last-updated-ms": 1700000000000, "last-column-id": 1, "schema": schema,
      "partition-spec": [], "properties": {}, "current-snapshot-id": -1, "snapshots": []}
json.dump(v1, open(h + "/v1/metadata/v1.metadata.json", "w"))
v1i = dict(v1, location=h + "/v1i", **{"current-snapshot-id": 7, "snapshots": [
    {"snapshot-id": 7, "timestamp-ms": 1700000000000, "manifests": [h + "/v1i/metadata/m.avro"]}]})
json.dump(v1i, open(h + "/v1i/metadata/v1.metadata.json", "w"))
v3 = {"format-version": 3, "table-uuid": "33333333-3333-3333-3333-333333333333", "location": h + "/v3",
      "last-sequence-number": 0, "last-updated-ms": 1700000000000, "last-column-id": 1, "schemas": [schema],
      "current-schema-id": 0, "partition-specs": [{"spec-id": 0, "fields": []}], "default-spec-id": 0,
      "last-partition-id": 999, "sort-orders": [{"order-id": 0, "fields": []}], "default-sort-order-id": 0,
      "next-row-id": 0}
json.dump(v3, open(h + "/v3/metadata/v1.metadata.json", "w"))
open(h + "/bad.metadata.json", "w").write('{"format-version": 2,\n "location": }')
PY
expect_rc 1 f lake register oso.v3 $H/v3/metadata/v1.metadata.json
expect_out "format-version 3 is not supported"
expect_rc 2 f lake register oso.bad $H/bad.metadata.json
expect_out "bad.metadata.json: line 2"
expect_rc 0 f lake register oso.v1 $H/v1/metadata/v1.metadata.json
expect_out "(Iceberg v1, 0 rows, 0 snapshots)"
expect_out "floe refuses writes: floe writes format-version 2"
expect_rc 0 f query "SELECT count(*) AS n FROM oso.v1" --format csv
expect_out 0
printf 'id\n1\n' > $P/data/t.csv
printf 'assets:\n  - {key: w1, kind: ingest, table: oso.v1, source: {type: csv, path: data/t.csv}}\n' > $P/assets/a.yaml
expect_rc 1 f __step r4 w1
expect_out "floe does not write to this table"
[ "$(ls $H/v1/metadata)" = "v1.metadata.json" ] && [ ! -e $H/v1/data ] || fail "a refused write wrote files: $(find $H/v1)"
expect_rc 0 f lake register oso.v1i $H/v1i/metadata/v1.metadata.json
expect_out "floe refuses reads and writes: the current snapshot lists its manifests inline"
expect_rc 1 f query "SELECT count(*) FROM oso.v1i"
# a v3 table another catalog client put in the catalog: unsupported, the same way everywhere
python3 -c "
import sqlite3
c = sqlite3.connect('$P/.floe/floe.db')
c.execute(\"INSERT INTO iceberg_tables VALUES ('b', 'oso', 'v3', '$H/v3/metadata/v1.metadata.json', NULL, 'TABLE')\")
c.commit()"
expect_rc 0 f lake tables
expect_out "oso.v3"; expect_out "unsupported: Iceberg format-version 3 is not supported"
echo "$OUT" | grep "^oso.v3 " | grep -q "rows" && fail "lake tables lists a v3 table with rows: $OUT"
echo "$OUT" | grep "^oso.v1i " | grep -q "refused: writes; reads and writes" || fail "lake tables: v1i refusal: $OUT"
expect_rc 0 f lake tables --json
python3 -c "
import json, sys
t = {r['table']: r for r in json.loads(sys.argv[1])}
assert t['oso.v3']['rows'] is None and 'format-version 3' in t['oso.v3']['unsupported'], t['oso.v3']
assert t['oso.v1']['rows'] == 0 and t['oso.v1']['refused'][0].startswith('writes:'), t['oso.v1']
" "$OUT" || fail "lake tables --json: $OUT"
expect_rc 1 f lake describe oso.v3
expect_out "format-version 3 is not supported"
expect_rc 1 f lake snapshots oso.v3
expect_rc 1 f query "SELECT * FROM oso.v3"
expect_out "format-version 3 is not supported"
expect_rc 0 f lake unregister oso.v3
echo ok
