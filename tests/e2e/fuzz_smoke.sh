#!/usr/bin/env bash
# fuzz_smoke.sh — builds the project-loader fuzzer, the checked-NDJSON-line fuzzer and the CSV text-pass
# fuzzer and runs each 20 s from its committed corpus with a fixed seed (reproducible in CI; longer
# exploratory runs: tests/fuzz/run.sh SECONDS, tests/fuzz/run_ndjson.sh SECONDS, tests/fuzz/run_csv.sh
# SECONDS). Fails when clang with -fsanitize=fuzzer is missing (scripts/bootstrap.sh installs it).
source "$(dirname "$0")/lib.sh"
# a missing compiler fails the test: a fuzz smoke that cannot run must not pass
command -v clang >/dev/null || fail "clang is not installed (scripts/bootstrap.sh installs it); the fuzz smoke cannot run"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' > "$T/probe.c"
clang -fsanitize=fuzzer -o "$T/probe" "$T/probe.c" >"$T/probe.log" 2>&1 ||
  { cat "$T/probe.log"; fail "clang cannot build a libFuzzer target (-fsanitize=fuzzer); the fuzz smoke cannot run"; }
FLOE_FUZZ_OUT="$T/fuzz" bash "$SRC/tests/fuzz/run.sh" 20 -seed=1 >"$T/fuzz.log" 2>&1 || { tail -40 "$T/fuzz.log"; fail "fuzzer found a problem"; }
grep -q "Done [0-9]* runs" "$T/fuzz.log" || { tail -20 "$T/fuzz.log"; fail "fuzzer did not run"; }
FLOE_FUZZ_OUT="$T/fuzz" bash "$SRC/tests/fuzz/run_ndjson.sh" 20 -seed=1 >"$T/fuzz_ndjson.log" 2>&1 || { tail -40 "$T/fuzz_ndjson.log"; fail "NDJSON fuzzer found a problem"; }
grep -q "Done [0-9]* runs" "$T/fuzz_ndjson.log" || { tail -20 "$T/fuzz_ndjson.log"; fail "NDJSON fuzzer did not run"; }
grep "Done" "$T/fuzz_ndjson.log"
FLOE_FUZZ_OUT="$T/fuzz" bash "$SRC/tests/fuzz/run_csv.sh" 20 -seed=1 >"$T/fuzz_csv.log" 2>&1 || { tail -40 "$T/fuzz_csv.log"; fail "CSV fuzzer found a problem"; }
grep -q "Done [0-9]* runs" "$T/fuzz_csv.log" || { tail -20 "$T/fuzz_csv.log"; fail "CSV fuzzer did not run"; }
grep "Done" "$T/fuzz_csv.log"
echo ok
