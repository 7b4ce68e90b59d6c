#!/usr/bin/env bash
# torta-sim against a SimPy 3 model of the same M/M/c queue (c = 16, utilisation 0.8, mean
# service 1 s), run side by side: requests simulated per wall-clock second and their ratio.
# torta-sim simulates 10x the duration so that process start-up (a few ms) does not count; it
# runs once with every output and once without requests.csv (SimPy keeps only a running mean).
# The three are interleaved for `rounds` rounds; the ratios are of the medians.
# Usage: bench/simpy_compare.sh [build dir] [SimPy duration_s] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/torta-sim
dur=${2:-20000}
rounds=${3:-3}
rate=12.8
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

simpy() {
  local line
  line=$(/usr/bin/python3 bench/simpy_mmc.py $rate 16 "$dur" 1)
  echo "$line" >&2
  sed -n 's/.*req_per_s=\([0-9.]*\).*/\1/p' <<<"$line"
}

torta() { # label, extra args...; prints the rate
  local label=$1 t0 t1 n mean events; shift
  rm -rf "$out/run"
  t0=$(date +%s.%N)
  "$bin" --topology tests/fixtures/core/one_region.json \
    --workload "poisson:rate_per_s=$rate,duration_s=$((dur * 10)),input_tokens=1,output_tokens=1" \
    --set server.mode=exponential --set server.service_mean_s=1 \
    --set 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":16}]' \
    --micro central-fcfs --macro local --quiet --out "$out/run" "$@" >/dev/null
  t1=$(date +%s.%N)
  read -r n mean events < <(/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['requests']['completed'], s['latency_s']['e2e']['mean'], s['events'])" "$out/run/summary.json")
  awk -v l="$label" -v n="$n" -v a="$t0" -v b="$t1" -v m="$mean" -v ev="$events" 'BEGIN {
    printf "torta-sim requests=%d wall_s=%.3f req_per_s=%.0f events_per_s=%.0f mean_response_s=%.4f  (%s)\n", n, b - a, n / (b - a), ev / (b - a), m, l
  }' >&2
  awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

s_rates=() a_rates=() n_rates=()
for ((k = 1; k <= rounds; k++)); do
  echo "-- round $k of $rounds" >&2
  s_rates+=("$(simpy)")
  a_rates+=("$(torta "all outputs")")
  n_rates+=("$(torta "without requests.csv" --set output.requests_csv=false)")
done 2>&1
s=$(printf '%s\n' "${s_rates[@]}" | median)
a=$(printf '%s\n' "${a_rates[@]}" | median)
n=$(printf '%s\n' "${n_rates[@]}" | median)
awk -v s="$s" -v a="$a" -v n="$n" -v r="$rounds" 'BEGIN {
  printf "medians of %d rounds: SimPy %.0f req/s; torta-sim %.0f req/s with every output (%.1fx), %.0f req/s without requests.csv (%.1fx)\n", r, s, a, a / s, n, n / s
}'
