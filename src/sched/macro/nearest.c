/* Macro baseline `nearest`: the region closest to the request's origin (one-way latency, the
 * origin itself first) that has spare capacity, i.e. an estimated drain time per live server
 * (torta_view_region_wait_s) below scheduler.macro_params.spare_s (default 30 s); when no region
 * has spare capacity, the least-loaded one (as `least-loaded`). It is the geo-proximity routing
 * of CDNs and cloud DNS load balancers (nearest healthy endpoint, spill over when full), reduced
 * to one load signal; it ignores prices and the network bandwidth. Ties go to the origin, then
 * to the lowest region index. */
#include "torta/json.h"
#include "torta/sched.h"

#include <stdlib.h>

typedef struct {
    double spare_s;
} nearest;

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    static const char *const keys[] = {"spare_s", NULL};
    const char *w = "scheduler.macro_params";
    int rc = env->params ? torta_json_check_keys(env->params, w, keys, e) : 0;
    if (rc)
        return rc;
    nearest *n = calloc(1, sizeof *n);
    if (!n)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = n;
    return torta_json_num(env->params, "spare_s", w, 0, 1e12, 0, 30.0, &n->spare_s, e);
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    const nearest *n = self;
    int o = r->origin, best = -1, least = o;
    const double *lat = v->latency_s + (size_t)o * v->n_regions;
    for (int k = -1; k < v->n_regions; k++) {
        int g = k < 0 ? o : k;
        if (k >= 0 && g == o)
            continue;
        double w = torta_view_region_wait_s(v, g);
        if (w < torta_view_region_wait_s(v, least))
            least = g;
        if (v->regions[g].n_alive > 0 && w < n->spare_s && (best < 0 || lat[g] < lat[best]))
            best = g;
    }
    return best >= 0 ? best : least;
}

static void destroy(void *self)
{
    free(self);
}

const torta_macro_ops torta_macro_nearest = {
    .name = "nearest",
    .summary = "nearest region (latency) with spare capacity, else the least-loaded",
    .init = init,
    .route = route,
    .destroy = destroy,
};
