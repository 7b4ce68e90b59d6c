/* Tournament tree of per-owner timers (see timers.h). Every internal node holds a copy of the
 * earliest timer below it, so replaying the matches from a leaf to the root reads only the
 * nodes on that path and their siblings. */
#include "core/timers.h"

#include <stdlib.h>
#include <string.h>

#include "core/eventq.h"
#include "torta/err.h"

static const torta_timer_node NONE = {UINT64_MAX, UINT64_MAX, -1};

int torta_timers_init(torta_timers *t, int n)
{
    memset(t, 0, sizeof *t);
    int size = 2;
    while (size < n)
        size *= 2;
    t->size = size;
    t->node = malloc(2 * (size_t)size * sizeof *t->node);
    t->when = calloc((size_t)size, sizeof *t->when);
    t->type = calloc((size_t)size, sizeof *t->type);
    if (!t->node || !t->when || !t->type) {
        torta_timers_free(t);
        return TORTA_ENOMEM;
    }
    for (int k = 0; k < 2 * size; k++)
        t->node[k] = NONE;
    return 0;
}

void torta_timers_free(torta_timers *t)
{
    free(t->node);
    free(t->when);
    free(t->type);
    memset(t, 0, sizeof *t);
}

/* Leaf i changed: replay the matches on its path to the root. */
static void update(torta_timers *t, int i)
{
    torta_timer_node *nd = t->node;
    for (int k = (t->size + i) >> 1; k >= 1; k >>= 1) {
        const torta_timer_node *a = &nd[2 * k], *b = &nd[2 * k + 1];
        nd[k] = a->key < b->key || (a->key == b->key && a->seq <= b->seq) ? *a : *b;
    }
}

void torta_timers_set(torta_timers *t, int i, double when, uint64_t seq, uint32_t type)
{
    torta_timer_node *leaf = &t->node[t->size + i];
    t->pending += leaf->owner < 0;
    *leaf = (torta_timer_node){torta_time_key(when), seq, i};
    t->when[i] = when;
    t->type[i] = type;
    update(t, i);
}

void torta_timers_clear(torta_timers *t, int i)
{
    torta_timer_node *leaf = &t->node[t->size + i];
    if (leaf->owner < 0)
        return;
    t->pending--;
    *leaf = NONE;
    update(t, i);
}
