#!/usr/bin/env bash
# Training throughput of the TORTA macro policy on the shipped default (Abilene, 22 servers, a
# diurnal day at 38 req/s, 288 five-minute slots: the command of configs/policies/COMMANDS.md).
# (1) `torta-sim train` as shipped (one process, each episode updating the policy), with a
#     projection for 1,000 episodes, and a one-day 48-server episode (the cloud graph, 16 regions
#     x 3 servers, the same load per server).
# (2) The scaling curve of `train --jobs N` (N = 1, 2, 4, ... up to the number of cores) with
#     rl.episodes_per_update = K: 1 + I x K episodes (the behaviour-cloning episode, then I
#     iterations), R rounds interleaved over N, medians; it also checks that every N wrote the
#     same policy and curve bytes. With one serial episode, the ideal speed-up with N workers is
#     (1 + I K) / (1 + I ceil(K / N)).
# A control beside it: N independent runs at once, the speed-up the machine itself allows.
# Figures only, not a test; wall-clock figures on a shared machine are noisy (the load average
# is printed before and after, and the CPU time beside the wall time: with other jobs on the
# cores, workers wait for a core and the wall-time speed-up falls while the CPU time holds).
# Usage: bench/train.sh [build dir] [episodes for (1), default 4] [K, default 8] [I, default 2]
#                       [R, default 3]      (BENCH_TRAIN_SKIP_SERIAL=1 skips part 1;
#                                            BENCH_TRAIN_QUIET=S: see wait_quiet)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/torta-sim
episodes=${2:-4}
K=${3:-8}
iters=${4:-2}
rounds=${5:-3}
lengths=traces/AzureLLMInferenceTrace_conv.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

two='[{"gpu": "h100-80gb", "model": "llama2-70b", "tp": 4, "count": 1}, {"gpu": "a100-80gb", "model": "llama2-70b", "tp": 4, "count": 1}]'
three='[{"gpu": "h100-80gb", "model": "llama2-70b", "tp": 4, "count": 2}, {"gpu": "a100-80gb", "model": "llama2-70b", "tp": 4, "count": 1}]'
rl='{"horizon_steps": 288, "init_log_std": -2.5, "gamma": 0.5, "ot_supervision": 10}'

train() { # topology, rate, servers, rl json, episodes, out prefix, extra args...
  local topo=$1 rate=$2 servers=$3 rlj=$4 n=$5 out=$6
  shift 6
  rm -f "$out.json" "$out.csv" # train refuses to replace files; rounds write the same names
  "$bin" train --topology "$topo" --seed 1001 --episodes "$n" --quiet --slot-s 300 \
    --workload "diurnal:rate_per_s=$rate,duration_s=86400,peak_to_trough=4,lengths=$lengths" \
    --set "regions.servers=$servers" --set "scheduler.macro_params.rl=$rlj" \
    --macro torta --policy-out "$out.json" --curve-out "$out.csv" "$@"
}

now() { date +%s.%N; }
# BENCH_TRAIN_QUIET=S: before each timed run, wait (at most S seconds) until no other process
# is runnable for 5 one-second samples in a row (on a shared machine, other jobs come in
# bursts); the table counts the runs that started quiet.
wait_quiet() {
  local limit=${BENCH_TRAIN_QUIET:-0} calm=0 waited=0 running
  [ "$limit" -gt 0 ] || return 1
  while [ $calm -lt 5 ]; do
    [ $waited -ge "$limit" ] && return 1
    read -r _ _ _ running _ < /proc/loadavg # a builtin: no reader process of its own to count
    if [ "${running%/*}" -le 1 ]; then calm=$((calm + 1)); else calm=0; fi
    sleep 1
    waited=$((waited + 1))
  done
}
TIMEFORMAT='%R %U %S'

measure() { # label, topology, rate, servers
  local label=$1 t0 t1
  t0=$(now)
  train "$2" "$3" "$4" "$rl" "$episodes" "$tmp/serial"
  t1=$(now)
  awk -v l="$label" -v n="$episodes" -v a="$t0" -v b="$t1" 'BEGIN {
    s = (b - a) / n
    printf "%-52s %5.2f s/episode  %5.1f episodes/min  1,000 episodes: %5.1f min\n", l, s, 60 / s, 1000 * s / 60 }'
}

echo "machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${BENCH_TRAIN_SKIP_SERIAL:-0}" != 1 ]; then
  echo "(1) torta-sim training throughput, one process ($episodes episodes each, the first a behaviour-cloning episode)"
  measure "shipped default: Abilene, 22 servers, 3.3M req/day" topologies/Abilene.gml 38 "$two"
  measure "one day, 48 servers (cloud graph 16 x 3), 7.2M req" topologies/cloud-regions.json 83 "$three"
fi

n=$((1 + iters * K))
cores=$(nproc)
jobs_list=()
for ((j = 1; j < cores; j *= 2)); do jobs_list+=("$j"); done
jobs_list+=("$cores")
rlk=${rl%\}}', "episodes_per_update": '$K'}'
echo "(2) train --jobs N, Abilene default, rl.episodes_per_update=$K: $n episodes, $rounds rounds interleaved, median wall time"
for ((r = 0; r < rounds; r++)); do
  for j in "${jobs_list[@]}"; do
    # wall, and CPU (user + sys, workers included): the load of other jobs shows in the first
    quiet=0
    wait_quiet && quiet=1
    { time train topologies/Abilene.gml 38 "$two" "$rlk" "$n" "$tmp/j$j" --jobs "$j"; } 2>"$tmp/t"
    echo "$j $(tail -1 "$tmp/t") $quiet" >>"$tmp/times"
    # Control: what the machine allows now. j independent 2-episode runs at once; with j free
    # cores they take as long as one alone.
    { time (for ((c = 0; c < j; c++)); do train topologies/Abilene.gml 38 "$two" "$rl" 2 "$tmp/c$c" & done; wait); } 2>"$tmp/t"
    echo "$j $(tail -1 "$tmp/t" | cut -d' ' -f1)" >>"$tmp/control"
  done
done
same=yes
for j in "${jobs_list[@]}"; do
  cmp -s "$tmp/j1.json" "$tmp/j$j.json" && cmp -s "$tmp/j1.csv" "$tmp/j$j.csv" || same=NO
done
printf "%6s %10s %12s %9s %9s %9s %6s  %s\n" jobs "median s" "s/episode" speed-up ideal "CPU s" quiet "all rounds (wall s)"
for j in "${jobs_list[@]}"; do
  awk -v j="$j" -v n="$n" -v K="$K" -v I="$iters" '$1 == j { t[++m] = $2; c[m] = $3 + $4; q += $5 }
    $1 == 1 { b[++k] = $2 }
    function med(a, c,   i, x, y, s) {
      for (i = 1; i <= c; i++) s[i] = a[i]
      for (x = 1; x <= c; x++) for (y = x + 1; y <= c; y++) if (s[y] < s[x]) { v = s[x]; s[x] = s[y]; s[y] = v }
      return c % 2 ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2 }
    END {
      all = ""; for (i = 1; i <= m; i++) all = all sprintf(" %.1f", t[i])
      mt = med(t, m); mb = med(b, k); waves = int((K + j - 1) / j)
      printf "%6d %10.1f %12.2f %8.2fx %8.2fx %9.1f %3d/%-2d %s\n", j, mt, mt / n, mb / mt, n / (1 + I * waves), med(c, m), q, m, all }' "$tmp/times"
done
echo "control: N independent 2-episode runs at once; capacity = N x (one alone) / (N at once), N if the cores are free"
for j in "${jobs_list[@]}"; do
  awk -v j="$j" '$1 == j { t[++m] = $2 } $1 == 1 { b[++k] = $2 }
    function med(a, c,   i, x, y, s) {
      for (i = 1; i <= c; i++) s[i] = a[i]
      for (x = 1; x <= c; x++) for (y = x + 1; y <= c; y++) if (s[y] < s[x]) { v = s[x]; s[x] = s[y]; s[y] = v }
      return c % 2 ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2 }
    END { printf "%6d at once: median %.1f s, capacity %.2f\n", j, med(t, m), j * med(b, k) / med(t, m) }' "$tmp/control"
done
echo "policy and curve identical for every N: $same"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
