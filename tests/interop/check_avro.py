"""check_avro.py — reads a floe table's manifest list and manifests with python3-avro (a reader floe did
not write) and checks field ids, the header keys Iceberg requires, lengths, counts and column bounds.
Usage: /usr/bin/python3 check_avro.py METADATA_JSON"""
import json, os, struct, sys, warnings
import avro.datafile, avro.io

warnings.simplefilter("ignore")
meta = json.load(open(sys.argv[1]))
failures = 0
def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)

def check_ids(node, where):
    """Every record field carries field-id, every array element-id."""
    if isinstance(node, list):
        for b in node: check_ids(b, where)
    elif isinstance(node, dict):
        t = node.get("type")
        if t == "record":
            for f in node["fields"]:
                if "field-id" not in f: fail(f"{where}: field {f['name']} has no field-id")
                check_ids(f["type"], where + "." + f["name"])
        elif t == "array":
            if "element-id" not in node and node.get("logicalType") != "map": fail(f"{where}: array without element-id")
            check_ids(node["items"], where)
        elif isinstance(t, (dict, list)):
            check_ids(t, where)

def read(path, required):
    r = avro.datafile.DataFileReader(open(path, "rb"), avro.io.DatumReader())
    hdr = {k: v.decode() if isinstance(v, bytes) else v for k, v in r.meta.items()}
    for k in required:
        if k not in hdr: fail(f"{os.path.basename(path)}: header key {k} missing")
    check_ids(json.loads(hdr["avro.schema"]), os.path.basename(path))
    return hdr, list(r)

schema = [s for s in meta["schemas"] if s["schema-id"] == meta["current-schema-id"]][0]
types = {f["id"]: f["type"] for f in schema["fields"]}
snap = [s for s in meta["snapshots"] if s["snapshot-id"] == meta["current-snapshot-id"]][0]
hdr, mlist = read(snap["manifest-list"], ["snapshot-id", "parent-snapshot-id", "sequence-number", "format-version"])
if hdr["snapshot-id"] != str(snap["snapshot-id"]): fail("manifest list snapshot-id header")
nfiles = 0
for mf in mlist:
    if mf["manifest_length"] != os.path.getsize(mf["manifest_path"]): fail("manifest_length is not the file size")
    mh, entries = read(mf["manifest_path"], ["schema", "schema-id", "partition-spec", "partition-spec-id", "format-version", "content"])
    if mh["format-version"] != "2" or mh["content"] != "data": fail("manifest header values")
    json.loads(mh["schema"]); json.loads(mh["partition-spec"])
    for e in entries:
        df = e["data_file"]
        if e["status"] == 2: continue
        nfiles += 1
        if df["file_size_in_bytes"] != os.path.getsize(df["file_path"]): fail("file_size_in_bytes")
        lows = {kv["key"]: kv["value"] for kv in df["lower_bounds"] or []}
        highs = {kv["key"]: kv["value"] for kv in df["upper_bounds"] or []}
        counts = {kv["key"]: kv["value"] for kv in df["value_counts"] or []}
        for fid, t in types.items():
            if counts.get(fid, df["record_count"]) != df["record_count"]: fail(f"value_counts[{fid}] != record_count")
            if fid in lows and fid in highs:
                if t in ("long", "timestamp"):
                    lo, hi = struct.unpack("<q", lows[fid])[0], struct.unpack("<q", highs[fid])[0]
                elif t in ("int", "date"):
                    lo, hi = struct.unpack("<i", lows[fid])[0], struct.unpack("<i", highs[fid])[0]
                elif t == "double":
                    lo, hi = struct.unpack("<d", lows[fid])[0], struct.unpack("<d", highs[fid])[0]
                elif t == "string":
                    lo, hi = lows[fid].decode(), highs[fid].decode()
                else:
                    continue
                if lo > hi: fail(f"bounds of field {fid}: {lo} > {hi}")
        if 1 not in lows: fail("no lower bound for field 1")
print(f"ok python3-avro: manifest list + {len(mlist)} manifests, {nfiles} live files; field ids and header keys present")
sys.exit(1 if failures else 0)
