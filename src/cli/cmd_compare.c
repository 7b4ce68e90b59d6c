/* `torta-sim compare`: every scheduler x seed on one topology and workload (worker processes),
 * DIR/compare.csv (scheduler, seed, every summary field) and a table of mean +- 95% CI per
 * metric with the reference scheduler's relative change against each other one. The reference
 * is --reference, else the first scheduler named "torta", else the first listed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmds.h"
#include "cli/many.h"
#include "cli/run_args.h"
#include "torta/config.h"
#include "torta/json.h"

enum { O_SCHEDULERS = 1, O_SEEDS, O_JOBS, O_REFERENCE, O_METRICS, O_RERUN, O_HELP };

static const char *const DEFAULT_METRICS[] = {
    "requests.completed", "requests.rejected", "latency_s.ttft.mean", "latency_s.ttft.p95",
    "latency_s.tpot.mean", "latency_s.e2e.mean", "latency_s.e2e.p95", "latency_s.e2e.p99",
    "latency_s.queue.mean", "load_balance.region_load_std", "load_balance.region_load_jain",
    "cost_usd.total", "switches", "migrations", NULL};

static void usage(FILE *f)
{
    fputs("usage: torta-sim compare --topology FILE (--trace FILE | --workload SPEC)\n"
          "                         --schedulers A,B,... --out DIR [--seeds 1-5] [--jobs N]\n"
          "                         [--reference NAME] [--metrics M1,M2,...|all] [--rerun] [run options]\n"
          "\n"
          "Runs every scheduler with every seed (worker processes) into DIR/<scheduler>__s<seed>/,\n"
          "writes DIR/compare.csv (scheduler, seed, every summary field) and DIR/manifest.csv, and\n"
          "prints the mean +- 95% confidence interval (Student t) of each metric per scheduler and\n"
          "the reference scheduler's relative change against each other one.\n"
          "\n"
          "  --schedulers LIST  a preset (torta, torta-greedy-micro, skylb), a macro scheduler\n"
          "                     (with the configured --micro) or macro/micro, e.g. least-loaded/jsq\n"
          "  --seeds LIST       e.g. 1-5 or 1,2,7 (default: the configured seed)\n"
          "  --jobs N           worker processes (default: the number of cores)\n"
          "  --reference NAME   the scheduler the others are compared with (default: the first\n"
          "                     named \"torta\", else the first listed)\n"
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

static int add_points(const run_args *a, char **scheds, int n_s, const double *seeds, int n_seeds,
                      torta_points *pl, torta_err *e)
{
    static const char *const params[] = {"scheduler", "seed"};
    int rc = torta_points_init(pl, params, 2, a->config_path, e);
    char **sets = calloc((size_t)a->n_sets + 4, sizeof *sets);
    if (!rc && !sets)
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int s = 0; !rc && s < n_s; s++) {
        int n = a->n_sets;
        memcpy(sets, a->sets, sizeof *sets * (size_t)n);
        rc = torta_sched_sets(scheds[s], sets, &n, e);
        for (int k = 0; !rc && k < n_seeds; k++) {
            char seed_set[64], seed_txt[32], id[400], label[300];
            snprintf(seed_set, sizeof seed_set, "seed=%.0f", seeds[k]);
            snprintf(seed_txt, sizeof seed_txt, "%.0f", seeds[k]);
            torta_id_sanitize(scheds[s], label, sizeof label);
            snprintf(id, sizeof id, "%s__s%.0f", label, seeds[k]);
            sets[n] = seed_set;
            const char *values[] = {scheds[s], seed_txt};
            rc = torta_points_add(pl, id, values, (const char *const *)sets, n + 1, a->ro.topology_path,
                                  a->ro.trace_path, a->ro.workload_spec, &a->ro.trace, e);
        }
        for (int k = a->n_sets; k < n; k++)
            free(sets[k]);
    }
    free(sets);
    if (!rc)
        rc = torta_points_validate(pl, e);
    return rc;
}

/* Per scheduler and metric: the values over the seeds that completed. */
static double *gather(const torta_points *pl, const torta_point_result *res, cJSON **flat,
                      const char *sched, const char *metric, int *n)
{
    double *x = malloc(sizeof *x * (size_t)(pl->n + 1));
    *n = 0;
    for (int i = 0; x && i < pl->n; i++) {
        if (!flat[i] || strcmp(pl->p[i].values[0], sched) != 0)
            continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(flat[i], metric);
        char *end;
        double d = cJSON_IsString(v) ? strtod(v->valuestring, &end) : NAN;
        if (cJSON_IsString(v) && *v->valuestring && *end == '\0')
            x[(*n)++] = d;
    }
    (void)res;
    return x;
}

static void print_table(const torta_points *pl, const torta_point_result *res, const char *out_dir,
                        char **scheds, int n_s, int ref, const char *why, const char *const *metrics,
                        int n_seeds)
{
    cJSON **flat = calloc((size_t)pl->n + 1, sizeof *flat);
    cJSON *first = NULL;
    for (int i = 0; flat && i < pl->n; i++) {
        if (res[i].status != TORTA_PT_OK && res[i].status != TORTA_PT_CACHED)
            continue;
        char path[4400];
        cJSON *s = NULL;
        snprintf(path, sizeof path, "%s/%s/summary.json", out_dir, pl->p[i].id);
        if (torta_json_read_file(path, &s, NULL) == 0)
            flat[i] = torta_summary_flatten(s);
        cJSON_Delete(s);
        if (!first)
            first = flat[i];
    }
    if (!first) {
        free(flat);
        return;
    }
    const cJSON *tn = cJSON_GetObjectItemCaseSensitive(first, "topology.name");
    const cJSON *wl = cJSON_GetObjectItemCaseSensitive(first, "workload");
    printf("compare: topology %s, workload %s, %d scheduler(s) x %d seed(s); mean +- 95%% CI "
           "(Student t, n-1 dof)\n", cJSON_IsString(tn) ? tn->valuestring : "?",
           cJSON_IsString(wl) ? wl->valuestring : "?", n_s, n_seeds);
    if (n_s > 1)
        printf("reference: %s (%s); \"%s vs X\" = (%s - X) / X\n", scheds[ref], why, scheds[ref], scheds[ref]);
    int wm = 30, wc = 24;
    for (int k = 0; metrics[k]; k++)
        wm = (int)strlen(metrics[k]) + 2 > wm ? (int)strlen(metrics[k]) + 2 : wm;
    for (int s = 0; s < n_s; s++)
        wc = (int)strlen(scheds[s]) + 2 > wc ? (int)strlen(scheds[s]) + 2 : wc;
    printf("%-*s", wm, "metric");
    for (int s = 0; s < n_s; s++)
        printf("%-*s", wc, scheds[s]);
    for (int s = 0; s < n_s; s++)
        if (s != ref) {
            char h[300];
            snprintf(h, sizeof h, "vs %s", scheds[s]);
            printf("%-*s", wc > 16 ? (int)strlen(h) + 2 > 16 ? (int)strlen(h) + 2 : 16 : 16, h);
        }
    printf("\n");
    double *mean = calloc((size_t)n_s, sizeof *mean);
    for (int k = 0; mean && metrics[k]; k++) {
        printf("%-*s", wm, metrics[k]);
        for (int s = 0; s < n_s; s++) {
            int n;
            double *x = gather(pl, res, flat, scheds[s], metrics[k], &n), half;
            char cell[128];
            if (!x || n == 0) {
                snprintf(cell, sizeof cell, "-");
                mean[s] = NAN;
            } else {
                torta_mean_ci95(x, n, &mean[s], &half);
                if (n == 1)
                    snprintf(cell, sizeof cell, "%.5g (n=1)", mean[s]);
                else
                    snprintf(cell, sizeof cell, "%.5g +- %.2g", mean[s], half);
            }
            free(x);
            printf("%-*s", wc, cell);
        }
        for (int s = 0; s < n_s; s++) {
            if (s == ref)
                continue;
            char h[300], cell[64];
            snprintf(h, sizeof h, "vs %s", scheds[s]);
            int w = (int)strlen(h) + 2 > 16 ? (int)strlen(h) + 2 : 16;
            if (isnan(mean[s]) || isnan(mean[ref]))
                snprintf(cell, sizeof cell, "-");
            else if (mean[s] == mean[ref])
                snprintf(cell, sizeof cell, "0%%");
            else if (mean[s] == 0)
                snprintf(cell, sizeof cell, "n/a (X = 0)");
            else
                snprintf(cell, sizeof cell, "%+.2f%%", 100 * (mean[ref] - mean[s]) / fabs(mean[s]));
            printf("%-*s", w, cell);
        }
        printf("\n");
    }
    free(mean);
    for (int i = 0; i < pl->n; i++)
        cJSON_Delete(flat[i]);
    free(flat);
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
    cli_many_opts m = {"compare", NULL, 0, 0, 0, 0, 0};
    int c, status = (!opts || !a.sets || !a.owned) ? 1 : 0;
    optind = 1;
    while (!status && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
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
            default: usage(stderr); status = 2; break;
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
    char **scheds = NULL;
    int n_s = 0, n_seeds = 0, ref = 0;
    double *seeds = NULL;
    torta_err e = {0};
    if (!status && !(scheds = split_list("schedulers", sched_arg, &n_s)))
        status = 2;
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
    for (int s = n_s - 1; !status && s >= 0; s--)
        if (strcmp(scheds[s], "torta") == 0)
            ref = s, why = "the first scheduler named \"torta\"";
    if (!status && reference) {
        ref = -1;
        for (int s = 0; s < n_s; s++)
            if (strcmp(scheds[s], reference) == 0)
                ref = s;
        why = "--reference";
        if (ref < 0) {
            fprintf(stderr, "torta-sim: error: --reference %s: not one of --schedulers\n", reference);
            status = 2;
        }
    }
    const char **metrics = NULL;
    char **mlist = NULL;
    int n_m = 0;
    if (!status && metrics_arg && strcmp(metrics_arg, "all") != 0) {
        if (!(mlist = split_list("metrics", metrics_arg, &n_m)) ||
            !(metrics = calloc((size_t)n_m + 1, sizeof *metrics)))
            status = 2;
        for (int k = 0; !status && k < n_m; k++)
            metrics[k] = mlist[k];
    }
    torta_points pl;
    memset(&pl, 0, sizeof pl);
    torta_point_result *res = NULL;
    if (!status && add_points(&a, scheds, n_s, seeds, n_seeds, &pl, &e))
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
    if (res && !metrics && metrics_arg) { /* all: every numeric column of the first summary */
        char path[4400];
        cJSON *s = NULL, *f = NULL;
        for (int i = 0; i < pl.n && !s; i++) {
            snprintf(path, sizeof path, "%s/%s/summary.json", m.out_dir, pl.p[i].id);
            if (res[i].status == TORTA_PT_OK || res[i].status == TORTA_PT_CACHED)
                torta_json_read_file(path, &s, NULL);
        }
        f = s ? torta_summary_flatten(s) : NULL;
        int n = cJSON_GetArraySize(f), k = 0;
        mlist = calloc((size_t)n + 1, sizeof *mlist);
        metrics = calloc((size_t)n + 1, sizeof *metrics);
        const cJSON *it, *fields = mlist && metrics ? f : NULL;
        cJSON_ArrayForEach(it, fields)
        {
            char *end;
            strtod(it->valuestring, &end);
            if (*it->valuestring && *end == '\0' && strcmp(it->string, "seed") != 0)
                mlist[k] = strdup(it->string), metrics[k] = mlist[k], k += mlist[k] != NULL;
        }
        n_m = k;
        cJSON_Delete(s);
        cJSON_Delete(f);
    }
    if (res)
        print_table(&pl, res, m.out_dir, scheds, n_s, ref, why, metrics ? metrics : DEFAULT_METRICS, n_seeds);
    free(res);
    torta_points_free(&pl);
    free(metrics);
    free_list(mlist, n_m);
    free_list(scheds, n_s);
    free(seeds);
    free(opts);
    run_args_free(&a);
    return status < 0 ? 0 : status;
}
