/* Micro baseline `llumnix`, after Llumnix (Sun et al., OSDI 2024): requests go to the server
 * with the lowest "virtual usage", and running requests are live-migrated from the most to the
 * least loaded server of a region when their usage differs by more than a threshold.
 *
 * Simplified: virtual usage = KV tokens reserved by a server's running and waiting requests /
 * its KV capacity (Llumnix adds headroom for high-priority requests and counts the queue's head
 * demand separately); a move is one running request per region and rebalance period
 * (scheduler.rebalance_s), and the core moves the one with the smallest KV cache after the
 * iteration under way, stopping it while its KV cache is copied (Llumnix pipelines the copy
 * with decoding, so its downtime is shorter than ours). Params: threshold (0.2), max_moves (1). */
#include <stdlib.h>

#include "torta/json.h"
#include "torta/sched.h"

typedef struct llumnix {
    double threshold;
    long max_moves;
} llumnix;

static const char *const KEYS[] = {"threshold", "max_moves", NULL};

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    llumnix *l = calloc(1, sizeof *l);
    if (!l)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = l;
    const char *w = "scheduler.micro_params";
    int rc = env->params ? torta_json_check_keys(env->params, w, KEYS, e) : 0;
    if (!rc)
        rc = torta_json_num(env->params, "threshold", w, 0, 100, 0, 0.2, &l->threshold, e);
    if (!rc)
        rc = torta_json_int(env->params, "max_moves", w, 0, 16, 0, 1, &l->max_moves, e);
    return rc;
}

static double usage(const torta_server_state *s)
{
    return s->kv_cap_tokens > 0 ? s->outstanding_tokens / s->kv_cap_tokens : 1e9;
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    const torta_region_state *g = &v->regions[region];
    int best = TORTA_DEFER;
    for (int i = g->first_server; i < g->first_server + g->n_servers; i++)
        if (v->servers[i].alive && (best == TORTA_DEFER || usage(&v->servers[i]) < usage(&v->servers[best])))
            best = i;
    return best;
}

static int rebalance(void *self, int region, const torta_view *v, int32_t *moves, int max_moves)
{
    const llumnix *l = self;
    const torta_region_state *g = &v->regions[region];
    int hi = -1, lo = -1;
    for (int i = g->first_server; i < g->first_server + g->n_servers; i++) {
        const torta_server_state *s = &v->servers[i];
        if (!s->alive || s->loading)
            continue;
        if (hi < 0 || usage(s) > usage(&v->servers[hi]))
            hi = i;
        if (lo < 0 || usage(s) < usage(&v->servers[lo]))
            lo = i;
    }
    if (hi < 0 || hi == lo || v->servers[hi].running < 2 ||
        v->servers[hi].resident_model != v->servers[lo].resident_model ||
        usage(&v->servers[hi]) - usage(&v->servers[lo]) <= l->threshold)
        return 0;
    int n = (int)(l->max_moves < max_moves ? l->max_moves : max_moves);
    for (int k = 0; k < n; k++) {
        moves[2 * k] = hi;
        moves[2 * k + 1] = lo;
    }
    return n;
}

const torta_micro_ops torta_micro_llumnix = {
    .name = "llumnix",
    .summary = "lowest virtual usage + live migration of running requests (after Llumnix)",
    .init = init,
    .pick = pick,
    .rebalance = rebalance,
    .destroy = free,
};
