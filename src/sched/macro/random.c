/* Macro baseline `random`: a uniformly random region with live servers (stream "macro-random"). */
#include <gsl/gsl_rng.h>

#include "torta/rng.h"
#include "torta/sched.h"

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    gsl_rng *r = torta_rng_stream(env->seed, "macro-random");
    if (!r)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = r;
    return 0;
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    for (int tries = 0; tries < 4 * v->n_regions; tries++) {
        int g = (int)gsl_rng_uniform_int(self, (unsigned long)v->n_regions);
        if (v->regions[g].n_alive > 0)
            return g;
    }
    return r->origin;
}

static void destroy(void *self)
{
    gsl_rng_free(self);
}

const torta_macro_ops torta_macro_random = {
    .name = "random",
    .summary = "a uniformly random region with live servers",
    .init = init,
    .route = route,
    .destroy = destroy,
};
