/* The `static` autoscaler: every configured server is on for the whole run (today's fixed
 * fleet; on-demand and spot servers are simply billed as such). */
#include "torta/sched.h"

static int static_init(void **self, const torta_sched_env *env, torta_err *e)
{
    *self = NULL;
    return 0;
}

static int static_decide(void *self, const torta_view *v, int32_t *desired, torta_err *e)
{
    for (int g = 0; g < v->n_regions; g++)
        for (int c = 0; c < TORTA_N_CLASSES; c++)
            desired[g * TORTA_N_CLASSES + c] = v->regions[g].pool[c];
    return 0;
}

const torta_autoscaler_ops torta_autoscaler_static = {
    "static", "every configured server on for the whole run", static_init, static_decide, NULL};
