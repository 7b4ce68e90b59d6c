/* The future-event list: a binary min-heap of small event records ordered by (time, sequence).
 * Events are stored by value in one growing array, so there is no per-event allocation; a
 * cancelled event is left in place and ignored when it surfaces (its owner's epoch moved on). */
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

typedef struct torta_eventq {
    torta_event *heap;
    size_t n, cap;
    uint64_t next_seq;
} torta_eventq;

int torta_eventq_init(torta_eventq *q, size_t cap);
void torta_eventq_free(torta_eventq *q);
/* 0 or TORTA_ENOMEM. */
int torta_eventq_push(torta_eventq *q, double t, uint32_t type, uint32_t epoch, int64_t a);
/* Removes the earliest event into *out; 0 when empty. */
int torta_eventq_pop(torta_eventq *q, torta_event *out);

static inline int torta_event_before(const torta_event *x, const torta_event *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

#endif
