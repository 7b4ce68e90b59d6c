/* The bound's linear programme (docs/bound.md writes it out), solved once by GLPK:
 *
 *   min  sum_{g,t} P_g (b_gt + f_g e_gt) + sum_{i!=j,t} c_ijt x_ijt        (+ reserved, constant)
 *   s.t. sum_j x_ijt = D_it                                    every origin i, slot t
 *        sum_i x_ijt <= u L (R_j + sum_{g in j} S_g a_gt)      every region j, slot t
 *        b_gt >= a_{g,t+k}            k = 0..K_g               start-up lead, whole slots
 *        b_gt + e_gt >= a_{g,t+K_g+1}                          the lead's last fraction f_g
 *        0 <= a_gt, b_gt, e_gt <= n_g,  x >= 0
 *
 * g runs over groups of identical on-demand or spot servers of a region (n_g of them, S_g
 * requests/s each, P_g USD per server-slot: price + idle energy), a_gt is how many are active,
 * b_gt how many are billed for the whole slot; e_gt more are billed for the last f_g of it. A
 * server active from the start of slot s was started lead_g = (K_g + f_g) L earlier, so it is on
 * during all of slots s-K_g..s and the last f_g L of slot s-K_g-1: the LP bills exactly that, no
 * more (billing whole slots, ceil(lead / L), would overbill and break the bound). */
#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bound/bound.h"

const char *const torta_bound_method_names[3] = {"auto", "simplex", "interior"};

const char *const torta_bound_cost_names[TORTA_BOUND_N_COSTS] = {"reserved", "on_demand", "spot",
                                                                   "network", "energy_idle"};

/* A pool of identical on-demand or spot servers of one region. */
typedef struct group {
    int region, cls;       /* cls: 0 on-demand, 1 spot */
    int n;
    double sat_rps, usd_per_hour, idle_w, lead_s;
    int k_whole;           /* K: whole slots of lead */
    double frac;           /* f: the lead's last fraction of a slot */
    int col0;              /* columns a, b[, e] of slot t: col0 + t * width + 0, 1[, 2] */
    int width;
} group;

/* Matrix triplets, 1-based as GLPK wants them. */
typedef struct triplets {
    int *ia, *ja;
    double *ar;
    size_t n, cap;
} triplets;

static int put(triplets *m, int row, int col, double v)
{
    if (m->n + 1 >= m->cap) {
        size_t c = m->cap ? 2 * m->cap : 4096;
        int *ia = realloc(m->ia, sizeof(int) * c);
        if (ia)
            m->ia = ia;
        int *ja = ia ? realloc(m->ja, sizeof(int) * c) : NULL;
        if (ja)
            m->ja = ja;
        double *ar = ja ? realloc(m->ar, sizeof(double) * c) : NULL;
        if (!ar)
            return -1;
        m->ar = ar;
        m->cap = c;
    }
    m->n++;
    m->ia[m->n] = row;
    m->ja[m->n] = col;
    m->ar[m->n] = v;
    return 0;
}

static double elec_usd_per_ws(const torta_sim *sim, int region)
{
    return sim->region_pub[region].electricity_usd_per_kwh / 3.6e6;
}

/* Groups of identical on-demand / spot servers, in server order; reserved capacity and cost. */
static int make_groups(const torta_sim *sim, const torta_bound_demand *d, torta_bound_result *r,
                       group **out, int *n_out, torta_err *e)
{
    group *g = calloc((size_t)sim->n_servers, sizeof *g);
    if (!g)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    int n = 0;
    for (int s = 0; s < sim->n_servers; s++) {
        const torta_server_state *p = &sim->server_pub[s];
        r->pool[p->region * TORTA_N_CLASSES + p->cap_class]++;
        double idle_w = sim->servers[s].idle_w;
        if (p->cap_class == TORTA_CLASS_RESERVED) {
            double *c = r->region_cost_usd + (size_t)p->region * TORTA_BOUND_N_COSTS;
            c[TORTA_BOUND_RESERVED] += d->horizon_s * p->usd_per_hour / 3600.0;
            c[TORTA_BOUND_ENERGY_IDLE] += d->horizon_s * idle_w * elec_usd_per_ws(sim, p->region);
            r->reserved_rps[p->region] += p->sat_rps;
            continue;
        }
        int cls = p->cap_class == TORTA_CLASS_SPOT;
        if (p->start_lead_s > r->lead_s[p->region])
            r->lead_s[p->region] = p->start_lead_s;
        if (!(p->sat_rps > 0))
            continue; /* serves nothing: never worth starting */
        int k = 0;
        while (k < n && !(g[k].region == p->region && g[k].cls == cls && g[k].sat_rps == p->sat_rps &&
                          g[k].usd_per_hour == p->usd_per_hour && g[k].idle_w == idle_w &&
                          g[k].lead_s == p->start_lead_s))
            k++;
        if (k == n) {
            g[n] = (group){p->region, cls, 0, p->sat_rps, p->usd_per_hour, idle_w, p->start_lead_s, 0, 0, 0, 0};
            double q = p->start_lead_s / d->slot_s;
            g[n].k_whole = (int)floor(q + 1e-9);
            g[n].frac = q - g[n].k_whole > 1e-9 ? q - g[n].k_whole : 0.0;
            g[n].width = g[n].frac > 0 ? 3 : 2;
            n++;
        }
        g[k].n++;
    }
    *out = g;
    *n_out = n;
    return 0;
}

/* Demand above what every server of every region could serve in some slot: no routing helps. */
static int check_capacity(const torta_sim *sim, const torta_bound_demand *d, double u, torta_err *e)
{
    double all_rps = 0;
    for (int s = 0; s < sim->n_servers; s++)
        all_rps += sim->server_pub[s].sat_rps;
    int R = d->n_regions;
    for (int t = 0; t < d->n_slots; t++) {
        double sum = 0;
        int top = 0;
        for (int i = 0; i < R; i++) {
            sum += d->req[(size_t)t * R + i];
            if (d->req[(size_t)t * R + i] > d->req[(size_t)t * R + top])
                top = i;
        }
        double cap = u * d->slot_s * all_rps;
        if (sum > cap * (1 + 1e-9))
            return torta_err_set(e, TORTA_EINPUT,
                                 "bound: slot %d [%g, %g) s: demand %.6g requests/s is above the capacity "
                                 "of every server of every region together at --max-load %g (%.6g "
                                 "requests/s, all on-demand and spot pools on); most of it comes from "
                                 "region %s (%.6g requests/s). Raise the pools (regions.servers[].count) "
                                 "or --max-load, or lower --rate-scale",
                                 t, t * d->slot_s, (t + 1) * d->slot_s, sum / d->slot_s, u,
                                 u * all_rps, sim->region_pub[top].name,
                                 d->req[(size_t)t * R + top] / d->slot_s);
    }
    return 0;
}

static int alloc_result(torta_bound_result *r, int R, int T)
{
    memset(r, 0, sizeof *r);
    r->n_regions = R;
    r->n_slots = T;
    size_t rt = (size_t)R * T;
    r->region_cost_usd = calloc((size_t)R * TORTA_BOUND_N_COSTS, sizeof(double));
    r->served = calloc(rt, sizeof(double));
    r->moved_in = calloc(rt, sizeof(double));
    r->capacity_rps = calloc(rt, sizeof(double));
    r->pool = calloc((size_t)R * TORTA_N_CLASSES, sizeof(int32_t));
    r->reserved_rps = calloc((size_t)R, sizeof(double));
    r->lead_s = calloc((size_t)R, sizeof(double));
    int ok = r->region_cost_usd && r->served && r->moved_in && r->capacity_rps && r->pool &&
             r->reserved_rps && r->lead_s;
    for (int c = 0; c < 2; c++) {
        r->active[c] = calloc(rt, sizeof(double));
        r->billed[c] = calloc(rt, sizeof(double));
        ok = ok && r->active[c] && r->billed[c];
    }
    return ok ? 0 : -1;
}

void torta_bound_result_free(torta_bound_result *r)
{
    free(r->region_cost_usd);
    free(r->served);
    free(r->moved_in);
    free(r->capacity_rps);
    free(r->pool);
    free(r->reserved_rps);
    free(r->lead_s);
    for (int c = 0; c < 2; c++) {
        free(r->active[c]);
        free(r->billed[c]);
    }
    memset(r, 0, sizeof *r);
}

/* USD per request of origin i served in region j in slot t: egress of its prompt and response
 * (bytes_per_token x the mean tokens of origin i's requests in slot t), as the ledger charges. */
static double egress_usd(const torta_sim *sim, const torta_bound_demand *d, int t, int i, int j)
{
    size_t k = (size_t)t * d->n_regions + i;
    double mean_tokens = d->tokens[k] / d->req[k];
    return sim->egress_usd_per_gb[(size_t)i * sim->n_regions + j] * sim->bytes_per_token * mean_tokens / 1e9;
}

typedef struct lp_build {
    glp_prob *lp;
    triplets m;
    int *x_col;            /* (t, i, j) -> column, 0 = none (no demand) */
} lp_build;

static int build(const torta_sim *sim, const torta_bound_demand *d, double u, const double *reserved_rps,
                 group *g, int n_groups, lp_build *b, torta_err *e)
{
    int R = d->n_regions, T = d->n_slots;
    double L = d->slot_s;
    size_t n_x = 0;
    for (size_t k = 0; k < (size_t)R * T; k++)
        n_x += d->req[k] > 0 ? (size_t)R : 0;
    size_t n_cols = n_x, n_rows = (size_t)R * T * 2;
    for (int k = 0; k < n_groups; k++) {
        n_cols += (size_t)g[k].width * T;
        n_rows += (size_t)(g[k].k_whole + 2) * T;
    }
    if (n_cols > INT_MAX / 4 || n_rows > INT_MAX / 4)
        return torta_err_set(e, TORTA_EINPUT, "bound: %zu columns, %zu rows: too large for GLPK; use a "
                             "coarser --bound-slot-s", n_cols, n_rows);
    b->x_col = calloc((size_t)R * R * T, sizeof(int));
    if (!b->x_col)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    glp_prob *lp = b->lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    /* Rows: capacity of (t, j) is row 1 + t R + j; demand rows follow, then billing rows. */
    glp_add_rows(lp, R * T);
    for (int t = 0; t < T; t++)
        for (int j = 0; j < R; j++)
            glp_set_row_bnds(lp, 1 + t * R + j, GLP_UP, 0.0, u * L * reserved_rps[j]);
    int fail = 0;
    for (int t = 0; t < T && !fail; t++)
        for (int i = 0; i < R && !fail; i++) {
            double dem = d->req[(size_t)t * R + i];
            if (!(dem > 0))
                continue;
            int row = glp_add_rows(lp, 1);
            glp_set_row_bnds(lp, row, GLP_FX, dem, dem);
            int col = glp_add_cols(lp, R);
            for (int j = 0; j < R && !fail; j++, col++) {
                b->x_col[((size_t)t * R + i) * R + j] = col;
                glp_set_col_bnds(lp, col, GLP_LO, 0.0, 0.0);
                glp_set_obj_coef(lp, col, i == j ? 0.0 : egress_usd(sim, d, t, i, j));
                fail = put(&b->m, row, col, 1.0) || put(&b->m, 1 + t * R + j, col, 1.0);
            }
        }
    for (int k = 0; k < n_groups && !fail; k++) {
        group *q = &g[k];
        double per_slot = L * (q->usd_per_hour / 3600.0 + q->idle_w * elec_usd_per_ws(sim, q->region));
        q->col0 = glp_add_cols(lp, q->width * T);
        for (int t = 0; t < T; t++)
            for (int w = 0; w < q->width; w++) {
                int col = q->col0 + t * q->width + w;
                glp_set_col_bnds(lp, col, GLP_DB, 0.0, q->n);
                glp_set_obj_coef(lp, col, w == 0 ? 0.0 : w == 1 ? per_slot : q->frac * per_slot);
            }
        for (int t = 0; t < T && !fail; t++) {
            int a = q->col0 + t * q->width;
            fail = put(&b->m, 1 + t * R + q->region, a, -u * L * q->sat_rps);
            for (int s = t; s <= t + q->k_whole + (q->frac > 0) && s < T && !fail; s++) {
                /* billed in slot t: b_t (+ e_t for the lead's last fraction) >= a_s */
                int row = glp_add_rows(lp, 1);
                glp_set_row_bnds(lp, row, GLP_LO, 0.0, 0.0);
                fail = put(&b->m, row, a + 1, 1.0) || put(&b->m, row, q->col0 + s * q->width, -1.0);
                if (!fail && s == t + q->k_whole + 1)
                    fail = put(&b->m, row, a + 2, 1.0);
            }
        }
    }
    if (fail)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory for the bound's LP");
    glp_load_matrix(lp, (int)b->m.n, b->m.ia, b->m.ja, b->m.ar);
    return 0;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Solves; returns 1 when optimal, 0 when infeasible, < 0 on a solver failure. */
static int solve(glp_prob *lp, int interior, torta_err *e)
{
    int old_term = glp_term_out(GLP_OFF);
    int ret, status;
    if (interior) {
        glp_iptcp p;
        glp_init_iptcp(&p);
        p.msg_lev = GLP_MSG_OFF;
        ret = glp_interior(lp, &p);
        status = ret == 0 ? glp_ipt_status(lp) : ret == GLP_ENOFEAS ? GLP_NOFEAS : -1;
    } else {
        glp_smcp p;
        glp_init_smcp(&p);
        p.msg_lev = GLP_MSG_OFF;
        p.presolve = GLP_ON;
        glp_scale_prob(lp, GLP_SF_AUTO);
        ret = glp_simplex(lp, &p);
        status = ret == 0 ? glp_get_status(lp) : ret == GLP_ENOPFS ? GLP_NOFEAS : -1;
    }
    glp_term_out(old_term);
    if (status == GLP_OPT)
        return 1;
    if (status == GLP_NOFEAS || status == GLP_INFEAS)
        return 0;
    return torta_err_set(e, TORTA_EINTERNAL, "bound: GLPK %s failed (return %d, status %d)",
                         interior ? "interior point" : "simplex", ret, status);
}

static double col_value(glp_prob *lp, int interior, int col)
{
    double v = interior ? glp_ipt_col_prim(lp, col) : glp_get_col_prim(lp, col);
    return v > 0 ? v : 0.0; /* round-off below zero */
}

/* Reads the solution into r: per slot and region, and the costs. */
static void collect(const torta_sim *sim, const torta_bound_demand *d, const group *g, int n_groups,
                    const lp_build *b, int interior, torta_bound_result *r)
{
    int R = d->n_regions, T = d->n_slots;
    double L = d->slot_s;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < R; i++)
            for (int j = 0; j < R; j++) {
                int col = b->x_col[((size_t)t * R + i) * R + j];
                if (!col)
                    continue;
                double x = col_value(b->lp, interior, col);
                r->served[(size_t)t * R + j] += x;
                if (i != j) {
                    r->moved_in[(size_t)t * R + j] += x;
                    r->region_cost_usd[(size_t)j * TORTA_BOUND_N_COSTS + TORTA_BOUND_NETWORK] +=
                        x * egress_usd(sim, d, t, i, j);
                }
            }
    for (int t = 0; t < T; t++)
        for (int j = 0; j < R; j++)
            r->capacity_rps[(size_t)t * R + j] = r->reserved_rps[j];
    for (int k = 0; k < n_groups; k++) {
        const group *q = &g[k];
        double *c = r->region_cost_usd + (size_t)q->region * TORTA_BOUND_N_COSTS;
        for (int t = 0; t < T; t++) {
            int col = q->col0 + t * q->width;
            double a = col_value(b->lp, interior, col), bill = col_value(b->lp, interior, col + 1);
            if (q->width == 3)
                bill += q->frac * col_value(b->lp, interior, col + 2);
            size_t tj = (size_t)t * R + q->region;
            r->active[q->cls][tj] += a;
            r->billed[q->cls][tj] += bill;
            r->capacity_rps[tj] += a * q->sat_rps;
            c[q->cls ? TORTA_BOUND_SPOT : TORTA_BOUND_ON_DEMAND] += bill * L * q->usd_per_hour / 3600.0;
            c[TORTA_BOUND_ENERGY_IDLE] += bill * L * q->idle_w * elec_usd_per_ws(sim, q->region);
        }
    }
    r->total_usd = 0;
    for (int k = 0; k < TORTA_BOUND_N_COSTS; k++) {
        r->cost_usd[k] = 0;
        for (int j = 0; j < R; j++)
            r->cost_usd[k] += r->region_cost_usd[(size_t)j * TORTA_BOUND_N_COSTS + k];
        r->total_usd += r->cost_usd[k];
    }
}

int torta_bound_solve(const torta_sim *sim, const torta_bound_demand *d, const torta_bound_opts *o,
                      torta_bound_result *r, torta_err *e)
{
    if (alloc_result(r, d->n_regions, d->n_slots))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    group *g = NULL;
    int n_groups = 0;
    lp_build b = {0};
    int rc = make_groups(sim, d, r, &g, &n_groups, e);
    if (!rc)
        rc = check_capacity(sim, d, o->max_load, e);
    if (!rc)
        rc = build(sim, d, o->max_load, r->reserved_rps, g, n_groups, &b, e);
    int interior = o->method == TORTA_BOUND_INTERIOR ||
                   (o->method == TORTA_BOUND_AUTO && !rc && glp_get_num_cols(b.lp) > TORTA_BOUND_AUTO_COLS);
    r->method = interior ? TORTA_BOUND_INTERIOR : TORTA_BOUND_SIMPLEX;
    double t0 = wall_s();
    int solved = rc ? 0 : solve(b.lp, interior, e);
    r->solve_wall_s = wall_s() - t0;
    if (!rc && solved < 0)
        rc = solved;
    if (!rc && solved == 0)
        rc = torta_err_set(e, TORTA_EINPUT, "bound: the linear programme is infeasible: the demand "
                           "cannot be served within --max-load %g with the configured pools", o->max_load);
    if (!rc) {
        r->rows = glp_get_num_rows(b.lp);
        r->cols = glp_get_num_cols(b.lp);
        r->status = "optimal";
        collect(sim, d, g, n_groups, &b, interior, r);
    }
    if (b.lp)
        glp_delete_prob(b.lp);
    free(b.m.ia);
    free(b.m.ja);
    free(b.m.ar);
    free(b.x_col);
    free(g);
    return rc;
}
