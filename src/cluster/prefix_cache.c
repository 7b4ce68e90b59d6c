/* The prefix-block LRU (see prefix_cache.h). Nodes are array slots: a node is taken from the
 * unused tail of the array while the cache is not full, and the least recently used node is
 * reused once it is, so nothing is allocated after init. */
#include "cluster/prefix_cache.h"

#include <stdlib.h>
#include <string.h>

#include "torta/rng.h"

int torta_pcache_init(torta_pcache *c, int32_t cap)
{
    memset(c, 0, sizeof *c);
    c->head = c->tail = -1;
    if (cap <= 0)
        return 0;
    uint32_t size = 2;
    while (size < 2u * (uint32_t)cap) /* load factor <= 1/2: short probe runs */
        size *= 2;
    c->key = malloc(sizeof *c->key * (size_t)cap);
    c->prev = malloc(sizeof *c->prev * (size_t)cap);
    c->next = malloc(sizeof *c->next * (size_t)cap);
    c->slot = malloc(sizeof *c->slot * (size_t)size);
    if (!c->key || !c->prev || !c->next || !c->slot) {
        torta_pcache_free(c);
        return -1;
    }
    c->cap = cap;
    c->mask = size - 1;
    memset(c->slot, 0xff, sizeof *c->slot * (size_t)size); /* all -1 */
    return 0;
}

void torta_pcache_free(torta_pcache *c)
{
    free(c->key);
    free(c->prev);
    free(c->next);
    free(c->slot);
    memset(c, 0, sizeof *c);
    c->head = c->tail = -1;
}

void torta_pcache_clear(torta_pcache *c)
{
    if (c->cap > 0 && c->n > 0)
        memset(c->slot, 0xff, sizeof *c->slot * ((size_t)c->mask + 1));
    c->n = 0;
    c->head = c->tail = -1;
}

static uint32_t home(const torta_pcache *c, uint64_t id)
{
    return (uint32_t)torta_mix64(id) & c->mask;
}

/* The table slot holding id, or the empty slot where it would go. */
static uint32_t probe(const torta_pcache *c, uint64_t id)
{
    uint32_t i = home(c, id);
    while (c->slot[i] >= 0 && c->key[c->slot[i]] != id)
        i = (i + 1) & c->mask;
    return i;
}

int torta_pcache_has(const torta_pcache *c, uint64_t id)
{
    return c->n > 0 && c->slot[probe(c, id)] >= 0;
}

int32_t torta_pcache_match(const torta_pcache *c, const uint64_t *ids, int32_t n)
{
    int32_t k = 0;
    while (k < n && torta_pcache_has(c, ids[k]))
        k++;
    return k;
}

/* Empties table slot i, moving later entries of its probe run back so that every entry stays
 * reachable from its home slot (linear probing without tombstones). */
static void table_delete(torta_pcache *c, uint32_t i)
{
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & c->mask;
        int32_t node = c->slot[j];
        if (node < 0)
            break;
        uint32_t k = home(c, c->key[node]);
        /* The entry at j may fill the hole at i unless its home lies cyclically in (i, j]. */
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            c->slot[i] = node;
            i = j;
        }
    }
    c->slot[i] = -1;
}

static void unlink_node(torta_pcache *c, int32_t x)
{
    if (c->prev[x] >= 0)
        c->next[c->prev[x]] = c->next[x];
    else
        c->head = c->next[x];
    if (c->next[x] >= 0)
        c->prev[c->next[x]] = c->prev[x];
    else
        c->tail = c->prev[x];
}

static void push_front(torta_pcache *c, int32_t x)
{
    c->prev[x] = -1;
    c->next[x] = c->head;
    if (c->head >= 0)
        c->prev[c->head] = x;
    else
        c->tail = x;
    c->head = x;
}

int torta_pcache_touch(torta_pcache *c, uint64_t id)
{
    if (c->cap <= 0)
        return 0;
    uint32_t i = probe(c, id);
    int32_t x = c->slot[i];
    if (x >= 0) {
        if (x != c->head) {
            unlink_node(c, x);
            push_front(c, x);
        }
        return 0;
    }
    if (c->n < c->cap) {
        x = c->n++;
    } else { /* full: the least recently used block makes room */
        x = c->tail;
        unlink_node(c, x);
        table_delete(c, probe(c, c->key[x]));
        c->evicted++;
        i = probe(c, id); /* the deletion may have moved the empty slot */
    }
    c->key[x] = id;
    c->slot[i] = x;
    push_front(c, x);
    return 1;
}

void torta_pcache_order(const torta_pcache *c, uint64_t *out)
{
    int32_t k = 0;
    for (int32_t x = c->head; x >= 0; x = c->next[x])
        out[k++] = c->key[x];
}
