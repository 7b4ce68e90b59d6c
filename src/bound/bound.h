/* The perfect-foresight lower bound on cost (`torta-sim bound`, docs/bound.md): one linear
 * programme over the whole run, with the true demand per origin region and slot known in
 * advance, chooses routing and on-demand / spot capacity per region and slot at least cost.
 * demand.c reads the workload, lp.c builds and solves the programme, report.c writes it out. */
#ifndef TORTA_BOUND_H
#define TORTA_BOUND_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "core/sim.h"

/* True demand: requests (and their input + output tokens) per slot and origin region, origins
 * assigned exactly as a run assigns them. */
typedef struct torta_bound_demand {
    int n_regions, n_slots;
    double slot_s;
    double horizon_s;     /* arrival time of the last request: the run lasts at least this long */
    int64_t n_requests;
    double *req;          /* n_slots x n_regions */
    double *tokens;       /* n_slots x n_regions */
} torta_bound_demand;

/* Reads every request of sim->source (prepared by torta_run_prepare), assigning origins with
 * sim->origin in arrival order as the run's arrival() does. */
int torta_bound_demand_read(torta_sim *sim, double slot_s, torta_bound_demand *d, torta_err *e);
void torta_bound_demand_free(torta_bound_demand *d);

typedef struct torta_bound_opts {
    double max_load;      /* u: served requests <= u x slot x saturation capacity */
    int method;           /* TORTA_BOUND_AUTO, _SIMPLEX or _INTERIOR */
} torta_bound_opts;

/* The solver: GLPK's simplex (presolved; a vertex), its interior-point method (much faster on
 * large programmes: 22 s against 226 s for a day of 16 regions in 300 s slots, 101,376
 * columns), or auto: the simplex up to TORTA_BOUND_AUTO_COLS columns, else interior point. */
enum { TORTA_BOUND_AUTO, TORTA_BOUND_SIMPLEX, TORTA_BOUND_INTERIOR };
#define TORTA_BOUND_AUTO_COLS 20000
extern const char *const torta_bound_method_names[3];

/* Cost components of the bound, in the order of bound.json's cost_usd. */
enum { TORTA_BOUND_RESERVED, TORTA_BOUND_ON_DEMAND, TORTA_BOUND_SPOT, TORTA_BOUND_NETWORK,
       TORTA_BOUND_ENERGY_IDLE, TORTA_BOUND_N_COSTS };
extern const char *const torta_bound_cost_names[TORTA_BOUND_N_COSTS];

typedef struct torta_bound_result {
    int n_regions, n_slots;
    int rows, cols;
    const char *status;    /* "optimal" (the only status a result is returned with) */
    int method;            /* the solver used (never AUTO) */
    double solve_wall_s;   /* for stderr only: never in a deterministic output */
    double cost_usd[TORTA_BOUND_N_COSTS], total_usd;
    double *region_cost_usd; /* n_regions x TORTA_BOUND_N_COSTS, charged where served (as the ledger) */
    /* n_slots x n_regions: */
    double *served;        /* requests served in the region */
    double *moved_in;      /* of them, requests of other origins */
    double *active[2];     /* [0] on-demand, [1] spot: servers active (continuous) */
    double *billed[2];     /* servers billed (active + starting ahead of time) */
    double *capacity_rps;  /* saturation capacity of the active servers, reserved included */
    /* per region */
    int32_t *pool;         /* n_regions x TORTA_N_CLASSES */
    double *reserved_rps;  /* saturation capacity of its reserved servers */
    double *lead_s;        /* longest start-up lead of its on-demand / spot servers (0: none) */
} torta_bound_result;

/* Builds and solves the programme. Demand above the capacity of every server together (all
 * pools on) in some slot is a TORTA_EINPUT error naming the slot and the region with the most
 * demand; so is a programme GLPK finds infeasible. */
int torta_bound_solve(const torta_sim *sim, const torta_bound_demand *d, const torta_bound_opts *o,
                      torta_bound_result *r, torta_err *e);
void torta_bound_result_free(torta_bound_result *r);

/* bound.json's content (deterministic: no wall-clock figure). */
cJSON *torta_bound_json(const torta_sim *sim, const torta_bound_demand *d, const torta_bound_opts *o,
                        const torta_bound_result *r);
/* Writes bound.json and bound_slots.csv into dir (a temporary output folder). */
int torta_bound_write(const char *dir, const torta_sim *sim, const torta_bound_demand *d,
                      const torta_bound_opts *o, const torta_bound_result *r, torta_err *e);

#endif
