/* Sweeps across MPI ranks (built with -DTORTA_WITH_MPI=ON): rank 0 hands out point indices as
 * ranks 1..N-1 ask for work and collects their results; each rank runs its point in a forked
 * worker like the local pool, so outputs are the same files, byte for byte. The output folder
 * must be visible to every rank (one machine, or a shared file system on a cluster). */
#include "sweep/sweep.h"

#ifdef TORTA_WITH_MPI
#include <mpi.h>
#include <string.h>
#include <time.h>

enum { TAG_RESULT = 11, TAG_WORK = 12 };

typedef struct result_msg {
    int idx;                  /* -1: first request, no result */
    torta_point_result r;
} result_msg;

static int master(const torta_points *pl, const torta_sweep_opts *o, torta_point_result *res,
                  int size, torta_err *e)
{
    int n_todo = 0, n_done = 0, next = 0, active = size - 1, stopping = 0;
    for (int i = 0; i < pl->n; i++)
        n_todo += res[i].status != TORTA_PT_CACHED;
    while (active > 0) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (!flag) { /* poll gently: rank 0 may share a core with a worker */
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
            continue;
        }
        result_msg m;
        MPI_Recv(&m, (int)sizeof m, MPI_BYTE, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &st);
        if (m.idx >= 0 && m.idx < pl->n) {
            res[m.idx] = m.r;
            res[m.idx].rank = st.MPI_SOURCE;
            n_done++;
            if (o->progress)
                o->progress(o->progress_ud, pl, m.idx, &res[m.idx], n_done, n_todo);
        }
        stopping |= o->stop_flag && *o->stop_flag;
        while (!stopping && next < pl->n && res[next].status == TORTA_PT_CACHED)
            next++;
        int give = !stopping && next < pl->n ? next++ : -1;
        MPI_Send(&give, 1, MPI_INT, st.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
        active -= give < 0;
    }
    (void)e;
    return 0;
}

static void worker(const torta_points *pl, const torta_sweep_opts *o)
{
    result_msg m;
    memset(&m, 0, sizeof m);
    m.idx = -1;
    while (1) {
        int idx;
        MPI_Send(&m, (int)sizeof m, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
        MPI_Recv(&idx, 1, MPI_INT, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (idx < 0 || idx >= pl->n)
            return;
        m.idx = idx;
        torta_point_run_isolated(pl, idx, o, &m.r);
    }
}

int torta_sweep_run_mpi(const torta_points *pl, const torta_sweep_opts *o, torta_point_result *res,
                        torta_err *e)
{
    int rank, size, rc = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0)
        rc = torta_sweep_prepare(pl, o, res, e);
    /* Every rank learns whether rank 0 could prepare, so none waits for work that never comes. */
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc)
        return rank == 0 ? rc : torta_err_set(e, rc, "rank 0 could not prepare the sweep");
    if (size == 1)
        return torta_sweep_run_local(pl, o, res, e);
    if (rank == 0)
        return master(pl, o, res, size, e);
    worker(pl, o);
    return 0;
}
#else
typedef int torta_sweep_mpi_unused; /* ISO C: a translation unit is never empty */
#endif
