/* Log-linear latency histogram (see histogram.h). */
#include "metrics/histogram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_EXP (-24) /* 2^-24 s is the smallest value with its own bucket */

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

static size_t bucket_of(double x)
{
    if (!(x >= 0x1p-24))
        return 0;
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int64_t octave = (int64_t)((bits >> 52) & 0x7ff) - 1023 - MIN_EXP;
    uint64_t sub = (bits >> (52 - TORTA_HIST_SUB_BITS)) & ((1u << TORTA_HIST_SUB_BITS) - 1);
    int64_t b = (octave << TORTA_HIST_SUB_BITS) + (int64_t)sub;
    return b >= TORTA_HIST_BUCKETS ? TORTA_HIST_BUCKETS + 1 : (size_t)b + 1;
}

void torta_hist_add(torta_hist *h, double x)
{
    h->count[bucket_of(x)]++;
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

void torta_hist_bounds(size_t b, double *lo, double *hi)
{
    if (b == 0) {
        *lo = 0.0;
        *hi = 0x1p-24;
        return;
    }
    if (b >= TORTA_HIST_BUCKETS + 1) {
        *lo = 0x1p24;
        *hi = INFINITY;
        return;
    }
    /* octave 2^(o + MIN_EXP), sub-bucket of 1/512 of it */
    size_t k = b - 1;
    int octave = (int)(k >> TORTA_HIST_SUB_BITS) + MIN_EXP;
    double sub = (double)(k & ((1u << TORTA_HIST_SUB_BITS) - 1));
    *lo = ldexp(1.0 + sub / (1u << TORTA_HIST_SUB_BITS), octave);
    *hi = ldexp(1.0 + (sub + 1) / (1u << TORTA_HIST_SUB_BITS), octave);
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
        double v, lo, hi;
        if (b == 0) {
            v = h->min; /* below 2^-24 s: the minimum is within 60 ns of the answer */
        } else if (b == TORTA_HIST_BUCKETS + 1) {
            v = h->max;
        } else {
            torta_hist_bounds(b, &lo, &hi);
            v = 0.5 * (lo + hi); /* exact: lo + hi has 11 significant bits */
        }
        return fmin(fmax(v, h->min), h->max);
    }
    return h->max;
}
