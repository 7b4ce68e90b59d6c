/* capacity-search's outputs (capsearch.h): capacity_search.csv (per scheduler, each seed and the
 * pooled row at the highest rate that passed), capacity_steps.csv (every rate tried, in order)
 * and the Markdown summary on stdout. Deterministic: the same search writes the same bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/capsearch.h"

static const char *const STATE[] = {"not_finished", "found", "below_lo", "at_hi", "max_steps", "failed"};

static void num(FILE *f, double x)
{
    char buf[64];
    fputc(',', f);
    if (!isnan(x)) {
        torta_fmt_num(x, buf, sizeof buf);
        fputs(buf, f);
    }
}

static void slo_header(FILE *f, const cs_ctx *c)
{
    for (int j = 0; j < c->n_slo; j++) {
        fputc(',', f);
        torta_csv_cell(f, c->slo[j].name);
    }
}

/* One row per seed and a pooled one of evaluation v ("meets_slo": the seed's, or the rule's). */
static void eval_rows(FILE *f, const cs_ctx *c, const cs_eval *v, const char *lead, int with_rate)
{
    char scale[64];
    cs_fmt_scale(c, v->scale, scale, sizeof scale);
    for (int k = 0; k <= c->n_seeds; k++) {
        fputs(lead, f);
        if (with_rate) {
            fprintf(f, ",%s", scale);
            num(f, cs_rate_per_s(c, v));
        }
        if (k < c->n_seeds)
            fprintf(f, ",%.0f", c->seeds[k]);
        else
            fputs(",pooled", f);
        for (int j = 0; j < c->n_slo; j++)
            num(f, k < c->n_seeds ? v->v[k * c->n_slo + j] : v->mean[j]);
        fprintf(f, ",%s\n", (k < c->n_seeds ? v->seed_ok[k] : v->pass) ? "yes" : "no");
    }
}

static int fill_steps(FILE *f, void *ud, torta_err *e)
{
    const cs_ctx *c = ud;
    fputs("scheduler,step,rate_scale,rate_per_s,seed", f);
    slo_header(f, c);
    fputs(",meets_slo\n", f);
    for (int s = 0; s < c->sl.n; s++)
        for (int i = 0; i < c->n_ev; i++) {
            if (c->ev[i].sched != s)
                continue;
            char *lead = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&lead, &len);
            if (!m)
                return torta_err_set(e, TORTA_ENOMEM, "out of memory");
            torta_csv_cell(m, c->sl.s[s].label);
            fprintf(m, ",%d", c->ev[i].step);
            fclose(m);
            eval_rows(f, c, &c->ev[i], lead ? lead : "", 1);
            free(lead);
        }
    return 0;
}

static int fill_result(FILE *f, void *ud, torta_err *e)
{
    const cs_ctx *c = ud;
    fputs("scheduler,status,max_rate_scale,rate_per_s,fails_at_rate_scale,steps,seed", f);
    slo_header(f, c);
    fputs(",meets_slo\n", f);
    for (int s = 0; s < c->sl.n; s++) {
        const cs_search *se = &c->se[s];
        char *lead = NULL, scale[64] = "", fail[64] = "";
        size_t len = 0;
        FILE *m = open_memstream(&lead, &len);
        if (!m)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        torta_csv_cell(m, c->sl.s[s].label);
        if (se->best >= 0)
            cs_fmt_scale(c, c->ev[se->best].scale, scale, sizeof scale);
        if (se->fail_above >= 0)
            cs_fmt_scale(c, c->ev[se->fail_above].scale, fail, sizeof fail);
        fprintf(m, ",%s,%s", STATE[se->state], scale);
        if (se->best >= 0) {
            double r = cs_rate_per_s(c, &c->ev[se->best]);
            char buf[64] = "";
            if (!isnan(r))
                torta_fmt_num(r, buf, sizeof buf);
            fprintf(m, ",%s", buf);
        } else {
            fputc(',', m);
        }
        fprintf(m, ",%s,%d", fail, se->steps);
        fclose(m);
        if (se->best >= 0) {
            eval_rows(f, c, &c->ev[se->best], lead ? lead : "", 0);
        } else { /* nothing passed: the pooled row alone, without values */
            fprintf(f, "%s,pooled", lead ? lead : "");
            for (int j = 0; j < c->n_slo; j++)
                fputc(',', f);
            fputs(",no\n", f);
        }
        free(lead);
    }
    return 0;
}

static void markdown(const cs_ctx *c)
{
    printf("### torta-sim capacity-search: topology %s, workload %s\n\n", c->topology_name ? c->topology_name : "?",
           c->workload_name ? c->workload_name : "?");
    printf("SLO:");
    for (int j = 0; j < c->n_slo; j++)
        printf(" %s <= %g%s", c->slo[j].name, c->slo[j].max, j + 1 < c->n_slo ? "," : "");
    printf(" (latencies in seconds). A rate passes when %s %d seed(s) %s; bisection over the rate "
           "scale in [%g, %g] until hi / lo <= %g. Metrics: the seed mean at the rate found.\n\n",
           c->rule_mean ? "the mean over the" : "every one of the", c->n_seeds,
           c->rule_mean ? "of each metric meets it" : "meets it", c->lo, c->hi, 1 + c->tol);
    printf("| scheduler | max rate scale | rate (req/s) |");
    for (int j = 0; j < c->n_slo; j++)
        printf(" %s |", c->slo[j].name);
    printf(" steps | result |\n|---|---:|---:|");
    for (int j = 0; j < c->n_slo; j++)
        printf("---:|");
    printf("---:|---|\n");
    for (int s = 0; s < c->sl.n; s++) {
        const cs_search *se = &c->se[s];
        const cs_eval *b = se->best >= 0 ? &c->ev[se->best] : NULL;
        char x[64] = "-", f[64] = "", lo[64], hi[64];
        if (b)
            cs_fmt_scale(c, b->scale, x, sizeof x);
        if (se->fail_above >= 0)
            cs_fmt_scale(c, c->ev[se->fail_above].scale, f, sizeof f);
        cs_fmt_scale(c, c->lo, lo, sizeof lo);
        cs_fmt_scale(c, c->hi, hi, sizeof hi);
        printf("| %s | %s |", c->sl.s[s].label, x);
        double r = b ? cs_rate_per_s(c, b) : NAN;
        if (isnan(r))
            printf(" |");
        else
            printf(" %.4g |", r);
        for (int j = 0; j < c->n_slo; j++)
            b ? printf(" %.4g |", b->mean[j]) : printf(" |");
        printf(" %d | ", se->steps);
        switch (se->state) {
        case CS_FOUND: printf("passes at %s, fails at %s", x, f); break;
        case CS_BELOW_LO: printf("fails already at --lo %s: lower it", lo); break;
        case CS_AT_HI: printf("passes at --hi %s: raise it", hi); break;
        case CS_MAX_STEPS: printf("--max-steps reached: passes at %s, fails at %s", x, f); break;
        default: printf("not finished (a run failed or was interrupted)"); break;
        }
        printf(" |\n");
    }
}

int cs_write_outputs(const cs_ctx *c, torta_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/capacity_steps.csv", c->m.out_dir);
    int rc = torta_table_write(path, fill_steps, (void *)c, e);
    snprintf(path, sizeof path, "%s/capacity_search.csv", c->m.out_dir);
    if (!rc)
        rc = torta_table_write(path, fill_result, (void *)c, e);
    if (!rc) {
        markdown(c);
        fflush(stdout);
    }
    return rc;
}
