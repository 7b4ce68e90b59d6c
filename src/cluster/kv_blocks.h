/* Paged KV cache of one server (server.kv_policy = paged, as vLLM v0 and Vidur): the cache is
 * cut into blocks of server.kv_block_tokens tokens; a request holds ceil(tokens / block) of
 * them, so it takes its prompt's blocks at admission and one more each time its context crosses
 * a block boundary while it decodes (src/cluster/server.c decides admissions and preemptions;
 * this file counts blocks).
 *
 * A running request's context at server iteration j is ctx_base + j (see torta_request), so it
 * holds ceil((ctx_base + j) / block) blocks after iteration j and needs a new one in iteration j
 * exactly when ctx_base + j = 1 (mod block). Requests are therefore counted by their phase,
 * ctx_base mod block: the blocks a whole batch needs over any run of iterations follow from that
 * histogram in O(block) work, whatever the batch size, which keeps the server's closed-form
 * decode jump (it stops where the batch would need a block that is not free). */
#ifndef TORTA_KV_BLOCKS_H
#define TORTA_KV_BLOCKS_H

#include <stdint.h>

typedef struct torta_kv_blocks {
    int32_t block_tokens;
    int32_t shift;             /* log2(block_tokens) when it is a power of two, else -1: the
                                * divisions per event become shifts (vLLM's sizes are) */
    double watermark;          /* share of the blocks an admission must leave free */
    int64_t n_blocks;          /* capacity for the active model: floor(KV tokens / block) */
    int64_t watermark_blocks;  /* floor(watermark x n_blocks), as vLLM */
    int64_t used;              /* blocks held by running requests through iteration from - 1 */
    uint64_t from;             /* first iteration whose boundary crossings are not in `used` */
    double peak_use;           /* most blocks ever held at once / the capacity then */
    uint64_t admissions;       /* so far: torta_request.admit_seq, to preempt the latest */
    int32_t n;                 /* requests counted in phase[] */
    int32_t *phase;            /* phase[k]: running requests with ctx_base = k (mod block) */
} torta_kv_blocks;

/* Allocates the phase histogram; returns NULL when out of memory. */
torta_kv_blocks *torta_kv_new(int32_t block_tokens, double watermark);
void torta_kv_free(torta_kv_blocks *kv);
/* The active model's KV capacity changed (tokens): sets n_blocks and watermark_blocks. */
void torta_kv_set_capacity(torta_kv_blocks *kv, double cap_tokens);
/* Records the blocks held now in peak_use. */
void torta_kv_note_peak(torta_kv_blocks *kv);
/* Forgets every request (the server was emptied). */
void torta_kv_clear(torta_kv_blocks *kv);

/* ceil(tokens / block_tokens) for tokens >= 0. */
int64_t torta_kv_blocks_for(const torta_kv_blocks *kv, int64_t tokens);
/* A request with this ctx_base joins the batch holding the blocks of iteration `through`. */
void torta_kv_join(torta_kv_blocks *kv, int64_t ctx_base, uint64_t through);
/* A request leaves after iteration `through`: its blocks are freed. */
void torta_kv_leave(torta_kv_blocks *kv, int64_t ctx_base, uint64_t through);
/* Whether a request with this ctx_base needs a new block in iteration j. */
int torta_kv_crosses(const torta_kv_blocks *kv, int64_t ctx_base, uint64_t j);
/* New blocks the counted requests need over iterations [a, b). */
int64_t torta_kv_crossings(const torta_kv_blocks *kv, uint64_t a, uint64_t b);
/* How many iterations from `a` on the counted requests can run with `free_blocks` more blocks
 * (UINT64_MAX when nobody is counted). */
uint64_t torta_kv_room(const torta_kv_blocks *kv, uint64_t a, int64_t free_blocks);
/* The same under vLLM's rule (server.kv_preempt = vllm), where one block must be free before each
 * running request's step, the youngest's (young_ctx_base) last: iteration j runs while the blocks
 * needed through j are at most free_blocks - 1, or free_blocks when the youngest takes the last. */
uint64_t torta_kv_room_vllm(const torta_kv_blocks *kv, uint64_t a, int64_t free_blocks,
                            int64_t young_ctx_base);
/* Adds the crossings of iterations [from, b) to `used`; from = b. */
void torta_kv_account(torta_kv_blocks *kv, uint64_t b);

#endif
