/* Exponentially weighted moving average (simple exponential smoothing): a flat forecast at the
 * smoothed level. */
#include "forecast/fc_internal.h"

void fc_ewma_init(fc_ewma *s, double alpha)
{
    s->alpha = alpha;
    s->level = 0.0;
    s->n = 0;
}

void fc_ewma_observe(fc_ewma *s, double y)
{
    s->level = s->n == 0 ? y : s->alpha * y + (1.0 - s->alpha) * s->level;
    s->n++;
}

void fc_ewma_forecast(const fc_ewma *s, int horizon, double *out)
{
    for (int h = 0; h < horizon; h++)
        out[h] = s->level; /* 0 before any observation */
}
