/* What a scheduler sees: the requests it places and a read-only view of the simulated world.
 * Only the core mutates these; schedulers read them. Everything a scheduler author may need is
 * here or in sched.h. */
#ifndef TORTA_VIEW_H
#define TORTA_VIEW_H

#include <stdint.h>

#include "torta/catalog.h"

/* One request as the core tracks it. Times are simulated seconds since the workload start. */
typedef struct torta_request {
    uint64_t id;
    double arrival_s;
    int32_t origin;         /* region index where the client is */
    int32_t serve_region;   /* -1 until routed */
    int32_t server;         /* global server index, -1 until placed */
    int32_t model;          /* catalogue model index */
    int32_t input_tokens, output_tokens;
    uint64_t prefix_hash;   /* 0 = none (Mooncake traces carry prefix-block hashes) */
    int32_t n_prefix_blocks;
    /* Its prompt's block ids (Mooncake hash_ids, n_prefix_blocks of them, view->prefix_block_tokens
     * tokens each; equal ids = equal prefixes), NULL when unknown: no ids in the workload, or the
     * prompt was truncated to the context. Valid while the request is in the system. */
    const uint64_t *prefix_ids;
    int32_t cached_tokens;  /* prompt tokens its latest prefill found in its server's prefix cache */
    int32_t migrations;     /* moves between regions after the first placement */
    int32_t retries;        /* restarts after the failure of the server holding it */
    int32_t live_migrations;/* moves of its running state (KV cache) between servers */
    int32_t preemptions;    /* restarts by recompute: its server's paged KV cache ran out */
    int32_t recompute;      /* 1 while preempted: its next prefill is prompt + generated tokens */
    uint64_t admit_seq;     /* order of its last admission on its server (paged KV preempts the latest) */
    int32_t generated;      /* output tokens produced before its current admission (resumed) */
    int32_t prefilled;      /* prompt tokens prefilled so far (chunked prefill) */
    int32_t beyond_fit;     /* TORTA_BEYOND_FIT_* bits: served outside its profile's fitted range */
    int32_t migrate_to;     /* server it is leaving for at its server's next iteration, or -1 */
    int64_t ctx_base;       /* its context at server iteration j is ctx_base + j (decoding) */
    double est_work_s;      /* estimated server-seconds of work on the chosen server */
    /* Timing, filled as the request progresses. */
    double net_in_s;        /* prompt transfers towards its serving region (incl. migrations) */
    double reach_s;         /* when the prompt last reached its serving region */
    double enqueue_s;       /* when it joined a server queue */
    double admit_s;         /* start of its prefill iteration */
    double switch_s;        /* model-load time it waited through */
    double first_token_s;   /* server time of its first token */
    double finish_s;        /* server time of its last token */
    double load_mark_s;     /* server's cumulative load time when it was enqueued */
    uint64_t admit_iter;    /* the server iteration that ran its prefill */
    int32_t next;           /* intrusive FIFO link (pool index), -1 = none */
    int32_t status;         /* torta_req_status */
} torta_request;

typedef enum {
    TORTA_REQ_PENDING = 0,
    TORTA_REQ_COMPLETED,
    TORTA_REQ_REJECTED_TOO_LONG, /* its KV need exceeds every candidate server's capacity */
    TORTA_REQ_REJECTED_NO_SERVER,
    TORTA_REQ_IN_FLIGHT,         /* still in the system when the run stopped */
    TORTA_REQ_REJECTED_OVER_CONTEXT /* longer than its model's context (server.context_policy) */
} torta_req_status;

const char *torta_req_status_name(int status);

/* Capacity classes, configured per server group (regions.servers[].class). Reserved servers are
 * on for the whole run and billed every hour; on-demand and spot servers are a per-region pool
 * (its size is the quota) that the capacity decision turns on and off. */
typedef enum { TORTA_CLASS_RESERVED = 0, TORTA_CLASS_ON_DEMAND, TORTA_CLASS_SPOT, TORTA_N_CLASSES } torta_capacity_class;

const char *torta_class_name(int cap_class);

/* Server lifecycle, enforced by the core: off -> starting (boot + weight load) -> active ->
 * draining (finishes what it holds, admits nothing) -> off. Only active servers admit requests. */
typedef enum { TORTA_POWER_OFF = 0, TORTA_POWER_STARTING, TORTA_POWER_ACTIVE, TORTA_POWER_DRAINING } torta_power_state;

/* Public, read-only state of one GPU server (a group of `tp` GPUs serving one model instance). */
typedef struct torta_server_state {
    int32_t region;
    int32_t index_in_region;
    int32_t gpu, tp;
    int32_t resident_model;     /* the model it serves (or is loading); -1 = none */
    uint64_t resident_mask;     /* bit m set: model m is in memory (switching to it is free) */
    int32_t alive;              /* admits requests: active (power) and not failed */
    int32_t loading;            /* 1 while a model load is under way */
    int32_t queued, running;    /* requests waiting / in the batch */
    double outstanding_tokens;  /* input + output tokens of its unfinished requests */
    double outstanding_work_s;  /* estimated server-seconds of its unfinished requests */
    double kv_used_tokens, kv_cap_tokens; /* KV reserved (paged KV: blocks held x block size, as of
                                * its last event) and its capacity, tokens */
    double last_switch_s;       /* time of its last model load (-inf: never) */
    double speed;               /* reference decode throughput relative to the fleet mean */
    double util_last_slot;      /* batch occupancy in the previous slot (see torta_metrics) */
    int32_t cap_class;          /* torta_capacity_class */
    int32_t power;              /* torta_power_state */
    double start_lead_s;        /* off -> active: boot + loading its model's weights */
    double usd_per_hour;        /* its class's price at its region (whole server, tp GPUs) */
    double sat_rps;             /* saturation throughput, requests/s for the run's length mix */
    /* Prefix cache (server.prefix_cache_*): capacity and blocks held, and since the start of the
     * run the prompt tokens its prefills needed, the part found in its cache, and their ratio. */
    int32_t prefix_cache_blocks, prefix_held_blocks;
    double prefix_prompt_tokens, prefix_hit_tokens, prefix_hit_rate;
} torta_server_state;

/* Public, read-only state of one region (a site with GPU servers). */
typedef struct torta_region_state {
    const char *name;
    int32_t site;               /* topology site index */
    int32_t first_server, n_servers; /* its servers are [first_server, first_server + n_servers) */
    int32_t n_alive;            /* servers admitting requests (active, not failed) */
    int32_t queued, running;
    int32_t deferred;           /* waiting in the region queue (micro policy deferred them) */
    double outstanding_tokens;
    double outstanding_work_s;  /* divide by n_alive for an estimated drain time */
    double tz_offset_h;
    double electricity_usd_per_kwh;
    double carbon_g_per_kwh;
    double gpu_price_multiplier;
    double util_last_slot;
    double arrivals_slot;       /* requests originating here so far in the current slot */
    double arrivals_last_slot;  /* requests originating here in the previous slot */
    double arrival_tokens_slot; /* their input + output tokens */
    double arrival_work_slot;   /* their estimated work, server-seconds on this region's servers */
    double cost_usd_last_slot;  /* operational cost of the previous slot (the ledger's total) */
    /* Capacity by class: pool = configured servers (the quota of on-demand and spot), and how
     * many are starting, active (admitting) and draining now. */
    int32_t pool[TORTA_N_CLASSES], starting[TORTA_N_CLASSES], active[TORTA_N_CLASSES],
        draining[TORTA_N_CLASSES];
    double capacity_rps;        /* sum of sat_rps over its active servers */
    double offered_rps_last_slot; /* requests placed on its servers per second, previous slot */
    double load_last_slot;      /* offered / saturation capacity of its active servers */
    /* Prefix cache over its servers since the start: prompt tokens prefilled, tokens found in a
     * cache, their ratio. */
    double prefix_prompt_tokens, prefix_hit_tokens, prefix_hit_rate;
} torta_region_state;

typedef struct torta_view {
    double now_s;
    double slot_s;
    int64_t slot;               /* index of the current slot */
    int n_regions, n_servers;
    const torta_region_state *regions;
    const torta_server_state *servers;
    /* Region-pair matrices (n_regions x n_regions, row-major): one-way latency, bottleneck
     * bandwidth and egress price along the shortest path. Diagonal: 0, +inf, 0. */
    const double *latency_s;
    const double *bandwidth_bps;
    const double *egress_usd_per_gb;
    const torta_catalog *catalog;
    /* Per-origin demand history: demand_hist[k * n_regions + i] = estimated work (server-seconds,
     * as arrival_work_slot) that originated in region i during slot (slot - 1 - k), for
     * k < hist_len (most recent first; zeros before the run started). */
    const double *demand_hist;
    int hist_len;
    double bytes_per_token;
    double start_hour_utc;      /* UTC hour of day at t = 0 (local hour = this + t/3600 + tz) */
    const double *model_load_s; /* per catalogue model: seconds to load it on a server */
    /* Prefix cache: tokens per block, and the core's answer to torta_view_prefix_blocks (NULL in
     * views without one: then no server holds anything). */
    int32_t prefix_block_tokens;
    int32_t (*prefix_blocks)(const struct torta_view *v, const torta_request *r, int server);
    void *prefix_ctx;
} torta_view;

/* How many leading blocks of request r's prompt server `server` holds in its prefix cache now
 * (its prefill would skip min(that x prefix_block_tokens, input_tokens - 1) tokens if admitted
 * now). 0 for a request without block ids or a server without a cache. */
static inline int32_t torta_view_prefix_blocks(const struct torta_view *v, const torta_request *r, int server)
{
    return v->prefix_blocks && r->prefix_ids ? v->prefix_blocks(v, r, server) : 0;
}

/* Estimated seconds until region r could start a new request (drain time of its backlog). */
static inline double torta_view_region_wait_s(const torta_view *v, int r)
{
    const torta_region_state *g = &v->regions[r];
    return g->n_alive > 0 ? g->outstanding_work_s / g->n_alive : 1e300;
}

#endif
