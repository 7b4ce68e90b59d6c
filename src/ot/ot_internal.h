/* Private to src/ot: the workspace layout and input checks shared by the Sinkhorn and exact
 * solvers. */
#ifndef TORTA_OT_INTERNAL_H
#define TORTA_OT_INTERNAL_H

#include "torta/ot.h"

struct torta_ot_ws {
    int n, m;
    int have_pot;          /* f, g hold the potentials of a finished solve */
    double *f, *g;         /* absolute potentials (cost units); persist for warm starts */
    double *fh, *gh;       /* reference potentials the kernel K was built with */
    double *u, *v;         /* scalings: f = fh + reg log u, g = gh + reg log v (0 if inactive) */
    double *K;             /* n*m stabilised kernel exp((fh_i + gh_j - C_ij) / reg) */
    double *Cprev;         /* n*m costs of the last solve: an unchanged C reuses K as is */
    double reg_prev;       /* reg of the last solve */
    int kernel_ok;         /* K, fh, gh, u, v are consistent with Cprev, reg_prev */
    double *rbuf, *cbuf, *cbuf2; /* scratch: n, m, m */
    unsigned char *ract, *cact;  /* row / column has positive mass */
};

/* Checks a mass vector (non-negative, finite); `what` names it ("a", "b"). Stores the sum. */
int torta_ot_check_masses(const double *x, int len, const char *what, double *sum, torta_err *e);
/* Checks every cost is finite. */
int torta_ot_check_costs(int n, int m, const double *C, torta_err *e);
/* Balanced problems need equal masses: |sa - sb| <= 1e-9 * max(sa, sb). */
int torta_ot_check_balance(double sa, double sb, torta_err *e);

#endif
