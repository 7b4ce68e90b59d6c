/* Request sources: streaming trace readers (Azure LLM 2023 CSV, Mooncake JSONL, native CSV) and
 * synthetic generators (poisson, gamma, diurnal). A source yields requests one at a time in
 * non-decreasing arrival order; memory does not grow with trace length. Origin regions are
 * assigned afterwards by torta_origin_* (traces carry none), unless the native CSV names one. */
#ifndef TORTA_WORKLOAD_H
#define TORTA_WORKLOAD_H

#include <stdint.h>

#include "torta/err.h"

typedef struct torta_req_in {
    uint64_t id;            /* 0,1,2,... in source order */
    double arrival_s;       /* seconds since the start of the workload (first trace row = 0) */
    int32_t input_tokens;   /* >= 1 */
    int32_t output_tokens;  /* >= 1 */
    int32_t origin;         /* region index, or -1 = to be assigned */
    int32_t model;          /* model index, or -1 = to be assigned from the configured mix */
    const char *origin_name;/* native CSV only: region name as written (resolved by the caller); else NULL.
                             * Points into the reader's line buffer: valid until the next call. */
    const char *model_name; /* native CSV only: model name as written; else NULL (same lifetime) */
    uint64_t prefix_hash;   /* Mooncake: hash of the first prefix block id (0 = none) */
    int32_t n_prefix_blocks;/* Mooncake: number of hash_ids (512-token blocks) */
    const uint64_t *prefix_ids; /* Mooncake: the hash_ids, n_prefix_blocks of them (NULL = none).
                                 * In the reader's buffer: valid until the next call. */
    int32_t src_line;       /* line in the source file (1-based), 0 for synthetic */
} torta_req_in;

typedef struct torta_source torta_source;

typedef enum { TORTA_FMT_AUTO, TORTA_FMT_AZURE, TORTA_FMT_MOONCAKE, TORTA_FMT_NATIVE } torta_trace_fmt;

typedef struct torta_trace_opts {
    torta_trace_fmt format;  /* AUTO: detected from the header / first line */
    double rate_scale;       /* arrival times divided by this (2 = twice the rate); default 1
                              * (0 = unset = 1; negative, NaN, inf are errors) */
    double duration_s;       /* stop at the first request with scaled arrival >= this; <= 0: whole trace */
} torta_trace_opts;

/* Opens a trace file (o may be NULL: auto format, scale 1, whole trace). The header and the
 * first row are read here, so an empty, header-only or unknown-format file fails at open.
 * Azure and Mooncake times are made relative to the first row; native arrival_s is kept as
 * written. Errors name file:line: field (docs/workloads.md lists them). */
int torta_source_open_trace(const char *path, const torta_trace_opts *o, torta_source **out,
                            torta_err *e);

/* Synthetic workload from a spec "KIND:key=value,...", KIND in poisson|gamma|diurnal.
 * Keys: rate_per_s (required), duration_s (default 3600; diurnal 86400), cv (gamma, required),
 * input_tokens + output_tokens (fixed lengths) or lengths=FILE (rows sampled uniformly from a
 * ShareGPT-style length CSV or any supported trace); diurnal also: peak_to_trough (default 4),
 * peak_hour (local, default 14), start_hour (UTC hour at t=0, default 0), weights=w0;w1;...
 * (per-region share of the rate, default equal). Unknown kinds/keys: error with did-you-mean.
 * seed drives named RNG streams ("arrivals", "lengths"). n_regions/tz_offsets_h (NULL = all 0)
 * are used by diurnal (rate_i(t) = base_i * curve(t + tz_i)); diurnal assigns origins itself,
 * poisson/gamma leave origin = -1. */
int torta_source_open_synthetic(const char *spec, uint64_t seed, int n_regions,
                                const double *tz_offsets_h, torta_source **out, torta_err *e);

/* 1 = a request was read into *r, 0 = end of stream, < 0 = error (file:line:field in e). */
int torta_source_next(torta_source *s, torta_req_in *r, torta_err *e);

/* A short description for summary.json ("azure:path", "poisson:rate_per_s=8,..."). */
const char *torta_source_describe(const torta_source *s);

/* The trace file path as given (for "file:line" messages about a request), NULL if synthetic. */
const char *torta_source_path(const torta_source *s);

/* Workload length in seconds if known (synthetic: duration_s; trace: opts duration_s), else -1;
 * used for progress. */
double torta_source_expected_duration_s(const torta_source *s);

/* Expected request count (synthetic: rate_per_s * duration_s), -1 for traces. */
double torta_source_expected_count(const torta_source *s);

/* Rows changed while reading (so far): zero output tokens raised to 1. *first_msg (when
 * first_msg is non-NULL) gets "file:line: field: ..." of the first one, or NULL. */
long torta_source_warnings(const torta_source *s, const char **first_msg);

void torta_source_close(torta_source *s);

/* Deterministic origin assignment: region i gets weight w_i * curve(local hour at arrival),
 * local hour = (t + start_hour*3600)/3600 + tz_i (mod 24). Uses smooth weighted round-robin
 * over the weights (no sampling noise): credits start at seeded values in [0, 1) and ties are
 * broken by a seeded permutation, so another seed gives another assignment. weights NULL =
 * equal; tz_offsets_h NULL = all 0; curve24 = 24 values at 0:00..23:00 local, interpolated
 * linearly (NULL = flat). Zero-weight regions are never picked. Returns the region index. */
typedef struct torta_origin_assigner torta_origin_assigner;
int torta_origin_new(int n_regions, const double *weights, const double *tz_offsets_h,
                     const double *curve24, double start_hour, uint64_t seed,
                     torta_origin_assigner **out, torta_err *e);
int torta_origin_assign(torta_origin_assigner *a, double arrival_s);
void torta_origin_free(torta_origin_assigner *a);

/* The diurnal generator's day shape sampled at 0:00..23:00 local, for torta_origin_new:
 * 1 + a*cos(2*pi*(h - peak_hour)/24) with a = (p2t-1)/(p2t+1); mean 1, max/min = p2t. */
void torta_diurnal_curve24(double peak_to_trough, double peak_hour, double out[24]);

#endif
