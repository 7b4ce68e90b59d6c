/* Statistics of repeated runs: the mean over seeds and its 95% confidence interval, and the
 * paired t-test of two schedulers run with the same seeds. */
#include <gsl/gsl_cdf.h>
#include <math.h>

#include "sweep/sweep.h"

void torta_mean_ci95(const double *x, int n, double *mean, double *half)
{
    double m = 0, ss = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m = n > 0 ? m / n : NAN;
    for (int i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    /* Student t with n-1 degrees of freedom: few seeds, unknown variance. */
    *half = n >= 2 ? gsl_cdf_tdist_Pinv(0.975, n - 1) * sqrt(ss / (n - 1)) / sqrt((double)n) : NAN;
}

void torta_paired_t(const double *a, const double *b, int n, torta_paired *r)
{
    double ma = 0, mb = 0, md = 0, ss = 0;
    for (int i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
        md += a[i] - b[i];
    }
    r->n = n;
    r->mean_a = n > 0 ? ma / n : NAN;
    r->mean_b = n > 0 ? mb / n : NAN;
    r->diff = md = n > 0 ? md / n : NAN;
    for (int i = 0; i < n; i++)
        ss += (a[i] - b[i] - md) * (a[i] - b[i] - md);
    r->sd = r->half = r->t = r->p = NAN;
    if (n < 2)
        return;
    r->sd = sqrt(ss / (n - 1));
    double se = r->sd / sqrt((double)n);
    r->half = gsl_cdf_tdist_Pinv(0.975, n - 1) * se;
    if (se > 0) {
        r->t = md / se;
        r->p = 2 * gsl_cdf_tdist_Q(fabs(r->t), n - 1);
    } else { /* every difference the same: none (p = 1), or a certain one (p = 0) */
        r->t = md == 0 ? 0.0 : md > 0 ? INFINITY : -INFINITY;
        r->p = md == 0 ? 1.0 : 0.0;
    }
}

int torta_paired_significant(const torta_paired *r)
{
    if (r->n < 2 || isnan(r->half))
        return -1;
    return fabs(r->diff) > r->half;
}
