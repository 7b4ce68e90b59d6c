/* Unit tests of the exact OT solver (network simplex): on random instances, balanced and with
 * TORTA's dummy row and column, square and rectangular, with ties, equal masses and zero masses,
 * the cost equals the optimum of the same LP solved by GLPK's simplex (an independent solver),
 * the marginals hold, the plan is a vertex (at most n + m - 1 non-zeros), the potentials certify
 * optimality (no negative reduced cost, zero on the basis), and the same input gives the same
 * plan bytes. */
#include <check.h>
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ot/ot_internal.h"
#include "torta/ot.h"
#include "torta/rng.h"
#include "run_suite.h"

/* A problem and its solution; arrays on the heap (sizes up to a few hundred). */
typedef struct {
    int n, m;
    double *a, *b, *C, *P;
} prob;

static prob prob_new(int n, int m)
{
    prob p = {.n = n, .m = m};
    p.a = calloc((size_t)n, sizeof *p.a);
    p.b = calloc((size_t)m, sizeof *p.b);
    p.C = calloc((size_t)n * m, sizeof *p.C);
    p.P = calloc((size_t)n * m, sizeof *p.P);
    ck_assert(p.a && p.b && p.C && p.P);
    return p;
}

static void prob_free(prob *p)
{
    free(p->a);
    free(p->b);
    free(p->C);
    free(p->P);
}

/* The transportation LP solved by GLPK's primal simplex (tight tolerances): the reference cost. */
static double lp_cost(const prob *p)
{
    const int n = p->n, m = p->m, nm = n * m;
    int *ia = malloc((2 * (size_t)nm + 1) * sizeof *ia), *ja = malloc((2 * (size_t)nm + 1) * sizeof *ja);
    double *ar = malloc((2 * (size_t)nm + 1) * sizeof *ar);
    ck_assert(ia && ja && ar);
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_rows(lp, n + m);
    for (int i = 0; i < n; i++)
        glp_set_row_bnds(lp, i + 1, GLP_FX, p->a[i], p->a[i]);
    for (int j = 0; j < m; j++)
        glp_set_row_bnds(lp, n + j + 1, GLP_FX, p->b[j], p->b[j]);
    glp_add_cols(lp, nm);
    int k = 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            int col = i * m + j + 1;
            glp_set_col_bnds(lp, col, GLP_LO, 0.0, 0.0);
            glp_set_obj_coef(lp, col, p->C[i * m + j]);
            ia[k] = i + 1, ja[k] = col, ar[k++] = 1.0;
            ia[k] = n + j + 1, ja[k] = col, ar[k++] = 1.0;
        }
    glp_load_matrix(lp, 2 * nm, ia, ja, ar);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.tol_bnd = 1e-12;
    parm.tol_dj = 1e-12;
    int old = glp_term_out(GLP_OFF);
    ck_assert_int_eq(glp_simplex(lp, &parm), 0);
    glp_term_out(old);
    ck_assert_int_eq(glp_get_status(lp), GLP_OPT);
    double z = glp_get_obj_val(lp);
    glp_delete_prob(lp);
    free(ia);
    free(ja);
    free(ar);
    return z;
}

/* Solves p, checks marginals (1e-12 relative), the vertex property and the cost against the
 * LP's (1e-9) when `lp` is set; returns the cost. */
static double solve_and_check(prob *p, int lp)
{
    torta_err e = {0};
    double cost;
    ck_assert_msg(torta_ot_exact(p->n, p->m, p->a, p->b, p->C, p->P, &cost, &e) == 0, "%s", e.msg);
    double mass = 0.0;
    for (int i = 0; i < p->n; i++)
        mass += p->a[i];
    int nonzero = 0;
    for (int i = 0; i < p->n; i++) {
        double s = 0.0;
        for (int j = 0; j < p->m; j++) {
            double x = p->P[i * p->m + j];
            ck_assert_msg(x >= 0.0 && isfinite(x), "P[%d][%d] = %g", i, j, x);
            nonzero += x > 0.0;
            s += x;
        }
        ck_assert_msg(fabs(s - p->a[i]) <= 1e-12 * mass, "row %d: %.17g vs %.17g", i, s, p->a[i]);
    }
    for (int j = 0; j < p->m; j++) {
        double s = 0.0;
        for (int i = 0; i < p->n; i++)
            s += p->P[i * p->m + j];
        ck_assert_msg(fabs(s - p->b[j]) <= 1e-12 * mass, "column %d: %.17g vs %.17g", j, s,
                      p->b[j]);
    }
    ck_assert_int_le(nonzero, p->n + p->m - 1);
    ck_assert_double_eq(cost, torta_ot_cost(p->n, p->m, p->C, p->P));
    if (lp) {
        double ref = lp_cost(p);
        ck_assert_msg(fabs(cost - ref) <= 1e-9, "%dx%d: cost %.17g, LP %.17g", p->n, p->m, cost,
                      ref);
    }
    return cost;
}

/* Masses U[lo, 1] (lo = 0: some exactly 0 when `zeros`), costs U[0,1] x scale, or integers
 * 0..3 when `ties`; both sides normalised to total 1. */
static void fill_random(prob *p, gsl_rng *r, double lo, int zeros, int ties, double scale)
{
    double sa = 0.0, sb = 0.0;
    for (int i = 0; i < p->n; i++)
        sa += p->a[i] = zeros && gsl_rng_uniform(r) < 0.3 ? 0.0 : lo + (1 - lo) * gsl_rng_uniform(r);
    for (int j = 0; j < p->m; j++)
        sb += p->b[j] = zeros && gsl_rng_uniform(r) < 0.3 ? 0.0 : lo + (1 - lo) * gsl_rng_uniform(r);
    if (sa == 0.0)
        sa += p->a[0] = 1.0;
    if (sb == 0.0)
        sb += p->b[0] = 1.0;
    for (int i = 0; i < p->n; i++)
        p->a[i] /= sa;
    for (int j = 0; j < p->m; j++)
        p->b[j] /= sb;
    for (int k = 0; k < p->n * p->m; k++)
        p->C[k] = ties ? (double)gsl_rng_uniform_int(r, 4) : scale * gsl_rng_uniform(r);
}

START_TEST(random_matches_lp)
{
    static const int sizes[][2] = {{1, 1}, {1, 7}, {7, 1}, {2, 2}, {3, 7}, {9, 4}, {12, 12},
                                   {25, 40}, {40, 25}, {50, 50}};
    gsl_rng *r = torta_rng_stream(7, "ot_exact_random");
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int rep = 0; rep < 4; rep++) {
            prob p = prob_new(sizes[s][0], sizes[s][1]);
            fill_random(&p, r, 0.1, 0, 0, rep == 3 ? 1e3 : 1.0);
            if (rep == 2) /* negative costs too */
                for (int k = 0; k < p.n * p.m; k++)
                    p.C[k] -= 0.5;
            solve_and_check(&p, 1);
            prob_free(&p);
        }
    gsl_rng_free(r);
}
END_TEST

/* Degenerate problems: integer costs with many ties, equal masses (assignment-like: every basis
 * is degenerate), zero-mass rows and columns, and all of these together. */
START_TEST(degenerate_matches_lp)
{
    gsl_rng *r = torta_rng_stream(7, "ot_exact_degenerate");
    for (int rep = 0; rep < 24; rep++) {
        int n = 2 + (int)gsl_rng_uniform_int(r, 30), m = 2 + (int)gsl_rng_uniform_int(r, 30);
        if (rep % 4 == 1)
            m = n;
        prob p = prob_new(n, m);
        int ties = rep % 2, zeros = rep % 3 == 0, equal = rep % 4 == 1;
        fill_random(&p, r, 0.1, zeros, ties, 1.0);
        if (equal) {
            for (int i = 0; i < n; i++)
                p.a[i] = 1.0 / n;
            for (int j = 0; j < m; j++)
                p.b[j] = 1.0 / m;
        }
        solve_and_check(&p, 1);
        prob_free(&p);
    }
    gsl_rng_free(r);
}
END_TEST

/* The OT planner's shape (src/sched/macro/ot_planner.c): n regions plus a dummy row (idle
 * capacity, cost 0) and a dummy column (overflow, cost above every real one), every mass floored
 * at 1e-9 so many are equal, demand above and below capacity. */
START_TEST(dummy_rows_match_lp)
{
    gsl_rng *r = torta_rng_stream(7, "ot_exact_dummy");
    for (int rep = 0; rep < 12; rep++) {
        int n = 3 + (int)gsl_rng_uniform_int(r, 40), m = n + 1;
        prob p = prob_new(m, m);
        double A = 0, B = 0, cmax = 0;
        for (int i = 0; i < n; i++) {
            p.a[i] = gsl_rng_uniform(r) < 0.4 ? 0.0 : gsl_rng_uniform(r);
            p.b[i] = gsl_rng_uniform(r) < 0.3 ? 0.0 : (rep % 2 ? 2.0 : 0.5) * gsl_rng_uniform(r);
            A += p.a[i];
            B += p.b[i];
        }
        double total = fmax(fmax(A, B), 1e-300);
        for (int i = 0; i < n; i++) {
            p.a[i] = p.a[i] / total + 1e-9;
            p.b[i] = p.b[i] / total + 1e-9;
        }
        p.a[n] = fmax(B - A, 0.0) / total + 1e-9;
        p.b[n] = fmax(A - B, 0.0) / total + 1e-9;
        double sa = 0, sb = 0;
        for (int k = 0; k < m; k++)
            sa += p.a[k], sb += p.b[k];
        if (sa > sb)
            p.b[n] += sa - sb;
        else
            p.a[n] += sb - sa;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                cmax = fmax(cmax, p.C[i * m + j] = gsl_rng_uniform(r) < 0.1 ? 1e3 : gsl_rng_uniform(r));
        for (int i = 0; i < n; i++)
            p.C[i * m + n] = cmax + 1.0;
        solve_and_check(&p, 1);
        prob_free(&p);
    }
    gsl_rng_free(r);
}
END_TEST

/* The potentials certify optimality on sizes too large for the LP: reduced costs >= -1e-12
 * everywhere and |.| <= 1e-12 on the basis; the basis is a forest of <= n + m - 1 arcs. */
START_TEST(potentials_certify_optimum)
{
    gsl_rng *r = torta_rng_stream(7, "ot_exact_certificate");
    static const int sizes[][2] = {{200, 200}, {150, 320}, {300, 90}};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int ties = 0; ties < 2; ties++) {
            int n = sizes[s][0], m = sizes[s][1];
            prob p = prob_new(n, m);
            fill_random(&p, r, 0.0, 0, ties, 1.0);
            for (int i = 0; i < n; i++)
                p.a[i] += 1e-12; /* keep every mass positive (the solver's precondition) */
            double sb = 0.0, sa = 0.0;
            for (int i = 0; i < n; i++)
                sa += p.a[i];
            for (int j = 0; j < m; j++)
                sb += p.b[j];
            for (int j = 0; j < m; j++)
                p.b[j] = p.b[j] * sa / sb + 1e-300;
            torta_ot_arc *arcs = malloc((size_t)(n + m) * sizeof *arcs);
            double *pot = malloc((size_t)(n + m) * sizeof *pot);
            ck_assert(arcs && pot);
            torta_ot_basis basis = {.arcs = arcs, .pot = pot};
            torta_err e = {0};
            ck_assert_msg(torta_ot_network_simplex(n, m, p.C, (size_t)m, p.a, p.b, &basis, &e) == 0,
                          "%s", e.msg);
            ck_assert_int_le(basis.narcs, n + m - 1);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < m; j++)
                    ck_assert_double_ge(p.C[i * m + j] + pot[i] - pot[n + j], -1e-12);
            for (int k = 0; k < basis.narcs; k++) {
                int i = arcs[k].i, j = arcs[k].j;
                ck_assert_double_le(fabs(p.C[i * m + j] + pot[i] - pot[n + j]), 1e-12);
                ck_assert_double_ge(arcs[k].flow, 0.0);
            }
            free(arcs);
            free(pot);
            prob_free(&p);
        }
    gsl_rng_free(r);
}
END_TEST

/* Same input, same plan bytes; scaling masses and costs scales the plan and the cost. */
START_TEST(deterministic_and_scale_free)
{
    gsl_rng *r = torta_rng_stream(7, "ot_exact_determinism");
    prob p = prob_new(60, 45), q = prob_new(60, 45);
    fill_random(&p, r, 0.1, 1, 0, 1.0);
    double c1 = solve_and_check(&p, 0);
    memcpy(q.a, p.a, 60 * sizeof *q.a);
    memcpy(q.b, p.b, 45 * sizeof *q.b);
    memcpy(q.C, p.C, 60 * 45 * sizeof *q.C);
    double c2 = solve_and_check(&q, 0);
    ck_assert(memcmp(p.P, q.P, 60 * 45 * sizeof *p.P) == 0);
    ck_assert(c1 == c2);
    for (int i = 0; i < 60; i++)
        q.a[i] *= 1e3;
    for (int j = 0; j < 45; j++)
        q.b[j] *= 1e3;
    for (int k = 0; k < 60 * 45; k++)
        q.C[k] *= 1e-4;
    double c3 = solve_and_check(&q, 0);
    ck_assert_double_eq_tol(c3, c1 * 1e3 * 1e-4, 1e-12 * fabs(c1));
    for (int k = 0; k < 60 * 45; k++)
        ck_assert_double_eq_tol(q.P[k], 1e3 * p.P[k], 1e-12);
    for (int k = 0; k < 60 * 45; k++) /* costs near the top and bottom of the double range */
        q.C[k] = ldexp(p.C[k], 1023);
    memcpy(q.a, p.a, 60 * sizeof *q.a);
    memcpy(q.b, p.b, 45 * sizeof *q.b);
    solve_and_check(&q, 0);
    ck_assert(memcmp(p.P, q.P, 60 * 45 * sizeof *p.P) == 0);
    for (int k = 0; k < 60 * 45; k++)
        q.C[k] = ldexp(p.C[k], -1000);
    solve_and_check(&q, 0);
    ck_assert(memcmp(p.P, q.P, 60 * 45 * sizeof *p.P) == 0);
    prob_free(&p);
    prob_free(&q);
    gsl_rng_free(r);
}
END_TEST

/* Masses that differ within the accepted 1e-9: b is rescaled onto a's total. */
START_TEST(near_balanced_masses)
{
    prob p = prob_new(3, 2);
    const double a[] = {0.2, 0.3, 0.5}, b[] = {0.4, 0.6 * (1 + 5e-10)}, C[] = {0, 1, 1, 0, 2, 3};
    memcpy(p.a, a, sizeof a);
    memcpy(p.b, b, sizeof b);
    memcpy(p.C, C, sizeof C);
    torta_err e = {0};
    double cost;
    ck_assert_msg(torta_ot_exact(3, 2, p.a, p.b, p.C, p.P, &cost, &e) == 0, "%s", e.msg);
    double s = 0.0;
    for (int k = 0; k < 6; k++)
        s += p.P[k];
    ck_assert_double_eq_tol(s, 1.0, 1e-15);
    ck_assert_double_eq_tol(cost, 1.3, 1e-6); /* e.g. row 2 fills column 0, the rest go to 1 */
    prob_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ot_exact");
    TCase *tc = tcase_create("network_simplex");
    tcase_add_test(tc, random_matches_lp);
    tcase_add_test(tc, degenerate_matches_lp);
    tcase_add_test(tc, dummy_rows_match_lp);
    tcase_add_test(tc, potentials_certify_optimum);
    tcase_add_test(tc, deterministic_and_scale_free);
    tcase_add_test(tc, near_balanced_masses);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
