/* Routing plans for macro schedulers that decide per timeslot: a row-stochastic matrix X
 * (X[i][j] = share of origin i's requests served in region j) and a deterministic dispatcher
 * that follows it request by request (smooth weighted round robin: no sampling noise, so any
 * window of requests matches the shares to within one request per region). */
#ifndef TORTA_PLAN_H
#define TORTA_PLAN_H

#include "torta/err.h"
#include "torta/view.h"

typedef struct torta_plan {
    int n;
    double *x;      /* n x n, rows sum to 1 */
    double *credit; /* n x n dispatcher state */
} torta_plan;

/* X = identity (everything local). */
int torta_plan_init(torta_plan *p, int n, torta_err *e);
void torta_plan_free(torta_plan *p);
/* Next region for a request from `origin`, among regions with live servers and a positive share;
 * falls back to the origin (the core then passes it to the nearest live region). */
int torta_plan_route(torta_plan *p, int origin, const torta_view *v);
/* L1 distance between two n x n plans, divided by n (0 = same, 2 = disjoint). */
double torta_plan_churn(int n, const double *x, const double *y);

#endif
