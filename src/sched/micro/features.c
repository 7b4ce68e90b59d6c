/* Candidate evaluation shared by the `affinity` and `torta-rl` micro allocators (features.h).
 *
 * Service estimates replicate the core's (src/core/world.c): the profile of (GPU, model, TP)
 * from the catalogue, prefill p0 + p1 in + p2 in^2, and per output token the iteration time of
 * a reference batch of 16 requests of 1,500 context tokens, divided by 16. Model load times come
 * from the view (weight bytes / server.load_gb_per_s). */
#include "sched/micro/features.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/catalog.h"
#include "torta/json.h"
#include "torta/rng.h"

static const char *const GREEDY_KEYS[] = {"overlap", "switch_penalty_s", "activate_penalty_s",
                                          "beta_util", "theta", "hold_s"};
#define N_GREEDY_KEYS (sizeof GREEDY_KEYS / sizeof GREEDY_KEYS[0])

const char *const micro_feature_names[MICRO_N_FEATURES] = {
    "wait_s", "work_rel_s", "queue", "kv_frac", "model_match", "model_resident",
    "load_s", "since_change_s", "rel_speed", "service_s", "util", "loading_left_s", "greedy_rel"};

#define SINCE_CAP_S 3600.0

int micro_params_parse(const cJSON *params, const char *const *extra, micro_params *p,
                       torta_err *e)
{
    const char *w = "scheduler.micro_params";
    const char *keys[N_GREEDY_KEYS + 16];
    size_t n = 0;
    for (size_t i = 0; i < N_GREEDY_KEYS; i++)
        keys[n++] = GREEDY_KEYS[i];
    for (size_t i = 0; extra && extra[i] && n < N_GREEDY_KEYS + 15; i++)
        keys[n++] = extra[i];
    keys[n] = NULL;
    if (params && !cJSON_IsObject(params))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an object", w);
    int rc = params ? torta_json_check_keys(params, w, keys, e) : 0;
    if (!rc) rc = torta_json_num(params, "overlap", w, 0, 1, 0, 0.8, &p->overlap, e);
    if (!rc) rc = torta_json_num(params, "switch_penalty_s", w, 0, 1e6, 0, 30.0, &p->switch_penalty_s, e);
    if (!rc) rc = torta_json_num(params, "activate_penalty_s", w, 0, 1e6, 0, 5.0, &p->activate_penalty_s, e);
    if (!rc) rc = torta_json_num(params, "beta_util", w, 0, 1e6, 0, 1.0, &p->beta_util, e);
    if (!rc) rc = torta_json_num(params, "theta", w, 1, 1e3, 0, 1.5, &p->theta, e);
    if (!rc) rc = torta_json_num(params, "hold_s", w, 0, 1e7, 0, 60.0, &p->hold_s, e);
    return rc;
}

int micro_est_init(micro_est *m, const torta_view *v, const micro_params *p, torta_err *e)
{
    memset(m, 0, sizeof *m);
    m->prm = *p;
    m->v = v;
    const torta_catalog *cat = v->catalog;
    int S = m->n_servers = v->n_servers, M = m->n_models = cat->n_models;
    for (int g = 0; g < v->n_regions; g++)
        if (v->regions[g].n_servers > m->max_region)
            m->max_region = v->regions[g].n_servers;
    if (m->max_region < 1)
        m->max_region = 1;
    size_t sm = (size_t)S * (size_t)M;
    m->pre = calloc(sm * 3, sizeof(double));
    m->tok_s = calloc(sm, sizeof(double));
    m->load_s = calloc((size_t)M, sizeof(double));
    m->tail_model = malloc(sizeof(int32_t) * (size_t)S);
    m->change_s = malloc(sizeof(double) * (size_t)S);
    m->cand = calloc((size_t)m->max_region, sizeof *m->cand);
    m->feats = calloc((size_t)m->max_region * MICRO_N_FEATURES, sizeof(double));
    if (!m->pre || !m->tok_s || !m->load_s || !m->tail_model || !m->change_s || !m->cand || !m->feats)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory for %d servers", S);
    for (int k = 0; k < M; k++)
        m->load_s[k] = v->model_load_s[k];
    for (int s = 0; s < S; s++) {
        const torta_server_state *st = &v->servers[s];
        m->tail_model[s] = -1;
        m->change_s[s] = -INFINITY;
        for (int k = 0; k < M; k++) {
            torta_perf pf;
            torta_err pe;
            if (torta_catalog_perf(cat, st->gpu, k, st->tp, &pf, &pe) != 0)
                continue; /* the model does not fit this server: tok_s stays 0 */
            size_t i = (size_t)s * M + k;
            m->pre[3 * i] = pf.p0;
            m->pre[3 * i + 1] = pf.p1;
            m->pre[3 * i + 2] = pf.p2;
            m->tok_s[i] = (pf.d0 + pf.d1 * 16 + pf.d2 * 16 * 1500.0) / 16.0;
        }
    }
    return 0;
}

void micro_est_free(micro_est *m)
{
    free(m->pre);
    free(m->tok_s);
    free(m->load_s);
    free(m->tail_model);
    free(m->change_s);
    free(m->cand);
    free(m->feats);
    memset(m, 0, sizeof *m);
}

/* The model server s will be running when a request placed now reaches the head of its queue. */
static int upcoming_model(const micro_est *m, int s)
{
    const torta_server_state *st = &m->v->servers[s];
    return st->queued > 0 && m->tail_model[s] >= 0 ? m->tail_model[s] : st->resident_model;
}

static double last_change_s(const micro_est *m, int s)
{
    return fmax(m->v->servers[s].last_switch_s, m->change_s[s]);
}

static double loading_left_s(const micro_est *m, int s)
{
    const torta_server_state *st = &m->v->servers[s];
    if (!st->loading || st->resident_model < 0)
        return 0.0;
    return fmax(0.0, m->load_s[st->resident_model] - (m->v->now_s - st->last_switch_s));
}

static void evaluate(const micro_est *m, const torta_request *r, int s, micro_cand *c)
{
    const torta_view *v = m->v;
    const torta_server_state *st = &v->servers[s];
    const micro_params *p = &m->prm;
    size_t i = (size_t)s * m->n_models + r->model;
    double in = r->input_tokens, need = in + r->output_tokens;
    c->server = s;
    c->match = upcoming_model(m, s) == r->model;
    c->resident = (st->resident_mask >> r->model & 1) != 0;
    /* A same-model request joins the running batch (continuous batching) unless the KV cache is
     * full; any other waits for the whole backlog to drain. */
    int joins = c->match && st->kv_used_tokens + need <= st->kv_cap_tokens;
    c->wait_s = st->outstanding_work_s * (joins ? 1.0 - p->overlap : 1.0) + loading_left_s(m, s);
    c->switch_s = !c->resident ? m->load_s[r->model] + p->switch_penalty_s
                  : !c->match  ? p->activate_penalty_s
                               : 0.0;
    c->service_s = m->pre[3 * i] + m->pre[3 * i + 1] * in + m->pre[3 * i + 2] * in * in +
                   r->output_tokens * m->tok_s[i];
    double j = c->wait_s + c->switch_s + c->service_s + p->beta_util * st->util_last_slot;
    if (!c->match && v->now_s - last_change_s(m, s) < p->hold_s)
        j *= p->theta;
    c->score = j;
}

int micro_est_candidates(micro_est *m, const torta_request *r, int region)
{
    const torta_region_state *g = &m->v->regions[region];
    int n = 0, any_fit = 0;
    for (int s = g->first_server; s < g->first_server + g->n_servers; s++)
        if (m->v->servers[s].alive && m->tok_s[(size_t)s * m->n_models + r->model] > 0)
            any_fit = 1;
    for (int s = g->first_server; s < g->first_server + g->n_servers; s++) {
        if (!m->v->servers[s].alive ||
            (any_fit && !(m->tok_s[(size_t)s * m->n_models + r->model] > 0)))
            continue;
        evaluate(m, r, s, &m->cand[n++]);
    }
    m->n_cand = n;
    return n;
}

int micro_est_best(const micro_est *m)
{
    int best = 0;
    for (int k = 1; k < m->n_cand; k++)
        if (m->cand[k].score < m->cand[best].score)
            best = k;
    return best;
}

void micro_est_features(micro_est *m, const torta_request *r)
{
    const torta_view *v = m->v;
    int n = m->n_cand;
    double wmin = INFINITY, jmin = INFINITY, tok_mean = 0;
    for (int k = 0; k < n; k++) {
        int s = m->cand[k].server;
        wmin = fmin(wmin, v->servers[s].outstanding_work_s);
        jmin = fmin(jmin, m->cand[k].score);
        tok_mean += m->tok_s[(size_t)s * m->n_models + r->model];
    }
    tok_mean /= n > 0 ? n : 1;
    for (int k = 0; k < n; k++) {
        const micro_cand *c = &m->cand[k];
        const torta_server_state *st = &v->servers[c->server];
        double tok = m->tok_s[(size_t)c->server * m->n_models + r->model];
        double *f = m->feats + (size_t)k * MICRO_N_FEATURES;
        f[0] = log1p(c->wait_s);
        f[1] = log1p(fmax(0.0, st->outstanding_work_s - wmin));
        f[2] = log1p((double)st->queued + st->running);
        f[3] = st->kv_cap_tokens > 0 ? fmin(st->kv_used_tokens / st->kv_cap_tokens, 2.0) : 2.0;
        f[4] = c->match;
        f[5] = c->resident;
        f[6] = c->resident ? 0.0 : log1p(m->load_s[r->model]);
        f[7] = log1p(fmin(v->now_s - last_change_s(m, c->server), SINCE_CAP_S));
        f[8] = tok > 0 ? tok_mean / tok : 0.0;
        f[9] = log1p(c->service_s);
        f[10] = st->util_last_slot;
        f[11] = log1p(loading_left_s(m, c->server));
        f[12] = log1p(c->score - jmin); /* the greedy's view: a starting point to refine */
    }
}

void micro_est_placed(micro_est *m, const torta_request *r, int s)
{
    if (s < 0 || s >= m->n_servers)
        return;
    if (upcoming_model(m, s) != r->model)
        m->change_s[s] = m->v->now_s;
    m->tail_model[s] = r->model;
}

void micro_fingerprint(const torta_view *v, char *out, size_t n)
{
    const torta_catalog *cat = v->catalog;
    uint64_t h = TORTA_FNV_OFFSET;
    for (int i = 0; i < MICRO_N_FEATURES; i++)
        h = torta_fnv1a(h, micro_feature_names[i], strlen(micro_feature_names[i]) + 1);
    for (int k = 0; k < cat->n_models; k++) {
        const torta_model *md = &cat->models[k];
        h = torta_fnv1a(h, md->name, strlen(md->name) + 1);
        h = torta_fnv1a(h, &md->weight_bytes, sizeof md->weight_bytes);
        h = torta_fnv1a(h, &md->kv_bytes_per_token, sizeof md->kv_bytes_per_token);
    }
    snprintf(out, n, "micro/F%d/M%d/%016llx", MICRO_N_FEATURES, cat->n_models,
             (unsigned long long)h);
}
