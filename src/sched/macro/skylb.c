/* Macro baseline `skylb`, after SkyLB / SkyWalker (T. Xia et al., "SkyWalker: A Locality-Aware
 * Cross-Region Load Balancer for LLM Inference", arXiv 2505.24095, EuroSys 2026). There, each
 * region's load balancer serves its own traffic while local replicas have room ("selective
 * pushing": a request goes to a replica only when that replica's pending requests are below a
 * threshold) and forwards the excess to other regions, keeping requests that share a prompt
 * prefix together so their KV cache is reused.
 *
 * This reconstruction keeps that policy in one decision per request at arrival: serve in the
 * origin while its load is at most `threshold`; otherwise push to the least-loaded other region,
 * unless a region that recently received the same prefix is within `prefix_margin` of that load
 * (then go there: cache locality). It stays local when no other live region is less loaded.
 * Simplified: no held queue and no later re-pushing (the micro scheduler and the region queue
 * take over after routing); load is the estimated drain time per live server (or pending
 * requests per live server) instead of the replicas' own pending counts; prefix locality is a
 * per-region table of recently routed prefix hashes (the first 512-token block of a Mooncake
 * request) instead of a prefix tree over tokens; network latency is ignored.
 *
 * Params (scheduler.macro_params), all optional:
 *   metric         "wait_s" (default): estimated seconds to drain the region's outstanding work
 *                  per live server (torta_view_region_wait_s); "pending": requests waiting in
 *                  the region (server queues + region queue) per live server.
 *   threshold      push when the origin's load exceeds it (default 30 s, or 1 pending request per
 *                  live server). Work is estimated at a reference batch of 16 requests, so with
 *                  large batches 30 s of drain time still runs smoothly: on Abilene with the
 *                  Azure conversation trace it keeps traffic local at 4x the trace rate and
 *                  pushes most of it at 8x, where local serving starts to queue.
 *   prefix_margin  how much more loaded than the least-loaded candidate a region holding the
 *                  prefix may be and still win, in the metric's unit (default threshold / 2).
 *   prefix_aware   false: ignore prefix hashes (default true; no effect on traces without them).
 *   prefix_slots   recent prefixes remembered per region, a power of two (default 4096); a
 *                  direct-mapped table: a newer prefix landing in the same slot evicts the older. */
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"
#include "torta/rng.h"
#include "torta/sched.h"

typedef struct {
    int pending;           /* metric: 1 = pending requests, 0 = drain seconds */
    double threshold, margin;
    int prefix_aware;
    uint64_t mask;         /* prefix_slots - 1 */
    int n;
    uint64_t *recent;      /* n x prefix_slots prefix hashes (0 = empty slot) */
} skylb;

static const char *const KEYS[] = {"metric", "threshold", "prefix_margin", "prefix_aware", "prefix_slots", NULL};

static void destroy(void *self)
{
    skylb *s = self;
    if (s)
        free(s->recent);
    free(s);
}

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    const cJSON *p = env->params;
    const char *w = "scheduler.macro_params";
    int rc = p ? torta_json_check_keys(p, w, KEYS, e) : 0;
    if (rc)
        return rc;
    skylb *s = calloc(1, sizeof *s);
    if (!s)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = s;
    const char *metric;
    if ((rc = torta_json_str(p, "metric", w, 0, "wait_s", &metric, e)) != 0)
        return rc;
    if (strcmp(metric, "pending") == 0)
        s->pending = 1;
    else if (strcmp(metric, "wait_s") != 0)
        return torta_err_set(e, TORTA_EINPUT, "%s.metric: \"%s\": expected \"wait_s\" or \"pending\"", w, metric);
    long slots;
    if ((rc = torta_json_num(p, "threshold", w, 0, 1e12, 0, s->pending ? 1.0 : 30.0, &s->threshold, e)) ||
        (rc = torta_json_num(p, "prefix_margin", w, 0, 1e12, 0, s->threshold / 2, &s->margin, e)) ||
        (rc = torta_json_int(p, "prefix_slots", w, 1, 1L << 20, 0, 4096, &slots, e)))
        return rc;
    if (slots & (slots - 1))
        return torta_err_set(e, TORTA_EINPUT, "%s.prefix_slots: %ld: expected a power of two", w, slots);
    const cJSON *aware = cJSON_GetObjectItemCaseSensitive(p, "prefix_aware");
    if (aware && !cJSON_IsBool(aware))
        return torta_err_set(e, TORTA_EINPUT, "%s.prefix_aware: expected true or false", w);
    s->prefix_aware = !aware || cJSON_IsTrue(aware);
    s->mask = (uint64_t)slots - 1;
    s->n = env->view->n_regions;
    if (s->prefix_aware && !(s->recent = calloc((size_t)s->n * (size_t)slots, sizeof *s->recent)))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    return 0;
}

static double load(const skylb *s, const torta_view *v, int g)
{
    const torta_region_state *r = &v->regions[g];
    if (!s->pending)
        return torta_view_region_wait_s(v, g);
    return r->n_alive > 0 ? (double)(r->queued + r->deferred) / r->n_alive : 1e300;
}

static uint64_t *slot(const skylb *s, int g, uint64_t hash)
{
    return &s->recent[(size_t)g * (s->mask + 1) + (torta_mix64(hash) & s->mask)];
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    skylb *s = self;
    int o = r->origin, dest = o;
    double lo = load(s, v, o);
    if (lo > s->threshold) {
        int best = -1;
        double lb = 0;
        for (int g = 0; g < v->n_regions; g++) {
            double l = load(s, v, g);
            if (g != o && v->regions[g].n_alive > 0 && (best < 0 || l < lb)) {
                best = g;
                lb = l;
            }
        }
        if (best >= 0 && lb < lo) {
            dest = best;
            /* Cache locality: the least-loaded region that recently received this prefix, if
             * it is within the margin (and still less loaded than the origin). */
            if (s->recent && r->prefix_hash) {
                double lp = 0;
                int hold = -1;
                for (int g = 0; g < v->n_regions; g++) {
                    double l = load(s, v, g);
                    if (g != o && v->regions[g].n_alive > 0 && *slot(s, g, r->prefix_hash) == r->prefix_hash &&
                        l <= lb + s->margin && l < lo && (hold < 0 || l < lp)) {
                        hold = g;
                        lp = l;
                    }
                }
                if (hold >= 0)
                    dest = hold;
            }
        }
    }
    if (s->recent && r->prefix_hash)
        *slot(s, dest, r->prefix_hash) = r->prefix_hash;
    return dest;
}

const torta_macro_ops torta_macro_skylb = {
    .name = "skylb",
    .summary = "local first; push overload to the least-loaded region, prefix-locality aware (SkyLB)",
    .init = init,
    .route = route,
    .destroy = destroy,
};
