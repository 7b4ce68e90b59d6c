/* Optimal transport between two discrete measures: entropic Sinkhorn in the log domain (balanced
 * and unbalanced, warm-started from the previous potentials) and an exact solver (network simplex).
 * The macro layer solves one problem per timeslot; docs/ot.md gives the formulas and figures.
 *
 * Conventions: a (n source masses), b (m target masses), C (n*m costs) and plans (n*m) are
 * row-major: entry (i, j) is at [i * m + j]. Masses are non-negative and finite; costs finite. */
#ifndef TORTA_OT_H
#define TORTA_OT_H

#include "torta/err.h"

/* Workspace reused across solves of one size: the kernel matrix, scratch vectors and the dual
 * potentials (f, g) of the last solve, which seed the next solve when warm_start is set. No
 * allocation happens inside a solve. Not thread-safe: one workspace per thread. */
typedef struct torta_ot_ws torta_ot_ws;

int torta_ot_ws_new(int n, int m, torta_ot_ws **out, torta_err *e);
void torta_ot_ws_free(torta_ot_ws *ws);
/* Forgets the stored potentials: the next solve starts cold even with warm_start set. */
void torta_ot_ws_reset(torta_ot_ws *ws);
/* The potentials of the last successful solve (NULL before any): f has n entries, g has m, in
 * cost units; plan(i,j) = exp((f_i + g_j - C_ij) / reg). Entries of zero-mass rows/columns are
 * meaningless (their plan entries are exactly 0). */
void torta_ot_ws_potentials(const torta_ot_ws *ws, const double **f, const double **g);

typedef struct torta_ot_params {
    double reg;     /* entropic regularisation epsilon, > 0, in cost units */
    double rho;     /* marginal KL strength; <= 0 or INFINITY: balanced (exact marginals) */
    int max_iter;   /* Sinkhorn iterations (one row and one column update each); <= 0: 10000 */
    double tol;     /* stop when one row update changes the row marginal by <= tol x the
                       plan's mass in L1 (balanced: the row-marginal error); <= 0: 1e-9 */
    int warm_start; /* start from the workspace's potentials when it has some */
} torta_ot_params;

/* Defaults: the given reg, balanced, max_iter 10000, tol 1e-9, warm start on. */
torta_ot_params torta_ot_params_default(double reg);

typedef struct torta_ot_stats {
    int iterations;     /* Sinkhorn iterations done */
    int converged;      /* 1 when the tolerance was met within max_iter */
    int log_steps;      /* half-steps done with the full log-sum-exp (kernel rebuilt) */
    double err;         /* stopping criterion at exit, in mass units */
    double marg_err_a;  /* sum_i |plan row sum i - a_i| of the returned plan */
    double marg_err_b;  /* sum_j |plan column sum j - b_j| of the returned plan */
} torta_ot_stats;

/* Entropic OT (reg > 0), returning the plan (n*m, row-major) into `plan`.
 * Balanced (p->rho <= 0 or INFINITY):  min <C,P> + reg sum P (log P - 1)
 *   s.t. P 1 = a, P^T 1 = b; requires sum a == sum b to 1e-9 relative, else TORTA_EINPUT
 *   (normalise both, or use the unbalanced variant). Same fixed point as POT ot.sinkhorn.
 * Unbalanced (0 < rho < INFINITY):  min <C,P> + reg sum P (log P - 1)
 *   + rho KL(P 1 | a) + rho KL(P^T 1 | b)  (generalised KL); same fixed point as POT
 *   ot.unbalanced.sinkhorn_unbalanced(a, b, C, reg, reg_m=rho).
 * Log-domain updates with max-subtraction; between full log-sum-exp passes it iterates on a
 * stabilised kernel exp((f~_i + g~_j - C_ij)/reg), so small reg (1e-4 on costs in [0,1]) stays
 * finite. n, m must equal the workspace's size. Not converging within max_iter is not an error:
 * check st->converged. st may be NULL. Returns 0 or TORTA_EINPUT (negative or non-finite mass,
 * non-finite cost, reg <= 0, size mismatch, unequal masses when balanced). */
int torta_ot_sinkhorn(torta_ot_ws *ws, int n, int m, const double *a, const double *b,
                      const double *C, const torta_ot_params *p, double *plan,
                      torta_ot_stats *st, torta_err *e);

/* Exact (unregularised) balanced OT: min <C,P> s.t. P 1 = a, P^T 1 = b, P >= 0, solved by a
 * network simplex for the transportation problem (the algorithm of POT's ot.emd). Requires
 * sum a == sum b to 1e-9 relative (b is rescaled by sum a / sum b inside that tolerance). plan
 * (n*m) receives an optimal vertex (at most n + m - 1 non-zeros; zero-mass rows and columns are
 * 0); the same input gives the same plan bytes. cost (may be NULL) receives <C, plan>. Needs
 * O(n + m) memory besides the plan (plus a copy of C when some mass is 0). Returns 0,
 * TORTA_EINPUT, TORTA_ENOMEM or TORTA_EINTERNAL. */
int torta_ot_exact(int n, int m, const double *a, const double *b, const double *C, double *plan,
                   double *cost, torta_err *e);

/* <C, plan> = sum_ij C_ij plan_ij, summed in row-major order. */
double torta_ot_cost(int n, int m, const double *C, const double *plan);

#endif
