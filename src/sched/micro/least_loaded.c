/* Micro baselines that take the live server minimising a load measure, lowest index on ties:
 * `least-loaded` (outstanding input + output tokens) and `jsq` (join the shortest queue:
 * waiting + running requests). */
#include "torta/sched.h"

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    *self = NULL;
    return 0;
}

static double tokens(const torta_server_state *s)
{
    return s->outstanding_tokens;
}

static double requests(const torta_server_state *s)
{
    return (double)s->queued + s->running;
}

static int argmin(int region, const torta_view *v, double (*load)(const torta_server_state *))
{
    const torta_region_state *g = &v->regions[region];
    int best = TORTA_DEFER;
    double best_l = 0;
    for (int i = g->first_server; i < g->first_server + g->n_servers; i++) {
        if (!v->servers[i].alive)
            continue;
        double l = load(&v->servers[i]);
        if (best == TORTA_DEFER || l < best_l) {
            best = i;
            best_l = l;
        }
    }
    return best;
}

static int pick_tokens(void *self, const torta_request *r, int region, const torta_view *v)
{
    return argmin(region, v, tokens);
}

static int pick_requests(void *self, const torta_request *r, int region, const torta_view *v)
{
    return argmin(region, v, requests);
}

const torta_micro_ops torta_micro_least_loaded = {
    .name = "least-loaded",
    .summary = "the live server with the fewest outstanding tokens",
    .init = init,
    .pick = pick_tokens,
};

const torta_micro_ops torta_micro_jsq = {
    .name = "jsq",
    .summary = "join the shortest queue (fewest waiting + running requests)",
    .init = init,
    .pick = pick_requests,
};
