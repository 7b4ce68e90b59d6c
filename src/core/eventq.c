/* Binary-heap future-event list (see eventq.h). Times compare as integers (IEEE-754 bits mapped
 * so that unsigned order is numeric order), and pops use Floyd's bottom-up sift: walk the hole
 * down along the smaller child, then lift the last element, about half the comparisons of the
 * textbook sift-down. */
#include "core/eventq.h"

#include <stdlib.h>
#include <string.h>

#include "torta/err.h"

#define SLOT_MASK ((UINT64_C(1) << TORTA_EVENTQ_SLOT_BITS) - 1)
#define MAX_SEQ (UINT64_C(1) << (64 - TORTA_EVENTQ_SLOT_BITS))

static inline uint64_t time_key(double t)
{
    uint64_t b;
    memcpy(&b, &t, sizeof b);
    return b ^ ((uint64_t)((int64_t)b >> 63) | UINT64_C(0x8000000000000000));
}

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

static int grow(torta_eventq *q, size_t cap)
{
    if (cap > SLOT_MASK + 1)
        return TORTA_ENOMEM;
    torta_eventq_node *h = realloc(q->heap, cap * sizeof *h);
    if (!h)
        return TORTA_ENOMEM;
    q->heap = h;
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
    return grow(q, cap < 64 ? 64 : cap);
}

void torta_eventq_free(torta_eventq *q)
{
    free(q->heap);
    free(q->pool);
    memset(q, 0, sizeof *q);
}

int torta_eventq_push(torta_eventq *q, double t, uint32_t type, uint32_t epoch, int64_t a)
{
    if ((q->free_slot < 0 && grow(q, 2 * q->cap)) || q->next_seq >= MAX_SEQ)
        return TORTA_ENOMEM;
    uint64_t slot = (uint64_t)q->free_slot;
    q->free_slot = q->pool[slot].a;
    q->pool[slot] = (torta_eventq_payload){type, epoch, a};
    torta_eventq_node x = {time_key(t), q->next_seq++ << TORTA_EVENTQ_SLOT_BITS | slot};
    size_t i = q->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&x, &q->heap[p]))
            break;
        q->heap[i] = q->heap[p];
        i = p;
    }
    q->heap[i] = x;
    return 0;
}

int torta_eventq_pop(torta_eventq *q, torta_event *out)
{
    if (q->n == 0)
        return 0;
    torta_eventq_node top = q->heap[0];
    uint64_t slot = top.key & SLOT_MASK;
    torta_eventq_payload *pl = &q->pool[slot];
    *out = (torta_event){key_time(top.time), top.key >> TORTA_EVENTQ_SLOT_BITS, pl->type, pl->epoch, pl->a};
    pl->a = q->free_slot;
    q->free_slot = (int64_t)slot;
    size_t n = --q->n;
    if (n == 0)
        return 1;
    torta_eventq_node last = q->heap[n];
    size_t i = 0, c;
    while ((c = 2 * i + 1) < n) { /* the hole walks down along the smaller child */
        c += c + 1 < n && before(&q->heap[c + 1], &q->heap[c]);
        q->heap[i] = q->heap[c];
        i = c;
    }
    while (i > 0) { /* and the last element rises from there */
        size_t p = (i - 1) / 2;
        if (!before(&last, &q->heap[p]))
            break;
        q->heap[i] = q->heap[p];
        i = p;
    }
    q->heap[i] = last;
    return 1;
}
