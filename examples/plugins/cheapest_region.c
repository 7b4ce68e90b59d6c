/* Example scheduler plugin `cheapest-region` (macro): serve each request in the region with the
 * cheapest electricity among those with spare capacity (estimated drain time per live server
 * below scheduler.macro_params.spare_s, default 30 s); when none has spare capacity, in the
 * least-loaded region. Ties go to the origin, then to the lowest region index.
 *
 * It shows what a plugin needs: the public headers (include/torta/) and nothing else, a
 * TORTA_PLUGIN_DEFINE line, and optionally calls into the simulator's library (here the JSON
 * helpers, which name the offending config path in their errors). Build and use it outside
 * the tree with
 *     cc -std=c11 -shared -fPIC -I<torta-sim>/include cheapest_region.c -o cheapest_region.so
 *     torta-sim --plugin ./cheapest_region.so --macro cheapest-region --topology ... --trace ...
 * (CMake builds it as build/cheapest_region.so). */
#include <stdlib.h>

#include "torta/json.h"
#include "torta/plugin.h"

typedef struct {
    double spare_s;
} cheapest;

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    static const char *const keys[] = {"spare_s", NULL};
    const char *where = "scheduler.macro_params";
    int rc = env->params ? torta_json_check_keys(env->params, where, keys, e) : 0;
    if (rc)
        return rc;
    cheapest *c = calloc(1, sizeof *c);
    if (!c)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = c;
    return torta_json_num(env->params, "spare_s", where, 0, 1e9, 0, 30.0, &c->spare_s, e);
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    const cheapest *c = self;
    int best = -1, least = r->origin;
    for (int k = -1; k < v->n_regions; k++) {
        int g = k < 0 ? r->origin : k; /* the origin first, so it wins ties */
        double w = torta_view_region_wait_s(v, g);
        if (w < torta_view_region_wait_s(v, least))
            least = g;
        if (v->regions[g].n_alive > 0 && w < c->spare_s &&
            (best < 0 || v->regions[g].electricity_usd_per_kwh < v->regions[best].electricity_usd_per_kwh))
            best = g;
    }
    return best >= 0 ? best : least;
}

static void destroy(void *self)
{
    free(self);
}

static const torta_macro_ops cheapest_region = {
    .name = "cheapest-region",
    .summary = "cheapest electricity among regions with spare capacity (example plugin)",
    .init = init,
    .route = route,
    .destroy = destroy,
};

static const torta_macro_ops *const macros[] = {&cheapest_region, NULL};

TORTA_PLUGIN_DEFINE(macros, NULL);
