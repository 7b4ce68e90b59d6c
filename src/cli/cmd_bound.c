/* torta-sim bound: the perfect-foresight lower bound on cost (src/bound/, docs/bound.md). Same
 * inputs as a run; builds the same world and demand, solves one LP, writes bound.json and
 * bound_slots.csv and prints the costs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bound/bound.h"
#include "cli/cmds.h"
#include "cli/run_args.h"
#include "core/prepare.h"
#include "metrics/outdir.h"

enum { O_HELP = 'h', O_BOUND_SLOT = 900, O_MAX_LOAD, O_METHOD };

static void usage(FILE *f)
{
    fputs("usage: torta-sim bound --topology FILE (--trace FILE | --workload SPEC) [--out DIR]\n"
          "                       [--bound-slot-s S] [--max-load U] [--lp-method M] [run options]\n"
          "\n"
          "The perfect-foresight lower bound on cost: one linear programme (GLPK) over the whole\n"
          "run, with the true demand per origin region and slot known in advance, chooses routing\n"
          "and on-demand / spot servers per region and slot (continuous counts, billed from their\n"
          "start-up lead time) at least cost: reserved + on-demand + spot + egress + idle energy.\n"
          "Same world and origins as `torta-sim run` with the same inputs (docs/bound.md).\n"
          "\n"
          "  --bound-slot-s S    the LP's slot (default: the run's slot_s); coarser keeps it small\n"
          "  --max-load U        highest load allowed: served <= U x saturation capacity (default 1)\n"
          "  --lp-method M       GLPK solver: simplex, interior, or auto (default: the simplex up\n"
          "                      to 20,000 columns, interior point above: much faster there)\n"
          "  --out DIR           write bound.json, bound_slots.csv, config.json to DIR\n"
          "  --quiet             no summary on stdout\n"
          "  run options: --rate-scale, --duration-s, --trace-format, --config, --set, --seed,\n"
          "               --slot-s (see torta-sim --help)\n"
          "\n"
          "Demand above every pool together in some slot: error naming the slot (exit 2).\n",
          f);
}

static int number(const char *opt, const char *arg, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(arg, &end);
    if (*arg == '\0' || *end != '\0' || !(x > lo) || !(x <= hi)) {
        fprintf(stderr, "torta-sim: error: --%s %s: expected a number in (%g, %g]\n", opt, arg, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static void print_summary(const torta_bound_demand *d, const torta_bound_opts *o, const torta_bound_result *r)
{
    printf("perfect-foresight bound: %lld requests, %d slots of %g s, max load %g\n",
           (long long)d->n_requests, r->n_slots, d->slot_s, o->max_load);
    printf("  LP: %d rows, %d columns, %s (%s)\n", r->rows, r->cols, r->status,
           torta_bound_method_names[r->method]);
    for (int k = 0; k < TORTA_BOUND_N_COSTS; k++)
        printf("  %-12s %14.4f USD\n", torta_bound_cost_names[k], r->cost_usd[k]);
    printf("  %-12s %14.4f USD\n", "total", r->total_usd);
}

static int bound_main(run_args *a, double bound_slot_s, const torta_bound_opts *o)
{
    torta_err e = {0};
    torta_sim sim;
    torta_bound_demand d = {0};
    torta_bound_result r = {0};
    char *tmp = NULL;
    int rc = 0;
    if (a->ro.out_dir) /* first: a bad --out fails before any slow work */
        rc = torta_outdir_begin(a->ro.out_dir, a->ro.force, &tmp, &e);
    if (!rc)
        rc = torta_run_prepare(&sim, &a->ro, &e);
    else
        memset(&sim, 0, sizeof sim);
    if (!rc)
        rc = torta_bound_demand_read(&sim, bound_slot_s > 0 ? bound_slot_s : sim.slot_s, &d, &e);
    if (!rc)
        rc = torta_bound_solve(&sim, &d, o, &r, &e);
    if (!rc)
        fprintf(stderr, "torta-sim: bound: LP of %d rows x %d columns solved in %.3f s\n", r.rows, r.cols,
                r.solve_wall_s);
    if (!rc && tmp)
        rc = torta_bound_write(tmp, &sim, &d, o, &r, &e);
    if (!rc && tmp)
        rc = torta_write_json(tmp, "config.json", a->config, &e);
    if (!rc && tmp && torta_outdir_commit(tmp, a->ro.out_dir, a->ro.force, &e)) {
        rc = e.code; /* the commit kept the results elsewhere (or failed to): nothing to remove */
        free(tmp);
        tmp = NULL;
    }
    if (rc)
        torta_outdir_abort(tmp);
    if (!rc && !a->quiet)
        print_summary(&d, o, &r);
    free(tmp);
    torta_bound_result_free(&r);
    torta_bound_demand_free(&d);
    torta_run_release(&sim);
    return rc ? cli_fail(&e) : 0;
}

int cmd_bound(int argc, char **argv)
{
    static const struct option extra[] = {{"help", no_argument, 0, O_HELP},
                                          {"bound-slot-s", required_argument, 0, O_BOUND_SLOT},
                                          {"max-load", required_argument, 0, O_MAX_LOAD},
                                          {"lp-method", required_argument, 0, O_METHOD},
                                          {0, 0, 0, 0}};
    struct option *opts = run_options_with(extra);
    run_args a;
    run_args_init(&a, argc);
    torta_bound_opts o = {1.0, TORTA_BOUND_AUTO};
    double bound_slot_s = 0;
    int c, status = (!opts || !a.sets || !a.owned) ? 1 : 0;
    optind = 1;
    while (!status && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int h = run_args_option(&a, c, optarg);
        if (h < 0)
            status = 2;
        else if (h == 1)
            continue;
        else if (c == O_HELP) {
            usage(stdout);
            status = -1;
        } else if (c == O_BOUND_SLOT) {
            status = number("bound-slot-s", optarg, 0, 1e9, &bound_slot_s) ? 2 : 0;
        } else if (c == O_MAX_LOAD) {
            status = number("max-load", optarg, 0, 1e6, &o.max_load) ? 2 : 0;
        } else if (c == O_METHOD) {
            o.method = -1;
            for (int k = 0; k < 3; k++)
                if (strcmp(optarg, torta_bound_method_names[k]) == 0)
                    o.method = k;
            if (o.method < 0) {
                fprintf(stderr, "torta-sim: error: --lp-method %s: expected simplex, interior or auto\n", optarg);
                status = 2;
            }
        } else {
            usage(stderr);
            status = 2;
        }
    }
    if (!status && optind < argc) {
        fprintf(stderr, "torta-sim: error: unexpected argument '%s' (see bound --help)\n", argv[optind]);
        status = 2;
    }
    if (!status)
        status = run_args_finish(&a, "bound");
    if (!status)
        status = bound_main(&a, bound_slot_s, &o);
    free(opts);
    run_args_free(&a);
    return status < 0 ? 0 : status;
}
