/* Benchmark check: a sweep's results against a committed baseline (both in sweep.csv format),
 * point by point on chosen metrics, each with a relative tolerance and a good direction. A
 * change beyond tolerance in the bad direction, or a point missing on either side, is a
 * regression; a change beyond tolerance in the good direction is reported, not failed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"

int torta_bench_direction(const char *m)
{
    static const char *const lower[] = {"latency_s.", "cost_usd.", "rejected", "_std", "_cv",
                                        "switches", "migrations", "egress_bytes", "in_flight",
                                        "time_avg_in_system", NULL};
    static const char *const higher[] = {"completed", "jain", NULL};
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

static void md_num(FILE *md, const char *s)
{
    double x;
    if (parse_num(s, &x))
        fprintf(md, " %.6g |", x);
    else
        fprintf(md, " %s |", *s ? s : "-");
}

int torta_bench_compare(const char *baseline_csv, const char *current_csv,
                        const torta_bench_metric *m, int n_m, FILE *md, int *regressions,
                        torta_err *e)
{
    torta_csv b, c;
    *regressions = 0;
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
    if (rc) {
        torta_csv_free(&b);
        torta_csv_free(&c);
        return rc;
    }
    int n_checked = 0, n_better = 0;
    fputs("| point | metric | baseline | now | change | tolerance | verdict |\n"
          "|---|---|---:|---:|---:|---:|---|\n", md);
    for (int r = 0; r < b.n_rows; r++) {
        const char *id = b.rows[r][bp];
        int cr = -1;
        for (int k = 0; k < c.n_rows && cr < 0; k++)
            if (strcmp(c.rows[k][cp], id) == 0)
                cr = k;
        if (cr < 0) {
            fprintf(md, "| %s | (all) | | | | | **REGRESSION: point missing or failed now** |\n", id);
            (*regressions)++;
            continue;
        }
        for (int k = 0; k < n_m; k++) {
            int bc = torta_csv_col(&b, m[k].name), cc = torta_csv_col(&c, m[k].name);
            const char *bs = bc >= 0 ? b.rows[r][bc] : "", *cs = cc >= 0 ? c.rows[cr][cc] : "";
            double bx, cx;
            int bn = parse_num(bs, &bx), cn = parse_num(cs, &cx);
            fprintf(md, "| %s | %s |", id, m[k].name);
            md_num(md, bs);
            md_num(md, cs);
            const char *verdict = "ok";
            double change = 0;
            if (!bn || !cn) {
                verdict = strcmp(bs, cs) == 0 ? "ok" : "**REGRESSION: not comparable**";
                fputs(" |", md);
            } else {
                change = bx == cx ? 0 : bx != 0 ? (cx - bx) / fabs(bx) : (cx > bx ? INFINITY : -INFINITY);
                if (isinf(change))
                    fprintf(md, " %s |", change > 0 ? "+inf" : "-inf");
                else
                    fprintf(md, " %+.2f%% |", 100 * change);
                if (fabs(change) > m[k].tolerance) {
                    int worse = m[k].better == 0 || (m[k].better < 0 ? change > 0 : change < 0);
                    verdict = worse ? "**REGRESSION**" : "better";
                    n_better += !worse;
                }
            }
            fprintf(md, " %g%% | %s |\n", 100 * m[k].tolerance, verdict);
            *regressions += verdict[0] == '*';
            n_checked++;
        }
    }
    for (int k = 0; k < c.n_rows; k++) {
        int found = 0;
        for (int r = 0; r < b.n_rows && !found; r++)
            found = strcmp(b.rows[r][bp], c.rows[k][cp]) == 0;
        if (!found) {
            fprintf(md, "| %s | (all) | | | | | **REGRESSION: point not in the baseline (refresh it)** |\n",
                    c.rows[k][cp]);
            (*regressions)++;
        }
    }
    fprintf(md, "\n%d values checked: %d regression(s) beyond tolerance, %d improvement(s).\n",
            n_checked, *regressions, n_better);
    torta_csv_free(&b);
    torta_csv_free(&c);
    return 0;
}
