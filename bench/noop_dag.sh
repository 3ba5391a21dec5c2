#!/usr/bin/env bash
# No-op DAG benchmark: 1,000 command assets running `true` in a layered DAG with fan-in and fan-out, run by
# floe (one run), by `make -jN` and by Snakemake (`--cores N`), same N, measured side by side in this run.
# Targets: floe within 2x of make's wall time; at least 20x faster than Snakemake.
# usage: bench/noop_dag.sh [N_ASSETS] [REPEATS]      (needs: scripts/bootstrap.sh --bench for snakemake)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}; R=${2:-5}; J=$(nproc)
FLOE=$PWD/build/floe
W=$(mktemp -d /tmp/floe-bench.XXXXXX); trap 'rm -rf $W' EXIT
python3 bench/gen_dag.py $W $N
printf 'executor: {max_concurrent: %d}\n' $J >> $W/floe/floe.yaml
now() { date +%s.%N; }
best() { sort -g | head -1; }
# interleaved, so that background load hits both alike; best of R each
: > $W/tf; : > $W/tm
for i in $(seq $R); do
  rm -rf $W/floe/.floe
  s=$(now); $FLOE -p $W/floe asset materialize --select '*' >/dev/null; echo "$(now) - $s" | bc >> $W/tf
  s=$(now); make -s -j$J -f $W/Makefile >/dev/null; echo "$(now) - $s" | bc >> $W/tm
done
t_floe=$(best < $W/tf); t_make=$(best < $W/tm)
printf 'no-op DAG, %d assets, N=%d (best of %d)\n' $N $J $R
printf '  floe      %8.3f s\n  make -jN  %8.3f s   floe/make      = %.2fx (target <= 2x)\n' $t_floe $t_make $(echo "$t_floe / $t_make" | bc -l)
if command -v snakemake >/dev/null; then
  s=$(now); (cd $W/snake && snakemake --cores $J --quiet >/dev/null 2>&1); t_snake=$(echo "$(now) - $s" | bc)
  printf '  snakemake %8.3f s   snakemake/floe = %.1fx (target >= 20x)\n' $t_snake $(echo "$t_snake / $t_floe" | bc -l)
else
  echo "  snakemake: not installed (run scripts/bootstrap.sh --bench)"
fi
