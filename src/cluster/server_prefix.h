/* A server's prefix cache in the run: which prompt blocks it keeps (an LRU of
 * server.prefix_cache_blocks blocks, prefix_cache.h), how much of a prompt an admission finds
 * there, and the counts behind the hit rates of the views and outputs.
 *
 * A prompt is a sequence of blocks of prefix_block_tokens tokens (Mooncake's hash_ids, 512
 * tokens each). Its cached prefix is the longest run of leading blocks the server holds when the
 * request is admitted; the prefill then computes only the tokens after it (at least one: the
 * last prompt token always runs, to give the first output token), with attention over the whole
 * context, exactly as a prompt chunk after the cached part (server.c, give_chunk). When the
 * prefill ends, its blocks are touched from the last to the first, so that a prompt's first
 * block is the most recently used and a chain is evicted from its tail, as vLLM frees a request's
 * blocks in reverse order; the blocks it found are touched first, so that its new blocks never
 * evict them (in vLLM they are in use by the request, not evictable). Requests without block ids
 * never hit. The inserts of a prefill are
 * applied lazily, at the first look at the cache at or after its end, which gives the same
 * contents as an event there (nothing else changes the cache meanwhile).
 *
 * The cache models the KV pages vLLM keeps after a request leaves: cached blocks do not reduce a
 * request's KV reservation, and a server that fails or goes off, or changes its active model,
 * starts with an empty cache. */
#ifndef TORTA_SERVER_PREFIX_H
#define TORTA_SERVER_PREFIX_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "cluster/prefix_cache.h"
#include "core/sim.h"

typedef struct torta_prefix_srv {
    torta_pcache cache;
    int32_t model;             /* the model whose KV the blocks are (-1: none yet) */
    int32_t *pending;          /* requests whose prefill ends at pending_end_s (pool indices) */
    int32_t n_pending, cap_pending;
    double pending_end_s;
    int64_t prompt_blocks, hit_blocks, requests_hit;
    double slot_prompt_tokens, slot_hit_tokens; /* this slot's share (slots.csv) */
} torta_prefix_srv;

/* Per pool slot of the request pool: room for its block ids. */
typedef struct torta_req_ids {
    uint64_t *ids;
    int32_t cap;
} torta_req_ids;

/* Reads server.prefix_cache_blocks, server.prefix_cache_kv_share and server.prefix_block_tokens
 * and gives every server its cache (after the servers are initialised). Errors name the field. */
int torta_prefix_setup(torta_sim *sim, const cJSON *cfg, torta_err *e);
void torta_prefix_free(torta_server *sv);

/* Applies the inserts of prefills that have ended by sim->now. */
void torta_prefix_sync(torta_sim *sim, int s);
/* Prompt tokens of r that server s's cache would spare its prefill if admitted now (synced). */
int32_t torta_prefix_cached_tokens(torta_sim *sim, int s, const torta_request *r);
/* r is admitted for its prefill on s: sets r->cached_tokens (= the prompt tokens already there)
 * and counts the prompt and the hit. */
void torta_prefix_admit(torta_sim *sim, int s, torta_request *r);
/* Request ri's prefill on s ends at end_s: its blocks go into the cache then. */
int torta_prefix_prefilled(torta_sim *sim, int s, int32_t ri, double end_s, torta_err *e);
/* Server s lost its GPU memory (failure, power off): empty cache, pending inserts dropped. */
void torta_prefix_clear(torta_sim *sim, int s);

/* A new request in pool slot ri: copies in's block ids into the slot's room (r->prefix_ids). */
int torta_prefix_copy_ids(torta_sim *sim, int32_t ri, const torta_req_in *in, torta_err *e);
/* The pool grew from old_cap to cap slots. */
int torta_prefix_pool_grow(torta_sim *sim, int32_t old_cap, int32_t cap);
void torta_prefix_pool_free(torta_sim *sim);

#endif
