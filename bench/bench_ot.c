/* Benchmark of the OT solvers. Prints figures; asserts nothing.
 *
 * sinkhorn: median wall time of one Sinkhorn solve for n = m = 10, 50, 200, 1000 (costs uniform
 * in [0,1], reg 0.05, near-uniform marginals, tol 1e-9), balanced and unbalanced (rho 1), cold
 * start and warm start. "warm" re-solves after a slight perturbation (costs +-0.5%, masses
 * +-2.5%) from the potentials of the unperturbed problem, as the macro layer does from one
 * timeslot to the next; "warm=C" is the same with unchanged costs (only the masses move), where
 * the last kernel is reused and no log-sum-exp pass is needed.
 *
 * exact: torta_ot_exact (network simplex) beside POT's ot.emd on the same instances, n = m = 50,
 * 200, 1000, costs U[0,1], masses U[0.1,1.1] normalised. The instances go to a temporary file
 * that bench/pot_emd.py (run with /usr/bin/python3, where Debian's python3-pot lives) solves;
 * rounds of torta-sim then POT alternate so that a change in the machine's load hits both.
 * Medians of wall and thread-CPU ms, their ratios (POT / torta-sim: > 1 means torta-sim is
 * faster), and the largest |cost difference|. Without python3-pot, torta-sim's figures alone.
 *
 * Run: build/bench_ot [seed] [all|sinkhorn|exact]   (TORTA_SOURCE_DIR locates bench/pot_emd.py
 * when the build moved away from the sources) */
#define _POSIX_C_SOURCE 200809L
#include "torta/err.h"
#include "torta/ot.h"
#include "torta/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static int bench_sinkhorn(gsl_rng *r)
{
    torta_err e = {0};
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
        torta_ot_ws_free(ws);
        free(C0), free(C1), free(P), free(a0), free(b0), free(a1), free(b1), free(t), free(tc), free(it),
            free(ls);
    }
    return 0;
fail:
    fprintf(stderr, "bench_ot: %s\n", e.msg);
    return 1;
}

/* Path of bench/pot_emd.py: under $TORTA_SOURCE_DIR, else beside this file. */
static void pot_script(char *buf, size_t len)
{
    const char *src = getenv("TORTA_SOURCE_DIR");
    if (src && *src) {
        snprintf(buf, len, "%s/bench/pot_emd.py", src);
        return;
    }
    const char *slash = strrchr(__FILE__, '/');
    snprintf(buf, len, "%.*spot_emd.py", slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__);
}

/* POT's times for the `count` instances in `path`: fills wall, cpu (ms) and cost; returns the
 * number of lines read (count on success). */
static int run_pot(const char *script, const char *path, int n, int count, double *wall,
                   double *cpu, double *cost)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' %d %d", script, path, n, count);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    int k = 0;
    while (k < count && fscanf(p, "%lf %lf %lf", &wall[k], &cpu[k], &cost[k]) == 3)
        k++;
    pclose(p);
    return k;
}

static int bench_exact(gsl_rng *r)
{
    static const int sizes[] = {50, 200, 1000}, counts[] = {15, 7, 3};
    const int rounds = 3;
    char script[1024];
    pot_script(script, sizeof script);
    int have_pot = access(script, R_OK) == 0 &&
                   system("/usr/bin/python3 -c 'import ot' >/dev/null 2>&1") == 0;
    printf("# exact OT: torta_ot_exact (network simplex)%s, median ms per solve over %d rounds of "
           "the same instances (costs U[0,1], masses U[0.1,1.1]); ratio = POT / torta-sim\n",
           have_pot ? " beside POT's ot.emd" : " (POT not found: python3-pot missing)", rounds);
    printf("%6s %6s %10s %10s %10s %10s %8s %8s %11s\n", "n", "solves", "torta_ms", "torta_cpu",
           "pot_ms", "pot_cpu", "ratio", "ratio_cpu", "max|dcost|");
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        const int n = sizes[s], count = counts[s], total = rounds * count;
        const size_t per = 2 * (size_t)n + (size_t)n * n;
        double *inst = malloc(count * per * sizeof *inst), *P = malloc((size_t)n * n * sizeof *P);
        double *tw = malloc(total * sizeof *tw), *tc = malloc(total * sizeof *tc);
        double *pw = malloc(total * sizeof *pw), *pc = malloc(total * sizeof *pc);
        double *cost = malloc(count * sizeof *cost), *pcost = malloc(count * sizeof *pcost);
        if (!inst || !P || !tw || !tc || !pw || !pc || !cost || !pcost) {
            fprintf(stderr, "bench_ot: out of memory\n");
            return 1;
        }
        for (int k = 0; k < count; k++) {
            double *a = inst + k * per, *b = a + n, *C = b + n, sa = 0.0, sb = 0.0;
            for (int i = 0; i < n; i++) {
                sa += a[i] = 0.1 + gsl_rng_uniform(r);
                sb += b[i] = 0.1 + gsl_rng_uniform(r);
            }
            for (int i = 0; i < n; i++) {
                a[i] /= sa;
                b[i] /= sb;
            }
            for (size_t q = 0; q < (size_t)n * n; q++)
                C[q] = gsl_rng_uniform(r);
        }
        char path[] = "/tmp/bench_ot_XXXXXX";
        int fd = have_pot ? mkstemp(path) : -1;
        FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
        int pot_ok = f && fwrite(inst, sizeof *inst, count * per, f) == count * per;
        if (f)
            pot_ok = fclose(f) == 0 && pot_ok;
        torta_err e = {0};
        double maxd = 0.0;
        for (int round = -1; round < rounds; round++) { /* round -1: one unmeasured solve */
            for (int k = 0; k < (round < 0 ? 1 : count); k++) {
                const double *a = inst + k * per, *b = a + n, *C = b + n;
                double t0 = now_ms(), c0 = cpu_ms();
                if (torta_ot_exact(n, n, a, b, C, P, &cost[k], &e) < 0) {
                    fprintf(stderr, "bench_ot: %s\n", e.msg);
                    return 1;
                }
                if (round >= 0) {
                    tw[round * count + k] = now_ms() - t0;
                    tc[round * count + k] = cpu_ms() - c0;
                }
            }
            if (round >= 0 && pot_ok) {
                pot_ok = run_pot(script, path, n, count, pw + round * count, pc + round * count,
                                 pcost) == count;
                for (int k = 0; k < count && pot_ok; k++)
                    maxd = fmax(maxd, fabs(cost[k] - pcost[k]));
            }
        }
        if (fd >= 0)
            unlink(path);
        double mtw = median(tw, total), mtc = median(tc, total);
        if (pot_ok) {
            double mpw = median(pw, total), mpc = median(pc, total);
            printf("%6d %6d %10.4f %10.4f %10.4f %10.4f %8.2f %8.2f %11.2g\n", n, total, mtw, mtc,
                   mpw, mpc, mpw / mtw, mpc / mtc, maxd);
        } else {
            printf("%6d %6d %10.4f %10.4f %10s %10s %8s %8s %11s\n", n, total, mtw, mtc, "-", "-",
                   "-", "-", "-");
        }
        fflush(stdout);
        free(inst), free(P), free(tw), free(tc), free(pw), free(pc), free(cost), free(pcost);
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long long seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    const char *what = argc > 2 ? argv[2] : "all";
    if (strcmp(what, "all") != 0 && strcmp(what, "sinkhorn") != 0 && strcmp(what, "exact") != 0) {
        fprintf(stderr, "usage: bench_ot [seed] [all|sinkhorn|exact]\n");
        return 2;
    }
    gsl_rng *r = torta_rng_stream(seed, "bench_ot");
    gsl_rng *rx = torta_rng_stream(seed, "bench_ot_exact"); /* same instances in every mode */
    if (!r || !rx) {
        fprintf(stderr, "bench_ot: out of memory\n");
        return 1;
    }
    int rc = 0;
    if (strcmp(what, "exact") != 0)
        rc = bench_sinkhorn(r);
    if (!rc && strcmp(what, "sinkhorn") != 0)
        rc = bench_exact(rx);
    gsl_rng_free(r);
    gsl_rng_free(rx);
    return rc;
}
