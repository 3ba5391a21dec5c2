#!/usr/bin/env bash
# Interop: tables floe writes are read back, value for value, by readers no one here wrote —
# DuckDB (read_parquet, parquet_schema field ids), hyparquet, icebird (the whole table through its
# Iceberg metadata) and python3-avro (manifests: field ids and header keys) — for a table with copy-on-write
# deletes, for a partitioned table whose schema evolved (older files lack the new column), and for a table
# partitioned by day(ts) and a boolean with NULLs and NaNs: the manifest list's partition summaries must give
# the data's day range and null flags, and nan_value_counts the data's NaNs.
. "$(dirname "$0")/../e2e/lib.sh"
HERE=$SRC/tests/interop
[ -d "$HERE/node_modules/icebird" ] || fail "interop readers not installed: run scripts/bootstrap.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.interop
    kind: ingest
    source: {type: csv, path: data/t.csv}
    columns: {n: int, d: date}
  - key: oso.interop_parts
    kind: ingest
    source: {type: csv, path: data/t.csv}
    columns: {n: int, d: date}
    partition: "month(d), flag"
  - key: oso.interop_nan
    kind: ingest
    source: {type: csv, path: data/nan.csv}
    columns: {score: double, flag: boolean, ts: timestamp}
    partition: "day(ts), flag"
Y
gen() { awk -v a=$1 -v b=$2 'BEGIN { print "id,n,name,score,flag,d,ts"; for (i = a; i < b; i++) printf "%d,%d,%s,%s,%s,2024-%02d-%02d,2024-01-%02d %02d:%02d:%02d\n", i, i % 1000 - 500, (i % 7 ? "name_" i % 13 : ""), (i % 11 ? i / 4 : ""), (i % 2 ? "true" : "false"), i % 12 + 1, i % 28 + 1, i % 28 + 1, i % 24, i % 60, i % 59 }'; }
gen 0 3000 > $P/data/t.csv
expect_rc 0 f asset materialize --select oso.interop
gen 3000 5000 > $P/data/t.csv
expect_rc 0 f asset materialize --select oso.interop
expect_rc 0 f lake delete oso.interop --where "id % 10 = 3 AND id < 2000"
META=$(f lake describe oso.interop | awk '/^metadata:/ {print $2}')
f lake files oso.interop --json > $T/files.json
f query "SELECT COLUMNS(*)::VARCHAR FROM oso.interop AS t ORDER BY t.id" --format json > $T/expected.json
(cd $HERE && FILES_JSON=$T/files.json node check_parquet.mjs "$META" "$T/expected.json") || fail "parquet/iceberg readers"
/usr/bin/python3 $HERE/check_avro.py "$META" || fail "python3-avro"
# the same through a partitioned table (month of a date, and identity on a boolean): partition values in
# the manifests, files per partition, read back whole by icebird and value for value by the others
gen 0 5000 > $P/data/t.csv
expect_rc 0 f asset materialize --select oso.interop_parts
# ... then schema evolution: a new column, absent from the older files (readers must give NULLs)
gen 5000 6000 | awk -F, -v OFS=, 'NR == 1 { print $0, "extra"; next } { print $0, "x" NR }' > $P/data/t.csv
expect_rc 0 f asset materialize --select oso.interop_parts
META=$(f lake describe oso.interop_parts | awk '/^metadata:/ {print $2}')
f lake files oso.interop_parts --json > $T/files.json
[ "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" $T/files.json)" = 24 ] || fail "expected a file per partition and ingest"
f query "SELECT COLUMNS(*)::VARCHAR FROM oso.interop_parts AS t ORDER BY t.id" --format json > $T/expected.json
(cd $HERE && FILES_JSON=$T/files.json node check_parquet.mjs "$META" "$T/expected.json") || fail "parquet/iceberg readers (partitioned)"
/usr/bin/python3 $HERE/check_avro.py "$META" || fail "python3-avro (partitioned)"
# day(ts) + identity(flag), with NULL ts and flag, and NaN scores; two ingests (the first manifest is
# carried over by the second commit, summary and all)
gen_nan() { awk -v a=$1 -v b=$2 -v m=$3 'BEGIN { print "id,score,flag,ts"; for (i = a; i < b; i++) printf "%d,%s,%s,%s\n", i, (i % 9 == 0 ? "nan" : (i % 11 == 0 ? "" : i / 4)), (i % 17 == 0 ? "" : (i % 2 ? "true" : "false")), (i % 13 == 0 ? "" : sprintf("2024-%02d-%02d %02d:%02d:00", m, i % 28 + 1, i % 24, i % 60)) }'; }
gen_nan 0 3000 1 > $P/data/nan.csv
expect_rc 0 f asset materialize --select oso.interop_nan
gen_nan 3000 4000 3 > $P/data/nan.csv
expect_rc 0 f asset materialize --select oso.interop_nan
META=$(f lake describe oso.interop_nan | awk '/^metadata:/ {print $2}')
f lake files oso.interop_nan --json > $T/files.json
f query "SELECT COLUMNS(*)::VARCHAR FROM oso.interop_nan AS t ORDER BY t.id" --format json > $T/expected.json
(cd $HERE && FILES_JSON=$T/files.json node check_parquet.mjs "$META" "$T/expected.json") || fail "parquet/iceberg readers (NaN)"
f query "SELECT json_object('summaries', json_object('ts_day', json_array(min(ts)::DATE - DATE '1970-01-01', max(ts)::DATE - DATE '1970-01-01', bool_or(ts IS NULL)), 'flag', json_array(min(flag), max(flag), bool_or(flag IS NULL))), 'nan', json_object('score', count(*) FILTER (WHERE isnan(score)))) AS e FROM oso.interop_nan" --format csv | tail -1 | python3 -c "import csv,sys; print(next(csv.reader(sys.stdin))[0])" > $T/expect.json
grep -q '"score":[1-9]' $T/expect.json || fail "the NaN table has no NaNs: $(cat $T/expect.json)"
/usr/bin/python3 $HERE/check_avro.py "$META" $T/expect.json || fail "python3-avro (partition summaries, NaN counts)"
echo ok
