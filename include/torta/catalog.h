/* GPU and LLM catalogues and iteration-time profiles. Loaded from the "gpus", "models" and
 * "profiles" sections of the configuration (configs/gpus.json, models.json, profiles.json are
 * the shipped defaults). Profiles for (GPU, model, TP) triples not in profiles.json get a
 * roofline estimate from the GPU's peak FLOP/s and memory bandwidth, marked fitted = 0. */
#ifndef TORTA_CATALOG_H
#define TORTA_CATALOG_H

#include <cjson/cJSON.h>

#include "torta/err.h"

typedef struct torta_gpu {
    char *name;
    double mem_gb;          /* HBM per GPU, GB (1e9 bytes) */
    double usd_per_hour;    /* on-demand price per GPU-hour */
    double idle_w, busy_w;  /* power per GPU */
    double peak_tflops;     /* dense FP16/BF16, for roofline estimates */
    double mem_bw_gbps;     /* HBM bandwidth, GB/s, for roofline estimates */
} torta_gpu;

typedef struct torta_model {
    char *name;
    double weight_bytes;
    double kv_bytes_per_token;
    double params;          /* parameter count, for roofline estimates */
    int default_tp;
} torta_model;

/* Iteration time (seconds) of one continuous-batching iteration:
 *   t = [P > 0] (p0 + p1 P + p2 Q) + [B > 0] (d0 + d1 B + d2 C)
 * P = prompt tokens prefilled in the iteration, Q = sum of squared prompt lengths (attention),
 * B = requests decoding one token, C = total context tokens of those B requests.
 * Linear in B and C on purpose: a server can jump over iterations in closed form. */
typedef struct torta_perf {
    double p0, p1, p2;
    double d0, d1, d2;
    int fitted;             /* 1: fitted to measured profile data; 0: roofline estimate */
    double fit_err_pct;     /* mean absolute percentage error of the fit (NaN if estimate) */
} torta_perf;

typedef struct torta_catalog {
    int n_gpus, n_models;
    torta_gpu *gpus;
    torta_model *models;
    int n_profiles;
    struct torta_profile_entry {
        int gpu, model, tp;
        torta_perf perf;
    } *profiles;
} torta_catalog;

/* Parses the three sections; errors name the JSON path (e.g. "gpus.h100-80gb.mem_gb"). */
int torta_catalog_load(const cJSON *gpus, const cJSON *models, const cJSON *profiles,
                       torta_catalog **out, torta_err *e);
void torta_catalog_free(torta_catalog *c);

int torta_catalog_gpu(const torta_catalog *c, const char *name);   /* index or -1 */
int torta_catalog_model(const torta_catalog *c, const char *name); /* index or -1 */

/* Profile for the triple: the fitted one when present, else a roofline estimate. */
int torta_catalog_perf(const torta_catalog *c, int gpu, int model, int tp, torta_perf *out,
                       torta_err *e);

static inline double torta_perf_iter_s(const torta_perf *p, double P, double Q, double B, double C)
{
    double t = 0.0;
    if (P > 0)
        t += p->p0 + p->p1 * P + p->p2 * Q;
    if (B > 0)
        t += p->d0 + p->d1 * B + p->d2 * C;
    return t;
}

#endif
