/* Radix-heap future-event list (see eventq.h). Times compare as integers (IEEE-754 bits mapped so
 * that unsigned order is numeric order). Bucket 1 + 256 d + v holds the events whose time first
 * differs from `last` (the time of the latest pop) in byte d, where their byte is v; bucket 0
 * holds the events at exactly `last`. Every event in a bucket is later than every event in the
 * buckets below it, so the earliest event is in bucket 0 or, when that is empty, in the lowest
 * non-empty bucket: a pop then makes that bucket's minimum the new `last` and moves its events
 * down to the buckets their times now name (the minimum and its equals into bucket 0); the
 * buckets above stay valid. The buckets below are empty at that moment, so they receive the
 * events in the order they had, and pushes append: every bucket is in insertion order, bucket 0
 * pops first in, first out, and the order is exactly (time, sequence), as with a heap. An event
 * moves at most 8 times, about log256(n) times with n pending (bench_engine: 1.3 at 1e3, 1.8 at
 * 1e4, 2.3 at 1e5), and moves are sequential copies with few hard-to-predict branches. A push
 * earlier than `last` (the simulator never makes one) goes to a small binary heap that pops
 * before the buckets. Blocks are reserved at push time for the worst case of a pop, so pops
 * cannot fail. */
#include "core/eventq.h"

#include <stdlib.h>
#include <string.h>

#include "torta/err.h"

#define SLOT_MASK ((UINT64_C(1) << TORTA_EVENTQ_SLOT_BITS) - 1)
#define MAX_SEQ (UINT64_C(1) << (64 - TORTA_EVENTQ_SLOT_BITS))
#define NB (1 + 8 * 256) /* buckets */
#define NW ((NB + 63) / 64) /* words of the non-empty bitmap (<= 64: one summary word) */
#define B 32 /* nodes per block */
#define NONE UINT32_MAX

struct torta_eventq_bucket {
    uint32_t head, tail; /* first and last block of the chain */
    uint32_t start, end; /* its nodes: positions [start, end) from the head block's first */
    uint64_t min;        /* earliest time in it (not kept for bucket 0) */
};


static inline double key_time(uint64_t k)
{
    uint64_t b = k ^ (((k >> 63) - 1) | UINT64_C(0x8000000000000000));
    double t;
    memcpy(&t, &b, sizeof t);
    return t;
}

static inline int before(const torta_eventq_node *x, const torta_eventq_node *y)
{
    return x->time < y->time || (x->time == y->time && x->key < y->key);
}

/* The bucket of time key t >= last. */
static inline unsigned bucket_of(uint64_t t, uint64_t last)
{
    uint64_t d = t ^ last;
    if (!d)
        return 0;
    unsigned byte = (unsigned)(63 - __builtin_clzll(d)) >> 3;
    return 1 + 256 * byte + (unsigned)(t >> (8 * byte) & 255);
}

/* Blocks needed in the worst case with n events pending: a partial block per bucket, and while
 * a pop moves a bucket's events down, one more for the block being read. */
static inline size_t blocks_needed(size_t n)
{
    return n / B + NB + 2;
}

static int grow_blocks(torta_eventq *q, size_t want)
{
    if (want >= NONE)
        return TORTA_ENOMEM;
    torta_eventq_node *b = realloc(q->block, want * B * sizeof *b);
    if (!b)
        return TORTA_ENOMEM;
    q->block = b;
    uint32_t *nx = realloc(q->next_block, want * sizeof *nx);
    if (!nx)
        return TORTA_ENOMEM;
    q->next_block = nx;
    for (size_t i = want; i-- > q->n_blocks;) { /* new blocks join the free list, lowest first */
        nx[i] = q->free_block;
        q->free_block = (uint32_t)i;
    }
    q->n_blocks = (uint32_t)want;
    return 0;
}

static int grow_pool(torta_eventq *q, size_t cap)
{
    if (cap > SLOT_MASK + 1)
        return TORTA_ENOMEM;
    torta_eventq_payload *p = realloc(q->pool, cap * sizeof *p);
    if (!p)
        return TORTA_ENOMEM;
    q->pool = p;
    for (size_t i = cap; i-- > q->cap;) { /* new slots join the free list, lowest first */
        p[i].a = q->free_slot;
        q->free_slot = (int64_t)i;
    }
    q->cap = cap;
    return 0;
}

int torta_eventq_init(torta_eventq *q, size_t cap)
{
    memset(q, 0, sizeof *q);
    q->free_slot = -1;
    q->free_block = NONE;
    if (cap < 64)
        cap = 64;
    q->bucket = malloc(NB * sizeof *q->bucket);
    q->nonempty = calloc(NW, sizeof *q->nonempty);
    if (!q->bucket || !q->nonempty)
        return TORTA_ENOMEM;
    for (unsigned j = 0; j < NB; j++)
        q->bucket[j] = (struct torta_eventq_bucket){0, 0, 0, 0, UINT64_MAX};
    int rc = grow_pool(q, cap);
    return rc ? rc : grow_blocks(q, blocks_needed(cap));
}

void torta_eventq_free(torta_eventq *q)
{
    free(q->bucket);
    free(q->nonempty);
    free(q->block);
    free(q->next_block);
    free(q->early);
    free(q->pool);
    memset(q, 0, sizeof *q);
}

/* Appends x to bucket j; a free block is always there (blocks_needed). */
static inline void append(torta_eventq *q, unsigned j, torta_eventq_node x)
{
    struct torta_eventq_bucket *bk = &q->bucket[j];
    if (bk->end % B == 0) {
        uint32_t nb = q->free_block;
        q->free_block = q->next_block[nb];
        if (bk->end == 0) {
            bk->head = nb;
            q->nonempty[j / 64] |= UINT64_C(1) << (j % 64);
            q->summary |= UINT64_C(1) << (j / 64);
        } else {
            q->next_block[bk->tail] = nb;
        }
        bk->tail = nb;
    }
    q->block[(size_t)bk->tail * B + bk->end % B] = x;
    bk->end++;
    bk->min = x.time < bk->min ? x.time : bk->min;
}

static inline void release_block(torta_eventq *q, uint32_t b)
{
    q->next_block[b] = q->free_block;
    q->free_block = b;
}

static inline void mark_empty(torta_eventq *q, unsigned j)
{
    q->bucket[j] = (struct torta_eventq_bucket){0, 0, 0, 0, UINT64_MAX};
    q->nonempty[j / 64] &= ~(UINT64_C(1) << (j % 64));
    if (!q->nonempty[j / 64])
        q->summary &= ~(UINT64_C(1) << (j / 64));
}

static torta_eventq_node take_bucket0(torta_eventq *q)
{
    struct torta_eventq_bucket *b0 = &q->bucket[0];
    torta_eventq_node x = q->block[(size_t)b0->head * B + b0->start];
    if (++b0->start == b0->end) {
        release_block(q, b0->head);
        mark_empty(q, 0);
    } else if (b0->start == B) {
        uint32_t h = b0->head;
        b0->head = q->next_block[h];
        release_block(q, h);
        b0->start = 0;
        b0->end -= B;
    }
    return x;
}

static inline unsigned lowest_bucket(const torta_eventq *q)
{
    unsigned w = (unsigned)__builtin_ctzll(q->summary);
    return 64 * w + (unsigned)__builtin_ctzll(q->nonempty[w]);
}

/* Makes the minimum of bucket j (the lowest non-empty one) the new `last` and moves its events
 * down to the buckets their times now name: its earliest events end up in bucket 0. */
static void settle(torta_eventq *q, unsigned j)
{
    struct torta_eventq_bucket src = q->bucket[j];
    mark_empty(q, j);
    q->last = src.min;
    uint32_t b = src.head;
    for (uint32_t left = src.end;;) {
        const torta_eventq_node *x = q->block + (size_t)b * B;
        uint32_t k = left < B ? left : B, nb = q->next_block[b];
        for (uint32_t i = 0; i < k; i++)
            append(q, bucket_of(x[i].time, src.min), x[i]);
        release_block(q, b); /* only now: the appends above must not reuse it */
        if ((left -= k) == 0)
            break;
        b = nb;
    }
}

/* Bucket 0 is empty: the earliest event is the minimum of the lowest non-empty bucket. */
static torta_eventq_node take_lowest(torta_eventq *q)
{
    unsigned j = lowest_bucket(q);
    struct torta_eventq_bucket *src = &q->bucket[j];
    if (src->end == 1) { /* common: nothing to move */
        q->last = src->min;
        torta_eventq_node x = q->block[(size_t)src->head * B];
        release_block(q, src->head);
        mark_empty(q, j);
        return x;
    }
    settle(q, j);
    return take_bucket0(q); /* the first event at the minimum */
}

static void early_push(torta_eventq *q, torta_eventq_node x)
{
    size_t i = q->n_early++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&x, &q->early[p]))
            break;
        q->early[i] = q->early[p];
        i = p;
    }
    q->early[i] = x;
}

static torta_eventq_node early_pop(torta_eventq *q)
{
    torta_eventq_node top = q->early[0], last = q->early[--q->n_early];
    size_t n = q->n_early, i = 0, c;
    while ((c = 2 * i + 1) < n) {
        c += c + 1 < n && before(&q->early[c + 1], &q->early[c]);
        if (!before(&q->early[c], &last))
            break;
        q->early[i] = q->early[c];
        i = c;
    }
    q->early[i] = last;
    return top;
}

int torta_eventq_push(torta_eventq *q, double t, uint32_t type, uint32_t tag, int64_t a)
{
    if ((q->free_slot < 0 && grow_pool(q, 2 * q->cap)) || q->next_seq >= MAX_SEQ)
        return TORTA_ENOMEM;
    uint64_t tk = torta_time_key(t);
    int early = tk < q->last;
    if (early && q->n_early == q->cap_early) {
        size_t cap = q->cap_early ? 2 * q->cap_early : 64;
        torta_eventq_node *h = realloc(q->early, cap * sizeof *h);
        if (!h)
            return TORTA_ENOMEM;
        q->early = h;
        q->cap_early = cap;
    }
    size_t need = blocks_needed(q->n + 1);
    if (q->n_blocks < need && grow_blocks(q, need > 2 * (size_t)q->n_blocks ? need : 2 * (size_t)q->n_blocks))
        return TORTA_ENOMEM;
    uint64_t slot = (uint64_t)q->free_slot;
    q->free_slot = q->pool[slot].a;
    q->pool[slot] = (torta_eventq_payload){type, tag, a};
    torta_eventq_node x = {tk, q->next_seq++ << TORTA_EVENTQ_SLOT_BITS | slot};
    if (early)
        early_push(q, x);
    else
        append(q, bucket_of(tk, q->last), x);
    q->n++;
    return 0;
}

uint64_t torta_eventq_take_seq(torta_eventq *q)
{
    return q->next_seq < MAX_SEQ ? q->next_seq++ : UINT64_MAX;
}

int torta_eventq_pop_before(torta_eventq *q, double t, uint64_t seq, torta_event *out)
{
    if (q->n == 0)
        return 0;
    torta_eventq_node bound = {torta_time_key(t), seq << TORTA_EVENTQ_SLOT_BITS}, head;
    if (q->n_early) {
        head = q->early[0];
    } else {
        if (!q->bucket[0].end) {
            unsigned j = lowest_bucket(q);
            if (bound.time != q->bucket[j].min)
                return bound.time > q->bucket[j].min ? torta_eventq_pop(q, out) : 0;
            settle(q, j); /* a tie in time: the sequence numbers decide */
        }
        head = q->block[(size_t)q->bucket[0].head * B + q->bucket[0].start];
    }
    return before(&head, &bound) ? torta_eventq_pop(q, out) : 0;
}

int torta_eventq_pop(torta_eventq *q, torta_event *out)
{
    if (q->n == 0)
        return 0;
    torta_eventq_node x;
    if (q->n_early)
        x = early_pop(q); /* earlier than everything in the buckets */
    else if (q->bucket[0].end)
        x = take_bucket0(q);
    else
        x = take_lowest(q);
    q->n--;
    uint64_t slot = x.key & SLOT_MASK;
    torta_eventq_payload *pl = &q->pool[slot];
    *out = (torta_event){key_time(x.time), x.key >> TORTA_EVENTQ_SLOT_BITS, pl->type, pl->tag, pl->a};
    pl->a = q->free_slot;
    q->free_slot = (int64_t)slot;
    return 1;
}
