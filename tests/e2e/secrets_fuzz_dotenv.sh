# secrets_fuzz_dotenv.sh — runs the .env parser + redaction fuzzer for 15 s from the committed corpus
# (skipped when clang is not installed).
source "$(dirname "$0")/lib.sh"
command -v clang >/dev/null || { echo "skip: clang not installed"; exit 0; }
FLOE_FUZZ_OUT="$T/fuzz" bash "$SRC/tests/fuzz/run_dotenv.sh" 15 -seed=1 >"$T/fuzz.log" 2>&1 || { tail -40 "$T/fuzz.log"; fail "fuzzer found a problem"; }
grep -q "Done [0-9]* runs" "$T/fuzz.log" || { tail -20 "$T/fuzz.log"; fail "fuzzer did not run"; }
grep "Done" "$T/fuzz.log"
echo ok
