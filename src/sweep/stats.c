/* Statistics of repeated runs: the mean over seeds and its 95% confidence interval. */
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
