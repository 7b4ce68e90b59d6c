#!/usr/bin/env bash
# The README's second command (and CI's): installs what is missing, builds, runs the whole suite,
# then the CI benchmark of scheduler variants against its committed baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")
if [ "${CI:-}" = "true" ] || [ "${TORTA_TEST_HOSTILE:-0}" = "1" ]; then
  scripts/valgrind.sh                           # representative runs under memcheck, ~30 s
  scripts/fuzz.sh "${TORTA_FUZZ_SECONDS:-60}"   # libFuzzer, 4 harnesses x 60 s
  scripts/sanitize.sh -E validation_queueing    # the suite under ASan + UBSan
fi
build/torta-sim bench-check --spec bench/ci/sweep.json --baseline bench/ci/baseline.csv \
  --tolerance 0.02 --quiet
