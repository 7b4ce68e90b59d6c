#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the main job on the
# shipped default inputs (Abilene topology, Azure LLM 2023 conversation trace).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/torta-sim --topology topologies/Abilene.gml \
  --trace traces/AzureLLMInferenceTrace_conv.csv --seed 7 --out results/quickstart "$@"
