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
    const char *origin_name;/* native CSV only: region name as written (resolved by the caller); else NULL */
    const char *model_name; /* native CSV only: model name as written; else NULL */
    uint64_t prefix_hash;   /* Mooncake: hash of the first prefix block id (0 = none) */
    int32_t n_prefix_blocks;/* Mooncake: number of hash_ids (512-token blocks) */
    int32_t src_line;       /* line in the source file (1-based), 0 for synthetic */
} torta_req_in;

typedef struct torta_source torta_source;

typedef enum { TORTA_FMT_AUTO, TORTA_FMT_AZURE, TORTA_FMT_MOONCAKE, TORTA_FMT_NATIVE } torta_trace_fmt;

typedef struct torta_trace_opts {
    torta_trace_fmt format;  /* AUTO: detected from the header / first line */
    double rate_scale;       /* arrival times divided by this (2 = twice the rate); default 1 */
    double duration_s;       /* stop after this much (scaled) time; <= 0: whole trace */
} torta_trace_opts;

/* Opens a trace file. Errors (unknown format, unreadable file) name the file. */
int torta_source_open_trace(const char *path, const torta_trace_opts *o, torta_source **out,
                            torta_err *e);

/* Synthetic workload from a spec "KIND:key=value,...", KIND in poisson|gamma|diurnal.
 * Keys: rate_per_s, duration_s, cv (gamma), input_tokens / output_tokens (fixed lengths) or
 * lengths=FILE (sampled rows from a ShareGPT-style length CSV or any supported trace),
 * diurnal: peak_to_trough, and per-region rates are shaped by the origin assignment.
 * seed drives named RNG streams ("arrivals", "lengths"). n_regions/tz_offsets_h are used by
 * diurnal (rate_i(t) = base_i * curve(t + tz_i)); diurnal assigns origins itself. */
int torta_source_open_synthetic(const char *spec, uint64_t seed, int n_regions,
                                const double *tz_offsets_h, torta_source **out, torta_err *e);

/* 1 = a request was read into *r, 0 = end of stream, < 0 = error (file:line:field in e). */
int torta_source_next(torta_source *s, torta_req_in *r, torta_err *e);

/* A short description for summary.json ("azure:path", "poisson:rate_per_s=8,..."). */
const char *torta_source_describe(const torta_source *s);

/* Total request count if cheaply known (synthetic: expected), else -1; used for progress. */
double torta_source_expected_duration_s(const torta_source *s);

void torta_source_close(torta_source *s);

/* Deterministic origin assignment: region i gets weight w_i * curve(local hour at arrival),
 * local hour = (t + start_hour*3600)/3600 + tz_i. Uses smooth deficit round-robin over the
 * weights (no sampling noise) with ties broken by a seeded permutation, so another seed gives
 * another assignment. */
typedef struct torta_origin_assigner torta_origin_assigner;
int torta_origin_new(int n_regions, const double *weights, const double *tz_offsets_h,
                     const double *curve24, double start_hour, uint64_t seed,
                     torta_origin_assigner **out, torta_err *e);
int torta_origin_assign(torta_origin_assigner *a, double arrival_s);
void torta_origin_free(torta_origin_assigner *a);

#endif
