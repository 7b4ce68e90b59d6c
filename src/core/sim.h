/* The simulation state of one run (internal to the core; schedulers see torta_view only). */
#ifndef TORTA_SIM_H
#define TORTA_SIM_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "cluster/batching.h"
#include "cluster/kv_blocks.h"
#include "core/eventq.h"
#include "core/timers.h"
#include "torta/catalog.h"
#include "torta/sched.h"
#include "torta/topology.h"
#include "torta/view.h"
#include "torta/workload.h"

enum { EV_ARRIVAL = 1, EV_SLOT, EV_REACH, EV_SERVER, EV_LOAD_DONE, EV_FAIL, EV_RECOVER, EV_REBALANCE,
       EV_KV_ARRIVE, EV_POWER_READY, EV_SPOT_NOTICE, EV_SPOT_STOP };

typedef enum { TORTA_SERVICE_BATCHING, TORTA_SERVICE_EXPONENTIAL, TORTA_SERVICE_DETERMINISTIC } torta_service_mode;

/* What a request over its model's context gets (server.context_policy). */
typedef enum { TORTA_CONTEXT_ALLOW, TORTA_CONTEXT_REJECT, TORTA_CONTEXT_TRUNCATE } torta_context_policy;

/* torta_request.beyond_fit bits: the part of its profile's fitted range it left. */
enum { TORTA_BEYOND_FIT_PROMPT = 1, TORTA_BEYOND_FIT_CONTEXT = 2, TORTA_BEYOND_FIT_BATCH = 4 };

typedef struct torta_run_ent {
    uint64_t fin_iter; /* the iteration that produces its last token */
    int32_t req;
} torta_run_ent;

/* Private server state; the public part lives in sim->server_pub[i]. */
typedef struct torta_server {
    const torta_perf *perf;      /* for the resident model */
    torta_batching batching;     /* what an iteration runs (server.batching) */
    torta_kv_blocks *kv;         /* paged KV cache (server.kv_policy = paged), else NULL */
    int32_t kv_young;            /* paged: the running request admitted last, or -1 when it left
                                  * (found again when the preemption rule needs it) */
    int32_t q_head, q_tail;      /* FIFO of waiting requests (pool indices) */
    torta_run_ent *heap;         /* running requests, min-heap by fin_iter */
    int32_t heap_n, heap_cap;
    uint64_t iter;               /* index of the next iteration to start (from 1: a vllm
                                  * prefill-only iteration gives first tokens "at" iter - 1) */
    int32_t chunk_head, chunk_tail; /* sarathi: admitted requests with a prompt part to prefill,
                                     * FIFO through `next`; counted as running, not in the heap */
    /* Decoding set aggregates: B requests, sum over them of (input_tokens - admit_iter), so the
     * batch's context at iteration i is dec_s + B * i. */
    int32_t dec_b;
    int64_t dec_s;
    /* Requests admitted for the prefill in iteration `iter` (the segment under way). */
    int32_t pre_n;
    int64_t pre_s;
    double pre_p, pre_q;
    /* The scheduled segment: iterations [seg_first, seg_first + seg_n) from seg_start; its end
     * (or the load's) is the server's timer in sim->timers. */
    int active;                  /* a segment or a load is scheduled */
    double seg_start, seg_alpha, seg_beta;
    uint64_t seg_first, seg_n;
    int seg_prefill;
    /* A decode segment may open with the prefill iteration of the requests admitted at its start
     * when nothing would happen at the end of that iteration: one event instead of two. The
     * iteration ends at pre_end_s, where the decode iterations [seg_first, ...) start (seg_start),
     * and the prefilled requests join the decoding set when the segment ends (lead_prefill).
     * occ_mark: the occupancy interval is still to be closed at pre_end_s, as at an event there. */
    int lead_prefill, occ_mark;
    double pre_end_s;
    int32_t loading_model;
    double busy_since;           /* < 0 when idle */
    double busy_slot_s, busy_total_s, load_slot_s;
    /* Occupancy (the utilisation metric): max(KV reserved / KV capacity, batch / max batch) in
     * batching mode, 0/1 in the one-at-a-time modes; integrated over time per slot. */
    double occ, occ_since, occ_area_slot;
    double load_total_s;
    int64_t switches, switches_slot;
    int32_t down;                /* overlapping failures in force (alive when 0) */
    int32_t pending_out;         /* running requests marked to migrate at the next boundary */
    double mem_budget_bytes;     /* tp x GPU memory x kv_utilization: weights + KV cache */
    double *last_used;           /* per model: when it last became active (LRU) */
    double gpu_usd_per_s;        /* tp GPUs at the regional on-demand price */
    double idle_w, busy_w;       /* whole server (tp GPUs) */
    /* Lifecycle and billing (core/capacity.c). Time in each power state since power_since is
     * folded into the slot's accumulators at every transition and at the slot's end. */
    double power_since, session_start;
    double on_slot_s, active_slot_s, min_bill_slot_s; /* min_bill: billing-minimum top-up */
    uint32_t session;            /* bumped at each start: events of an older session are stale */
    int preempting;              /* a spot notice is running: it stops at the notice's end */
    int64_t placed_slot;         /* requests placed on it this slot (offered load) */
    struct torta_prefix_srv *prefix; /* its prefix cache and counts (cluster/server_prefix.h);
                                      * NULL in harnesses that run a server alone */
} torta_server;

typedef struct torta_metrics torta_metrics;
typedef struct torta_sim torta_sim;

/* How a server reports to the core (it calls nothing in sim.c directly): a request finished at
 * sim->now; a running request leaves for server `to` with its KV cache; server s finished
 * requests (freed capacity: the region's deferred requests may go, a draining server may stop). */
typedef struct torta_server_hooks {
    int (*complete)(torta_sim *sim, int32_t req, torta_err *e);
    int (*kv_transfer)(torta_sim *sim, int32_t req, int to, torta_err *e);
    int (*freed)(torta_sim *sim, int s, torta_err *e);
    void *ud; /* for a harness that drives a server alone (saturation.c) */
} torta_server_hooks;
typedef struct torta_ledger torta_ledger;
typedef struct torta_capacity torta_capacity;

typedef struct torta_sim {
    /* World (immutable after load). */
    const cJSON *config;
    torta_topology *topo;
    torta_catalog *catalog;
    int n_regions, n_servers, n_models;
    torta_region_state *region_pub;
    torta_server_state *server_pub;
    torta_server *servers;
    double *lat_s, *bw_bps, *egress_usd_per_gb;  /* region x region */
    torta_perf *perf_sm;          /* n_servers x n_models; perf of server s for model m */
    double *kv_cap_sm;            /* tokens; 0 = model does not fit */
    double *est_tok_s_sm;         /* estimated server-seconds per output token (reference batch) */
    double *load_s_m;             /* model load time */
    torta_server_hooks hooks;
    double bytes_per_token;
    double slot_s;
    torta_service_mode mode;
    double service_mean_s;
    int max_batch;
    int max_resident;            /* models a server keeps in memory at once */
    uint64_t seed;
    /* Workload. */
    torta_source *source;
    torta_origin_assigner *origin;
    double *model_credit, *model_weight; /* smooth weighted round robin over the model mix */
    /* The next arrival waits here rather than in the event list (one push and pop fewer per
     * request), ordered by the sequence number its push would have had. */
    torta_req_in next_in;
    uint64_t next_in_seq;
    int have_next, source_done;
    gsl_rng *rng_service;
    /* Requests in flight: a pool with a free list. */
    torta_request *req;
    int32_t req_cap, req_free;
    /* Per pool slot: room for the prefix block ids of the request in it (kept when the slot is
     * reused, so ids cost no allocation per request once the pool has warmed up). */
    struct torta_req_ids *req_ids;
    int32_t *region_defer_head, *region_defer_tail;
    /* Schedulers. */
    const torta_macro_ops *macro;
    const torta_micro_ops *micro;
    void *macro_self, *micro_self;
    torta_view view;
    double *demand_hist;
    double *moves;                /* R x R scratch for the macro scheduler's migrations */
    /* Clock and events. */
    torta_eventq q;
    torta_timers timers;          /* per server: the end of its segment or load */
    double now;
    int64_t slot;
    uint64_t events;
    uint64_t fingerprint;
    /* Counts. */
    int64_t arrived, completed, rejected, in_flight;
    int64_t migrations, retries, failures;
    double *mtbf_s_g, mttr_s;     /* per GPU type (0 = never fails); mean time to repair */
    gsl_rng *rng_faults;
    int64_t live_migrations;
    /* Paged KV: preemptions by recompute, and requests preempted at least once. */
    int64_t kv_preemptions, kv_preempted_requests;
    /* Context and profile limits (core/limits.c). */
    int context_policy;           /* torta_context_policy */
    int64_t over_context, truncated, rejected_over_context;
    int64_t beyond_fit[4];        /* completed requests beyond the fit: prompt, context, batch, any */
    double kv_bytes_moved, intra_bps, intra_usd_per_gb, rebalance_s;
    int32_t *rebalance_moves;
    double in_system_area;        /* integral of in_flight over time (Little's law) */
    double in_system_since;       /* time of the last change of in_flight */
    torta_metrics *metrics;
    torta_ledger *ledger;         /* the bill, closed slot by slot; metrics and rewards read it */
    torta_capacity *capacity;     /* the capacity decision: autoscaler, pools, lifecycle events */
    volatile int *stop_flag;      /* set by a signal handler: stop at the next event */
    int interrupted;
    int warned_slots;             /* the slots.csv-grows-with-idle-time warning was given */
    torta_warn_fn warn;
    void *warn_ud;
} torta_sim;

/* capacity.c: set up the lifecycle (initial power states, autoscaler); called after the
 * schedulers are initialised. */
int torta_capacity_setup(torta_sim *sim, const cJSON *cfg, torta_err *e);
void torta_capacity_free(torta_capacity *c);
/* capacity.c: each slot, after the macro plan: ask for the desired capacity and enforce it. */
int torta_capacity_slot(torta_sim *sim, torta_err *e);
/* capacity.c: EV_POWER_READY, EV_SPOT_NOTICE, EV_SPOT_STOP. */
int torta_capacity_on_event(torta_sim *sim, int type, uint32_t session, int s, torta_err *e);
/* capacity.c: server s may have emptied: a draining server then goes off. */
void torta_capacity_check_drained(torta_sim *sim, int s);
/* capacity.c: folds the time in each power state up to `t` into the slot accumulators. */
void torta_capacity_account(torta_sim *sim, int s, double t);
/* capacity.c: recomputes alive (active and not failed) and the region's counts for server s. */
void torta_capacity_refresh_alive(torta_sim *sim, int s);
/* capacity.c: lifecycle counters for the summary. */
void torta_capacity_counts(const torta_capacity *c, int64_t *starts, int64_t *stops, int64_t *preemptions);

/* sim.c: the server hooks that report to sim.c (set once the world is built). */
void torta_sim_set_hooks(torta_sim *sim);
/* sim.c: server s started admitting requests: held requests may go. */
int torta_sim_capacity_added(torta_sim *sim, int s, torta_err *e);
/* sim.c: server s stops at once: its running and queued requests start over elsewhere. */
int torta_sim_hand_back(torta_sim *sim, int s, torta_err *e);

/* limits.c: server.context_policy. */
int torta_limits_parse(torta_sim *sim, const cJSON *cfg, torta_err *e);
/* limits.c: a new request over its model's context is counted and truncated (returns 0) or is to
 * be rejected (returns 1); under the context it returns 0. */
int torta_limits_arrival(torta_sim *sim, torta_request *r);
/* limits.c: a request completed: counts it if it left its profile's fitted range. */
void torta_limits_completed(torta_sim *sim, torta_request *r);
/* limits.c: the end-of-run warnings (once per run) about contexts and fitted ranges. */
void torta_limits_warn(const torta_sim *sim);

/* server.c */
int torta_server_enqueue(torta_sim *sim, int s, int32_t req, torta_err *e);
int torta_server_on_event(torta_sim *sim, int s, int type, torta_err *e);
int torta_server_init(torta_sim *sim, int s, int model, torta_err *e);
void torta_server_slot_flush(torta_sim *sim, int s, double now);
/* Time-average occupancy of server s since the last call (the slot's utilisation). */
double torta_server_take_utilisation(torta_sim *sim, int s, double start, double end);
void torta_server_free(torta_server *sv);
/* Empties server s: its batch and queue go into *displaced, a chain through `next` (running
 * requests first, then the queue in FIFO order); its scheduled segment or load is cancelled. */
void torta_server_evict(torta_sim *sim, int s, int32_t *displaced);
/* Takes server s down (evicts it). Returns 1 if it was up until now. */
int torta_server_fail(torta_sim *sim, int s, int32_t *displaced);
/* 1 when server s holds no request and is not loading a model. */
int torta_server_empty(const torta_sim *sim, int s);
/* Ends one failure of server s. Returns 1 when it is no longer down. */
int torta_server_recover(torta_sim *sim, int s);
/* Marks the running request of server `from` with the smallest context to move to server `to`
 * at the end of the iteration under way. Returns 1 if one was marked. */
int torta_server_mark_migration(torta_sim *sim, int from, int to, torta_err *e);
/* A migrated request's KV cache arrived: it joins the head of server s's queue and resumes. */
int torta_server_enqueue_resumed(torta_sim *sim, int s, int32_t req, torta_err *e);
/* 1 when request r can never be served on server s: its KV need is above the server's KV
 * capacity for its model (reserve: prompt + output tokens; paged: the blocks of its last
 * iteration). */
int torta_server_kv_too_small(const torta_sim *sim, int s, const torta_request *r);
/* Removes the most recently queued request of server s (not started), or returns -1. */
int32_t torta_server_take_youngest(torta_sim *sim, int s);

/* sim.c: a running request left server s for server `to` with its KV cache. */
int torta_sim_kv_transfer(torta_sim *sim, int32_t req, int to, torta_err *e);
/* sim.c: in_flight changes by d at sim->now (keeps the time-average number in system). */
void torta_sim_count_in_system(torta_sim *sim, int d);
/* server.c: estimated server-seconds of work of request r on server s (or, for region, on the
 * region's first server: a reference for demand accounting). */
double torta_server_est_work_s(const torta_sim *sim, int s, const torta_request *r);
double torta_sim_ref_work_s(const torta_sim *sim, const torta_request *r, int region);
/* sim.c: called by the server when a request finishes (at sim->now). */
int torta_sim_complete(torta_sim *sim, int32_t req, torta_err *e);
/* sim.c: a server of region r freed capacity; retry the region's deferred requests. */
int torta_sim_retry_deferred(torta_sim *sim, int region, torta_err *e);
/* sim.c: moves a request that has not started to region `to` (prompt transfer, counted and
 * charged as a migration). */
int torta_sim_migrate(torta_sim *sim, int32_t req, int to, torta_err *e);
int torta_sim_push(torta_sim *sim, double t, int type, uint32_t tag, int64_t a, torta_err *e);

#endif
