/* Exact balanced OT (the transportation problem):
 *   min sum C_ij x_ij  s.t.  sum_j x_ij = a_i,  sum_i x_ij = b_j,  x >= 0,
 * by the network simplex of network_simplex.c. This file checks the input, leaves zero-mass rows
 * and columns out of the network (their plan entries are 0) and writes the dense plan. Serves the
 * exact-OT baseline, `torta-sim ot --exact` and the tests; the entropic solver is the fast path. */
#include "ot_internal.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The indices of the positive entries of x; returns their count. */
static int positive_indices(const double *x, int len, int *idx)
{
    int k = 0;
    for (int i = 0; i < len; i++)
        if (x[i] > 0.0)
            idx[k++] = i;
    return k;
}

int torta_ot_exact(int n, int m, const double *a, const double *b, const double *C, double *plan,
                   double *cost, torta_err *e)
{
    if (n < 1 || m < 1)
        return torta_err_set(e, TORTA_EINPUT, "OT size %d x %d: both sides need >= 1 point", n, m);
    if (!a || !b || !C || !plan)
        return torta_err_set(e, TORTA_EINPUT, "torta_ot_exact: NULL argument");
    if ((long long)n * m > INT_MAX || n + m > INT_MAX / 2)
        return torta_err_set(e, TORTA_EINPUT, "OT size %d x %d is too large for the exact solver",
                             n, m);
    double sa, sb;
    int rc;
    if ((rc = torta_ot_check_masses(a, n, "a", &sa, e)) < 0 ||
        (rc = torta_ot_check_masses(b, m, "b", &sb, e)) < 0 ||
        (rc = torta_ot_check_costs(n, m, C, e)) < 0 || (rc = torta_ot_check_balance(sa, sb, e)) < 0)
        return rc;
    memset(plan, 0, (size_t)n * (size_t)m * sizeof *plan);
    if (cost)
        *cost = 0.0;
    if (sa == 0.0)
        return 0;

    int *rows = malloc((size_t)n * sizeof *rows), *cols = malloc((size_t)m * sizeof *cols);
    double *ap = malloc((size_t)n * sizeof *ap), *bp = malloc((size_t)m * sizeof *bp);
    torta_ot_arc *arcs = malloc((size_t)(n + m) * sizeof *arcs);
    double *Cp = NULL;
    if (!rows || !cols || !ap || !bp || !arcs) {
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory for a %d x %d transport problem", n, m);
        goto out;
    }
    const int np = positive_indices(a, n, rows), mp = positive_indices(b, m, cols);
    /* b is rescaled onto a's total inside the accepted 1e-9 mismatch, so the network balances. */
    for (int i = 0; i < np; i++)
        ap[i] = a[rows[i]];
    for (int j = 0; j < mp; j++)
        bp[j] = b[cols[j]] * (sa / sb);
    /* Costs beyond 2^+-500 are scaled by a power of two (exactly, so the optimum is the same): the
     * solver's potentials reach twice the largest cost and must not overflow. */
    double cmax = 0.0;
    for (size_t k = 0; k < (size_t)n * m; k++)
        cmax = fabs(C[k]) > cmax ? fabs(C[k]) : cmax;
    const int shift = cmax > 0x1p500 || (cmax > 0.0 && cmax < 0x1p-500) ? -ilogb(cmax) : 0;
    const double *Cs = C;
    size_t ldc = (size_t)m;
    if (np < n || mp < m || shift) { /* (scaled) costs of the positive rows and columns */
        if (!(Cp = malloc((size_t)np * (size_t)mp * sizeof *Cp))) {
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory for a %d x %d transport problem",
                               n, m);
            goto out;
        }
        for (int i = 0; i < np; i++)
            for (int j = 0; j < mp; j++)
                Cp[(size_t)i * mp + j] = ldexp(C[(size_t)rows[i] * m + cols[j]], shift);
        Cs = Cp;
        ldc = (size_t)mp;
    }
    torta_ot_basis basis = {.arcs = arcs};
    if ((rc = torta_ot_network_simplex(np, mp, Cs, ldc, ap, bp, &basis, e)) < 0)
        goto out;
    for (int k = 0; k < basis.narcs; k++)
        plan[(size_t)rows[arcs[k].i] * m + cols[arcs[k].j]] = arcs[k].flow;
    if (cost)
        *cost = torta_ot_cost(n, m, C, plan);
out:
    free(rows);
    free(cols);
    free(ap);
    free(bp);
    free(arcs);
    free(Cp);
    return rc;
}
