/* Micro baseline `p2c` (power of two choices): two random live servers, the one with less
 * outstanding work wins (stream "micro-p2c"). */
#include <gsl/gsl_rng.h>

#include "torta/rng.h"
#include "torta/sched.h"

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    gsl_rng *r = torta_rng_stream(env->seed, "micro-p2c");
    if (!r)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = r;
    return 0;
}

static int nth_alive(const torta_region_state *g, const torta_view *v, int k)
{
    for (int i = g->first_server; i < g->first_server + g->n_servers; i++)
        if (v->servers[i].alive && k-- == 0)
            return i;
    return TORTA_DEFER;
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    const torta_region_state *g = &v->regions[region];
    unsigned long n = (unsigned long)g->n_alive;
    int a = nth_alive(g, v, (int)gsl_rng_uniform_int(self, n));
    if (n < 2)
        return a;
    int b = nth_alive(g, v, (int)gsl_rng_uniform_int(self, n));
    return v->servers[b].outstanding_work_s < v->servers[a].outstanding_work_s ? b : a;
}

static void destroy(void *self)
{
    gsl_rng_free(self);
}

const torta_micro_ops torta_micro_p2c = {
    .name = "p2c",
    .summary = "power of two choices on outstanding work",
    .init = init,
    .pick = pick,
    .destroy = destroy,
};
