#!/usr/bin/env bash
# Scaling run on a bigger machine (docs/benchmarks.md, "Past 2 threads"): the fork-join and
# forall suites at 2, 4, 8 and 16 threads, and the quick latency suite at 16 threads, each
# beside its peers in the same run. Uses a release ontime-bench already built (or builds it).
# Usage: benches/scale.sh OUT_DIR
set -uo pipefail
out=${1:?usage: benches/scale.sh OUT_DIR}
mkdir -p "$out"
bin=target/release/ontime-bench
[ -x "$bin" ] || cargo build --release -p ontime-benches
{ nproc; grep -m1 'model name' /proc/cpuinfo; free -g | head -2; } > "$out/machine.txt"
for n in 2 4 8 16; do
  start=$(date +%s)
  "$bin" --threads "$n" --suite fork-join --suite forall --out "$out/scale-$n" > "$out/scale-$n.log" 2>&1
  echo "scale $n: $(( $(date +%s) - start )) s" | tee -a "$out/times.txt"
done
start=$(date +%s)
"$bin" --quick --threads 16 --suite latency --out "$out/latency-16" > "$out/latency-16.log" 2>&1
echo "latency 16: $(( $(date +%s) - start )) s" | tee -a "$out/times.txt"
