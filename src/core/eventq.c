/* Binary-heap future-event list. */
#include "core/eventq.h"

#include <stdlib.h>

#include "torta/err.h"

int torta_eventq_init(torta_eventq *q, size_t cap)
{
    q->n = 0;
    q->next_seq = 0;
    q->cap = cap < 16 ? 16 : cap;
    q->heap = malloc(q->cap * sizeof *q->heap);
    return q->heap ? 0 : TORTA_ENOMEM;
}

void torta_eventq_free(torta_eventq *q)
{
    free(q->heap);
    q->heap = NULL;
    q->n = q->cap = 0;
}

int torta_eventq_push(torta_eventq *q, double t, uint32_t type, uint32_t epoch, int64_t a)
{
    if (q->n == q->cap) {
        torta_event *h = realloc(q->heap, 2 * q->cap * sizeof *h);
        if (!h)
            return TORTA_ENOMEM;
        q->heap = h;
        q->cap *= 2;
    }
    torta_event ev = {t, q->next_seq++, type, epoch, a};
    size_t i = q->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!torta_event_before(&ev, &q->heap[p]))
            break;
        q->heap[i] = q->heap[p];
        i = p;
    }
    q->heap[i] = ev;
    return 0;
}

int torta_eventq_pop(torta_eventq *q, torta_event *out)
{
    if (q->n == 0)
        return 0;
    *out = q->heap[0];
    torta_event last = q->heap[--q->n];
    size_t i = 0, n = q->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && torta_event_before(&q->heap[c + 1], &q->heap[c]))
            c++;
        if (!torta_event_before(&q->heap[c], &last))
            break;
        q->heap[i] = q->heap[c];
        i = c;
    }
    if (n > 0)
        q->heap[i] = last;
    return 1;
}
