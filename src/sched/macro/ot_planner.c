/* OT planning step: cost matrix, masses with dummies, solve, plan. */
#include "sched/macro/ot_planner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"

static const char *const KEYS[] = {"reg", "w_latency", "w_price", "w_load", "w_egress",
                                   "overflow_penalty", "target_util", "exact", "overflow_spread",
                                   NULL};

int ot_planner_init(ot_planner *p, const torta_view *v, const cJSON *params, torta_err *e)
{
    memset(p, 0, sizeof *p);
    int n = v->n_regions, rc = 0;
    p->n = n;
    const char *w = "scheduler.macro_params.ot";
    if (params && (rc = torta_json_check_keys(params, w, KEYS, e)) != 0)
        return rc;
    struct { const char *k; double lo, hi, def; double *out; } nums[] = {
        {"reg", 1e-4, 10, 0.05, &p->reg},
        {"w_latency", 0, 1e3, 1.0, &p->w_latency},
        {"w_price", 0, 1e3, 0.2, &p->w_price},
        {"w_load", 0, 1e3, 0.5, &p->w_load},
        {"w_egress", 0, 1e3, 0.1, &p->w_egress},
        {"overflow_penalty", 0, 1e3, 1.0, &p->overflow_penalty},
        {"target_util", 0.01, 10, 0.85, &p->target_util},
    };
    for (size_t k = 0; k < sizeof nums / sizeof *nums && !rc; k++)
        rc = torta_json_num(params, nums[k].k, w, nums[k].lo, nums[k].hi, 0, nums[k].def, nums[k].out, e);
    if (rc)
        return rc;
    p->exact = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "exact"));
    const char *spread = NULL;
    if ((rc = torta_json_str(params, "overflow_spread", w, 0, "capacity", &spread, e)) != 0)
        return rc;
    if (strcmp(spread, "capacity") != 0 && strcmp(spread, "spare") != 0)
        return torta_err_set(e, TORTA_EINPUT, "%s.overflow_spread: \"%s\": expected \"capacity\" or "
                             "\"spare\"", w, spread);
    p->spread_spare = strcmp(spread, "spare") == 0;
    size_t m = (size_t)(n + 1);
    p->C = calloc(m * m, sizeof(double));
    p->P = calloc(m * m, sizeof(double));
    p->a = calloc(m, sizeof(double));
    p->b = calloc(m, sizeof(double));
    p->cost_static = calloc((size_t)n * n, sizeof(double));
    p->share = calloc((size_t)n, sizeof(double));
    if (!p->C || !p->P || !p->a || !p->b || !p->cost_static || !p->share)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory (OT planner for %d regions)", n);
    if (!p->exact && (rc = torta_ot_ws_new(n + 1, n + 1, &p->ws, e)) != 0)
        return rc;
    /* Latency and egress are normalised by their largest values so weights are comparable. */
    double lmax = 0, emax = 0;
    for (size_t k = 0; k < (size_t)n * n; k++) {
        lmax = fmax(lmax, v->latency_s[k]);
        emax = fmax(emax, v->egress_usd_per_gb[k]);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            size_t k = (size_t)i * n + j;
            p->cost_static[k] = (lmax > 0 ? p->w_latency * v->latency_s[k] / lmax : 0) +
                                (i != j && emax > 0 ? p->w_egress * v->egress_usd_per_gb[k] / emax : 0);
        }
    return 0;
}

void ot_planner_free(ot_planner *p)
{
    torta_ot_ws_free(p->ws);
    free(p->C);
    free(p->P);
    free(p->a);
    free(p->b);
    free(p->cost_static);
    free(p->share);
    memset(p, 0, sizeof *p);
}

void ot_planner_capacity(const ot_planner *p, const torta_view *v, double *b)
{
    for (int j = 0; j < p->n; j++) {
        const torta_region_state *g = &v->regions[j];
        b[j] = fmax(0.0, g->n_alive * v->slot_s * p->target_util - g->outstanding_work_s);
    }
}

int ot_planner_solve(ot_planner *p, const torta_view *v, const double *demand, const double *mult,
                     double *x, torta_err *e)
{
    int n = p->n, m = n + 1;
    double pmax = 0;
    for (int j = 0; j < n; j++)
        pmax = fmax(pmax, v->regions[j].electricity_usd_per_kwh);
    ot_planner_capacity(p, v, p->b);
    double A = 0, B = 0, cmax = 0;
    for (int i = 0; i < n; i++)
        A += fmax(demand[i], 0.0);
    for (int j = 0; j < n; j++) {
        const torta_region_state *g = &v->regions[j];
        double m = mult ? mult[j] : 1.0;
        p->b[j] *= m;
        B += p->b[j];
        /* Overflow goes where it adds the same queue per unit of capacity (see header). */
        p->share[j] = p->spread_spare ? p->b[j] : g->n_alive * v->slot_s * p->target_util * m;
    }
    /* Normalise masses to total 1; a floor keeps every log finite (zero masses stay ~zero). */
    double total = fmax(A, B), floor_mass = 1e-9;
    if (total <= 0)
        total = 1;
    for (int i = 0; i < n; i++)
        p->a[i] = fmax(demand[i], 0.0) / total + floor_mass;
    for (int j = 0; j < n; j++)
        p->b[j] = p->b[j] / total + floor_mass;
    p->a[n] = fmax(B - A, 0.0) / total + floor_mass;
    p->b[n] = fmax(A - B, 0.0) / total + floor_mass;
    /* Equal totals by construction up to the floors: fix the residue on the dummies. */
    double sa = 0, sb = 0;
    for (int k = 0; k < m; k++) {
        sa += p->a[k];
        sb += p->b[k];
    }
    if (sa > sb)
        p->b[n] += sa - sb;
    else
        p->a[n] += sb - sa;

    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            const torta_region_state *g = &v->regions[j];
            double load = g->n_alive > 0 ? g->outstanding_work_s / (g->n_alive * v->slot_s) : 5.0;
            double c = p->cost_static[(size_t)i * n + j] +
                       (pmax > 0 ? p->w_price * g->electricity_usd_per_kwh / pmax : 0) +
                       p->w_load * fmin(load, 5.0);
            p->C[(size_t)i * m + j] = g->n_alive > 0 ? c : 1e3;
            cmax = fmax(cmax, c);
        }
    }
    for (int i = 0; i < n; i++)
        p->C[(size_t)i * m + n] = cmax + p->overflow_penalty; /* overflow: demand nobody can take */
    for (int j = 0; j <= n; j++)
        p->C[(size_t)n * m + j] = 0; /* idle capacity costs nothing wherever it is */

    int rc;
    if (p->exact) {
        rc = torta_ot_exact(m, m, p->a, p->b, p->C, p->P, &p->last_cost, e);
    } else {
        torta_ot_params op = torta_ot_params_default(p->reg);
        op.warm_start = 1;
        op.max_iter = 2000;
        op.tol = 1e-7;
        torta_ot_stats st;
        rc = torta_ot_sinkhorn(p->ws, m, m, p->a, p->b, p->C, &op, p->P, &st, e);
        p->last_iterations = st.iterations;
        if (!rc)
            p->last_cost = torta_ot_cost(m, m, p->C, p->P);
    }
    if (rc)
        return rc;
    /* Routing shares: each origin's transported mass, plus its overflow spread by p->share. */
    double capsum = 0;
    for (int j = 0; j < n; j++)
        capsum += p->share[j];
    if (!(capsum > 0)) /* no live capacity anywhere: spread by the solved columns */
        for (int j = 0; j < n; j++)
            capsum += (p->share[j] = p->b[j]);
    for (int i = 0; i < n; i++) {
        double *row = x + (size_t)i * n, s = 0;
        const double *pr = p->P + (size_t)i * m;
        for (int j = 0; j < n; j++) {
            row[j] = pr[j] + pr[n] * p->share[j] / capsum;
            if (v->regions[j].n_alive == 0)
                row[j] = 0;
            s += row[j];
        }
        if (s > 0) {
            for (int j = 0; j < n; j++)
                row[j] /= s;
        } else {
            memset(row, 0, sizeof(double) * (size_t)n);
            row[i] = 1.0;
        }
    }
    return 0;
}
