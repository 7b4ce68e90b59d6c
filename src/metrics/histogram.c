/* Log-bucketed latency histogram. */
#include "metrics/histogram.h"

#include <math.h>
#include <stdlib.h>

#define HIST_LO 1e-7

int torta_hist_init(torta_hist *h)
{
    h->count = calloc(TORTA_HIST_BUCKETS + 2, sizeof *h->count);
    h->n = 0;
    h->sum = 0;
    h->min = INFINITY;
    h->max = -INFINITY;
    return h->count ? 0 : -1;
}

void torta_hist_free(torta_hist *h)
{
    free(h->count);
    h->count = NULL;
}

void torta_hist_add(torta_hist *h, double x)
{
    size_t b;
    if (!(x >= HIST_LO)) {
        b = 0;
    } else {
        double k = floor(log10(x / HIST_LO) * TORTA_HIST_PER_DECADE);
        b = k >= TORTA_HIST_BUCKETS ? TORTA_HIST_BUCKETS + 1 : (size_t)k + 1;
    }
    h->count[b]++;
    h->n++;
    h->sum += x;
    if (x < h->min)
        h->min = x;
    if (x > h->max)
        h->max = x;
}

double torta_hist_mean(const torta_hist *h)
{
    return h->n ? h->sum / (double)h->n : 0.0;
}

double torta_hist_quantile(const torta_hist *h, double p)
{
    if (h->n == 0)
        return 0.0;
    uint64_t rank = (uint64_t)ceil(p * (double)h->n);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < TORTA_HIST_BUCKETS + 2; b++) {
        seen += h->count[b];
        if (seen < rank)
            continue;
        double v;
        if (b == 0) /* below 1e-7 s: the exact minimum is within 1e-7 s of the answer */
            v = h->min;
        else if (b == TORTA_HIST_BUCKETS + 1)
            v = h->max;
        else /* geometric middle of the bucket */
            v = HIST_LO * pow(10.0, ((double)(b - 1) + 0.5) / TORTA_HIST_PER_DECADE);
        if (v < h->min)
            v = h->min;
        if (v > h->max)
            v = h->max;
        return v;
    }
    return h->max;
}
