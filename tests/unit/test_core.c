/* Unit tests of the core pieces: event queue order, histogram percentiles, configuration
 * merging and its errors, named RNG streams. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/eventq.h"
#include "metrics/histogram.h"
#include "torta/config.h"
#include "torta/rng.h"
#include "run_suite.h"

START_TEST(eventq_orders_by_time_then_insertion)
{
    torta_eventq q;
    ck_assert_int_eq(torta_eventq_init(&q, 4), 0);
    gsl_rng *r = torta_rng_stream(1, "test");
    enum { N = 20000 };
    for (int i = 0; i < N; i++) /* coarse times force many ties */
        ck_assert_int_eq(torta_eventq_push(&q, floor(gsl_rng_uniform(r) * 100), 1, 0, i), 0);
    torta_event prev = {-1, 0, 0, 0, 0}, ev;
    int n = 0;
    while (torta_eventq_pop(&q, &ev)) {
        ck_assert(ev.t > prev.t || (ev.t == prev.t && ev.seq > prev.seq));
        ck_assert_int_eq((int)ev.a, (int)ev.seq); /* payload follows its event */
        prev = ev;
        n++;
    }
    ck_assert_int_eq(n, N);
    gsl_rng_free(r);
    torta_eventq_free(&q);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(histogram_percentiles_within_bucket_error)
{
    torta_hist h;
    ck_assert_int_eq(torta_hist_init(&h), 0);
    enum { N = 100001 };
    double *v = malloc(N * sizeof *v);
    gsl_rng *r = torta_rng_stream(2, "test");
    double sum = 0;
    for (int i = 0; i < N; i++) {
        v[i] = (i % 10 == 0) ? 0.0 : exp(gsl_rng_uniform(r) * 10 - 5);
        sum += v[i];
        torta_hist_add(&h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_double);
    const double ps[] = {0.05, 0.5, 0.95, 0.99, 1.0};
    for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
        double exact = v[(size_t)ceil(ps[k] * N) - 1];
        double got = torta_hist_quantile(&h, ps[k]);
        if (exact == 0)
            ck_assert(got < 1e-7);
        else
            ck_assert_msg(fabs(got / exact - 1) < 1e-3, "p%.2f: %g vs %g", ps[k], got, exact);
    }
    ck_assert(fabs(torta_hist_mean(&h) - sum / N) < 1e-12 * sum);
    free(v);
    gsl_rng_free(r);
    torta_hist_free(&h);
}
END_TEST

/* The one bucket a value lands in (count[] of a histogram holding it alone). */
static size_t bucket_holding(double x)
{
    torta_hist h;
    ck_assert_int_eq(torta_hist_init(&h), 0);
    torta_hist_add(&h, x);
    size_t b = 0;
    while (h.count[b] == 0)
        b++;
    torta_hist_free(&h);
    return b;
}

/* latency.csv's bounds: every value lies in [lo, hi) of its bucket, neighbouring buckets meet,
 * and a bucket is at most 1/512 wide, so its middle is within 1/1024 of any value in it. */
START_TEST(histogram_bounds_hold_their_values)
{
    gsl_rng *r = torta_rng_stream(3, "test");
    const double edge[] = {0.0, 1e-9, 0x1p-24, 0x1p-24 * (1 + 0x1p-52), 0.5, 1.0, 1.0 - 0x1p-53,
                           0x1p24 * (1 - 0x1p-53), 0x1p24, 1e9};
    for (int i = 0; i < 20000 + 10; i++) {
        double x = i < 10 ? edge[i] : exp(gsl_rng_uniform(r) * 40 - 20);
        double lo, hi;
        torta_hist_bounds(bucket_holding(x), &lo, &hi);
        ck_assert_msg(lo <= x && x < hi, "%.17g not in [%.17g, %.17g)", x, lo, hi);
    }
    for (size_t b = 0; b <= TORTA_HIST_BUCKETS; b++) {
        double lo, hi, lo2, hi2;
        torta_hist_bounds(b, &lo, &hi);
        torta_hist_bounds(b + 1, &lo2, &hi2);
        ck_assert(hi == lo2 && lo < hi);
        if (b > 0)
            ck_assert(hi / lo <= 1 + 1.0 / 512);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(config_defaults_and_overrides)
{
    torta_err e = {0};
    cJSON *c = NULL;
    const char *sets[] = {"seed=42", "scheduler.macro=local", "gpus.my-gpu={\"mem_gb\": 8}"};
    ck_assert_msg(torta_config_build(NULL, sets, 3, &c, &e) == 0, "%s", e.msg);
    ck_assert_int_eq((int)cJSON_GetObjectItem(c, "seed")->valuedouble, 42);
    ck_assert_str_eq(torta_config_at(c, "scheduler.macro")->valuestring, "local");
    ck_assert_str_eq(torta_config_at(c, "scheduler.micro")->valuestring, "jsq"); /* untouched */
    ck_assert(torta_config_at(c, "gpus.my-gpu.mem_gb") != NULL); /* open maps take new names */
    ck_assert(torta_config_at(c, "gpus.h100-80gb.mem_gb") != NULL); /* catalogue embedded */
    cJSON_Delete(c);
    /* Two --set into one object of an open map keep both keys (they once kept the last only). */
    const char *nested[] = {"scheduler.macro_params.rl.horizon_steps=288",
                            "scheduler.macro_params.rl.init_log_std=-2.5",
                            "gpus.h100-80gb.usd_per_hour=9"};
    ck_assert_msg(torta_config_build(NULL, nested, 3, &c, &e) == 0, "%s", e.msg);
    ck_assert_int_eq((int)torta_config_at(c, "scheduler.macro_params.rl.horizon_steps")->valuedouble, 288);
    ck_assert(torta_config_at(c, "scheduler.macro_params.rl.init_log_std")->valuedouble == -2.5);
    ck_assert(torta_config_at(c, "gpus.h100-80gb.usd_per_hour")->valuedouble == 9);
    ck_assert(torta_config_at(c, "gpus.h100-80gb.mem_gb") != NULL); /* the rest of the entry stays */
    cJSON_Delete(c);
}
END_TEST

START_TEST(config_errors_name_the_path)
{
    struct { const char *set, *expect; } cases[] = {
        {"slot_z=5", "did you mean \"slot_s\""},
        {"server.mode=3", "\"server.mode\" must be a string"},
        {"topology.stretch.x=1", "\"topology.stretch\" must be a number"},
        {"=4", "expected path.to.key=value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        torta_err e = {0};
        cJSON *c = NULL;
        const char *sets[] = {cases[i].set};
        ck_assert_int_eq(torta_config_build(NULL, sets, 1, &c, &e), TORTA_EINPUT);
        ck_assert_msg(strstr(e.msg, cases[i].expect), "%s: got '%s'", cases[i].set, e.msg);
    }
}
END_TEST

START_TEST(rng_streams_are_independent_and_reproducible)
{
    gsl_rng *a = torta_rng_stream(7, "arrivals"), *b = torta_rng_stream(7, "arrivals");
    gsl_rng *c = torta_rng_stream(7, "lengths"), *d = torta_rng_stream(8, "arrivals");
    int same_ab = 1, same_ac = 1, same_ad = 1;
    for (int i = 0; i < 100; i++) {
        unsigned long x = gsl_rng_get(a), y = gsl_rng_get(b), z = gsl_rng_get(c), w = gsl_rng_get(d);
        same_ab &= x == y;
        same_ac &= x == z;
        same_ad &= x == w;
    }
    ck_assert(same_ab && !same_ac && !same_ad);
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
    gsl_rng_free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, eventq_orders_by_time_then_insertion);
    tcase_add_test(tc, histogram_percentiles_within_bucket_error);
    tcase_add_test(tc, histogram_bounds_hold_their_values);
    tcase_add_test(tc, config_defaults_and_overrides);
    tcase_add_test(tc, config_errors_name_the_path);
    tcase_add_test(tc, rng_streams_are_independent_and_reproducible);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
