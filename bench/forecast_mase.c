/* Forecast accuracy (MASE) of each src/forecast method on a per-slot demand series, and the cost
 * of one update. The series comes from an Azure LLM 2023 trace aggregated into slots, a CSV of
 * per-slot counts, or a synthetic diurnal Poisson series. Prints a markdown table of MASE for
 * h = 1..H (rolling origin: every slot after the warm-up is a forecast origin). Numbers in
 * docs/forecast.md come from this tool.
 *
 *   forecast_mase [--slot-s 60] [--measure requests|tokens] [--season-slots M] [--horizon H]
 *                 [--warmup N] [--mase-season K] [--params forecast.json] TRACE_OR_COUNTS.csv
 *   forecast_mase --synthetic-diurnal DAYS [--seed S] [--mean-per-slot X] [--peak-to-trough R] ...
 *   forecast_mase --timing REGIONS [--season-slots M] [--horizon H]    (ns per update, stderr)
 * --dump prints the series as a counts CSV (slot,demand) instead of evaluating it.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <ctype.h>
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torta/forecast.h"
#include "torta/json.h"
#include "torta/rng.h"

typedef struct series {
    double *y;
    size_t n, cap;
} series;

static int series_push(series *s, double v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        double *ny = realloc(s->y, cap * sizeof *ny);
        if (!ny)
            return -1;
        s->y = ny;
        s->cap = cap;
    }
    s->y[s->n++] = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD HH:MM:SS.fffffff" -> seconds since the epoch (no time zone: only differences
 * matter here). Returns 0 on success. */
static int parse_azure_ts(const char *s, double *out)
{
    int Y, Mo, D, h, mi;
    double sec;
    if (sscanf(s, "%d-%d-%d %d:%d:%lf", &Y, &Mo, &D, &h, &mi, &sec) != 6)
        return -1;
    *out = (double)days_from_civil(Y, Mo, D) * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
    return 0;
}

/* Reads an Azure trace (aggregated into slots of slot_s: request count or input + output tokens;
 * the last, partial slot is dropped) or a counts CSV (last field of each line; a non-numeric
 * first line is a header). */
static int read_series(const char *path, double slot_s, int tokens, series *out, char *why,
                       size_t why_n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_n, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    long lineno = 0;
    int azure = -1;
    double t0 = 0.0, t_last = 0.0;
    series acc = {0}; /* azure: per-slot sums, grown as slots appear */
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (lineno == 1) {
            azure = strncmp(line, "TIMESTAMP,", 10) == 0;
            if (azure || !(isdigit((unsigned char)line[0]) || line[0] == '.'))
                continue; /* header */
        }
        if (line[0] == '\0')
            continue;
        if (azure) {
            double ts;
            long ctx, gen;
            char *c1 = strchr(line, ',');
            if (!c1 || parse_azure_ts(line, &ts) || sscanf(c1 + 1, "%ld,%ld", &ctx, &gen) != 2) {
                snprintf(why, why_n, "%s:%ld: not an Azure trace row", path, lineno);
                goto fail;
            }
            if (lineno == 2)
                t0 = ts;
            t_last = ts;
            size_t slot = (size_t)((ts - t0) / slot_s);
            while (acc.n <= slot)
                if (series_push(&acc, 0.0))
                    goto oom;
            acc.y[slot] += tokens ? (double)(ctx + gen) : 1.0;
        } else {
            const char *v = strrchr(line, ',');
            v = v ? v + 1 : line;
            char *end;
            double x = strtod(v, &end);
            if (end == v || !isfinite(x) || x < 0) {
                snprintf(why, why_n, "%s:%ld: demand: not a number >= 0", path, lineno);
                goto fail;
            }
            if (series_push(out, x))
                goto oom;
        }
    }
    fclose(f);
    if (azure) {
        size_t full = (size_t)((t_last - t0) / slot_s);
        for (size_t i = 0; i < full && i < acc.n; i++)
            if (series_push(out, acc.y[i]))
                goto oom2;
        free(acc.y);
    }
    return 0;
oom:
    fclose(f);
oom2:
    free(acc.y);
    snprintf(why, why_n, "out of memory");
    return -1;
fail:
    fclose(f);
    free(acc.y);
    return -1;
}

/* Poisson counts with mean mean_per_slot * curve(time of day), curve = 1 + a cos(2 pi (hour - 15)
 * / 24) with a set by the peak-to-trough ratio (peak at 15:00, trough at 03:00). */
static int synth_diurnal(int days, int slots_per_day, double mean_per_slot, double ratio,
                         uint64_t seed, series *out)
{
    gsl_rng *r = torta_rng_stream(seed, "forecast-bench-diurnal");
    if (!r)
        return -1;
    double a = (ratio - 1.0) / (ratio + 1.0);
    for (long i = 0; i < (long)days * slots_per_day; i++) {
        double hour = 24.0 * (double)(i % slots_per_day) / slots_per_day;
        double mu = mean_per_slot * (1.0 + a * cos(2.0 * 3.141592653589793 * (hour - 15.0) / 24.0));
        if (series_push(out, (double)gsl_ran_poisson(r, mu))) {
            gsl_rng_free(r);
            return -1;
        }
    }
    gsl_rng_free(r);
    return 0;
}

static int eval(const series *s, const torta_forecast_params *base, long warmup, int mase_m)
{
    int H = base->horizon_slots;
    double *actual = malloc(s->n * sizeof *actual), *pred = malloc(s->n * sizeof *pred);
    double *fc = malloc(s->n * (size_t)H * sizeof *fc);
    int rc = 0;
    if (!actual || !pred || !fc) {
        fprintf(stderr, "forecast_mase: out of memory\n");
        rc = 1;
        goto out;
    }
    printf("| method |");
    for (int h = 1; h <= H; h++)
        printf(" h=%d |", h);
    printf("\n|---|");
    for (int h = 1; h <= H; h++)
        printf("---|");
    printf("\n");
    for (int meth = 0; meth <= TORTA_FC_AUTO; meth++) {
        torta_forecast_params p = *base;
        p.method = (torta_forecast_method)meth;
        torta_forecaster *f;
        torta_err e = {0};
        if (torta_forecaster_new(&p, &f, &e)) {
            fprintf(stderr, "forecast_mase: %s\n", e.msg);
            rc = 2;
            goto out;
        }
        long picks[TORTA_FC_N_BASE] = {0};
        for (size_t t = 0; t < s->n; t++) {
            if (torta_forecaster_observe(f, s->y[t], &e)) {
                fprintf(stderr, "forecast_mase: %s\n", e.msg);
                torta_forecaster_free(f);
                rc = 2;
                goto out;
            }
            torta_forecaster_predict(f, fc + t * (size_t)H);
            if ((long)t >= warmup - 1)
                picks[torta_forecaster_active(f)]++;
        }
        torta_forecaster_free(f);
        printf("| %s |", torta_forecast_method_name(p.method));
        for (int h = 1; h <= H; h++) {
            size_t k = 0;
            /* origin t (after observing y_0..y_t) forecasts y_{t+h} */
            for (size_t t = (size_t)(warmup > 0 ? warmup - 1 : 0); t + (size_t)h < s->n; t++) {
                actual[k] = s->y[t + (size_t)h];
                pred[k] = fc[t * (size_t)H + (size_t)(h - 1)];
                k++;
            }
            double v;
            if (k == 0 || torta_forecast_mase(s->y, s->n, mase_m, actual, pred, k, &v, &e)) {
                printf(" n/a |");
                continue;
            }
            printf(" %.3f |", v);
        }
        if (meth == TORTA_FC_AUTO)
            printf(" picks: seasonal-naive %ld, ewma %ld, holt-winters %ld", picks[0], picks[1],
                   picks[2]);
        printf("\n");
    }
out:
    free(actual);
    free(pred);
    free(fc);
    return rc;
}

static int timing(int regions, const torta_forecast_params *base)
{
    torta_forecast_params p = *base;
    p.method = TORTA_FC_AUTO;
    torta_forecaster **f = calloc((size_t)regions, sizeof *f);
    double *out = malloc((size_t)p.horizon_slots * sizeof *out);
    if (!f || !out)
        return 1;
    torta_err e = {0};
    for (int r = 0; r < regions; r++)
        if (torta_forecaster_new(&p, &f[r], &e)) {
            fprintf(stderr, "forecast_mase: %s\n", e.msg);
            return 2;
        }
    long slots = 2L * p.season_slots + 100;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    double sink = 0.0;
    for (long t = 0; t < slots; t++)
        for (int r = 0; r < regions; r++) {
            torta_forecaster_observe(f[r], 100.0 + 50.0 * sin(0.01 * t + r) + (double)(t % 7), &e);
            torta_forecaster_predict(f[r], out);
            sink += out[0];
        }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
    fprintf(stderr,
            "timing: auto, %d regions, m=%d, H=%d, %ld slots: %.0f ns per region-slot "
            "(observe + predict), %.3f ms per slot for all regions (checksum %g)\n",
            regions, p.season_slots, p.horizon_slots, slots, 1e9 * s / ((double)slots * regions),
            1e3 * s / (double)slots, sink);
    for (int r = 0; r < regions; r++)
        torta_forecaster_free(f[r]);
    free(f);
    free(out);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: forecast_mase [--dump] [--slot-s S] [--measure requests|tokens] [--season-slots M]\n"
            "         [--horizon H] [--warmup N] [--mase-season K] [--params FILE.json] INPUT.csv\n"
            "       forecast_mase --synthetic-diurnal DAYS [--seed S] [--mean-per-slot X]\n"
            "         [--peak-to-trough R] [--slot-s S] [...]\n"
            "       forecast_mase --timing REGIONS [--season-slots M] [--horizon H]\n");
}

int main(int argc, char **argv)
{
    double slot_s = 60.0, mean_per_slot = 330.0, ratio = 4.0;
    int tokens = 0, days = 0, regions = 0, mase_m = 1, dump = 0;
    long warmup = -1, season = -1, horizon = -1;
    uint64_t seed = 1;
    const char *input = NULL, *params_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--slot-s") && v)
            slot_s = atof(v);
        else if (!strcmp(a, "--measure") && v)
            tokens = !strcmp(v, "tokens") ? 1 : !strcmp(v, "requests") ? 0 : -1;
        else if (!strcmp(a, "--season-slots") && v)
            season = atol(v);
        else if (!strcmp(a, "--horizon") && v)
            horizon = atol(v);
        else if (!strcmp(a, "--warmup") && v)
            warmup = atol(v);
        else if (!strcmp(a, "--mase-season") && v)
            mase_m = atoi(v);
        else if (!strcmp(a, "--params") && v)
            params_path = v;
        else if (!strcmp(a, "--synthetic-diurnal") && v)
            days = atoi(v);
        else if (!strcmp(a, "--seed") && v)
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--mean-per-slot") && v)
            mean_per_slot = atof(v);
        else if (!strcmp(a, "--peak-to-trough") && v)
            ratio = atof(v);
        else if (!strcmp(a, "--timing") && v)
            regions = atoi(v);
        else if (!strcmp(a, "--dump")) {
            dump = 1;
            takes = 0;
        }
        else if (a[0] != '-' && !input) {
            input = a;
            takes = 0;
        } else {
            usage();
            return 2;
        }
        i += takes;
    }
    if (!(slot_s > 0) || tokens < 0 || (!input && days <= 0 && regions <= 0)) {
        usage();
        return 2;
    }
    torta_forecast_params p;
    torta_forecast_params_default(&p);
    torta_err e = {0};
    if (params_path) {
        cJSON *j = NULL;
        if (torta_json_read_file(params_path, &j, &e) ||
            torta_forecast_params_from_json(j, params_path, &p, &e)) {
            cJSON_Delete(j);
            fprintf(stderr, "forecast_mase: %s\n", e.msg);
            return 2;
        }
        cJSON_Delete(j);
    }
    if (season > 0)
        p.season_slots = (int)season;
    if (horizon > 0)
        p.horizon_slots = (int)horizon;
    if (torta_forecast_params_check(&p, &e)) {
        fprintf(stderr, "forecast_mase: %s\n", e.msg);
        return 2;
    }
    if (regions > 0)
        return timing(regions, &p);

    series s = {0};
    char why[512];
    if (days > 0) {
        int per_day = (int)lround(86400.0 / slot_s);
        if (synth_diurnal(days, per_day, mean_per_slot, ratio, seed, &s)) {
            fprintf(stderr, "forecast_mase: out of memory\n");
            return 1;
        }
        if (!dump)
            printf("series: synthetic diurnal Poisson, %d days of %d slots (%.0f s), mean %.1f "
                   "per slot, peak/trough %.1f, seed %llu\n",
                   days, per_day, slot_s, mean_per_slot, ratio, (unsigned long long)seed);
    } else {
        if (read_series(input, slot_s, tokens, &s, why, sizeof why)) {
            fprintf(stderr, "forecast_mase: %s\n", why);
            free(s.y);
            return 2;
        }
        if (!dump)
            printf("series: %s, %zu slots of %.0f s, %s per slot\n", input, s.n, slot_s,
                   tokens ? "tokens (input + output)" : "requests");
    }
    if (dump) { /* the series as a counts CSV, readable back as INPUT */
        printf("slot,demand\n");
        for (size_t t = 0; t < s.n; t++)
            printf("%zu,%.17g\n", t, s.y[t]);
        free(s.y);
        return 0;
    }
    if (warmup < 0)
        warmup = s.n > (size_t)p.season_slots ? p.season_slots : 5;
    printf("params: season %d slots, H %d, ewma_alpha %g, hw alpha %g beta %g gamma %g phi %g, "
           "auto window %d; warm-up %ld slots; MASE scale: in-sample lag-%d MAE of the whole "
           "series\n\n",
           p.season_slots, p.horizon_slots, p.ewma_alpha, p.hw_alpha, p.hw_beta, p.hw_gamma,
           p.hw_phi, p.auto_window_slots, warmup, mase_m);
    int rc = eval(&s, &p, warmup, mase_m);
    free(s.y);
    return rc;
}
