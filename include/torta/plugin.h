/* Scheduler plugins: a shared object built against the public headers (include/torta/) alone,
 * loaded at run time with `torta-sim --plugin FILE.so`, adds macro and/or micro schedulers
 * without rebuilding torta-sim. A plugin defines its ops structs as a built-in scheduler does
 * (see sched.h) and exports them with one line:
 *
 *     static const torta_macro_ops *const macros[] = {&my_macro, NULL};
 *     TORTA_PLUGIN_DEFINE(macros, NULL);
 *
 * Build it with e.g. `cc -shared -fPIC -I<torta-sim>/include my_plugin.c -o my_plugin.so`.
 * It may call the public library functions (torta_rng_stream, torta_json_num, torta_plan_route,
 * torta_err_set, ...): the torta-sim executable exports them to the objects it loads.
 *
 * ABI: the exported `torta_plugin` record starts with the ABI version the plugin was built with
 * (checked first, so its later fields may change between versions) followed by the sizes of the
 * structs a plugin shares with the simulator; the loader refuses a plugin whose version or sizes
 * differ from its own. TORTA_PLUGIN_ABI is bumped whenever a shared struct changes meaning. */
#ifndef TORTA_PLUGIN_H
#define TORTA_PLUGIN_H

#include <stdint.h>

#include "torta/err.h"
#include "torta/sched.h"
#include "torta/view.h"

#define TORTA_PLUGIN_ABI 3 /* 3: prefix cache fields in torta_request, the states and the view */

typedef struct torta_plugin_info {
    int32_t abi;           /* TORTA_PLUGIN_ABI the plugin was compiled with: keep it first */
    uint32_t size_info;    /* sizeof(torta_plugin_info) */
    uint32_t size_view, size_region, size_server, size_request, size_catalog, size_env,
        size_macro_ops, size_micro_ops, size_err;
    /* NULL-terminated lists of the schedulers it adds (either may be NULL). Names must not
     * clash with a built-in scheduler or one of an earlier plugin. */
    const torta_macro_ops *const *macros;
    const torta_micro_ops *const *micros;
} torta_plugin_info;

/* Exports the plugin record, the one symbol (`torta_plugin`) the loader looks up. */
#define TORTA_PLUGIN_DEFINE(macro_list, micro_list)                                               \
    __attribute__((visibility("default"))) const torta_plugin_info torta_plugin = {               \
        TORTA_PLUGIN_ABI,           sizeof(torta_plugin_info), sizeof(torta_view),               \
        sizeof(torta_region_state), sizeof(torta_server_state), sizeof(torta_request),           \
        sizeof(torta_catalog),      sizeof(torta_sched_env),   sizeof(torta_macro_ops),          \
        sizeof(torta_micro_ops),    sizeof(torta_err),         (macro_list),                     \
        (micro_list)}

/* Loads the plugin at `path` (a name without '/' means the current folder, not the library
 * search path) and registers its schedulers. Errors (TORTA_EINPUT, naming the file): missing or
 * unloadable file (including unresolved symbols), no `torta_plugin` symbol, ABI or struct-size
 * mismatch, a scheduler name clashing with a known one, invalid ops (no name, init, route/pick).
 * A loaded plugin stays loaded until the process exits. Not thread-safe: load plugins before
 * starting runs. */
int torta_plugin_load(const char *path, torta_err *e);

/* Adds schedulers to the registry (what torta_plugin_load does after its checks), so that
 * torta_macro_find / torta_micro_find / torta_*_all see them. Either list may be NULL. All or
 * nothing: on error nothing is added. `origin` names the source in error messages. The registry
 * is the one piece of process-global mutable state in torta-sim (plugins are process-global by
 * nature of dlopen); same threading rule as above. */
int torta_sched_register(const torta_macro_ops *const *macros, const torta_micro_ops *const *micros,
                         const char *origin, torta_err *e);

#endif
