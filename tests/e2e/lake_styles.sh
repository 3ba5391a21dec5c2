#!/usr/bin/env bash
# What floe writes keeps the conventions of the table it writes to. version-hint.text names an existing metadata
# file: for floe's own tables "<NNNNN>-<uuid>" (the file is <hint>.metadata.json, the current one); for a table
# of the path-based convention (v<N>.metadata.json + hint "N", as Java's HadoopTables and icebird read it) the
# next file is v<N+1>.metadata.json and the hint N+1 — icebird then reads the table through the hint alone.
# Locations keep one style per table: a table whose location is file:// gets file:// paths in everything floe
# adds (metadata-log, manifest lists, manifests, data files, the catalog), never bare paths beside them.
. "$(dirname "$0")/lib.sh"
HERE=$SRC/tests/interop
[ -d "$HERE/node_modules/icebird" ] || fail "interop readers not installed: run scripts/bootstrap.sh"
/usr/bin/python3 -c "import avro.datafile" || fail "python3-avro not installed"
export FLOE_EVENTS=/dev/null
lake_project
printf 'id,name\n1,a\n2,b\n' > $P/data/t.csv
cat > $P/assets/a.yaml <<'Y'
assets:
  - {key: t, kind: ingest, table: oso.t, source: {type: csv, path: data/t.csv}}
  - {key: h, kind: ingest, table: oso.h, source: {type: csv, path: data/t.csv}}
Y
# 1. floe's own table: the hint names the current metadata file
expect_rc 0 f __step r1 t
expect_rc 0 f __step r2 t
MD=$P/.floe/lake/oso/t/metadata
CUR=$(f lake describe oso.t | sed -n 's/^metadata: *//p')
[ -f "$MD/$(cat $MD/version-hint.text).metadata.json" ] || fail "version-hint.text '$(cat $MD/version-hint.text)' names no file in $MD"
[ "$MD/$(cat $MD/version-hint.text).metadata.json" = "$CUR" ] || fail "version-hint.text names $(cat $MD/version-hint.text), current is $CUR"

# 2. a path-based table with file:// locations (v1.metadata.json, hint 1), registered, then appended to twice
H=$P/.floe/lake/oso/h; mkdir -p $H/metadata
python3 - $H <<'PY'
import json, sys
h = sys.argv[1]
m = {"format-version": 2, "table-uuid": "22222222-2222-2222-2222-222222222222", "location": "file://" + h,
     "last-sequence-number": 0, "last-updated-ms": 1700000000000, "last-column-id": 2,
     "schemas": [{"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"},
                                                                {"id": 2, "name": "name", "required": False, "type": "string"}]}],
     "current-schema-id": 0, "partition-specs": [{"spec-id": 0, "fields": []}], "default-spec-id": 0,
     "last-partition-id": 999, "sort-orders": [{"order-id": 0, "fields": []}], "default-sort-order-id": 0,
     "properties": {"written-by": "hand"}, "current-snapshot-id": -1, "snapshots": [], "snapshot-log": [], "metadata-log": []}
json.dump(m, open(h + "/metadata/v1.metadata.json", "w"))
open(h + "/metadata/version-hint.text", "w").write("1")
PY
expect_rc 0 f lake register oso.h "file://$H/metadata/v1.metadata.json"
expect_rc 0 f __step r3 h
printf 'id,name\n3,c\n' > $P/data/t.csv
expect_rc 0 f __step r4 h
[ "$(cat $H/metadata/version-hint.text)" = 3 ] || fail "hint: $(cat $H/metadata/version-hint.text)"
[ -f $H/metadata/v3.metadata.json ] && [ -f $H/metadata/v2.metadata.json ] || fail "metadata files: $(ls $H/metadata)"
[ "$(ls $H/metadata/*.metadata.json | wc -l)" = 3 ] || fail "metadata files: $(ls $H/metadata)"
expect_rc 0 f query "SELECT count(*) FROM oso.h" --format csv
expect_out 3
# every location floe wrote is file://, in the metadata, the catalog and the Avro files
/usr/bin/python3 - $H $P/.floe/floe.db <<'PY' || fail "location styles"
import json, sqlite3, sys
from avro.datafile import DataFileReader
from avro.io import DatumReader
h, db = sys.argv[1], sys.argv[2]
m = json.load(open(h + "/metadata/v3.metadata.json"))
cat, = sqlite3.connect(db).execute("SELECT metadata_location FROM iceberg_tables WHERE table_name='h'").fetchone()
paths = [("catalog", cat)] + [("metadata-log", e["metadata-file"]) for e in m["metadata-log"]]
assert [e["metadata-file"] for e in m["metadata-log"]] == ["file://%s/metadata/v%d.metadata.json" % (h, i) for i in (1, 2)], m["metadata-log"]
assert cat == "file://%s/metadata/v3.metadata.json" % h, cat
for s in m["snapshots"]:
    paths.append(("manifest-list", s["manifest-list"]))
    for mf in DataFileReader(open(s["manifest-list"][7:], "rb"), DatumReader()):
        paths.append(("manifest", mf["manifest_path"]))
        for e in DataFileReader(open(mf["manifest_path"][7:], "rb"), DatumReader()):
            paths.append(("data file", e["data_file"]["file_path"]))
bad = [p for p in paths if not p[1].startswith("file://" + h + "/")]
assert not bad and len(paths) > 8, bad or paths
assert m["properties"]["written-by"] == "hand"
PY
# icebird reads the table through its version hint alone (no metadata file named)
cat > $T/read.mjs <<'JS'
import { readFile } from 'node:fs/promises'
import { icebergRead } from 'icebird'
const realFetch = globalThis.fetch
globalThis.fetch = async (url, init) => {
  if (!String(url).startsWith('file://')) return realFetch(url, init)
  try {
    const b = await readFile(new URL(url))
    const range = init?.headers?.Range || init?.headers?.range
    const m = range && /bytes=(\d+)-(\d*)/.exec(range)
    const body = m ? b.subarray(+m[1], m[2] ? +m[2] + 1 : b.length) : b
    return new Response(body, { status: m ? 206 : 200, headers: { 'content-length': String(b.length) } })
  } catch { return new Response('', { status: 404, statusText: 'Not Found' }) }
}
const rows = await icebergRead({ tableUrl: process.argv[2] })
console.log(JSON.stringify(rows.map(r => Number(r.id)).sort()))
JS
cp $T/read.mjs $HERE/.read_styles_$$.mjs
trap 'rm -f $HERE/.read_styles_$$.mjs; cleanup' EXIT
got=$(cd $HERE && node .read_styles_$$.mjs "file://$H") || fail "icebird could not read the table through its hint: $got"
[ "$got" = "[1,2,3]" ] || fail "icebird read $got"
echo ok
