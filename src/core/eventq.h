/* The future-event list: a radix heap ordered by (time, insertion sequence). Times are stored as
 * order-preserving integers, and an event waits in the bucket named by the highest byte in which
 * its time differs from the latest pop's, so a pop only sorts out the lowest non-empty bucket
 * and an event moves a few times in its life instead of sifting through a heap. Buckets keep
 * insertion order, so equal times pop first in, first out. Bucket contents are 16-byte nodes
 * (time and a key holding the sequence number and a payload slot) in chains of fixed-size
 * blocks from one pool; payloads live in a pooled array with a free list: no per-event
 * allocation, and pops never allocate. A push earlier than the latest pop goes to a small binary
 * heap that pops first. Events cannot be cancelled: the servers' events, which are rescheduled
 * all the time, live in per-server timers instead (timers.h). */
#ifndef TORTA_EVENTQ_H
#define TORTA_EVENTQ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct torta_event {
    double t;
    uint64_t seq;     /* insertion order: breaks ties in t deterministically */
    uint32_t type;
    uint32_t tag;     /* the owner's to interpret (failures: 1 = drawn from the MTBF) */
    int64_t a;        /* payload: request or server index, ... */
} torta_event;

typedef struct torta_eventq_node {
    uint64_t time;    /* order-preserving image of the time's IEEE-754 bits */
    uint64_t key;     /* seq << TORTA_EVENTQ_SLOT_BITS | payload slot */
} torta_eventq_node;

typedef struct torta_eventq_payload {
    uint32_t type, tag;
    int64_t a;        /* while the slot is free: the next free slot */
} torta_eventq_payload;

#define TORTA_EVENTQ_SLOT_BITS 24 /* up to 16.7 M pending events and 2^40 events per run */

struct torta_eventq_bucket;       /* private to eventq.c */

typedef struct torta_eventq {
    size_t n;                     /* pending events */
    uint64_t last;                /* time (as integer) of the latest pop from the buckets */
    uint64_t summary;             /* bit w: nonempty[w] != 0 */
    uint64_t *nonempty;           /* bit j: bucket j holds events */
    struct torta_eventq_bucket *bucket;
    torta_eventq_node *block;     /* n_blocks blocks of nodes */
    uint32_t *next_block;         /* chain links; free blocks form a list too */
    uint32_t n_blocks, free_block;
    torta_eventq_node *early;     /* binary heap of events pushed earlier than `last` */
    size_t n_early, cap_early;
    torta_eventq_payload *pool;
    size_t cap;
    int64_t free_slot;
    uint64_t next_seq;
} torta_eventq;

/* The order-preserving integer image of a time (IEEE-754 bits mapped so that unsigned order is
 * numeric order); the list and the per-server timers (timers.h) compare times this way. */
static inline uint64_t torta_time_key(double t)
{
    uint64_t b;
    memcpy(&b, &t, sizeof b);
    return b ^ ((uint64_t)((int64_t)b >> 63) | UINT64_C(0x8000000000000000));
}

int torta_eventq_init(torta_eventq *q, size_t cap);
void torta_eventq_free(torta_eventq *q);
/* 0, or TORTA_ENOMEM (also past the pending-event or sequence limits above). */
int torta_eventq_push(torta_eventq *q, double t, uint32_t type, uint32_t tag, int64_t a);
/* Removes the earliest event into *out; 0 when empty. */
int torta_eventq_pop(torta_eventq *q, torta_event *out);
/* An event kept outside the list (the next arrival) takes its place in the order with a sequence
 * number from here, at the moment it would have been pushed; UINT64_MAX past the limit. */
uint64_t torta_eventq_take_seq(torta_eventq *q);
/* Pops the earliest event, as torta_eventq_pop, only if it comes before (t, seq); else 0. */
int torta_eventq_pop_before(torta_eventq *q, double t, uint64_t seq, torta_event *out);

#endif
