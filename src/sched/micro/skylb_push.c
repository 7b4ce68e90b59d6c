/* Micro policy `skylb-push`: the replica side of SkyLB / SkyWalker (T. Xia et al., "SkyWalker: A
 * Locality-Aware Cross-Region Load Balancer for LLM Inference", arXiv 2505.24095, EuroSys 2026),
 * "selective pushing". A region's load balancer keeps the requests in its own queue and pushes
 * one to a replica (a server) only while that replica's pending requests are below a threshold;
 * otherwise the request waits (TORTA_DEFER: the region queue, retried in FIFO order whenever a
 * server of the region completes work). Among replicas with room: the one that last took the
 * request's prompt prefix (its KV cache holds it), else the one with the fewest requests in
 * flight (lowest index on ties). Only live servers are candidates. Pair it with the macro
 * `skylb` (the compare preset `skylb` does), which forwards to other regions what the origin's
 * replicas cannot take; it works under any macro.
 *
 * As in SkyPilot's implementation of SkyLB (sky/serve/load_balancer.py, load_balancing_policies.py):
 * a replica is available while its inference engine reports no waiting request
 * (vllm:num_requests_waiting == 0, i.e. waiting < 1), or, without that indicator, while it has
 * fewer than max_concurrent_requests = 10 requests in flight; prefix routing with least-load
 * fallback. Reconstruction: a prefix "match" is equality of the request's first prefix-block
 * hash (Mooncake `hash_ids`) in a direct-mapped table, where SkyPilot matches text in a prefix
 * tree and requires a match rate above 0.5.
 *
 * Params (scheduler.micro_params), all optional:
 *   pending       "waiting" (default): requests waiting in the server's queue; "outstanding":
 *                 waiting + running.
 *   max_pending   a replica has room while pending < max_pending (at least 1; default 1 for
 *                 "waiting", 10 for "outstanding").
 *   prefix_aware  false: ignore prefix hashes (default true; no effect on traces without them).
 *   prefix_slots  prefixes remembered, a power of two (default 4096).
 *   prefix_match  "hash" (default): the first-block table above; "cache": ask the servers' prefix
 *                 caches instead (server.prefix_cache_*, docs/model.md): among replicas with room,
 *                 the one holding the most leading blocks of the request's prompt, then the fewest
 *                 requests in flight, then the lowest index. Closer to SkyPilot's prefix tree (the
 *                 longest match wins), with what the replicas really hold. */
#include <stdlib.h>
#include <string.h>

#include "sched/micro/skylb_push.h"
#include "torta/json.h"
#include "torta/rng.h"
#include "torta/sched.h"

typedef struct {
    torta_skylb_push p;
    torta_skylb_prefix *prefix; /* NULL when not prefix-aware */
    int cache_match;            /* prefix_match = "cache" */
} skylb_push;

static const char *const KEYS[] = {"pending", "max_pending", "prefix_aware", "prefix_slots", "prefix_match",
                                   NULL};

int torta_skylb_push_parse(const cJSON *params, const char *where, const char *const *keys,
                           torta_skylb_push *p, torta_err *e)
{
    int rc = params ? torta_json_check_keys(params, where, keys, e) : 0;
    const char *pending;
    if (rc || (rc = torta_json_str(params, "pending", where, 0, "waiting", &pending, e)) != 0)
        return rc;
    if (strcmp(pending, "outstanding") == 0)
        p->outstanding = 1;
    else if (strcmp(pending, "waiting") == 0)
        p->outstanding = 0;
    else
        return torta_err_set(e, TORTA_EINPUT, "%s.pending: \"%s\": expected \"waiting\" or \"outstanding\"",
                             where, pending);
    long slots;
    if ((rc = torta_json_num(params, "max_pending", where, 1, 1e9, 0, p->outstanding ? 10 : 1,
                             &p->max_pending, e)) ||
        (rc = torta_json_int(params, "prefix_slots", where, 1, 1L << 20, 0, 4096, &slots, e)))
        return rc;
    if (slots & (slots - 1))
        return torta_err_set(e, TORTA_EINPUT, "%s.prefix_slots: %ld: expected a power of two", where, slots);
    const cJSON *aware = cJSON_GetObjectItemCaseSensitive(params, "prefix_aware");
    if (aware && !cJSON_IsBool(aware))
        return torta_err_set(e, TORTA_EINPUT, "%s.prefix_aware: expected true or false", where);
    p->prefix_aware = !aware || cJSON_IsTrue(aware);
    p->mask = (uint64_t)slots - 1;
    return 0;
}

torta_skylb_prefix *torta_skylb_prefix_slot(torta_skylb_prefix *table, const torta_skylb_push *p,
                                            uint64_t hash)
{
    return &table[torta_mix64(hash) & p->mask];
}

static void destroy(void *self)
{
    skylb_push *s = self;
    if (s)
        free(s->prefix);
    free(s);
}

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    skylb_push *s = calloc(1, sizeof *s);
    if (!s)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = s;
    int rc = torta_skylb_push_parse(env->params, "scheduler.micro_params", KEYS, &s->p, e);
    const char *match = "hash";
    if (!rc)
        rc = torta_json_str(env->params, "prefix_match", "scheduler.micro_params", 0, "hash", &match, e);
    if (!rc && strcmp(match, "hash") != 0 && strcmp(match, "cache") != 0)
        return torta_err_set(e, TORTA_EINPUT, "scheduler.micro_params.prefix_match: \"%s\": expected \"hash\" "
                             "or \"cache\"", match);
    s->cache_match = !rc && s->p.prefix_aware && strcmp(match, "cache") == 0;
    if (!rc && s->p.prefix_aware && !s->cache_match && !(s->prefix = calloc(s->p.mask + 1, sizeof *s->prefix)))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    return rc;
}

/* prefix_match = "cache": the replica with room holding the longest prefix of r. */
static int pick_by_cache(const skylb_push *s, const torta_request *r, const torta_region_state *g,
                         const torta_view *v)
{
    int best = TORTA_DEFER;
    int32_t best_h = 0;
    double best_n = 0;
    for (int k = g->first_server; k < g->first_server + g->n_servers; k++) {
        const torta_server_state *st = &v->servers[k];
        if (!torta_skylb_has_room(&s->p, st))
            continue;
        int32_t h = torta_view_prefix_blocks(v, r, k);
        double n = (double)st->queued + st->running;
        if (best == TORTA_DEFER || h > best_h || (h == best_h && n < best_n)) {
            best = k;
            best_h = h;
            best_n = n;
        }
    }
    return best;
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    skylb_push *s = self;
    const torta_region_state *g = &v->regions[region];
    if (s->cache_match)
        return pick_by_cache(s, r, g, v);
    torta_skylb_prefix *slot = s->prefix && r->prefix_hash ? torta_skylb_prefix_slot(s->prefix, &s->p, r->prefix_hash)
                                                           : NULL;
    if (slot && slot->hash == r->prefix_hash) {
        int k = slot->where;
        if (k >= g->first_server && k < g->first_server + g->n_servers && torta_skylb_has_room(&s->p, &v->servers[k]))
            return k;
    }
    int best = TORTA_DEFER;
    double best_n = 0;
    for (int k = g->first_server; k < g->first_server + g->n_servers; k++) {
        const torta_server_state *st = &v->servers[k];
        double n = (double)st->queued + st->running;
        if (torta_skylb_has_room(&s->p, st) && (best == TORTA_DEFER || n < best_n)) {
            best = k;
            best_n = n;
        }
    }
    if (slot && best != TORTA_DEFER)
        *slot = (torta_skylb_prefix){r->prefix_hash, best};
    return best;
}

const torta_micro_ops torta_micro_skylb_push = {
    .name = "skylb-push",
    .summary = "SkyLB's selective pushing: a replica takes a request only while its waiting requests "
               "are below a threshold, prefix replica first; else the region queue holds it",
    .init = init,
    .pick = pick,
    .destroy = destroy,
};
