/* Log-linear histogram for latency percentiles in constant memory (as HdrHistogram does): a
 * value's bucket is its binary exponent and the top 9 bits of its mantissa, read straight from
 * its IEEE-754 bits, so adding a value costs no logarithm. 512 buckets per octave from 2^-24 s
 * (60 ns) to 2^24 s (194 days): a reported percentile is within 0.1% of the exact order
 * statistic (values below the range count as their exact minimum). Mean, min, max are exact. */
#ifndef TORTA_HISTOGRAM_H
#define TORTA_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define TORTA_HIST_SUB_BITS 9
#define TORTA_HIST_OCTAVES 48
#define TORTA_HIST_BUCKETS (TORTA_HIST_OCTAVES << TORTA_HIST_SUB_BITS)

typedef struct torta_hist {
    uint64_t *count;   /* TORTA_HIST_BUCKETS + 2: [0] underflow, [last] overflow */
    uint64_t n;
    double sum, min, max;
} torta_hist;

int torta_hist_init(torta_hist *h);
void torta_hist_free(torta_hist *h);
void torta_hist_add(torta_hist *h, double x);
double torta_hist_mean(const torta_hist *h);
/* Nearest-rank percentile, p in (0, 1]; 0 when empty: the middle of the value's bucket, within
 * [min, max]. */
double torta_hist_quantile(const torta_hist *h, double p);
/* Bucket b's values, [*lo, *hi) in seconds, b in 0 .. TORTA_HIST_BUCKETS + 1 (the index of
 * count[]): bucket 0 holds everything below 2^-24 s (lo = 0), the last everything from 2^24 s
 * (hi = infinity). Between them hi / lo <= 1 + 1/512, so the middle of a bucket is within
 * 1/1024 of every value in it. Both bounds are exact doubles. */
void torta_hist_bounds(size_t b, double *lo, double *hi);

#endif
