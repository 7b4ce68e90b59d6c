/* Macro decision time per slot against the number of regions: the full TORTA-without-policy step
 * (forecast update for every origin, cost matrix, entropic OT with warm start, plan) through the
 * real `torta-no-rl` scheduler on a synthetic view whose loads change every slot. Prints the
 * median wall time per slot for R = 10, 50, 200, 1000. Figures only, not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torta/rng.h"
#include "torta/sched.h"

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
    int slots = argc > 1 ? atoi(argv[1]) : 40;
    const int sizes[] = {10, 50, 200, 1000};
    const torta_macro_ops *ops = torta_macro_find("torta-no-rl");
    printf("macro step (torta-no-rl: forecasts + cost matrix + Sinkhorn + plan), median of %d slots\n", slots);
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        int R = sizes[k];
        torta_region_state *reg = calloc((size_t)R, sizeof *reg);
        double *lat = malloc(sizeof(double) * R * R), *bw = malloc(sizeof(double) * R * R);
        double *eg = malloc(sizeof(double) * R * R), *hist = calloc((size_t)R * 64, sizeof(double));
        double *t = malloc(sizeof(double) * (size_t)slots);
        gsl_rng *r = torta_rng_stream(1, "bench-macro");
        char (*names)[16] = malloc((size_t)R * 16);
        for (int i = 0; i < R; i++) {
            snprintf(names[i], 16, "r%d", i);
            reg[i] = (torta_region_state){.name = names[i], .n_servers = 4, .n_alive = 4,
                                          .electricity_usd_per_kwh = 0.05 + 0.1 * gsl_rng_uniform(r)};
            for (int j = 0; j < R; j++) {
                lat[i * R + j] = i == j ? 0 : 0.005 + 0.1 * gsl_rng_uniform(r);
                bw[i * R + j] = 1e10;
                eg[i * R + j] = i == j ? 0 : 0.02;
            }
        }
        torta_view v = {.slot_s = 60, .n_regions = R, .regions = reg, .latency_s = lat,
                        .bandwidth_bps = bw, .egress_usd_per_gb = eg, .demand_hist = hist, .hist_len = 64};
        torta_sched_env env = {.seed = 1, .view = &v, .topology_name = "bench"};
        void *self = NULL;
        torta_err e = {0};
        if (ops->init(&self, &env, &e)) {
            fprintf(stderr, "init: %s\n", e.msg);
            return 1;
        }
        for (int s = 0; s < slots; s++) {
            v.slot = s + 1;
            v.now_s = 60.0 * (s + 1);
            for (int i = 0; i < R; i++) {
                hist[i] = 100 + 150 * gsl_rng_uniform(r); /* last slot's demand, server-seconds */
                reg[i].outstanding_work_s = 200 * gsl_rng_uniform(r);
            }
            double t0 = now_s();
            if (ops->plan(self, &v, &e)) {
                fprintf(stderr, "plan: %s\n", e.msg);
                return 1;
            }
            t[s] = now_s() - t0;
        }
        qsort(t, (size_t)slots, sizeof *t, cmp);
        printf("  R = %4d regions: %9.3f ms per slot (median), %9.3f ms (max)\n", R, 1e3 * t[slots / 2],
               1e3 * t[slots - 1]);
        ops->destroy(self);
        gsl_rng_free(r);
        free(reg);
        free(lat);
        free(bw);
        free(eg);
        free(hist);
        free(t);
        free(names);
    }
    return 0;
}
