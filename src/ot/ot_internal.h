/* Private to src/ot: the workspace layout and input checks shared by the Sinkhorn and exact
 * solvers, and the network simplex behind the exact solver. */
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

/* One arc of the optimal basis: row i, column j and the mass it carries. */
typedef struct torta_ot_arc {
    int i, j;
    double flow;
} torta_ot_arc;

/* What the network simplex returns: the optimal basis, a spanning forest of at most n + m - 1
 * arcs (some may carry 0), and the potentials that certify it. */
typedef struct torta_ot_basis {
    torta_ot_arc *arcs; /* the caller's room for n + m arcs */
    int narcs;
    double *pot;        /* NULL, or room for n + m potentials: C_ij + pot_i - pot_{n+j} is >= 0
                           (to round-off) for every arc and 0 on the basis */
    long long pivots;
} torta_ot_basis;

/* Exact balanced OT on n x m masses, all > 0, with sum a == sum b up to round-off; row i of the
 * costs starts at C + i * ldc. Returns 0, TORTA_ENOMEM or TORTA_EINTERNAL. (network_simplex.c) */
int torta_ot_network_simplex(int n, int m, const double *C, size_t ldc, const double *a,
                             const double *b, torta_ot_basis *out, torta_err *e);

#endif
