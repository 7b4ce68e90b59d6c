/* Macro baseline `round-robin`: regions with live servers in turn, ignoring origin and load. */
#include <stdlib.h>

#include "torta/sched.h"

typedef struct { int next; } rr_state;

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    rr_state *s = calloc(1, sizeof *s);
    if (!s)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = s;
    return 0;
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    rr_state *s = self;
    for (int k = 0; k < v->n_regions; k++) {
        int g = (s->next + k) % v->n_regions;
        if (v->regions[g].n_alive > 0) {
            s->next = (g + 1) % v->n_regions;
            return g;
        }
    }
    return r->origin;
}

const torta_macro_ops torta_macro_round_robin = {
    .name = "round-robin",
    .summary = "regions with live servers in turn",
    .init = init,
    .route = route,
    .destroy = free,
};
