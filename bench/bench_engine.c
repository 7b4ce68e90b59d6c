/* Engine benchmark (the "hold model"): keep N events pending; each step pops the earliest and
 * pushes one at a random later time. Prints events per second for N = 1e3 .. 1e6 (median of 5
 * repetitions). Not a test: figures only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/eventq.h"
#include "torta/rng.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long steps = argc > 1 ? atol(argv[1]) : 5000000;
    long only = argc > 2 ? atol(argv[2]) : 0; /* one pending count only (for profilers) */
    printf("hold model: pending events, million events per second (median of 5), %ld pops+pushes each\n", steps);
    for (long n = only ? only : 1000; n <= (only ? only : 1000000); n *= 10) {
        double rate[5];
        for (int rep = 0; rep < 5; rep++) {
            torta_eventq q;
            torta_eventq_init(&q, (size_t)n);
            gsl_rng *r = torta_rng_stream((uint64_t)rep, "bench");
            for (long i = 0; i < n; i++)
                torta_eventq_push(&q, gsl_rng_uniform(r), 1, 0, i);
            /* Exponential increments drawn beforehand: the figure is the queue's, not the RNG's. */
            enum { NINC = 1 << 16 };
            static double inc[NINC];
            for (int k = 0; k < NINC; k++)
                inc[k] = -log1p(-gsl_rng_uniform(r));
            torta_event ev;
            double t0 = now_s();
            for (long i = 0; i < steps; i++) {
                torta_eventq_pop(&q, &ev);
                torta_eventq_push(&q, ev.t + inc[i & (NINC - 1)], 1, 0, ev.a);
            }
            rate[rep] = steps / (now_s() - t0) / 1e6;
            gsl_rng_free(r);
            torta_eventq_free(&q);
        }
        qsort(rate, 5, sizeof *rate, cmp);
        printf("  pending %8ld   %6.2f M events/s\n", n, rate[2]);
    }
    return 0;
}
