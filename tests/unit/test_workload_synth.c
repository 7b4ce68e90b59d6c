/* Unit tests for synthetic sources (Poisson/Gamma/diurnal statistics, lengths sampling, spec
 * errors, determinism) and for the deterministic origin assigner. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/workload.h"
#include "run_suite.h"

static const char *path_of(const char *rel)
{
    static char buf[4][1024];
    static int k;
    const char *root = getenv("TORTA_SOURCE_DIR");
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", root ? root : ".", rel);
    return b;
}

static torta_source *synth(const char *spec, uint64_t seed, int n, const double *tz)
{
    torta_source *s = NULL;
    torta_err e = {0};
    int rc = torta_source_open_synthetic(spec, seed, n, tz, &s, &e);
    ck_assert_msg(rc == 0, "%s: %s", spec, e.msg);
    return s;
}

static void synth_error(const char *spec, int n, const char *n1, const char *n2)
{
    torta_source *s = NULL;
    torta_err e = {0};
    int rc = torta_source_open_synthetic(spec, 1, n, NULL, &s, &e);
    ck_assert_msg(rc == TORTA_EINPUT, "%s: expected an input error, got %d", spec, rc);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(e.msg, n1), "%s: message '%s' lacks '%s'", spec, e.msg, n1);
    ck_assert_msg(!n2 || strstr(e.msg, n2), "%s: message '%s' lacks '%s'", spec, e.msg, n2);
}

/* Count, mean and CV of inter-arrival gaps of a whole source. */
typedef struct stats {
    long n;
    double mean_gap, cv_gap, last;
} stats;

static stats run_stats(torta_source *s)
{
    torta_req_in r;
    torta_err e = {0};
    double prev = 0, s1 = 0, s2 = 0;
    stats st = {0};
    int rc;
    long bad = 0; /* counted, not asserted per row: each Check assertion costs a write() */
    while ((rc = torta_source_next(s, &r, &e)) == 1) {
        double g = r.arrival_s - prev;
        bad += g < 0 || (long)r.id != st.n;
        s1 += g;
        s2 += g * g;
        prev = r.arrival_s;
        st.n++;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(bad, 0);
    st.mean_gap = s1 / st.n;
    st.cv_gap = sqrt(s2 / st.n - st.mean_gap * st.mean_gap) / st.mean_gap;
    st.last = prev;
    return st;
}

START_TEST(poisson_statistics)
{
    /* rate 50/s over 2000 s: expected 100,000 arrivals, sd sqrt(1e5) = 316. */
    torta_source *s =
        synth("poisson:rate_per_s=50,duration_s=2000,input_tokens=100,output_tokens=20", 7, 0, NULL);
    ck_assert_double_eq(torta_source_expected_count(s), 100000);
    ck_assert_double_eq(torta_source_expected_duration_s(s), 2000);
    ck_assert_ptr_null(torta_source_path(s));
    ck_assert_str_eq(torta_source_describe(s),
                     "poisson:rate_per_s=50,duration_s=2000,input_tokens=100,output_tokens=20");
    stats st = run_stats(s);
    fprintf(stderr, "poisson: n=%ld (expect 100000 +- 316), gap cv=%.4f\n", st.n, st.cv_gap);
    ck_assert_msg(fabs(st.n - 100000.0) < 4 * 316.3, "count %ld", st.n);
    ck_assert_msg(fabs(st.cv_gap - 1.0) < 0.02, "cv %f", st.cv_gap);
    ck_assert(st.last < 2000);
    torta_source_close(s);
}
END_TEST

START_TEST(gamma_statistics)
{
    const double cvs[3] = {0.5, 2.0, 1.0};
    for (int i = 0; i < 3; i++) {
        char spec[200];
        snprintf(spec, sizeof spec,
                 "gamma:rate_per_s=20,cv=%g,duration_s=5000,input_tokens=1,output_tokens=1",
                 cvs[i]);
        torta_source *s = synth(spec, 11, 0, NULL);
        stats st = run_stats(s);
        /* A renewal process counts with variance ~ cv^2 * rate * T. */
        double sd = cvs[i] * sqrt(100000.0);
        fprintf(stderr, "gamma cv=%g: n=%ld (expect 100000 +- %.0f), gap cv=%.4f, mean gap=%.5f\n",
                cvs[i], st.n, sd, st.cv_gap, st.mean_gap);
        ck_assert_msg(fabs(st.n - 100000.0) < 4 * sd, "count %ld", st.n);
        ck_assert_msg(fabs(st.cv_gap / cvs[i] - 1.0) < 0.05, "cv %f for %f", st.cv_gap, cvs[i]);
        ck_assert_msg(fabs(st.mean_gap * 20 - 1.0) < 0.03, "mean gap %f", st.mean_gap);
        torta_source_close(s);
    }
}
END_TEST

START_TEST(diurnal_peaks_follow_local_time)
{
    /* Three regions at UTC+0, UTC+9, UTC-5; 3 whole days at 4 req/s (~1.04 M arrivals). The
     * curve peaks at 14:00 local with peak/trough 4: a = 0.6, so the first Fourier component of
     * each region's hourly counts has amplitude 0.6 and phase 14 h. */
    const double tz[3] = {0, 9, -5};
    torta_source *s = synth("diurnal:rate_per_s=4,duration_s=259200,input_tokens=10,"
                            "output_tokens=10",
                            3, 3, tz);
    static long hist[3][24];
    memset(hist, 0, sizeof hist);
    torta_req_in r;
    torta_err e = {0};
    long n = 0;
    double prev = 0;
    long bad = 0;
    while (torta_source_next(s, &r, &e) == 1) {
        if (r.origin < 0 || r.origin >= 3 || r.arrival_s < prev) {
            bad++;
            continue;
        }
        prev = r.arrival_s;
        double local = fmod(r.arrival_s / 3600.0 + tz[r.origin] + 48.0, 24.0);
        hist[r.origin][(int)local]++;
        n++;
    }
    ck_assert_int_eq(bad, 0);
    double expect = 4.0 * 259200;
    ck_assert_msg(fabs(n - expect) < 4 * sqrt(expect), "count %ld vs %.0f", n, expect);
    for (int i = 0; i < 3; i++) {
        long tot = 0;
        int arg = 0;
        double c = 0, sn = 0;
        for (int h = 0; h < 24; h++) {
            tot += hist[i][h];
            if (hist[i][h] > hist[i][arg])
                arg = h;
            double mid = h + 0.5, w = 2 * 3.14159265358979323846 * mid / 24;
            c += hist[i][h] * cos(w);
            sn += hist[i][h] * sin(w);
        }
        double phase_h = fmod(atan2(sn, c) / (2 * 3.14159265358979323846) * 24 + 24, 24);
        /* Hour bins dilute a cosine by sinc(pi/24) = 0.99715. */
        double amp = 2 * sqrt(c * c + sn * sn) / tot / 0.99715;
        fprintf(stderr, "diurnal region %d (tz %+g): n=%ld peak bin %02d:00 local, phase %.3f h, "
                        "amplitude %.4f\n",
                i, tz[i], tot, arg, phase_h, amp);
        ck_assert_msg(arg == 13 || arg == 14, "region %d peaks at %d", i, arg);
        ck_assert_msg(fabs(phase_h - 14.0) < 0.15, "region %d phase %f", i, phase_h);
        ck_assert_msg(fabs(amp - 0.6) < 0.02, "region %d amplitude %f", i, amp);
        ck_assert_msg(fabs(tot - expect / 3) < 5 * sqrt(expect / 3), "region %d count %ld", i,
                      tot);
    }
    torta_source_close(s);
}
END_TEST

/* A hash of every request a source yields (arrival bits, origin, lengths) and their count. */
static uint64_t stream_hash(torta_source *s, long *n)
{
    torta_req_in r;
    torta_err e = {0};
    uint64_t h = 1469598103934665603ULL;
    *n = 0;
    while (torta_source_next(s, &r, &e) == 1) {
        uint64_t t;
        memcpy(&t, &r.arrival_s, sizeof t);
        uint64_t v[4] = {t, (uint64_t)(int64_t)r.origin, (uint64_t)r.input_tokens, (uint64_t)r.output_tokens};
        for (int k = 0; k < 4; k++)
            h = (h ^ v[k]) * 1099511628211ULL;
        (*n)++;
    }
    torta_source_close(s);
    return h;
}

START_TEST(diurnal_streams_are_pinned)
{
    /* The exact streams of the thinning sampler, pinned: results and shipped policies depend on
     * them, so a speed-up must not change one draw. Recorded from the sampler that evaluated
     * cos and sin of every candidate with libm. Update only for an intended change, and say why. */
    const double tz[11] = {-5, -5, -6, -6, -7, -8, -8, -6, -7, -5, -8};
    struct {
        const char *spec;
        int n;
        uint64_t hash;
        long count;
    } cases[] = {
        {"diurnal:rate_per_s=38,duration_s=86400,peak_to_trough=4,input_tokens=7,output_tokens=9",
         11, 0x1760c01a5fcad92bULL, 3283539},
        {"diurnal:rate_per_s=2,duration_s=2592000,peak_to_trough=9,peak_hour=20,start_hour=5.5,"
         "weights=3;1;2,input_tokens=1,output_tokens=2", 3, 0xcd25efb390a6de2fULL, 5182713},
        /* past the table's horizon (1e8 s) */
        {"diurnal:rate_per_s=0.01,duration_s=200000000,input_tokens=1,output_tokens=1", 3,
         0x0376984999547405ULL, 2000448},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long n;
        uint64_t h = stream_hash(synth(cases[i].spec, 7, cases[i].n, tz), &n);
        fprintf(stderr, "stream %zu: %ld requests, hash 0x%016llx\n", i, n, (unsigned long long)h);
        ck_assert_msg(h == cases[i].hash && n == cases[i].count,
                      "%s: %ld requests, hash 0x%016llx: the stream changed", cases[i].spec, n,
                      (unsigned long long)h);
    }
}
END_TEST

START_TEST(diurnal_weights_and_peak_hour)
{
    const double tz[2] = {0, 0};
    torta_source *s = synth("diurnal:rate_per_s=10,duration_s=86400,weights=3;1,peak_hour=20,"
                            "peak_to_trough=9,input_tokens=1,output_tokens=1",
                            5, 2, tz);
    ck_assert_ptr_nonnull(strstr(torta_source_describe(s), "peak_hour=20"));
    ck_assert_ptr_nonnull(strstr(torta_source_describe(s), "weights=3;1"));
    long cnt[2] = {0, 0}, hours[24] = {0};
    torta_req_in r;
    torta_err e = {0};
    while (torta_source_next(s, &r, &e) == 1) {
        cnt[r.origin]++;
        hours[(int)(r.arrival_s / 3600)]++;
    }
    double share = (double)cnt[0] / (cnt[0] + cnt[1]);
    fprintf(stderr, "diurnal weights 3;1: share of region 0 = %.4f; hour 20 / hour 8 = %.2f\n",
            share, (double)hours[20] / hours[8]);
    ck_assert_msg(fabs(share - 0.75) < 0.005, "share %f", share);
    /* peak/trough 9: rate at 20:00 vs 08:00 differs by a factor 9 (bins blur it a little). */
    ck_assert(hours[20] > 6 * hours[8]);
    torta_source_close(s);
}
END_TEST

/* Arrival, length and origin of the first n requests, to compare runs. */
static void first_n(const char *spec, uint64_t seed, int n_regions, const double *tz, int n,
                    double *t, int *in, int *org)
{
    torta_source *s = synth(spec, seed, n_regions, tz);
    torta_req_in r;
    torta_err e = {0};
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(torta_source_next(s, &r, &e), 1);
        t[i] = r.arrival_s;
        in[i] = r.input_tokens;
        org[i] = r.origin;
    }
    torta_source_close(s);
}

START_TEST(same_seed_same_sequence)
{
    const char *lengths = path_of("tests/fixtures/traces/sharegpt_small.csv");
    char specs[3][1200];
    snprintf(specs[0], sizeof specs[0], "poisson:rate_per_s=3,lengths=%s", lengths);
    snprintf(specs[1], sizeof specs[1], "gamma:rate_per_s=3,cv=3,lengths=%s", lengths);
    snprintf(specs[2], sizeof specs[2], "diurnal:rate_per_s=3,lengths=%s", lengths);
    const double tz[4] = {0, 3, 6, -8};
    enum { N = 500 };
    static double t1[N], t2[N], t3[N];
    static int i1[N], i2[N], i3[N], o1[N], o2[N], o3[N];
    for (int k = 0; k < 3; k++) {
        first_n(specs[k], 42, 4, tz, N, t1, i1, o1);
        first_n(specs[k], 42, 4, tz, N, t2, i2, o2);
        first_n(specs[k], 43, 4, tz, N, t3, i3, o3);
        ck_assert(memcmp(t1, t2, sizeof t1) == 0);
        ck_assert(memcmp(i1, i2, sizeof i1) == 0);
        ck_assert(memcmp(o1, o2, sizeof o1) == 0);
        ck_assert(memcmp(t1, t3, sizeof t1) != 0);
        ck_assert(memcmp(i1, i3, sizeof i1) != 0);
        if (k == 2)
            ck_assert(memcmp(o1, o3, sizeof o1) != 0);
        else
            ck_assert_int_eq(o1[0], -1); /* poisson/gamma leave origin to the assigner */
    }
}
END_TEST

START_TEST(lengths_sampling)
{
    /* The ShareGPT fixture has 3 rows; every sample is one of them, each about 1/3 of the time. */
    char spec[1200];
    snprintf(spec, sizeof spec, "poisson:rate_per_s=100,duration_s=90,lengths=%s",
             path_of("tests/fixtures/traces/sharegpt_small.csv"));
    torta_source *s = synth(spec, 1, 0, NULL);
    long cnt[3] = {0}, n = 0;
    torta_req_in r;
    torta_err e = {0};
    long bad = 0;
    while (torta_source_next(s, &r, &e) == 1) {
        int k = r.input_tokens == 74 && r.output_tokens == 918    ? 0
                : r.input_tokens == 290 && r.output_tokens == 905 ? 1
                : r.input_tokens == 1000 && r.output_tokens == 50 ? 2
                                                                  : -1;
        if (k < 0) {
            bad++;
            continue;
        }
        cnt[k]++;
        n++;
    }
    ck_assert_int_eq(bad, 0); /* every sample is a row of the file */
    for (int k = 0; k < 3; k++) /* binomial sd sqrt(n * 2/9) ~ 42 for n = 9000 */
        ck_assert_msg(fabs(cnt[k] - n / 3.0) < 5 * sqrt(n * 2.0 / 9.0), "row %d: %ld of %ld", k,
                      cnt[k], n);
    torta_source_close(s);

    /* Lengths from a trace (Azure fixture) and from the shipped ShareGPT file. */
    snprintf(spec, sizeof spec, "gamma:rate_per_s=10,cv=1,duration_s=100,lengths=%s",
             path_of("tests/fixtures/traces/azure_small.csv"));
    s = synth(spec, 1, 0, NULL);
    n = 0;
    while (torta_source_next(s, &r, &e) == 1) {
        bad += !(r.input_tokens % 100 == 0 && r.input_tokens / 100 == r.output_tokens / 10);
        n++;
    }
    ck_assert_int_eq(bad, 0);
    ck_assert_int_gt(n, 900);
    torta_source_close(s);
    snprintf(spec, sizeof spec, "poisson:rate_per_s=100,duration_s=200,lengths=%s",
             path_of("traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv"));
    s = synth(spec, 1, 0, NULL);
    double si = 0, so = 0;
    n = 0;
    while (torta_source_next(s, &r, &e) == 1) {
        si += r.input_tokens;
        so += r.output_tokens;
        n++;
    }
    fprintf(stderr, "sharegpt lengths: n=%ld mean in %.0f (file 2340) out %.0f (file 439)\n", n,
            si / n, so / n);
    ck_assert(fabs(si / n - 2340) < 60 && fabs(so / n - 439) < 10);
    torta_source_close(s);
}
END_TEST

START_TEST(spec_errors)
{
    synth_error("poison:rate_per_s=1,input_tokens=1,output_tokens=1", 0, "unknown kind 'poison'",
                "did you mean 'poisson'");
    synth_error("poisson:rate_per_sec=1,input_tokens=1,output_tokens=1", 0,
                "unknown key 'rate_per_sec'", "did you mean 'rate_per_s'");
    synth_error("poisson:rate_per_s=1,cv=2,input_tokens=1,output_tokens=1", 0,
                "key 'cv' is not valid for poisson", NULL);
    synth_error("gamma:rate_per_s=1,input_tokens=1,output_tokens=1", 0, "cv: missing", NULL);
    synth_error("poisson:duration_s=5,input_tokens=1,output_tokens=1", 0, "rate_per_s: missing",
                NULL);
    synth_error("poisson:rate_per_s=abc,input_tokens=1,output_tokens=1", 0,
                "rate_per_s: not a number: 'abc'", NULL);
    synth_error("poisson:rate_per_s=-3,input_tokens=1,output_tokens=1", 0,
                "rate_per_s: -3 is out of range", NULL);
    synth_error("poisson:rate_per_s=1,input_tokens=1", 0, "output_tokens: missing", NULL);
    synth_error("poisson:rate_per_s=1,input_tokens=1.5,output_tokens=1", 0,
                "input_tokens: not a whole number", NULL);
    synth_error("poisson:rate_per_s=1,input_tokens=1,output_tokens=1,lengths=x.csv", 0,
                "not both", NULL);
    synth_error("poisson:rate_per_s=1,rate_per_s=2,input_tokens=1,output_tokens=1", 0,
                "given twice", NULL);
    synth_error("poisson:rate_per_s=1,,input_tokens=1,output_tokens=1", 0, "empty item", NULL);
    synth_error("poisson:rate_per_s=1,input_tokens", 0, "'input_tokens' is not key=value", NULL);
    synth_error("poisson:rate_per_s=1,lengths=/nonexistent/len.csv", 0, "lengths:",
                "/nonexistent/len.csv: cannot open");
    char spec[1200];
    snprintf(spec, sizeof spec, "poisson:rate_per_s=1,lengths=%s",
             path_of("tests/fixtures/traces/bad/sharegpt_header_only.csv"));
    synth_error(spec, 0, "sharegpt_header_only.csv: no rows", NULL);
    snprintf(spec, sizeof spec, "poisson:rate_per_s=1,lengths=%s",
             path_of("tests/fixtures/traces/bad/azure_negative.csv"));
    synth_error(spec, 0, "azure_negative.csv:2: GeneratedTokens: negative", NULL);
    synth_error("diurnal:rate_per_s=1,input_tokens=1,output_tokens=1", 0,
                "diurnal needs at least one region", NULL);
    synth_error("diurnal:rate_per_s=1,weights=1;2,input_tokens=1,output_tokens=1", 3,
                "weights: 2 values for 3 regions", NULL);
    synth_error("diurnal:rate_per_s=1,peak_to_trough=0.5,input_tokens=1,output_tokens=1", 1,
                "peak_to_trough: 0.5 is out of range", NULL);
}
END_TEST

START_TEST(origin_flat_tracks_weights)
{
    const double w[4] = {1, 2, 3, 4};
    for (uint64_t seed = 1; seed <= 20; seed++) {
        torta_origin_assigner *a;
        torta_err e = {0};
        ck_assert_int_eq(torta_origin_new(4, w, NULL, NULL, 0, seed, &a, &e), 0);
        long cnt[4] = {0};
        double worst = 0;
        for (int n = 1; n <= 10000; n++) {
            int k = torta_origin_assign(a, n * 0.37);
            if (k < 0 || k >= 4) {
                worst = 1e9;
                break;
            }
            cnt[k]++;
            for (int i = 0; i < 4; i++) {
                double dev = fabs(cnt[i] - n * w[i] / 10.0);
                if (dev > worst)
                    worst = dev;
            }
        }
        ck_assert_msg(worst <= 1.0, "seed %d: deviation %f", (int)seed, worst);
        if (seed == 1)
            fprintf(stderr, "origin flat 1:2:3:4, 10000 arrivals: counts %ld %ld %ld %ld, "
                            "worst prefix deviation %.3f\n",
                    cnt[0], cnt[1], cnt[2], cnt[3], worst);
        torta_origin_free(a);
    }
}
END_TEST

START_TEST(origin_flat_random_weights_bounded)
{
    /* Smooth WRR is not within 1 of the proportional count for every weight vector: over 600
     * random vectors of 2..12 regions the worst prefix deviation must stay below 2 (measured
     * about 1.6). Weight 0 regions must never be picked. */
    unsigned long x = 12345;
    double worst = 0;
    long zero_picked = 0;
    for (int trial = 0; trial < 600; trial++) {
        double w[12], sw = 0;
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        int n = 2 + (int)((x >> 33) % 11);
        for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            double u = (double)(x >> 11) / 9007199254740992.0;
            w[i] = u < 0.2 ? 0 : u * u * u * 10;
            sw += w[i];
        }
        if (sw <= 0)
            continue;
        torta_origin_assigner *a;
        torta_err e = {0};
        ck_assert_int_eq(torta_origin_new(n, w, NULL, NULL, 0, (uint64_t)trial, &a, &e), 0);
        long cnt[12] = {0};
        for (int k = 1; k <= 2000; k++) {
            int r = torta_origin_assign(a, k);
            cnt[r]++;
            zero_picked += w[r] == 0;
            for (int i = 0; i < n; i++) {
                double dev = fabs(cnt[i] - k * w[i] / sw);
                if (dev > worst)
                    worst = dev;
            }
        }
        torta_origin_free(a);
    }
    fprintf(stderr, "origin flat, 600 random weight vectors: worst prefix deviation %.3f\n", worst);
    ck_assert_int_eq(zero_picked, 0);
    ck_assert_msg(worst < 2.0, "worst deviation %f", worst);
}
END_TEST

static void origin_seq(uint64_t seed, const double *w, int n_reg, int n, int *out)
{
    torta_origin_assigner *a;
    torta_err e = {0};
    ck_assert_int_eq(torta_origin_new(n_reg, w, NULL, NULL, 0, seed, &a, &e), 0);
    for (int i = 0; i < n; i++)
        out[i] = torta_origin_assign(a, i);
    torta_origin_free(a);
}

START_TEST(origin_seeded)
{
    const double w[4] = {1, 2, 3, 4};
    int a[200], b[200], seqs[10][200];
    origin_seq(5, w, 4, 200, a);
    origin_seq(5, w, 4, 200, b);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    int distinct = 0;
    for (int s = 0; s < 10; s++) {
        origin_seq((uint64_t)s + 100, w, 4, 200, seqs[s]);
        int seen = 0;
        for (int t = 0; t < s && !seen; t++)
            seen = memcmp(seqs[s], seqs[t], sizeof seqs[s]) == 0;
        distinct += !seen;
    }
    fprintf(stderr, "origin: 10 seeds give %d distinct sequences\n", distinct);
    ck_assert_int_ge(distinct, 8);
    /* Equal weights: still seed-dependent order. */
    const double eq[3] = {1, 1, 1};
    origin_seq(1, eq, 3, 30, a);
    int differs = 0;
    for (uint64_t s = 2; s < 12 && !differs; s++) {
        origin_seq(s, eq, 3, 30, b);
        differs = memcmp(a, b, 30 * sizeof(int)) != 0;
    }
    ck_assert(differs);
    /* A zero weight is never picked. */
    const double wz[3] = {1, 0, 1};
    origin_seq(9, wz, 3, 200, a);
    int picked1 = 0;
    for (int i = 0; i < 200; i++)
        picked1 += a[i] == 1;
    ck_assert_int_eq(picked1, 0);
}
END_TEST

START_TEST(origin_curve_follows_local_time)
{
    /* Two equal regions 12 h apart with the default curve (peak 14:00, peak/trough 4): at 14:00
     * UTC region 0 is at 1.6 and region 1 at 0.4, so region 0 gets 80% of arrivals. */
    double curve[24];
    torta_diurnal_curve24(4, 14, curve);
    double mean = 0;
    for (int k = 0; k < 24; k++)
        mean += curve[k] / 24;
    ck_assert(fabs(mean - 1) < 1e-12);
    ck_assert(fabs(curve[14] / curve[2] - 4) < 1e-12);
    const double tz[2] = {0, 12};
    torta_origin_assigner *a;
    torta_err e = {0};
    ck_assert_int_eq(torta_origin_new(2, NULL, tz, curve, 0, 3, &a, &e), 0);
    long c0 = 0;
    for (int i = 0; i < 1000; i++) /* all at 14:00:00 .. 14:00:01 UTC */
        c0 += torta_origin_assign(a, 14 * 3600 + i * 1e-3) == 0;
    ck_assert_msg(labs(c0 - 800) <= 2, "region 0 got %ld of 1000", c0);
    /* start_hour shifts the clock: t=0 is 02:00 UTC, where region 1 is at its peak. */
    torta_origin_free(a);
    ck_assert_int_eq(torta_origin_new(2, NULL, tz, curve, 2, 3, &a, &e), 0);
    c0 = 0;
    for (int i = 0; i < 1000; i++)
        c0 += torta_origin_assign(a, i * 1e-3) == 0;
    ck_assert_msg(labs(c0 - 200) <= 2, "region 0 got %ld of 1000", c0);
    torta_origin_free(a);
    /* Bad arguments. */
    const double bad[2] = {1, -1};
    ck_assert_int_eq(torta_origin_new(2, bad, NULL, NULL, 0, 1, &a, &e), TORTA_EINPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, "region 1: weight -1"));
    ck_assert_int_eq(torta_origin_new(0, NULL, NULL, NULL, 0, 1, &a, &e), TORTA_EINPUT);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("workload_synthetic");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, poisson_statistics);
    tcase_add_test(tc, gamma_statistics);
    tcase_add_test(tc, diurnal_peaks_follow_local_time);
    tcase_add_test(tc, diurnal_weights_and_peak_hour);
    tcase_add_test(tc, diurnal_streams_are_pinned);
    tcase_add_test(tc, same_seed_same_sequence);
    tcase_add_test(tc, lengths_sampling);
    tcase_add_test(tc, spec_errors);
    tcase_add_test(tc, origin_flat_tracks_weights);
    tcase_add_test(tc, origin_flat_random_weights_bounded);
    tcase_add_test(tc, origin_seeded);
    tcase_add_test(tc, origin_curve_follows_local_time);
    suite_add_tcase(su, tc);
    return run_suite(su);
}
