/* Before a sweep or compare writes anything: the schedulers of every point start, so a
 * trained policy that does not fit (another slot length, other servers, none shipped) stops the
 * whole command at once (exit 2, naming the point) instead of failing its points one by one
 * after hours of the others. Points that differ only in seed or workload build the same
 * schedulers, so one of each kind is checked. Other errors (a missing trace) are left to the
 * point's own run, which reports it as failed. */
#include <stdlib.h>
#include <string.h>

#include "core/prepare.h"
#include "sweep/sweep.h"
#include "torta/config.h"

static int same_schedulers(const torta_point *a, const torta_point *b)
{
    if (strcmp(a->topology, b->topology) != 0)
        return 0;
    int i = 0, j = 0;
    for (;;) { /* the sets in order, skipping the seed */
        while (i < a->n_sets && strncmp(a->sets[i], "seed=", 5) == 0)
            i++;
        while (j < b->n_sets && strncmp(b->sets[j], "seed=", 5) == 0)
            j++;
        if (i == a->n_sets || j == b->n_sets)
            return i == a->n_sets && j == b->n_sets;
        if (strcmp(a->sets[i++], b->sets[j++]) != 0)
            return 0;
    }
}

static int scheduler_error(const torta_err *e)
{
    return strncmp(e->msg, "macro scheduler", 15) == 0 || strncmp(e->msg, "micro scheduler", 15) == 0;
}

static int check_point(const torta_points *pl, const torta_point *p, torta_err *e)
{
    cJSON *cfg = NULL;
    int rc = torta_config_build(pl->config_path, (const char *const *)p->sets, p->n_sets, &cfg, e);
    if (rc)
        return rc;
    torta_run_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.config = cfg;
    ro.topology_path = p->topology;
    ro.trace_path = p->trace;
    ro.workload_spec = p->workload;
    ro.trace = p->trace_opts;
    torta_sim sim;
    torta_err mine = {0};
    rc = torta_run_prepare(&sim, &ro, &mine);
    if (!rc)
        rc = torta_run_prepare_schedulers(&sim, &ro, &mine);
    torta_run_release(&sim);
    cJSON_Delete(cfg);
    if (rc && scheduler_error(&mine)) {
        *e = mine;
        return torta_err_prefix(e, "point %s", p->id);
    }
    return 0;
}

int torta_points_check_schedulers(const torta_points *pl, torta_err *e)
{
    int *checked = malloc(sizeof(int) * (size_t)(pl->n + 1)), n = 0, rc = 0;
    if (!checked)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int i = 0; i < pl->n && !rc; i++) {
        int seen = 0;
        for (int k = 0; k < n && !seen; k++)
            seen = same_schedulers(&pl->p[checked[k]], &pl->p[i]);
        if (seen)
            continue;
        checked[n++] = i;
        rc = check_point(pl, &pl->p[i], e);
    }
    free(checked);
    return rc;
}
