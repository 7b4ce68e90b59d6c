#!/usr/bin/env bash
# Training throughput of the TORTA macro policy: episodes per minute of `torta-sim train`, one
# process on one core, for (1) the shipped default (Abilene, 22 servers, a diurnal day at
# 38 req/s, 288 five-minute slots: the command of configs/policies/COMMANDS.md) and (2) a
# one-day, 48-server, 5-minute-slot episode (the cloud graph, 16 regions x 3 servers, the same
# load per server). Also projects a 1,000-episode run. Figures only, not a test.
# Usage: bench/train.sh [build dir] [episodes, default 4]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/torta-sim
episodes=${2:-4}
lengths=traces/AzureLLMInferenceTrace_conv.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # label, topology, rate, servers
  local label=$1 topo=$2 rate=$3 servers=$4 t0 t1
  t0=$(date +%s.%N)
  "$bin" train --topology "$topo" --seed 1001 --episodes "$episodes" --quiet --slot-s 300 \
    --workload "diurnal:rate_per_s=$rate,duration_s=86400,peak_to_trough=4,lengths=$lengths" \
    --set "regions.servers=$servers" --set scheduler.macro_params.rl.horizon_steps=288 \
    --macro torta --policy-out "$tmp/policy.json" --curve-out "$tmp/curve.csv"
  t1=$(date +%s.%N)
  awk -v l="$label" -v n="$episodes" -v a="$t0" -v b="$t1" 'BEGIN {
    s = (b - a) / n
    printf "%-52s %5.2f s/episode  %5.1f episodes/min  1,000 episodes: %5.1f min\n", l, s, 60 / s, 1000 * s / 60 }'
}

two='[{"gpu": "h100-80gb", "model": "llama2-70b", "tp": 4, "count": 1}, {"gpu": "a100-80gb", "model": "llama2-70b", "tp": 4, "count": 1}]'
three='[{"gpu": "h100-80gb", "model": "llama2-70b", "tp": 4, "count": 2}, {"gpu": "a100-80gb", "model": "llama2-70b", "tp": 4, "count": 1}]'
echo "torta-sim training throughput ($episodes episodes each, the first a behaviour-cloning episode)"
measure "shipped default: Abilene, 22 servers, 3.3M req/day" topologies/Abilene.gml 38 "$two"
measure "one day, 48 servers (cloud graph 16 x 3), 7.2M req" topologies/cloud-regions.json 83 "$three"
