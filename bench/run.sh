#!/usr/bin/env bash
# Every benchmark of torta-sim in one command (figures, not tests; see docs/performance.md):
#   bench/run.sh [build dir, default build] [--10m]
# Builds the benchmark programs if needed. On a shared machine, compare figures from one run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" -j"$(nproc)" >/dev/null
echo "== engine (future-event list, hold model)"
"$build"/bench_engine 2000000
echo "== end to end"
bench/e2e.sh "$build" "${2:-}"
echo "== against SimPy (M/M/16 at utilisation 0.8)"
bench/simpy_compare.sh "$build" 20000
echo "== training throughput (TORTA macro policy)"
bench/train.sh "$build" 3
echo "== macro step against regions"
"$build"/bench_macro 30
echo "== optimal transport"
"$build"/bench_ot
echo "== micro decision against servers per region"
"$build"/bench_micro
echo "== MLP forward/backward"
"$build"/bench_mlp
