/* `torta-sim compare`: every scheduler x seed on one topology and workload (worker processes),
 * DIR/compare.csv (scheduler, seed, every summary field), then compare_report.c's table of mean
 * +- 95% CI per metric with the reference scheduler's paired relative change against each other
 * one and DIR/compare_stats.csv. The reference is --reference, else the first scheduler named
 * "torta", else the first listed. Schedulers may carry their own parameters (sched_list.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmds.h"
#include "cli/compare_report.h"
#include "cli/many.h"
#include "cli/opt_error.h"
#include "cli/run_args.h"
#include "cli/sched_list.h"
#include "torta/config.h"
#include "torta/json.h"

enum { O_SCHEDULERS = 1, O_SEEDS, O_JOBS, O_REFERENCE, O_METRICS, O_RERUN, O_HELP };

static void usage(FILE *f)
{
    fputs("usage: torta-sim compare --topology FILE (--trace FILE | --workload SPEC)\n"
          "                         --schedulers A,B,... --out DIR [--seeds 1-5] [--jobs N]\n"
          "                         [--reference NAME] [--metrics M1,M2,...|all] [--rerun] [run options]\n"
          "\n"
          "Runs every scheduler with every seed (worker processes) into DIR/<scheduler>__s<seed>/,\n"
          "writes DIR/compare.csv (scheduler, seed, every summary field), DIR/compare_stats.csv\n"
          "(mean, CI, paired difference, t, p-value per metric) and DIR/manifest.csv, and prints\n"
          "the mean +- 95% confidence interval (Student t) of each metric per scheduler and the\n"
          "reference scheduler's relative change against each other one, paired by seed, with its\n"
          "95% CI and \"n.s.\" where that CI includes 0 (paired t-test, 5% level).\n"
          "\n"
          "  --schedulers LIST  a preset (torta, torta-greedy-micro, skylb), a macro scheduler\n"
          "                     (with the configured --micro) or macro/micro, e.g. least-loaded/jsq;\n"
          "                     NAME:key=value[,key=value...] gives one scheduler its own settings\n"
          "                     (as --set; label=L names it), e.g.\n"
          "                     torta:scheduler.macro_params.policy=p.json,skylb; or FILE.json: a\n"
          "                     list of {\"name\", \"label\", \"set\": {\"key\": value}}\n"
          "  --seeds LIST       e.g. 1-5 or 1,2,7 (default: the configured seed; fewer than 5 seeds\n"
          "                     get a warning: the intervals are wide)\n"
          "  --jobs N           worker processes (default: the number of cores)\n"
          "  --reference NAME   the scheduler (label) the others are compared with (default: the\n"
          "                     first named \"torta\", else the first listed)\n"
          "  --metrics LIST     flattened summary fields for the table, or all (compare.csv has all)\n"
          "  --rerun            run again the points already complete in DIR\n"
          "other options: as for run (--config, --set, --micro, --trace-format, --duration-s, ...)\n",
          f);
}

/* Splits "a,b,c" into a malloc'ed array of malloc'ed strings (duplicates are an error). */
static char **split_list(const char *opt, const char *s, int *n)
{
    int cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    char **out = calloc((size_t)cap + 1, sizeof *out);
    *n = 0;
    for (const char *p = s; out;) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            fprintf(stderr, "torta-sim: error: --%s %s: empty name in the list\n", opt, s);
            goto fail;
        }
        if (!(out[*n] = strndup(p, len)))
            goto fail;
        for (int k = 0; k < *n; k++)
            if (strcmp(out[k], out[*n]) == 0) {
                fprintf(stderr, "torta-sim: error: --%s: \"%s\" is listed twice\n", opt, out[k]);
                (*n)++;
                goto fail;
            }
        (*n)++;
        if (!p[len])
            return out;
        p += len + 1;
    }
fail:
    for (int k = 0; out && k < *n; k++)
        free(out[k]);
    free(out);
    *n = 0;
    return NULL;
}

static void free_list(char **l, int n)
{
    for (int k = 0; l && k < n; k++)
        free(l[k]);
    free(l);
}

/* Points in scheduler-major order: point s * n_seeds + k is scheduler s with seed k. The
 * overrides: the common --set values, the scheduler's name, its own parameters, the seed. */
static int add_points(const run_args *a, const cli_sched_list *sl, const double *seeds, int n_seeds,
                      torta_points *pl, torta_err *e)
{
    static const char *const params[] = {"scheduler", "seed"};
    int rc = torta_points_init(pl, params, 2, a->config_path, e);
    for (int s = 0; !rc && s < sl->n; s++) {
        char **sets = calloc((size_t)(a->n_sets + sl->s[s].n_sets) + TORTA_SCHED_MAX_SETS + 2, sizeof *sets);
        int n = a->n_sets;
        if (!sets) {
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
            break;
        }
        memcpy(sets, a->sets, sizeof *sets * (size_t)n);
        rc = cli_sched_sets(&sl->s[s], sets, &n, e);
        for (int k = 0; !rc && k < n_seeds; k++) {
            char seed_set[64], seed_txt[32], id[400], label[300];
            snprintf(seed_set, sizeof seed_set, "seed=%.0f", seeds[k]);
            snprintf(seed_txt, sizeof seed_txt, "%.0f", seeds[k]);
            cli_sched_id(sl->s[s].label, label, sizeof label);
            snprintf(id, sizeof id, "%s__s%.0f", label, seeds[k]);
            sets[n] = seed_set;
            const char *values[] = {sl->s[s].label, seed_txt};
            rc = torta_points_add(pl, id, values, (const char *const *)sets, n + 1, a->ro.topology_path,
                                  a->ro.trace_path, a->ro.workload_spec, &a->ro.trace, e);
        }
        for (int k = a->n_sets; k < n; k++)
            free(sets[k]);
        free(sets);
    }
    if (!rc)
        rc = torta_points_validate(pl, e);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    static const struct option extra[] = {
        {"schedulers", required_argument, 0, O_SCHEDULERS}, {"seeds", required_argument, 0, O_SEEDS},
        {"jobs", required_argument, 0, O_JOBS},             {"reference", required_argument, 0, O_REFERENCE},
        {"metrics", required_argument, 0, O_METRICS},       {"rerun", no_argument, 0, O_RERUN},
        {"help", no_argument, 0, O_HELP},                   {0, 0, 0, 0}};
    struct option *opts = run_options_with(extra);
    run_args a;
    run_args_init(&a, argc);
    const char *sched_arg = NULL, *seeds_arg = NULL, *reference = NULL, *metrics_arg = NULL;
    cli_many_opts m = {"compare", NULL, 0, 0, 0, 0, 0, 0, 0};
    int c, status = (!opts || !a.sets || !a.owned) ? 1 : 0;
    cli_opt_begin();
    while (!status && (c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1) {
        int h = run_args_option(&a, c, optarg);
        if (h < 0)
            status = 2;
        else if (h == 0) {
            switch (c) {
            case O_SCHEDULERS: sched_arg = optarg; break;
            case O_SEEDS: seeds_arg = optarg; break;
            case O_REFERENCE: reference = optarg; break;
            case O_METRICS: metrics_arg = optarg; break;
            case O_RERUN: m.rerun_all = 1; break;
            case O_JOBS:
                if (cli_parse_count("jobs", optarg, 1, 4096, &m.jobs))
                    status = 2;
                break;
            case O_HELP: usage(stdout); status = -1; break;
            default: status = cli_bad_option("compare", c, argv, opts); break;
            }
        }
    }
    if (!status && optind < argc) {
        fprintf(stderr, "torta-sim: error: unexpected argument '%s' (see compare --help)\n", argv[optind]);
        status = 2;
    }
    if (!status && (!sched_arg || !a.ro.out_dir)) {
        fprintf(stderr, "torta-sim: error: compare needs --schedulers A,B,... and --out DIR\n");
        status = 2;
    }
    for (int k = 0; !status && k < a.n_sets; k++) {
        if (strncmp(a.sets[k], "scheduler.macro=", 16) == 0) {
            fprintf(stderr, "torta-sim: error: compare takes the schedulers from --schedulers, not "
                            "--macro or --set scheduler.macro\n");
            status = 2;
        } else if (seeds_arg && strncmp(a.sets[k], "seed=", 5) == 0) {
            fprintf(stderr, "torta-sim: error: give --seeds or --seed, not both\n");
            status = 2;
        }
    }
    if (!status)
        status = run_args_finish(&a, "compare");
    cli_sched_list sl = {NULL, 0};
    int n_seeds = 0, ref = 0;
    double *seeds = NULL;
    torta_err e = {0};
    if (!status && cli_sched_list_parse("schedulers", sched_arg, &sl, &e))
        status = cli_fail(&e);
    if (!status && seeds_arg && torta_seeds_parse(seeds_arg, &seeds, &n_seeds, &e))
        status = cli_fail(&e);
    if (!status && !seeds_arg) {
        uint64_t seed = 0;
        if (torta_config_seed(a.config, &seed, &e)) {
            status = cli_fail(&e);
        } else if (seed > (1ull << 53)) {
            fprintf(stderr, "torta-sim: error: compare: seed %llu: at most 2^53 here\n",
                    (unsigned long long)seed);
            status = 2;
        } else if ((seeds = malloc(sizeof *seeds))) {
            seeds[0] = (double)seed;
            n_seeds = 1;
        } else {
            status = 1;
        }
    }
    const char *why = "the first listed; no scheduler is named \"torta\"";
    for (int s = sl.n - 1; !status && s >= 0; s--)
        if (strcmp(sl.s[s].name, "torta") == 0)
            ref = s, why = "the first scheduler named \"torta\"";
    if (!status && reference) {
        ref = -1;
        for (int s = 0; s < sl.n; s++)
            if (strcmp(sl.s[s].label, reference) == 0)
                ref = s;
        why = "--reference";
        if (ref < 0) {
            fprintf(stderr, "torta-sim: error: --reference %s: not one of --schedulers\n", reference);
            status = 2;
        }
    }
    const char **metrics = NULL;
    char **mlist = NULL;
    int n_m = 0, all = metrics_arg && strcmp(metrics_arg, "all") == 0;
    if (!status && metrics_arg && !all) {
        if (!(mlist = split_list("metrics", metrics_arg, &n_m)) ||
            !(metrics = calloc((size_t)n_m + 1, sizeof *metrics)))
            status = 2;
        for (int k = 0; !status && k < n_m; k++)
            metrics[k] = mlist[k];
    }
    torta_points pl;
    memset(&pl, 0, sizeof pl);
    torta_point_result *res = NULL;
    if (!status && add_points(&a, &sl, seeds, n_seeds, &pl, &e))
        status = cli_fail(&e);
    if (!status) {
        m.out_dir = a.ro.out_dir;
        m.quiet = a.quiet;
        status = cli_run_points(&pl, &m, &res);
    }
    if (res && torta_sweep_write_results(&pl, res, m.out_dir, "compare.csv", 0, &e)) {
        int s = cli_fail(&e);
        status = status ? status : s;
    }
    if (res) {
        compare_input in = {&pl, res, m.out_dir, &sl, ref, why, seeds, n_seeds, metrics, all};
        if (compare_report(&in, &e)) {
            int s = cli_fail(&e);
            status = status ? status : s;
        }
    }
    free(res);
    torta_points_free(&pl);
    free(metrics);
    free_list(mlist, n_m);
    cli_sched_list_free(&sl);
    free(seeds);
    free(opts);
    run_args_free(&a);
    return status < 0 ? 0 : status;
}
