/* Batching policies of a GPU server: what one iteration runs (src/cluster/batching.c names them;
 * src/cluster/server.c carries them out). */
#ifndef TORTA_BATCHING_H
#define TORTA_BATCHING_H

#include <stdint.h>

#include "torta/err.h"

typedef enum {
    /* New prefills and one decode step of every running request in the same iteration (the
     * default, torta-sim's model before policies existed). */
    TORTA_BATCHING_MIXED = 0,
    /* Prefill first, as vLLM v0 and Vidur's vllm scheduler: an iteration with admissible waiting
     * requests runs only their prefills; the running requests decode otherwise. */
    TORTA_BATCHING_VLLM,
    /* Chunked prefill, as Sarathi-Serve and vLLM's chunked-prefill mode: every iteration decodes
     * every running request and fills the rest of a token budget with prefill chunks. */
    TORTA_BATCHING_SARATHI,
    TORTA_N_BATCHING
} torta_batching_policy;

/* How a server holds KV cache (server.kv_policy). */
typedef enum {
    /* Prompt + whole output reserved at admission, never preempted (torta-sim's model before
     * policies existed; the default except under vllm). */
    TORTA_KV_RESERVE = 0,
    /* Blocks of kv_block_tokens allocated as tokens are produced, an admission watermark, and
     * preemption by recompute when a decode step needs a block and none is free (vLLM v0, Vidur;
     * src/cluster/kv_blocks.h). */
    TORTA_KV_PAGED,
    /* Configuration only: paged under vllm batching, reserve otherwise. */
    TORTA_KV_AUTO,
    TORTA_N_KV
} torta_kv_policy;

/* When a paged server preempts (server.kv_preempt). */
typedef enum {
    /* Only when the running requests that cross a block boundary in a decode step need more
     * blocks than are free (the default except under vllm). */
    TORTA_KV_PREEMPT_NEEDED = 0,
    /* vLLM v0's and Vidur's rule: one block must be free before each running request's decode
     * step, whether that request takes a block or not. */
    TORTA_KV_PREEMPT_VLLM,
    /* Configuration only: vllm under vllm batching, needed otherwise. */
    TORTA_KV_PREEMPT_AUTO,
    TORTA_N_KV_PREEMPT
} torta_kv_preempt;

typedef struct torta_batching {
    int policy;                 /* torta_batching_policy */
    int32_t chunk_tokens;       /* sarathi: tokens per iteration (decodes + prefill chunks) */
    int32_t max_prefill_tokens; /* mixed, vllm: prompt tokens admitted per iteration (0: no limit) */
    int prefill_padded;         /* 1: counted as prompts x the longest (vLLM 0.2, Vidur); 0: summed */
    int kv_policy;              /* torta_kv_policy, resolved (never AUTO on a server) */
    int32_t kv_block_tokens;    /* paged: tokens per KV block */
    double kv_watermark;        /* paged: share of blocks an admission leaves free */
    int kv_preempt;             /* paged: torta_kv_preempt, resolved (never AUTO on a server) */
} torta_batching;

const char *torta_batching_name(int policy);

/* Parses a policy name; the error names `where` and suggests the closest name. */
int torta_batching_parse(const char *name, const char *where, int *policy, torta_err *e);

const char *torta_kv_policy_name(int kv_policy);
/* Parses a KV policy name (reserve, paged, auto); the error names `where`. */
int torta_kv_policy_parse(const char *name, const char *where, int *kv_policy, torta_err *e);
/* The KV policy a server of batching policy `batching` gets from `kv_policy` (AUTO: paged under
 * vllm, reserve otherwise). */
int torta_kv_policy_resolve(int kv_policy, int batching);

/* Parses a preemption rule name (needed, vllm, auto); the error names `where`. */
int torta_kv_preempt_parse(const char *name, const char *where, int *kv_preempt, torta_err *e);
/* The rule a server of batching policy `batching` and KV policy `kv_policy` (resolved) gets from
 * `kv_preempt` (AUTO: vllm under vllm, needed otherwise); vllm with paged sarathi is refused,
 * naming `where`. */
int torta_kv_preempt_resolve(int kv_preempt, int batching, int kv_policy, const char *where, int *out,
                             torta_err *e);

#endif
