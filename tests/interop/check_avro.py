"""check_avro.py — reads a floe table's manifest list and manifests with python3-avro (a reader floe did
not write) and checks field ids, the header keys Iceberg requires, lengths, counts, column bounds, NaN
counts and the manifest list's partition summaries (against the manifests' partition values and, when
given, against facts computed from the data by `floe query`).
Usage: /usr/bin/python3 check_avro.py METADATA_JSON [EXPECT_JSON]
EXPECT_JSON: {"summaries": {partition field: [lower, upper, contains_null]}, "nan": {column: NaN count}}"""
import datetime, json, math, os, struct, sys, warnings
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
names = {f["id"]: f["name"] for f in schema["fields"]}
specs = {s["spec-id"]: s["fields"] for s in meta["partition-specs"]}
expect = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
nan_totals = {}
union = {}  # partition field -> [lower, upper, contains_null, contains_nan] over the manifests

def decode(t, b):
    """Iceberg single-value serialization -> Python value."""
    if t in ("int", "date"): return struct.unpack("<i", b)[0]
    if t in ("long", "timestamp", "timestamptz"): return struct.unpack("<q", b)[0]
    if t == "boolean": return b != b"\x00"
    if t == "float": return struct.unpack("<f", b)[0]
    if t == "double": return struct.unpack("<d", b)[0]
    if t == "string": return b.decode()
    return b

def result_type(pf):
    """Type of a partition field's values: day/month/year/hour give int (day: date, also 4 bytes)."""
    return types.get(pf["source-id"], "string") if pf["transform"] == "identity" else "int"

def plain(v):
    """python3-avro turns date / timestamp-micros values into objects: back to days / microseconds."""
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None: v = v.replace(tzinfo=datetime.timezone.utc)
        d = v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds
    if isinstance(v, datetime.date): return (v - datetime.date(1970, 1, 1)).days
    return v

def is_nan(v):
    return isinstance(v, float) and math.isnan(v)

def check_summaries(mf, entries):
    """The manifest list's field summaries must describe the partition values of the manifest's entries
    (all of them, deleted ones too, as Java writes them): null/NaN flags exact, bounds the exact min/max."""
    fields = specs[mf["partition_spec_id"]]
    sums = mf["partitions"]
    if sums is None: return fail(f"{os.path.basename(mf['manifest_path'])}: no partition summaries")
    if len(sums) != len(fields): return fail(f"{len(sums)} partition summaries for {len(fields)} partition fields")
    for pf, su in zip(fields, sums):
        vals = [plain(e["data_file"]["partition"][pf["name"]]) for e in entries]
        t = result_type(pf)
        real = [v for v in vals if v is not None and not is_nan(v)]
        if su["contains_null"] != any(v is None for v in vals): fail(f"{pf['name']}: contains_null {su['contains_null']}")
        if su["contains_nan"] is not None and su["contains_nan"] != any(is_nan(v) for v in vals):
            fail(f"{pf['name']}: contains_nan {su['contains_nan']}")
        lo = decode(t, su["lower_bound"]) if su["lower_bound"] is not None else None
        hi = decode(t, su["upper_bound"]) if su["upper_bound"] is not None else None
        if real and (lo, hi) != (min(real), max(real)):
            fail(f"{pf['name']}: summary bounds {lo}..{hi}, manifest values {min(real)}..{max(real)}")
        if not real and (lo is not None or hi is not None): fail(f"{pf['name']}: bounds without values")
        a = union.setdefault(pf["name"], [lo, hi, su["contains_null"], su["contains_nan"]])
        if lo is not None and (a[0] is None or lo < a[0]): a[0] = lo
        if hi is not None and (a[1] is None or hi > a[1]): a[1] = hi
        a[2] = a[2] or su["contains_null"]
        a[3] = a[3] or su["contains_nan"]
snap = [s for s in meta["snapshots"] if s["snapshot-id"] == meta["current-snapshot-id"]][0]
hdr, mlist = read(snap["manifest-list"], ["snapshot-id", "parent-snapshot-id", "sequence-number", "format-version"])
if hdr["snapshot-id"] != str(snap["snapshot-id"]): fail("manifest list snapshot-id header")
nfiles = 0
for mf in mlist:
    if mf["manifest_length"] != os.path.getsize(mf["manifest_path"]): fail("manifest_length is not the file size")
    mh, entries = read(mf["manifest_path"], ["schema", "schema-id", "partition-spec", "partition-spec-id", "format-version", "content"])
    if mh["format-version"] != "2" or mh["content"] != "data": fail("manifest header values")
    json.loads(mh["schema"]); json.loads(mh["partition-spec"])
    check_summaries(mf, entries)
    for e in entries:
        df = e["data_file"]
        if e["status"] == 2: continue
        nfiles += 1
        if df["file_size_in_bytes"] != os.path.getsize(df["file_path"]): fail("file_size_in_bytes")
        lows = {kv["key"]: kv["value"] for kv in df["lower_bounds"] or []}
        highs = {kv["key"]: kv["value"] for kv in df["upper_bounds"] or []}
        counts = {kv["key"]: kv["value"] for kv in df["value_counts"] or []}
        nulls = {kv["key"]: kv["value"] for kv in df["null_value_counts"] or []}
        nans = {kv["key"]: kv["value"] for kv in df["nan_value_counts"] or []}
        for fid, t in types.items():
            if t in ("float", "double") and fid in counts:
                if fid not in nans: fail(f"no nan_value_counts[{fid}] for a {t} column")
                elif nans[fid] > counts[fid] - nulls.get(fid, 0): fail(f"nan_value_counts[{fid}] above the non-null values")
                else: nan_totals[names[fid]] = nan_totals.get(names[fid], 0) + nans[fid]
            elif fid in nans: fail(f"nan_value_counts[{fid}] for a {t} column")
            for bounds in (lows, highs):
                if fid in bounds and t in ("float", "double") and math.isnan(decode(t, bounds[fid])): fail(f"NaN bound for {fid}")
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
for name, want in expect.get("summaries", {}).items():
    got = union.get(name, [None, None, None, None])
    if got[:3] != want: fail(f"{name}: summaries give {got[:3]} (lower, upper, contains_null), the data says {want}")
    else: print(f"ok summaries {name}: {got[0]}..{got[1]} contains_null={got[2]} contains_nan={got[3]}")
for col, n in expect.get("nan", {}).items():
    if nan_totals.get(col) != n: fail(f"nan_value_counts of {col} sum to {nan_totals.get(col)} over live files, the data has {n} NaNs")
    else: print(f"ok nan_value_counts {col}: {n} NaNs over the live files")
print(f"ok python3-avro: manifest list + {len(mlist)} manifests, {nfiles} live files; field ids, header keys, partition summaries, NaN counts")
sys.exit(1 if failures else 0)
