/* `torta-sim sweep SPEC.json --out DIR`: expands the spec's grid and runs every point as an
 * independent deterministic run into DIR/<point>/, then writes DIR/manifest.csv and
 * DIR/sweep.csv. A second invocation skips the points that are complete and re-runs the rest.
 * Under mpirun (TORTA_WITH_MPI builds) ranks share the points. docs/sweeps.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmds.h"
#include "cli/many.h"
#include "cli/opt_error.h"
#include "cli/run_args.h"

enum { O_OUT = 1, O_JOBS, O_LIST, O_RERUN, O_QUIET, O_HELP };

static void usage(FILE *f)
{
    fputs("usage: torta-sim sweep SPEC.json --out DIR [--jobs N] [--rerun] [--list] [--quiet]\n"
          "       mpirun -np N torta-sim sweep SPEC.json --out DIR     (built with -DTORTA_WITH_MPI=ON)\n"
          "\n"
          "Runs every point of the spec's grid (topologies x workloads x schedulers x set keys x\n"
          "seeds) into DIR/<point>/ and writes DIR/manifest.csv (status, wall time, key metrics,\n"
          "errors) and DIR/sweep.csv (every summary, one row per point). Points already complete\n"
          "in DIR are skipped; failed or interrupted ones are re-run. See docs/sweeps.md.\n"
          "\n"
          "  --out DIR    output folder (created if needed)\n"
          "  --jobs N     worker processes (default: the number of cores)\n"
          "  --rerun      run every point again, even the complete ones\n"
          "  --list       print the points and their parameters, run nothing\n"
          "  --quiet      progress lines only for failures\n"
          "\n"
          "Exit status: 0 every point complete, 1 some point failed, 2 bad spec, 130 interrupted.\n",
          f);
}

static void list_points(const torta_points *pl)
{
    printf("point");
    for (int k = 0; k < pl->n_params; k++)
        printf("\t%s", pl->params[k]);
    printf("\n");
    for (int i = 0; i < pl->n; i++) {
        printf("%s", pl->p[i].id);
        for (int k = 0; k < pl->n_params; k++)
            printf("\t%s", pl->p[i].values[k]);
        printf("\n");
    }
}

int cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, O_OUT}, {"jobs", required_argument, 0, O_JOBS},
        {"list", no_argument, 0, O_LIST},     {"rerun", no_argument, 0, O_RERUN},
        {"quiet", no_argument, 0, O_QUIET},   {"help", no_argument, 0, O_HELP},
        {0, 0, 0, 0}};
    cli_many_opts m = {"sweep", NULL, 0, 0, 0, 0, 0, 0, 0};
    int c, list = 0;
    cli_opt_begin();
    while ((c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1) {
        switch (c) {
        case O_OUT: m.out_dir = optarg; break;
        case O_JOBS:
            if (cli_parse_count("jobs", optarg, 1, 4096, &m.jobs))
                return 2;
            break;
        case O_LIST: list = 1; break;
        case O_RERUN: m.rerun_all = 1; break;
        case O_QUIET: m.quiet = 1; break;
        case O_HELP: usage(stdout); return 0;
        default: return cli_bad_option("sweep", c, argv, opts);
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "torta-sim: error: sweep needs exactly one SPEC.json (see sweep --help)\n");
        return 2;
    }
    const char *spec = argv[optind];
    if (!list && !m.out_dir) {
        fprintf(stderr, "torta-sim: error: sweep needs --out DIR\n");
        return 2;
    }
    m.mpi = cli_mpi_begin(&argc, &argv, &m.rank);
    if (m.mpi < 0)
        return 2;
    torta_points pl;
    torta_err e = {0};
    int status = 0;
    if (torta_sweep_spec_load(spec, &pl, &e)) {
        status = m.rank == 0 ? cli_fail(&e) : torta_err_exit_status(e.code);
    } else {
        torta_point_result *res = NULL;
        if (list) {
            if (m.rank == 0)
                list_points(&pl);
        } else {
            status = cli_run_points(&pl, &m, &res);
        }
        if (res && status != 2 &&
            torta_sweep_write_results(&pl, res, m.out_dir, "sweep.csv", 1, &e)) {
            int s = cli_fail(&e);
            status = status ? status : s;
        } else if (res && status != 2 && !m.quiet) {
            fprintf(stderr, "[sweep] results in %s/sweep.csv\n", m.out_dir);
        }
        free(res);
        torta_points_free(&pl);
    }
    cli_mpi_end(m.mpi);
    return status;
}
