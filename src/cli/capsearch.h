/* capacity-search's state, shared by the search (cmd_capacity_search.c) and its outputs
 * (capsearch_report.c): per scheduler a bisection over the rate scale, each evaluated rate run
 * with every seed. docs/capacity-search.md. */
#ifndef TORTA_CLI_CAPSEARCH_H
#define TORTA_CLI_CAPSEARCH_H

#include "cli/many.h"
#include "cli/run_args.h"
#include "cli/sched_list.h"
#include "cli/slo.h"

enum { CS_OPEN, CS_FOUND, CS_BELOW_LO, CS_AT_HI, CS_MAX_STEPS, CS_FAILED };

typedef struct cs_eval {  /* one rate of one scheduler, run with every seed */
    int sched, step;      /* step 0: the bounds --lo and --hi; then one rate per step */
    double scale;
    double *v;            /* n_seeds x n_slo values (NAN where a run failed) */
    double *arrived;      /* n_seeds: requests.arrived */
    int *seed_ok;         /* n_seeds: that seed meets every bound */
    double *mean;         /* n_slo: the mean over the seeds */
    int pass;             /* the rule's verdict */
} cs_eval;

typedef struct cs_search {
    double lo, hi;        /* the bracket: lo passes, hi fails (once both are known) */
    int state;            /* CS_* */
    int steps;
    int best;             /* index in evals of the highest passing rate, or -1 */
    int fail_above;       /* index of the lowest failing rate, or -1 */
} cs_search;

typedef struct cs_ctx {
    run_args *a;
    cli_sched_list sl;
    double *seeds;
    int n_seeds;
    cli_slo *slo;
    int n_slo;
    int rule_mean;        /* 0: every seed meets the SLO; 1: the mean over the seeds does */
    double lo, hi, tol;
    int max_steps;
    double base_rate;     /* --workload's rate_per_s; 0 for a trace */
    char *topology_name, *workload_name; /* from the first summary, for the report */
    cs_eval *ev;
    int n_ev;
    cs_search *se;
    torta_points all;     /* every point run, for manifest.csv */
    torta_point_result *all_res;
    cli_many_opts m;
} cs_ctx;

/* The arrival rate of an evaluated rate: base_rate x scale for a workload, else the mean
 * requests.arrived over --duration-s (NAN without it). */
double cs_rate_per_s(const cs_ctx *c, const cs_eval *v);
/* The rate scale as text (also in point ids): %g with enough digits for the tolerance. */
void cs_fmt_scale(const cs_ctx *c, double x, char *buf, size_t n);

/* OUT/capacity_search.csv, OUT/capacity_steps.csv, and the Markdown summary on stdout. */
int cs_write_outputs(const cs_ctx *c, torta_err *e);

#endif
