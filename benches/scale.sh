#!/usr/bin/env bash
# Scaling run on a bigger machine (docs/benchmarks.md, "Past 2 threads"): full suites at several
# thread counts, each beside its peers in the same run, and the quick latency suite at 16
# threads. Uses a release ontime-bench already built (or builds it).
# Usage: [SUITES="fork-join forall"] [THREADS="2 4 8 16"] [ROUNDS=1] [LATENCY=1] benches/scale.sh OUT_DIR
# ROUNDS repeats every thread count (a figure counts only if it survives a second run);
# LATENCY=0 skips the latency suite.
set -uo pipefail
out=${1:?usage: benches/scale.sh OUT_DIR}
suites=${SUITES:-fork-join forall}
threads=${THREADS:-2 4 8 16}
rounds=${ROUNDS:-1}
mkdir -p "$out"
bin=target/release/ontime-bench
[ -x "$bin" ] || cargo build --release -p ontime-benches
{ nproc; grep -m1 'model name' /proc/cpuinfo; free -g | head -2; } > "$out/machine.txt"
args=()
for s in $suites; do args+=(--suite "$s"); done
for r in $(seq 1 "$rounds"); do
  for n in $threads; do
    start=$(date +%s)
    "$bin" --threads "$n" "${args[@]}" --out "$out/scale-$n-r$r" > "$out/scale-$n-r$r.log" 2>&1
    echo "scale $n round $r: $(( $(date +%s) - start )) s" | tee -a "$out/times.txt"
  done
done
if [ "${LATENCY:-1}" != 0 ]; then
  start=$(date +%s)
  "$bin" --quick --threads 16 --suite latency --out "$out/latency-16" > "$out/latency-16.log" 2>&1
  echo "latency 16: $(( $(date +%s) - start )) s" | tee -a "$out/times.txt"
fi
