/* compare's report (compare_report.h). Every comparison with the reference is paired by seed:
 * scheduler X and the reference ran the same seeds, i.e. the same arrivals, so the per-seed
 * differences ref_i - X_i are far less noisy than the two means apart. Their mean, its 95%
 * Student-t interval and the paired t-test decide whether a change is significant; the
 * relative change and its interval are those differences over X's mean. */
#include "cli/compare_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"

static const char *const DEFAULT_METRICS[] = {
    "requests.completed", "requests.rejected", "latency_s.ttft.mean", "latency_s.ttft.p95",
    "latency_s.tpot.mean", "latency_s.e2e.mean", "latency_s.e2e.p95", "latency_s.e2e.p99",
    "latency_s.queue.mean", "load_balance.region_load_std", "load_balance.region_load_jain",
    "cost_usd.total", "switches", "migrations", NULL};

#define CELL 128

typedef struct report {
    const compare_input *in;
    cJSON **flat;         /* per point: its flattened summary, NULL if not complete */
    char **numeric;       /* every numeric field of the first complete summary ("seed" aside) */
    int n_numeric;
    double *x, *y, *xa, *ya; /* scratch, n_seeds each */
} report;

/* Scheduler s's value of metric for each seed (NAN where the run failed or the value is not a
 * number). Points are in scheduler-major order: point s * n_seeds + k is seed k. */
static void by_seed(const report *r, int s, const char *metric, double *x)
{
    for (int k = 0; k < r->in->n_seeds; k++) {
        const cJSON *f = r->flat[s * r->in->n_seeds + k];
        const cJSON *v = f ? cJSON_GetObjectItemCaseSensitive(f, metric) : NULL;
        char *end = NULL;
        x[k] = NAN;
        if (cJSON_IsString(v) && *v->valuestring) {
            double d = strtod(v->valuestring, &end);
            if (*end == '\0')
                x[k] = d;
        }
    }
}

/* Mean +- half-width of scheduler s over its complete seeds; *n how many. */
static void mean_ci(report *r, int s, const char *metric, int *n, double *mean, double *half)
{
    by_seed(r, s, metric, r->x);
    *n = 0;
    for (int k = 0; k < r->in->n_seeds; k++)
        if (!isnan(r->x[k]))
            r->xa[(*n)++] = r->x[k];
    *mean = *half = NAN;
    if (*n > 0)
        torta_mean_ci95(r->xa, *n, mean, half);
}

/* The reference against scheduler s over the seeds both completed. */
static void paired(report *r, int s, const char *metric, torta_paired *p)
{
    by_seed(r, r->in->ref, metric, r->x);
    by_seed(r, s, metric, r->y);
    int n = 0;
    for (int k = 0; k < r->in->n_seeds; k++)
        if (!isnan(r->x[k]) && !isnan(r->y[k])) {
            r->xa[n] = r->x[k];
            r->ya[n++] = r->y[k];
        }
    torta_paired_t(r->xa, r->ya, n, p);
}

static void mean_cell(int n, double mean, double half, char *buf)
{
    if (n == 0)
        snprintf(buf, CELL, "-");
    else if (n == 1)
        snprintf(buf, CELL, "%.5g (n=1)", mean);
    else
        snprintf(buf, CELL, "%.5g +- %.2g", mean, half);
}

/* "+12.34% [+5.10, +19.58]", with " n.s." when that interval includes 0. */
static void change_cell(const torta_paired *p, char *buf)
{
    int sig = torta_paired_significant(p);
    double b = fabs(p->mean_b);
    if (p->n == 0)
        snprintf(buf, CELL, "-");
    else if (p->diff == 0 && (p->n == 1 || p->sd == 0))
        snprintf(buf, CELL, "0%%");
    else if (b == 0)
        snprintf(buf, CELL, "n/a (X = 0)%s", sig == 0 ? " n.s." : "");
    else if (p->n == 1)
        snprintf(buf, CELL, "%+.2f%% (n=1)", 100 * p->diff / b);
    else
        snprintf(buf, CELL, "%+.2f%% [%+.2f, %+.2f]%s", 100 * p->diff / b,
                 100 * (p->diff - p->half) / b, 100 * (p->diff + p->half) / b, sig == 0 ? " n.s." : "");
}

static void print_table(report *r, const char *const *metrics)
{
    const compare_input *in = r->in;
    const cli_sched_list *sl = in->scheds;
    const cJSON *first = NULL;
    for (int i = 0; i < in->pl->n && !first; i++)
        first = r->flat[i];
    const cJSON *tn = cJSON_GetObjectItemCaseSensitive(first, "topology.name");
    const cJSON *wl = cJSON_GetObjectItemCaseSensitive(first, "workload");
    const char *ref = sl->s[in->ref].label;
    printf("compare: topology %s, workload %s, %d scheduler(s) x %d seed(s); mean +- 95%% CI "
           "(Student t, n-1 dof)\n", cJSON_IsString(tn) ? tn->valuestring : "?",
           cJSON_IsString(wl) ? wl->valuestring : "?", sl->n, in->n_seeds);
    if (sl->n > 1)
        printf("reference: %s (%s); \"%s vs X\" = (%s - X) / X, paired by seed, [95%% CI]; "
               "n.s. = not significant at 95%% (paired t-test: the CI includes 0)\n", ref, in->why,
               ref, ref);
    if (in->n_seeds < COMPARE_FEW_SEEDS)
        printf("warning: fewer than %d seeds (%d): intervals are wide\n", COMPARE_FEW_SEEDS, in->n_seeds);
    int n_m = 0;
    while (metrics[n_m])
        n_m++;
    int cols = 1 + sl->n + (sl->n - 1);
    char *grid = calloc((size_t)(n_m + 1) * (size_t)cols, CELL);
    int *w = calloc((size_t)cols, sizeof *w);
    if (!grid || !w) {
        free(grid);
        free(w);
        return;
    }
#define AT(row, col) (grid + ((size_t)(row) * (size_t)cols + (size_t)(col)) * CELL)
    snprintf(AT(0, 0), CELL, "metric");
    for (int s = 0, c = 1 + sl->n; s < sl->n; s++) {
        snprintf(AT(0, 1 + s), CELL, "%s", sl->s[s].label);
        if (s != in->ref)
            snprintf(AT(0, c++), CELL, "vs %s", sl->s[s].label);
    }
    for (int k = 0; k < n_m; k++) {
        snprintf(AT(k + 1, 0), CELL, "%s", metrics[k]);
        for (int s = 0, c = 1 + sl->n; s < sl->n; s++) {
            int n = 0;
            double mean = NAN, half = NAN;
            mean_ci(r, s, metrics[k], &n, &mean, &half);
            mean_cell(n, mean, half, AT(k + 1, 1 + s));
            if (s == in->ref)
                continue;
            torta_paired p;
            paired(r, s, metrics[k], &p);
            change_cell(&p, AT(k + 1, c++));
        }
    }
    for (int row = 0; row <= n_m; row++)
        for (int c = 0; c < cols; c++) {
            int len = (int)strlen(AT(row, c));
            w[c] = len > w[c] ? len : w[c];
        }
    for (int row = 0; row <= n_m; row++) {
        for (int c = 0; c < cols; c++) {
            if (c == cols - 1)
                printf("%s", AT(row, c));
            else
                printf("%-*s", w[c] + 2, AT(row, c));
        }
        printf("\n");
    }
#undef AT
    free(grid);
    free(w);
}

static void csv_num(FILE *f, double x)
{
    char num[64];
    fputc(',', f);
    if (!isnan(x)) {
        torta_fmt_num(x, num, sizeof num);
        fputs(num, f);
    }
}

/* compare_stats.csv: one row per numeric metric x scheduler. */
static int fill_stats(FILE *f, void *ud, torta_err *e)
{
    report *r = ud;
    const compare_input *in = r->in;
    const cli_sched_list *sl = in->scheds;
    fputs("metric,scheduler,n,mean,ci95_half,reference,n_pairs,diff_mean,diff_ci95_lo,diff_ci95_hi,"
          "rel_change,rel_ci95_lo,rel_ci95_hi,t,p_value,significant\n", f);
    for (int k = 0; k < r->n_numeric; k++)
        for (int s = 0; s < sl->n; s++) {
            int n = 0;
            double mean = NAN, half = NAN;
            mean_ci(r, s, r->numeric[k], &n, &mean, &half);
            torta_csv_cell(f, r->numeric[k]);
            fputc(',', f);
            torta_csv_cell(f, sl->s[s].label);
            fprintf(f, ",%d", n);
            csv_num(f, mean);
            csv_num(f, half);
            fputc(',', f);
            torta_csv_cell(f, sl->s[in->ref].label);
            if (s == in->ref) {
                fputs(",,,,,,,,,,\n", f);
                continue;
            }
            torta_paired p;
            paired(r, s, r->numeric[k], &p);
            double b = fabs(p.mean_b), rel = b > 0 ? p.diff / b : p.diff == 0 ? 0 : NAN;
            fprintf(f, ",%d", p.n);
            csv_num(f, p.diff);
            csv_num(f, p.diff - p.half);
            csv_num(f, p.diff + p.half);
            csv_num(f, rel);
            csv_num(f, b > 0 ? (p.diff - p.half) / b : NAN);
            csv_num(f, b > 0 ? (p.diff + p.half) / b : NAN);
            csv_num(f, p.t);
            csv_num(f, p.p);
            int sig = torta_paired_significant(&p);
            fprintf(f, ",%s\n", sig < 0 ? "" : sig ? "yes" : "no");
        }
    (void)e;
    return 0;
}

int compare_report(const compare_input *in, torta_err *e)
{
    report r;
    memset(&r, 0, sizeof r);
    r.in = in;
    int n = in->pl->n, rc = 0;
    r.flat = calloc((size_t)n + 1, sizeof *r.flat);
    r.x = calloc((size_t)in->n_seeds + 1, sizeof *r.x);
    r.y = calloc((size_t)in->n_seeds + 1, sizeof *r.y);
    r.xa = calloc((size_t)in->n_seeds + 1, sizeof *r.xa);
    r.ya = calloc((size_t)in->n_seeds + 1, sizeof *r.ya);
    if (!r.flat || !r.x || !r.y || !r.xa || !r.ya)
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    const cJSON *first = NULL;
    for (int i = 0; !rc && i < n; i++) {
        if (in->res[i].status != TORTA_PT_OK && in->res[i].status != TORTA_PT_CACHED)
            continue;
        char path[4400];
        cJSON *s = NULL;
        snprintf(path, sizeof path, "%s/%s/summary.json", in->out_dir, in->pl->p[i].id);
        if (torta_json_read_file(path, &s, NULL) == 0)
            r.flat[i] = torta_summary_flatten(s);
        cJSON_Delete(s);
        if (!first)
            first = r.flat[i];
    }
    if (!rc && first) { /* the numeric fields, in the summary's order */
        r.numeric = calloc((size_t)cJSON_GetArraySize(first) + 1, sizeof *r.numeric);
        const cJSON *it, *fields = r.numeric ? first : NULL;
        if (!r.numeric)
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        cJSON_ArrayForEach(it, fields)
        {
            char *end = NULL;
            strtod(it->valuestring, &end);
            if (*it->valuestring && *end == '\0' && strcmp(it->string, "seed") != 0)
                r.numeric[r.n_numeric++] = it->string;
        }
    }
    if (in->n_seeds < COMPARE_FEW_SEEDS)
        fprintf(stderr, "torta-sim: warning: compare: fewer than %d seeds (%d): intervals are wide "
                        "(--seeds 1-5 or more)\n", COMPARE_FEW_SEEDS, in->n_seeds);
    if (!rc && first) {
        print_table(&r, in->all_metrics ? (const char *const *)r.numeric
                                        : in->metrics ? in->metrics : DEFAULT_METRICS);
        fflush(stdout);
        char path[4200];
        snprintf(path, sizeof path, "%s/compare_stats.csv", in->out_dir);
        rc = torta_table_write(path, fill_stats, &r, e);
    }
    for (int i = 0; r.flat && i < n; i++)
        cJSON_Delete(r.flat[i]);
    free(r.flat);
    free(r.numeric);
    free(r.x);
    free(r.y);
    free(r.xa);
    free(r.ya);
    return rc;
}
