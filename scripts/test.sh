#!/usr/bin/env bash
# The README's second command (and CI's): installs what is missing, builds, runs the whole suite,
# then the CI benchmark of scheduler variants against its committed baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")
build/torta-sim bench-check --spec bench/ci/sweep.json --baseline bench/ci/baseline.csv \
  --tolerance 0.02 --quiet
