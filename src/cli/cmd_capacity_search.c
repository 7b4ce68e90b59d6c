/* `torta-sim capacity-search`: the highest arrival rate each scheduler serves within an SLO, by
 * bisection over the rate scale (a trace replayed faster, or a workload's rate_per_s scaled).
 * Each evaluated rate runs every seed (many.c's worker processes, all schedulers' pending rates
 * in one batch); a rate passes when every seed meets every bound (--rule all) or when the seed
 * means do (--rule mean). Bisection is geometric, sqrt(lo * hi), from [--lo, --hi] until
 * hi / lo <= 1 + --tolerance; it assumes that a configuration meeting the SLO at a rate meets it
 * at every lower rate. Outputs: capsearch_report.c. docs/capacity-search.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capsearch.h"
#include "cli/cmds.h"
#include "cli/opt_error.h"
#include "torta/config.h"
#include "torta/json.h"

enum { O_SCHEDULERS = 1, O_SEEDS, O_JOBS, O_SLO, O_RULE, O_LO, O_HI, O_TOL, O_MAX_STEPS, O_RERUN,
       O_HELP };

static void usage(FILE *f)
{
    fputs("usage: torta-sim capacity-search --topology FILE (--trace FILE | --workload SPEC)\n"
          "                 --schedulers A,B,... --slo ttft_p95=2,tpot_p95=0.2 --out DIR\n"
          "                 [--seeds 1-3] [--rule all|mean] [--lo X] [--hi X] [--tolerance R]\n"
          "                 [--max-steps N] [--jobs N] [--rerun] [run options]\n"
          "\n"
          "Finds, per scheduler, the highest arrival rate served within the SLO, by bisection over\n"
          "the rate scale (the trace replayed X times faster, or the workload's rate_per_s times X),\n"
          "each rate run with every seed. Writes DIR/capacity_search.csv (per scheduler: each seed\n"
          "and the pooled row at the rate found), DIR/capacity_steps.csv (every rate tried) and\n"
          "DIR/manifest.csv, and prints a Markdown summary. Progress goes to stderr.\n"
          "\n"
          "  --schedulers LIST  as for compare: presets, macro or macro/micro names, NAME:key=value\n"
          "                     for one scheduler's own settings, or a JSON file\n"
          "  --slo LIST         NAME=X: the metric at most X; NAME is ttft|tpot|e2e|queue|network\n"
          "                     _ mean|p50|p95|p99|max (seconds) or a summary field, e.g.\n"
          "                     requests.rejected=0\n"
          "  --seeds LIST       e.g. 1-3 (default: the configured seed)\n"
          "  --rule all|mean    a rate passes when every seed meets the SLO (all, the default) or\n"
          "                     when the mean over the seeds of each metric does (mean)\n"
          "  --lo X, --hi X     the rate scales searched (default 0.25 and 16)\n"
          "  --tolerance R      stop when hi / lo <= 1 + R (default 0.02)\n"
          "  --max-steps N      at most N bisection steps per scheduler (default 40)\n"
          "  --jobs N           worker processes (default: the number of cores)\n"
          "  --rerun            run again the points already complete in DIR\n"
          "other options: as for run (--config, --set, --micro, --duration-s, --rate-scale, ...);\n"
          "--rate-scale (traces only) is the rate that scale 1 stands for.\n"
          "Exit status: 0 searched, 1 a run failed, 2 bad input, 130 interrupted.\n",
          f);
}

/* x rounded to d significant digits. */
static double round_sig(double x, int d)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*g", d, x);
    return strtod(buf, NULL);
}

static int scale_digits(const cs_ctx *c)
{
    int d = (int)ceil(-log10(c->tol)) + 2;
    return d < 4 ? 4 : d > 15 ? 15 : d;
}

void cs_fmt_scale(const cs_ctx *c, double x, char *buf, size_t n)
{
    snprintf(buf, n, "%.*g", scale_digits(c), x);
}

double cs_rate_per_s(const cs_ctx *c, const cs_eval *v)
{
    if (c->base_rate > 0)
        return c->base_rate * v->scale;
    double d = c->a->ro.trace.duration_s, sum = 0;
    for (int k = 0; k < c->n_seeds; k++)
        sum += v->arrived[k];
    return d > 0 ? sum / c->n_seeds / d : NAN;
}

/* The workload spec with rate_per_s multiplied by scale (base: its rate_per_s). */
static char *scaled_workload(const char *spec, double scale, double *base, torta_err *e)
{
    const char *colon = strchr(spec, ':');
    size_t n = strlen(spec) + 64;
    char *out = malloc(n);
    if (!out) {
        torta_err_set(e, TORTA_ENOMEM, "out of memory");
        return NULL;
    }
    *base = 0;
    const char *p = colon ? colon + 1 : NULL;
    size_t at = colon ? (size_t)(colon + 1 - spec) : 0;
    memcpy(out, spec, at);
    while (p) {
        size_t len = strcspn(p, ",");
        const char *q = p;
        while (*q == ' ')
            q++;
        if (strncmp(q, "rate_per_s", 10) == 0 && strchr(" =", q[10]) && q[10]) {
            const char *eq = strchr(q, '=');
            char *end = NULL;
            *base = eq && eq < p + len ? strtod(eq + 1, &end) : 0;
            char num[64];
            torta_fmt_num(*base * scale, num, sizeof num);
            at += (size_t)snprintf(out + at, n - at, "rate_per_s=%s", num);
        } else {
            memcpy(out + at, p, len);
            at += len;
        }
        if (!p[len])
            break;
        out[at++] = ',';
        p += len + 1;
    }
    out[at] = '\0';
    if (!(*base > 0)) {
        free(out);
        torta_err_set(e, TORTA_EINPUT, "--workload %s: capacity-search scales the workload's "
                      "rate_per_s, which it lacks (or is not a number > 0)", spec);
        return NULL;
    }
    return out;
}

/* Adds the points of (scheduler s, scale) to the batch and to the list of every point. */
static int add_rate(cs_ctx *c, torta_points *batch, int s, double scale, torta_err *e)
{
    run_args *a = c->a;
    const cli_sched *sc = &c->sl.s[s];
    char **sets = calloc((size_t)(a->n_sets + sc->n_sets) + TORTA_SCHED_MAX_SETS + 2, sizeof *sets);
    double base = 0;
    char *wl = a->ro.workload_spec ? scaled_workload(a->ro.workload_spec, scale, &base, e) : NULL;
    int n = a->n_sets, rc = 0;
    if (!sets)
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    else if (a->ro.workload_spec && !wl)
        rc = TORTA_EINPUT;
    if (!rc) {
        memcpy(sets, a->sets, sizeof *sets * (size_t)n);
        rc = cli_sched_sets(sc, sets, &n, e);
    }
    torta_trace_opts t = a->ro.trace;
    t.rate_scale = a->ro.workload_spec ? 1.0 : a->ro.trace.rate_scale * scale;
    for (int k = 0; !rc && k < c->n_seeds; k++) {
        char seed_set[64], seed_txt[32], scale_txt[64], id[600], label[300];
        snprintf(seed_set, sizeof seed_set, "seed=%.0f", c->seeds[k]);
        snprintf(seed_txt, sizeof seed_txt, "%.0f", c->seeds[k]);
        cs_fmt_scale(c, scale, scale_txt, sizeof scale_txt);
        cli_sched_id(sc->label, label, sizeof label);
        snprintf(id, sizeof id, "%s__x%s__s%.0f", label, scale_txt, c->seeds[k]);
        sets[n] = seed_set;
        const char *values[] = {sc->label, scale_txt, seed_txt};
        rc = torta_points_add(batch, id, values, (const char *const *)sets, n + 1, a->ro.topology_path,
                              a->ro.trace_path, wl, &t, e);
        if (!rc)
            rc = torta_points_add(&c->all, id, values, (const char *const *)sets, n + 1,
                                  a->ro.topology_path, a->ro.trace_path, wl, &t, e);
    }
    for (int k = a->n_sets; sets && k < n; k++)
        free(sets[k]);
    free(sets);
    free(wl);
    return rc;
}

/* Reads the SLO metrics of a finished rate and decides it. */
static int judge(cs_ctx *c, const torta_points *batch, const torta_point_result *res, int first,
                 cs_eval *v, torta_err *e)
{
    int rc = 0;
    for (int k = 0; k < c->n_seeds && !rc; k++) {
        const torta_point *p = &batch->p[first + k];
        char path[4400];
        cJSON *s = NULL, *f = NULL;
        v->seed_ok[k] = 0;
        v->arrived[k] = NAN;
        for (int j = 0; j < c->n_slo; j++)
            v->v[k * c->n_slo + j] = NAN;
        if (res[first + k].status != TORTA_PT_OK && res[first + k].status != TORTA_PT_CACHED)
            continue;
        snprintf(path, sizeof path, "%s/%s/summary.json", c->m.out_dir, p->id);
        if ((rc = torta_json_read_file(path, &s, e)))
            break;
        if (!(f = torta_summary_flatten(s)))
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        if (!rc && !c->topology_name) {
            const cJSON *tn = cJSON_GetObjectItemCaseSensitive(f, "topology.name");
            c->topology_name = strdup(cJSON_IsString(tn) ? tn->valuestring : "?");
        }
        const cJSON *ar = cJSON_GetObjectItemCaseSensitive(f, "requests.arrived");
        if (!rc && cJSON_IsString(ar))
            v->arrived[k] = strtod(ar->valuestring, NULL);
        v->seed_ok[k] = !rc;
        for (int j = 0; !rc && j < c->n_slo; j++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(f, c->slo[j].field);
            char *end = NULL;
            double d = cJSON_IsString(x) ? strtod(x->valuestring, &end) : NAN;
            if (!cJSON_IsString(x) || !*x->valuestring || *end != '\0')
                rc = torta_err_set(e, TORTA_EINPUT, "--slo: %s (%s) is not a number in the run's "
                                   "summary (%s)", c->slo[j].name, c->slo[j].field, path);
            else
                v->v[k * c->n_slo + j] = d;
            v->seed_ok[k] &= d <= c->slo[j].max;
        }
        cJSON_Delete(s);
        cJSON_Delete(f);
    }
    int all = 1, mean_ok = 1;
    for (int j = 0; j < c->n_slo; j++) {
        double sum = 0;
        for (int k = 0; k < c->n_seeds; k++)
            sum += v->v[k * c->n_slo + j];
        v->mean[j] = sum / c->n_seeds; /* NAN when a seed failed */
        mean_ok &= v->mean[j] <= c->slo[j].max;
    }
    for (int k = 0; k < c->n_seeds; k++)
        all &= v->seed_ok[k];
    v->pass = c->rule_mean ? mean_ok : all;
    return rc;
}

static void progress(const cs_ctx *c, const cs_eval *v)
{
    char x[64];
    int ok = 0;
    for (int k = 0; k < c->n_seeds; k++)
        ok += v->seed_ok[k];
    cs_fmt_scale(c, v->scale, x, sizeof x);
    fprintf(stderr, "[capacity-search] %s: step %d, rate scale %s: %s (%d/%d seeds meet the SLO;",
            c->sl.s[v->sched].label, v->step, x, v->pass ? "pass" : "fail", ok, c->n_seeds);
    for (int j = 0; j < c->n_slo; j++)
        fprintf(stderr, " %s %.4g%s", c->slo[j].name, v->mean[j], j + 1 < c->n_slo ? "," : "");
    fprintf(stderr, " seed mean)\n");
}

/* Runs one batch: the rates in scales[] for schedulers sched[] (nb of them). */
static int run_batch(cs_ctx *c, const int *sched, const double *scales, int nb, torta_err *e,
                     int *status)
{
    static const char *const params[] = {"scheduler", "rate_scale", "seed"};
    torta_points batch;
    memset(&batch, 0, sizeof batch);
    int rc = torta_points_init(&batch, params, 3, c->a->config_path, e), first_all = c->all.n;
    for (int b = 0; !rc && b < nb; b++)
        rc = add_rate(c, &batch, sched[b], scales[b], e);
    if (!rc)
        rc = torta_points_validate(&batch, e);
    cs_eval *ev = rc ? NULL : realloc(c->ev, sizeof *ev * (size_t)(c->n_ev + nb));
    torta_point_result *ar = rc ? NULL : realloc(c->all_res, sizeof *ar * (size_t)(c->all.n + 1));
    if (ev)
        c->ev = ev;
    if (ar)
        c->all_res = ar;
    if (!rc && (!ev || !ar))
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    torta_point_result *res = NULL;
    if (!rc) {
        *status = cli_run_points(&batch, &c->m, &res);
        if (!res)
            rc = 1; /* the error is printed */
    }
    for (int i = 0; res && i < batch.n; i++)
        c->all_res[first_all + i] = res[i];
    for (int b = 0; res && !rc && b < nb; b++) {
        cs_eval *v = &c->ev[c->n_ev];
        memset(v, 0, sizeof *v);
        v->sched = sched[b];
        v->step = c->se[sched[b]].steps;
        v->scale = scales[b];
        v->v = calloc((size_t)(c->n_seeds * c->n_slo) + 1, sizeof *v->v);
        v->arrived = calloc((size_t)c->n_seeds, sizeof *v->arrived);
        v->seed_ok = calloc((size_t)c->n_seeds, sizeof *v->seed_ok);
        v->mean = calloc((size_t)c->n_slo, sizeof *v->mean);
        c->n_ev++;
        if (!v->v || !v->arrived || !v->seed_ok || !v->mean)
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        else
            rc = judge(c, &batch, res, b * c->n_seeds, v, e);
        if (!rc)
            progress(c, v);
    }
    free(res);
    torta_points_free(&batch);
    return rc;
}

/* Takes a decided rate into its scheduler's bracket. */
static void update(cs_ctx *c, int i)
{
    const cs_eval *v = &c->ev[i];
    cs_search *s = &c->se[v->sched];
    if (v->pass && (s->best < 0 || v->scale > c->ev[s->best].scale)) {
        s->best = i;
        s->lo = v->scale;
    } else if (!v->pass && (s->fail_above < 0 || v->scale < c->ev[s->fail_above].scale)) {
        s->fail_above = i;
        s->hi = v->scale;
    }
}

static int search(cs_ctx *c, torta_err *e, int *status)
{
    int n = c->sl.n, rc = 0;
    int *sched = calloc((size_t)(2 * n) + 1, sizeof *sched);
    double *scales = calloc((size_t)(2 * n) + 1, sizeof *scales);
    if (!sched || !scales)
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    int nb = 0;
    for (int s = 0; !rc && s < n; s++) { /* step 0: both bounds */
        c->se[s] = (cs_search){c->lo, c->hi, CS_OPEN, 0, -1, -1};
        sched[nb] = s, scales[nb++] = c->lo;
        sched[nb] = s, scales[nb++] = c->hi;
    }
    int first = c->n_ev;
    if (!rc)
        rc = run_batch(c, sched, scales, nb, e, status);
    for (int i = first; !rc && i + 1 < c->n_ev; i += 2) { /* each scheduler's lo, then hi */
        cs_search *se = &c->se[c->ev[i].sched];
        se->steps = 1;
        if (!c->ev[i].pass) { /* fails at --lo: no rate (whatever --hi gives) */
            se->state = CS_BELOW_LO;
            se->fail_above = i;
        } else if (c->ev[i + 1].pass) {
            se->state = CS_AT_HI;
            se->best = i + 1;
        } else {
            se->best = i;
            se->fail_above = i + 1;
        }
    }
    int digits = scale_digits(c);
    while (!rc && !*status) {
        nb = 0;
        for (int s = 0; s < n; s++) {
            cs_search *se = &c->se[s];
            if (se->state != CS_OPEN)
                continue;
            double mid = round_sig(sqrt(se->lo * se->hi), digits);
            if (se->hi <= se->lo * (1 + c->tol) || !(mid > se->lo && mid < se->hi))
                se->state = CS_FOUND;
            else if (se->steps > c->max_steps)
                se->state = CS_MAX_STEPS;
            else
                sched[nb] = s, scales[nb++] = mid;
        }
        if (nb == 0)
            break;
        first = c->n_ev;
        rc = run_batch(c, sched, scales, nb, e, status);
        for (int i = first; !rc && i < c->n_ev; i++) {
            update(c, i);
            c->se[c->ev[i].sched].steps++;
        }
    }
    free(sched);
    free(scales);
    return rc;
}

static int parse_pos(const char *opt, const char *arg, double lo_excl, double *out)
{
    char *end = NULL;
    double x = strtod(arg, &end);
    if (*arg == '\0' || *end != '\0' || !(x > lo_excl) || !isfinite(x) || x > 1e9) {
        fprintf(stderr, "torta-sim: error: --%s %s: expected a number > %g\n", opt, arg, lo_excl);
        return -1;
    }
    *out = x;
    return 0;
}

int cmd_capacity_search(int argc, char **argv)
{
    static const struct option extra[] = {
        {"schedulers", required_argument, 0, O_SCHEDULERS}, {"seeds", required_argument, 0, O_SEEDS},
        {"jobs", required_argument, 0, O_JOBS},             {"slo", required_argument, 0, O_SLO},
        {"rule", required_argument, 0, O_RULE},             {"lo", required_argument, 0, O_LO},
        {"hi", required_argument, 0, O_HI},                 {"tolerance", required_argument, 0, O_TOL},
        {"max-steps", required_argument, 0, O_MAX_STEPS},   {"rerun", no_argument, 0, O_RERUN},
        {"help", no_argument, 0, O_HELP},                   {0, 0, 0, 0}};
    struct option *opts = run_options_with(extra);
    run_args a;
    run_args_init(&a, argc);
    cs_ctx c;
    memset(&c, 0, sizeof c);
    c.a = &a;
    c.lo = 0.25, c.hi = 16, c.tol = 0.02, c.max_steps = 40;
    c.m = (cli_many_opts){"capacity-search", NULL, 0, 0, 0, 0, 0, 0, 1};
    const char *sched_arg = NULL, *seeds_arg = NULL, *slo_arg = NULL;
    int ch, status = (!opts || !a.sets || !a.owned) ? 1 : 0;
    cli_opt_begin();
    while (!status && (ch = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1) {
        int h = run_args_option(&a, ch, optarg);
        if (h < 0)
            status = 2;
        else if (h == 0) {
            switch (ch) {
            case O_SCHEDULERS: sched_arg = optarg; break;
            case O_SEEDS: seeds_arg = optarg; break;
            case O_SLO: slo_arg = optarg; break;
            case O_RERUN: c.m.rerun_all = 1; break;
            case O_RULE:
                if (strcmp(optarg, "all") == 0 || strcmp(optarg, "mean") == 0) {
                    c.rule_mean = strcmp(optarg, "mean") == 0;
                } else {
                    fprintf(stderr, "torta-sim: error: --rule %s: expected all (every seed meets the "
                                    "SLO) or mean (the mean over the seeds does)\n", optarg);
                    status = 2;
                }
                break;
            case O_LO: status = parse_pos("lo", optarg, 0, &c.lo) ? 2 : 0; break;
            case O_HI: status = parse_pos("hi", optarg, 0, &c.hi) ? 2 : 0; break;
            case O_TOL: status = parse_pos("tolerance", optarg, 1e-9, &c.tol) ? 2 : 0; break;
            case O_MAX_STEPS:
                if (cli_parse_count("max-steps", optarg, 1, 1000, &c.max_steps))
                    status = 2;
                break;
            case O_JOBS:
                if (cli_parse_count("jobs", optarg, 1, 4096, &c.m.jobs))
                    status = 2;
                break;
            case O_HELP: usage(stdout); status = -1; break;
            default: status = cli_bad_option("capacity-search", ch, argv, opts); break;
            }
        }
    }
    if (!status && optind < argc) {
        fprintf(stderr, "torta-sim: error: unexpected argument '%s' (see capacity-search --help)\n",
                argv[optind]);
        status = 2;
    }
    if (!status && (!sched_arg || !slo_arg || !a.ro.out_dir)) {
        fprintf(stderr, "torta-sim: error: capacity-search needs --schedulers A,B,..., --slo "
                        "NAME=X,... (e.g. ttft_p95=2,tpot_p95=0.2) and --out DIR\n");
        status = 2;
    }
    if (!status && !(c.lo < c.hi)) {
        fprintf(stderr, "torta-sim: error: --lo %g --hi %g: expected lo < hi\n", c.lo, c.hi);
        status = 2;
    }
    if (!status && a.ro.workload_spec && a.ro.trace.rate_scale != 1.0) {
        fprintf(stderr, "torta-sim: error: --rate-scale applies to traces; with --workload, "
                        "capacity-search scales its rate_per_s\n");
        status = 2;
    }
    for (int k = 0; !status && k < a.n_sets; k++) {
        if (strncmp(a.sets[k], "scheduler.macro=", 16) == 0) {
            fprintf(stderr, "torta-sim: error: capacity-search takes the schedulers from "
                            "--schedulers, not --macro or --set scheduler.macro\n");
            status = 2;
        } else if (seeds_arg && strncmp(a.sets[k], "seed=", 5) == 0) {
            fprintf(stderr, "torta-sim: error: give --seeds or --seed, not both\n");
            status = 2;
        }
    }
    torta_err e = {0};
    if (!status && cli_slo_parse(slo_arg, &c.slo, &c.n_slo, &e))
        status = cli_fail(&e);
    if (!status)
        status = run_args_finish(&a, "capacity-search");
    if (!status && cli_sched_list_parse("schedulers", sched_arg, &c.sl, &e))
        status = cli_fail(&e);
    if (!status && seeds_arg && torta_seeds_parse(seeds_arg, &c.seeds, &c.n_seeds, &e))
        status = cli_fail(&e);
    if (!status && !seeds_arg) {
        uint64_t seed = 0;
        if (torta_config_seed(a.config, &seed, &e))
            status = cli_fail(&e);
        else if (seed > (1ull << 53))
            fprintf(stderr, "torta-sim: error: capacity-search: seed %llu: at most 2^53 here\n",
                    (unsigned long long)seed), status = 2;
        else if ((c.seeds = malloc(sizeof *c.seeds)))
            c.seeds[0] = (double)seed, c.n_seeds = 1;
        else
            status = 1;
    }
    if (!status && !(c.workload_name = strdup(a.ro.workload_spec ? a.ro.workload_spec : a.ro.trace_path)))
        status = 1;
    if (!status && a.ro.workload_spec) { /* its rate_per_s, checked before anything runs */
        char *w = scaled_workload(a.ro.workload_spec, 1.0, &c.base_rate, &e);
        if (!w)
            status = cli_fail(&e);
        free(w);
    }
    static const char *const params[] = {"scheduler", "rate_scale", "seed"};
    if (!status && (torta_points_init(&c.all, params, 3, a.config_path, &e) ||
                    !(c.se = calloc((size_t)c.sl.n, sizeof *c.se))))
        status = e.code ? cli_fail(&e) : 1;
    int run_status = 0;
    if (!status) {
        c.m.out_dir = a.ro.out_dir;
        c.m.quiet = a.quiet;
        fprintf(stderr, "[capacity-search] %d scheduler(s) x %d seed(s); rate scale in [%g, %g], "
                        "tolerance %g; a rate passes when %s\n", c.sl.n, c.n_seeds, c.lo, c.hi, c.tol,
                c.rule_mean ? "the seed mean of every metric meets the SLO" : "every seed meets the SLO");
        int rc = search(&c, &e, &run_status);
        if (rc < 0)
            status = cli_fail(&e);
        else if (rc > 0)
            status = run_status ? run_status : 1;
        else
            status = run_status;
    }
    if (c.all.n > 0 && c.all_res && status != 2) {
        int rc = torta_sweep_write_manifest(&c.all, c.all_res, a.ro.out_dir, &e);
        if (!rc && c.n_ev > 0)
            rc = cs_write_outputs(&c, &e);
        if (rc) {
            int s = cli_fail(&e);
            status = status ? status : s;
        } else {
            fprintf(stderr, "[capacity-search] results in %s/capacity_search.csv, every rate tried in "
                            "capacity_steps.csv\n", a.ro.out_dir);
        }
    }
    for (int i = 0; i < c.n_ev; i++) {
        free(c.ev[i].v);
        free(c.ev[i].arrived);
        free(c.ev[i].seed_ok);
        free(c.ev[i].mean);
    }
    free(c.ev);
    free(c.se);
    free(c.all_res);
    torta_points_free(&c.all);
    free(c.topology_name);
    free(c.workload_name);
    free(c.slo);
    free(c.seeds);
    cli_sched_list_free(&c.sl);
    free(opts);
    run_args_free(&a);
    return status < 0 ? 0 : status;
}
