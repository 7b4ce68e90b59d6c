#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the main job on the
# shipped default inputs: TORTA against key baselines on the Abilene network with the Azure LLM
# 2023 conversation trace replayed 4x faster (so that placement matters), two seeds, printed
# side by side (results in results/quickstart/; rerunning reuses finished runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/torta-sim compare --topology topologies/Abilene.gml \
  --trace traces/AzureLLMInferenceTrace_conv.csv --rate-scale 4 \
  --schedulers torta,torta-no-rl,ot-reactive,skylb,least-loaded,local --seeds 1-2 \
  --metrics latency_s.e2e.mean,latency_s.e2e.p95,latency_s.ttft.mean,load_balance.region_load_std,cost_usd.total \
  --out results/quickstart "$@"
