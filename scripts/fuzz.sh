#!/usr/bin/env bash
# Builds the libFuzzer harnesses in tests/fuzz/ (clang, -fsanitize=fuzzer,address,undefined,
# against the library sources) and runs each for a bounded time, starting from the seed corpora
# in tests/fuzz/corpus/<name>/. Exits non-zero on any crash, leak, sanitizer report or timeout.
#
#   scripts/fuzz.sh [SECONDS] [NAME...]     e.g. scripts/fuzz.sh 60, scripts/fuzz.sh 0 fuzz_trace
#
# SECONDS per harness defaults to $TORTA_FUZZ_SECONDS, else 60; 0 only replays the seed corpus
# (a regression check, a few seconds). NAMEs default to every tests/fuzz/fuzz_*.c. The build and
# the grown corpora live in $TORTA_FUZZ_BUILD (default build-fuzz/); a failing input is saved as
# build-fuzz/artifacts/<name>-crash-* and the command that replays it is printed. Needs clang and
# libclang-rt-dev (scripts/setup.sh --test installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-${TORTA_FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;; esac
build=${TORTA_FUZZ_BUILD:-build-fuzz}
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
cc=${TORTA_FUZZ_CC:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for f in tests/fuzz/fuzz_*.c; do names+=("$(basename "$f" .c)"); done
fi

# The library, instrumented for coverage (fuzzer-no-link) and the sanitizers. A custom build type
# keeps CMake from adding -DNDEBUG, so assertions stay on.
t0=$(date +%s)
cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Fuzz -DBUILD_TESTING=OFF \
  -DTORTA_SANITIZE=ON -DCMAKE_C_FLAGS="-O1 -g -fsanitize=fuzzer-no-link" >/dev/null
cmake --build "$build" --target torta_core -j"$(nproc)" >/dev/null
libs=$(pkg-config --libs gsl libcjson igraph zlib)
for n in "${names[@]}"; do
  $cc -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -Wall -Wextra -Werror -Iinclude -Isrc \
    -fsanitize=fuzzer $san "tests/fuzz/$n.c" -o "$build/$n" "$build/libtorta_core.a" \
    $libs -lm -ldl
done
echo "fuzz: built ${names[*]} in $(( $(date +%s) - t0 )) s" >&2

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/artifacts" "$build/tmp"
# The harnesses write each input to a scratch file in $TMPDIR; keep any leftovers in the build.
export TMPDIR="$build/tmp"
failed=()
for n in "${names[@]}"; do
  seeds="tests/fuzz/corpus/${n#fuzz_}"
  work="$build/corpus/${n#fuzz_}"
  mkdir -p "$work"
  dict=()
  [ -f "tests/fuzz/${n#fuzz_}.dict" ] && dict=(-dict="tests/fuzz/${n#fuzz_}.dict")
  log="$build/$n.log"
  rm -f "$build/artifacts/$n"-*
  if [ "$seconds" -eq 0 ]; then
    args=(-runs=0 "$seeds")
  else
    args=(-max_total_time="$seconds" "$work" "$seeds")
  fi
  t1=$(date +%s)
  if "$build/$n" "${dict[@]}" -timeout="${TORTA_FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -max_len=16384 \
       -print_final_stats=1 -artifact_prefix="$build/artifacts/$n-" "${args[@]}" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $n ok: $(( $(date +%s) - t1 )) s, ${execs:-?} runs, ${rate:-?} exec/s, ${cov:-cov: ?}" >&2
  else
    echo "fuzz: $n FAILED (log: $log)" >&2
    grep -E 'ERROR: |runtime error|SUMMARY|Test unit written|deadly signal|ALARM' "$log" | head -20 >&2 || true
    for a in "$build/artifacts/$n"-*; do
      [ -e "$a" ] && echo "fuzz:   replay: $build/$n $a" >&2
    done
    failed+=("$n")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
