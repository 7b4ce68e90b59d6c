#!/usr/bin/env bash
# Slurm batch script: one torta-sim sweep spread over the nodes of the allocation with MPI (rank 0
# hands out the points, every other rank runs them one at a time). Submit from the repository:
#
#   cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=Release -DTORTA_WITH_MPI=ON && cmake --build build-mpi -j
#   sbatch --nodes=4 --ntasks-per-node=16 scripts/slurm_sweep.sh bench/ci/sweep.json results/sweep1
#
# OUT_DIR must be on a file system every node sees (home, scratch). Submitting the same command
# again resumes: complete points are skipped, failed or interrupted ones re-run. docs/sweeps.md.
#SBATCH --job-name=torta-sweep
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=8
#SBATCH --cpus-per-task=1
#SBATCH --time=04:00:00
#SBATCH --output=torta-sweep-%j.log
set -euo pipefail
SPEC=${1:?usage: sbatch [sbatch options] scripts/slurm_sweep.sh SPEC.json OUT_DIR}
OUT=${2:?usage: sbatch [sbatch options] scripts/slurm_sweep.sh SPEC.json OUT_DIR}
SIM=${TORTA_SIM:-build-mpi/torta-sim}
cd "${SLURM_SUBMIT_DIR:-.}"
if [ ! -x "$SIM" ]; then
  echo "torta-sim with MPI not found at $SIM: build it with -DTORTA_WITH_MPI=ON (see the top of $0)," \
       "or set TORTA_SIM" >&2
  exit 2
fi
# Each rank forks one worker per point; with the TCP/shared-memory transports that is safe, so
# silence OpenMPI's generic fork() warning.
export OMPI_MCA_mpi_warn_on_fork=0
echo "torta-sweep: $SLURM_NTASKS tasks on $SLURM_JOB_NUM_NODES node(s): $SPEC -> $OUT"
# mpirun reads the allocation from Slurm. With an OpenMPI built for PMIx, `srun --mpi=pmix "$SIM"
# sweep ...` works too.
mpirun "$SIM" sweep "$SPEC" --out "$OUT"
