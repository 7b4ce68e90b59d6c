#!/usr/bin/env bash
# Runs representative torta-sim runs under valgrind (memcheck) and fails on any memory error or
# definite leak: the quick-start run (Abilene GML + Azure conversation trace), a synthetic
# diurnal day on the cloud-region JSON graph with TORTA's OT planner and faults, a Mooncake
# trace with exact OT (network simplex) and a user config, a short `train` and a run of the trained policy,
# servers starting, draining and preempted under TORTA's capacity plan, the `bound` LP, `capacity`,
# the `ot` subcommand, and bad-input runs (their error paths must free everything too).
#
#   scripts/valgrind.sh            uses $TORTA_SIM, else build/torta-sim (scripts/setup.sh builds it)
#
# Each case must also exit with its expected status. Memcheck errors exit with 99 so they are
# never confused with torta-sim's own statuses (1 internal error, 2 bad input).
set -euo pipefail
cd "$(dirname "$0")/.."
sim=${TORTA_SIM:-build/torta-sim}
[ -x "$sim" ] || { echo "valgrind.sh: $sim not found; run scripts/setup.sh first" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf 'time_s,region,server,duration_s\n300,aws:us-east-1,,600\n' >"$tmp/faults.csv"
printf '{"seed": 5, "slot_s": 30, "server": {"max_batch": 64}}\n' >"$tmp/user.json"
printf 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,100,10\n2023-11-16 17:00:00,100,10\n' \
  >"$tmp/backwards.csv"

failed=0
# run NAME EXPECTED_STATUS ARGS...
run() {
  local name=$1 want=$2
  shift 2
  local t0=$SECONDS rc=0
  valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --log-file="$tmp/$name.vg" "$sim" "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  if [ "$rc" -eq "$want" ] && [ ! -s "$tmp/$name.vg" ]; then
    echo "valgrind: $name ok ($((SECONDS - t0)) s)" >&2
  else
    echo "valgrind: $name FAILED: exit $rc (expected $want)" >&2
    cat "$tmp/$name.vg" >&2
    tail -5 "$tmp/$name.err" >&2
    failed=1
  fi
}

run quickstart 0 --topology topologies/Abilene.gml --trace traces/AzureLLMInferenceTrace_conv.csv \
  --seed 7 --quiet --out "$tmp/quickstart"
run diurnal_ot 0 --topology topologies/cloud-regions.json \
  --workload diurnal:rate_per_s=2,duration_s=7200,lengths=traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv \
  --macro torta-no-rl --micro p2c --faults "$tmp/faults.csv" --seed 3 --out "$tmp/diurnal"
run mooncake_exact 0 --topology topologies/Geant2012.gml --trace traces/mooncake_synthetic_trace.jsonl \
  --duration-s 600 --macro exact-ot --micro central-fcfs --config "$tmp/user.json" \
  --set server.kv_utilization=0.8 --quiet --out "$tmp/mooncake"
run train 0 train --macro torta --topology topologies/Abilene.gml --workload poisson:rate_per_s=2,duration_s=600,input_tokens=300,output_tokens=50 \
  --episodes 2 --policy-out "$tmp/policy.json"
run trained 0 --topology topologies/Abilene.gml --workload poisson:rate_per_s=2,duration_s=600,input_tokens=300,output_tokens=50 \
  --macro torta --set scheduler.macro_params.policy="$tmp/policy.json" --quiet
run capacity 0 --topology topologies/Abilene.gml \
  --workload diurnal:rate_per_s=4,duration_s=7200,lengths=traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv \
  --set 'regions.servers=[{"gpu":"a100-80gb","model":"llama2-70b","tp":4,"count":1},{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":2,"class":"spot"},{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":2,"class":"on_demand"}]' \
  --macro torta-no-rl --set capacity.spot_preemptions_per_h=2 --set capacity.spot_notice_s=0 --quiet --out "$tmp/capacity"
run bound 0 bound --topology topologies/Abilene.gml \
  --workload diurnal:rate_per_s=4,duration_s=7200,lengths=traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv \
  --set 'regions.servers=[{"gpu":"a100-80gb","model":"llama2-70b","tp":4,"count":1},{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":2,"class":"on_demand"}]' \
  --bound-slot-s 600 --quiet --out "$tmp/bound"
run saturation 0 capacity --topology topologies/Abilene.gml --trace traces/AzureLLMInferenceTrace_conv.csv
run ot 0 ot --cost tests/fixtures/ot/hand3x3_cost.csv --source tests/fixtures/ot/hand3x3_a.csv \
  --target tests/fixtures/ot/hand3x3_b.csv --reg 0.05
run bad_trace 2 --topology topologies/Abilene.gml --trace "$tmp/backwards.csv" --quiet
run bad_config 2 --topology topologies/Abilene.gml --trace traces/AzureLLMInferenceTrace_code.csv \
  --config tests/fixtures/core/bad_config.json --quiet
run bad_topology 2 --topology tests/fixtures/topo/disconnected.gml \
  --trace traces/AzureLLMInferenceTrace_code.csv --quiet
run bad_set 2 --topology topologies/Abilene.gml --trace traces/AzureLLMInferenceTrace_code.csv \
  --set server.max_bach=3 --quiet
exit $failed
