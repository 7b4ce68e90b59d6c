/* A GPU server: FIFO admission into an iteration-level continuous batch (vLLM-like), model
 * residency and loads, and the `exponential` / `deterministic` one-at-a-time service modes.
 *
 * No event per iteration: while the batch does not change, iteration times form an arithmetic
 * series (decode time is linear in batch size B and context C, and C grows by B per iteration;
 * with a grid profile it is constant until the mean context reaches the grid's next step, where
 * the jump ends), so the server jumps to its next completion in one event. A request that
 * arrives mid-jump and could join the batch cuts the jump short at the end of the iteration
 * under way. Work per event is O(log batch): running requests sit in a heap keyed by their last
 * iteration.
 *
 * KV cache (server.kv_policy): `reserve` holds prompt + whole output from admission on, so
 * nobody is ever preempted; `paged` (kv_blocks.h) holds blocks as tokens come and, when a decode
 * step is short of blocks (server.kv_preempt: `needed`, when the blocks it needs are not free;
 * `vllm`, vLLM's rule of one free block before each running request's step), preempts the most
 * recently admitted running requests by recompute (under sarathi, the requests still prefilling
 * first: they hold their prompt's blocks from admission). There the decode jump also stops before
 * the first iteration that would preempt. */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>

#include "cluster/server_prefix.h"
#include "core/sim.h"

static double kv_need(const torta_request *r)
{
    return (double)r->input_tokens + (double)r->output_tokens;
}

/* Tokens its next prefill runs: the prompt, plus what it had generated when a preemption
 * dropped its KV cache. */
static int64_t prefill_len(const torta_request *r)
{
    return (int64_t)r->input_tokens + (r->recompute ? r->generated : 0);
}

/* Keeps the public KV figure of a paged server (blocks held x block size) in step. */
static void kv_publish(torta_sim *sim, int s)
{
    const torta_kv_blocks *kv = sim->servers[s].kv;
    sim->server_pub[s].kv_used_tokens = (double)kv->used * kv->block_tokens;
}

int torta_server_kv_too_small(const torta_sim *sim, int s, const torta_request *r)
{
    double cap = sim->kv_cap_sm[(size_t)s * sim->n_models + r->model];
    const torta_batching *b = &sim->servers[s].batching;
    if (b->kv_policy != TORTA_KV_PAGED)
        return cap < (double)r->input_tokens + r->output_tokens;
    /* Alone on the server it must reach its last iteration, whose context is prompt + output - 1;
     * then it can never be stuck (only younger requests are preempted for it). */
    double blocks = floor(cap / b->kv_block_tokens);
    double need = ceil(((double)r->input_tokens + r->output_tokens - 1) / b->kv_block_tokens);
    return need > blocks;
}

/* Heap order of running requests: last iteration first, pool index on ties (the pool layout is
 * deterministic, so the order is too). */
static inline int run_before(const torta_run_ent *x, const torta_run_ent *y)
{
    return x->fin_iter < y->fin_iter || (x->fin_iter == y->fin_iter && x->req < y->req);
}

static int heap_push(torta_server *sv, uint64_t fin, int32_t req)
{
    if (sv->heap_n == sv->heap_cap) {
        int32_t cap = sv->heap_cap ? 2 * sv->heap_cap : 16;
        torta_run_ent *h = realloc(sv->heap, (size_t)cap * sizeof *h);
        if (!h)
            return TORTA_ENOMEM;
        sv->heap = h;
        sv->heap_cap = cap;
    }
    torta_run_ent x = {fin, req};
    int32_t i = sv->heap_n++;
    while (i > 0) {
        int32_t p = (i - 1) / 2;
        if (run_before(&sv->heap[p], &x))
            break;
        sv->heap[i] = sv->heap[p];
        i = p;
    }
    sv->heap[i] = x;
    return 0;
}

/* Removes heap entry k (live migration takes a request out of the middle of the batch). */
static void heap_remove_at(torta_server *sv, int32_t k)
{
    if (sv->heap[k].req == sv->kv_young)
        sv->kv_young = -1;
    torta_run_ent x = sv->heap[--sv->heap_n];
    if (k == sv->heap_n)
        return;
    int32_t i = k, n = sv->heap_n;
    while (i > 0) { /* up */
        int32_t p = (i - 1) / 2;
        if (run_before(&sv->heap[p], &x))
            break;
        sv->heap[i] = sv->heap[p];
        i = p;
    }
    for (;;) { /* down */
        int32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && run_before(&sv->heap[c + 1], &sv->heap[c]))
            c++;
        if (run_before(&x, &sv->heap[c]))
            break;
        sv->heap[i] = sv->heap[c];
        i = c;
    }
    sv->heap[i] = x;
}

static torta_run_ent heap_pop(torta_server *sv)
{
    torta_run_ent top = sv->heap[0];
    heap_remove_at(sv, 0);
    return top;
}

/* Keeps the server's and its region's public counters in step. */
static void adjust(torta_sim *sim, int s, int dq, int dr, double dtok, double dwork)
{
    torta_server_state *p = &sim->server_pub[s];
    torta_region_state *g = &sim->region_pub[p->region];
    p->queued += dq;
    g->queued += dq;
    p->running += dr;
    g->running += dr;
    p->outstanding_tokens += dtok;
    g->outstanding_tokens += dtok;
    p->outstanding_work_s += dwork;
    g->outstanding_work_s += dwork;
}

static void set_busy(torta_server *sv, double now)
{
    if (sv->busy_since < 0)
        sv->busy_since = now;
}

static void set_idle(torta_server *sv, double now)
{
    if (sv->busy_since >= 0) {
        sv->busy_slot_s += now - sv->busy_since;
        sv->busy_total_s += now - sv->busy_since;
        sv->busy_since = -1;
    }
}

/* Closes the occupancy interval at the end of a leading prefill iteration once time has passed
 * it, exactly as an event there would have: utilisation does not depend on the merge. */
static void occ_catch_up(torta_server *sv, double t)
{
    if (sv->occ_mark && sv->pre_end_s <= t) {
        sv->occ_area_slot += sv->occ * (sv->pre_end_s - sv->occ_since);
        sv->occ_since = sv->pre_end_s;
        sv->occ_mark = 0;
    }
}

/* Closes the occupancy interval up to sim->now and starts one at the current state. */
static void occ_touch(torta_sim *sim, int s)
{
    torta_server *sv = &sim->servers[s];
    const torta_server_state *p = &sim->server_pub[s];
    occ_catch_up(sv, sim->now);
    sv->occ_area_slot += sv->occ * (sim->now - sv->occ_since);
    sv->occ_since = sim->now;
    if (sim->mode != TORTA_SERVICE_BATCHING)
        sv->occ = p->running > 0;
    else
        sv->occ = fmax(p->kv_cap_tokens > 0 ? p->kv_used_tokens / p->kv_cap_tokens : 0.0,
                       (double)p->running / sim->max_batch);
}

double torta_server_take_utilisation(torta_sim *sim, int s, double start, double end)
{
    torta_server *sv = &sim->servers[s];
    occ_catch_up(sv, end);
    sv->occ_area_slot += sv->occ * (end - sv->occ_since);
    sv->occ_since = end;
    double u = end > start ? sv->occ_area_slot / (end - start) : 0.0;
    sv->occ_area_slot = 0;
    return u;
}

void torta_server_slot_flush(torta_sim *sim, int s, double now)
{
    torta_server *sv = &sim->servers[s];
    if (sv->busy_since >= 0) {
        sv->busy_slot_s += now - sv->busy_since;
        sv->busy_total_s += now - sv->busy_since;
        sv->busy_since = now;
    }
}

void torta_server_free(torta_server *sv)
{
    /* Writes only what was set: a set-up interrupted early leaves most of a large fleet's
     * servers untouched, and writing NULL into them would fault in every page. */
    if (sv->heap) {
        free(sv->heap);
        sv->heap = NULL;
    }
    if (sv->last_used) {
        free(sv->last_used);
        sv->last_used = NULL;
    }
    if (sv->kv) {
        torta_kv_free(sv->kv);
        sv->kv = NULL;
    }
    if (sv->prefix)
        torta_prefix_free(sv);
}

/* Model residency. A server keeps up to server.max_resident_models models in memory (LRU) and
 * serves one of them (the active model) at a time; the KV cache gets the memory the resident
 * weights leave. Activating a resident model is instant; any other model must be loaded. */

static double resident_weights(const torta_sim *sim, uint64_t mask)
{
    double w = 0;
    for (int m = 0; m < sim->n_models; m++)
        if (mask >> m & 1)
            w += sim->catalog->models[m].weight_bytes;
    return w;
}

static double kv_cap_with(const torta_sim *sim, int s, uint64_t mask, int m)
{
    double free_bytes = sim->servers[s].mem_budget_bytes - resident_weights(sim, mask);
    double cap = floor(free_bytes / sim->catalog->models[m].kv_bytes_per_token);
    return cap > 0 ? cap : 0;
}

static void activate(torta_sim *sim, int s, int m)
{
    torta_server *sv = &sim->servers[s];
    torta_server_state *p = &sim->server_pub[s];
    sv->perf = &sim->perf_sm[(size_t)s * sim->n_models + m];
    p->resident_model = m;
    p->resident_mask |= UINT64_C(1) << m;
    p->kv_cap_tokens = kv_cap_with(sim, s, p->resident_mask, m);
    sv->last_used[m] = sim->now;
    if (sv->kv) /* only with nothing running: the blocks are all free */
        torta_kv_set_capacity(sv->kv, p->kv_cap_tokens);
}

/* Evicts least-recently-used models other than `keep` until model m (resident or about to be)
 * fits with at least `need` KV tokens and the count limit holds. */
static void make_room(torta_sim *sim, int s, int m, double need)
{
    torta_server *sv = &sim->servers[s];
    torta_server_state *p = &sim->server_pub[s];
    for (;;) {
        uint64_t with = p->resident_mask | UINT64_C(1) << m;
        int count = __builtin_popcountll(with);
        if (count <= sim->max_resident && kv_cap_with(sim, s, with, m) >= need)
            return;
        int victim = -1;
        for (int k = 0; k < sim->n_models; k++)
            if (k != m && (p->resident_mask >> k & 1) &&
                (victim < 0 || sv->last_used[k] < sv->last_used[victim]))
                victim = k;
        if (victim < 0)
            return; /* only m left: the caller checked that m alone fits */
        p->resident_mask &= ~(UINT64_C(1) << victim);
    }
}

int torta_server_init(torta_sim *sim, int s, int model, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    sv->q_head = sv->q_tail = -1;
    sv->chunk_head = sv->chunk_tail = -1;
    sv->iter = 1;
    sv->busy_since = -1;
    sv->loading_model = -1;
    sv->kv_young = -1;
    if (sim->mode == TORTA_SERVICE_BATCHING && sv->batching.kv_policy == TORTA_KV_PAGED && !sv->kv) {
        sv->kv = torta_kv_new(sv->batching.kv_block_tokens, sv->batching.kv_watermark);
        if (!sv->kv)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    activate(sim, s, model);
    if (sim->mode == TORTA_SERVICE_BATCHING && sim->server_pub[s].kv_cap_tokens <= 0)
        return torta_err_set(e, TORTA_EINPUT, "server %d in region %s cannot hold model %s",
                             sim->server_pub[s].index_in_region,
                             sim->region_pub[sim->server_pub[s].region].name,
                             sim->catalog->models[model].name);
    return 0;
}

/* Sets (or moves) the server's timer: the end of its segment or load at time t. */
static int set_timer(torta_sim *sim, int s, double t, int type, torta_err *e)
{
    uint64_t seq = torta_eventq_take_seq(&sim->q); /* its place among equal times */
    if (seq == UINT64_MAX)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory (event queue)");
    torta_timers_set(&sim->timers, s, t, seq, (uint32_t)type);
    return 0;
}

static int schedule_at(torta_sim *sim, int s, double t, int type, torta_err *e)
{
    sim->servers[s].active = 1;
    return set_timer(sim, s, t, type, e);
}

static int schedule(torta_sim *sim, int s, double dur, int type, torta_err *e)
{
    return schedule_at(sim, s, sim->now + dur, type, e);
}

static int start_load(torta_sim *sim, int s, int m, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    sv->loading_model = m;
    sim->server_pub[s].resident_model = m; /* what it will serve: schedulers see it coming */
    sv->switches++;
    sv->switches_slot++;
    sim->server_pub[s].loading = 1;
    sim->server_pub[s].last_switch_s = sim->now;
    return schedule(sim, s, sim->load_s_m[m], EV_LOAD_DONE, e);
}

/* paged: the running request admitted last (the next to be preempted). */
static const torta_request *kv_youngest(torta_sim *sim, int s)
{
    torta_server *sv = &sim->servers[s];
    if (sv->kv_young >= 0)
        return &sim->req[sv->kv_young];
    int32_t young = sv->heap[0].req;
    for (int32_t k = 1; k < sv->heap_n; k++)
        if (sim->req[sv->heap[k].req].admit_seq > sim->req[young].admit_seq)
            young = sv->heap[k].req;
    sv->kv_young = young;
    return &sim->req[young];
}

/* paged: whether the batch is held to vLLM's rule (kv_preempt vllm). A request alone is not:
 * vLLM would preempt it once its blocks fill the cache and could never readmit it (its recompute
 * needs them all), while alone it fits (placement checked its last iteration). */
static int kv_rule_vllm(const torta_server *sv)
{
    return sv->batching.kv_preempt == TORTA_KV_PREEMPT_VLLM && sv->kv->n > 1;
}

/* paged: how many iterations from kv->from on the batch can run on the free blocks without a
 * preemption. */
static uint64_t kv_room(torta_sim *sim, int s)
{
    const torta_kv_blocks *kv = sim->servers[s].kv;
    int64_t free_blocks = kv->n_blocks - kv->used;
    if (kv_rule_vllm(&sim->servers[s]))
        return torta_kv_room_vllm(kv, kv->from, free_blocks, kv_youngest(sim, s)->ctx_base);
    return torta_kv_room(kv, kv->from, free_blocks);
}

/* Sum of the first k iteration times of the current decode segment. */
static double seg_time(const torta_server *sv, uint64_t k)
{
    double kd = (double)k;
    return kd * sv->seg_alpha + sv->seg_beta * kd * (kd - 1.0) * 0.5;
}

/* The decode jump of server s from iteration i with b requests whose contexts sum to
 * dec_s + b i: it runs until the first of them finishes. */
static void set_decode(torta_sim *sim, int s, uint64_t i, int32_t b_count, int64_t dec_s)
{
    torta_server *sv = &sim->servers[s];
    const torta_perf *p = sv->perf;
    double b = b_count, ctx = (double)dec_s + b * (double)i;
    sv->seg_first = i;
    sv->seg_n = sv->heap[0].fin_iter - i + 1;
    if (sv->kv) { /* paged: end before the first iteration that would preempt */
        uint64_t room = kv_room(sim, s);
        if (room != UINT64_MAX && sv->kv->from + room - i < sv->seg_n)
            sv->seg_n = sv->kv->from + room - i;
    }
    sv->seg_prefill = 0;
    if (p->grid) { /* constant until the mean context reaches the grid's next step */
        int64_t c_next;
        sv->seg_alpha = torta_perf_grid_decode_s(p->grid, b_count, (int64_t)ctx, &c_next);
        sv->seg_beta = 0;
        uint64_t steps = (uint64_t)((c_next - (int64_t)ctx + b_count - 1) / b_count);
        if (steps < sv->seg_n)
            sv->seg_n = steps;
        return;
    }
    sv->seg_alpha = p->d0 + p->d1 * b + p->d2 * ctx;
    sv->seg_beta = p->d2 * b;
}

/* paged: the blocks request r takes when it joins the batch at iteration sv->iter: its prefill's
 * (prompt, plus the tokens generated before a preemption), or, resumed with its KV cache after a
 * live migration, its context through the last iteration already accounted (kv->from - 1). */
static int64_t kv_join_blocks(const torta_server *sv, const torta_request *r)
{
    if (r->generated > 0 && !r->recompute)
        return torta_kv_blocks_for(sv->kv, (int64_t)r->input_tokens + r->generated - 1 +
                                               (int64_t)(sv->kv->from - sv->iter));
    return torta_kv_blocks_for(sv->kv, prefill_len(r));
}

/* paged: an admission leaves the watermark free, as vLLM's, except on a server that holds
 * nothing: there a request only has to fit, so no request waits forever for the watermark. */
static int kv_fits(const torta_server *sv, const torta_server_state *pub, const torta_request *r)
{
    const torta_kv_blocks *kv = sv->kv;
    int64_t need = kv_join_blocks(sv, r);
    if (pub->running == 0)
        return need <= kv->n_blocks;
    return need + kv->watermark_blocks <= kv->n_blocks - kv->used;
}

/* Whether the queue head r may join the batch now: 1 yes, 0 it waits, 2 a load of its model has
 * started, < 0 an error. Makes its model active first when that costs nothing. */
static int head_admissible(torta_sim *sim, int s, const torta_request *r, torta_err *e)
{
    torta_server_state *pub = &sim->server_pub[s];
    if (r->model != pub->resident_model) {
        if (pub->running > 0)
            return 0; /* head-of-line: the batch drains before the model is switched */
        make_room(sim, s, r->model, kv_need(r));
        if (!(pub->resident_mask >> r->model & 1)) {
            int rc = start_load(sim, s, r->model, e);
            return rc ? rc : 2;
        }
        activate(sim, s, r->model);
    }
    torta_server *sv = &sim->servers[s];
    if (sv->kv) {
        /* Its last iteration must fit the cache, or it could end up alone and short of a block.
         * Placement checked that it does with its model alone in memory; other resident models
         * may leave less: then the batch drains and they are evicted. */
        int64_t last = torta_kv_blocks_for(sv->kv, (int64_t)r->input_tokens + r->output_tokens - 1);
        if (last > sv->kv->n_blocks) {
            if (pub->running > 0)
                return 0;
            make_room(sim, s, r->model, (double)last * sv->kv->block_tokens);
            activate(sim, s, r->model);
        }
        return pub->running < sim->max_batch && kv_fits(sv, pub, r);
    }
    return pub->running < sim->max_batch && pub->kv_used_tokens + kv_need(r) <= pub->kv_cap_tokens;
}

/* Moves the queue head into the batch, its whole KV need reserved. */
static torta_request *admit_head(torta_sim *sim, int s)
{
    torta_server *sv = &sim->servers[s];
    torta_request *r = &sim->req[sv->q_head];
    sv->q_head = r->next;
    if (sv->q_head < 0)
        sv->q_tail = -1;
    adjust(sim, s, -1, +1, 0, 0);
    if (!sv->kv)
        sim->server_pub[s].kv_used_tokens += kv_need(r);
    if (sv->kv) {
        r->admit_seq = ++sv->kv->admissions;
        sv->kv_young = (int32_t)(r - sim->req);
    }
    if (sv->perf->fit_max_batch > 0 && sim->server_pub[s].running > sv->perf->fit_max_batch)
        r->beyond_fit |= TORTA_BEYOND_FIT_BATCH;
    if (r->generated == 0 && !r->recompute) {
        r->admit_s = sim->now;
        r->switch_s = sv->load_total_s - r->load_mark_s;
        r->prefilled = 0;
        if (sv->prefix) { /* the prompt's cached prefix counts as prefilled already */
            torta_prefix_admit(sim, s, r);
            r->prefilled = r->cached_tokens;
        }
    } else if (r->recompute) {
        r->prefilled = 0; /* a recompute prefills its whole context */
    }
    return r;
}

/* A request resumed after a live migration decodes from iteration i: its KV cache came along. */
static int join_resumed(torta_server *sv, torta_request *r, int32_t ri, uint64_t i)
{
    r->admit_iter = i;
    r->ctx_base = (int64_t)r->input_tokens + r->generated - (int64_t)i;
    sv->dec_b++;
    sv->dec_s += r->ctx_base;
    if (sv->kv)
        torta_kv_join(sv->kv, r->ctx_base, sv->kv->from - 1);
    return heap_push(sv, i + (uint64_t)(r->output_tokens - r->generated) - 1, ri);
}

/* Request ri's prompt is prefilled by the iteration that ends token iteration i and gives its
 * first token: it decodes from iteration i + 1 and gives its last token in iteration
 * i + output - 1. It joins the decoding set at the end of the segment (pre_n, pre_s). A request
 * preempted after g tokens prefills prompt + g tokens, which gives its token g + 1. */
static int prefill_done(torta_server *sv, torta_request *r, int32_t ri, uint64_t i)
{
    int64_t len = prefill_len(r), done = r->recompute ? r->generated : 0;
    r->recompute = 0;
    r->admit_iter = i;
    r->ctx_base = len - (int64_t)i;
    sv->pre_n++;
    sv->pre_s += r->ctx_base;
    if (sv->kv)
        torta_kv_join(sv->kv, r->ctx_base, i);
    return heap_push(sv, i + (uint64_t)(r->output_tokens - done) - 1, ri);
}

/* paged: whether the running requests, `need` of which cross a block boundary in iteration i,
 * are short of blocks. `needed`: when they need more than are free. `vllm` (vLLM v0's
 * can_append_slots, Vidur's vllm scheduler): going through them in admission order, one block
 * must be free before each, whether it takes one or not; the youngest comes last and finds
 * free - (need - c) blocks, c = 1 when it crosses itself. */
static int kv_short(torta_sim *sim, int s, uint64_t i, int64_t need)
{
    const torta_kv_blocks *kv = sim->servers[s].kv;
    int64_t free_blocks = kv->n_blocks - kv->used;
    if (!kv_rule_vllm(&sim->servers[s]))
        return need > free_blocks;
    return need - torta_kv_crosses(kv, kv_youngest(sim, s)->ctx_base, i) > free_blocks - 1;
}

/* paged sarathi: takes the most recently admitted of the requests still prefilling off the chunk
 * list and frees the blocks its prompt holds (-1 when none is prefilling). */
static int32_t take_youngest_chunk(torta_sim *sim, int s)
{
    torta_server *sv = &sim->servers[s];
    int32_t best = -1, best_prev = -1;
    for (int32_t prev = -1, ri = sv->chunk_head; ri >= 0; prev = ri, ri = sim->req[ri].next)
        if (best < 0 || sim->req[ri].admit_seq > sim->req[best].admit_seq) {
            best = ri;
            best_prev = prev;
        }
    if (best < 0)
        return -1;
    int32_t nxt = sim->req[best].next;
    if (best_prev >= 0)
        sim->req[best_prev].next = nxt;
    else
        sv->chunk_head = nxt;
    if (sv->chunk_tail == best)
        sv->chunk_tail = best_prev;
    sv->kv->used -= torta_kv_blocks_for(sv->kv, prefill_len(&sim->req[best]));
    if (sv->kv_young == best)
        sv->kv_young = -1;
    return best;
}

/* paged: before decode iteration i, each running request whose context crosses a block boundary
 * needs a new block. While the batch is short of blocks (kv_short), the most recently admitted
 * running request is preempted, as vLLM's scheduler does: its blocks are freed, it keeps the
 * tokens it generated and goes back to the head of the queue (the earliest admitted first), to
 * prefill prompt + generated tokens again when it is readmitted. Under `vllm` this frees the same
 * requests as vLLM's loop, which preempts the most recent request not yet gone through whenever
 * the one at hand finds no block: the free blocks only shrink along the batch, so the check that
 * binds is the youngest survivor's. Then the blocks of iteration i are taken and accounting goes
 * on from i + 1. */
static int kv_preempt(torta_sim *sim, int s, uint64_t i, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    torta_kv_blocks *kv = sv->kv;
    int64_t need = torta_kv_crossings(kv, i, i + 1);
    int32_t front = -1; /* the preempted, youngest first: each goes in front of the previous */
    while (kv_short(sim, s, i, need)) {
        /* sarathi: the requests still prefilling hold their prompt's blocks; admitted last, they
         * go first. */
        int32_t ri = take_youngest_chunk(sim, s);
        if (ri < 0) {
            if (sv->heap_n <= 1)
                return torta_err_set(e, TORTA_EINTERNAL, "invariant KV: server %d of region %s cannot "
                                     "give its one running request a block (%lld of %lld held) at t=%.6f",
                                     sim->server_pub[s].index_in_region,
                                     sim->region_pub[sim->server_pub[s].region].name, (long long)kv->used,
                                     (long long)kv->n_blocks, sim->now);
            int32_t k = 0;
            for (int32_t j = 1; j < sv->heap_n; j++)
                if (sim->req[sv->heap[j].req].admit_seq > sim->req[sv->heap[k].req].admit_seq)
                    k = j;
            ri = sv->heap[k].req;
            torta_request *r = &sim->req[ri];
            heap_remove_at(sv, k);
            need -= torta_kv_crosses(kv, r->ctx_base, i);
            torta_kv_leave(kv, r->ctx_base, i - 1);
            sv->dec_b--;
            sv->dec_s -= r->ctx_base;
            r->generated += (int32_t)(i - r->admit_iter);
            if (r->migrate_to >= 0) { /* it was to leave with a KV cache it no longer has */
                r->migrate_to = -1;
                sv->pending_out--;
            }
        }
        torta_request *r = &sim->req[ri];
        r->recompute = 1;
        sim->kv_preemptions++;
        sim->kv_preempted_requests += r->preemptions++ == 0;
        adjust(sim, s, +1, -1, 0, 0);
        r->next = front;
        front = ri;
    }
    if (front >= 0) { /* the chain goes ahead of the queue */
        int32_t last = front;
        while (sim->req[last].next >= 0)
            last = sim->req[last].next;
        sim->req[last].next = sv->q_head;
        if (sv->q_head < 0)
            sv->q_tail = last;
        sv->q_head = front;
    }
    kv->used += need;
    torta_kv_note_peak(kv);
    kv->from = i + 1;
    kv_publish(sim, s);
    return 0;
}

/* The segment that starts with a prefill iteration of duration dur ending token iteration
 * tok_iter. When nobody finishes or leaves at its end, the decode jump follows in the same event,
 * with the times an event there would have computed; otherwise it is a segment of its own. */
static int schedule_prefill(torta_sim *sim, int s, double dur, uint64_t tok_iter, int may_merge,
                            torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    set_busy(sv, sim->now);
    if (may_merge && sv->pending_out == 0 && sv->heap[0].fin_iter > tok_iter) {
        double pre_end = sim->now + dur;
        set_decode(sim, s, tok_iter + 1, sv->dec_b + sv->pre_n, sv->dec_s + sv->pre_s);
        sv->lead_prefill = sv->occ_mark = 1;
        sv->pre_end_s = sv->seg_start = pre_end;
        return schedule_at(sim, s, pre_end + seg_time(sv, sv->seg_n), EV_SERVER, e);
    }
    /* Iterations [seg_first, tok_iter + 1): one for mixed and sarathi, none for vllm's
     * prefill-only iteration, which gives the running requests no token. */
    sv->seg_first = sv->iter;
    sv->seg_n = tok_iter + 1 - sv->iter;
    sv->seg_prefill = 1;
    sv->seg_alpha = dur;
    sv->seg_beta = 0;
    sv->seg_start = sim->now;
    return schedule(sim, s, dur, EV_SERVER, e);
}

/* The prefills of the chain from ri end at t: first tokens, and their blocks join the server's
 * prefix cache then. */
static int stamp_first_tokens(torta_sim *sim, int s, int32_t ri, double t, torta_err *e)
{
    int rc = 0;
    for (; ri >= 0 && !rc; ri = sim->req[ri].next) {
        sim->req[ri].first_token_s = t;
        if (sim->servers[s].prefix)
            rc = torta_prefix_prefilled(sim, s, ri, t, e);
    }
    return rc;
}

/* Appends ri to a list chained through `next`. */
static void chain(torta_sim *sim, int32_t *head, int32_t *tail, int32_t ri)
{
    sim->req[ri].next = -1;
    if (*tail >= 0)
        sim->req[*tail].next = ri;
    else
        *head = ri;
    *tail = ri;
}

/* A prompt's last chunk ran in iteration i: it joins the batch; a fresh one (not a recompute)
 * gets its first token at the iteration's end (chained for stamp_first_tokens). */
static int prefill_done_chained(torta_sim *sim, torta_server *sv, torta_request *r, int32_t ri,
                                uint64_t i, int32_t *first, int32_t *last)
{
    int fresh = r->generated == 0;
    int rc = prefill_done(sv, r, ri, i);
    if (!rc && fresh)
        chain(sim, first, last, ri);
    return rc;
}

/* mixed and vllm: whole prompts. mixed runs the admitted prefills with one decode step of the
 * running requests; vllm runs them alone (a prefill-only iteration between decode iterations i-1
 * and i, so its first tokens count as given "at" i - 1). */
static int plan_whole_prefills(torta_sim *sim, int s, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    int prefill_only = sv->batching.policy == TORTA_BATCHING_VLLM;
    uint64_t i = sv->iter, tok_iter = prefill_only ? i - 1 : i;
    double limit = sv->batching.max_prefill_tokens, prompt = 0;
    double prompts = 0, longest = 0; /* for prefill_count padded */
    int32_t first = -1, last = -1; /* admitted for prefill, to stamp their first token below */
    int at_limit = 0;              /* the head waits for prompt-token room only */
    if (sv->kv) {
        /* Blocks are accounted through iteration i - 1. Under mixed the running requests'
         * decode step in iteration i gets its blocks before anyone is admitted; under vllm it
         * comes only if nobody is (below). */
        torta_kv_account(sv->kv, i);
        sv->kv->from = i;
        if (!prefill_only) {
            int rc = kv_preempt(sim, s, i, e);
            if (rc)
                return rc;
        }
    }
    while (sv->q_head >= 0) {
        int32_t ri = sv->q_head;
        torta_request *r = &sim->req[ri];
        int ok = head_admissible(sim, s, r, e);
        if (ok == 0)
            break;
        if (ok != 1)
            return ok == 2 ? 0 : ok;
        int resumed = r->generated > 0 && !r->recompute; /* live-migrated with its KV cache */
        /* k tokens of a new prompt found in the prefix cache are not computed again (a recomputed
         * request computes its whole context) */
        double k = r->generated == 0 && sv->prefix ? torta_prefix_cached_tokens(sim, s, r) : 0;
        double in = (double)prefill_len(r) - k;
        double longer = in > longest ? in : longest;
        double counted = sv->batching.prefill_padded ? (prompts + 1) * longer : prompt + in;
        if (limit > 0 && !resumed && prompt > 0 && counted > limit) {
            at_limit = 1;
            break;
        }
        admit_head(sim, s);
        int rc;
        if (resumed) {
            rc = join_resumed(sv, r, ri, i);
        } else {
            int fresh = r->generated == 0; /* a recomputed request keeps its first token */
            /* After k cached tokens, attention over the in new ones counts in (2k + in), as a chunk. */
            prompt += in;
            prompts++;
            longest = longer;
            sv->pre_p += in;
            sv->pre_q += in * (2 * k + in);
            rc = prefill_done(sv, r, ri, tok_iter);
            if (fresh)
                chain(sim, &first, &last, ri);
        }
        if (rc)
            return torta_err_set(e, rc, "out of memory");
        if (sv->kv)
            kv_publish(sim, s);
    }
    int readmit = 0; /* vllm: the queue head is admitted at the next boundary */
    if (sv->kv && prefill_only && sv->pre_n == 0) { /* vllm: a decode iteration after all */
        int64_t before = sim->kv_preemptions;
        int rc = kv_preempt(sim, s, i, e);
        if (rc)
            return rc;
        /* Under kv_preempt vllm with no watermark, the blocks the preempted leave after this
         * iteration may already readmit the first of them (at the queue head). */
        readmit = sim->kv_preemptions > before &&
                  kv_fits(sv, &sim->server_pub[s], &sim->req[sv->q_head]);
    }
    if (sv->pre_n > 0) {
        double b = prefill_only ? 0 : sv->dec_b, ctx = prefill_only ? 0 : (double)sv->dec_s + b * (double)i;
        double dur = torta_perf_iter_s(sv->perf, sv->pre_p, sv->pre_q, b, ctx);
        int rc = stamp_first_tokens(sim, s, first, sim->now + dur, e);
        return rc ? rc : schedule_prefill(sim, s, dur, tok_iter, !at_limit && (!sv->kv || kv_room(sim, s) > 0), e);
    }
    if (sv->dec_b > 0) {
        set_decode(sim, s, i, sv->dec_b, sv->dec_s);
        if (readmit)
            sv->seg_n = 1;
        set_busy(sv, sim->now);
        sv->seg_start = sim->now;
        return schedule(sim, s, seg_time(sv, sv->seg_n), EV_SERVER, e);
    }
    return 0;
}

/* Gives request r the next chunk of its prompt, at most `left` tokens. Attention over a chunk of
 * c tokens after k prefilled ones counts c (2k + c) in Q, so a prompt's chunks sum to the
 * unchunked prompt's P and Q. Returns the chunk. */
static int64_t give_chunk(torta_server *sv, torta_request *r, int64_t left)
{
    int64_t k = r->prefilled, c = prefill_len(r) - k;
    if (c > left)
        c = left;
    sv->pre_p += (double)c;
    sv->pre_q += (double)c * (double)(2 * k + c);
    r->prefilled += (int32_t)c;
    return c;
}

/* sarathi: every iteration decodes every running request and spends the rest of the token budget
 * (server.chunk_tokens) on prompt chunks: first of the requests already prefilling, in admission
 * order, then of newly admitted ones. Prefilling iterations are one event each; decode-only
 * stretches are jumped over as in the other policies. */
static int plan_chunked(torta_sim *sim, int s, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    uint64_t i = sv->iter;
    int64_t budget = sv->batching.chunk_tokens, used = 0;
    int32_t first = -1, last = -1; /* fresh prompts completed this iteration */
    int rc = 0, out_of_budget = 0;
    if (sv->kv) { /* paged: as under mixed, the decode step of iteration i gets its blocks first */
        torta_kv_account(sv->kv, i);
        sv->kv->from = i;
        if ((rc = kv_preempt(sim, s, i, e)))
            return rc;
    }
    while (sv->chunk_head >= 0 && budget - sv->dec_b - used > 0 && !rc) {
        int32_t ri = sv->chunk_head;
        torta_request *r = &sim->req[ri];
        used += give_chunk(sv, r, budget - sv->dec_b - used);
        if (r->prefilled < prefill_len(r))
            break; /* the budget is spent */
        sv->chunk_head = r->next;
        if (sv->chunk_head < 0)
            sv->chunk_tail = -1;
        if (sv->kv) /* its prompt's blocks, held since admission, pass to the batch (join) */
            sv->kv->used -= torta_kv_blocks_for(sv->kv, prefill_len(r));
        rc = prefill_done_chained(sim, sv, r, ri, i, &first, &last);
    }
    while (sv->q_head >= 0 && !rc) {
        if (budget - sv->dec_b - used <= 0) {
            out_of_budget = 1;
            break;
        }
        int32_t ri = sv->q_head;
        torta_request *r = &sim->req[ri];
        int ok = head_admissible(sim, s, r, e);
        if (ok == 0)
            break;
        if (ok != 1)
            return ok == 2 ? 0 : ok;
        admit_head(sim, s);
        if (r->generated > 0 && !r->recompute) { /* live-migrated with its KV cache */
            rc = join_resumed(sv, r, ri, i);
            continue;
        }
        used += give_chunk(sv, r, budget - sv->dec_b - used);
        if (r->prefilled < prefill_len(r)) {
            chain(sim, &sv->chunk_head, &sv->chunk_tail, ri);
            if (sv->kv) { /* paged: the whole prompt's blocks from admission on, as vLLM */
                sv->kv->used += torta_kv_blocks_for(sv->kv, prefill_len(r));
                torta_kv_note_peak(sv->kv);
            }
        } else {
            rc = prefill_done_chained(sim, sv, r, ri, i, &first, &last);
        }
        if (sv->kv)
            kv_publish(sim, s);
    }
    if (rc)
        return torta_err_set(e, rc, "out of memory");
    if (used > 0) {
        double b = sv->dec_b, ctx = (double)sv->dec_s + b * (double)i;
        double dur = torta_perf_iter_s(sv->perf, sv->pre_p, sv->pre_q, b, ctx);
        if ((rc = stamp_first_tokens(sim, s, first, sim->now + dur, e)))
            return rc;
        /* A decode jump may follow only if no prompt is left, the next boundary would admit
         * nothing (the queue's head waits for KV or batch room, not for budget) and, paged, the
         * next iteration has its blocks. */
        return schedule_prefill(sim, s, dur, i, sv->chunk_head < 0 && !out_of_budget &&
                                                    (!sv->kv || kv_room(sim, s) > 0), e);
    }
    if (sv->dec_b > 0) {
        set_decode(sim, s, i, sv->dec_b, sv->dec_s);
        set_busy(sv, sim->now);
        sv->seg_start = sim->now;
        return schedule(sim, s, seg_time(sv, sv->seg_n), EV_SERVER, e);
    }
    return 0;
}

/* At an iteration boundary with nothing scheduled: admit what fits and schedule what follows. */
static int plan_segment(torta_sim *sim, int s, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    torta_server_state *pub = &sim->server_pub[s];
    if (sim->mode != TORTA_SERVICE_BATCHING) {
        if (pub->running > 0 || sv->q_head < 0)
            return 0;
        int32_t ri = sv->q_head;
        torta_request *r = &sim->req[ri];
        sv->q_head = r->next;
        if (sv->q_head < 0)
            sv->q_tail = -1;
        adjust(sim, s, -1, +1, 0, 0);
        double d = sim->mode == TORTA_SERVICE_EXPONENTIAL
                       ? gsl_ran_exponential(sim->rng_service, sim->service_mean_s)
                       : sim->service_mean_s;
        r->admit_s = sim->now;
        r->first_token_s = r->finish_s = sim->now + d;
        int rc = heap_push(sv, 0, ri);
        if (rc)
            return torta_err_set(e, rc, "out of memory");
        set_busy(sv, sim->now);
        sv->seg_start = sim->now;
        return schedule(sim, s, d, EV_SERVER, e);
    }
    int rc = sv->batching.policy == TORTA_BATCHING_SARATHI ? plan_chunked(sim, s, e)
                                                            : plan_whole_prefills(sim, s, e);
    if (!rc && sv->kv && sv->kv->used > sv->kv->n_blocks)
        return torta_err_set(e, TORTA_EINTERNAL, "invariant KV: server %d of region %s holds %lld KV "
                             "blocks, above its capacity %lld, at t=%.6f", pub->index_in_region,
                             sim->region_pub[pub->region].name, (long long)sv->kv->used,
                             (long long)sv->kv->n_blocks, sim->now);
    if (!rc && pub->kv_used_tokens > pub->kv_cap_tokens)
        return torta_err_set(e, TORTA_EINTERNAL, "invariant KV: server %d of region %s holds %.0f KV "
                             "tokens, above its capacity %.0f, at t=%.6f", pub->index_in_region,
                             sim->region_pub[pub->region].name, pub->kv_used_tokens, pub->kv_cap_tokens,
                             sim->now);
    return rc;
}

static int plan(torta_sim *sim, int s, torta_err *e)
{
    occ_catch_up(&sim->servers[s], sim->now); /* before plan_segment may set a new mark */
    int rc = plan_segment(sim, s, e);
    occ_touch(sim, s);
    return rc;
}

/* Ends the decode jump under way at the end of its current iteration (the batch is about to
 * change). */
static int cut_jump(torta_sim *sim, int s, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    if (!sv->active || sim->server_pub[s].loading || sv->seg_prefill)
        return 0;
    if (sv->lead_prefill && sim->now < sv->pre_end_s) {
        /* Still in the leading prefill iteration: the segment ends with it after all. */
        sv->lead_prefill = sv->occ_mark = 0;
        sv->seg_n = sv->seg_first - sv->iter; /* as schedule_prefill's segment of its own */
        sv->seg_first = sv->iter;
        sv->seg_prefill = 1;
        return set_timer(sim, s, sv->pre_end_s, EV_SERVER, e);
    }
    if (sv->seg_n <= 1)
        return 0;
    double elapsed = sim->now - sv->seg_start;
    double a = sv->seg_alpha, b = sv->seg_beta, k;
    if (b > 0) {
        double lin = a - 0.5 * b;
        k = floor((-lin + sqrt(lin * lin + 2.0 * b * elapsed)) / b);
    } else {
        k = floor(elapsed / a);
    }
    if (!(k >= 0))
        k = 0;
    uint64_t done = k > (double)(sv->seg_n - 1) ? sv->seg_n - 1 : (uint64_t)k;
    while (done + 1 < sv->seg_n && seg_time(sv, done + 1) <= elapsed)
        done++;
    while (done > 0 && seg_time(sv, done) > elapsed)
        done--;
    uint64_t n = done + 1; /* finish the iteration under way */
    if (n >= sv->seg_n)
        return 0;
    sv->seg_n = n;
    return set_timer(sim, s, sv->seg_start + seg_time(sv, n), EV_SERVER, e);
}

/* A request that would join the batch at the next boundary cuts a long decode jump short. */
static int maybe_cut_jump(torta_sim *sim, int s, const torta_request *r, torta_err *e)
{
    const torta_server_state *pub = &sim->server_pub[s];
    if (r->model != pub->resident_model || pub->running >= sim->max_batch)
        return 0;
    /* paged: the blocks free at the last boundary; fewer are free by the next one, so this may
     * cut a jump for a request that still waits, which changes nothing but an event. */
    if (sim->servers[s].kv ? !kv_fits(&sim->servers[s], pub, r)
                           : pub->kv_used_tokens + kv_need(r) > pub->kv_cap_tokens)
        return 0;
    return cut_jump(sim, s, e);
}

int torta_server_mark_migration(torta_sim *sim, int from, int to, torta_err *e)
{
    torta_server *sv = &sim->servers[from];
    if (sim->mode != TORTA_SERVICE_BATCHING || !sv->active || sv->seg_prefill ||
        (sv->lead_prefill && sim->now < sv->pre_end_s) || sim->server_pub[from].loading)
        return 0; /* only a decoding batch has running state worth moving */
    uint64_t end = sv->seg_first + sv->seg_n;
    int32_t best = -1;
    for (int32_t k = 0; k < sv->heap_n; k++) {
        const torta_request *r = &sim->req[sv->heap[k].req];
        if (r->migrate_to >= 0 || sv->heap[k].fin_iter < end)
            continue; /* already leaving, or done by the end of this segment anyway */
        if (best < 0 || r->ctx_base < sim->req[best].ctx_base ||
            (r->ctx_base == sim->req[best].ctx_base && sv->heap[k].req < best))
            best = sv->heap[k].req;
    }
    if (best < 0)
        return 0;
    sim->req[best].migrate_to = to;
    sv->pending_out++;
    int rc = cut_jump(sim, from, e);
    return rc ? rc : 1;
}

/* At an iteration boundary: marked requests leave with their KV cache. */
static int send_marked(torta_sim *sim, int s, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    torta_server_state *pub = &sim->server_pub[s];
    for (int32_t k = 0; k < sv->heap_n && sv->pending_out > 0;) {
        int32_t ri = sv->heap[k].req;
        torta_request *r = &sim->req[ri];
        if (r->migrate_to < 0 || sv->heap[k].fin_iter < sv->iter) {
            k++;
            continue; /* finishing now: completes here instead */
        }
        int to = r->migrate_to;
        heap_remove_at(sv, k); /* the entry moved into k is examined next */
        sv->dec_b--;
        sv->dec_s -= r->ctx_base;
        if (sv->kv) {
            torta_kv_leave(sv->kv, r->ctx_base, sv->iter - 1);
            kv_publish(sim, s);
        } else {
            pub->kv_used_tokens -= kv_need(r);
        }
        adjust(sim, s, 0, -1, -kv_need(r), -r->est_work_s);
        r->generated += (int32_t)(sv->iter - r->admit_iter);
        r->migrate_to = -1;
        sv->pending_out--;
        int rc = sim->hooks.kv_transfer(sim, ri, to, e);
        if (rc)
            return rc;
    }
    return 0;
}

int torta_server_enqueue_resumed(torta_sim *sim, int s, int32_t ri, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    torta_request *r = &sim->req[ri];
    r->server = s;
    r->load_mark_s = sv->load_total_s;
    r->est_work_s = torta_server_est_work_s(sim, s, r);
    r->next = sv->q_head; /* ahead of requests that have not started */
    sv->q_head = ri;
    if (sv->q_tail < 0)
        sv->q_tail = ri;
    adjust(sim, s, +1, 0, kv_need(r), r->est_work_s);
    if (!sv->active)
        return plan(sim, s, e);
    return maybe_cut_jump(sim, s, r, e);
}

double torta_server_est_work_s(const torta_sim *sim, int s, const torta_request *r)
{
    if (sim->mode != TORTA_SERVICE_BATCHING)
        return sim->service_mean_s;
    size_t sm = (size_t)s * sim->n_models + r->model;
    const torta_perf *p = &sim->perf_sm[sm];
    double in = r->input_tokens;
    if (r->generated > 0) /* resumed: no prefill, fewer tokens to go */
        return (r->output_tokens - r->generated) * sim->est_tok_s_sm[sm];
    return p->p0 + p->p1 * in + p->p2 * in * in + r->output_tokens * sim->est_tok_s_sm[sm];
}

double torta_sim_ref_work_s(const torta_sim *sim, const torta_request *r, int region)
{
    const torta_region_state *g = &sim->region_pub[region];
    return torta_server_est_work_s(sim, g->n_servers > 0 ? g->first_server : 0, r);
}

int torta_server_enqueue(torta_sim *sim, int s, int32_t ri, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    torta_request *r = &sim->req[ri];
    r->server = s;
    r->enqueue_s = sim->now;
    r->load_mark_s = sv->load_total_s;
    r->next = -1;
    r->est_work_s = torta_server_est_work_s(sim, s, r);
    int was_empty = sv->q_head < 0;
    if (sv->q_tail >= 0)
        sim->req[sv->q_tail].next = ri;
    else
        sv->q_head = ri;
    sv->q_tail = ri;
    adjust(sim, s, +1, 0, kv_need(r), r->est_work_s);
    if (!sv->active)
        return plan(sim, s, e);
    if (was_empty && sim->mode == TORTA_SERVICE_BATCHING)
        return maybe_cut_jump(sim, s, r, e);
    return 0;
}

/* The scheduled segment (or load) of server s ended at sim->now. */
int torta_server_on_event(torta_sim *sim, int s, int type, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    torta_server_state *pub = &sim->server_pub[s];
    sv->active = 0;
    if (sv->prefix) /* the prefills that ended insert their blocks before anyone leaves */
        torta_prefix_sync(sim, s);
    if (type == EV_LOAD_DONE) {
        int m = sv->loading_model;
        double d = sim->load_s_m[m];
        sv->loading_model = -1;
        pub->loading = 0;
        sv->load_total_s += d;
        sv->load_slot_s += d;
        activate(sim, s, m);
        return plan(sim, s, e);
    }
    int completed = 0;
    if (sim->mode != TORTA_SERVICE_BATCHING) {
        torta_run_ent x = heap_pop(sv);
        torta_request *r = &sim->req[x.req];
        adjust(sim, s, 0, -1, -kv_need(r), -r->est_work_s);
        int rc = sim->hooks.complete(sim, x.req, e);
        if (rc)
            return rc;
        completed = 1;
    } else {
        sv->iter = sv->seg_first + sv->seg_n;
        if (sv->kv)
            torta_kv_account(sv->kv, sv->iter); /* the blocks of the iterations just run */
        if (sv->seg_prefill || sv->lead_prefill) {
            sv->lead_prefill = 0;
            sv->dec_b += sv->pre_n;
            sv->dec_s += sv->pre_s;
            sv->pre_n = 0;
            sv->pre_s = 0;
            sv->pre_p = sv->pre_q = 0;
        }
        if (sv->pending_out > 0) {
            int rc = send_marked(sim, s, e);
            if (rc)
                return rc;
        }
        while (sv->heap_n > 0 && sv->heap[0].fin_iter < sv->iter) {
            torta_run_ent x = heap_pop(sv);
            torta_request *r = &sim->req[x.req];
            sv->dec_b--;
            sv->dec_s -= r->ctx_base;
            if (sv->kv) {
                torta_kv_leave(sv->kv, r->ctx_base, sv->iter - 1);
                kv_publish(sim, s);
            } else {
                pub->kv_used_tokens -= kv_need(r);
            }
            r->finish_s = sim->now;
            if (r->migrate_to >= 0) { /* finished before it could leave */
                r->migrate_to = -1;
                sv->pending_out--;
            }
            adjust(sim, s, 0, -1, -kv_need(r), -r->est_work_s);
            int rc = sim->hooks.complete(sim, x.req, e);
            if (rc)
                return rc;
            completed = 1;
        }
    }
    if (pub->running == 0)
        set_idle(sv, sim->now);
    int rc = plan(sim, s, e);
    if (rc)
        return rc;
    return completed ? sim->hooks.freed(sim, s, e) : 0;
}

void torta_server_evict(torta_sim *sim, int s, int32_t *displaced)
{
    torta_server *sv = &sim->servers[s];
    torta_server_state *pub = &sim->server_pub[s];
    int32_t head = -1, tail = -1;
    /* The batch loses its KV cache: those requests start over. */
    for (int32_t k = 0; k < sv->heap_n; k++) {
        int32_t ri = sv->heap[k].req;
        torta_request *r = &sim->req[ri];
        adjust(sim, s, 0, -1, -kv_need(r), -r->est_work_s);
        r->migrate_to = -1;
        r->next = -1;
        if (tail >= 0)
            sim->req[tail].next = ri;
        else
            head = ri;
        tail = ri;
    }
    for (int32_t ri = sv->chunk_head; ri >= 0;) { /* admitted, prompt partly prefilled */
        torta_request *r = &sim->req[ri];
        int32_t nxt = r->next;
        adjust(sim, s, 0, -1, -kv_need(r), -r->est_work_s);
        chain(sim, &head, &tail, ri);
        ri = nxt;
    }
    for (int32_t ri = sv->q_head; ri >= 0;) {
        torta_request *r = &sim->req[ri];
        int32_t nxt = r->next;
        adjust(sim, s, -1, 0, -kv_need(r), -r->est_work_s);
        r->next = -1;
        if (tail >= 0)
            sim->req[tail].next = ri;
        else
            head = ri;
        tail = ri;
        ri = nxt;
    }
    sv->heap_n = 0;
    sv->pending_out = 0;
    sv->q_head = sv->q_tail = -1;
    sv->chunk_head = sv->chunk_tail = -1;
    sv->dec_b = sv->pre_n = 0;
    sv->dec_s = sv->pre_s = 0;
    sv->pre_p = sv->pre_q = 0;
    torta_timers_clear(&sim->timers, s); /* cancels the scheduled segment or load */
    sv->active = 0;
    sv->loading_model = -1;
    pub->loading = 0;
    pub->kv_used_tokens = 0;
    if (sv->kv)
        torta_kv_clear(sv->kv);
    sv->kv_young = -1;
    if (sv->prefix) /* its GPU memory is lost */
        torta_prefix_clear(sim, s);
    set_idle(sv, sim->now);
    occ_touch(sim, s);
    sv->lead_prefill = sv->occ_mark = 0;
    *displaced = head;
}

int torta_server_fail(torta_sim *sim, int s, int32_t *displaced)
{
    *displaced = -1;
    if (sim->servers[s].down++ > 0)
        return 0; /* already down */
    torta_server_evict(sim, s, displaced);
    return 1;
}

int torta_server_recover(torta_sim *sim, int s)
{
    torta_server *sv = &sim->servers[s];
    /* Back with its model resident: the repair time includes reloading it. */
    return sv->down > 0 && --sv->down == 0;
}

int torta_server_empty(const torta_sim *sim, int s)
{
    const torta_server_state *p = &sim->server_pub[s];
    return p->queued == 0 && p->running == 0 && !p->loading;
}

int32_t torta_server_take_youngest(torta_sim *sim, int s)
{
    torta_server *sv = &sim->servers[s];
    int32_t prev = -1, ri = sv->q_head;
    if (ri < 0)
        return -1;
    while (sim->req[ri].next >= 0) { /* singly linked: walk to the tail (rare: slot boundaries) */
        prev = ri;
        ri = sim->req[ri].next;
    }
    if (sim->req[ri].recompute)
        return -1; /* only preempted requests wait: they have started */
    if (prev >= 0)
        sim->req[prev].next = -1;
    else
        sv->q_head = -1;
    sv->q_tail = prev;
    torta_request *r = &sim->req[ri];
    adjust(sim, s, -1, 0, -kv_need(r), -r->est_work_s);
    r->server = -1;
    return ri;
}
