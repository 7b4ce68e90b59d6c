/* Block counting of the paged KV cache (see kv_blocks.h). */
#include "cluster/kv_blocks.h"

#include <math.h>
#include <stdlib.h>

torta_kv_blocks *torta_kv_new(int32_t block_tokens, double watermark)
{
    torta_kv_blocks *kv = calloc(1, sizeof *kv);
    if (!kv)
        return NULL;
    kv->phase = calloc((size_t)block_tokens, sizeof *kv->phase);
    if (!kv->phase) {
        free(kv);
        return NULL;
    }
    kv->block_tokens = block_tokens;
    kv->watermark = watermark;
    kv->from = 1;
    return kv;
}

void torta_kv_free(torta_kv_blocks *kv)
{
    if (kv)
        free(kv->phase);
    free(kv);
}

void torta_kv_set_capacity(torta_kv_blocks *kv, double cap_tokens)
{
    double n = floor(cap_tokens / kv->block_tokens);
    kv->n_blocks = n > 0 ? (int64_t)n : 0;
    kv->watermark_blocks = (int64_t)floor(kv->watermark * (double)kv->n_blocks);
}

void torta_kv_clear(torta_kv_blocks *kv)
{
    for (int32_t k = 0; k < kv->block_tokens; k++)
        kv->phase[k] = 0;
    kv->n = 0;
    kv->used = 0;
}

int64_t torta_kv_blocks_for(const torta_kv_blocks *kv, int64_t tokens)
{
    return tokens > 0 ? (tokens + kv->block_tokens - 1) / kv->block_tokens : 0;
}

/* ctx_base mod block, in [0, block): ctx_base may be negative (admitted after iteration 0). */
static int32_t phase_of(const torta_kv_blocks *kv, int64_t ctx_base)
{
    int64_t m = ctx_base % kv->block_tokens;
    return (int32_t)(m < 0 ? m + kv->block_tokens : m);
}

/* The phase that crosses a boundary in iteration j: ctx_base + j = 1 (mod block). */
static int32_t crossing_phase(const torta_kv_blocks *kv, uint64_t j)
{
    uint64_t bt = (uint64_t)kv->block_tokens;
    return (int32_t)((1 + bt - j % bt) % bt);
}

void torta_kv_join(torta_kv_blocks *kv, int64_t ctx_base, uint64_t through)
{
    kv->phase[phase_of(kv, ctx_base)]++;
    kv->n++;
    kv->used += torta_kv_blocks_for(kv, ctx_base + (int64_t)through);
    if (kv->used > kv->peak)
        kv->peak = kv->used;
}

void torta_kv_leave(torta_kv_blocks *kv, int64_t ctx_base, uint64_t through)
{
    kv->phase[phase_of(kv, ctx_base)]--;
    kv->n--;
    kv->used -= torta_kv_blocks_for(kv, ctx_base + (int64_t)through);
}

int torta_kv_crosses(const torta_kv_blocks *kv, int64_t ctx_base, uint64_t j)
{
    return phase_of(kv, ctx_base) == crossing_phase(kv, j);
}

int64_t torta_kv_crossings(const torta_kv_blocks *kv, uint64_t a, uint64_t b)
{
    if (b <= a || kv->n == 0)
        return 0;
    uint64_t bt = (uint64_t)kv->block_tokens, len = b - a;
    /* Every run of `block` iterations crosses once per request. */
    int64_t total = (int64_t)(len / bt) * kv->n;
    for (uint64_t j = a + len / bt * bt; j < b; j++)
        total += kv->phase[crossing_phase(kv, j)];
    return total;
}

uint64_t torta_kv_room(const torta_kv_blocks *kv, uint64_t a, int64_t free_blocks)
{
    if (kv->n == 0)
        return UINT64_MAX;
    if (free_blocks < 0)
        return 0;
    uint64_t bt = (uint64_t)kv->block_tokens, cycles = (uint64_t)(free_blocks / kv->n);
    int64_t left = free_blocks - (int64_t)cycles * kv->n; /* < n: runs out within one cycle */
    uint64_t j = a + cycles * bt;
    for (;;) {
        int32_t c = kv->phase[crossing_phase(kv, j)];
        if (c > left)
            return j - a;
        left -= c;
        j++;
    }
}

void torta_kv_account(torta_kv_blocks *kv, uint64_t b)
{
    if (b <= kv->from)
        return;
    kv->used += torta_kv_crossings(kv, kv->from, b);
    if (kv->used > kv->peak)
        kv->peak = kv->used;
    kv->from = b;
}
