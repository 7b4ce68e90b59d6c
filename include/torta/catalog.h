/* GPU and LLM catalogues and iteration-time profiles. Loaded from the "gpus", "models" and
 * "profiles" sections of the configuration (configs/gpus.json, models.json, profiles.json are
 * the shipped defaults). Profiles for (GPU, model, TP) triples not in profiles.json get a
 * roofline estimate from the GPU's peak FLOP/s and memory bandwidth, marked fitted = 0.
 * Method, fit errors and the assumptions behind every number: docs/profiles.md. */
#ifndef TORTA_CATALOG_H
#define TORTA_CATALOG_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "torta/err.h"

typedef struct torta_gpu {
    char *name;
    double mem_gb;          /* HBM per GPU, GB (1e9 bytes) */
    double usd_per_hour;    /* on-demand price per GPU-hour */
    double reserved_usd_per_hour, spot_usd_per_hour; /* the other capacity classes' prices */
    double load_gb_per_s;   /* weight loading at start-up; 0 = server.load_gb_per_s */
    double idle_w, busy_w;  /* power per GPU */
    double peak_tflops;     /* dense FP16/BF16, for roofline estimates */
    double mem_bw_gbps;     /* HBM bandwidth, GB/s, for roofline estimates */
} torta_gpu;

typedef struct torta_model {
    char *name;
    double weight_bytes;
    double kv_bytes_per_token;
    double params;          /* parameter count, for roofline estimates */
    int layers, hidden;     /* transformer layers and hidden size, for roofline estimates */
    int default_tp;
    int32_t context_tokens; /* context length (prompt + output) it was trained for; 0 = unknown */
} torta_model;

/* Iteration time (seconds) of one continuous-batching iteration:
 *   t = [P > 0] (p0 + p1 P + p2 Q) + [B > 0] (d0 + d1 B + d2 C)
 * P = prompt tokens prefilled in the iteration, Q = sum of squared prompt lengths (attention),
 * B = requests decoding one token, C = total context tokens of those B requests.
 * Linear in B and C on purpose: a server can jump over iterations in closed form. */
/* A profile given as a grid of iteration times (profiles.json "grid_file"; docs/profiles.md
 * "The Vidur profile"), looked up as Vidur's predictor does:
 *   prefill  linear(ceil(P / token_round)) + attention(round(sqrt(Q))), the attention times
 *            (1 + batch_overhead) when the iteration holds several prompts (Q < P^2);
 *   decode   decode(B, ceil(floor(C / B) / granularity)): by batch size and mean context, which
 *            is rounded down and then up to a multiple of the granularity.
 * Beyond the grid, the last step is extended (never below 0). Prefill and decode in one
 * iteration (the mixed and sarathi policies) add up. */
typedef struct torta_perf_grid {
    int granularity, token_round;
    double batch_overhead;
    int max_b, n_ctx, decode_rows; /* decode[(B - 1) n_ctx + k - 1]: B requests, mean k granularity */
    int n_linear, n_attention;     /* linear[j - 1]: j token_round tokens; attention[s - 1] */
    double *decode, *linear, *attention; /* seconds */
} torta_perf_grid;

typedef struct torta_perf {
    const torta_perf_grid *grid; /* NULL: the coefficients below give the iteration time */
    double p0, p1, p2;
    double d0, d1, d2;
    int fitted;             /* 1: fitted to measured profile data; 0: roofline estimate */
    double fit_err_pct;     /* mean absolute percentage error of the fit, the worse of the two
                             * phases below (NaN if estimate or not given) */
    double prefill_err_pct, decode_err_pct; /* MAPE of each phase (NaN if estimate/not given) */
    /* The range the fit's points cover (0: not given, as for estimates): prompt and context
     * (prompt + output) tokens of one request, requests in a batch. */
    int32_t fit_max_prompt_tokens, fit_max_context_tokens, fit_max_batch;
} torta_perf;

/* Global constants of the roofline estimate, calibrated by scripts/fit_profiles.py against the
 * fitted profiles ("roofline" key of the profiles section; shipped values when absent). */
typedef struct torta_roofline {
    double compute_eff;        /* achieved fraction of peak FLOP/s */
    double mem_eff;            /* achieved fraction of peak memory bandwidth */
    double allreduce_gbps;     /* effective tensor-parallel all-reduce bandwidth per GPU, GB/s */
    double prefill_overhead_s; /* fixed time of a prefill */
    double decode_overhead_s;  /* fixed time of a decode iteration */
    double layer_sync_s;       /* per layer, times (tp-1)/tp: TP synchronisation in decode */
    double max_prefill_mape_vs_fit_pct, max_decode_mape_vs_fit_pct; /* informational */
} torta_roofline;

/* Profile sources. A profile key "<gpu>/<model>/tp<N>" belongs to the default source
 * "splitwise" (fitted profiles where present, the roofline elsewhere); "<gpu>/<model>/tp<N>/<name>"
 * belongs to source <name> (e.g. "vidur"); "roofline" always means the roofline estimate. Which
 * source a triple uses is chosen per triple (server.profile_source, or "profile_source" of a
 * server group; docs/profiles.md). */
#define TORTA_PROFILE_SOURCE_DEFAULT 0  /* "splitwise" */
#define TORTA_PROFILE_SOURCE_ROOFLINE 1 /* "roofline" */
#define TORTA_MAX_PROFILE_SOURCES 16

typedef struct torta_catalog {
    int n_gpus, n_models;
    torta_gpu *gpus;
    torta_model *models;
    int n_profiles;
    struct torta_profile_entry {
        int gpu, model, tp;
        torta_perf perf;
        int source; /* index into source_names */
        char *grid_file; /* a grid profile's file (NULL: none); perf.grid once a run selects it */
        int grid_granularity, grid_token_round;
        double grid_batch_overhead;
    } *profiles;
    torta_roofline roofline;
    /* Source names: [0] "splitwise", [1] "roofline", then the named sources of the keys. */
    int n_sources;
    char *source_names[TORTA_MAX_PROFILE_SOURCES];
    /* Triples whose source is not the default (torta_catalog_select_source). */
    int n_selected;
    struct torta_profile_selection {
        int gpu, model, tp, source;
    } *selected;
} torta_catalog;

/* Parses the three sections; errors name the JSON path (e.g. "gpus.h100-80gb.mem_gb"). */
int torta_catalog_load(const cJSON *gpus, const cJSON *models, const cJSON *profiles,
                       torta_catalog **out, torta_err *e);
void torta_catalog_free(torta_catalog *c);

int torta_catalog_gpu(const torta_catalog *c, const char *name);   /* index or -1 */
int torta_catalog_model(const torta_catalog *c, const char *name); /* index or -1 */

/* Profile for the triple: from its selected source (torta_catalog_select_source) if any, else
 * the default source's: the fitted one when present, else a roofline estimate. Errors
 * (TORTA_EINPUT) when tp is outside [1, 64] or the GPU's memory cannot hold weight_bytes / tp;
 * the message names gpu, model, tp and both memory figures. */
int torta_catalog_perf(const torta_catalog *c, int gpu, int model, int tp, torta_perf *out,
                       torta_err *e);

/* Index of a profile source by name, or -1. */
int torta_catalog_source(const torta_catalog *c, const char *name);

/* Profile for the triple from one source: the default source as torta_catalog_perf without a
 * selection, the roofline, or a named source's fitted profile (TORTA_EINPUT, naming the
 * triples the source has, when it has none for this triple). */
int torta_catalog_perf_source(const torta_catalog *c, int gpu, int model, int tp, int source,
                              torta_perf *out, torta_err *e);

/* Makes torta_catalog_perf answer the triple from `source` from now on (checked as
 * torta_catalog_perf_source; `where` prefixes errors). Choosing two different sources for one
 * triple is an error. */
int torta_catalog_select_source(torta_catalog *c, int gpu, int model, int tp, int source,
                                const char *where, torta_err *e);

/* The roofline estimate for the triple even when a fitted profile exists (same checks). */
int torta_catalog_roofline(const torta_catalog *c, int gpu, int model, int tp, torta_perf *out,
                           torta_err *e);

/* Roofline profile from explicit constants (no checks; tp >= 1). */
void torta_roofline_perf(const torta_roofline *r, const torta_gpu *g, const torta_model *m,
                         int tp, torta_perf *out);

/* The shipped roofline constants (equal to configs/profiles.json "roofline"). */
torta_roofline torta_roofline_default(void);

/* KV-cache capacity in tokens of one server of tp GPUs: (tp * mem * utilisation - weights) /
 * kv_bytes_per_token. May be <= 0 when the weights leave no room. */
double torta_kv_capacity_tokens(const torta_gpu *g, const torta_model *m, int tp,
                                double mem_utilization);

/* Grid profiles (src/cluster/perf_grid.c): reads the grid file (errors name file, line and
 * field), and the iteration times. Decode: *c_next is the batch's total context at which the
 * time next changes (the server's decode jump ends there). */
int torta_perf_grid_load(const char *path, int granularity, int token_round, double batch_overhead,
                         torta_perf_grid **out, torta_err *e);
void torta_perf_grid_free(torta_perf_grid *g);
double torta_perf_grid_prefill_s(const torta_perf_grid *g, double P, double Q);
double torta_perf_grid_decode_s(const torta_perf_grid *g, int64_t B, int64_t C, int64_t *c_next);

static inline double torta_perf_iter_s(const torta_perf *p, double P, double Q, double B, double C)
{
    double t = 0.0;
    if (p->grid) {
        int64_t next;
        if (P > 0)
            t += torta_perf_grid_prefill_s(p->grid, P, Q);
        if (B > 0)
            t += torta_perf_grid_decode_s(p->grid, (int64_t)B, (int64_t)C, &next);
        return t;
    }
    if (P > 0)
        t += p->p0 + p->p1 * P + p->p2 * Q;
    if (B > 0)
        t += p->d0 + p->d1 * B + p->d2 * C;
    return t;
}

#endif
