/* The event loop and a request's life: arrival at its origin, macro routing, prompt transfer,
 * micro placement (or deferral in the region queue), service, response transfer, completion. */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cluster/server_prefix.h"
#include "core/sim.h"
#include "core/ledger.h"
#include "metrics/metrics.h"
#include "torta/rng.h"

const char *torta_req_status_name(int status)
{
    switch (status) {
    case TORTA_REQ_COMPLETED:
        return "completed";
    case TORTA_REQ_REJECTED_TOO_LONG:
        return "rejected_kv_too_small";
    case TORTA_REQ_REJECTED_NO_SERVER:
        return "rejected_no_server";
    case TORTA_REQ_IN_FLIGHT:
        return "in_flight";
    case TORTA_REQ_REJECTED_OVER_CONTEXT:
        return "rejected_over_context";
    default:
        return "pending";
    }
}

int torta_sim_push(torta_sim *sim, double t, int type, uint32_t tag, int64_t a, torta_err *e)
{
    if (torta_eventq_push(&sim->q, t, (uint32_t)type, tag, a))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory (event queue)");
    return 0;
}

/* Transfer time of `bytes` from region a to region b: latency + bytes / bottleneck bandwidth. */
static double transfer_s(const torta_sim *sim, int a, int b, double bytes)
{
    if (a == b)
        return 0.0;
    size_t k = (size_t)a * sim->n_regions + b;
    return sim->lat_s[k] + bytes * 8.0 / sim->bw_bps[k];
}

void torta_sim_count_in_system(torta_sim *sim, int d)
{
    sim->in_system_area += (double)sim->in_flight * (sim->now - sim->in_system_since);
    sim->in_system_since = sim->now;
    sim->in_flight += d;
}

static int32_t req_alloc(torta_sim *sim, torta_err *e)
{
    if (sim->req_free < 0) {
        int32_t old = sim->req_cap, cap = old ? 2 * old : 1024;
        torta_request *p = torta_prefix_pool_grow(sim, old, cap) ? NULL
                                                                  : realloc(sim->req, (size_t)cap * sizeof *p);
        if (!p) {
            torta_err_set(e, TORTA_ENOMEM, "out of memory (%d requests in flight)", old);
            return -1;
        }
        sim->req = p;
        sim->req_cap = cap;
        for (int32_t i = cap - 1; i >= old; i--) {
            p[i].status = -1;
            p[i].next = sim->req_free;
            sim->req_free = i;
        }
    }
    int32_t i = sim->req_free;
    sim->req_free = sim->req[i].next;
    memset(&sim->req[i], 0, sizeof sim->req[i]);
    return i;
}

static void req_release(torta_sim *sim, int32_t i)
{
    sim->req[i].status = -1;
    sim->req[i].next = sim->req_free;
    sim->req_free = i;
}

/* A request leaves the system: its row is written and its slot recycled. */
static int finish(torta_sim *sim, int32_t ri, int status, torta_err *e)
{
    torta_request *r = &sim->req[ri];
    r->status = status;
    double net_out = 0, ttft_net = 0, usd = 0;
    if (status == TORTA_REQ_COMPLETED) {
        net_out = transfer_s(sim, r->serve_region, r->origin, sim->bytes_per_token * r->output_tokens);
        ttft_net = transfer_s(sim, r->serve_region, r->origin, sim->bytes_per_token);
        if (r->serve_region != r->origin)
            usd = sim->egress_usd_per_gb[(size_t)r->origin * sim->n_regions + r->serve_region] *
                  sim->bytes_per_token * (r->input_tokens + r->output_tokens) / 1e9;
        torta_ledger_egress(sim->ledger, r->serve_region, usd,
                            r->serve_region != r->origin
                                ? sim->bytes_per_token * (r->input_tokens + r->output_tokens) : 0);
        sim->completed++;
        torta_limits_completed(sim, r);
        if (sim->macro->on_complete)
            sim->macro->on_complete(sim->macro_self, r, &sim->view);
        if (sim->micro->on_complete)
            sim->micro->on_complete(sim->micro_self, r, &sim->view);
    } else {
        sim->rejected++;
        sim->rejected_over_context += status == TORTA_REQ_REJECTED_OVER_CONTEXT;
    }
    torta_sim_count_in_system(sim, -1);
    /* It stays in the system until its response reaches the client: counting that transfer here
     * keeps L = lambda x W exact (e2e includes it) without an event per response. */
    sim->in_system_area += net_out;
    int rc = torta_metrics_request(sim->metrics, sim, r, net_out, ttft_net, e);
    req_release(sim, ri);
    return rc;
}

int torta_sim_complete(torta_sim *sim, int32_t ri, torta_err *e)
{
    torta_request *r = &sim->req[ri];
    if (r->admit_s < r->reach_s || r->reach_s < r->arrival_s)
        return torta_err_set(e, TORTA_EINTERNAL,
                             "invariant causality: request %llu served at %.9f before it reached "
                             "region %s at %.9f (arrived %.9f)",
                             (unsigned long long)r->id, r->admit_s,
                             sim->region_pub[r->serve_region].name, r->reach_s, r->arrival_s);
    return finish(sim, ri, TORTA_REQ_COMPLETED, e);
}

/* Region with live servers nearest (by latency) to region `from`, or -1. */
static int nearest_live_region(const torta_sim *sim, int from)
{
    int best = -1;
    for (int g = 0; g < sim->n_regions; g++) {
        if (sim->region_pub[g].n_alive == 0)
            continue;
        if (best < 0 || sim->lat_s[(size_t)from * sim->n_regions + g] <
                            sim->lat_s[(size_t)from * sim->n_regions + best])
            best = g;
    }
    return best;
}

static void defer(torta_sim *sim, int32_t ri, int region)
{
    sim->req[ri].next = -1;
    if (sim->region_defer_tail[region] >= 0)
        sim->req[sim->region_defer_tail[region]].next = ri;
    else
        sim->region_defer_head[region] = ri;
    sim->region_defer_tail[region] = ri;
    sim->region_pub[region].deferred++;
}

/* Micro placement in the serving region; TORTA_DEFER parks the request in the region queue.
 * A region without live servers passes the request on to the nearest region that has some (a
 * migration), or holds it until a server recovers when no region has one. Returns 1 when a
 * request taken from the region queue (from_queue) could not be placed and stays there. */
static int place(torta_sim *sim, int32_t ri, int from_queue, torta_err *e)
{
    torta_request *r = &sim->req[ri];
    int region = r->serve_region;
    torta_region_state *g = &sim->region_pub[region];
    if (g->n_alive == 0) {
        int to = nearest_live_region(sim, region);
        if (to < 0) {
            if (from_queue)
                return 1;
            defer(sim, ri, region);
            return 0;
        }
        return torta_sim_migrate(sim, ri, to, e);
    }
    int s = sim->micro->pick(sim->micro_self, r, region, &sim->view);
    if (s == TORTA_DEFER) {
        if (from_queue)
            return 1;
        defer(sim, ri, region);
        return 0;
    }
    if (s < g->first_server || s >= g->first_server + g->n_servers || !sim->server_pub[s].alive)
        return torta_err_set(e, TORTA_EINTERNAL,
                             "micro scheduler %s picked server %d, which is not a live server of "
                             "region %s", sim->micro->name, s, g->name);
    if (sim->mode == TORTA_SERVICE_BATCHING && torta_server_kv_too_small(sim, s, r))
        return finish(sim, ri, TORTA_REQ_REJECTED_TOO_LONG, e);
    sim->servers[s].placed_slot++;
    return torta_server_enqueue(sim, s, ri, e);
}

static int reach(torta_sim *sim, int32_t ri, torta_err *e);

int torta_sim_migrate(torta_sim *sim, int32_t ri, int to, torta_err *e)
{
    torta_request *r = &sim->req[ri];
    int from = r->serve_region;
    double bytes = sim->bytes_per_token * r->input_tokens;
    double dt = transfer_s(sim, from, to, bytes);
    torta_ledger_migration(sim->ledger, to,
                           sim->egress_usd_per_gb[(size_t)from * sim->n_regions + to] * bytes / 1e9, bytes);
    r->serve_region = to;
    r->migrations++;
    sim->migrations++;
    r->net_in_s += dt;
    return dt > 0 ? torta_sim_push(sim, sim->now + dt, EV_REACH, 0, ri, e) : reach(sim, ri, e);
}

/* Server s finished requests: a draining server may stop; the region's queue may move. */
static int server_freed(torta_sim *sim, int s, torta_err *e)
{
    torta_capacity_check_drained(sim, s);
    int region = sim->server_pub[s].region;
    return sim->region_pub[region].deferred > 0 ? torta_sim_retry_deferred(sim, region, e) : 0;
}

void torta_sim_set_hooks(torta_sim *sim)
{
    sim->hooks = (torta_server_hooks){torta_sim_complete, torta_sim_kv_transfer, server_freed, NULL};
}

int torta_sim_retry_deferred(torta_sim *sim, int region, torta_err *e)
{
    while (sim->region_defer_head[region] >= 0) {
        int32_t ri = sim->region_defer_head[region];
        int32_t nxt = sim->req[ri].next;
        int rc = place(sim, ri, 1, e);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break; /* still no server for the head: keep FIFO order */
        sim->region_defer_head[region] = nxt;
        if (nxt < 0)
            sim->region_defer_tail[region] = -1;
        sim->region_pub[region].deferred--;
    }
    return 0;
}

static int reach(torta_sim *sim, int32_t ri, torta_err *e)
{
    sim->req[ri].reach_s = sim->now;
    sim->req[ri].server = -1;
    int rc = place(sim, ri, 0, e);
    return rc > 0 ? 0 : rc;
}

static int pull_next(torta_sim *sim, torta_err *e)
{
    int rc = torta_source_next(sim->source, &sim->next_in, e);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        sim->source_done = 1;
        return 0;
    }
    sim->next_in_seq = torta_eventq_take_seq(&sim->q);
    if (sim->next_in_seq == UINT64_MAX)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory (event queue)");
    sim->have_next = 1;
    return 0;
}

/* The earliest, in (time, sequence) order, of the event list, the servers' timers and the
 * waiting arrival. */
static int next_event(torta_sim *sim, torta_event *ev)
{
    const torta_timer_node *first = torta_timers_first(&sim->timers);
    int s = first->owner;
    if (s >= 0 && sim->have_next) { /* the arrival, if it comes before the timer */
        uint64_t ka = torta_time_key(sim->next_in.arrival_s);
        if (ka < first->key || (ka == first->key && sim->next_in_seq < first->seq))
            s = -1;
    }
    if (s >= 0) {
        double t = sim->timers.when[s];
        if (torta_eventq_pop_before(&sim->q, t, first->seq, ev))
            return 1;
        /* The timer stays set while its event is handled: rescheduling the server then
         * replaces it, and the loop clears it if not (one tree update instead of two). */
        *ev = (torta_event){t, first->seq, sim->timers.type[s], 0, s};
        return 1;
    }
    if (!sim->have_next)
        return torta_eventq_pop(&sim->q, ev);
    if (torta_eventq_pop_before(&sim->q, sim->next_in.arrival_s, sim->next_in_seq, ev))
        return 1;
    sim->have_next = 0;
    *ev = (torta_event){sim->next_in.arrival_s, sim->next_in_seq, EV_ARRIVAL, 0, 0};
    return 1;
}

static int pick_model(torta_sim *sim)
{
    /* Smooth weighted round robin: deterministic, no sampling noise. */
    double total = 0;
    int best = -1;
    for (int m = 0; m < sim->n_models; m++) {
        if (sim->model_weight[m] <= 0)
            continue;
        sim->model_credit[m] += sim->model_weight[m];
        total += sim->model_weight[m];
        if (best < 0 || sim->model_credit[m] > sim->model_credit[best])
            best = m;
    }
    sim->model_credit[best] -= total;
    return best;
}

static int arrival(torta_sim *sim, torta_err *e)
{
    const torta_req_in *in = &sim->next_in;
    int32_t ri = req_alloc(sim, e);
    if (ri < 0)
        return e->code;
    torta_request *r = &sim->req[ri];
    r->id = in->id;
    r->arrival_s = in->arrival_s;
    r->input_tokens = in->input_tokens;
    r->output_tokens = in->output_tokens;
    r->prefix_hash = in->prefix_hash;
    r->n_prefix_blocks = in->n_prefix_blocks;
    if (torta_prefix_copy_ids(sim, ri, in, e))
        return e->code;
    r->server = -1;
    r->migrate_to = -1;
    r->status = TORTA_REQ_PENDING;
    r->origin = in->origin;
    if (in->origin_name) {
        r->origin = -1;
        for (int g = 0; g < sim->n_regions && r->origin < 0; g++)
            if (strcmp(sim->region_pub[g].name, in->origin_name) == 0)
                r->origin = g;
        if (r->origin < 0)
            return torta_err_set(e, TORTA_EINPUT, "%s:%d: origin_region: no region \"%s\"",
                                 torta_source_describe(sim->source), in->src_line, in->origin_name);
    } else if (r->origin < 0) {
        r->origin = torta_origin_assign(sim->origin, in->arrival_s);
    } else if (r->origin >= sim->n_regions) {
        return torta_err_set(e, TORTA_EINTERNAL, "workload produced origin %d of %d regions",
                             r->origin, sim->n_regions);
    }
    if (in->model_name) {
        r->model = torta_catalog_model(sim->catalog, in->model_name);
        if (r->model < 0)
            return torta_err_set(e, TORTA_EINPUT, "%s:%d: model: unknown model \"%s\"",
                                 torta_source_describe(sim->source), in->src_line, in->model_name);
    } else {
        r->model = in->model >= 0 ? in->model : pick_model(sim);
    }
    int32_t prompt = r->input_tokens;
    int reject = torta_limits_arrival(sim, r);
    if (r->input_tokens != prompt) /* truncated: it keeps the newest tokens, not the prefix */
        r->prefix_ids = NULL;
    sim->arrived++;
    torta_sim_count_in_system(sim, +1);
    torta_region_state *og = &sim->region_pub[r->origin];
    og->arrivals_slot += 1;
    og->arrival_tokens_slot += (double)r->input_tokens + r->output_tokens;
    og->arrival_work_slot += torta_sim_ref_work_s(sim, r, r->origin);
    if (reject) {
        int rc = finish(sim, ri, TORTA_REQ_REJECTED_OVER_CONTEXT, e);
        return rc ? rc : pull_next(sim, e);
    }

    int dest = sim->macro->route(sim->macro_self, r, &sim->view);
    if (dest < 0 || dest >= sim->n_regions)
        return torta_err_set(e, TORTA_EINTERNAL, "macro scheduler %s routed request %llu to region %d",
                             sim->macro->name, (unsigned long long)r->id, dest);
    r->serve_region = dest;
    r->net_in_s = transfer_s(sim, r->origin, dest, sim->bytes_per_token * r->input_tokens);
    int rc = r->net_in_s > 0 ? torta_sim_push(sim, sim->now + r->net_in_s, EV_REACH, 0, ri, e)
                             : reach(sim, ri, e);
    if (rc)
        return rc;
    return pull_next(sim, e);
}

/* Displaced requests (a chain through `next`) start over: placed again in their region. */
static int restart_displaced(torta_sim *sim, int32_t ri, torta_err *e)
{
    int rc = 0;
    while (ri >= 0 && !rc) {
        int32_t nxt = sim->req[ri].next;
        sim->req[ri].retries++;
        sim->retries++;
        sim->req[ri].server = -1;
        sim->req[ri].generated = 0; /* its KV cache died with the server: start over */
        sim->req[ri].recompute = 0;
        rc = place(sim, ri, 0, e);
        ri = nxt;
    }
    return rc;
}

/* Server s fails (or, from MTBF, fails and schedules its repair): its requests start over. */
static int server_fail(torta_sim *sim, int s, int random_fault, torta_err *e)
{
    int region = sim->server_pub[s].region;
    int32_t ri;
    int went_down = torta_server_fail(sim, s, &ri);
    sim->failures += went_down;
    if (went_down)
        torta_capacity_refresh_alive(sim, s);
    int rc = restart_displaced(sim, ri, e);
    /* The region's queue cannot wait for servers that are gone: pass it on. */
    if (!rc && sim->region_pub[region].n_alive == 0)
        rc = torta_sim_retry_deferred(sim, region, e);
    if (!rc)
        torta_capacity_check_drained(sim, s);
    if (!rc && random_fault)
        rc = torta_sim_push(sim, sim->now + gsl_ran_exponential(sim->rng_faults, sim->mttr_s),
                            EV_RECOVER, 1, s, e);
    return rc;
}

/* Retries region g's deferred requests, and those held anywhere because no region had a live
 * server. */
static int retry_after_capacity(torta_sim *sim, int region, torta_err *e)
{
    int rc = torta_sim_retry_deferred(sim, region, e);
    for (int g = 0; !rc && g < sim->n_regions; g++)
        if (g != region && sim->region_pub[g].n_alive == 0 && sim->region_pub[g].deferred > 0)
            rc = torta_sim_retry_deferred(sim, g, e);
    return rc;
}

int torta_sim_capacity_added(torta_sim *sim, int s, torta_err *e)
{
    return retry_after_capacity(sim, sim->server_pub[s].region, e);
}

int torta_sim_hand_back(torta_sim *sim, int s, torta_err *e)
{
    int32_t ri;
    torta_server_evict(sim, s, &ri);
    return restart_displaced(sim, ri, e);
}

static int server_recover(torta_sim *sim, int s, int random_fault, torta_err *e)
{
    if (torta_server_recover(sim, s))
        torta_capacity_refresh_alive(sim, s);
    int region = sim->server_pub[s].region, rc = 0;
    if (random_fault) {
        double mtbf = sim->mtbf_s_g[sim->server_pub[s].gpu];
        rc = torta_sim_push(sim, sim->now + gsl_ran_exponential(sim->rng_faults, mtbf), EV_FAIL, 1, s, e);
    }
    if (!rc && sim->server_pub[s].alive)
        rc = retry_after_capacity(sim, region, e);
    return rc;
}

/* Executes the macro scheduler's migrations: from region i, the region queue's youngest
 * requests first, then the youngest of its longest server queues. */
static int migrate_queued(torta_sim *sim, torta_err *e)
{
    int R = sim->n_regions;
    memset(sim->moves, 0, sizeof(double) * (size_t)R * R);
    int rc = sim->macro->migrate(sim->macro_self, &sim->view, sim->moves, e);
    if (rc)
        return torta_err_prefix(e, "macro scheduler %s (migrate)", sim->macro->name);
    for (int i = 0; i < R; i++) {
        torta_region_state *g = &sim->region_pub[i];
        for (int j = 0; j < R; j++) {
            long n = (long)floor(sim->moves[(size_t)i * R + j]);
            if (i == j || n <= 0 || sim->region_pub[j].n_alive == 0)
                continue;
            for (long k = 0; k < n && !rc; k++) {
                int32_t ri = -1;
                if (sim->region_defer_head[i] >= 0) {
                    int32_t prev = -1;
                    ri = sim->region_defer_head[i];
                    while (sim->req[ri].next >= 0) {
                        prev = ri;
                        ri = sim->req[ri].next;
                    }
                    if (prev >= 0)
                        sim->req[prev].next = -1;
                    else
                        sim->region_defer_head[i] = -1;
                    sim->region_defer_tail[i] = prev;
                    g->deferred--;
                } else {
                    int best = -1;
                    for (int s = g->first_server; s < g->first_server + g->n_servers; s++)
                        if (sim->server_pub[s].queued > 0 &&
                            (best < 0 || sim->server_pub[s].queued > sim->server_pub[best].queued))
                            best = s;
                    if (best < 0)
                        break; /* nothing waiting any more */
                    ri = torta_server_take_youngest(sim, best);
                }
                rc = torta_sim_migrate(sim, ri, j, e);
            }
        }
    }
    return rc;
}

int torta_sim_kv_transfer(torta_sim *sim, int32_t ri, int to, torta_err *e)
{
    torta_request *r = &sim->req[ri];
    double bytes = ((double)r->input_tokens + r->generated) * sim->catalog->models[r->model].kv_bytes_per_token;
    r->server = to;
    r->live_migrations++;
    sim->live_migrations++;
    sim->kv_bytes_moved += bytes;
    torta_ledger_migration(sim->ledger, r->serve_region, bytes / 1e9 * sim->intra_usd_per_gb, 0);
    return torta_sim_push(sim, sim->now + bytes * 8.0 / sim->intra_bps, EV_KV_ARRIVE, 0, ri, e);
}

/* A live-migrated request's KV cache reached its new server (or a server that failed
 * meanwhile: then it starts over in the region like any displaced request). */
static int kv_arrive(torta_sim *sim, int32_t ri, torta_err *e)
{
    torta_request *r = &sim->req[ri];
    int s = r->server;
    if (sim->server_pub[s].alive)
        return torta_server_enqueue_resumed(sim, s, ri, e);
    r->generated = 0;
    r->recompute = 0;
    r->retries++;
    sim->retries++;
    r->server = -1;
    int rc = place(sim, ri, 0, e);
    return rc > 0 ? 0 : rc;
}

/* Every scheduler.rebalance_s: the micro scheduler may move running requests between servers. */
static int rebalance(torta_sim *sim, torta_err *e)
{
    enum { MAX_MOVES = 16 };
    int32_t moves[2 * MAX_MOVES];
    for (int g = 0; g < sim->n_regions; g++) {
        const torta_region_state *reg = &sim->region_pub[g];
        if (reg->n_alive < 2)
            continue;
        int n = sim->micro->rebalance(sim->micro_self, g, &sim->view, moves, MAX_MOVES);
        for (int k = 0; k < n && k < MAX_MOVES; k++) {
            int from = moves[2 * k], to = moves[2 * k + 1];
            int lo = reg->first_server, hi = lo + reg->n_servers;
            if (from < lo || from >= hi || to < lo || to >= hi || from == to ||
                !sim->server_pub[from].alive || !sim->server_pub[to].alive)
                return torta_err_set(e, TORTA_EINTERNAL, "micro scheduler %s asked to move a "
                                     "request from server %d to %d, not two live servers of region %s",
                                     sim->micro->name, from, to, reg->name);
            int rc = torta_server_mark_migration(sim, from, to, e);
            if (rc < 0)
                return rc;
        }
    }
    return torta_sim_push(sim, sim->now + sim->rebalance_s, EV_REBALANCE, 0, 0, e);
}

/* The ledger bills the slot [start, end), then metrics write it. */
static int close_slot(torta_sim *sim, double start, double end, torta_err *e)
{
    int rc = torta_ledger_close_slot(sim->ledger, sim, start, end, e);
    return rc ? rc : torta_metrics_slot(sim->metrics, sim, start, end, e);
}

static int slot_tick(torta_sim *sim, torta_err *e)
{
    int64_t k = (int64_t)llround(sim->now / sim->slot_s);
    /* slots.csv grows with simulated time, not with requests: say so once when a trace's idle
     * gaps make it far larger than the work done. */
    if (!sim->warned_slots && k >= 1000000 && k > 100 * (sim->arrived + 1) && sim->warn) {
        char msg[300];
        snprintf(msg, sizeof msg, "slots.csv has %lld slots (x %d regions) for %lld requests: it "
                 "grows with simulated time (slot_s = %g s), not with the work done; raise --slot-s "
                 "or cut the trace's idle gaps", (long long)k, sim->n_regions,
                 (long long)sim->arrived, sim->slot_s);
        sim->warn(sim->warn_ud, msg);
        sim->warned_slots = 1;
    }
    if (k > 0) {
        int rc = close_slot(sim, (double)(k - 1) * sim->slot_s, sim->now, e);
        if (rc)
            return rc;
    }
    int R = sim->n_regions, H = sim->view.hist_len;
    memmove(sim->demand_hist + R, sim->demand_hist, sizeof(double) * (size_t)R * (H - 1));
    for (int g = 0; g < R; g++) {
        sim->demand_hist[g] = sim->region_pub[g].arrival_work_slot;
        sim->region_pub[g].arrivals_last_slot = sim->region_pub[g].arrivals_slot;
        sim->region_pub[g].arrivals_slot = 0;
        sim->region_pub[g].arrival_tokens_slot = 0;
        sim->region_pub[g].arrival_work_slot = 0;
    }
    sim->slot = k;
    sim->view.slot = k;
    if (sim->macro->plan) {
        int rc = sim->macro->plan(sim->macro_self, &sim->view, e);
        if (rc)
            return torta_err_prefix(e, "macro scheduler %s, slot %lld", sim->macro->name, (long long)k);
    }
    if (sim->macro->migrate) {
        int rc = migrate_queued(sim, e);
        if (rc)
            return rc;
    }
    int rc = torta_capacity_slot(sim, e);
    if (rc)
        return rc;
    if (sim->source_done && sim->in_flight == 0)
        return 0;
    if (sim->q.n == 0 && !sim->have_next && sim->timers.pending == 0 && sim->in_flight > 0)
        return torta_err_set(e, TORTA_EINTERNAL,
                             "invariant progress: %lld requests in flight at t=%.6f but nothing is "
                             "scheduled to happen", (long long)sim->in_flight, sim->now);
    return torta_sim_push(sim, (double)(k + 1) * sim->slot_s, EV_SLOT, 0, 0, e);
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void show_progress(const torta_sim *sim, double t0, int final)
{
    double el = wall_s() - t0;
    double horizon = torta_source_expected_duration_s(sim->source);
    char pct[32] = "";
    if (horizon > 0)
        snprintf(pct, sizeof pct, " %5.1f%%", fmin(100.0, 100.0 * sim->now / horizon));
    fprintf(stderr, "\r[torta-sim] t=%.0f s%s  %lld done  %lld in flight  %.2f M events/s   %s",
            sim->now, pct, (long long)sim->completed, (long long)sim->in_flight,
            el > 0 ? sim->events / el / 1e6 : 0.0, final ? "\n" : "");
    fflush(stderr);
}

int torta_sim_loop(torta_sim *sim, int progress, torta_err *e)
{
    /* The first slot opens before any arrival, so an arrival at t = 0 counts in slot 0. */
    int rc = torta_sim_push(sim, 0.0, EV_SLOT, 0, 0, e);
    if (!rc && sim->micro->rebalance)
        rc = torta_sim_push(sim, sim->rebalance_s, EV_REBALANCE, 0, 0, e);
    if (!rc)
        rc = pull_next(sim, e);
    double t0 = wall_s(), last = t0;
    torta_event ev;
    while (!rc && next_event(sim, &ev)) {
        if (ev.t < sim->now)
            return torta_err_set(e, TORTA_EINTERNAL, "invariant clock: event at %.9f after %.9f",
                                 ev.t, sim->now);
        if (sim->stop_flag && *sim->stop_flag) {
            sim->interrupted = 1;
            break;
        }
        sim->now = ev.t;
        sim->view.now_s = ev.t;
        sim->events++;
        uint64_t tb;
        memcpy(&tb, &ev.t, sizeof tb);
        sim->fingerprint = torta_mix64(sim->fingerprint ^ tb ^ ((uint64_t)ev.type << 56) ^ (uint64_t)ev.a);
        switch (ev.type) {
        case EV_ARRIVAL:
            rc = arrival(sim, e);
            break;
        case EV_SLOT:
            rc = slot_tick(sim, e);
            break;
        case EV_REACH:
            rc = reach(sim, (int32_t)ev.a, e);
            break;
        case EV_FAIL:
            rc = server_fail(sim, (int)ev.a, ev.tag == 1, e);
            break;
        case EV_RECOVER:
            rc = server_recover(sim, (int)ev.a, ev.tag == 1, e);
            break;
        case EV_REBALANCE:
            rc = rebalance(sim, e);
            break;
        case EV_KV_ARRIVE:
            rc = kv_arrive(sim, (int32_t)ev.a, e);
            break;
        case EV_POWER_READY:
        case EV_SPOT_NOTICE:
        case EV_SPOT_STOP:
            rc = torta_capacity_on_event(sim, (int)ev.type, ev.tag, (int)ev.a, e);
            break;
        default:
            rc = torta_server_on_event(sim, (int)ev.a, (int)ev.type, e);
            if (torta_timers_seq(&sim->timers, (int)ev.a) == ev.seq)
                torta_timers_clear(&sim->timers, (int)ev.a); /* not rescheduled */
            break;
        }
        if (sim->source_done && sim->in_flight == 0)
            break; /* pending slot ticks and fault events change nothing any more */
        if (progress && (sim->events & 0xFFFF) == 0) {
            double w = wall_s();
            if (w - last > 0.5) {
                show_progress(sim, t0, 0);
                last = w;
            }
        }
    }
    if (progress)
        show_progress(sim, t0, 1);
    if (rc)
        return rc;
    /* Close the last, partial slot. */
    double start = (double)sim->slot * sim->slot_s;
    if (sim->now > start)
        rc = close_slot(sim, start, sim->now, e);
    return rc;
}
