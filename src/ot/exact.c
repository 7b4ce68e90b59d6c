/* Exact balanced OT (the transportation problem) as a linear programme solved by GLPK's simplex:
 * min sum C_ij x_ij  s.t.  sum_j x_ij = a_i,  sum_i x_ij = b_j,  x >= 0.
 * Serves the tests and the exact-OT baseline; the entropic solver is the fast path. */
#include "ot_internal.h"

#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int torta_ot_exact(int n, int m, const double *a, const double *b, const double *C, double *plan,
                   double *cost, torta_err *e)
{
    if (n < 1 || m < 1)
        return torta_err_set(e, TORTA_EINPUT, "OT size %d x %d: both sides need >= 1 point", n, m);
    if (!a || !b || !C || !plan)
        return torta_err_set(e, TORTA_EINPUT, "torta_ot_exact: NULL argument");
    if ((size_t)n * (size_t)m > (size_t)(INT_MAX / 2 - 1))
        return torta_err_set(e, TORTA_EINPUT, "OT size %d x %d is too large for the LP", n, m);
    double sa, sb;
    int rc;
    if ((rc = torta_ot_check_masses(a, n, "a", &sa, e)) < 0 ||
        (rc = torta_ot_check_masses(b, m, "b", &sb, e)) < 0 ||
        (rc = torta_ot_check_costs(n, m, C, e)) < 0 || (rc = torta_ot_check_balance(sa, sb, e)) < 0)
        return rc;
    const size_t nm = (size_t)n * (size_t)m;
    memset(plan, 0, nm * sizeof *plan);
    if (sa == 0.0) {
        if (cost)
            *cost = 0.0;
        return 0;
    }
    /* Solve on unit masses and costs scaled to max |C| = 1, so GLPK's absolute tolerances mean the
     * same for every input; the optimal vertex does not change. */
    double cmax = 0.0;
    for (size_t k = 0; k < nm; k++)
        cmax = fmax(cmax, fabs(C[k]));
    const double cs = cmax > 0.0 ? 1.0 / cmax : 1.0;

    const size_t ne = 2 * nm;
    int *ia = malloc((ne + 1) * sizeof *ia);
    int *ja = malloc((ne + 1) * sizeof *ja);
    double *ar = malloc((ne + 1) * sizeof *ar);
    if (!ia || !ja || !ar) {
        free(ia);
        free(ja);
        free(ar);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory for a %d x %d transport LP", n, m);
    }
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_rows(lp, n + m);
    for (int i = 0; i < n; i++)
        glp_set_row_bnds(lp, i + 1, GLP_FX, a[i] / sa, a[i] / sa);
    for (int j = 0; j < m; j++)
        glp_set_row_bnds(lp, n + j + 1, GLP_FX, b[j] / sb, b[j] / sb);
    glp_add_cols(lp, (int)nm);
    size_t k = 1;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
            int col = i * m + j + 1;
            glp_set_col_bnds(lp, col, GLP_LO, 0.0, 0.0);
            glp_set_obj_coef(lp, col, C[(size_t)i * m + j] * cs);
            ia[k] = i + 1;
            ja[k] = col;
            ar[k++] = 1.0;
            ia[k] = n + j + 1;
            ja[k] = col;
            ar[k++] = 1.0;
        }
    }
    glp_load_matrix(lp, (int)ne, ia, ja, ar);
    free(ia);
    free(ja);
    free(ar);

    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    /* glp_adv_basis reports on the terminal whatever msg_lev says: silence it, then restore the
     * caller's GLPK setting (GLPK keeps it per thread). */
    int old_term = glp_term_out(GLP_OFF);
    glp_adv_basis(lp, 0);
    int ret = glp_simplex(lp, &parm);
    glp_term_out(old_term);
    int status = glp_get_status(lp);
    if (ret != 0 || status != GLP_OPT) {
        glp_delete_prob(lp);
        return torta_err_set(e, TORTA_EINTERNAL,
                             "exact OT: GLPK simplex failed (return %d, status %d) on a feasible "
                             "%d x %d transport problem",
                             ret, status, n, m);
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
            double x = glp_get_col_prim(lp, i * m + j + 1) * sa;
            plan[(size_t)i * m + j] = x > 0.0 ? x : 0.0; /* drop -1e-17 round-off */
        }
    }
    glp_delete_prob(lp);
    if (cost)
        *cost = torta_ot_cost(n, m, C, plan);
    return 0;
}
