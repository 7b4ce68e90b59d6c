/* The TORTA macro scheduler and its ablations / OT baselines (see torta_macro.h).
 * Params (scheduler.macro_params): "ot" (ot_planner.h), "forecast" (forecast.h), "smoothing"
 * (kappa, default 0.5), "policy" (trained policy file), "reward" and "rl" (torta_rl.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched/macro/torta_macro.h"
#include "torta/json.h"

static const char *const KEYS[] = {"ot", "forecast", "smoothing", "policy", "reward", "rl",
                                   "migration", "capacity", NULL};
static const char *const MIGRATION_KEYS[] = {"enabled", "min_gain_s", "max_fraction", NULL};

static void destroy(void *self)
{
    torta_macro *t = self;
    if (!t)
        return;
    if (t->learner && t->acted)
        torta_macro_rl_finish(t, t->v);
    torta_macro_rl_free(t);
    torta_capacity_plan_free(&t->cap);
    ot_planner_free(&t->ot);
    torta_plan_free(&t->plan);
    for (int i = 0; t->fc && i < t->n; i++)
        torta_forecaster_free(t->fc[i]);
    free(t->fc);
    free(t->fc_out);
    free(t->demand);
    free(t->x_new);
    free(t->x_prev);
    free(t);
}

/* The capacity plan reads the forecast for the slot when servers started now are ready, so the
 * horizon must reach it: a default horizon grows to it, one set by the user that falls short is
 * an error naming the value to use. */
static int reach_lead_time(const torta_view *v, const cJSON *fj, torta_forecast_params *fp, torta_err *e)
{
    int need = torta_capacity_lead_slots(v) + 1;
    if (fp->horizon_slots >= need)
        return 0;
    if (need > TORTA_FC_MAX_HORIZON || cJSON_GetObjectItemCaseSensitive(fj, "horizon_slots"))
        return torta_err_set(e, TORTA_EINPUT, "scheduler.macro_params.forecast.horizon_slots = %d does "
                             "not reach the servers' start-up time (%d slots of %g s): use at least %d%s",
                             fp->horizon_slots, need - 1, v->slot_s, need,
                             need > TORTA_FC_MAX_HORIZON ? ", or longer slots" : "");
    fp->horizon_slots = need;
    return 0;
}

static int init_variant(void **self, const torta_sched_env *env, const torta_variant *var, torta_err *e)
{
    const cJSON *params = env->params;
    int rc = params ? torta_json_check_keys(params, "scheduler.macro_params", KEYS, e) : 0;
    if (rc)
        return rc;
    torta_macro *t = calloc(1, sizeof *t);
    if (!t)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = t;
    t->var = *var;
    t->v = env->view;
    int n = t->n = env->view->n_regions;
    rc = torta_json_num(params, "smoothing", "scheduler.macro_params", 0, 0.99, 0, 0.5, &t->kappa, e);
    if (rc)
        return rc;
    if (!var->smooth)
        t->kappa = 0;
    const cJSON *mig = cJSON_GetObjectItemCaseSensitive(params, "migration");
    const char *mw = "scheduler.macro_params.migration";
    t->migrate = !var->rl_only && (!mig || !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(mig, "enabled")));
    if (mig && (rc = torta_json_check_keys(mig, mw, MIGRATION_KEYS, e)) != 0)
        return rc;
    if ((rc = torta_json_num(mig, "min_gain_s", mw, 0, 1e6, 0, 10.0, &t->migrate_min_gain_s, e)) != 0 ||
        (rc = torta_json_num(mig, "max_fraction", mw, 0, 1, 0, 0.5, &t->migrate_max_fraction, e)) != 0)
        return rc;
    cJSON *otp = cJSON_GetObjectItemCaseSensitive(params, "ot");
    cJSON *exact = NULL;
    if (var->exact) { /* exact-ot: same cost model, exact transport */
        exact = otp ? cJSON_Duplicate(otp, 1) : cJSON_CreateObject();
        if (!exact)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        cJSON_DeleteItemFromObjectCaseSensitive(exact, "exact");
        cJSON_AddTrueToObject(exact, "exact");
        otp = exact;
    }
    rc = ot_planner_init(&t->ot, env->view, otp, e);
    cJSON_Delete(exact);
    if (!rc)
        rc = torta_plan_init(&t->plan, n, e);
    if (rc)
        return rc;
    t->x_new = calloc((size_t)n * n, sizeof(double));
    t->x_prev = calloc((size_t)n * n, sizeof(double));
    t->demand = calloc((size_t)n, sizeof(double));
    if (!t->x_new || !t->x_prev || !t->demand)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    memcpy(t->x_prev, t->plan.x, sizeof(double) * (size_t)n * n);

    torta_forecast_params fp;
    torta_forecast_params_default(&fp);
    fp.season_slots = (int)fmax(1, llround(86400.0 / env->view->slot_s));
    const cJSON *fj = cJSON_GetObjectItemCaseSensitive(params, "forecast");
    if (fj && (rc = torta_forecast_params_from_json(fj, "scheduler.macro_params.forecast", &fp, e)) != 0)
        return rc;
    if (var->capacity && var->forecast && (rc = reach_lead_time(env->view, fj, &fp, e)) != 0)
        return rc;
    t->horizon = fp.horizon_slots;
    t->fc = calloc((size_t)n, sizeof *t->fc);
    t->fc_out = calloc((size_t)n * t->horizon, sizeof(double));
    if (!t->fc || !t->fc_out)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int i = 0; i < n && !rc; i++)
        rc = torta_forecaster_new(&fp, &t->fc[i], e);
    if (!rc && var->capacity)
        rc = torta_capacity_plan_init(t, params, e);
    if (!rc && (var->rl || var->rl_only))
        rc = torta_macro_rl_init(t, env, params, e);
    return rc;
}

static int plan_slot(void *self, const torta_view *v, torta_err *e)
{
    torta_macro *t = self;
    int n = t->n, H = t->horizon, rc = 0;
    /* Observe the slot that just ended (the first call has nothing to observe). */
    for (int i = 0; i < n; i++) {
        double y = v->slot > 0 ? v->demand_hist[i] : 0.0;
        if (v->slot > 0 && (rc = torta_forecaster_observe(t->fc[i], y, e)) != 0)
            return rc;
        torta_forecaster_predict(t->fc[i], t->fc_out + (size_t)i * H);
        t->demand[i] = t->var.forecast ? t->fc_out[(size_t)i * H] : y;
    }
    if (t->var.rl || t->var.rl_only)
        rc = torta_macro_rl_act(t, v, e);
    if (!rc && !t->var.rl_only)
        rc = ot_planner_solve(&t->ot, v, t->demand, t->var.rl ? t->mult : NULL, t->x_new, e);
    if (rc)
        return rc;
    size_t nn = (size_t)n * n;
    memcpy(t->x_prev, t->plan.x, sizeof(double) * nn);
    for (size_t k = 0; k < nn; k++)
        t->plan.x[k] = t->kappa * t->x_prev[k] + (1 - t->kappa) * t->x_new[k];
    return 0;
}

/* Queued requests move when another region would start them sooner by more than min_gain_s
 * after paying the round trip: enough of them to halve the gap in estimated waits. */
static int migrate(void *self, const torta_view *v, double *moves, torta_err *e)
{
    torta_macro *t = self;
    int n = t->n;
    if (!t->migrate)
        return 0;
    for (int i = 0; i < n; i++) {
        const torta_region_state *g = &v->regions[i];
        int waiting = g->queued + g->deferred;
        if (waiting == 0 || g->n_alive == 0)
            continue;
        double wi = torta_view_region_wait_s(v, i), best_gain = 0;
        int best = -1;
        for (int j = 0; j < n; j++) {
            if (j == i || v->regions[j].n_alive == 0)
                continue;
            double gain = wi - torta_view_region_wait_s(v, j) - 2 * v->latency_s[(size_t)i * n + j];
            if (gain > best_gain) {
                best_gain = gain;
                best = j;
            }
        }
        if (best < 0 || best_gain <= t->migrate_min_gain_s)
            continue;
        double per_request = g->outstanding_work_s / (g->queued + g->running + g->deferred);
        double k = 0.5 * best_gain * g->n_alive / fmax(per_request, 1e-9);
        moves[(size_t)i * n + best] = floor(fmin(k, t->migrate_max_fraction * waiting));
    }
    return 0;
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    return torta_plan_route(&((torta_macro *)self)->plan, r->origin, v);
}

static void on_complete(void *self, const torta_request *r, const torta_view *v)
{
    torta_macro *t = self;
    double e2e = r->finish_s - r->arrival_s;
    t->lat_sum += e2e;
    t->lat_n++;
    t->slo_missed += r->first_token_s - r->arrival_s > t->rw.slo_ttft_s || e2e > t->rw.slo_e2e_s;
}

/* cap: the variant plans capacity (its ops have .capacity); the one-slot OT baselines do not
 * and get the configured autoscaler. */
#define TORTA_VARIANT(ident, str, fc, rl_, sm, rlo, ex, cap, sum)                                 \
    static int init_##ident(void **self, const torta_sched_env *env, torta_err *e)                \
    {                                                                                             \
        static const torta_variant var = {str, fc, rl_, sm, rlo, ex, cap};                        \
        return init_variant(self, env, &var, e);                                                  \
    }                                                                                             \
    const torta_macro_ops torta_macro_##ident = {                                                 \
        .name = str, .summary = sum, .init = init_##ident, .plan = plan_slot, .route = route,     \
        .on_complete = on_complete, .destroy = destroy, .migrate = migrate,                       \
        .capacity = cap ? torta_macro_capacity : NULL,                                            \
    };

TORTA_VARIANT(torta, "torta", 1, 1, 1, 0, 0, 1, "TORTA: forecasts + OT + PPO multipliers + smoothing; capacity planned ahead")
TORTA_VARIANT(torta_no_forecast, "torta-no-forecast", 0, 1, 1, 0, 0, 1, "TORTA on last slot's demand instead of forecasts")
TORTA_VARIANT(torta_no_rl, "torta-no-rl", 1, 0, 1, 0, 0, 1, "TORTA without RL: OT on forecasts + smoothing; capacity planned ahead")
TORTA_VARIANT(torta_no_smooth, "torta-no-smooth", 1, 1, 0, 0, 0, 1, "TORTA without temporal smoothing")
TORTA_VARIANT(ot_reactive, "ot-reactive", 0, 0, 0, 0, 0, 0, "one-slot entropic OT on the current state")
TORTA_VARIANT(exact_ot, "exact-ot", 0, 0, 0, 0, 1, 0, "one-slot exact transport (network simplex)")
TORTA_VARIANT(rl_only, "rl-only", 1, 0, 0, 1, 0, 1, "the PPO policy outputs the routing matrix directly")
