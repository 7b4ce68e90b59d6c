/* Servers' prefix caches in the run (see server_prefix.h for the model). */
#include "cluster/server_prefix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "torta/config.h"
#include "torta/json.h"

enum { PREFIX_MAX_BLOCKS = 1 << 20 };

/* The prompt tokens h leading blocks spare a prompt of `input` tokens: the last prompt token
 * always runs (it gives the first output token), as in vLLM. */
static int32_t tokens_of(const torta_sim *sim, int32_t h, int32_t input)
{
    int64_t t = (int64_t)h * sim->view.prefix_block_tokens;
    return t < input ? (int32_t)t : input - 1;
}

static int32_t match(torta_sim *sim, int s, const torta_request *r)
{
    torta_prefix_srv *p = sim->servers[s].prefix;
    if (!p || p->cache.cap == 0 || !r->prefix_ids || r->n_prefix_blocks <= 0)
        return 0;
    torta_prefix_sync(sim, s);
    if (r->model != p->model)
        return 0; /* its blocks are another model's KV */
    return torta_pcache_match(&p->cache, r->prefix_ids, r->n_prefix_blocks);
}

/* torta_view_prefix_blocks: schedulers read the cache as it is at the view's time. */
static int32_t view_blocks(const torta_view *v, const torta_request *r, int server)
{
    torta_sim *sim = v->prefix_ctx;
    if (!sim || server < 0 || server >= sim->n_servers)
        return 0;
    return match(sim, server, r);
}

int torta_prefix_setup(torta_sim *sim, const cJSON *cfg, torta_err *e)
{
    const cJSON *srv = torta_config_at(cfg, "server");
    long blocks = 0, block_tokens = 512;
    double share = 0;
    /* At most 2^20 blocks (512 Mi tokens, beyond any server's KV) per server: the table is
     * allocated whole, 24 bytes a block. */
    int rc = torta_json_int(srv, "prefix_cache_blocks", "server", 0, PREFIX_MAX_BLOCKS, 0, 0, &blocks, e);
    if (!rc)
        rc = torta_json_num(srv, "prefix_cache_kv_share", "server", 0, 1, 0, 0, &share, e);
    if (!rc)
        rc = torta_json_int(srv, "prefix_block_tokens", "server", 1, 1L << 20, 0, 512, &block_tokens, e);
    if (!rc && blocks > 0 && share > 0)
        rc = torta_err_set(e, TORTA_EINPUT, "server.prefix_cache_blocks (%ld) and server.prefix_cache_kv_share "
                           "(%g): set one of them, not both (blocks per server, or a share of each "
                           "server's KV capacity)", blocks, share);
    if (rc)
        return rc;
    sim->view.prefix_block_tokens = (int32_t)block_tokens;
    sim->view.prefix_blocks = view_blocks;
    sim->view.prefix_ctx = sim;
    for (int s = 0; s < sim->n_servers; s++) {
        torta_prefix_srv *p = calloc(1, sizeof *p);
        if (!p)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        sim->servers[s].prefix = p;
        p->model = -1;
        /* A share of the KV capacity for the model it starts with, in whole blocks. */
        double cap = blocks > 0 ? (double)blocks
                                : floor(share * sim->server_pub[s].kv_cap_tokens / (double)block_tokens);
        if (cap > (double)PREFIX_MAX_BLOCKS)
            cap = (double)PREFIX_MAX_BLOCKS;
        if (torta_pcache_init(&p->cache, (int32_t)cap))
            return torta_err_set(e, TORTA_ENOMEM, "out of memory for a prefix cache of %.0f blocks", cap);
        sim->server_pub[s].prefix_cache_blocks = p->cache.cap;
    }
    return 0;
}

void torta_prefix_free(torta_server *sv)
{
    if (!sv->prefix)
        return;
    torta_pcache_free(&sv->prefix->cache);
    free(sv->prefix->pending);
    free(sv->prefix);
    sv->prefix = NULL;
}

/* Touches r's blocks from its last to its first (see server_prefix.h). The blocks already held
 * are touched first: they were in use by this request, so making room for its new blocks must
 * not evict them (it evicts other blocks, unless the prompt alone outgrows the cache). */
static void insert(torta_prefix_srv *p, const torta_request *r)
{
    if (r->model != p->model) {
        torta_pcache_clear(&p->cache);
        p->model = r->model;
    }
    const uint64_t *ids = r->prefix_ids;
    for (int32_t k = r->n_prefix_blocks - 1; k >= 0; k--)
        if (torta_pcache_has(&p->cache, ids[k]))
            torta_pcache_touch(&p->cache, ids[k]);
    for (int32_t k = r->n_prefix_blocks - 1; k >= 0; k--)
        torta_pcache_touch(&p->cache, ids[k]);
}

void torta_prefix_sync(torta_sim *sim, int s)
{
    torta_prefix_srv *p = sim->servers[s].prefix;
    if (!p || p->n_pending == 0 || sim->now < p->pending_end_s)
        return;
    for (int32_t k = 0; k < p->n_pending; k++)
        insert(p, &sim->req[p->pending[k]]);
    p->n_pending = 0;
    sim->server_pub[s].prefix_held_blocks = p->cache.n;
}

int32_t torta_prefix_cached_tokens(torta_sim *sim, int s, const torta_request *r)
{
    int32_t h = match(sim, s, r);
    return h > 0 ? tokens_of(sim, h, r->input_tokens) : 0;
}

void torta_prefix_admit(torta_sim *sim, int s, torta_request *r)
{
    torta_prefix_srv *p = sim->servers[s].prefix;
    int32_t h = match(sim, s, r);
    int32_t hit = h > 0 ? tokens_of(sim, h, r->input_tokens) : 0;
    r->cached_tokens = hit;
    torta_server_state *pub = &sim->server_pub[s];
    torta_region_state *g = &sim->region_pub[pub->region];
    double in = r->input_tokens;
    pub->prefix_prompt_tokens += in;
    pub->prefix_hit_tokens += hit;
    pub->prefix_hit_rate = pub->prefix_hit_tokens / pub->prefix_prompt_tokens;
    g->prefix_prompt_tokens += in;
    g->prefix_hit_tokens += hit;
    g->prefix_hit_rate = g->prefix_hit_tokens / g->prefix_prompt_tokens;
    p->slot_prompt_tokens += in;
    p->slot_hit_tokens += hit;
    p->prompt_blocks += r->prefix_ids ? r->n_prefix_blocks : 0;
    p->hit_blocks += h;
    p->requests_hit += hit > 0;
}

int torta_prefix_prefilled(torta_sim *sim, int s, int32_t ri, double end_s, torta_err *e)
{
    torta_prefix_srv *p = sim->servers[s].prefix;
    const torta_request *r = &sim->req[ri];
    if (!p || p->cache.cap == 0 || !r->prefix_ids || r->n_prefix_blocks <= 0)
        return 0;
    torta_prefix_sync(sim, s); /* one prefill iteration at a time: earlier ones have ended */
    if (p->n_pending == p->cap_pending) {
        int32_t cap = p->cap_pending ? 2 * p->cap_pending : 16;
        int32_t *q = realloc(p->pending, sizeof *q * (size_t)cap);
        if (!q)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory (prefix cache)");
        p->pending = q;
        p->cap_pending = cap;
    }
    p->pending[p->n_pending++] = ri;
    p->pending_end_s = end_s;
    return 0;
}

void torta_prefix_clear(torta_sim *sim, int s)
{
    torta_prefix_srv *p = sim->servers[s].prefix;
    if (!p)
        return;
    torta_pcache_clear(&p->cache);
    p->n_pending = 0;
    p->model = -1;
    sim->server_pub[s].prefix_held_blocks = 0;
}

int torta_prefix_copy_ids(torta_sim *sim, int32_t ri, const torta_req_in *in, torta_err *e)
{
    torta_request *r = &sim->req[ri];
    r->prefix_ids = NULL;
    if (!in->prefix_ids || in->n_prefix_blocks <= 0)
        return 0;
    /* Allocated with the first request that has ids: workloads without any cost nothing. */
    if (!sim->req_ids && !(sim->req_ids = calloc((size_t)sim->req_cap, sizeof *sim->req_ids)))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    torta_req_ids *room = &sim->req_ids[ri];
    if (room->cap < in->n_prefix_blocks) {
        uint64_t *p = realloc(room->ids, sizeof *p * (size_t)in->n_prefix_blocks);
        if (!p)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory (%d prefix block ids)", in->n_prefix_blocks);
        room->ids = p;
        room->cap = in->n_prefix_blocks;
    }
    memcpy(room->ids, in->prefix_ids, sizeof *room->ids * (size_t)in->n_prefix_blocks);
    r->prefix_ids = room->ids;
    return 0;
}

int torta_prefix_pool_grow(torta_sim *sim, int32_t old_cap, int32_t cap)
{
    if (!sim->req_ids)
        return 0; /* no request had ids yet */
    torta_req_ids *p = realloc(sim->req_ids, sizeof *p * (size_t)cap);
    if (!p)
        return -1;
    memset(p + old_cap, 0, sizeof *p * (size_t)(cap - old_cap));
    sim->req_ids = p;
    return 0;
}

void torta_prefix_pool_free(torta_sim *sim)
{
    for (int32_t i = 0; sim->req_ids && i < sim->req_cap; i++)
        free(sim->req_ids[i].ids);
    free(sim->req_ids);
    sim->req_ids = NULL;
}
