#!/usr/bin/env bash
# The csv source through the shared row checks: a value that does not fit its declared or inferred type
# fails the step with the file, row, line, column and value, or goes to <table>__rejects with
# rejects: true while the good rows are written; counts in the metadata; on_schema_change: fail.
# Records that do not split into the header's fields (too few or too many fields, an unterminated quote)
# and non-ISO dates past the sniffer's sample take the same two ways.
. "$(dirname "$0")/lib.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.strict
    kind: ingest
    source: {type: csv, path: data/strict.csv}
    columns: {id: long, at: date}
    on_schema_change: fail
  - key: oso.lenient
    kind: ingest
    source: {type: csv, path: data/strict.csv}
    columns: {id: long, at: date}
    rejects: true
  - key: oso.inferred
    kind: ingest
    source: {type: csv, path: data/big.csv}
    rejects: true
  - key: oso.broken_strict
    kind: ingest
    source: {type: csv, path: data/broken.csv}
    columns: {id: long}
  - key: oso.broken
    kind: ingest
    source: {type: csv, path: data/broken.csv}
    columns: {id: long}
    rejects: true
  - key: oso.dates
    kind: ingest
    source: {type: csv, path: data/dates.csv}
    rejects: true
  - key: oso.firstbad
    kind: ingest
    source: {type: csv, path: data/firstbad.csv}
    columns: {amount: long}
  - key: oso.empties
    kind: ingest
    source: {type: csv, path: data/empties.csv}
    rejects: true
  - key: oso.empties_null
    kind: ingest
    source: {type: csv, path: data/empties.csv, empty_as_null: true}
    rejects: true
  - key: oso.wide
    kind: ingest
    source: {type: csv, path: data/wide.csv}
  - key: oso.long
    kind: ingest
    source: {type: csv, path: data/long.csv}
  - key: oso.long_ok
    kind: ingest
    source: {type: csv, path: data/long.csv, max_line_size: 3000000}
  - key: oso.longlate
    kind: ingest
    source: {type: csv, path: data/longlate.csv}
    rejects: true
  - key: oso.junk
    kind: ingest
    source: {type: csv, path: data/junk.csv}
  - key: oso.gz
    kind: ingest
    source: {type: csv, path: data/gz.csv}
    rejects: true
Y
q() { f query "$1" --format csv | tail -n +2; }
qv() { f query "$1" --format csv | python3 -c 'import csv, sys; print(list(csv.reader(sys.stdin))[1][0])'; } # one value, unquoted
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }

# a quoted field spanning two lines and a blank line: row numbers count rows, lines count lines
printf 'id,at,note\n1,2024-01-01,"two\nlines"\n\ntwo,2024-01-02,x\n3,someday,y\n4,2024-01-04,z\n' > $P/data/strict.csv
expect_rc 1 f asset materialize --select oso.strict
expect_rc 0 f run show "$(last_run)"
expect_out "data/strict.csv: row 2 (line 5): column 'id': cannot convert two to BIGINT (2 rows of 4 do not fit; nothing was written"
f query "SELECT count(*) FROM oso.strict" >/dev/null 2>&1 && fail "a failed load created the table"
expect_rc 0 f asset materialize --select oso.lenient
[ "$(q "SELECT string_agg(CAST(id AS VARCHAR), '-' ORDER BY id) FROM oso.lenient")" = "1-4" ] || fail "good rows loaded: $(q 'SELECT * FROM oso.lenient')"
[ "$(q 'SELECT typeof("at") FROM oso.lenient LIMIT 1')" = DATE ] || fail "declared type"
[ "$(q "SELECT replace(note, chr(10), '|') FROM oso.lenient WHERE id = 1")" = "two|lines" ] || fail "quoted newline: $(q 'SELECT note FROM oso.lenient')"
[ "$(q "SELECT string_agg(CAST(row_number AS VARCHAR), '-' ORDER BY row_number) FROM oso.lenient__rejects")" = "2-3" ] || fail "rejects rows"
[ "$(q "SELECT reason FROM oso.lenient__rejects WHERE row_number = 3")" = "column 'at': cannot convert someday to DATE" ] || fail "reason: $(q 'SELECT * FROM oso.lenient__rejects')"
[ "$(q "SELECT json_extract_string(record, '\$.id') FROM oso.lenient__rejects WHERE row_number = 2")" = two ] || fail "record kept"
[ "$(q "SELECT source FROM oso.lenient__rejects LIMIT 1")" = data/strict.csv ] || fail "rejects source"
expect_rc 0 f asset list
expect_meta oso.lenient rows_read=4 rows_written=2 rows_rejected=2 rejects_table=oso.lenient__rejects

# inferred types: DuckDB's sniffer samples the file; a value past the sample is still checked per row
python3 - $P/data/big.csv <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("n,label\n")
    for i in range(30000): f.write(f"{i},r{i}\n")
    f.write("oops,last\n")
PY
expect_rc 0 f asset materialize --select oso.inferred
[ "$(q 'SELECT count(*) FROM oso.inferred')" = 30000 ] || fail "inferred: good rows"
[ "$(q 'SELECT typeof(n) FROM oso.inferred LIMIT 1')" = BIGINT ] || fail "inferred type kept"
[ "$(q 'SELECT row_number || reason FROM oso.inferred__rejects')" = "30001column 'n': cannot convert oops to BIGINT" ] || fail "inferred: reject $(q 'SELECT * FROM oso.inferred__rejects')"

# structural errors. Row 2 (line 4) has too few fields, row 4 (line 6) too many, row 5 a value that is
# not a long, row 7 (line 9) opens a quote that never closes: that line is bad, the next one is row 8.
# (a) without rejects: the step fails naming the file, row, line, reason and text; the table is unchanged
printf 'id,at,note\n1,2024-01-01,a\n' > $P/data/broken.csv
expect_rc 0 f asset materialize --select oso.broken_strict
printf 'id,at,note\n1,2024-01-01,"two\nlines"\n2,2024-01-02\n3,2024-01-03,x\n4,2024-01-04,x,extra\nfive,2024-01-05,y\n6,2024-01-06,z\n7,2024-01-07,"open\n8,2024-01-08,w\n' > $P/data/broken.csv
expect_rc 1 f asset materialize --select oso.broken_strict
expect_rc 0 f run show "$(last_run)"
expect_out "data/broken.csv: row 2 (line 4): expected 3 fields, found 2 — the line reads: 2,2024-01-02 (4 rows of 8 do not fit; nothing was written — set rejects: true"
[ "$(q "SELECT count(*) || ':' || string_agg(note, '') FROM oso.broken_strict")" = "1:a" ] || fail "refused load changed the table: $(q 'SELECT * FROM oso.broken_strict')"
# (b) with rejects: the good rows are written, each bad line is in the rejects table with its row, line,
# reason and text, and the counts add up
expect_rc 0 f asset materialize --select oso.broken
[ "$(q "SELECT string_agg(CAST(id AS VARCHAR), '-' ORDER BY id) FROM oso.broken")" = "1-3-6-8" ] || fail "broken: good rows $(q 'SELECT * FROM oso.broken')"
[ "$(q 'SELECT typeof("at") FROM oso.broken LIMIT 1')" = DATE ] || fail "broken: inferred type of the good rows"
[ "$(q "SELECT replace(note, chr(10), '|') FROM oso.broken WHERE id = 1")" = "two|lines" ] || fail "broken: quoted newline"
[ "$(qv "SELECT string_agg(row_number || ' ' || reason, '; ' ORDER BY row_number) FROM oso.broken__rejects")" = \
  "2 line 4: expected 3 fields, found 2; 4 line 6: expected 3 fields, found 4; 5 column 'id': cannot convert five to BIGINT; 7 line 9: unterminated quote (the lines after it are read as rows of their own)" ] \
  || fail "broken: rejects $(q 'SELECT row_number, reason, record FROM oso.broken__rejects')"
[ "$(qv "SELECT record FROM oso.broken__rejects WHERE row_number = 4")" = "4,2024-01-04,x,extra" ] || fail "broken: raw line kept"
[ "$(qv "SELECT record FROM oso.broken__rejects WHERE row_number = 7")" = '7,2024-01-07,"open' ] || fail "broken: unterminated quote's line kept"
[ "$(q "SELECT count(DISTINCT source) || source FROM oso.broken__rejects GROUP BY source")" = "1data/broken.csv" ] || fail "broken: rejects source"
expect_rc 0 f asset list
expect_meta oso.broken table=oso.broken total_rows=4 deleted_rows=0 mode=append rows_read=8 rows_written=4 \
  rows_rejected=4 rejects_table=oso.broken__rejects malformed_lines=3

# a date in a non-ISO format the sniffer detected, bad past its sample: a bad row like any other
python3 - $P/data/dates.csv <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("n,day\n")
    for i in range(30000): f.write(f"{i},{i % 28 + 1:02d}/{i % 12 + 1:02d}/2015\n")
    f.write("30000,31/02/2015\n")
PY
expect_rc 0 f asset materialize --select oso.dates
[ "$(q "SELECT count(*) || ' ' || any_value(typeof(day)) || ' ' || min(day) FROM oso.dates")" = "30000 DATE 2015-01-01" ] || fail "dates: good rows"
[ "$(q 'SELECT row_number || reason FROM oso.dates__rejects')" = "30001column 'day': cannot convert 31/02/2015 to DATE" ] || fail "dates: reject $(q 'SELECT * FROM oso.dates__rejects')"

# the report names the first bad row of either kind and counts both: a value that does not convert on
# row 4, a record with a field missing on row 7 (was: "row 7 ... 1 row of 7 do not fit")
printf 'id,amount,note\n1,10,a\n2,20,b\n3,30,c\n4,lots,d\n5,50,e\n6,60,f\n7,70\n' > $P/data/firstbad.csv
expect_rc 1 f asset materialize --select oso.firstbad
expect_rc 0 f run show "$(last_run)"
expect_out "data/firstbad.csv: row 4 (line 5): column 'amount': cannot convert lots to BIGINT (2 rows of 7 do not fit; nothing was written"
expect_no_out "kept for the rejects table"
printf 'id,amount,note\n1,10,a\n2,2.5,b\n3,30\n' > $P/data/firstbad.csv
expect_rc 1 f asset materialize --select oso.firstbad
expect_rc 0 f run show "$(last_run)"
expect_out "data/firstbad.csv: row 2 (line 3): column 'amount': 2.5 does not fit BIGINT exactly: it is not a whole number (2 rows of 3 do not fit"
printf 'id,amount,note\n1\n2\n' > $P/data/firstbad.csv
expect_rc 1 f asset materialize --select oso.firstbad
expect_rc 0 f run show "$(last_run)"
expect_out "data/firstbad.csv: row 1 (line 2): expected 3 fields, found 1 — the line reads: 1 (2 rows of 2 do not fit; nothing was written"
f query "SELECT count(*) FROM oso.firstbad" >/dev/null 2>&1 && fail "a refused load created the table"

# RFC 4180: a quoted empty field "" is an empty string, an empty unquoted field is NULL (DuckDB read both
# as NULL); in a column of another type both are no value; empty_as_null: true reads "" as NULL too.
# Also through the rescan of a file with a record that does not split (row 4).
for body in 'id,s,n\n1,"",""\n2,,\n3,"x","5"\n' 'id,s,n\n1,"",""\n2,,\n3,"x","5"\n4,too,many,fields\n'; do
  printf "$body" > $P/data/empties.csv
  for t in empties empties_null; do
    expect_rc 0 f asset materialize --select oso.$t
    q "SELECT count(*) FROM oso.$t" >/dev/null
  done
  [ "$(q "SELECT string_agg(id || ':' || coalesce('[' || s || ']', 'null') || ':' || coalesce(CAST(n AS VARCHAR), 'null'), ' ' ORDER BY id) FROM (SELECT * FROM oso.empties QUALIFY row_number() OVER (PARTITION BY id ORDER BY id) = 1)")" = "1:[]:null 2:null:null 3:[x]:5" ] \
    || fail "\"\" is an empty string: $(q 'SELECT * FROM oso.empties')"
  [ "$(q "SELECT string_agg(id || ':' || coalesce('[' || s || ']', 'null'), ' ' ORDER BY id) FROM (SELECT DISTINCT id, s FROM oso.empties_null)")" = "1:null 2:null 3:[x]" ] \
    || fail "empty_as_null: $(q 'SELECT * FROM oso.empties_null')"
done
[ "$(q 'SELECT count(*) FROM oso.empties__rejects')" = 1 ] || fail "the bad record: $(q 'SELECT * FROM oso.empties__rejects')"

# on_schema_change: fail refuses a new column
printf 'id,at\n1,2024-01-01\n' > $P/data/strict.csv
expect_rc 0 f asset materialize --select oso.strict
printf 'id,at,extra\n2,2024-01-01,x\n' > $P/data/strict.csv
expect_rc 1 f asset materialize --select oso.strict
expect_rc 0 f run show "$(last_run)"
expect_out "new column(s) 'extra' that table oso.strict does not have, and on_schema_change is fail"
[ "$(q 'SELECT count(*) FROM oso.strict')" = 1 ] || fail "refused load changed the table"

# clean data is read once (strict casts straight into the COPY); only a failed conversion pays for the
# checked pass (counts, the first bad row, rejects) — what keeps ingest near DuckDB's own COPY speed
printf 'id,at\n1,2024-01-01\n2,2024-01-02\n' > $P/data/strict.csv
FLOE_TRACE_SQL=1 expect_rc 0 f asset materialize --select oso.lenient
log=$P/.floe/logs/$(last_run)/oso.lenient.err
[ "$(grep -E ' ms: COPY |FROM read_csv' $log | grep -vc ' ms: DESCRIBE ')" = 1 ] || fail "clean CSV read more than once: $(grep 'floe: sql' $log | cut -c1-160)"
grep -q 'count(__reason)' $log && fail "clean CSV ran the checked pass"
# (dates by the reader, as timestamps that must be midnight; integers as text, cast and checked exact: the reader would round 1.5 to 2)
grep -q "'id': 'VARCHAR', 'at': 'TIMESTAMP'" $log || fail "declared types not parsed by the CSV reader: $(grep 'floe: sql' $log | cut -c1-200)"
before=$(q 'SELECT count(*) FROM oso.lenient')
printf 'id,at\n3,2024-01-03\nfour,2024-01-04\n' > $P/data/strict.csv
FLOE_TRACE_SQL=1 expect_rc 0 f asset materialize --select oso.lenient
grep -q 'count(__reason)' $P/.floe/logs/$(last_run)/oso.lenient.err || fail "a bad value did not fall back to the checked pass"
[ "$(q 'SELECT count(*) FROM oso.lenient')" = $((before + 1)) ] || fail "the failed one-pass write left rows: $(q 'SELECT * FROM oso.lenient')"
[ "$(q "SELECT count(*) FROM oso.lenient__rejects WHERE reason LIKE '%four%'")" = 1 ] || fail "bad row not rejected"
expect_rc 0 f lake orphans --min-age 0
expect_out "0 orphan files"

# 1,500 columns of four types (a commit's column statistics were one UNION ALL per column: "Max
# expression depth limit of 1000 exceeded" at 1,000 columns, seconds from 500)
python3 - $P/data/wide.csv <<'PY'
import sys
n = 1500
with open(sys.argv[1], "w") as f:
    f.write(",".join(f"c{i}" for i in range(n)) + "\n")
    for r in range(2):
        f.write(",".join([str(i + r), f"{i}.5", f"s{r}", f"2024-01-0{r + 1}"][i % 4] for i in range(n)) + "\n")
PY
expect_rc 0 f asset materialize --select oso.wide
[ "$(q 'SELECT count(*), min(c0), max(c1496), min(c1497), max(c1498), min(c1499) FROM oso.wide')" = "2,0,1497,1497.5,s1,2024-01-01" ] \
  || fail "wide: $(q 'SELECT count(*), min(c0), max(c1496), min(c1497), max(c1498), min(c1499) FROM oso.wide')"
[ "$(q 'SELECT count(*) FROM oso.wide WHERE c1496 = 1497')" = 1 ] || fail "wide: filter on the last long column"

# Errors in the user's terms, naming the file and line, suggesting only floe's options (DuckDB's advice
# named ignore_errors, strict_mode, max_line_size=..., and a row over 2,000,000 bytes lost its reason
# behind the quoted line). Every refused load leaves the table as it was.
msgs=$T/messages
failing() { # failing ASSET: the run fails; its message is kept for the check below
  expect_rc 1 f asset materialize --select $1
  expect_rc 0 f run show "$(last_run)"
  printf '%s\n' "$OUT" >> $msgs
}
printf 'id,s\n1,a\n' > $P/data/long.csv
expect_rc 0 f asset materialize --select oso.long
python3 -c "open('$P/data/long.csv', 'w').write('id,s\n1,a\n2,' + 'x' * 2100000 + '\n3,c\n')"
failing oso.long
expect_out "data/long.csv: line 3: the row is 2100003 bytes long, more than the 2000000 bytes a CSV row may have; set max_line_size: 3000000 (or more) in the asset's source: to read it"
[ "$(q 'SELECT count(*) || s FROM oso.long GROUP BY s')" = 1a ] || fail "a refused load changed the table: $(q 'SELECT id FROM oso.long')"
expect_rc 0 f asset materialize --select oso.long_ok
[ "$(q "SELECT string_agg(id || ':' || length(s), ' ' ORDER BY id) FROM oso.long_ok")" = "1:1 2:2100000 3:1" ] || fail "max_line_size: $(q 'SELECT id FROM oso.long_ok')"
# past the sniffer's sample, with rejects: the long row is a bad row with the same advice
python3 -c "open('$P/data/longlate.csv', 'w').write('id,s\n' + ''.join(f'{i},a\n' for i in range(30000)) + '30000,' + 'y' * 2100000 + '\n30001,b\n')"
expect_rc 0 f asset materialize --select oso.longlate
[ "$(q 'SELECT count(*) FROM oso.longlate')" = 30001 ] || fail "longlate: good rows"
[ "$(qv "SELECT row_number || ' ' || reason FROM oso.longlate__rejects")" = "30001 line 30002: the row is 2100006 bytes long, more than the 2000000 bytes a CSV row may have (set max_line_size: 3000000 or more in the asset's source: to read it)" ] \
  || fail "longlate: $(q 'SELECT row_number, reason FROM oso.longlate__rejects')"
# bytes that are no CSV: the sniffer finds no dialect
printf 'a,b\n1,2\n' > $P/data/junk.csv
expect_rc 0 f asset materialize --select oso.junk
python3 -c "import random; random.seed(1); open('$P/data/junk.csv', 'wb').write(bytes(random.randrange(256) for _ in range(3000)))"
failing oso.junk
expect_out "data/junk.csv: cannot tell how the file splits into columns"
printf '\xff\xfe\n\xff\n' > $P/data/junk.csv
failing oso.junk
expect_out "data/junk.csv: line 1: bytes that are not UTF-8 text"
[ "$(q 'SELECT count(*) FROM oso.junk')" = 1 ] || fail "a refused load changed the table"
# gzip (told by its content): decompressed with its CRC and length checked; line numbers are lines of the text
python3 -c "import gzip; open('$P/data/gz.csv', 'wb').write(gzip.compress(b'a,b\n1,2\n3\n4,5\n'))"
expect_rc 0 f asset materialize --select oso.gz
[ "$(q "SELECT string_agg(a || ':' || b, ' ' ORDER BY a) FROM oso.gz")" = "1:2 4:5" ] || fail "gz rows: $(q 'SELECT * FROM oso.gz')"
[ "$(qv 'SELECT reason FROM oso.gz__rejects')" = "line 3: expected 2 fields, found 1" ] || fail "gz rejects: $(q 'SELECT * FROM oso.gz__rejects')"
python3 -c "
import gzip
b = bytearray(gzip.compress(b'a,b\n6,7\n8,9\n', compresslevel=0)); b[b.index(b'8,9')] = ord('5')
open('$P/data/gz.csv', 'wb').write(bytes(b)); open('$P/data/gz2.csv', 'wb').write(gzip.compress(b'a,b\n6,7\n')[:-6])"
failing oso.gz
expect_out "data/gz.csv: corrupt gzip file: the CRC-32 check of the data fails; nothing was written"
mv $P/data/gz2.csv $P/data/gz.csv
failing oso.gz
expect_out "data/gz.csv: truncated gzip file"
[ "$(q 'SELECT count(*) FROM oso.gz')" = 2 ] || fail "a refused load changed the table"
for w in ignore_errors strict_mode null_padding store_rejects 'max_line_size=' auto_detect all_varchar sample_size \
  buffer_size 'Possible Solution' 'Possible fixes' read_csv sniff_csv 'Error:'; do
  grep -qF -- "$w" $msgs && fail "an error message mentions DuckDB's $w: $(grep -F -- "$w" $msgs)"
done
# max_line_size is checked at load
cp $P/assets/a.yaml $T/a.yaml
printf '  - key: oso.badopt\n    kind: ingest\n    source: {type: csv, path: data/long.csv, max_line_size: lots}\n' >> $P/assets/a.yaml
expect_rc 2 f defs validate
expect_out "max_line_size"
cp $T/a.yaml $P/assets/a.yaml

# a query binds views only for the tables it names (each costs its metadata, manifests and a bind);
# a query of the catalog sees them all
ntables=$(f lake tables --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$ntables" -gt 3 ] || fail "expected several tables, found $ntables"
FLOE_TRACE_SQL=1 expect_rc 0 f query "SELECT count(*) FROM oso.strict"
[ "$(printf '%s\n' "$OUT" | grep -c 'CREATE OR REPLACE VIEW')" = 1 ] || fail "views for tables the query does not name: $OUT"
expect_rc 0 f query "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'oso'" --format csv
[ "$OUT" = "$(printf 'n\n%s' "$ntables")" ] || fail "the catalog query did not see every table: $OUT"

echo ok
