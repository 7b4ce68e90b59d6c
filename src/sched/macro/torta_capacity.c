/* TORTA's capacity plan: temporal allocation ahead of demand. Each slot, for every region, the
 * on-demand servers it should have when servers started now would be ready: the demand forecast
 * for that slot (requests/s per origin, from the forecasters' work forecasts and the last slot's
 * requests per unit of work), distributed over regions by the slot's transport plan, at
 * `target_load` of saturation capacity on top of the region's reserved servers. Scale-ups take
 * effect at once (the forecast already looks ahead by the start-up lead time); a scale-down takes
 * the largest request of the last `down_window_s` (smoothing against oscillation; the
 * torta-no-smooth variant scales down at once). Spot pools are left as they are. With a policy,
 * the RL step scales each region's forecast by its capacity multiplier first (torta_rl.c).
 *
 * Params (scheduler.macro_params.capacity): target_load (0.7), down_window_s (600). */
#include <math.h>
#include <stdlib.h>

#include "sched/macro/torta_macro.h"
#include "torta/json.h"

static const char *const KEYS[] = {"target_load", "down_window_s", NULL};

int torta_capacity_plan_init(torta_macro *t, const cJSON *params, torta_err *e)
{
    torta_capacity_plan *c = &t->cap;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(params, "capacity");
    const char *where = "scheduler.macro_params.capacity";
    double window_s;
    int rc = p ? torta_json_check_keys(p, where, KEYS, e) : 0;
    if (!rc)
        rc = torta_json_num(p, "target_load", where, 0.01, 10, 0, 0.7, &c->target_load, e);
    if (!rc)
        rc = torta_json_num(p, "down_window_s", where, 0, 1e7, 0, 600, &window_s, e);
    if (rc)
        return rc;
    c->down_slots = t->var.smooth ? (int)floor(window_s / t->v->slot_s + 1e-9) + 1 : 1;
    c->hist = calloc((size_t)t->n * c->down_slots, sizeof(int32_t));
    c->offered_rps = calloc((size_t)t->n, sizeof(double));
    c->planned_load = calloc((size_t)t->n, sizeof(double));
    c->mult = malloc(sizeof(double) * (size_t)t->n);
    if (!c->hist || !c->offered_rps || !c->planned_load || !c->mult)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int j = 0; j < t->n; j++)
        c->mult[j] = 1.0;
    return 0;
}

int torta_capacity_lead_slots(const torta_view *v)
{
    double lead = 0;
    for (int s = 0; s < v->n_servers; s++)
        if (v->servers[s].cap_class != TORTA_CLASS_RESERVED)
            lead = fmax(lead, v->servers[s].start_lead_s);
    return (int)ceil(lead / v->slot_s - 1e-9);
}

void torta_capacity_plan_free(torta_capacity_plan *c)
{
    free(c->hist);
    free(c->offered_rps);
    free(c->planned_load);
    free(c->mult);
}

/* Saturation capacity (requests/s) of region g's active reserved servers, and the mean of one
 * on-demand pool server; the longest start-up lead time of that pool. */
static void region_capacity(const torta_view *v, int g, double *reserved_rps, double *od_rps, double *lead_s,
                            double *pool_rps)
{
    const torta_region_state *reg = &v->regions[g];
    double pool = 0;
    int n = 0;
    *reserved_rps = *lead_s = 0;
    for (int s = reg->first_server; s < reg->first_server + reg->n_servers; s++) {
        const torta_server_state *p = &v->servers[s];
        if (p->cap_class == TORTA_CLASS_RESERVED && p->alive)
            *reserved_rps += p->sat_rps;
        if (p->cap_class == TORTA_CLASS_ON_DEMAND) {
            pool += p->sat_rps;
            n++;
            *lead_s = fmax(*lead_s, p->start_lead_s);
        }
    }
    *od_rps = n ? pool / n : 0;
    *pool_rps = pool;
}

/* Forecast requests/s of origin i, `ahead` slots from now (0: the slot starting now). */
static double forecast_rps(const torta_macro *t, const torta_view *v, int i, int ahead, double fallback_ratio)
{
    double work = t->var.forecast ? t->fc_out[(size_t)i * t->horizon + (ahead < t->horizon ? ahead : t->horizon - 1)]
                                  : v->demand_hist[i];
    double last = v->demand_hist[i];
    double ratio = last > 0 ? v->regions[i].arrivals_last_slot / last : fallback_ratio;
    return fmax(work, 0) * ratio / v->slot_s;
}

int torta_macro_capacity(void *self, const torta_view *v, int32_t *desired, torta_err *e)
{
    torta_macro *t = self;
    torta_capacity_plan *c = &t->cap;
    int n = t->n;
    double req = 0, work = 0;
    for (int i = 0; i < n; i++) {
        req += v->regions[i].arrivals_last_slot;
        work += v->demand_hist[i];
    }
    double fallback = work > 0 ? req / work : 0;
    c->head = (c->head + c->down_slots - 1) % c->down_slots;
    if (c->filled < c->down_slots)
        c->filled++;
    c->churn = 0;
    for (int j = 0; j < n; j++) {
        double reserved_rps, od_rps, lead_s, pool_rps;
        region_capacity(v, j, &reserved_rps, &od_rps, &lead_s, &pool_rps);
        int ahead = (int)ceil(lead_s / v->slot_s - 1e-9);
        double offered = 0;
        for (int i = 0; i < n; i++)
            offered += forecast_rps(t, v, i, ahead, fallback) * t->plan.x[(size_t)i * n + j];
        offered *= c->mult[j];
        c->offered_rps[j] = offered;
        c->planned_load[j] = reserved_rps + pool_rps > 0 ? offered / (reserved_rps + pool_rps) : 0;
        int32_t rec = 0;
        if (od_rps > 0) {
            double k = ceil((offered / c->target_load - reserved_rps) / od_rps - 1e-9);
            rec = k > 0 ? (int32_t)fmin(k, 1e6) : 0;
        }
        c->hist[c->head * n + j] = rec;
        int32_t *cur = &desired[j * TORTA_N_CLASSES + TORTA_CLASS_ON_DEMAND], before = *cur;
        if (rec >= *cur) {
            *cur = rec;
        } else {
            int32_t hi = rec;
            for (int k = 1; k < c->filled; k++) {
                int32_t h = c->hist[((c->head + k) % c->down_slots) * n + j];
                hi = h > hi ? h : hi;
            }
            *cur = hi < *cur ? hi : *cur;
        }
        int32_t pool = v->regions[j].pool[TORTA_CLASS_ON_DEMAND];
        c->churn += abs((*cur < pool ? *cur : pool) - (before < pool ? before : pool));
    }
    (void)e;
    return 0;
}
