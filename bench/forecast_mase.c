/* Forecast accuracy (MASE) of each src/forecast method on a per-slot demand series, and the cost
 * of one update. The series is a trace (any format torta_source_open_trace reads) or a synthetic
 * workload spec aggregated into slots, or a CSV of per-slot demand. Prints a markdown table of
 * MASE for h = 1..H (rolling origin: every slot after the warm-up is a forecast origin), which
 * docs/forecast.md reproduces.
 *
 *   forecast_mase [options] TRACE              e.g. traces/AzureLLMInferenceTrace_conv.csv
 *   forecast_mase [options] --synthetic SPEC   e.g. diurnal:rate_per_s=5.5,duration_s=345600,...
 *   forecast_mase [options] --counts FILE.csv  one demand value per line (last field), header ok
 *   forecast_mase --timing REGIONS [--season-slots M] [--horizon H]   ns per update, on stderr
 * Options: --slot-s S (60), --measure requests|tokens (requests), --season-slots M and
 * --horizon H (forecast params; defaults as the library), --params FILE.json (forecast params
 * object), --warmup N (slots before the first scored origin; default m when the series is longer
 * than m, else 5), --mase-season K (MASE scale lag, 1), --seed S (synthetic, 1), --dump (print
 * the series as a counts CSV instead).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torta/forecast.h"
#include "torta/json.h"
#include "torta/workload.h"

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

/* Aggregates a request source into slots of slot_s: request count or input + output tokens per
 * slot. duration_s > 0 (synthetic): floor(duration_s / slot_s) slots; otherwise (trace) the slots
 * up to the last arrival, without the last one, which is partial. */
static int aggregate(torta_source *src, double slot_s, int tokens, double duration_s, series *out,
                     torta_err *e)
{
    torta_req_in r;
    double t_last = 0.0;
    int rc;
    while ((rc = torta_source_next(src, &r, e)) == 1) {
        size_t slot = (size_t)(r.arrival_s / slot_s);
        while (out->n <= slot)
            if (series_push(out, 0.0))
                return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        out->y[slot] += tokens ? (double)r.input_tokens + (double)r.output_tokens : 1.0;
        t_last = r.arrival_s;
    }
    if (rc < 0)
        return rc;
    size_t full = (size_t)((duration_s > 0 ? duration_s : t_last) / slot_s);
    while (out->n < full)
        if (series_push(out, 0.0))
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    out->n = full;
    return 0;
}

/* A counts CSV: the last field of each line is the slot's demand; a first line that does not
 * start with a digit is a header. */
static int read_counts(const char *path, series *out, torta_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return torta_err_set(e, TORTA_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    char line[4096];
    long lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if ((lineno == 1 && !isdigit((unsigned char)line[0])) || line[0] == '\0')
            continue;
        const char *v = strrchr(line, ',');
        v = v ? v + 1 : line;
        char *end;
        double x = strtod(v, &end);
        if (end == v || *end != '\0' || !isfinite(x) || x < 0) {
            fclose(f);
            return torta_err_set(e, TORTA_EINPUT, "%s:%ld: demand: \"%s\" is not a number >= 0",
                                 path, lineno, v);
        }
        if (series_push(out, x)) {
            fclose(f);
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        }
    }
    fclose(f);
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
    torta_err e = {0};
    int rc = !f || !out ? 1 : 0;
    for (int r = 0; r < regions && !rc; r++)
        if (torta_forecaster_new(&p, &f[r], &e)) {
            fprintf(stderr, "forecast_mase: %s\n", e.msg);
            rc = 2;
        }
    if (rc) {
        for (int r = 0; f && r < regions; r++)
            torta_forecaster_free(f[r]);
        free(f);
        free(out);
        return rc;
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
    fprintf(stderr, "usage: forecast_mase [options] TRACE | --synthetic SPEC | --counts FILE.csv\n"
                    "       forecast_mase --timing REGIONS [--season-slots M] [--horizon H]\n"
                    "options: --slot-s S --measure requests|tokens --season-slots M --horizon H\n"
                    "         --params FILE.json --warmup N --mase-season K --seed S --dump\n");
}

int main(int argc, char **argv)
{
    double slot_s = 60.0;
    int tokens = 0, regions = 0, mase_m = 1, dump = 0;
    long warmup = -1, season = -1, horizon = -1;
    uint64_t seed = 1;
    const char *input = NULL, *params_path = NULL, *synth = NULL, *counts = NULL;
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
        else if (!strcmp(a, "--synthetic") && v)
            synth = v;
        else if (!strcmp(a, "--counts") && v)
            counts = v;
        else if (!strcmp(a, "--seed") && v)
            seed = strtoull(v, NULL, 10);
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
    if (!(slot_s > 0) || tokens < 0 || (!input && !synth && !counts && regions <= 0)) {
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
    torta_source *src = NULL;
    int rc = 0;
    if (synth) {
        rc = torta_source_open_synthetic(synth, seed, 1, NULL, &src, &e);
        if (!rc)
            rc = aggregate(src, slot_s, tokens, torta_source_expected_duration_s(src), &s, &e);
    } else if (counts) {
        rc = read_counts(counts, &s, &e);
    } else {
        rc = torta_source_open_trace(input, NULL, &src, &e);
        if (!rc)
            rc = aggregate(src, slot_s, tokens, 0.0, &s, &e);
    }
    if (rc) {
        fprintf(stderr, "forecast_mase: %s\n", e.msg);
        torta_source_close(src);
        free(s.y);
        return rc == TORTA_EINPUT ? 2 : 1;
    }
    if (!dump)
        printf("series: %s, %zu slots of %.0f s, %s per slot\n",
               src ? torta_source_describe(src) : counts, s.n, slot_s,
               tokens ? "tokens (input + output)" : "requests");
    torta_source_close(src);
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
    rc = eval(&s, &p, warmup, mase_m);
    free(s.y);
    return rc;
}
