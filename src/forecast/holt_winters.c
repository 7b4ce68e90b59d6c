/* Holt-Winters with additive season and damped trend, error-correction form of Hyndman &
 * Athanasopoulos, FPP3 section 8.3:
 *   l_t = alpha (y_t - s_{t-m}) + (1 - alpha)(l_{t-1} + phi b_{t-1})
 *   b_t = beta (l_t - l_{t-1}) + (1 - beta) phi b_{t-1}
 *   s_t = gamma (y_t - l_{t-1} - phi b_{t-1}) + (1 - gamma) s_{t-m}
 *   y_{t+h|t} = l_t + (phi + ... + phi^h) b_t + s_{t+h-m(k+1)},  k = floor((h-1)/m)
 * Initialisation (one season suffices, so the method is seasonal from the second season on):
 * during the first m observations it runs damped Holt (the same equations with s = 0, l_0 = y_0,
 * b_0 = 0) and stores the observations; at n = m it sets l = mean of the first season, b = 0,
 * s_i = y_i - l. A trend present in the data is then learnt through beta (one season cannot
 * separate a trend from the season's shape; b = 0 is the safe choice for diurnal demand). */
#include <stdlib.h>

#include "forecast/fc_internal.h"

int fc_hw_init(fc_hw *s, const torta_forecast_params *p)
{
    s->alpha = p->hw_alpha;
    s->beta = p->hw_beta;
    s->gamma = p->hw_gamma;
    s->phi = p->hw_phi;
    s->m = p->season_slots;
    s->n = 0;
    s->level = s->trend = s->first_sum = 0.0;
    s->season = calloc((size_t)s->m, sizeof *s->season);
    return s->season ? 0 : TORTA_ENOMEM;
}

static void holt_step(fc_hw *s, double y, double s_old, double *s_new)
{
    double prev = s->level, damped = s->phi * s->trend;
    s->level = s->alpha * (y - s_old) + (1.0 - s->alpha) * (prev + damped);
    s->trend = s->beta * (s->level - prev) + (1.0 - s->beta) * damped;
    if (s_new)
        *s_new = s->gamma * (y - prev - damped) + (1.0 - s->gamma) * s_old;
}

void fc_hw_observe(fc_hw *s, double y)
{
    long t = s->n;
    if (t < s->m) { /* first season: damped Holt, keep the raw observation */
        if (t == 0) {
            s->level = y;
            s->trend = 0.0;
        } else {
            holt_step(s, y, 0.0, NULL);
        }
        s->season[t] = y;
        s->first_sum += y;
        s->n++;
        if (s->n == s->m) { /* the season is known: initialise */
            s->level = s->first_sum / s->m;
            s->trend = 0.0;
            for (int i = 0; i < s->m; i++)
                s->season[i] -= s->level;
        }
        return;
    }
    double *slot = &s->season[t % s->m];
    holt_step(s, y, *slot, slot);
    s->n++;
}

void fc_hw_forecast(const fc_hw *s, int horizon, double *out)
{
    double damp_sum = 0.0, phi_h = 1.0;
    long t = s->n - 1;
    for (int h = 1; h <= horizon; h++) {
        phi_h *= s->phi;
        damp_sum += phi_h;
        double f = s->level + damp_sum * s->trend; /* 0 before any observation */
        if (s->n >= s->m)
            f += s->season[(t + h) % s->m];
        out[h - 1] = f;
    }
}

void fc_hw_free(fc_hw *s)
{
    free(s->season);
    s->season = NULL;
}
