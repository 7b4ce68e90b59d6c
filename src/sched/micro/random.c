/* Micro baseline `random`: a uniformly random live server of the region (stream "micro-random"). */
#include <gsl/gsl_rng.h>

#include "torta/rng.h"
#include "torta/sched.h"

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    gsl_rng *r = torta_rng_stream(env->seed, "micro-random");
    if (!r)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = r;
    return 0;
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    const torta_region_state *g = &v->regions[region];
    int k = (int)gsl_rng_uniform_int(self, (unsigned long)g->n_alive);
    for (int i = g->first_server; i < g->first_server + g->n_servers; i++)
        if (v->servers[i].alive && k-- == 0)
            return i;
    return TORTA_DEFER;
}

static void destroy(void *self)
{
    gsl_rng_free(self);
}

const torta_micro_ops torta_micro_random = {
    .name = "random",
    .summary = "a uniformly random live server",
    .init = init,
    .pick = pick,
    .destroy = destroy,
};
