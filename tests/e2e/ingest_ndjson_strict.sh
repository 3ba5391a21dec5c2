#!/usr/bin/env bash
# NDJSON never stores silently wrong data (issue 10): every line is checked against RFC 8259 before DuckDB
# reads it. Each bad input below fails the step naming the file, line, column and reason — and the table
# keeps exactly its rows, snapshots, schema and data files — or, with rejects: true, goes to the rejects
# table while every valid line loads exactly. Integers keep every digit; gzip is told by its content and
# its CRC and length are checked; NUL bytes are bytes; nesting past 1000 levels is a bad line.
. "$(dirname "$0")/lib.sh"
lake_project
cat > $P/assets/a.yaml <<'Y'
assets:
  - key: oso.s
    kind: ingest
    source: {type: ndjson, path: data/s.ndjson}
  - key: oso.r
    kind: ingest
    source: {type: ndjson, path: data/r.ndjson}
    rejects: true
  - key: oso.big
    kind: ingest
    source: {type: ndjson, path: data/big.ndjson}
  - key: oso.gz
    kind: ingest
    source: {type: ndjson, path: data/gz/*}
Y
q() { f query "$1" --format csv | tail -n +2; }
last_run() { f run list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
# the table as files: every metadata, manifest and data file with its checksum (its rows, snapshots and
# schema are these files); a failed ingest must leave all of them as they were and add none
state() { (cd "$P/.floe/lake/oso" && find "${1#oso.}" -type f 2>/dev/null | sort | xargs -r md5sum); }
# fails TABLE FILE_CONTENT_CMD MESSAGE...: the step fails with each message, the table is unchanged, no DuckDB advice
fails() {
  local t=$1; shift
  local before; before=$(state "$t")
  expect_rc 1 f asset materialize --select "$t"
  expect_rc 0 f run show "$(last_run)"
  for m in "$@"; do expect_out "$m"; done
  expect_no_out "ignore_errors"; expect_no_out "sample_size"; expect_no_out "DuckDB reports malformed"
  [ "$(state "$t")" = "$before" ] || fail "$t changed by a failed ingest:
$before
---
$(state "$t")"
}
printf '%s\n' '{"id":1,"v":"base","n":1.5}' > $P/data/s.ndjson
expect_rc 0 f asset materialize --select oso.s

# ---- 10.3 RFC 8259 only
printf '%s\n' '{"id":2,"v":"x","n":2}' '{"id":0,}' > $P/data/s.ndjson
fails oso.s "line 2 of data/s.ndjson: malformed JSON at column 9: a trailing comma before '}'" "(1 malformed line of 2; nothing was written"
for bad in NaN -NaN Inf Infinity -Infinity; do
  printf '{"id":2,"n":%s}\n' "$bad" > $P/data/s.ndjson
  fails oso.s "line 1 of data/s.ndjson: malformed JSON at column 13: NaN and Infinity are not JSON numbers"
done
printf '%s\n' '{"id":2,"l":[1,2,]}' > $P/data/s.ndjson
fails oso.s "malformed JSON at column 18: a trailing comma before ']'"
printf '%s\n' '{"id":2,"v":"\ud800"}' > $P/data/s.ndjson
fails oso.s "a UTF-16 high surrogate not followed by a low surrogate"
printf '{"id":2,"v":"\xff"}\n' > $P/data/s.ndjson
fails oso.s "column 14: invalid UTF-8"
printf '%s\n' '{"id":2,"v":01}' > $P/data/s.ndjson
fails oso.s "a number with a leading zero"
printf '%s\n' '{"id":2} {"id":3}' > $P/data/s.ndjson
fails oso.s "text after the value"

# ---- 10.4 a line that is not an object is a bad line wherever it is
printf '%s\n' '{"id":2,"v":"x"}' 'null' '{"id":3,"v":"y"}' > $P/data/s.ndjson
fails oso.s "line 2 of data/s.ndjson: not a JSON object"
printf '%s\n' '{"id":2,"v":"x"}' '"text"' '42' '[{"id":4}]' > $P/data/s.ndjson
fails oso.s "line 2 of data/s.ndjson: not a JSON object" "(3 malformed lines of 4;"

# ---- 10.9 messages in the user's terms, with file and line; only floe's options suggested
printf '%s\n' '{"foo\u0000bar":42}' > $P/data/s.ndjson
fails oso.s 'line 1 of data/s.ndjson: malformed JSON at column 6: a key holding \u0000'
printf '%s\n' '{"id":2,"a":1,"a":2}' > $P/data/s.ndjson
fails oso.s 'line 1 of data/s.ndjson: malformed JSON at column 20: duplicate key "a" in an object' "set rejects: true"
printf '%s\n' '{"id":2,"a":1,"A":2}' > $P/data/s.ndjson
fails oso.s 'keys differing only in case ("A" twice; column names ignore case)'
printf '%s\n' '{"id":2,"o":{"k":1,"K":2}}' > $P/data/s.ndjson
fails oso.s 'line 1 of data/s.ndjson: malformed JSON at column 25: keys differing only in case'
printf '{}\n' > $P/data/s.ndjson
fails oso.s "data/s.ndjson: every object in it is empty ({}), so there is no column to load"
printf '\0\0\0\0\n' > $P/data/s.ndjson
fails oso.s "line 1 of data/s.ndjson: malformed JSON at column 1: a NUL byte"
printf '\n\n  \n' > $P/data/s.ndjson   # only blank lines: nothing to load, like an empty file
before=$(state oso.s)
expect_rc 0 f asset materialize --select oso.s
[ "$(state oso.s)" = "$before" ] || fail "blank lines changed the table"

# ---- 10.5 NUL bytes are bytes: lines are byte ranges, line numbers physical lines
printf '{"seed":"keep1"}\n["a\0a"]\n{"seed":"keep2"}\n' > $P/data/r.ndjson
expect_rc 0 f asset materialize --select oso.r
[ "$(q "SELECT string_agg(seed, '-' ORDER BY seed) FROM oso.r")" = "keep1-keep2" ] || fail "a valid row lost to a NUL: $(q 'SELECT * FROM oso.r')"
[ "$(q "SELECT row_number || ':' || replace(reason, ';', '') FROM oso.r__rejects")" = "2:line 2 of data/r.ndjson: malformed JSON at column 4: a NUL byte (JSON text cannot hold one write \\u0000 inside a string)" ] || fail "NUL line reason: $(q 'SELECT row_number, reason FROM oso.r__rejects')"
[ "$(q "SELECT record = '[\"a' || chr(0) || 'a\"]' FROM oso.r__rejects")" = true ] || fail "record with its NUL: $(q 'SELECT record FROM oso.r__rejects')"
printf '{"seed":"a1","x":\0"z"\n"x":"y"}\n{"seed":"a3","x":"w"}\n' > $P/data/r.ndjson
expect_rc 0 f asset materialize --select oso.r
[ "$(q "SELECT string_agg(seed || '=' || x, '-' ORDER BY seed) FROM oso.r WHERE seed LIKE 'a%'")" = "a3=w" ] || fail "a row invented from two bad lines: $(q 'SELECT * FROM oso.r')"
[ "$(q "SELECT count(*) FROM oso.r__rejects WHERE reason LIKE 'line 1 of%column 18: a NUL byte%' OR reason LIKE 'line 2 of%column 4: text after the value%'")" = 2 ] || fail "line numbers after a NUL: $(q 'SELECT row_number, reason FROM oso.r__rejects')"

# ---- 10.7 deep nesting: a bad line before DuckDB sees it (7,000 levels crashed it); 1,000 levels load
python3 -c "print('{\"id\":2,\"d\":' + '['*7000 + ']'*7000 + '}')" > $P/data/s.ndjson
fails oso.s "line 1 of data/s.ndjson: malformed JSON at column 1012: nesting deeper than 1000 levels"
python3 -c "print('{\"seed\":\"deep\",\"d\":' + '{\"k\":'*998 + '1' + '}'*998 + '}'); print('{\"seed\":\"deeper\",\"d\":' + '['*1000 + ']'*1000 + '}'); print('{\"seed\":\"flat\"}')" > $P/data/r.ndjson
expect_rc 0 f asset materialize --select oso.r
[ "$(q "SELECT count(*) FROM oso.r WHERE seed IN ('deep', 'flat')")" = 2 ] || fail "1000 levels and flat rows load: $(q 'SELECT seed FROM oso.r')"
[ "$(q "SELECT count(*) FROM oso.r__rejects WHERE reason LIKE '%nesting deeper than 1000 levels'")" = 1 ] || fail "deep line rejected"

# ---- 10.2 integers are never read through a double
printf '%s\n' '{"id":1,"n":9007199254740993}' '{"id":2,"n":99999999999999999999}' '{"id":3,"n":-12345678901234567890123456789012345678}' > $P/data/big.ndjson
expect_rc 0 f asset materialize --select oso.big
[ "$(q "SELECT string_agg(CAST(n AS VARCHAR), ' ' ORDER BY id) FROM oso.big")" = "9007199254740993 99999999999999999999 -12345678901234567890123456789012345678" ] || fail "big integers exact: $(q 'SELECT * FROM oso.big')"
[ "$(q "SELECT typeof(n) FROM oso.big LIMIT 1")" = "\"DECIMAL(38,0)\"" ] || fail "a column past int64 is decimal(38,0): $(q 'SELECT typeof(n) FROM oso.big LIMIT 1')"
printf '%s\n' '{"id":4,"n":1,"o":{"x":[1,18446744073709551616]}}' > $P/data/big.ndjson
expect_rc 0 f asset materialize --select oso.big
[ "$(q "SELECT o = '{\"x\":[1,18446744073709551616]}' FROM oso.big WHERE id = 4")" = true ] || fail "nested big integer kept exactly: $(q 'SELECT o FROM oso.big WHERE id = 4')"
# past 2^53 but within 64 bits: still a long, exact
printf '%s\n' '{"seed":"c1","m":9007199254740993}' '{"seed":"c2","m":-9223372036854775808}' > $P/data/r.ndjson
expect_rc 0 f asset materialize --select oso.r
[ "$(q "SELECT string_agg(CAST(m AS VARCHAR) || ':' || typeof(m), ' ' ORDER BY seed) FROM oso.r WHERE seed LIKE 'c%'")" = "9007199254740993:BIGINT -9223372036854775808:BIGINT" ] || fail "int64 values past 2^53 stay long: $(q "SELECT seed, m, typeof(m) FROM oso.r WHERE seed LIKE 'c%'")"
# with rejects (the good lines staged apart from a bad one) the big integers stay exact too
printf '%s\n' '{"seed":"b1","n":99999999999999999999}' '{"seed":"b2",}' '{"seed":"b3","n":7}' > $P/data/r.ndjson
expect_rc 0 f asset materialize --select oso.r
[ "$(q "SELECT string_agg(CAST(n AS VARCHAR), ' ' ORDER BY seed) FROM oso.r WHERE seed LIKE 'b%'")" = "99999999999999999999 7" ] || fail "big integers exact with rejects: $(q "SELECT seed, n FROM oso.r WHERE seed LIKE 'b%'")"
printf '%s\n' '{"id":5,"n":1.5}' '{"id":6,"n":99999999999999999999}' > $P/data/big.ndjson
fails oso.big "column 'n' holds integers past 2^53 (exact only as a decimal) and numbers with a fraction or exponent; declare its type in columns:"
printf '%s\n' '{"id":5,"n":1234567890123456789012345678901234567890}' > $P/data/big.ndjson
fails oso.big "line 1 of data/big.ndjson: malformed JSON at column 13: an integer of more than 38 digits"
printf '%s\n' '{"id":5,"n":1e999}' > $P/data/big.ndjson
fails oso.big "a number too large for a double"

# a value of another type past DuckDB's sample: its reason and the file, none of DuckDB's options
python3 -c "print('\n'.join('{\"id\":%d,\"n\":%d}' % (i, i) for i in range(30000))); print('{\"id\":30000,\"n\":\"x\"}')" > $P/data/big.ndjson
fails oso.big "data/big.ndjson: Could not convert string" "when casting from source column n" "nothing was written"

# ---- 10.6 / 10.9 gzip: told by the content whatever the name; CRC and length checked; truncation said
mkdir -p $P/data/gz
printf '{"id":1,"v":"zipped"}\n' | gzip > $P/data/gz/a.ndjson
expect_rc 0 f asset materialize --select oso.gz
[ "$(q "SELECT v FROM oso.gz")" = zipped ] || fail "gzip content under a .ndjson name"
python3 - "$P/data/gz/a.ndjson" <<'PY'
import gzip, sys, zlib
raw = gzip.compress(b'{"id":2,"v":"AAAA"}\n', compresslevel=0)  # a stored block: the text is in the clear
i = raw.index(b'AAAA')
open(sys.argv[1], 'wb').write(raw[:i] + b'B' + raw[i + 1:])
PY
fails oso.gz "data/gz/a.ndjson: corrupt gzip file: the CRC-32 check of the data fails; nothing was written"
printf '{"id":2,"v":"x"}\n' | gzip | head -c -4 > $P/data/gz/a.ndjson
fails oso.gz "data/gz/a.ndjson: truncated gzip file"
printf '{"id":2,"v":"x"}\n' | gzip | head -c -8 > $P/data/gz/a.ndjson
fails oso.gz "data/gz/a.ndjson: truncated gzip file"
python3 -c "import gzip,sys; sys.stdout.buffer.write(gzip.compress(b''.join(b'{\"id\":%d}\n' % i for i in range(20000)))[:30000])" > $P/data/gz/a.ndjson
fails oso.gz "data/gz/a.ndjson: truncated gzip file: the compressed stream ends early"
printf '{"id":2,"v":"x"}\n' | gzip | head -c 10 > $P/data/gz/a.ndjson   # a gzip header alone
fails oso.gz "data/gz/a.ndjson: truncated gzip file"
{ printf '{"id":2,"v":"x"}\n' | gzip; printf 'junk'; } > $P/data/gz/a.ndjson
fails oso.gz "corrupt gzip file: data after the end of the compressed stream"
{ printf '{"id":2,"v":"m1"}\n' | gzip; printf '{"id":3,"v":"m2"}\n' | gzip; } > $P/data/gz/a.ndjson   # two members
printf '{"id":4,"v":"plain"}\n' > $P/data/gz/b.ndjson.gz   # plain text under a .gz name
expect_rc 0 f asset materialize --select oso.gz
[ "$(q "SELECT string_agg(v, '-' ORDER BY id) FROM oso.gz")" = "zipped-m1-m2-plain" ] || fail "gzip members and plain files told by content: $(q 'SELECT * FROM oso.gz')"
echo ok
