/* Macro baseline `local`: every request is served in its origin region. */
#include "torta/sched.h"

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    *self = NULL;
    return 0;
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    return r->origin;
}

const torta_macro_ops torta_macro_local = {
    .name = "local",
    .summary = "serve every request in its origin region",
    .init = init,
    .route = route,
};
