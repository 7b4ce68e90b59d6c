/* What the two halves of SkyLB share (src/sched/macro/skylb.c routes between regions,
 * src/sched/micro/skylb_push.c pushes to replicas): when a replica "has room" for one more request
 * under selective pushing, and the prefix-locality table both keep. */
#ifndef TORTA_SCHED_SKYLB_PUSH_H
#define TORTA_SCHED_SKYLB_PUSH_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "torta/err.h"
#include "torta/view.h"

typedef struct torta_skylb_push {
    int outstanding;    /* 1: pending = waiting + running requests; 0: waiting only */
    double max_pending; /* a replica has room while its pending requests are below this */
    int prefix_aware;
    uint64_t mask;      /* prefix_slots - 1 */
} torta_skylb_push;

/* Parses pending, max_pending, prefix_aware and prefix_slots of `params` (may be NULL), found
 * at `where`; `keys` lists every key the caller accepts (NULL-terminated). */
int torta_skylb_push_parse(const cJSON *params, const char *where, const char *const *keys,
                           torta_skylb_push *p, torta_err *e);

static inline int torta_skylb_has_room(const torta_skylb_push *p, const torta_server_state *s)
{
    double pending = p->outstanding ? (double)s->queued + s->running : (double)s->queued;
    return s->alive && pending < p->max_pending;
}

/* A direct-mapped prefix table: slot of a prefix hash (a newer prefix evicts an older one). */
typedef struct torta_skylb_prefix {
    uint64_t hash; /* 0 = empty */
    int32_t where; /* server or region index */
} torta_skylb_prefix;

torta_skylb_prefix *torta_skylb_prefix_slot(torta_skylb_prefix *table, const torta_skylb_push *p,
                                            uint64_t hash);

#endif
