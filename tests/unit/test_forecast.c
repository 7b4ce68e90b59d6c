/* Unit tests for src/forecast: each method on synthetic series with known answers, the auto
 * selector, clamping, parameter and JSON errors, and MASE on a hand-computed example. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "torta/forecast.h"
#include "torta/json.h"
#include "run_suite.h"

static torta_forecaster *make(torta_forecast_method method, int m, int H)
{
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    p.method = method;
    p.season_slots = m;
    p.horizon_slots = H;
    torta_forecaster *f = NULL;
    torta_err e = {0};
    ck_assert_msg(torta_forecaster_new(&p, &f, &e) == 0, "%s", e.msg);
    return f;
}

static torta_forecaster *make_p(const torta_forecast_params *p)
{
    torta_forecaster *f = NULL;
    torta_err e = {0};
    ck_assert_msg(torta_forecaster_new(p, &f, &e) == 0, "%s", e.msg);
    return f;
}

static void feed(torta_forecaster *f, double y)
{
    torta_err e = {0};
    ck_assert_msg(torta_forecaster_observe(f, y, &e) == 0, "%s", e.msg);
}

/* A fixed pattern of period 6 and a different one used after a regime change. */
static const double PAT_A[6] = {3, 9, 4, 1, 7, 5};
static const double PAT_B[6] = {8, 2, 6, 6, 1, 9};

START_TEST(test_constant_all_methods)
{
    for (int meth = 0; meth <= TORTA_FC_AUTO; meth++) {
        torta_forecaster *f = make((torta_forecast_method)meth, 5, 4);
        double out[4];
        torta_forecaster_predict(f, out);
        for (int h = 0; h < 4; h++)
            ck_assert_double_eq(out[h], 0.0); /* no history: zeros */
        for (int t = 0; t < 60; t++) {
            feed(f, 7.5);
            torta_forecaster_predict(f, out);
            for (int h = 0; h < 4; h++)
                ck_assert_msg(fabs(out[h] - 7.5) <= 1e-12, "%s t=%d h=%d: %.17g",
                              torta_forecast_method_name((torta_forecast_method)meth), t, h + 1,
                              out[h]);
        }
        ck_assert_int_eq(torta_forecaster_n_obs(f), 60);
        if (meth == TORTA_FC_AUTO) /* every error is 0: the tie goes to the first method */
            ck_assert_int_eq(torta_forecaster_active(f), TORTA_FC_SEASONAL_NAIVE);
        torta_forecaster_free(f);
    }
}
END_TEST

START_TEST(test_seasonal_naive_exact)
{
    int H = 8; /* > m, so h = 7, 8 wrap to the same phase one season back */
    torta_forecaster *f = make(TORTA_FC_SEASONAL_NAIVE, 6, H);
    double out[8];
    for (int t = 0; t < 30; t++) {
        feed(f, PAT_A[t % 6]);
        torta_forecaster_predict(f, out);
        for (int h = 1; h <= H; h++) {
            /* before a full season: the last observation */
            double want = t < 5 ? PAT_A[t % 6] : PAT_A[(t + h) % 6];
            ck_assert_double_eq(out[h - 1], want);
        }
    }
    torta_forecaster_free(f);
}
END_TEST

START_TEST(test_holt_winters_seasonal)
{
    /* Initialised from the first season, HW is exact on a purely periodic series... */
    torta_forecaster *f = make(TORTA_FC_HOLT_WINTERS, 6, 8);
    double out[8];
    for (int t = 0; t < 120; t++) {
        feed(f, 20.0 + PAT_A[t % 6]);
        if (t < 5)
            continue;
        torta_forecaster_predict(f, out);
        for (int h = 1; h <= 8; h++)
            ck_assert_msg(fabs(out[h - 1] - (20.0 + PAT_A[(t + h) % 6])) < 1e-9, "t=%d h=%d", t,
                          h);
    }
    torta_forecaster_free(f);

    /* ...and converges to it when the first season gave it the wrong shape (flat, then A). */
    f = make(TORTA_FC_HOLT_WINTERS, 6, 8);
    double first_err = 0.0;
    for (int t = 0; t < 6 * 400; t++) {
        double y = t < 6 ? 25.0 : 20.0 + PAT_A[t % 6];
        if (t == 6) {
            torta_forecaster_predict(f, out); /* forecast made at t = 5 for t = 6 */
            first_err = fabs(out[0] - y);
        }
        feed(f, y);
    }
    torta_forecaster_predict(f, out);
    ck_assert(first_err > 1.5);
    long t = 6 * 400 - 1;
    for (int h = 1; h <= 8; h++)
        ck_assert_msg(fabs(out[h - 1] - (20.0 + PAT_A[(t + h) % 6])) < 1e-6, "h=%d: %g", h,
                      out[h - 1]);
    torta_forecaster_free(f);
}
END_TEST

START_TEST(test_holt_winters_linear_undamped)
{
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    p.method = TORTA_FC_HOLT_WINTERS;
    p.season_slots = 4;
    p.horizon_slots = 6;
    p.hw_alpha = 0.5;
    p.hw_beta = 0.3;
    p.hw_gamma = 0.2;
    p.hw_phi = 1.0;
    torta_forecaster *f = make_p(&p);
    double out[6];
    int n = 600;
    for (int t = 0; t < n; t++)
        feed(f, 10.0 + 2.0 * t);
    torta_forecaster_predict(f, out);
    for (int h = 1; h <= 6; h++)
        ck_assert_msg(fabs(out[h - 1] - (10.0 + 2.0 * (n - 1 + h))) < 1e-6, "h=%d: %.9g", h,
                      out[h - 1]);
    torta_forecaster_free(f);
}
END_TEST

/* With m = 1 the season is one constant, so f(h) = A + b (phi + ... + phi^h) and
 * f(h) - f(1) = (f(2) - f(1)) (1 - phi^(h-1)) / (1 - phi). */
START_TEST(test_holt_winters_damped_closed_form)
{
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    p.method = TORTA_FC_HOLT_WINTERS;
    p.season_slots = 1;
    p.horizon_slots = 12;
    p.hw_phi = 0.8;
    torta_forecaster *f = make_p(&p);
    double out[12];
    for (int t = 0; t < 50; t++) {
        feed(f, 100.0 + 5.0 * t);
        if (t < 3)
            continue;
        torta_forecaster_predict(f, out);
        double step = out[1] - out[0];
        ck_assert(step > 0.0);
        for (int h = 1; h <= 12; h++) {
            double want = out[0] + step * (1.0 - pow(0.8, h - 1)) / (1.0 - 0.8);
            ck_assert_msg(fabs(out[h - 1] - want) < 1e-9 * want, "t=%d h=%d", t, h);
        }
    }
    /* Damping: the forecast flattens, so it falls behind the line by a growing amount. */
    ck_assert(out[11] < 100.0 + 5.0 * (49 + 12) - 10.0);
    torta_forecaster_free(f);
}
END_TEST

/* The FPP3 equations written out with absolute time indices (s[t] for every t), as an
 * independent check of the ring indexing and of k = floor((h-1)/m). */
START_TEST(test_holt_winters_reference)
{
    enum { M = 7, N = 200, H = 16 };
    const double a = 0.35, b = 0.1, g = 0.25, phi = 0.9;
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    p.method = TORTA_FC_HOLT_WINTERS;
    p.season_slots = M;
    p.horizon_slots = H;
    p.hw_alpha = a;
    p.hw_beta = b;
    p.hw_gamma = g;
    p.hw_phi = phi;
    double y[N], s[N], out[H];
    unsigned x = 12345;
    for (int t = 0; t < N; t++) {
        x = x * 1103515245u + 12345u;
        double noise = (double)((x >> 16) % 100) / 10.0;
        y[t] = 50.0 + 0.3 * t + 10.0 * sin(2 * 3.141592653589793 * t / M) + noise;
    }
    double mean = 0.0;
    for (int t = 0; t < M; t++)
        mean += y[t];
    mean /= M;
    for (int t = 0; t < M; t++)
        s[t] = y[t] - mean;
    double l = mean, tr = 0.0;
    torta_forecaster *f = make_p(&p);
    for (int t = 0; t < N; t++) {
        feed(f, y[t]);
        if (t >= M) {
            double l_prev = l, tr_prev = tr;
            l = a * (y[t] - s[t - M]) + (1 - a) * (l_prev + phi * tr_prev);
            tr = b * (l - l_prev) + (1 - b) * phi * tr_prev;
            s[t] = g * (y[t] - l_prev - phi * tr_prev) + (1 - g) * s[t - M];
        }
        if (t < M - 1)
            continue;
        torta_forecaster_predict(f, out);
        for (int h = 1; h <= H; h++) {
            int k = (h - 1) / M;
            double damp = 0.0;
            for (int i = 1; i <= h; i++)
                damp += pow(phi, i);
            double want = l + damp * tr + s[t + h - M * (k + 1)];
            ck_assert_msg(fabs(out[h - 1] - want) < 1e-9, "t=%d h=%d: %.12g vs %.12g", t, h,
                          out[h - 1], want);
        }
    }
    torta_forecaster_free(f);
}
END_TEST

START_TEST(test_ewma_step)
{
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    p.method = TORTA_FC_EWMA;
    p.ewma_alpha = 0.25;
    p.horizon_slots = 3;
    torta_forecaster *f = make_p(&p);
    double out[3];
    for (int t = 0; t < 20; t++)
        feed(f, 10.0);
    for (int k = 1; k <= 40; k++) {
        feed(f, 30.0);
        torta_forecaster_predict(f, out);
        double want = 30.0 + (10.0 - 30.0) * pow(0.75, k);
        for (int h = 0; h < 3; h++)
            ck_assert_msg(fabs(out[h] - want) < 1e-12, "k=%d: %.17g vs %.17g", k, out[h], want);
    }
    torta_forecaster_free(f);
}
END_TEST

START_TEST(test_auto_seasonal)
{
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    p.method = TORTA_FC_AUTO;
    p.season_slots = 6;
    p.horizon_slots = 4;
    p.auto_window_slots = 24;
    torta_forecaster *f = make_p(&p);
    double out[4];
    /* Pattern A for 10 seasons, then B: seasonal naive is exact again after one season of B,
     * Holt-Winters needs many seasons to relearn the shape, EWMA never fits it. */
    int t = 0;
    for (; t < 60; t++)
        feed(f, 20.0 + PAT_A[t % 6]);
    ck_assert_int_eq(torta_forecaster_active(f), TORTA_FC_SEASONAL_NAIVE);
    for (; t < 60 + 6 + 4 + 24; t++)
        feed(f, 20.0 + PAT_B[t % 6]);
    ck_assert_int_eq(torta_forecaster_active(f), TORTA_FC_SEASONAL_NAIVE);
    ck_assert_double_eq(torta_forecaster_window_error(f, TORTA_FC_SEASONAL_NAIVE), 0.0);
    ck_assert(torta_forecaster_window_error(f, TORTA_FC_HOLT_WINTERS) > 1.0);
    ck_assert(torta_forecaster_window_error(f, TORTA_FC_EWMA) > 10.0);
    torta_forecaster_predict(f, out);
    for (int h = 1; h <= 4; h++)
        ck_assert_double_eq(out[h - 1], 20.0 + PAT_B[(t - 1 + h) % 6]);
    ck_assert_double_eq(torta_forecaster_window_error(f, TORTA_FC_AUTO), -1.0);
    torta_forecaster_free(f);
}
END_TEST

/* The selector's score, recomputed from fixed-method forecasters: for each slot t, the sum over
 * h of |y_t - forecast for t made at t - h|, summed over the last W slots; auto uses the argmin. */
START_TEST(test_auto_window_matches_reference)
{
    enum { M = 5, H = 3, W = 7, N = 101 };
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    p.season_slots = M;
    p.horizon_slots = H;
    p.auto_window_slots = W;
    p.method = TORTA_FC_AUTO;
    torta_forecaster *fa = make_p(&p), *fb[TORTA_FC_N_BASE];
    for (int i = 0; i < TORTA_FC_N_BASE; i++) {
        p.method = (torta_forecast_method)i;
        fb[i] = make_p(&p);
    }
    static double made[TORTA_FC_N_BASE][N][H], slot_err[TORTA_FC_N_BASE][N];
    double y[N], out[H];
    int seen[TORTA_FC_N_BASE] = {0};
    unsigned x = 99;
    for (int t = 0; t < N; t++) {
        x = x * 1103515245u + 12345u;
        /* a season, a slow drift and noise, so the three methods take turns */
        double noise = (double)((x >> 16) % 700) / 100.0;
        y[t] = 30.0 + 10.0 * ((t % M) == 2) + 0.2 * t * (t < 50) + noise;
        feed(fa, y[t]);
        for (int i = 0; i < TORTA_FC_N_BASE; i++) {
            double err = 0.0;
            for (int h = 1; h <= H && t - h >= 0; h++)
                err += fabs(y[t] - made[i][t - h][h - 1]);
            slot_err[i][t] = err;
            feed(fb[i], y[t]);
            torta_forecaster_predict(fb[i], made[i][t]);
        }
        int best = 0;
        double best_err = 0.0;
        for (int i = 0; i < TORTA_FC_N_BASE; i++) {
            double sum = 0.0;
            for (int u = t; u > t - W && u >= 1; u--)
                sum += slot_err[i][u];
            double got = torta_forecaster_window_error(fa, (torta_forecast_method)i);
            ck_assert_msg(fabs(got - sum) <= 1e-9 * (1.0 + sum), "t=%d method %d: %.12g vs %.12g",
                          t, i, got, sum);
            if (i == 0 || sum < best_err - 1e-9) {
                best = i;
                best_err = sum;
            }
        }
        ck_assert_int_eq(torta_forecaster_active(fa), best);
        seen[best] = 1;
        torta_forecaster_predict(fa, out);
        ck_assert_mem_eq(out, made[best][t], sizeof out);
    }
    for (int i = 0; i < TORTA_FC_N_BASE; i++) {
        ck_assert_msg(seen[i], "method %d was never selected: the series does not test switching",
                      i);
        torta_forecaster_free(fb[i]);
    }
    torta_forecaster_free(fa);
}
END_TEST

START_TEST(test_auto_noisy_constant)
{
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    p.method = TORTA_FC_AUTO;
    p.season_slots = 24;
    p.horizon_slots = 4;
    p.ewma_alpha = 0.1; /* one-step error variance 1.05 s^2; HW adds season and trend noise */
    p.auto_window_slots = 400;
    torta_forecaster *f = make_p(&p);
    unsigned x = 777;
    int ewma_active = 0;
    for (int t = 0; t < 3000; t++) {
        x = x * 1103515245u + 12345u;
        feed(f, 50.0 + (double)((x >> 16) % 2001) / 100.0 - 10.0); /* 50 +- 10, uniform */
        if (t >= 2000)
            ewma_active += torta_forecaster_active(f) == TORTA_FC_EWMA;
    }
    ck_assert_int_eq(torta_forecaster_active(f), TORTA_FC_EWMA);
    ck_assert_int_eq(ewma_active, 1000);
    double ew = torta_forecaster_window_error(f, TORTA_FC_EWMA);
    ck_assert(ew < torta_forecaster_window_error(f, TORTA_FC_HOLT_WINTERS));
    ck_assert(ew < torta_forecaster_window_error(f, TORTA_FC_SEASONAL_NAIVE));
    torta_forecaster_free(f);
}
END_TEST

START_TEST(test_clamp_and_bad_observation)
{
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    p.method = TORTA_FC_HOLT_WINTERS;
    p.season_slots = 1;
    p.horizon_slots = 20;
    p.hw_alpha = 0.9;
    p.hw_beta = 0.9;
    p.hw_phi = 1.0;
    torta_forecaster *f = make_p(&p);
    double out[20];
    for (int t = 0; t < 10; t++)
        feed(f, 100.0 - 10.0 * t); /* 100 .. 10, heading below 0 */
    torta_forecaster_predict(f, out);
    ck_assert(out[0] > 0.0);
    for (int h = 0; h < 20; h++)
        ck_assert(out[h] >= 0.0);
    ck_assert_double_eq(out[19], 0.0);

    torta_err e = {0};
    ck_assert_int_eq(torta_forecaster_observe(f, -1.0, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "forecast: observation 10 is -1 (demand must be finite and >= 0)");
    ck_assert_int_eq(torta_forecaster_observe(f, NAN, &e), TORTA_EINPUT);
    ck_assert_int_eq(torta_forecaster_observe(f, INFINITY, &e), TORTA_EINPUT);
    ck_assert_int_eq(torta_forecaster_n_obs(f), 10);
    double again[20];
    torta_forecaster_predict(f, again);
    ck_assert_mem_eq(out, again, sizeof out);
    torta_forecaster_free(f);
}
END_TEST

static void expect_bad(torta_forecast_params p, const char *msg)
{
    torta_err e = {0};
    torta_forecaster *f = (torta_forecaster *)&e; /* must be reset to NULL */
    ck_assert_int_eq(torta_forecaster_new(&p, &f, &e), TORTA_EINPUT);
    ck_assert_ptr_null(f);
    ck_assert_str_eq(e.msg, msg);
}

START_TEST(test_bad_params)
{
    torta_forecast_params d;
    torta_forecast_params_default(&d);
    torta_err e = {0};
    ck_assert_int_eq(torta_forecast_params_check(&d, &e), 0);
    torta_forecast_params p = d;
    p.ewma_alpha = 0.0;
    expect_bad(p, "forecast.ewma_alpha: 0 is outside (0, 1]");
    p = d;
    p.hw_alpha = 1.5;
    expect_bad(p, "forecast.hw_alpha: 1.5 is outside (0, 1]");
    p = d;
    p.hw_alpha = NAN;
    expect_bad(p, "forecast.hw_alpha: nan is outside (0, 1]");
    p = d;
    p.hw_beta = -0.1;
    expect_bad(p, "forecast.hw_beta: -0.1 is outside [0, 1]");
    p = d;
    p.hw_phi = 0.0;
    expect_bad(p, "forecast.hw_phi: 0 is outside (0, 1]");
    p = d;
    p.season_slots = 0;
    expect_bad(p, "forecast.season_slots: 0 is outside [1, 1048576]");
    p = d;
    p.horizon_slots = 0;
    expect_bad(p, "forecast.horizon_slots: 0 is outside [1, 64]");
    p = d;
    p.auto_window_slots = 0;
    expect_bad(p, "forecast.auto_window_slots: 0 is outside [1, 100000]");
    p = d;
    p.method = (torta_forecast_method)7;
    expect_bad(p, "forecast.method: invalid value 7");
    /* Edge values that are allowed. */
    p = d;
    p.ewma_alpha = p.hw_alpha = p.hw_phi = 1.0;
    p.hw_beta = p.hw_gamma = 0.0;
    p.season_slots = p.horizon_slots = p.auto_window_slots = 1;
    ck_assert_int_eq(torta_forecast_params_check(&p, &e), 0);
}
END_TEST

START_TEST(test_names)
{
    const char *names[] = {"seasonal-naive", "ewma", "holt-winters", "auto"};
    torta_err e = {0};
    for (int i = 0; i < 4; i++) {
        torta_forecast_method m;
        ck_assert_str_eq(torta_forecast_method_name((torta_forecast_method)i), names[i]);
        ck_assert_int_eq(torta_forecast_method_from_name(names[i], &m, &e), 0);
        ck_assert_int_eq(m, i);
    }
    ck_assert_ptr_null(torta_forecast_method_name((torta_forecast_method)4));
    torta_forecast_method m;
    ck_assert_int_eq(torta_forecast_method_from_name("holt-winter", &m, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg,
                     "unknown forecast method \"holt-winter\" (did you mean \"holt-winters\"?)");
    ck_assert_int_eq(torta_forecast_method_from_name("arima", &m, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "unknown forecast method \"arima\" (known: seasonal-naive, ewma, "
                            "holt-winters, auto)");
}
END_TEST

static int params_eq(const torta_forecast_params *a, const torta_forecast_params *b)
{
    return a->method == b->method && a->season_slots == b->season_slots &&
           a->horizon_slots == b->horizon_slots && a->ewma_alpha == b->ewma_alpha &&
           a->hw_alpha == b->hw_alpha && a->hw_beta == b->hw_beta && a->hw_gamma == b->hw_gamma &&
           a->hw_phi == b->hw_phi && a->auto_window_slots == b->auto_window_slots;
}

static int from_json(const char *text, torta_forecast_params *p, torta_err *e)
{
    cJSON *j = NULL;
    ck_assert_int_eq(torta_json_parse(text, "test", &j, e), 0);
    torta_forecast_params_default(p);
    int rc = torta_forecast_params_from_json(j, "macro.forecast", p, e);
    cJSON_Delete(j);
    return rc;
}

START_TEST(test_json)
{
    torta_forecast_params p, d;
    torta_forecast_params_default(&d);
    torta_err e = {0};
    ck_assert_int_eq(from_json("{}", &p, &e), 0);
    ck_assert(params_eq(&p, &d));
    ck_assert_int_eq(torta_forecast_params_from_json(NULL, "x", &p, &e), 0);
    ck_assert_int_eq(from_json("{\"method\": \"holt-winters\", \"season_slots\": 288, "
                               "\"horizon_slots\": 6, \"hw_phi\": 0.9, \"ewma_alpha\": 0.5, "
                               "\"auto_window_slots\": 30}",
                               &p, &e),
                     0);
    ck_assert_int_eq(p.method, TORTA_FC_HOLT_WINTERS);
    ck_assert_int_eq(p.season_slots, 288);
    ck_assert_int_eq(p.horizon_slots, 6);
    ck_assert_int_eq(p.auto_window_slots, 30);
    ck_assert_double_eq(p.hw_phi, 0.9);
    ck_assert_double_eq(p.ewma_alpha, 0.5);
    ck_assert_double_eq(p.hw_alpha, d.hw_alpha);

    ck_assert_int_eq(from_json("{\"hw_alpah\": 0.3}", &p, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg,
                     "macro.forecast: unknown key \"hw_alpah\" (did you mean \"hw_alpha\"?)");
    ck_assert_int_eq(from_json("{\"method\": \"ewm\"}", &p, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "macro.forecast.method: unknown forecast method \"ewm\" (did you mean "
                            "\"ewma\"?)");
    ck_assert_int_eq(from_json("{\"ewma_alpha\": 0}", &p, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "macro.forecast.ewma_alpha: 0 is outside (0, 1]");
    ck_assert_int_eq(from_json("{\"season_slots\": 0}", &p, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "macro.forecast.season_slots: 0 is outside [1, 1.04858e+06]");
    ck_assert_int_eq(from_json("{\"horizon_slots\": 2.5}", &p, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "macro.forecast.horizon_slots: expected an integer, got 2.5");
    ck_assert_int_eq(from_json("[1]", &p, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "macro.forecast: expected an object");
}
END_TEST

START_TEST(test_mase)
{
    const double train[] = {1, 3, 2, 5, 4};
    const double actual[] = {6, 5}, pred[] = {5, 7};
    double v;
    torta_err e = {0};
    /* m = 1: scale = (2 + 1 + 3 + 1) / 4 = 1.75; MAE = (1 + 2) / 2 = 1.5. */
    ck_assert_int_eq(torta_forecast_mase(train, 5, 1, actual, pred, 2, &v, &e), 0);
    ck_assert_double_eq_tol(v, 1.5 / 1.75, 1e-15);
    /* m = 2: scale = (|2-1| + |5-3| + |4-2|) / 3 = 5/3; MASE = 1.5 / (5/3) = 0.9. */
    ck_assert_int_eq(torta_forecast_mase(train, 5, 2, actual, pred, 2, &v, &e), 0);
    ck_assert_double_eq_tol(v, 0.9, 1e-15);

    ck_assert_int_eq(torta_forecast_mase(train, 2, 2, actual, pred, 2, &v, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "mase: the training series has 2 points; more than the season (2) are "
                            "needed for the scale");
    const double periodic[] = {1, 2, 1, 2, 1};
    ck_assert_int_eq(torta_forecast_mase(periodic, 5, 2, actual, pred, 2, &v, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "mase: the scale is zero (the training series repeats with period 2)");
    ck_assert_int_eq(torta_forecast_mase(train, 5, 1, actual, pred, 0, &v, &e), TORTA_EINPUT);
    ck_assert_int_eq(torta_forecast_mase(train, 5, 0, actual, pred, 2, &v, &e), TORTA_EINPUT);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("forecast");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_constant_all_methods);
    tcase_add_test(tc, test_seasonal_naive_exact);
    tcase_add_test(tc, test_holt_winters_seasonal);
    tcase_add_test(tc, test_holt_winters_linear_undamped);
    tcase_add_test(tc, test_holt_winters_damped_closed_form);
    tcase_add_test(tc, test_holt_winters_reference);
    tcase_add_test(tc, test_ewma_step);
    tcase_add_test(tc, test_auto_seasonal);
    tcase_add_test(tc, test_auto_window_matches_reference);
    tcase_add_test(tc, test_auto_noisy_constant);
    tcase_add_test(tc, test_clamp_and_bad_observation);
    tcase_add_test(tc, test_bad_params);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_mase);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
