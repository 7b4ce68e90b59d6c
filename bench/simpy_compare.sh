#!/usr/bin/env bash
# torta-sim against a SimPy 3 model of the same M/M/c queue (c = 16, utilisation 0.8, mean
# service 1 s), run side by side: requests simulated per wall-clock second and their ratio.
# Usage: bench/simpy_compare.sh [build dir] [duration_s]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/torta-sim
dur=${2:-20000}
rate=12.8
simpy=$(/usr/bin/python3 bench/simpy_mmc.py $rate 16 "$dur" 1)
t0=$(date +%s.%N)
"$bin" --topology tests/fixtures/core/one_region.json \
  --workload "poisson:rate_per_s=$rate,duration_s=$dur,input_tokens=1,output_tokens=1" \
  --set server.mode=exponential --set server.service_mean_s=1 \
  --set 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":16}]' \
  --micro central-fcfs --macro local --quiet --out /tmp/torta-simpy-compare.$$ >/dev/null
t1=$(date +%s.%N)
read -r n mean < <(/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['requests']['completed'], s['latency_s']['e2e']['mean'])" /tmp/torta-simpy-compare.$$/summary.json)
rm -rf /tmp/torta-simpy-compare.$$
echo "$simpy"
awk -v n="$n" -v a="$t0" -v b="$t1" -v m="$mean" -v s="$simpy" 'BEGIN {
  split(s, f, " "); for (i in f) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
  r = n / (b - a)
  printf "torta-sim requests=%d wall_s=%.3f req_per_s=%.0f mean_response_s=%.4f (with requests.csv output)\n", n, b - a, r, m
  printf "ratio torta-sim / SimPy = %.1fx\n", r / v["req_per_s"] }'
