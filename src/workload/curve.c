/* Diurnal curves: the raised-cosine day shape (mean 1) and hourly-table interpolation shared by
 * the diurnal generator and the origin assigner. */
#include <math.h>

#include "workload/wl_internal.h"

static const double PI = 3.14159265358979323846;

double wl_cosine_curve(double local_hour, double peak_to_trough, double peak_hour)
{
    /* 1 + a cos(...) has mean exactly 1 and max/min = (1+a)/(1-a) = peak_to_trough. */
    double a = (peak_to_trough - 1.0) / (peak_to_trough + 1.0);
    return 1.0 + a * cos(2.0 * PI * (local_hour - peak_hour) / 24.0);
}

double wl_curve24_at(const double *curve24, double local_hour)
{
    if (!curve24)
        return 1.0;
    int k = (int)floor(local_hour);
    double f = local_hour - k;
    k = ((k % 24) + 24) % 24;
    return curve24[k] * (1.0 - f) + curve24[(k + 1) % 24] * f;
}

double wl_local_hour(double t_s, double start_hour, double tz_h)
{
    double h = fmod(start_hour + t_s / 3600.0 + tz_h, 24.0);
    if (h < 0)
        h += 24.0;
    if (h >= 24.0)
        h = 0.0;
    return h;
}

void torta_diurnal_curve24(double peak_to_trough, double peak_hour, double out[24])
{
    for (int k = 0; k < 24; k++)
        out[k] = wl_cosine_curve(k, peak_to_trough, peak_hour);
}
