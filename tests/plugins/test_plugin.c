/* Plugins for tests/integration/test_plugin.py, one shared object per variant (-DVARIANT_*, see
 * tests/CMakeLists.txt): a valid micro scheduler, and the faults the loader must reject with a
 * clear message: a wrong ABI version, a struct-size mismatch, a name clashing with a built-in,
 * no `torta_plugin` symbol, an unresolved symbol. Built against include/ alone. */
#include "torta/plugin.h"

__attribute__((unused)) static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    *self = NULL;
    return 0;
}

__attribute__((unused)) static int route(void *self, const torta_request *r, const torta_view *v)
{
    return r->origin;
}

#if defined(VARIANT_MICRO)
/* `first-live`: always the region's first live server. */
static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    const torta_region_state *g = &v->regions[region];
    for (int s = g->first_server; s < g->first_server + g->n_servers; s++)
        if (v->servers[s].alive)
            return s;
    return TORTA_DEFER;
}

static const torta_micro_ops first_live = {
    .name = "first-live", .summary = "the region's first live server (test plugin)", .init = init, .pick = pick};
static const torta_micro_ops *const micros[] = {&first_live, NULL};
TORTA_PLUGIN_DEFINE(NULL, micros);

#elif defined(VARIANT_ABI)
static const torta_macro_ops m = {.name = "test-abi", .summary = "x", .init = init, .route = route};
static const torta_macro_ops *const macros[] = {&m, NULL};
__attribute__((visibility("default"))) const torta_plugin_info torta_plugin = {
    .abi = TORTA_PLUGIN_ABI + 998, .macros = macros};

#elif defined(VARIANT_LAYOUT)
/* As if built against headers where torta_view had one more 8-byte field. */
static const torta_macro_ops m = {.name = "test-layout", .summary = "x", .init = init, .route = route};
static const torta_macro_ops *const macros[] = {&m, NULL};
__attribute__((visibility("default"))) const torta_plugin_info torta_plugin = {
    .abi = TORTA_PLUGIN_ABI,
    .size_info = sizeof(torta_plugin_info),
    .size_view = sizeof(torta_view) + 8,
    .size_region = sizeof(torta_region_state),
    .size_server = sizeof(torta_server_state),
    .size_request = sizeof(torta_request),
    .size_catalog = sizeof(torta_catalog),
    .size_env = sizeof(torta_sched_env),
    .size_macro_ops = sizeof(torta_macro_ops),
    .size_micro_ops = sizeof(torta_micro_ops),
    .size_err = sizeof(torta_err),
    .macros = macros,
};

#elif defined(VARIANT_CLASH)
static const torta_macro_ops m = {.name = "least-loaded", .summary = "x", .init = init, .route = route};
static const torta_macro_ops *const macros[] = {&m, NULL};
TORTA_PLUGIN_DEFINE(macros, NULL);

#elif defined(VARIANT_NOSYM)
/* Schedulers, but no TORTA_PLUGIN_DEFINE. */
const torta_macro_ops test_nosym = {.name = "test-nosym", .summary = "x", .init = init, .route = route};

#elif defined(VARIANT_UNRESOLVED)
/* Calls a function torta-sim does not have: dlopen(RTLD_NOW) must fail, naming it. */
int torta_no_such_function(void);
static int route_u(void *self, const torta_request *r, const torta_view *v)
{
    return torta_no_such_function();
}
static const torta_macro_ops m = {.name = "test-unresolved", .summary = "x", .init = init, .route = route_u};
static const torta_macro_ops *const macros[] = {&m, NULL};
TORTA_PLUGIN_DEFINE(macros, NULL);
#else
#error "define one VARIANT_*"
#endif
