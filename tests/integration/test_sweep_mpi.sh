#!/usr/bin/env bash
# torta-sim sweep under MPI: builds torta-sim with -DTORTA_WITH_MPI=ON into its own build folder,
# runs a small sweep with `mpirun -np 3` on loopback (rank 0 hands out points, ranks 1-2 run them)
# and checks that sweep.csv and every point's summary.json are byte-identical to the same binary's
# local --jobs 2 run, that both worker ranks took points, that a second mpirun finds every point
# complete, and that a torta-sim built without MPI refuses to run under mpirun.
# Needs OpenMPI (Debian: openmpi-bin libopenmpi-dev; scripts/setup.sh --test installs them).
set -euo pipefail
SRC="${TORTA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
BUILD="${TORTA_BUILD_DIR:-/tmp}/mpi-build"
mkdir -p "$BUILD"
fail() { echo "FAIL $*"; exit 1; }
ok() { echo "ok   $*"; }

command -v mpirun >/dev/null ||
  fail "mpirun not found: install OpenMPI (apt-get install openmpi-bin libopenmpi-dev, or scripts/setup.sh --test)"

t0=$(date +%s)
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTORTA_WERROR=ON -DTORTA_WITH_MPI=ON \
      -DBUILD_TESTING=OFF >"$BUILD/build.log" 2>&1 || { cat "$BUILD/build.log"; fail "configure with -DTORTA_WITH_MPI=ON"; }
cmake --build "$BUILD" --target torta-sim -j"$(nproc)" >>"$BUILD/build.log" 2>&1 ||
  { tail -40 "$BUILD/build.log"; fail "build with -DTORTA_WITH_MPI=ON"; }
SIM_MPI="$BUILD/torta-sim"
ok "MPI build ($(( $(date +%s) - t0 )) s)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/spec.json" <<EOF
{
  "topologies": ["$SRC/topologies/Abilene.gml"],
  "workloads": [{"name": "az", "trace": "$SRC/traces/AzureLLMInferenceTrace_conv.csv", "duration_s": 300},
                "poisson:rate_per_s=3,duration_s=200,input_tokens=300,output_tokens=120"],
  "schedulers": ["least-loaded/jsq", "latency-greedy/p2c", "torta-no-rl/jsq"],
  "seeds": "1-2"
}
EOF
MPIRUN=(mpirun --oversubscribe --allow-run-as-root -np 3 --mca btl self,vader,tcp
        --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)

"$SIM_MPI" sweep "$TMP/spec.json" --out "$TMP/local" --jobs 2 --quiet 2>"$TMP/local.err" ||
  { cat "$TMP/local.err"; fail "local --jobs 2 sweep"; }
ok "local --jobs 2 sweep"
t1=$(date +%s)
"${MPIRUN[@]}" "$SIM_MPI" sweep "$TMP/spec.json" --out "$TMP/mpi" >"$TMP/mpi.out" 2>"$TMP/mpi.err" ||
  { cat "$TMP/mpi.err"; fail "mpirun -np 3 sweep"; }
ok "mpirun -np 3 sweep ($(( $(date +%s) - t1 )) s)"

cmp "$TMP/local/sweep.csv" "$TMP/mpi/sweep.csv" || fail "sweep.csv differs between --jobs 2 and mpirun"
ok "sweep.csv byte-identical"
n=0
for d in "$TMP/local"/*/; do
  id=$(basename "$d")
  cmp "$d/summary.json" "$TMP/mpi/$id/summary.json" || fail "point $id: summary.json differs"
  n=$((n + 1))
done
[ "$n" -eq 12 ] || fail "expected 12 point folders, found $n"
ok "12 per-point summaries byte-identical"
[ "$(grep -c ',ok,' "$TMP/mpi/manifest.csv")" -eq 12 ] || { cat "$TMP/mpi/manifest.csv"; fail "manifest: 12 ok rows"; }
ok "manifest: 12 points ok"
for r in 1 2; do
  grep -q "rank $r)" "$TMP/mpi.err" || { cat "$TMP/mpi.err"; fail "rank $r ran no point"; }
done
ok "both worker ranks took points"

"${MPIRUN[@]}" "$SIM_MPI" sweep "$TMP/spec.json" --out "$TMP/mpi" 2>"$TMP/mpi2.err" ||
  { cat "$TMP/mpi2.err"; fail "second mpirun"; }
grep -q "12 points: 0 ran, 12 cached" "$TMP/mpi2.err" || { cat "$TMP/mpi2.err"; fail "second mpirun re-ran points"; }
cmp "$TMP/local/sweep.csv" "$TMP/mpi/sweep.csv" || fail "sweep.csv changed after resuming"
ok "second mpirun: every point cached, sweep.csv unchanged"

if [ -n "${TORTA_SIM:-}" ] && [ "$TORTA_SIM" != "$SIM_MPI" ]; then
  if "${MPIRUN[@]}" "$TORTA_SIM" sweep "$TMP/spec.json" --out "$TMP/nompi" >/dev/null 2>"$TMP/nompi.err"; then
    # a build with MPI (e.g. the whole suite configured with -DTORTA_WITH_MPI=ON) may run it
    grep -q "rank" "$TMP/nompi.err" || fail "non-MPI torta-sim under mpirun"
  else
    grep -q "built without MPI" "$TMP/nompi.err" || { cat "$TMP/nompi.err"; fail "no clear message"; }
    ok "a build without MPI refuses mpirun with a clear message"
  fi
fi
echo "all MPI checks passed"
