/* Benchmark of the learning module: median wall time of one MLP forward (single input, dgemv),
 * a batch forward + backward (dgemm) and one PPO update, for the network sizes TORTA uses
 * (macro actor 64x64, micro scorer 16x16 over K = 8 / 64 candidates). Prints figures; asserts
 * nothing. Run: build/bench_mlp [seed] */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "torta/mlp.h"
#include "torta/policy.h"
#include "torta/ppo.h"
#include "torta/rng.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

#define REPS 31

static double median(double *t)
{
    qsort(t, REPS, sizeof *t, cmp_double);
    return t[REPS / 2];
}

/* Median microseconds of `inner` forward passes (batch n; n = 0: single input) + backward. */
static int bench_net(const size_t *sizes, size_t n_sizes, size_t n, int inner, gsl_rng *r)
{
    torta_mlp m;
    torta_mlp_ws ws;
    torta_err e = {0};
    size_t rows = n ? n : 1;
    if (torta_mlp_init(&m, n_sizes, sizes, TORTA_ACT_TANH, &e)
        || torta_mlp_ws_init(&ws, &m, rows, &e)
        || torta_mlp_init_orthogonal(&m, r, sqrt(2.0), 1.0, &e)) {
        fprintf(stderr, "bench_mlp: %s\n", e.msg);
        return 1;
    }
    size_t in = sizes[0], out = sizes[n_sizes - 1];
    double *x = malloc(rows * in * sizeof *x), *g = malloc(rows * out * sizeof *g);
    if (!x || !g)
        return 1;
    for (size_t i = 0; i < rows * in; i++)
        x[i] = gsl_rng_uniform(r) - 0.5;
    for (size_t i = 0; i < rows * out; i++)
        g[i] = 1.0;
    double tf[REPS], tb[REPS], sink = 0.0;
    for (int k = 0; k < REPS; k++) {
        double t0 = now_us();
        for (int i = 0; i < inner; i++)
            sink += n ? torta_mlp_forward_batch(&m, &ws, n, x)[0] : torta_mlp_forward(&m, &ws, x)[0];
        double t1 = now_us();
        for (int i = 0; i < inner; i++)
            torta_mlp_backward(&m, &ws, g, NULL);
        tf[k] = (t1 - t0) / inner;
        tb[k] = (now_us() - t1) / inner;
    }
    printf("| %zu", sizes[0]);
    for (size_t l = 1; l < n_sizes; l++)
        printf("x%zu", sizes[l]);
    printf(" | %s | %.2f | %.2f |\n", n ? "batch" : "single", median(tf), median(tb));
    if (n)
        printf("|   (batch of %zu rows) | | | |\n", n);
    free(x);
    free(g);
    torta_mlp_ws_free(&ws);
    torta_mlp_free(&m);
    return sink == 12345.678; /* keep the work observable */
}

int main(int argc, char **argv)
{
    unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
    gsl_rng *r = torta_rng_stream(seed, "bench.mlp");
    if (!r)
        return 1;
    printf("| network | input | forward us | backward us |\n|---|---|---|---|\n");
    const size_t macro[] = {32, 64, 64, 8}, micro[] = {6, 16, 16, 1};
    int bad = bench_net(macro, 4, 0, 200, r) | bench_net(macro, 4, 64, 20, r)
              | bench_net(micro, 4, 8, 200, r) | bench_net(micro, 4, 64, 50, r);

    /* One PPO update: horizon 2048, 10 epochs, minibatch 64, 32 -> 64x64 -> 8. */
    torta_ppo_cfg c;
    torta_ppo_cfg_default(&c, 32, 8);
    torta_ppo *p = NULL;
    torta_err e = {0};
    if (torta_ppo_create(&p, &c, seed, NULL, &e)) {
        fprintf(stderr, "bench_mlp: %s\n", e.msg);
        return 1;
    }
    double obs[32], act[8];
    while (!torta_ppo_full(p)) {
        for (int i = 0; i < 32; i++)
            obs[i] = gsl_rng_uniform(r);
        torta_ppo_act(p, obs, act, &e);
        torta_ppo_reward(p, -act[0] * act[0], 0, &e);
    }
    double t0 = now_us();
    if (torta_ppo_update(p, obs, NULL, &e)) {
        fprintf(stderr, "bench_mlp: %s\n", e.msg);
        return 1;
    }
    printf("\nPPO update (2048 transitions, 10 epochs, minibatch 64, 32->64x64->8): %.1f ms\n",
           (now_us() - t0) / 1e3);
    torta_ppo_destroy(p);
    gsl_rng_free(r);
    return bad;
}
