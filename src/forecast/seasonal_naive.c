/* Seasonal naive forecast: the value one season earlier (the last observed slot of the same
 * phase); before a full season has been seen, the last observation. */
#include <stdlib.h>

#include "forecast/fc_internal.h"

int fc_snaive_init(fc_snaive *s, int m)
{
    s->m = m;
    s->n = 0;
    s->ring = calloc((size_t)m, sizeof *s->ring);
    return s->ring ? 0 : TORTA_ENOMEM;
}

void fc_snaive_observe(fc_snaive *s, double y)
{
    s->ring[s->n % s->m] = y;
    s->n++;
}

void fc_snaive_forecast(const fc_snaive *s, int horizon, double *out)
{
    if (s->n == 0) {
        for (int h = 0; h < horizon; h++)
            out[h] = 0.0;
        return;
    }
    long t = s->n - 1; /* time of the last observation */
    if (s->n < s->m) {
        double last = s->ring[t % s->m];
        for (int h = 0; h < horizon; h++)
            out[h] = last;
        return;
    }
    /* t + h - m*ceil(h/m) has the same phase as t + h and lies within the last m slots. */
    for (int h = 1; h <= horizon; h++)
        out[h - 1] = s->ring[(t + h) % s->m];
}

void fc_snaive_free(fc_snaive *s)
{
    free(s->ring);
    s->ring = NULL;
}
