/* Micro policy `central-fcfs`: one FCFS queue per region; a request goes to an idle live server
 * (lowest index) or waits in the region queue until one frees. With the exponential service mode
 * this is exactly an M/M/c queue, which the validation tests rely on. */
#include "torta/sched.h"

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    *self = NULL;
    return 0;
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    const torta_region_state *g = &v->regions[region];
    for (int i = g->first_server; i < g->first_server + g->n_servers; i++)
        if (v->servers[i].alive && v->servers[i].running == 0 && v->servers[i].queued == 0)
            return i;
    return TORTA_DEFER;
}

const torta_micro_ops torta_micro_central_fcfs = {
    .name = "central-fcfs",
    .summary = "one FCFS queue per region feeding idle servers (M/M/c)",
    .init = init,
    .pick = pick,
};
