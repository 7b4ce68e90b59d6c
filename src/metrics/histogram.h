/* Log-bucketed histogram for latency percentiles in constant memory: 2,000 buckets per decade
 * from 1e-7 s to 1e7 s, so a reported percentile is within 0.06% of the exact order statistic
 * (values below 1e-7 s count as 0). Mean, min and max are exact. */
#ifndef TORTA_HISTOGRAM_H
#define TORTA_HISTOGRAM_H

#include <stdint.h>

typedef struct torta_hist {
    uint64_t *count;   /* TORTA_HIST_BUCKETS + 2: [0] zero/underflow, [last] overflow */
    uint64_t n;
    double sum, min, max;
} torta_hist;

#define TORTA_HIST_PER_DECADE 2000
#define TORTA_HIST_DECADES 14
#define TORTA_HIST_BUCKETS (TORTA_HIST_PER_DECADE * TORTA_HIST_DECADES)

int torta_hist_init(torta_hist *h);
void torta_hist_free(torta_hist *h);
void torta_hist_add(torta_hist *h, double x);
double torta_hist_mean(const torta_hist *h);
/* Nearest-rank percentile, p in (0, 1]; 0 when empty. */
double torta_hist_quantile(const torta_hist *h, double p);

#endif
