/* Roofline iteration-time estimate for (GPU, model, TP) triples without a fitted profile.
 * Prefill is compute-bound plus tensor-parallel all-reduce traffic; decode is memory-bound
 * (weights and KV cache read once per iteration) plus per-layer TP synchronisation. The
 * constants are calibrated against the fitted Splitwise profiles by scripts/fit_profiles.py,
 * which mirrors this formula (roofline_terms / roofline_coef): keep the two in step. */
#include <math.h>

#include "torta/catalog.h"

torta_roofline torta_roofline_default(void)
{
    /* Written by scripts/fit_profiles.py into configs/profiles.json "roofline"; the unit test
     * checks that these equal the shipped file. */
    torta_roofline r = {
        .compute_eff = 0.62718,
        .mem_eff = 0.846739,
        .allreduce_gbps = 99.1698,
        .prefill_overhead_s = 0.0217447,
        .decode_overhead_s = 0.0,
        .layer_sync_s = 0.000351643,
        .max_prefill_mape_vs_fit_pct = 14.7623,
        .max_decode_mape_vs_fit_pct = 23.6372,
    };
    return r;
}

void torta_roofline_perf(const torta_roofline *r, const torta_gpu *g, const torta_model *m,
                         int tp, torta_perf *out)
{
    double flops = tp * g->peak_tflops * 1e12;    /* FLOP/s of the server */
    double bw = tp * g->mem_bw_gbps * 1e9;        /* bytes/s of the server */
    double share = (tp - 1.0) / tp;               /* part of a ring all-reduce crossing GPUs */
    double lh = (double)m->layers * m->hidden;

    double tok_compute_s = 2.0 * m->params / flops; /* dense FLOPs per token */
    double attn_compute_s = 2.0 * lh / flops;       /* causal attention FLOPs per prompt p^2 */
    double comm_bytes = 8.0 * lh * share;           /* 2 all-reduces of h FP16 per layer/token */
    double per_tok_s = tok_compute_s / r->compute_eff + comm_bytes / (r->allreduce_gbps * 1e9);

    out->p0 = r->prefill_overhead_s;
    out->p1 = per_tok_s;
    out->p2 = attn_compute_s / r->compute_eff;
    out->d0 = r->decode_overhead_s + r->layer_sync_s * m->layers * share +
              m->weight_bytes / bw / r->mem_eff;
    out->d1 = per_tok_s;
    out->d2 = m->kv_bytes_per_token / bw / r->mem_eff;
    out->fitted = 0;
    out->grid = NULL;
    out->fit_err_pct = NAN;
    out->prefill_err_pct = NAN;
    out->decode_err_pct = NAN;
}

double torta_kv_capacity_tokens(const torta_gpu *g, const torta_model *m, int tp,
                                double mem_utilization)
{
    double free_bytes = tp * g->mem_gb * 1e9 * mem_utilization - m->weight_bytes;
    return free_bytes / m->kv_bytes_per_token;
}
