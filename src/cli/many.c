/* What sweep, compare and bench-check share on the command line: running a point list (worker
 * processes, or MPI ranks under mpirun when built with TORTA_WITH_MPI), progress on stderr,
 * manifest.csv, and the final tally. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmds.h"
#include "cli/eta.h"
#include "cli/many.h"
#include "cli/run_args.h"

#ifdef TORTA_WITH_MPI
#include <mpi.h>
#endif

/* Started by mpirun/srun? (OpenMPI, PMI, PMIx set these in every rank.) */
static int launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

int cli_mpi_begin(int *argc, char ***argv, int *rank)
{
    *rank = 0;
    if (!launched_by_mpi())
        return 0;
#ifdef TORTA_WITH_MPI
    int provided = 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, "torta-sim: error: MPI_Init failed\n");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    (void)provided;
    return 1;
#else
    (void)argc;
    (void)argv;
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (n && atoi(n) > 1) {
        const char *r = getenv("OMPI_COMM_WORLD_RANK");
        if (!r || atoi(r) == 0)
            fprintf(stderr, "torta-sim: error: started by mpirun, but this torta-sim was built "
                            "without MPI (configure with -DTORTA_WITH_MPI=ON), so every rank would "
                            "run the whole sweep; use --jobs N instead, or rebuild\n");
        return -1;
    }
    return 0;
#endif
}

void cli_mpi_end(int mpi)
{
#ifdef TORTA_WITH_MPI
    if (mpi > 0)
        MPI_Finalize();
#else
    (void)mpi;
#endif
}

typedef struct progress_ctx {
    const char *what;
    int quiet;
    double t0; /* wall clock at the start */
} progress_ctx;

static void on_point(void *ud, const torta_points *pl, int i, const torta_point_result *r, int n_done,
                     int n_todo)
{
    const progress_ctx *c = ud;
    char eta[64];
    cli_eta(eta, sizeof eta, cli_wall_s() - c->t0, n_done, n_todo);
    if (r->status == TORTA_PT_FAILED)
        fprintf(stderr, "[%s] %d/%d %s FAILED: %s\n", c->what, n_done, n_todo, pl->p[i].id, r->error);
    else if (!c->quiet && r->rank > 0)
        fprintf(stderr, "[%s] %d/%d %s %s (%.2f s, rank %d%s)\n", c->what, n_done, n_todo, pl->p[i].id,
                torta_point_status_name(r->status), r->wall_s, r->rank, eta);
    else if (!c->quiet)
        fprintf(stderr, "[%s] %d/%d %s %s (%.2f s%s)\n", c->what, n_done, n_todo, pl->p[i].id,
                torta_point_status_name(r->status), r->wall_s, eta);
}

int cli_run_points(const torta_points *pl, const cli_many_opts *m, torta_point_result **res_out)
{
    torta_point_result *res = calloc((size_t)pl->n + 1, sizeof *res);
    *res_out = NULL;
    if (!res) {
        fprintf(stderr, "torta-sim: error: out of memory\n");
        return 1;
    }
    progress_ctx pc = {m->what, m->quiet, cli_wall_s()};
    torta_sweep_opts o;
    memset(&o, 0, sizeof o);
    o.out_dir = m->out_dir;
    o.jobs = m->jobs;
    o.rerun_all = m->rerun_all;
    o.stop_flag = cli_stop_flag();
    o.progress = on_point;
    o.progress_ud = &pc;
    o.warn = cli_print_warning;
    torta_err e = {0};
    int rc;
#ifdef TORTA_WITH_MPI
    if (m->mpi > 0) {
        rc = torta_sweep_run_mpi(pl, &o, res, &e);
        if (m->rank != 0) { /* workers: rank 0 reports */
            free(res);
            return rc ? 1 : 0;
        }
    } else
#endif
    {
        rc = torta_sweep_prepare(pl, &o, res, &e);
        int cached = 0;
        for (int i = 0; i < pl->n; i++)
            cached += res[i].status == TORTA_PT_CACHED;
        if (!rc && !m->quiet && !m->batch)
            fprintf(stderr, "[%s] %d points, %d already complete in %s, %d to run\n", m->what, pl->n,
                    cached, m->temp_out ? "a temporary folder" : m->out_dir, pl->n - cached);
        if (!rc)
            rc = torta_sweep_run_local(pl, &o, res, &e);
    }
    if (rc) {
        free(res);
        return cli_fail(&e);
    }
    int count[TORTA_PT_INTERRUPTED + 1] = {0};
    for (int i = 0; i < pl->n; i++)
        count[res[i].status]++;
    if (!m->batch && torta_sweep_write_manifest(pl, res, m->out_dir, &e)) {
        free(res);
        return cli_fail(&e);
    }
    if (m->temp_out)
        fprintf(stderr, "[%s] %d points: %d ran, %d cached, %d failed, %d interrupted, %d not run "
                        "(in a temporary folder)\n",
                m->what, pl->n, count[TORTA_PT_OK], count[TORTA_PT_CACHED], count[TORTA_PT_FAILED],
                count[TORTA_PT_INTERRUPTED], count[TORTA_PT_PENDING]);
    else if (!m->batch)
        fprintf(stderr, "[%s] %d points: %d ran, %d cached, %d failed, %d interrupted, %d not run; "
                        "see %s/manifest.csv\n", m->what, pl->n, count[TORTA_PT_OK], count[TORTA_PT_CACHED],
                count[TORTA_PT_FAILED], count[TORTA_PT_INTERRUPTED], count[TORTA_PT_PENDING], m->out_dir);
    *res_out = res;
    if (*o.stop_flag || count[TORTA_PT_INTERRUPTED] || count[TORTA_PT_PENDING])
        return 130;
    return count[TORTA_PT_FAILED] ? 1 : 0;
}

int cli_parse_count(const char *opt, const char *arg, int lo, int hi, int *out)
{
    char *end;
    long x = strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || x < lo || x > hi) {
        fprintf(stderr, "torta-sim: error: --%s %s: expected a whole number from %d to %d\n", opt,
                arg, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}
