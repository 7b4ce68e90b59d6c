/* The future-event list: a binary min-heap ordered by (time, insertion sequence). Heap nodes are
 * 16 bytes: the time as an order-preserving integer and a key holding the sequence number and a
 * payload slot, so sifting moves little memory; payloads live in a pooled array with a free
 * list, so there is no per-event allocation. A cancelled event is left in place and ignored when
 * it surfaces (its owner's epoch moved on). */
#ifndef TORTA_EVENTQ_H
#define TORTA_EVENTQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct torta_event {
    double t;
    uint64_t seq;     /* insertion order: breaks ties in t deterministically */
    uint32_t type;
    uint32_t epoch;   /* owner's epoch when scheduled; stale events are skipped */
    int64_t a;        /* payload: request or server index, ... */
} torta_event;

typedef struct torta_eventq_node {
    uint64_t time;    /* order-preserving image of the time's IEEE-754 bits */
    uint64_t key;     /* seq << TORTA_EVENTQ_SLOT_BITS | payload slot */
} torta_eventq_node;

typedef struct torta_eventq_payload {
    uint32_t type, epoch;
    int64_t a;        /* while the slot is free: the next free slot */
} torta_eventq_payload;

#define TORTA_EVENTQ_SLOT_BITS 24 /* up to 16.7 M pending events and 2^40 events per run */

typedef struct torta_eventq {
    torta_eventq_node *heap;
    torta_eventq_payload *pool;
    size_t n, cap;
    int64_t free_slot;
    uint64_t next_seq;
} torta_eventq;

int torta_eventq_init(torta_eventq *q, size_t cap);
void torta_eventq_free(torta_eventq *q);
/* 0, or TORTA_ENOMEM (also past the pending-event or sequence limits above). */
int torta_eventq_push(torta_eventq *q, double t, uint32_t type, uint32_t epoch, int64_t a);
/* Removes the earliest event into *out; 0 when empty. */
int torta_eventq_pop(torta_eventq *q, torta_event *out);

#endif
