/* An LRU set of prompt-prefix blocks (one per server): block ids, as a trace gives them
 * (Mooncake's hash_ids), in a fixed-capacity table. Hash map (open addressing, linear probing,
 * backward-shift deletion) + doubly linked recency list over a node array: O(1) per block, no
 * allocation after init, and a deterministic order (no pointers or addresses in it). */
#ifndef TORTA_PREFIX_CACHE_H
#define TORTA_PREFIX_CACHE_H

#include <stdint.h>

typedef struct torta_pcache {
    int32_t cap;         /* blocks it may hold (0: holds nothing) */
    int32_t n;           /* blocks it holds */
    int32_t head, tail;  /* most and least recently used node, -1 when empty */
    uint64_t *key;       /* per node: block id */
    int32_t *prev, *next;/* per node: recency list (towards head / towards tail) */
    int32_t *slot;       /* hash table: node index or -1; size mask + 1, a power of two >= 2 cap */
    uint32_t mask;
    int64_t evicted;     /* blocks evicted to make room, since init */
} torta_pcache;

/* Sets up an empty cache of `cap` blocks (0 allowed: every lookup misses, nothing is kept).
 * Returns 0, or -1 when out of memory (then nothing is allocated). */
int torta_pcache_init(torta_pcache *c, int32_t cap);
void torta_pcache_free(torta_pcache *c);
/* Forgets every block (the memory stays). */
void torta_pcache_clear(torta_pcache *c);

/* 1 when block `id` is held. Does not change the recency order. */
int torta_pcache_has(const torta_pcache *c, uint64_t id);
/* The number of leading ids[0..n) held: the longest cached prefix. No change of order. */
int32_t torta_pcache_match(const torta_pcache *c, const uint64_t *ids, int32_t n);
/* Makes block `id` the most recently used, inserting it (and evicting the least recently used
 * block when full) if absent. Returns 1 if it was inserted, 0 if it was already held. A cache of
 * capacity 0 ignores it (returns 0). */
int torta_pcache_touch(torta_pcache *c, uint64_t id);

/* The block ids from most to least recently used into out[0..c->n) (tests, debugging). */
void torta_pcache_order(const torta_pcache *c, uint64_t *out);

#endif
