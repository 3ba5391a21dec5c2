#!/usr/bin/env bash
# lake_fuzz_avro.sh — builds the Avro-reader fuzzer (manifests and manifest lists of any engine) and runs
# it 15 s from the committed corpus (skipped when clang is not installed; scripts/bootstrap.sh installs it).
source "$(dirname "$0")/lib.sh"
command -v clang >/dev/null || { echo "skip: clang not installed"; exit 0; }
FLOE_FUZZ_OUT="$T/fuzz" bash "$SRC/tests/fuzz/run_avro.sh" 15 -seed=1 >"$T/fuzz.log" 2>&1 || { tail -40 "$T/fuzz.log"; fail "fuzzer found a problem"; }
grep -q "Done [0-9]* runs" "$T/fuzz.log" || { tail -20 "$T/fuzz.log"; fail "fuzzer did not run"; }
echo ok
