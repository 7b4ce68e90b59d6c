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

typedef struct torta_batching {
    int policy;                 /* torta_batching_policy */
    int32_t chunk_tokens;       /* sarathi: tokens per iteration (decodes + prefill chunks) */
    int32_t max_prefill_tokens; /* mixed, vllm: prompt tokens admitted per iteration (0: no limit) */
} torta_batching;

const char *torta_batching_name(int policy);

/* Parses a policy name; the error names `where` and suggests the closest name. */
int torta_batching_parse(const char *name, const char *where, int *policy, torta_err *e);

#endif
