/* The optimal-transport step shared by TORTA and its OT baselines: from per-origin demand and
 * per-region spare capacity, solve a transport problem whose cost trades network latency,
 * electricity price, backlog and egress, and turn it into a routing plan (MODEL.md 8.2-8.4). */
#ifndef TORTA_OT_PLANNER_H
#define TORTA_OT_PLANNER_H

#include <cjson/cJSON.h>

#include "torta/ot.h"
#include "torta/view.h"

typedef struct ot_planner {
    int n;                     /* regions */
    double reg;                /* entropic regularisation (costs are normalised to ~[0, 1]) */
    double w_latency, w_price, w_load, w_egress;
    double overflow_penalty;   /* cost of demand beyond all spare capacity, above the max cost */
    double target_util;        /* capacity of a region in a slot = live servers x slot x this */
    int exact;                 /* exact transport (network simplex) instead of Sinkhorn */
    /* Demand beyond all spare capacity (the overflow column) is spread over regions in
     * proportion to their full capacity (live servers x slot x target_util x multiplier), so
     * that every region ends the slot with the same excess queue per unit of capacity:
     * "capacity", the default. "spare" (the former rule) spreads it like spare capacity, which
     * with demand/capacity = rho > 1 hands a region rho x its spare and so herds demand onto
     * whichever regions were idle last slot (oscillation of one-slot plans). */
    int spread_spare;
    double *share;             /* n: overflow weights of the last solve */
    torta_ot_ws *ws;
    double *C, *a, *b, *P;     /* (n+1) x (n+1) problem with an idle row and an overflow column */
    double *cost_static;       /* n x n latency + egress part, fixed for the run */
    double last_cost;          /* transport cost of the last plan */
    int last_iterations;
} ot_planner;

/* params: the "ot" object of the scheduler's params (may be NULL: defaults). */
int ot_planner_init(ot_planner *p, const torta_view *v, const cJSON *params, torta_err *e);
void ot_planner_free(ot_planner *p);
/* Spare capacity of each region for the coming slot, server-seconds. */
void ot_planner_capacity(const ot_planner *p, const torta_view *v, double *b);
/* demand[i]: expected work from origin i in the coming slot (server-seconds); mult[j] (NULL = 1):
 * multipliers on the target capacities (TORTA's RL action). Writes the row-stochastic plan x. */
int ot_planner_solve(ot_planner *p, const torta_view *v, const double *demand, const double *mult,
                     double *x, torta_err *e);

#endif
