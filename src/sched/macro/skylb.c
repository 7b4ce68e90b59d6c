/* Macro policy `skylb`: the cross-region side of SkyLB / SkyWalker (T. Xia et al., "SkyWalker: A
 * Locality-Aware Cross-Region Load Balancer for LLM Inference", arXiv 2505.24095, EuroSys 2026).
 * Each region runs a load balancer (LB) that receives the requests originating there. The LB
 * keeps a request when one of its replicas has room (selective pushing, see
 * src/sched/micro/skylb_push.c, the micro policy it pairs with in the compare preset `skylb`)
 * and nothing waits in its queue ahead of it. Otherwise it forwards the request to another LB
 * that can take it now: one with a replica with room whose own queue is no longer than
 * `max_lb_queue` nor than the origin's. Among those: the region that last served the request's
 * prompt prefix (its KV cache), else the nearest by one-way latency (lowest index on ties).
 * When no other LB can take it, the request stays at its origin and waits in that LB's queue
 * (with `skylb-push`; a micro policy that never defers queues it at a server instead).
 * A forwarded request is not forwarded again. The rules follow SkyPilot's implementation of
 * SkyLB (sky/serve/load_balancer.py: _queue_processor, _probe_lb_status_one_lb with its
 * _STEAL_TRIGGER_THRESHOLD = 10, forwarding targets sorted by measured latency).
 *
 * Reconstruction, where torta-sim differs: the forwarding decision is made once, when the
 * request arrives (SkyPilot retries it from the head of the LB queue every 10 ms, and lets idle
 * LBs steal queued requests); a region's LB queue is the core's region queue (requests the
 * micro policy deferred), which only a deferring micro policy such as `skylb-push` fills; the
 * prefix table maps the first prefix-block hash (Mooncake `hash_ids`) to a region, where
 * SkyPilot matches prompt text in a prefix tree over LBs. Which replicas have room is read from
 * the simulator's state, with no probing delay.
 *
 * Params (scheduler.macro_params), all optional:
 *   pending, max_pending   when a replica has room, as for `skylb-push` (set both schedulers'
 *                          params alike): "waiting" (default) requests below max_pending (1),
 *                          or "outstanding" (waiting + running) below max_pending (10).
 *   max_lb_queue           longest queue an LB may have and still take forwarded requests (10).
 *   prefix_aware           false: ignore prefix hashes (default true).
 *   prefix_slots           prefixes remembered, a power of two (default 4096); direct-mapped. */
#include <stdlib.h>

#include "sched/micro/skylb_push.h"
#include "torta/json.h"
#include "torta/sched.h"

typedef struct {
    torta_skylb_push p;
    double max_lb_queue;
    torta_skylb_prefix *prefix; /* prefix -> region that last served it; NULL when not aware */
} skylb;

static const char *const KEYS[] = {"pending", "max_pending", "prefix_aware", "prefix_slots", "max_lb_queue", NULL};

static void destroy(void *self)
{
    skylb *s = self;
    if (s)
        free(s->prefix);
    free(s);
}

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    const char *w = "scheduler.macro_params";
    skylb *s = calloc(1, sizeof *s);
    if (!s)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = s;
    int rc = torta_skylb_push_parse(env->params, w, KEYS, &s->p, e);
    if (!rc)
        rc = torta_json_num(env->params, "max_lb_queue", w, 0, 1e9, 0, 10, &s->max_lb_queue, e);
    if (!rc && s->p.prefix_aware && !(s->prefix = calloc(s->p.mask + 1, sizeof *s->prefix)))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    return rc;
}

static int has_room(const skylb *s, const torta_view *v, int g)
{
    const torta_region_state *rg = &v->regions[g];
    for (int k = rg->first_server; k < rg->first_server + rg->n_servers; k++)
        if (torta_skylb_has_room(&s->p, &v->servers[k]))
            return 1;
    return 0;
}

/* LB g takes requests forwarded by LB o now. */
static int accepts(const skylb *s, const torta_view *v, int g, int o)
{
    int q = v->regions[g].deferred;
    return g != o && q <= s->max_lb_queue && q <= v->regions[o].deferred && has_room(s, v, g);
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    skylb *s = self;
    int o = r->origin, dest = o;
    torta_skylb_prefix *slot = s->prefix && r->prefix_hash ? torta_skylb_prefix_slot(s->prefix, &s->p, r->prefix_hash)
                                                           : NULL;
    if (v->regions[o].deferred > 0 || !has_room(s, v, o)) {
        if (slot && slot->hash == r->prefix_hash && accepts(s, v, slot->where, o)) {
            dest = slot->where;
        } else {
            const double *lat = &v->latency_s[(size_t)o * v->n_regions];
            for (int g = 0; g < v->n_regions; g++)
                if (accepts(s, v, g, o) && (dest == o || lat[g] < lat[dest]))
                    dest = g;
        }
    }
    if (slot)
        *slot = (torta_skylb_prefix){r->prefix_hash, dest};
    return dest;
}

const torta_macro_ops torta_macro_skylb = {
    .name = "skylb",
    .summary = "SkyLB: serve at the origin while a replica has room; else forward to the prefix's "
               "or the nearest region that has room",
    .init = init,
    .route = route,
    .destroy = destroy,
};
