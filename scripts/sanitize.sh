#!/usr/bin/env bash
# Builds torta-sim and its tests with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DTORTA_SANITIZE=ON: every report is fatal, leaks included) and runs the whole ctest suite.
#
#   scripts/sanitize.sh [CTEST ARGS...]       e.g. scripts/sanitize.sh -R unit.test_workload
#
# Build folder: $TORTA_SANITIZE_BUILD (default build-asan/). Exits non-zero when a test fails,
# which includes any sanitizer report from a unit test or from torta-sim run by an integration
# test.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${TORTA_SANITIZE_BUILD:-build-asan}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
# Debug keeps assertions; -O1 keeps the sanitized suite from being needlessly slow.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="-O1" -DTORTA_SANITIZE=ON \
  -DTORTA_WERROR=$werror >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
# Check forks a child per test; the child's leak report and exit status make the test fail.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
