#!/usr/bin/env bash
# ingest_http.sh — http_json source throughput against the local API (tests/e2e/http_api.py, no
# artificial delay): PAGES pages (default 400) of 100 GitHub-like events, Link-header pagination.
# Prints pages/s and records/s of a whole `floe asset materialize`, the per-page overhead of floe (time per page minus the server's time, measured with curl
# fetching the same pages in one process in the same run), and the ratio to curl.
# Usage: bench/ingest_http.sh [PAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
export FLOE_SRC=$PWD
FLOE=${FLOE_BIN:-$PWD/build/floe}
PAGES=${1:-400}
. tests/e2e/lib.sh
python3 tests/e2e/http_api.py $T/port - $((PAGES * 100)) & API=$!
trap 'rc=$?; kill $API 2>/dev/null; (exit $rc); cleanup' EXIT  # keep the test's exit status
for i in $(seq 100); do [ -f $T/port ] && break; sleep 0.05; done
B=http://127.0.0.1:$(cat $T/port)
mkdir -p $T/p/assets
cat > $T/p/floe.yaml <<'Y'
name: bench
lake: {warehouse: .floe/lake, namespace: bench}
Y
cat > $T/p/assets/a.yaml <<Y
assets:
  - key: bench.events
    kind: ingest
    source: {type: http_json, url: $B/events, params: {per_page: 100}, pagination: link}
    mode: overwrite
Y
ms() { local t0=$(date +%s%N); "$@" >/dev/null; echo $(( ($(date +%s%N) - t0) / 1000000 )); }
# peer: curl fetching the same URLs sequentially in one process (keep-alive), writing to a file
urls=$T/urls; : > $urls
for p in $(seq $PAGES); do echo "url = \"$B/events?per_page=100&page=$p\"" >> $urls; echo "output = \"/dev/null\"" >> $urls; done
curl_ms=$(for k in 1 2 3; do ms curl -s -K $urls; done | sort -n | head -1)
floe_ms=$(for k in 1 2 3; do ms "$FLOE" -p $T/p asset materialize --select bench.events; done | sort -n | head -1)
[ "$("$FLOE" -p $T/p query 'SELECT count(*) FROM bench.events' --format csv | tail -1)" = "$((PAGES * 100))" ] || fail "row count"
# the step's own time in HTTP (request + response + JSON parse excluded), from its materialization metadata
http_s=$("$FLOE" -p $T/p asset list 2>/dev/null | grep -o '"http_seconds":[0-9.]*' | head -1 | cut -d: -f2)
awk -v h="${http_s:-0}" -v n=$PAGES -v f=$floe_ms -v c=$curl_ms 'BEGIN {
  printf "http_json source, %d pages x 100 records, local API without delay (best of 3)\n", n
  printf "  floe ingest (whole run: fetch, parse, stage, Parquet, commit): %6d ms  %7.0f pages/s  %8.0f records/s\n", f, n / (f / 1000), n * 100 / (f / 1000)
  printf "  curl fetching the same pages (one process, keep-alive):        %6d ms  %7.0f pages/s\n", c, n / (c / 1000)
  printf "  per-page time: floe %.2f ms, curl %.2f ms -> floe overhead %.2f ms/page (everything beyond the fetch)\n", f / n, c / n, (f - c) / n
  printf "  of which in HTTP requests (step metadata http_seconds): %.0f ms -> %.0f pages/s fetched\n", h * 1000, n / h
  printf "  floe/curl pages/s ratio: %.2f\n", c / f }'
