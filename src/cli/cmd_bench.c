/* `torta-sim bench-check`: runs a committed benchmark sweep from scratch, compares its sweep.csv
 * with a committed baseline under stated relative tolerances, prints a Markdown table and exits
 * 1 on a regression, so CI catches scheduler or model changes that make results worse.
 * --update rewrites the baseline instead (after an intended change). docs/sweeps.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "cli/many.h"
#include "cli/opt_error.h"
#include "cli/run_args.h"
#include "metrics/outdir.h"

enum { O_SPEC = 1, O_BASELINE, O_TOL, O_METRICS, O_OUT, O_JOBS, O_UPDATE, O_QUIET, O_ALL, O_HELP };

static const char *const DEFAULT_METRICS[] = {
    "requests.completed", "requests.rejected", "latency_s.ttft.mean", "latency_s.ttft.p95",
    "latency_s.tpot.mean", "latency_s.e2e.mean", "latency_s.e2e.p95", "latency_s.e2e.p99",
    "load_balance.region_load_std", "cost_usd.total", "slo.attainment", "kv.preemptions",
    "prefix_cache.hit_rate", NULL};

#define MAX_METRICS 256

static void usage(FILE *f)
{
    fputs("usage: torta-sim bench-check --spec SPEC.json --baseline BASELINE.csv [--tolerance X]\n"
          "                             [--tolerance METRIC=X ...] [--metrics M1,M2,...] [--out DIR]\n"
          "                             [--jobs N] [--all] [--update] [--quiet]\n"
          "\n"
          "Runs every point of the benchmark sweep (always afresh) and compares it with the\n"
          "baseline (a sweep.csv), pooled per configuration: the mean over its seeds now against\n"
          "the baseline's, with 95% CIs and the paired CI of the change. Prints a Markdown table of\n"
          "the values that changed and a one-line total. A relative change of a mean beyond the\n"
          "tolerance in the bad direction (higher latency/cost/rejections, lower completions), or\n"
          "a missing point, is a regression: exit status 1. --update writes the new results as\n"
          "the baseline.\n"
          "\n"
          "  --tolerance X         relative tolerance of every metric (default 0.02 = 2%)\n"
          "  --tolerance M=X       tolerance of metric M (repeatable)\n"
          "  --metrics LIST        flattened summary fields to check (default: completed, rejected,\n"
          "                        ttft mean/p95, tpot mean, e2e mean/p95/p99, region load std, cost,\n"
          "                        SLO attainment, KV preemptions, prefix-cache hit rate)\n"
          "  --out DIR             keep the benchmark outputs in DIR (default: a temporary folder,\n"
          "                        removed at the end)\n"
          "  --all                 a row for every configuration x metric, not only the changed ones\n"
          "  --update              write the results to BASELINE.csv instead of comparing\n",
          f);
}

static int copy_file(const char *from, const char *to)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", to, (long)getpid());
    FILE *in = fopen(from, "rb"), *out = in ? fopen(tmp, "wb") : NULL;
    char buf[65536];
    size_t n;
    int ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = 0;
    if (ok && rename(tmp, to) == 0)
        return 0;
    remove(tmp);
    return -1;
}

int cmd_bench_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"spec", required_argument, 0, O_SPEC},   {"baseline", required_argument, 0, O_BASELINE},
        {"tolerance", required_argument, 0, O_TOL}, {"metrics", required_argument, 0, O_METRICS},
        {"out", required_argument, 0, O_OUT},     {"jobs", required_argument, 0, O_JOBS},
        {"update", no_argument, 0, O_UPDATE},     {"quiet", no_argument, 0, O_QUIET},
        {"all", no_argument, 0, O_ALL},           {"help", no_argument, 0, O_HELP},
        {0, 0, 0, 0}};
    const char *spec = NULL, *baseline = NULL, *metrics_arg = NULL;
    const char *tol_name[MAX_METRICS]; /* "METRIC=X" arguments; the name is tol_len chars */
    size_t tol_len[MAX_METRICS];
    double tol_val[MAX_METRICS], tol_all = 0.02;
    int n_tol = 0, update = 0, all_rows = 0, c;
    cli_many_opts m = {"bench", NULL, 0, 1, 0, 0, 0, 0, 0};
    cli_opt_begin();
    while ((c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1) {
        switch (c) {
        case O_SPEC: spec = optarg; break;
        case O_BASELINE: baseline = optarg; break;
        case O_METRICS: metrics_arg = optarg; break;
        case O_OUT: m.out_dir = optarg; break;
        case O_UPDATE: update = 1; break;
        case O_QUIET: m.quiet = 1; break;
        case O_ALL: all_rows = 1; break;
        case O_JOBS:
            if (cli_parse_count("jobs", optarg, 1, 4096, &m.jobs))
                return 2;
            break;
        case O_TOL: {
            const char *eq = strchr(optarg, '='), *num = eq ? eq + 1 : optarg;
            char *end;
            double x = strtod(num, &end);
            if (*num == '\0' || *end != '\0' || !(x >= 0) || x > 1e9 || eq == optarg) {
                fprintf(stderr, "torta-sim: error: --tolerance %s: expected X or METRIC=X with X a "
                                "relative tolerance >= 0 (0.02 = 2%%)\n", optarg);
                return 2;
            }
            if (!eq) {
                tol_all = x;
            } else if (n_tol < MAX_METRICS) {
                tol_name[n_tol] = optarg;
                tol_len[n_tol] = (size_t)(eq - optarg);
                tol_val[n_tol++] = x;
            }
            break;
        }
        case O_HELP: usage(stdout); return 0;
        default: return cli_bad_option("bench-check", c, argv, opts);
        }
    }
    if (optind < argc || !spec || !baseline) {
        fprintf(stderr, "torta-sim: error: bench-check needs --spec SPEC.json and --baseline FILE.csv "
                        "(see bench-check --help)\n");
        return 2;
    }
    /* The metrics and their tolerances and directions. */
    torta_bench_metric bm[MAX_METRICS];
    char *mcopy = metrics_arg ? strdup(metrics_arg) : NULL;
    int n_m = 0;
    if (metrics_arg) {
        for (char *tok = mcopy ? strtok(mcopy, ",") : NULL; tok && n_m < MAX_METRICS; tok = strtok(NULL, ","))
            bm[n_m++].name = tok;
    } else {
        for (int k = 0; DEFAULT_METRICS[k]; k++)
            bm[n_m++].name = DEFAULT_METRICS[k];
    }
    for (int k = 0; k < n_m; k++) {
        bm[k].tolerance = tol_all;
        bm[k].better = torta_bench_direction(bm[k].name);
    }
    for (int t = 0; t < n_tol; t++) {
        int found = 0;
        for (int k = 0; k < n_m; k++)
            if (strlen(bm[k].name) == tol_len[t] && strncmp(bm[k].name, tol_name[t], tol_len[t]) == 0)
                bm[k].tolerance = tol_val[t], found = 1;
        if (!found) {
            fprintf(stderr, "torta-sim: error: --tolerance %s: not one of the checked metrics\n",
                    tol_name[t]);
            free(mcopy);
            return 2;
        }
    }
    char tmpdir[] = "/tmp/torta-bench-XXXXXX";
    int own_dir = !m.out_dir;
    m.temp_out = own_dir; /* progress names no file that is about to be removed */
    if (own_dir && !(m.out_dir = mkdtemp(tmpdir))) {
        fprintf(stderr, "torta-sim: error: cannot create a temporary folder in /tmp\n");
        free(mcopy);
        return 1;
    }
    torta_points pl;
    memset(&pl, 0, sizeof pl);
    torta_err e = {0};
    torta_point_result *res = NULL;
    int status = 0;
    if (torta_sweep_spec_load(spec, &pl, &e)) {
        status = cli_fail(&e);
    } else {
        status = cli_run_points(&pl, &m, &res);
        if (res && torta_sweep_write_results(&pl, res, m.out_dir, "sweep.csv", 1, &e))
            status = cli_fail(&e);
    }
    char current[4200];
    snprintf(current, sizeof current, "%s/sweep.csv", m.out_dir);
    if (!status && update) {
        if (copy_file(current, baseline) != 0) {
            fprintf(stderr, "torta-sim: error: %s: cannot write\n", baseline);
            status = 1;
        } else {
            fprintf(stderr, "[bench] baseline %s updated\n", baseline);
        }
    } else if (res && status != 2 && status != 130) { /* failed points show as missing */
        /* A configuration: every parameter of the spec but the seed; its seeds are pooled. */
        const char *group_by[64];
        int ng = 0;
        for (int k = 0; k < pl.n_params && ng < 64; k++)
            if (strcmp(pl.params[k], "seed") != 0)
                group_by[ng++] = pl.params[k];
        torta_bench_opts bo = {group_by, ng, "seed", all_rows};
        torta_bench_tally t;
        printf("### torta-sim benchmark: %s vs %s\n\n"
               "Per configuration and metric: the mean over the seeds ± the half-width of its 95%% CI "
               "(Student t); change: the relative change of the mean [95%% CI of the paired, same-seed "
               "differences], n.s. where that CI includes 0. %s\n\n", spec, baseline,
               all_rows ? "Every row." : "Only the values that changed (--all: every row).");
        if (torta_bench_compare(baseline, current, bm, n_m, &bo, stdout, &t, &e))
            status = cli_fail(&e);
        else if (t.regressions)
            status = status ? status : 1;
        if (t.regressions)
            fprintf(stderr, "[bench] %d regression(s) beyond tolerance; if intended, refresh the "
                            "baseline: torta-sim bench-check --spec %s --baseline %s --update\n",
                    t.regressions, spec, baseline);
    }
    torta_points_free(&pl);
    free(res);
    free(mcopy);
    if (own_dir) {
        torta_remove_tree(m.out_dir);
        if (!m.quiet)
            fprintf(stderr, "[bench] temporary outputs removed (keep them with --out DIR)\n");
    }
    return status;
}
