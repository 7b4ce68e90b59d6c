/* Mean absolute scaled error (Hyndman & Koehler 2006): forecast MAE divided by the in-sample MAE
 * of the seasonal naive method, so 1 means "as good as seasonal naive in sample". */
#include <math.h>

#include "torta/forecast.h"

int torta_forecast_mase(const double *train, size_t n_train, int m, const double *actual,
                        const double *pred, size_t n, double *out, torta_err *e)
{
    if (m < 1)
        return torta_err_set(e, TORTA_EINPUT, "mase: season %d is below 1", m);
    if (n == 0)
        return torta_err_set(e, TORTA_EINPUT, "mase: no forecasts to score");
    if (n_train <= (size_t)m)
        return torta_err_set(e, TORTA_EINPUT,
                             "mase: the training series has %zu points; more than the season "
                             "(%d) are needed for the scale",
                             n_train, m);
    double scale = 0.0, mae = 0.0;
    for (size_t t = (size_t)m; t < n_train; t++)
        scale += fabs(train[t] - train[t - m]);
    scale /= (double)(n_train - (size_t)m);
    if (!(scale > 0.0))
        return torta_err_set(e, TORTA_EINPUT,
                             "mase: the scale is zero (the training series repeats with period %d)",
                             m);
    for (size_t i = 0; i < n; i++)
        mae += fabs(actual[i] - pred[i]);
    mae /= (double)n;
    *out = mae / scale;
    return 0;
}
