/* Macro baseline `latency-greedy`: minimise round-trip network latency + estimated wait
 * (outstanding work per live server) over all regions. Ties go to the origin. */
#include "torta/sched.h"

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    *self = NULL;
    return 0;
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    int o = r->origin, best = o;
    double best_c = torta_view_region_wait_s(v, o);
    for (int g = 0; g < v->n_regions; g++) {
        double c = 2.0 * v->latency_s[(size_t)o * v->n_regions + g] + torta_view_region_wait_s(v, g);
        if (c < best_c) {
            best_c = c;
            best = g;
        }
    }
    return best;
}

const torta_macro_ops torta_macro_latency_greedy = {
    .name = "latency-greedy",
    .summary = "minimise round-trip latency + estimated wait",
    .init = init,
    .route = route,
};
