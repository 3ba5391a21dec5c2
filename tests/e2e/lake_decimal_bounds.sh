# Manifests carry decimal bounds in Iceberg's single-value encoding (unscaled, big-endian two's complement,
# fewest bytes), checked with python3-avro, a reader floe did not write; precision above 18 is kept exactly.
. "$(dirname "$0")/lib.sh"
P=$T/proj; mkdir -p $P/assets $P/data
printf 'name: oso\nlake: {warehouse: .floe/lake, namespace: oso}\n' > $P/floe.yaml
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.money
    kind: ingest
    source: {type: csv, path: data/m.csv}
    columns: {amount: "decimal(12, 2)", big: "decimal(30, 4)", small: "decimal(4, 1)"}
Y
printf 'id,amount,big,small\n1,-12.50,123456789012345678.1234,-0.5\n2,3.00,-5,12.3\n3,99999.99,7,-99.9\n' > $P/data/m.csv
expect_rc 0 $FLOE -p $P asset materialize --select oso.money
META=$($FLOE -p $P lake describe oso.money | awk '/^metadata:/ {print $2}')
/usr/bin/python3 - "$META" <<'PY' || fail "decimal bounds"
import json, sys, warnings
import avro.datafile, avro.io
warnings.simplefilter("ignore")
meta = json.load(open(sys.argv[1]))
ids = {f["name"]: f["id"] for f in meta["schemas"][-1]["fields"]}
snap = [s for s in meta["snapshots"] if s["snapshot-id"] == meta["current-snapshot-id"]][0]
ml = list(avro.datafile.DataFileReader(open(snap["manifest-list"], "rb"), avro.io.DatumReader()))
entries = list(avro.datafile.DataFileReader(open(ml[0]["manifest_path"], "rb"), avro.io.DatumReader()))
df = entries[0]["data_file"]
lo = {kv["key"]: kv["value"] for kv in df["lower_bounds"]}
hi = {kv["key"]: kv["value"] for kv in df["upper_bounds"]}
dec = lambda b: int.from_bytes(b, "big", signed=True)
want = {"amount": (-1250, 9999999), "big": (-50000, 1234567890123456781234), "small": (-999, 123)}
for name, (wlo, whi) in want.items():
    fid = ids[name]
    got = (dec(lo[fid]), dec(hi[fid]))
    assert got == (wlo, whi), (name, got, (wlo, whi))
    for b in (lo[fid], hi[fid]):  # fewest bytes: dropping the first byte would change the value
        assert len(b) == 1 or dec(b[1:]) != dec(b), (name, b.hex())
print("ok")
PY
expect_rc 0 $FLOE -p $P query "SELECT sum(amount) AS s, min(small) AS m FROM oso.money" --format csv
expect_out "99990.49,-99.9"
# precision above 18 widens (losslessly) to decimal(38, S): Iceberg wants the fewest bytes, DuckDB writes 16
expect_rc 0 $FLOE -p $P query "SELECT CAST(max(big) AS VARCHAR) AS b FROM oso.money" --format csv
expect_out "123456789012345678.1234"
expect_rc 0 $FLOE -p $P lake describe oso.money
expect_out "decimal(38, 4)"
echo ok
