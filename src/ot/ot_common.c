/* Input checks, defaults and the transport cost shared by every OT solver. */
#include "ot_internal.h"

#include <math.h>

#define TORTA_OT_MASS_RTOL 1e-9

torta_ot_params torta_ot_params_default(double reg)
{
    torta_ot_params p = {.reg = reg, .rho = INFINITY, .max_iter = 10000, .tol = 1e-9,
                         .warm_start = 1};
    return p;
}

int torta_ot_check_masses(const double *x, int len, const char *what, double *sum, torta_err *e)
{
    double s = 0.0;
    for (int i = 0; i < len; i++) {
        if (!isfinite(x[i]))
            return torta_err_set(e, TORTA_EINPUT, "%s[%d]: mass is not a finite number", what, i);
        if (x[i] < 0.0)
            return torta_err_set(e, TORTA_EINPUT, "%s[%d]: negative mass %g", what, i, x[i]);
        s += x[i];
    }
    if (!isfinite(s))
        return torta_err_set(e, TORTA_EINPUT, "%s: total mass overflows", what);
    *sum = s;
    return 0;
}

int torta_ot_check_costs(int n, int m, const double *C, torta_err *e)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            if (!isfinite(C[(size_t)i * m + j]))
                return torta_err_set(e, TORTA_EINPUT, "C[%d][%d]: cost is not a finite number",
                                     i, j);
    return 0;
}

int torta_ot_check_balance(double sa, double sb, torta_err *e)
{
    if (fabs(sa - sb) > TORTA_OT_MASS_RTOL * fmax(sa, sb))
        return torta_err_set(e, TORTA_EINPUT,
                             "source mass %.17g != target mass %.17g: balanced OT needs equal "
                             "masses (normalise both, or use unbalanced OT)",
                             sa, sb);
    return 0;
}

double torta_ot_cost(int n, int m, const double *C, const double *plan)
{
    double s = 0.0;
    size_t nm = (size_t)n * (size_t)m;
    for (size_t k = 0; k < nm; k++)
        s += C[k] * plan[k];
    return s;
}
