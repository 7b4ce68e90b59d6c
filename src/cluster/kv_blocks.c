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
    kv->shift = -1;
    for (int32_t k = 0; k < 31; k++)
        if ((INT32_C(1) << k) == block_tokens)
            kv->shift = k;
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

void torta_kv_note_peak(torta_kv_blocks *kv)
{
    /* The capacity changes with the active model (other resident models take memory). */
    if (kv->n_blocks > 0 && (double)kv->used > kv->peak_use * (double)kv->n_blocks)
        kv->peak_use = (double)kv->used / (double)kv->n_blocks;
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
    if (tokens <= 0)
        return 0;
    if (kv->shift >= 0)
        return (tokens + kv->block_tokens - 1) >> kv->shift;
    return (tokens + kv->block_tokens - 1) / kv->block_tokens;
}

/* x mod block for x >= 0. */
static uint64_t umod(const torta_kv_blocks *kv, uint64_t x)
{
    return kv->shift >= 0 ? x & (uint64_t)(kv->block_tokens - 1) : x % (uint64_t)kv->block_tokens;
}

/* ctx_base mod block, in [0, block): ctx_base may be negative (admitted after iteration 0);
 * adding a multiple of the block that makes it non-negative keeps the phase. */
static int32_t phase_of(const torta_kv_blocks *kv, int64_t ctx_base)
{
    if (kv->shift >= 0) /* two's complement: the low bits are the phase */
        return (int32_t)((uint64_t)ctx_base & (uint64_t)(kv->block_tokens - 1));
    int64_t m = ctx_base % kv->block_tokens;
    return (int32_t)(m < 0 ? m + kv->block_tokens : m);
}

/* The phase that crosses a boundary in iteration j: ctx_base + j = 1 (mod block). */
static int32_t crossing_phase(const torta_kv_blocks *kv, uint64_t j)
{
    uint64_t bt = (uint64_t)kv->block_tokens;
    return (int32_t)umod(kv, 1 + bt - umod(kv, j));
}

void torta_kv_join(torta_kv_blocks *kv, int64_t ctx_base, uint64_t through)
{
    kv->phase[phase_of(kv, ctx_base)]++;
    kv->n++;
    kv->used += torta_kv_blocks_for(kv, ctx_base + (int64_t)through);
    torta_kv_note_peak(kv);
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
    uint64_t len = b - a, rest = umod(kv, len);
    /* Every run of `block` iterations crosses once per request; the crossing phase of the
     * iterations left steps down by one each (no division per iteration). */
    uint64_t cycles = kv->shift >= 0 ? len >> kv->shift : len / (uint64_t)kv->block_tokens;
    int64_t total = (int64_t)cycles * kv->n;
    int32_t k = crossing_phase(kv, a);
    for (uint64_t left = rest; left > 0; left--) {
        total += kv->phase[k];
        k = k > 0 ? k - 1 : kv->block_tokens - 1;
    }
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
    int32_t k = crossing_phase(kv, a); /* a + cycles x bt crosses at the same phase */
    for (uint64_t j = cycles * bt;; j++) {
        if (kv->phase[k] > left)
            return j;
        left -= kv->phase[k];
        k = k > 0 ? k - 1 : kv->block_tokens - 1;
    }
}

uint64_t torta_kv_room_vllm(const torta_kv_blocks *kv, uint64_t a, int64_t free_blocks,
                            int64_t young_ctx_base)
{
    uint64_t k = torta_kv_room(kv, a, free_blocks - 1);
    if (k == UINT64_MAX)
        return k;
    /* Iteration a + k needs blocks beyond free_blocks - 1: it runs only if exactly free_blocks and
     * the youngest is one that crosses. The next one cannot: it needs at least as many, and the
     * youngest crosses again only when blocks hold one token, each request then taking one more. */
    uint64_t j = a + k;
    if (torta_kv_crosses(kv, young_ctx_base, j) && torta_kv_crossings(kv, a, j + 1) == free_blocks)
        k++;
    return k;
}

void torta_kv_account(torta_kv_blocks *kv, uint64_t b)
{
    if (b <= kv->from)
        return;
    kv->used += torta_kv_crossings(kv, kv->from, b);
    torta_kv_note_peak(kv);
    kv->from = b;
}
