/* Scheduler seams. A macro scheduler picks the serving region of each request (and may plan once
 * per timeslot); a micro scheduler picks a server inside that region. Adding a policy = one file
 * in src/sched/{macro,micro}/ defining a const ops struct + one line in src/sched/registry.c. */
#ifndef TORTA_SCHED_H
#define TORTA_SCHED_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "torta/err.h"
#include "torta/view.h"

/* What a scheduler gets at init: sizes, the static matrices (via the first view) and its params. */
typedef struct torta_sched_env {
    uint64_t seed;            /* master seed: derive streams with torta_rng_stream(seed, "name") */
    const torta_view *view;   /* valid for the whole run; contents change as the run goes */
    const cJSON *params;      /* scheduler.macro_params / micro_params from the config (may be NULL) */
    const char *topology_name;
    /* Training only (`torta-sim train`): the layer's learner, shared across the episodes of a
     * training run; NULL when evaluating. Its type belongs to the policy that uses it. */
    void *learner;
} torta_sched_env;

typedef struct torta_macro_ops {
    const char *name, *summary;
    int (*init)(void **self, const torta_sched_env *env, torta_err *e);
    /* Once at the start of each slot (may be NULL). A non-zero return stops the run. */
    int (*plan)(void *self, const torta_view *v, torta_err *e);
    /* Serving region for a request arriving now at its origin. */
    int (*route)(void *self, const torta_request *r, const torta_view *v);
    /* A request finished (may be NULL): for learning policies and statistics. */
    void (*on_complete)(void *self, const torta_request *r, const torta_view *v);
    void (*destroy)(void *self);
    /* Right after plan (may be NULL): moves[i * n_regions + j] = how many waiting, not yet
     * started requests to move from region i to region j (zeroed before the call). The core
     * takes the most recently queued ones, transfers their prompts, and counts and charges each
     * move as a migration. */
    int (*migrate)(void *self, const torta_view *v, double *moves, torta_err *e);
    /* Right after plan (may be NULL: the configured autoscaler decides, capacity.autoscaler):
     * the desired number of servers per region and class for the slot ahead,
     * desired[r * TORTA_N_CLASSES + c], prefilled with the current target (starting + active).
     * The core clamps it to [0, pool], starts servers (they admit requests after their
     * start_lead_s), drains surplus ones and bills them; reserved servers are always on and
     * their entries are ignored. */
    int (*capacity)(void *self, const torta_view *v, int32_t *desired, torta_err *e);
} torta_macro_ops;

#define TORTA_DEFER (-1) /* micro: hold the request in the region queue; retried when a server frees */

typedef struct torta_micro_ops {
    const char *name, *summary;
    int (*init)(void **self, const torta_sched_env *env, torta_err *e);
    /* Global index of a live server of region `region` for request r, or TORTA_DEFER. */
    int (*pick)(void *self, const torta_request *r, int region, const torta_view *v);
    void (*on_complete)(void *self, const torta_request *r, const torta_view *v);
    void (*destroy)(void *self);
    /* Live migration (may be NULL): called every scheduler.rebalance_s seconds for each region;
     * writes up to max_moves pairs (from, to) of servers of that region into moves[2k],
     * moves[2k+1] and returns how many. The core moves one running request of `from` (the one
     * with the smallest KV cache) to `to` at the end of the iteration under way, copies its KV
     * cache over the intra-region network (network.intra_region_gbps) and resumes it there;
     * each move is counted and charged (network.intra_region_usd_per_gb). */
    int (*rebalance)(void *self, int region, const torta_view *v, int32_t *moves, int max_moves);
} torta_micro_ops;

/* Capacity decision for macro schedulers that make none (capacity.autoscaler in the config):
 * same contract as torta_macro_ops.capacity. env->params is the autoscaler's own section
 * (capacity.<name>). */
typedef struct torta_autoscaler_ops {
    const char *name, *summary;
    int (*init)(void **self, const torta_sched_env *env, torta_err *e);
    int (*decide)(void *self, const torta_view *v, int32_t *desired, torta_err *e);
    void (*destroy)(void *self);
} torta_autoscaler_ops;

const torta_macro_ops *torta_macro_find(const char *name);
const torta_autoscaler_ops *torta_autoscaler_find(const char *name);
const torta_autoscaler_ops *const *torta_autoscaler_all(void);
const torta_micro_ops *torta_micro_find(const char *name);
/* NULL-terminated lists, in registry order. */
const torta_macro_ops *const *torta_macro_all(void);
const torta_micro_ops *const *torta_micro_all(void);

#endif
