/* The `reactive` autoscaler, as Kubernetes' Horizontal Pod Autoscaler and SkyServe's autoscaler
 * work: each slot it measures every region's offered load (requests/s placed on its servers in
 * the slot that ended, plus what waits in its queue) and recommends the servers of one class
 * (capacity.reactive.class) that bring the load to target_load, on top of the region's reserved
 * servers:
 *   n = ceil((offered / target_load - reserved capacity) / one server's capacity).
 * It acts only when the load is outside [scale_down_at, scale_up_at] (a dead band), and
 * stabilises: a scale-up goes to the smallest recommendation of the last window_up_s seconds, a
 * scale-down to the largest of the last window_down_s, so a capacity change needs its signal to
 * last that long. Starting servers take their start-up lead time (the core enforces it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"
#include "torta/sched.h"

typedef struct reactive {
    double target, up_at, down_at, window_up_s, window_down_s;
    int cap_class, initial;
    int n_regions, hist_len; /* recommendations kept per region (ring, newest at head) */
    int32_t *hist;
    int head, filled;
} reactive;

static int reactive_init(void **self, const torta_sched_env *env, torta_err *e)
{
    const cJSON *c = env->params;
    const char *cls;
    long initial;
    reactive *p = calloc(1, sizeof *p);
    if (!p)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = p;
    int rc = torta_json_num(c, "target_load", "capacity.reactive", 0.01, 10, 1, 0, &p->target, e);
    if (!rc)
        rc = torta_json_num(c, "scale_up_at", "capacity.reactive", 0.01, 10, 1, 0, &p->up_at, e);
    if (!rc)
        rc = torta_json_num(c, "scale_down_at", "capacity.reactive", 0, 10, 1, 0, &p->down_at, e);
    if (!rc)
        rc = torta_json_num(c, "window_up_s", "capacity.reactive", 0, 1e7, 1, 0, &p->window_up_s, e);
    if (!rc)
        rc = torta_json_num(c, "window_down_s", "capacity.reactive", 0, 1e7, 1, 0, &p->window_down_s, e);
    if (!rc)
        rc = torta_json_str(c, "class", "capacity.reactive", 1, NULL, &cls, e);
    if (!rc)
        rc = torta_json_int(c, "initial", "capacity.reactive", 0, 1000000, 1, 0, &initial, e);
    if (rc)
        return rc;
    if (p->down_at > p->target || p->up_at < p->target)
        return torta_err_set(e, TORTA_EINPUT, "capacity.reactive: expected scale_down_at <= target_load "
                             "<= scale_up_at, got %g, %g, %g", p->down_at, p->target, p->up_at);
    if (strcmp(cls, "on_demand") == 0)
        p->cap_class = TORTA_CLASS_ON_DEMAND;
    else if (strcmp(cls, "spot") == 0)
        p->cap_class = TORTA_CLASS_SPOT;
    else
        return torta_err_set(e, TORTA_EINPUT, "capacity.reactive.class: \"%s\" (on_demand or spot)", cls);
    p->initial = (int)initial;
    const torta_view *v = env->view;
    double longest = fmax(p->window_up_s, p->window_down_s);
    p->n_regions = v->n_regions;
    p->hist_len = (int)ceil(longest / v->slot_s) + 1;
    if (!(p->hist = calloc((size_t)p->hist_len * v->n_regions, sizeof(int32_t))))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    return 0;
}

/* Capacity (requests/s) of region g's active servers of class c, and one pool server's. */
static void class_capacity(const torta_view *v, int g, int c, double *active_rps, double *one_rps)
{
    const torta_region_state *reg = &v->regions[g];
    double sum = 0, pool_sum = 0;
    int n = 0;
    for (int s = reg->first_server; s < reg->first_server + reg->n_servers; s++) {
        const torta_server_state *p = &v->servers[s];
        if (p->cap_class != c)
            continue;
        pool_sum += p->sat_rps;
        n++;
        if (p->alive)
            sum += p->sat_rps;
    }
    *active_rps = sum;
    *one_rps = n ? pool_sum / n : 0;
}

static int32_t recommend(const reactive *p, const torta_view *v, int g, int32_t current)
{
    const torta_region_state *reg = &v->regions[g];
    double reserved_rps, one_rps, ignore;
    class_capacity(v, g, TORTA_CLASS_RESERVED, &reserved_rps, &ignore);
    class_capacity(v, g, p->cap_class, &ignore, &one_rps);
    if (one_rps <= 0)
        return 0;
    /* Requests held in the region's queue are offered load too: without them a region with no
     * server would never see demand and never scale up. */
    double offered = reg->offered_rps_last_slot + reg->deferred / v->slot_s;
    double planned = reserved_rps + current * one_rps;
    double load = planned > 0 ? offered / planned : (offered > 0 ? INFINITY : 0);
    if (load >= p->down_at && load <= p->up_at)
        return current; /* inside the dead band */
    double n = ceil((offered / p->target - reserved_rps) / one_rps - 1e-9);
    return n > 0 ? (int32_t)fmin(n, 1e6) : 0;
}

static int reactive_decide(void *self, const torta_view *v, int32_t *desired, torta_err *e)
{
    reactive *p = self;
    int first = p->filled == 0;
    p->head = (p->head + p->hist_len - 1) % p->hist_len;
    if (p->filled < p->hist_len)
        p->filled++;
    int n_up = (int)floor(p->window_up_s / v->slot_s + 1e-9) + 1;
    int n_down = (int)floor(p->window_down_s / v->slot_s + 1e-9) + 1;
    for (int g = 0; g < v->n_regions; g++) {
        int32_t *cur = &desired[g * TORTA_N_CLASSES + p->cap_class];
        if (first) {
            *cur = p->initial;
            for (int k = 0; k < p->hist_len; k++)
                p->hist[k * p->n_regions + g] = p->initial;
            continue;
        }
        int32_t rec = recommend(p, v, g, *cur);
        p->hist[p->head * p->n_regions + g] = rec;
        int32_t lo = rec, hi = rec;
        for (int k = 1; k < p->filled; k++) {
            int32_t h = p->hist[((p->head + k) % p->hist_len) * p->n_regions + g];
            if (k < n_up && h < lo)
                lo = h;
            if (k < n_down && h > hi)
                hi = h;
        }
        if (lo > *cur)
            *cur = lo;
        else if (hi < *cur)
            *cur = hi;
    }
    return 0;
}

static void reactive_destroy(void *self)
{
    reactive *p = self;
    if (p)
        free(p->hist);
    free(p);
}

const torta_autoscaler_ops torta_autoscaler_reactive = {
    "reactive", "target load with a dead band and stabilisation windows (HPA / SkyServe-like)",
    reactive_init, reactive_decide, reactive_destroy};
