/* Benchmark check: a sweep's results against a committed baseline (both in sweep.csv format), on
 * chosen metrics, each with a relative tolerance and a good direction. The points of one
 * configuration (its seeds) are pooled: the mean over the seeds now against the baseline's, with
 * their 95% CIs and the paired (same seed) CI of the change. A change of the mean beyond
 * tolerance in the bad direction, or a point missing on either side, is a regression; a change
 * beyond tolerance in the good direction is reported, not failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"

int torta_bench_direction(const char *m)
{
    static const char *const lower[] = {"latency_s.", "cost_usd.", "rejected", "_std", "_cv",
                                        "switches", "migrations", "egress_bytes", "in_flight",
                                        "time_avg_in_system", "preemptions", "server_starts",
                                        "server_stops", NULL};
    static const char *const higher[] = {"completed", "jain", "attainment", "hit_rate", NULL};
    for (int i = 0; lower[i]; i++)
        if (strstr(m, lower[i]))
            return -1;
    for (int i = 0; higher[i]; i++)
        if (strstr(m, higher[i]))
            return 1;
    return 0;
}

static int parse_num(const char *s, double *x)
{
    char *end;
    *x = strtod(s, &end);
    return *s != '\0' && *end == '\0';
}

/* The configuration a row belongs to: its group_by values (or its point id). */
static char *group_key(const torta_csv *t, int row, const int *cols, int n, int pcol)
{
    size_t len = 1;
    for (int k = 0; k < n; k++)
        len += strlen(t->rows[row][cols[k]]) + 1;
    char *key = malloc(n ? len : strlen(t->rows[row][pcol]) + 1);
    if (key && !n)
        strcpy(key, t->rows[row][pcol]);
    for (int k = 0, at = 0; key && k < n; k++)
        at += sprintf(key + at, "%s\x1f", t->rows[row][cols[k]]);
    return key;
}

/* A configuration's name in the table: its first point's id without "__s<seed>", else its
 * group_by values joined by "__". */
static void group_label(const torta_csv *t, int row, const int *cols, int n, int pcol, int scol,
                        char *out, size_t size)
{
    const char *id = t->rows[row][pcol];
    size_t il = strlen(id);
    if (!n) {
        snprintf(out, size, "%s", id);
        return;
    }
    if (scol >= 0) {
        char suffix[200];
        snprintf(suffix, sizeof suffix, "__s%s", t->rows[row][scol]);
        size_t sl = strlen(suffix);
        if (il > sl && strcmp(id + il - sl, suffix) == 0) {
            snprintf(out, size, "%.*s", (int)(il - sl), id);
            return;
        }
    }
    size_t at = 0;
    out[0] = '\0';
    for (int k = 0; k < n && at < size; k++)
        at += (size_t)snprintf(out + at, size - at, "%s%s", k ? "__" : "", t->rows[row][cols[k]]);
}

static void value_cell(FILE *md, const double *x, int n)
{
    double mean = NAN, half = NAN;
    torta_mean_ci95(x, n, &mean, &half);
    if (n == 1)
        fprintf(md, " %.6g |", mean);
    else
        fprintf(md, " %.6g ± %.2g |", mean, half);
}

typedef struct bench_ctx {
    const torta_csv *b, *c;
    int bp, cp, scol;
    const int *gb, *gc; /* group_by columns in b and c */
    int ng;
    const torta_bench_metric *m;
    const torta_bench_opts *o;
    double *bx, *cx;
    FILE *rows;
    torta_bench_tally *t;
} bench_ctx;

/* One configuration (baseline rows rs[0..nr), matching current rows cs[]) on metric m. */
static void compare_metric(bench_ctx *x, const char *label, const int *rs, const int *cs, int nr,
                           const torta_bench_metric *m)
{
    int bc = torta_csv_col(x->b, m->name), cc = torta_csv_col(x->c, m->name);
    int n = 0, changed = 0, comparable = 1;
    const char *bs0 = "", *cs0 = "";
    for (int i = 0; i < nr; i++) {
        const char *bs = bc >= 0 ? x->b->rows[rs[i]][bc] : "", *now = cc >= 0 ? x->c->rows[cs[i]][cc] : "";
        double bv = 0, cv = 0;
        if (parse_num(bs, &bv) && parse_num(now, &cv)) {
            x->bx[n] = bv;
            x->cx[n++] = cv;
            changed |= bv != cv;
        } else if (strcmp(bs, now) != 0 && comparable) {
            comparable = 0;
            bs0 = bs;
            cs0 = now;
        }
    }
    x->t->values++;
    const char *verdict = "ok";
    char change[160] = "";
    if (!comparable) {
        verdict = "**REGRESSION: not comparable**";
    } else if (n > 0) {
        double mb = NAN, mc = NAN, h = NAN;
        torta_mean_ci95(x->bx, n, &mb, &h);
        torta_mean_ci95(x->cx, n, &mc, &h);
        double rel = mb == mc ? 0 : mb != 0 ? (mc - mb) / fabs(mb) : (mc > mb ? INFINITY : -INFINITY);
        if (isinf(rel))
            snprintf(change, sizeof change, "%s", rel > 0 ? "+inf" : "-inf");
        else
            snprintf(change, sizeof change, "%+.2f%%", 100 * rel);
        if (changed && n >= 2 && mb != 0) { /* paired by point: the same seeds before and now */
            torta_paired p;
            torta_paired_t(x->cx, x->bx, n, &p);
            size_t at = strlen(change);
            snprintf(change + at, sizeof change - at, " [%+.2f, %+.2f]%s", 100 * (p.diff - p.half) / fabs(mb),
                     100 * (p.diff + p.half) / fabs(mb), torta_paired_significant(&p) ? "" : " n.s.");
        }
        if (fabs(rel) > m->tolerance) {
            int worse = m->better == 0 || (m->better < 0 ? rel > 0 : rel < 0);
            verdict = worse ? "**REGRESSION**" : "better";
        }
    }
    x->t->regressions += verdict[0] == '*';
    x->t->improvements += verdict[0] == 'b';
    x->t->changed += verdict[0] == 'o' && changed;
    if (!x->o->all_rows && verdict[0] == 'o' && !changed)
        return;
    fprintf(x->rows, "| %s | %s |", label, m->name);
    if (!comparable) {
        fprintf(x->rows, " %s | %s |", *bs0 ? bs0 : "-", *cs0 ? cs0 : "-");
    } else if (n == 0) {
        fputs(" - | - |", x->rows);
    } else {
        value_cell(x->rows, x->bx, n);
        value_cell(x->rows, x->cx, n);
    }
    fprintf(x->rows, " %s | %g%% | %s |\n", change, 100 * m->tolerance, verdict);
}

static int find_row(const torta_csv *t, int col, const char *id)
{
    for (int k = 0; k < t->n_rows; k++)
        if (strcmp(t->rows[k][col], id) == 0)
            return k;
    return -1;
}

int torta_bench_compare(const char *baseline_csv, const char *current_csv,
                        const torta_bench_metric *m, int n_m, const torta_bench_opts *o, FILE *md,
                        torta_bench_tally *t, torta_err *e)
{
    torta_csv b, c;
    memset(t, 0, sizeof *t);
    int rc = torta_csv_read(baseline_csv, &b, e);
    if (rc)
        return rc;
    if ((rc = torta_csv_read(current_csv, &c, e))) {
        torta_csv_free(&b);
        return rc;
    }
    int bp = torta_csv_col(&b, "point"), cp = torta_csv_col(&c, "point");
    if (bp < 0 || cp < 0)
        rc = torta_err_set(e, TORTA_EINPUT, "%s: no \"point\" column (expected a sweep.csv)",
                           bp < 0 ? baseline_csv : current_csv);
    for (int k = 0; !rc && k < n_m; k++)
        if (torta_csv_col(&b, m[k].name) < 0 && torta_csv_col(&c, m[k].name) < 0)
            rc = torta_err_set(e, TORTA_EINPUT, "metric \"%s\": not a column of %s (use the "
                               "flattened summary names, e.g. latency_s.e2e.mean)", m[k].name, current_csv);
    int ng = o->n_group_by;
    int *gb = calloc((size_t)ng + 1, sizeof *gb), *gc = calloc((size_t)ng + 1, sizeof *gc);
    int *rs = calloc((size_t)b.n_rows + 1, sizeof *rs), *cs = calloc((size_t)b.n_rows + 1, sizeof *cs);
    int *match = calloc((size_t)b.n_rows + 1, sizeof *match), *done = calloc((size_t)b.n_rows + 1, sizeof *done);
    double *bx = calloc((size_t)b.n_rows + 1, sizeof *bx), *cx = calloc((size_t)b.n_rows + 1, sizeof *cx);
    char *text = NULL;
    size_t text_len = 0;
    FILE *rows = NULL;
    if (!rc && (!gb || !gc || !rs || !cs || !match || !done || !bx || !cx ||
                !(rows = open_memstream(&text, &text_len))))
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int k = 0; !rc && k < ng; k++) {
        gb[k] = torta_csv_col(&b, o->group_by[k]);
        gc[k] = torta_csv_col(&c, o->group_by[k]);
        if (gb[k] < 0 || gc[k] < 0)
            rc = torta_err_set(e, TORTA_EINPUT, "%s: no \"%s\" column (a parameter of the spec; "
                               "refresh the baseline with --update)", gb[k] < 0 ? baseline_csv :
                               current_csv, o->group_by[k]);
    }
    int scol = !rc && o->seed_col ? torta_csv_col(&b, o->seed_col) : -1;
    bench_ctx x = {&b, &c, bp, cp, scol, gb, gc, ng, m, o, bx, cx, rows, t};
    for (int r = 0; !rc && r < b.n_rows; r++) { /* points missing now */
        match[r] = find_row(&c, cp, b.rows[r][bp]);
        if (match[r] < 0) {
            fprintf(rows, "| %s | (all) | | | | | **REGRESSION: point missing or failed now** |\n",
                    b.rows[r][bp]);
            t->regressions++;
        }
    }
    for (int k = 0; !rc && k < c.n_rows; k++)
        if (find_row(&b, bp, c.rows[k][cp]) < 0) {
            fprintf(rows, "| %s | (all) | | | | | **REGRESSION: point not in the baseline (refresh it)** |\n",
                    c.rows[k][cp]);
            t->regressions++;
        }
    for (int r = 0; !rc && r < b.n_rows; r++) { /* configurations, in the baseline's order */
        if (done[r] || match[r] < 0)
            continue;
        char *key = group_key(&b, r, gb, ng, bp), label[600];
        int nr = 0;
        for (int q = r; key && q < b.n_rows; q++) {
            if (done[q] || match[q] < 0)
                continue;
            char *kq = group_key(&b, q, gb, ng, bp);
            if (kq && strcmp(kq, key) == 0) {
                done[q] = 1;
                rs[nr] = q;
                cs[nr++] = match[q];
            }
            free(kq);
        }
        free(key);
        group_label(&b, r, gb, ng, bp, scol, label, sizeof label);
        t->configs++;
        for (int k = 0; k < n_m; k++)
            compare_metric(&x, label, rs, cs, nr, &m[k]);
    }
    if (rows && fclose(rows) != 0 && !rc)
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    if (!rc && text_len > 0)
        fprintf(md, "| %s | metric | baseline | now | change | tolerance | verdict |\n"
                    "|---|---|---:|---:|---:|---:|---|\n%s", ng ? "configuration" : "point", text);
    else if (!rc)
        fprintf(md, "No value changed%s.\n", o->all_rows ? "" : " (--all prints every row)");
    if (!rc)
        fprintf(md, "\n%d values (%d %s x %d metrics%s): %d regression%s, %d improvement%s, %d other "
                    "change%s within tolerance.\n", t->values, t->configs, ng ? "configurations" : "points",
                n_m, ng ? ", each the mean over its seeds" : "", t->regressions, t->regressions == 1 ? "" : "s",
                t->improvements, t->improvements == 1 ? "" : "s", t->changed, t->changed == 1 ? "" : "s");
    free(text);
    free(gb);
    free(gc);
    free(rs);
    free(cs);
    free(match);
    free(done);
    free(bx);
    free(cx);
    torta_csv_free(&b);
    torta_csv_free(&c);
    return rc;
}
