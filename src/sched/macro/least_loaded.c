/* Macro baseline `least-loaded`: the region whose backlog would drain soonest (outstanding
 * estimated work per live server), ignoring network distance. Ties go to the origin, then to the
 * lowest index. */
#include "torta/sched.h"

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    *self = NULL;
    return 0;
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    int best = r->origin;
    double best_w = torta_view_region_wait_s(v, best);
    for (int g = 0; g < v->n_regions; g++) {
        double w = torta_view_region_wait_s(v, g);
        if (w < best_w) {
            best_w = w;
            best = g;
        }
    }
    return best;
}

const torta_macro_ops torta_macro_least_loaded = {
    .name = "least-loaded",
    .summary = "region with the least outstanding work per live server",
    .init = init,
    .route = route,
};
