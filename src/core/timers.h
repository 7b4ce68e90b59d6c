/* Per-owner timers: each server has at most one pending event (the end of its segment or model
 * load), kept here rather than in the event list, in a tournament tree ordered like the list, by
 * (time, sequence number). Rescheduling a server replaces its pending event in O(log n), where
 * the list would keep the old one as a stale entry to pop and skip later. */
#ifndef TORTA_TIMERS_H
#define TORTA_TIMERS_H

#include <stdint.h>

/* A node of the tree: the earliest timer of its subtree (a leaf: its owner's timer). */
typedef struct torta_timer_node {
    uint64_t key;      /* order-preserving time key (torta_time_key); UINT64_MAX when not set */
    uint64_t seq;      /* sequence number; UINT64_MAX when not set */
    int32_t owner;
} torta_timer_node;

typedef struct torta_timers {
    int size;                 /* leaves: a power of two, at least 2 and at least the owners */
    torta_timer_node *node;   /* [1, 2 size): internal nodes, then leaf i at size + i */
    double *when;             /* per owner: its time */
    uint32_t *type;           /* per owner: its event type */
    int pending;              /* owners with a timer set */
} torta_timers;

/* 0, or TORTA_ENOMEM. */
int torta_timers_init(torta_timers *t, int n);
void torta_timers_free(torta_timers *t);
/* Sets (or replaces) owner i's timer. */
void torta_timers_set(torta_timers *t, int i, double when, uint64_t seq, uint32_t type);
void torta_timers_clear(torta_timers *t, int i);
/* The earliest timer in (time, sequence) order; its owner is -1 when none is set. */
static inline const torta_timer_node *torta_timers_first(const torta_timers *t)
{
    return &t->node[1];
}

/* The sequence number of owner i's timer (UINT64_MAX when not set). */
static inline uint64_t torta_timers_seq(const torta_timers *t, int i)
{
    return t->node[t->size + i].seq;
}

#endif
