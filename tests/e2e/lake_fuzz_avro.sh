#!/usr/bin/env bash
# lake_fuzz_avro.sh — builds the Avro-reader fuzzer (manifests and manifest lists of any engine) and runs
# it 15 s from the committed corpus (fails when clang with -fsanitize=fuzzer is missing; scripts/bootstrap.sh installs it).
source "$(dirname "$0")/lib.sh"
# a missing compiler fails the test: a fuzz smoke that cannot run must not pass
command -v clang >/dev/null || fail "clang is not installed (scripts/bootstrap.sh installs it); the fuzz smoke cannot run"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' > "$T/probe.c"
clang -fsanitize=fuzzer -o "$T/probe" "$T/probe.c" >"$T/probe.log" 2>&1 ||
  { cat "$T/probe.log"; fail "clang cannot build a libFuzzer target (-fsanitize=fuzzer); the fuzz smoke cannot run"; }
FLOE_FUZZ_OUT="$T/fuzz" bash "$SRC/tests/fuzz/run_avro.sh" 15 -seed=1 >"$T/fuzz.log" 2>&1 || { tail -40 "$T/fuzz.log"; fail "fuzzer found a problem"; }
grep -q "Done [0-9]* runs" "$T/fuzz.log" || { tail -20 "$T/fuzz.log"; fail "fuzzer did not run"; }
echo ok
