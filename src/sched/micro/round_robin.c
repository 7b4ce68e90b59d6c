/* Micro baseline `round-robin`: the region's live servers in turn. */
#include <stdlib.h>

#include "torta/sched.h"

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    int *next = calloc((size_t)env->view->n_regions, sizeof *next);
    if (!next)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = next;
    return 0;
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    int *next = self;
    const torta_region_state *g = &v->regions[region];
    for (int k = 0; k < g->n_servers; k++) {
        int i = (next[region] + k) % g->n_servers;
        if (v->servers[g->first_server + i].alive) {
            next[region] = (i + 1) % g->n_servers;
            return g->first_server + i;
        }
    }
    return TORTA_DEFER;
}

const torta_micro_ops torta_micro_round_robin = {
    .name = "round-robin",
    .summary = "the region's live servers in turn",
    .init = init,
    .pick = pick,
    .destroy = free,
};
