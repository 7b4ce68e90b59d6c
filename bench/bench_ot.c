/* Benchmark of the OT solvers: median wall time of one Sinkhorn solve for n = m = 10, 50, 200,
 * 1000 (costs uniform in [0,1], reg 0.05, near-uniform marginals, tol 1e-9), balanced and
 * unbalanced (rho 1), cold start and warm start. "warm" re-solves after a slight perturbation
 * (costs +-0.5%, masses +-2.5%) from the potentials of the unperturbed problem, as the macro layer
 * does from one timeslot to the next; "warm=C" is the same with unchanged costs (only the masses
 * move), where the last kernel is reused and no log-sum-exp pass is needed. Also the exact LP
 * (GLPK simplex) for n <= 200. Prints figures; asserts nothing.
 * Run: build/bench_ot [seed] */
#define _POSIX_C_SOURCE 200809L
#include "torta/err.h"
#include "torta/ot.h"
#include "torta/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* Wall time, and CPU time of this thread (less sensitive to a loaded machine). */
static double now_ms(void) { return clock_ms(CLOCK_MONOTONIC); }
static double cpu_ms(void) { return clock_ms(CLOCK_THREAD_CPUTIME_ID); }

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median(double *x, int len)
{
    qsort(x, (size_t)len, sizeof *x, cmp_double);
    return len % 2 ? x[len / 2] : 0.5 * (x[len / 2 - 1] + x[len / 2]);
}

/* Masses 1/len each, times (1 + amp U(-0.5, 0.5)), renormalised to total 1. */
static void masses(gsl_rng *r, int len, double amp, double *x)
{
    double s = 0.0;
    for (int i = 0; i < len; i++) {
        x[i] = 1.0 + amp * (gsl_rng_uniform(r) - 0.5);
        s += x[i];
    }
    for (int i = 0; i < len; i++)
        x[i] /= s;
}

int main(int argc, char **argv)
{
    unsigned long long seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    torta_err e = {0};
    gsl_rng *r = torta_rng_stream(seed, "bench_ot");
    if (!r) {
        fprintf(stderr, "bench_ot: out of memory\n");
        return 1;
    }
    static const int sizes[] = {10, 50, 200, 1000};
    static const int reps[] = {201, 101, 31, 21};
    printf("# bench_ot: median wall ms (and thread CPU ms) per solve (reg 0.05, tol 1e-9, costs "
           "U[0,1]); iters/log = median iterations / log-sum-exp half-steps\n");
    printf("%6s %-10s %-6s %10s %10s %7s %5s\n", "n", "variant", "start", "median_ms", "cpu_ms",
           "iters", "log");
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        const int n = sizes[s], R = reps[s];
        const size_t nm = (size_t)n * n;
        double *C0 = malloc(nm * sizeof *C0), *C1 = malloc(nm * sizeof *C1);
        double *P = malloc(nm * sizeof *P);
        double *a0 = malloc(n * sizeof *a0), *b0 = malloc(n * sizeof *b0);
        double *a1 = malloc(n * sizeof *a1), *b1 = malloc(n * sizeof *b1);
        double *t = malloc(R * sizeof *t), *tc = malloc(R * sizeof *tc), *it = malloc(R * sizeof *it), *ls = malloc(R * sizeof *ls);
        torta_ot_ws *ws = NULL;
        if (!C0 || !C1 || !P || !a0 || !b0 || !a1 || !b1 || !t || !tc || !it || !ls ||
            torta_ot_ws_new(n, n, &ws, &e) < 0) {
            fprintf(stderr, "bench_ot: out of memory\n");
            return 1;
        }
        for (size_t k = 0; k < nm; k++)
            C0[k] = gsl_rng_uniform(r);
        masses(r, n, 0.0, a0);
        masses(r, n, 0.0, b0);
        for (int variant = 0; variant < 2; variant++) {
            for (int warm = 0; warm < 3; warm++) {
                torta_ot_params p = torta_ot_params_default(0.05);
                p.rho = variant ? 1.0 : INFINITY;
                for (int k = 0; k < R; k++) {
                    for (size_t q = 0; q < nm; q++) /* warm=C: only the masses move */
                        C1[q] = warm == 2 ? C0[q] : C0[q] + 0.01 * (gsl_rng_uniform(r) - 0.5);
                    masses(r, n, 0.05, a1);
                    masses(r, n, 0.05, b1);
                    torta_ot_stats st;
                    if (warm) { /* the previous slot's problem, solved: its potentials seed us */
                        p.warm_start = 0;
                        if (torta_ot_sinkhorn(ws, n, n, a0, b0, C0, &p, P, &st, &e) < 0)
                            goto fail;
                    }
                    p.warm_start = warm > 0;
                    double t0 = now_ms(), c0 = cpu_ms();
                    if (torta_ot_sinkhorn(ws, n, n, a1, b1, C1, &p, P, &st, &e) < 0)
                        goto fail;
                    t[k] = now_ms() - t0;
                    tc[k] = cpu_ms() - c0;
                    it[k] = st.iterations;
                    ls[k] = st.log_steps;
                }
                printf("%6d %-10s %-6s %10.4f %10.4f %7.0f %5.0f\n", n,
                       variant ? "unbalanced" : "balanced",
                       warm == 2 ? "warm=C" : warm ? "warm" : "cold", median(t, R), median(tc, R),
                       median(it, R), median(ls, R));
                fflush(stdout);
            }
        }
        if (n <= 200) { /* the exact LP, for the exact-OT baseline: fewer repetitions */
            int RE = n <= 50 ? 11 : 3;
            for (int k = 0; k < RE; k++) {
                for (size_t q = 0; q < nm; q++)
                    C1[q] = C0[q] + 0.01 * (gsl_rng_uniform(r) - 0.5);
                masses(r, n, 0.05, a1);
                masses(r, n, 0.05, b1);
                double t0 = now_ms(), c0 = cpu_ms();
                if (torta_ot_exact(n, n, a1, b1, C1, P, NULL, &e) < 0)
                    goto fail;
                t[k] = now_ms() - t0;
                tc[k] = cpu_ms() - c0;
            }
            printf("%6d %-10s %-6s %10.4f %10.4f %7s %5s\n", n, "exact", "-", median(t, RE),
                   median(tc, RE), "-", "-");
        }
        torta_ot_ws_free(ws);
        free(C0), free(C1), free(P), free(a0), free(b0), free(a1), free(b1), free(t), free(tc), free(it),
            free(ls);
    }
    gsl_rng_free(r);
    return 0;
fail:
    fprintf(stderr, "bench_ot: %s\n", e.msg);
    return 1;
}
