/* Unit tests of the OT solvers, modelled on POT's suite: marginals met, variants agree, tiny reg
 * stays finite, a huge marginal penalty recovers balanced OT, the entropic bias is at most
 * reg log(nm), the 1-D closed form of W1, hand-solved exact instances, the optimality conditions
 * of the unbalanced problem, warm starts, and bad input with the exact error. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/ot.h"
#include "torta/rng.h"
#include "run_suite.h"

#define MAXN 40

typedef struct {
    int n, m;
    double a[MAXN], b[MAXN], C[MAXN * MAXN];
} inst;

/* Random instance: costs U[0,1] (scaled by cscale), masses U[0.1,1] normalised to total 1. */
static void random_inst(inst *p, int n, int m, const char *stream, double cscale)
{
    gsl_rng *r = torta_rng_stream(42, stream);
    ck_assert_ptr_nonnull(r);
    p->n = n;
    p->m = m;
    double sa = 0.0, sb = 0.0;
    for (int i = 0; i < n; i++)
        sa += p->a[i] = 0.1 + 0.9 * gsl_rng_uniform(r);
    for (int j = 0; j < m; j++)
        sb += p->b[j] = 0.1 + 0.9 * gsl_rng_uniform(r);
    for (int i = 0; i < n; i++)
        p->a[i] /= sa;
    for (int j = 0; j < m; j++)
        p->b[j] /= sb;
    for (int k = 0; k < n * m; k++)
        p->C[k] = cscale * gsl_rng_uniform(r);
    gsl_rng_free(r);
}

static torta_ot_ws *new_ws(int n, int m)
{
    torta_ot_ws *ws = NULL;
    torta_err e = {0};
    ck_assert_msg(torta_ot_ws_new(n, m, &ws, &e) == 0, "%s", e.msg);
    return ws;
}

/* Solves with a fresh workspace; asserts success. */
static torta_ot_stats solve(const inst *p, double reg, double rho, double tol, double *plan)
{
    torta_ot_ws *ws = new_ws(p->n, p->m);
    torta_ot_params prm = torta_ot_params_default(reg);
    prm.rho = rho;
    prm.tol = tol;
    prm.max_iter = 200000;
    torta_ot_stats st;
    torta_err e = {0};
    int rc = torta_ot_sinkhorn(ws, p->n, p->m, p->a, p->b, p->C, &prm, plan, &st, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    torta_ot_ws_free(ws);
    return st;
}

static double exact_cost(const inst *p, double *plan)
{
    double cost;
    torta_err e = {0};
    int rc = torta_ot_exact(p->n, p->m, p->a, p->b, p->C, plan, &cost, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    return cost;
}

/* Max |row sum - a| and |column sum - b|, and asserts every entry is finite and >= 0. */
static double marg_err(const inst *p, const double *P)
{
    double err = 0.0;
    for (int i = 0; i < p->n; i++) {
        double s = 0.0;
        for (int j = 0; j < p->m; j++) {
            double x = P[i * p->m + j];
            ck_assert_msg(isfinite(x) && x >= 0.0, "P[%d][%d] = %g", i, j, x);
            s += x;
        }
        err = fmax(err, fabs(s - p->a[i]));
    }
    for (int j = 0; j < p->m; j++) {
        double s = 0.0;
        for (int i = 0; i < p->n; i++)
            s += P[i * p->m + j];
        err = fmax(err, fabs(s - p->b[j]));
    }
    return err;
}

static double max_abs_diff(const double *x, const double *y, int len)
{
    double d = 0.0;
    for (int k = 0; k < len; k++)
        d = fmax(d, fabs(x[k] - y[k]));
    return d;
}

START_TEST(balanced_marginals_and_potentials)
{
    inst p;
    random_inst(&p, 7, 9, "marg", 1.0);
    double P[MAXN * MAXN];
    torta_ot_ws *ws = new_ws(7, 9);
    torta_ot_params prm = torta_ot_params_default(0.05);
    torta_ot_stats st;
    torta_err e = {0};
    ck_assert_int_eq(torta_ot_sinkhorn(ws, 7, 9, p.a, p.b, p.C, &prm, P, &st, &e), 0);
    ck_assert(st.converged);
    ck_assert_double_le(marg_err(&p, P), 1e-6);
    ck_assert_double_le(st.marg_err_a + st.marg_err_b, 1e-8);
    /* plan = exp((f_i + g_j - C_ij) / reg) with the reported potentials */
    const double *f, *g;
    torta_ot_ws_potentials(ws, &f, &g);
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 9; j++)
            ck_assert_double_le(fabs(0.05 * log(P[i * 9 + j]) - (f[i] + g[j] - p.C[i * 9 + j])),
                                1e-10);
    torta_ot_ws_free(ws);
}
END_TEST

/* POT's documented example: ot.sinkhorn([.5,.5], [.5,.5], [[0,1],[1,0]], 1). */
START_TEST(pot_doc_example)
{
    inst p = {.n = 2, .m = 2, .a = {0.5, 0.5}, .b = {0.5, 0.5}, .C = {0, 1, 1, 0}};
    double P[4];
    solve(&p, 1.0, INFINITY, 1e-12, P);
    /* closed form: the diagonal is 0.5 e / (1 + e) = 0.36552928931500245 */
    double d = 0.5 * exp(1.0) / (1.0 + exp(1.0));
    ck_assert_double_eq_tol(P[0], d, 1e-15);
    ck_assert_double_eq_tol(P[1], 0.5 - d, 1e-15);
    ck_assert_double_eq_tol(P[0], 0.36552929, 1e-8);
}
END_TEST

START_TEST(variants_agree)
{
    inst p;
    random_inst(&p, 6, 8, "agree", 1.0);
    double Pb[MAXN * MAXN], Pu[MAXN * MAXN], Pe[MAXN * MAXN];
    const double reg = 0.01;
    solve(&p, reg, INFINITY, 1e-12, Pb);
    solve(&p, reg, 1e6, 1e-12, Pu);
    double ce = exact_cost(&p, Pe);
    double cb = torta_ot_cost(6, 8, p.C, Pb), cu = torta_ot_cost(6, 8, p.C, Pu);
    ck_assert_double_le(max_abs_diff(Pb, Pu, 48), 1e-6);
    ck_assert_double_le(fabs(cb - cu), 1e-6);
    ck_assert_double_le(fabs(cb - ce), reg * log(48.0));
    ck_assert_double_le(marg_err(&p, Pe), 1e-12);
}
END_TEST

START_TEST(tiny_reg_stays_finite)
{
    inst p;
    random_inst(&p, 8, 8, "tiny", 1.0); /* costs in [0,1]: a normalised cost */
    double P[MAXN * MAXN], Pe[MAXN * MAXN];
    const double reg = 1e-4;
    torta_ot_stats st = solve(&p, reg, INFINITY, 1e-9, P);
    ck_assert_msg(st.converged, "iterations %d err %g", st.iterations, st.err);
    ck_assert_double_le(marg_err(&p, P), 1e-6); /* also asserts finite, >= 0 */
    double ce = exact_cost(&p, Pe);
    ck_assert_double_le(fabs(torta_ot_cost(8, 8, p.C, P) - ce), reg * log(64.0));
    st = solve(&p, reg, 0.5, 1e-9, P);
    ck_assert(st.converged);
    for (int k = 0; k < 64; k++)
        ck_assert(isfinite(P[k]) && P[k] >= 0.0);
}
END_TEST

START_TEST(huge_penalty_recovers_balanced)
{
    inst p;
    random_inst(&p, 5, 7, "huge", 1.0);
    double Pb[MAXN * MAXN], Pu[MAXN * MAXN];
    solve(&p, 0.05, INFINITY, 1e-12, Pb);
    torta_ot_stats st = solve(&p, 0.05, 1e8, 1e-12, Pu);
    ck_assert(st.converged);
    ck_assert_double_le(max_abs_diff(Pb, Pu, 35), 1e-8);
    ck_assert_double_le(marg_err(&p, Pu), 1e-8);
}
END_TEST

START_TEST(entropic_bias_bound)
{
    static const double regs[] = {0.5, 0.1, 0.01, 0.001};
    inst p;
    random_inst(&p, 9, 6, "bias", 1.0);
    double P[MAXN * MAXN], Pe[MAXN * MAXN];
    double ce = exact_cost(&p, Pe), prev = INFINITY;
    for (size_t k = 0; k < sizeof regs / sizeof *regs; k++) {
        solve(&p, regs[k], INFINITY, 1e-10, P);
        double c = torta_ot_cost(9, 6, p.C, P);
        ck_assert_double_ge(c - ce, -1e-9);
        ck_assert_double_le(c - ce, regs[k] * log(54.0));
        ck_assert_double_le(c, prev + 1e-12); /* bias shrinks with reg */
        prev = c;
    }
}
END_TEST

/* W1 on the line = integral of |F_a - F_b| (Vallender 1974). */
START_TEST(w1_closed_form_1d)
{
    gsl_rng *r = torta_rng_stream(7, "w1");
    for (int trial = 0; trial < 5; trial++) {
        inst p;
        p.n = 5 + trial;
        p.m = 9 - trial;
        double x[MAXN], y[MAXN], sa = 0, sb = 0;
        for (int i = 0; i < p.n; i++) {
            x[i] = 10.0 * gsl_rng_uniform(r);
            sa += p.a[i] = gsl_rng_uniform(r) + 0.05;
        }
        for (int j = 0; j < p.m; j++) {
            y[j] = 10.0 * gsl_rng_uniform(r) + 2.0;
            sb += p.b[j] = gsl_rng_uniform(r) + 0.05;
        }
        for (int i = 0; i < p.n; i++)
            p.a[i] /= sa;
        for (int j = 0; j < p.m; j++)
            p.b[j] /= sb;
        for (int i = 0; i < p.n; i++)
            for (int j = 0; j < p.m; j++)
                p.C[i * p.m + j] = fabs(x[i] - y[j]);
        /* breakpoints: all points sorted */
        double z[2 * MAXN];
        int nz = 0;
        for (int i = 0; i < p.n; i++)
            z[nz++] = x[i];
        for (int j = 0; j < p.m; j++)
            z[nz++] = y[j];
        for (int s = 1; s < nz; s++)
            for (int t = s; t > 0 && z[t - 1] > z[t]; t--) {
                double tmp = z[t];
                z[t] = z[t - 1];
                z[t - 1] = tmp;
            }
        double w1 = 0.0;
        for (int k = 0; k + 1 < nz; k++) {
            double Fa = 0.0, Fb = 0.0;
            for (int i = 0; i < p.n; i++)
                Fa += x[i] <= z[k] ? p.a[i] : 0.0;
            for (int j = 0; j < p.m; j++)
                Fb += y[j] <= z[k] ? p.b[j] : 0.0;
            w1 += fabs(Fa - Fb) * (z[k + 1] - z[k]);
        }
        double Pe[MAXN * MAXN];
        ck_assert_double_eq_tol(exact_cost(&p, Pe), w1, 1e-9);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(exact_hand_solved)
{
    double P[9], cost;
    torta_err e = {0};
    /* 2x2: x11 = t in [0, .3] and cost 2.2 - 3t, so t = .3 */
    const double a2[] = {0.6, 0.4}, b2[] = {0.3, 0.7}, C2[] = {1, 2, 3, 1};
    ck_assert_int_eq(torta_ot_exact(2, 2, a2, b2, C2, P, &cost, &e), 0);
    ck_assert_double_eq_tol(cost, 1.3, 1e-12);
    const double P2[] = {0.3, 0.3, 0.0, 0.4};
    ck_assert_double_le(max_abs_diff(P, P2, 4), 1e-12);
    /* 3x3 assignment with unit masses: rows -> columns 1, 0, 2 cost 1 + 2 + 2 = 5 (unique) */
    const double a3[] = {1, 1, 1}, C3[] = {4, 1, 3, 2, 0, 5, 3, 2, 2};
    ck_assert_int_eq(torta_ot_exact(3, 3, a3, a3, C3, P, &cost, &e), 0);
    ck_assert_double_eq_tol(cost, 5.0, 1e-12);
    const double P3[] = {0, 1, 0, 1, 0, 0, 0, 0, 1};
    ck_assert_double_le(max_abs_diff(P, P3, 9), 1e-12);
    /* 2x3: row 0 fills columns 0 and 1, row 1 column 2; cost 0.3 */
    const double a23[] = {0.5, 0.5}, b23[] = {0.2, 0.3, 0.5}, C23[] = {0, 1, 2, 2, 1, 0};
    ck_assert_int_eq(torta_ot_exact(2, 3, a23, b23, C23, P, &cost, &e), 0);
    ck_assert_double_eq_tol(cost, 0.3, 1e-12);
    const double P23[] = {0.2, 0.3, 0, 0, 0, 0.5};
    ck_assert_double_le(max_abs_diff(P, P23, 6), 1e-12);
}
END_TEST

/* 1x1 unbalanced has a closed form: c + reg log P + rho log(P/a) + rho log(P/b) = 0. */
START_TEST(unbalanced_closed_form_1x1)
{
    const double a = 2.0, b = 0.5, c = 0.3, reg = 0.1, rho = 0.7;
    double P;
    torta_ot_ws *ws = new_ws(1, 1);
    torta_ot_params prm = torta_ot_params_default(reg);
    prm.rho = rho;
    prm.tol = 1e-14;
    torta_err e = {0};
    ck_assert_int_eq(torta_ot_sinkhorn(ws, 1, 1, &a, &b, &c, &prm, &P, NULL, &e), 0);
    ck_assert_double_eq_tol(P, exp((rho * log(a * b) - c) / (reg + 2 * rho)), 1e-13);
    torta_ot_ws_free(ws);
}
END_TEST

/* Optimality of the unbalanced plan: C_ij + reg log P_ij + rho log(r_i/a_i) + rho log(c_j/b_j)
 * = 0 for every entry (r, c the plan's marginals). */
START_TEST(unbalanced_optimality_conditions)
{
    inst p;
    random_inst(&p, 6, 9, "ub", 1.0);
    for (int j = 0; j < 9; j++)
        p.b[j] *= 1.7; /* unequal masses */
    static const double rhos[] = {0.05, 1.0, 30.0};
    for (size_t k = 0; k < 3; k++) {
        const double reg = 0.05, rho = rhos[k];
        double P[MAXN * MAXN], r[MAXN] = {0}, c[MAXN] = {0};
        torta_ot_stats st = solve(&p, reg, rho, 1e-13, P);
        ck_assert(st.converged);
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 9; j++) {
                r[i] += P[i * 9 + j];
                c[j] += P[i * 9 + j];
            }
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 9; j++) {
                double kkt = p.C[i * 9 + j] + reg * log(P[i * 9 + j]) +
                             rho * log(r[i] / p.a[i]) + rho * log(c[j] / p.b[j]);
                ck_assert_msg(fabs(kkt) < 1e-9, "rho %g: KKT residual %g at (%d,%d)", rho, kkt,
                              i, j);
            }
    }
}
END_TEST

START_TEST(zero_mass_rows_and_columns)
{
    inst p;
    random_inst(&p, 5, 6, "zero", 1.0);
    p.a[1] = 0.0;
    p.b[4] = 0.0;
    double s = 0.0;
    for (int j = 0; j < 6; j++)
        s += p.b[j];
    for (int j = 0; j < 6; j++)
        p.b[j] /= s;
    s = 0.0;
    for (int i = 0; i < 5; i++)
        s += p.a[i];
    for (int i = 0; i < 5; i++)
        p.a[i] /= s;
    double P[MAXN * MAXN], Pe[MAXN * MAXN];
    for (int variant = 0; variant < 2; variant++) {
        solve(&p, 0.02, variant ? 2.0 : INFINITY, 1e-12, P);
        for (int j = 0; j < 6; j++)
            ck_assert(P[1 * 6 + j] == 0.0);
        for (int i = 0; i < 5; i++)
            ck_assert(P[i * 6 + 4] == 0.0);
        if (!variant)
            ck_assert_double_le(marg_err(&p, P), 1e-10);
    }
    double ce = exact_cost(&p, Pe);
    ck_assert_double_le(marg_err(&p, Pe), 1e-12);
    solve(&p, 0.001, INFINITY, 1e-12, P);
    ck_assert_double_le(fabs(torta_ot_cost(5, 6, p.C, P) - ce), 0.001 * log(30.0));
}
END_TEST

/* Re-solving a slightly perturbed problem from the previous potentials takes fewer iterations
 * than from scratch, and lands on the same plan. */
START_TEST(warm_start_fewer_iterations)
{
    for (int variant = 0; variant < 2; variant++) {
        inst p0, p1;
        random_inst(&p0, 10, 10, "warm", 1.0);
        p1 = p0;
        gsl_rng *r = torta_rng_stream(3, "perturb");
        for (int k = 0; k < 100; k++)
            p1.C[k] += 1e-3 * (gsl_rng_uniform(r) - 0.5);
        p1.a[0] += 1e-3;
        p1.a[1] -= 1e-3;
        gsl_rng_free(r);
        torta_ot_params prm = torta_ot_params_default(0.05);
        prm.rho = variant ? 1.0 : INFINITY;
        double Pc[100], Pw[100];
        torta_ot_stats cold, warm, st;
        torta_err e = {0};
        torta_ot_ws *ws = new_ws(10, 10);
        prm.warm_start = 0;
        ck_assert_int_eq(torta_ot_sinkhorn(ws, 10, 10, p1.a, p1.b, p1.C, &prm, Pc, &cold, &e), 0);
        ck_assert_int_eq(torta_ot_sinkhorn(ws, 10, 10, p0.a, p0.b, p0.C, &prm, Pw, &st, &e), 0);
        prm.warm_start = 1;
        ck_assert_int_eq(torta_ot_sinkhorn(ws, 10, 10, p1.a, p1.b, p1.C, &prm, Pw, &warm, &e), 0);
        ck_assert(cold.converged && warm.converged);
        ck_assert_msg(warm.iterations < cold.iterations, "variant %d: warm %d >= cold %d",
                      variant, warm.iterations, cold.iterations);
        ck_assert_double_le(max_abs_diff(Pc, Pw, 100), 1e-8);
        torta_ot_ws_free(ws);
    }
}
END_TEST

/* Unchanged costs: the previous kernel is reused (no log-sum-exp pass) and gives the same plan
 * as a cold solve; a row that was empty before and has mass now is handled. */
START_TEST(same_cost_reuses_kernel)
{
    inst p0, p1;
    random_inst(&p0, 8, 7, "reuse", 1.0);
    p1 = p0;
    p1.a[2] += 0.01;
    p1.a[5] -= 0.01;
    torta_ot_params prm = torta_ot_params_default(0.03);
    double P[56], Pc[56];
    torta_ot_stats st;
    torta_err e = {0};
    torta_ot_ws *ws = new_ws(8, 7);
    ck_assert_int_eq(torta_ot_sinkhorn(ws, 8, 7, p0.a, p0.b, p0.C, &prm, P, &st, &e), 0);
    ck_assert_int_eq(torta_ot_sinkhorn(ws, 8, 7, p1.a, p1.b, p1.C, &prm, P, &st, &e), 0);
    ck_assert_int_eq(st.log_steps, 0);
    solve(&p1, 0.03, INFINITY, 1e-9, Pc);
    ck_assert_double_le(max_abs_diff(P, Pc, 56), 1e-9);
    /* row 3 empty, then back */
    inst p2 = p1;
    p2.a[4] += p2.a[3];
    p2.a[3] = 0.0;
    ck_assert_int_eq(torta_ot_sinkhorn(ws, 8, 7, p2.a, p2.b, p2.C, &prm, P, &st, &e), 0);
    for (int j = 0; j < 7; j++)
        ck_assert(P[3 * 7 + j] == 0.0);
    ck_assert_int_eq(torta_ot_sinkhorn(ws, 8, 7, p1.a, p1.b, p1.C, &prm, P, &st, &e), 0);
    ck_assert_double_le(max_abs_diff(P, Pc, 56), 1e-9);
    /* reg changed: the kernel is rebuilt */
    prm.reg = 0.04;
    ck_assert_int_eq(torta_ot_sinkhorn(ws, 8, 7, p1.a, p1.b, p1.C, &prm, P, &st, &e), 0);
    ck_assert_int_ge(st.log_steps, 1);
    solve(&p1, 0.04, INFINITY, 1e-9, Pc);
    ck_assert_double_le(max_abs_diff(P, Pc, 56), 1e-9);
    torta_ot_ws_free(ws);
}
END_TEST

START_TEST(scale_and_determinism)
{
    inst p, q;
    random_inst(&p, 12, 9, "scale", 3.0);
    q = p;
    for (int i = 0; i < 12; i++)
        q.a[i] *= 1e6;
    for (int j = 0; j < 9; j++)
        q.b[j] *= 1e6;
    double P[MAXN * MAXN], Q[MAXN * MAXN], P2[MAXN * MAXN];
    solve(&p, 0.1, INFINITY, 1e-12, P);
    solve(&p, 0.1, INFINITY, 1e-12, P2);
    ck_assert(memcmp(P, P2, 108 * sizeof *P) == 0);
    solve(&q, 0.1, INFINITY, 1e-12, Q);
    for (int k = 0; k < 108; k++)
        ck_assert_double_le(fabs(Q[k] * 1e-6 - P[k]), 1e-12);
}
END_TEST

START_TEST(max_iter_reports_not_converged)
{
    inst p;
    random_inst(&p, 10, 10, "maxit", 1.0);
    torta_ot_ws *ws = new_ws(10, 10);
    torta_ot_params prm = torta_ot_params_default(0.01);
    prm.max_iter = 1;
    torta_ot_stats st;
    torta_err e = {0};
    double P[100];
    ck_assert_int_eq(torta_ot_sinkhorn(ws, 10, 10, p.a, p.b, p.C, &prm, P, &st, &e), 0);
    ck_assert_int_eq(st.iterations, 1);
    ck_assert_int_eq(st.converged, 0);
    ck_assert_double_gt(st.err, 1e-9);
    torta_ot_ws_free(ws);
}
END_TEST

#define EXPECT_ERR(call, text)                                                                   \
    do {                                                                                         \
        torta_err e_ = {0};                                                                      \
        torta_err *e = &e_;                                                                      \
        ck_assert_int_eq((call), TORTA_EINPUT);                                                  \
        ck_assert_msg(strstr(e_.msg, (text)) != NULL, "message '%s' lacks '%s'", e_.msg, (text)); \
    } while (0)

START_TEST(bad_input_errors)
{
    torta_ot_ws *ws = new_ws(3, 4);
    torta_ot_params prm = torta_ot_params_default(0.1);
    double a[] = {0.5, -0.5, 1.0}, b[] = {0.25, 0.25, 0.25, 0.25}, C[12] = {0}, P[12];
    EXPECT_ERR(torta_ot_sinkhorn(ws, 3, 4, a, b, C, &prm, P, NULL, e), "a[1]: negative mass -0.5");
    EXPECT_ERR(torta_ot_exact(3, 4, a, b, C, P, NULL, e), "a[1]: negative mass -0.5");
    a[1] = 0.0;
    a[0] = INFINITY;
    EXPECT_ERR(torta_ot_sinkhorn(ws, 3, 4, a, b, C, &prm, P, NULL, e),
               "a[0]: mass is not a finite number");
    a[0] = 0.0;
    b[2] = -1e-3;
    EXPECT_ERR(torta_ot_exact(3, 4, a, b, C, P, NULL, e), "b[2]: negative mass");
    b[2] = 0.25;
    EXPECT_ERR(torta_ot_sinkhorn(ws, 4, 3, a, b, C, &prm, P, NULL, e),
               "OT size mismatch: problem is 4 x 3 but the workspace is 3 x 4");
    prm.reg = 0.0;
    EXPECT_ERR(torta_ot_sinkhorn(ws, 3, 4, a, b, C, &prm, P, NULL, e),
               "reg = 0: the entropic regularisation must be finite and > 0");
    prm.reg = -1.0;
    EXPECT_ERR(torta_ot_sinkhorn(ws, 3, 4, a, b, C, &prm, P, NULL, e), "reg = -1:");
    prm.reg = NAN;
    EXPECT_ERR(torta_ot_sinkhorn(ws, 3, 4, a, b, C, &prm, P, NULL, e), "reg = nan:");
    prm.reg = 0.1;
    prm.rho = NAN;
    EXPECT_ERR(torta_ot_sinkhorn(ws, 3, 4, a, b, C, &prm, P, NULL, e), "rho is NaN");
    prm.rho = INFINITY;
    /* a sums to 1.0, b to 1.5 */
    a[2] = 1.0;
    b[3] = 0.75;
    EXPECT_ERR(torta_ot_sinkhorn(ws, 3, 4, a, b, C, &prm, P, NULL, e),
               "source mass 1 != target mass 1.5: balanced OT needs equal masses");
    EXPECT_ERR(torta_ot_exact(3, 4, a, b, C, P, NULL, e), "source mass 1 != target mass 1.5");
    b[3] = 0.25;
    C[6] = NAN;
    EXPECT_ERR(torta_ot_sinkhorn(ws, 3, 4, a, b, C, &prm, P, NULL, e),
               "C[1][2]: cost is not a finite number");
    EXPECT_ERR(torta_ot_exact(3, 4, a, b, C, P, NULL, e), "C[1][2]: cost is not a finite number");
    C[6] = 0.0;
    /* unbalanced with costs far below -rho: the optimal plan itself overflows a double */
    for (int k = 0; k < 12; k++)
        C[k] = -2000.0;
    prm.rho = 1.0;
    EXPECT_ERR(torta_ot_sinkhorn(ws, 3, 4, a, b, C, &prm, P, NULL, e), "Sinkhorn overflowed");
    torta_ot_ws_free(ws);
    torta_ot_ws *bad = NULL;
    EXPECT_ERR(torta_ot_ws_new(0, 3, &bad, e), "OT size 0 x 3");
    ck_assert_ptr_null(bad);
    EXPECT_ERR(torta_ot_exact(2, 0, a, b, C, P, NULL, e), "OT size 2 x 0");
}
END_TEST

/* A workspace whose potentials no longer fit (costs changed by orders of magnitude) still
 * solves the new problem correctly. */
START_TEST(warm_start_from_unrelated_problem)
{
    inst p, q;
    random_inst(&p, 6, 6, "unrel", 1.0);
    q = p;
    for (int k = 0; k < 36; k++)
        q.C[k] = 300.0 * p.C[k] - 100.0;
    double P[36], Q[36];
    for (int variant = 0; variant < 2; variant++) {
        double rho = variant ? 5.0 : INFINITY;
        torta_ot_ws *ws = new_ws(6, 6);
        torta_ot_params prm = torta_ot_params_default(0.5);
        prm.rho = rho;
        prm.tol = 1e-12;
        torta_err e = {0};
        ck_assert_int_eq(torta_ot_sinkhorn(ws, 6, 6, p.a, p.b, p.C, &prm, P, NULL, &e), 0);
        ck_assert_msg(torta_ot_sinkhorn(ws, 6, 6, q.a, q.b, q.C, &prm, P, NULL, &e) == 0, "%s",
                      e.msg);
        solve(&q, 0.5, rho, 1e-12, Q);
        ck_assert_double_le(max_abs_diff(P, Q, 36), 1e-9);
        torta_ot_ws_free(ws);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ot");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, balanced_marginals_and_potentials);
    tcase_add_test(tc, pot_doc_example);
    tcase_add_test(tc, variants_agree);
    tcase_add_test(tc, tiny_reg_stays_finite);
    tcase_add_test(tc, huge_penalty_recovers_balanced);
    tcase_add_test(tc, entropic_bias_bound);
    tcase_add_test(tc, w1_closed_form_1d);
    tcase_add_test(tc, exact_hand_solved);
    tcase_add_test(tc, unbalanced_closed_form_1x1);
    tcase_add_test(tc, unbalanced_optimality_conditions);
    tcase_add_test(tc, zero_mass_rows_and_columns);
    tcase_add_test(tc, warm_start_fewer_iterations);
    tcase_add_test(tc, same_cost_reuses_kernel);
    tcase_add_test(tc, scale_and_determinism);
    tcase_add_test(tc, max_iter_reports_not_converged);
    tcase_add_test(tc, bad_input_errors);
    tcase_add_test(tc, warm_start_from_unrelated_problem);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
