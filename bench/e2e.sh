#!/usr/bin/env bash
# End-to-end benchmark: requests simulated per wall-clock second and peak resident memory for
# synthetic workloads (1M requests over GEANT 2012, 40 regions x 8 servers; 1M and 10M over
# Cogent, 186 regions x 8 servers) and for the shipped default run: the median wall time of
# `rounds` runs and the largest peak. Figures only, not a test.
# Usage: bench/e2e.sh [build dir] [--10m] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/torta-sim
big=${2:-}
rounds=${3:-3}
servers='regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":8}]'
lengths=traces/AzureLLMInferenceTrace_conv.csv

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # label, requests, args...
  local label=$1 n=$2; shift 2
  local t0 t1 mem events k walls="" peak=0
  for ((k = 0; k < rounds; k++)); do
    rm -rf "$tmp/run"
    # No subshell or `date` around the run: their forks would be half of the default run's time.
    # Summary and slots only: requests.csv would measure the disk (docs/performance.md).
    t0=$EPOCHREALTIME
    /usr/bin/time -f "%M" -o "$tmp/mem" "$bin" "$@" --quiet --out "$tmp/run" \
      --set output.requests_csv=false >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    t1=$EPOCHREALTIME
    walls="$walls $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
    mem=$(tail -1 "$tmp/mem")
    ((mem > peak)) && peak=$mem
  done
  events=$(sed -n 's/.*"events":[[:space:]]*\([0-9]*\).*/\1/p' "$tmp/run/summary.json")
  tr ' ' '\n' <<<"$walls" | sed '/^$/d' | sort -n | awk -v l="$label" -v n="$n" -v m="$peak" -v ev="$events" '
    { w[NR] = $1 }
    END { t = (NR % 2) ? w[(NR + 1) / 2] : (w[NR / 2] + w[NR / 2 + 1]) / 2
          printf "%-44s %9d req  %7.2f s  %9.0f req/s  %6.2f M events/s  peak %6.1f MB\n", l, n, t, n / t, ev / t / 1e6, m / 1024 }'
}

echo "torta-sim end-to-end benchmark ($(nproc) cores; one process, one core; medians of $rounds runs)"
measure "default: Abilene x Azure conv (quickstart)" 19366 \
  --topology topologies/Abilene.gml --trace traces/AzureLLMInferenceTrace_conv.csv --seed 7
measure "GEANT 40 regions x 8 servers, poisson 1M" 1000000 \
  --topology topologies/Geant2012.gml --set "$servers" \
  --workload "poisson:rate_per_s=600,duration_s=1666.67,lengths=$lengths"
measure "Cogent 186 regions x 8 servers, poisson 1M" 1000000 \
  --topology topologies/Cogentco.gml --set "$servers" \
  --workload "poisson:rate_per_s=3000,duration_s=333.33,lengths=$lengths"
if [ "$big" = "--10m" ]; then
  measure "Cogent 186 regions x 8 servers, poisson 10M" 10000000 \
    --topology topologies/Cogentco.gml --set "$servers" \
    --workload "poisson:rate_per_s=3000,duration_s=3333.33,lengths=$lengths"
fi
