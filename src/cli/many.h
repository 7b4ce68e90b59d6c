/* Shared by the many-runs subcommands (sweep, compare, bench-check): run a point list with
 * progress on stderr and write OUT/manifest.csv; MPI start and end. */
#ifndef TORTA_CLI_MANY_H
#define TORTA_CLI_MANY_H

#include "sweep/sweep.h"

typedef struct cli_many_opts {
    const char *what;     /* "sweep", "compare", "bench": progress prefix */
    const char *out_dir;
    int jobs;             /* <= 0: one per core */
    int rerun_all;        /* ignore complete outputs of an earlier invocation */
    int quiet;            /* progress only for failures */
    int mpi, rank;        /* from cli_mpi_begin */
    int temp_out;         /* out_dir is temporary (removed at the end): name no file in it */
    int batch;            /* one batch of several (capacity-search): no count or tally lines,
                           * no manifest.csv (the caller writes one for all batches) */
} cli_many_opts;

/* Runs the points, writes manifest.csv (rank 0). Returns the exit status: 0 all complete,
 * 1 some failed (each reported), 130 interrupted, 2 bad input. *res (rank 0; caller frees)
 * holds each point's result. */
int cli_run_points(const torta_points *pl, const cli_many_opts *m, torta_point_result **res);

/* Under mpirun/srun: MPI_Init (TORTA_WITH_MPI builds) and returns 1 with *rank; 0 when not
 * launched by MPI; -1 after printing an error (e.g. mpirun with a build without MPI). */
int cli_mpi_begin(int *argc, char ***argv, int *rank);
void cli_mpi_end(int mpi);

/* A whole-number option value in [lo, hi]; prints the error and returns -1 otherwise. */
int cli_parse_count(const char *opt, const char *arg, int lo, int hi, int *out);

#endif
