/* Saturation throughput measured with the server model itself: a one-server harness that feeds
 * server.c through its hooks, with no network, scheduler or metrics around it. */
#include "core/saturation.h"

#include <stdlib.h>
#include <string.h>

#include "torta/rng.h"

int torta_saturation_sample(const torta_run_opts *o, uint64_t seed, int n_regions, const double *tz,
                            int max, torta_req_in **out, int *n, torta_err *e)
{
    torta_source *src = NULL;
    int rc = o->trace_path ? torta_source_open_trace(o->trace_path, &o->trace, &src, e)
                           : torta_source_open_synthetic(o->workload_spec, seed, n_regions, tz, &src, e);
    torta_req_in *v = rc ? NULL : malloc(sizeof *v * (size_t)max);
    if (!rc && !v)
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    int k = 0;
    while (!rc && k < max) {
        int got = torta_source_next(src, &v[k], e);
        if (got < 0)
            rc = got;
        if (got <= 0)
            break;
        v[k].origin_name = v[k].model_name = NULL; /* they point into the reader's buffer */
        v[k].prefix_ids = NULL;
        k++;
    }
    if (src)
        torta_source_close(src);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}

typedef struct harness {
    int done;
    double *finish_s;
} harness;

static int on_complete(torta_sim *m, int32_t req, torta_err *e)
{
    harness *h = m->hooks.ud;
    h->finish_s[h->done++] = m->now;
    return 0;
}

static int on_kv_transfer(torta_sim *m, int32_t req, int to, torta_err *e)
{
    return torta_err_set(e, TORTA_EINTERNAL, "saturation harness: a request left its only server");
}

static int on_freed(torta_sim *m, int s, torta_err *e)
{
    return 0;
}

/* Runs the harness: every request queued at t = 0, events until the server is idle. */
static int drain_all(torta_sim *m, int n, torta_err *e)
{
    for (int32_t i = 0; i < n; i++) {
        int rc = torta_server_enqueue(m, 0, i, e);
        if (rc)
            return rc;
    }
    while (m->timers.pending) {
        uint64_t seq = torta_timers_seq(&m->timers, 0);
        m->now = m->timers.when[0];
        int rc = torta_server_on_event(m, 0, (int)m->timers.type[0], e);
        if (rc)
            return rc;
        if (torta_timers_seq(&m->timers, 0) == seq)
            torta_timers_clear(&m->timers, 0);
    }
    return 0;
}

int torta_saturation_rps(const torta_sim *w, int s, const torta_req_in *sample, int n, double *rps,
                         torta_err *e)
{
    if (w->mode != TORTA_SERVICE_BATCHING) { /* one request at a time: exactly 1 / mean service */
        *rps = 1.0 / w->service_mean_s;
        return 0;
    }
    *rps = 0;
    int M = w->n_models, model = w->server_pub[s].resident_model;
    torta_sim m;
    memset(&m, 0, sizeof m);
    torta_region_state reg = {.name = "saturation", .n_servers = 1, .n_alive = 1};
    torta_server_state pub = {.gpu = w->server_pub[s].gpu, .tp = w->server_pub[s].tp, .alive = 1,
                              .power = TORTA_POWER_ACTIVE, .resident_model = -1};
    torta_server sv = {.mem_budget_bytes = w->servers[s].mem_budget_bytes, .batching = w->servers[s].batching};
    harness h = {0, malloc(sizeof(double) * (size_t)(n ? n : 1))};
    m.catalog = w->catalog;
    m.n_regions = m.n_servers = 1;
    m.n_models = M;
    m.region_pub = &reg;
    m.server_pub = &pub;
    m.servers = &sv;
    m.perf_sm = w->perf_sm + (size_t)s * M;
    m.kv_cap_sm = w->kv_cap_sm + (size_t)s * M;
    m.est_tok_s_sm = w->est_tok_s_sm + (size_t)s * M;
    m.load_s_m = w->load_s_m;
    m.mode = w->mode;
    m.max_batch = w->max_batch;
    m.max_resident = w->max_resident;
    m.service_mean_s = w->service_mean_s;
    m.hooks = (torta_server_hooks){on_complete, on_kv_transfer, on_freed, &h};
    m.req = calloc((size_t)(n ? n : 1), sizeof *m.req);
    sv.last_used = calloc((size_t)M, sizeof(double));
    m.rng_service = torta_rng_stream(w->seed, "saturation");
    int rc = 0;
    if (!h.finish_s || !m.req || !sv.last_used || !m.rng_service || torta_eventq_init(&m.q, 16) ||
        torta_timers_init(&m.timers, 1))
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    if (!rc)
        rc = torta_server_init(&m, 0, model, e);
    int k = 0;
    for (int i = 0; i < n && !rc; i++) {
        torta_request *r = &m.req[k];
        r->id = (uint64_t)k;
        r->input_tokens = sample[i].input_tokens;
        r->output_tokens = sample[i].output_tokens;
        r->model = model;
        if (m.mode == TORTA_SERVICE_BATCHING && torta_server_kv_too_small(&m, 0, r))
            continue; /* the slot is reused by the next sample */
        r->server = r->migrate_to = r->serve_region = -1;
        k++;
    }
    if (!rc)
        rc = drain_all(&m, k, e);
    if (!rc && h.done != k)
        rc = torta_err_set(e, TORTA_EINTERNAL, "saturation harness: %d of %d requests completed", h.done, k);
    if (!rc && k > 0) {
        int a = k / 10, b = (9 * k) / 10;
        double span = h.finish_s[b] - h.finish_s[a];
        *rps = b > a && span > 0 ? (b - a) / span : k / h.finish_s[k - 1];
    }
    torta_server_free(&sv);
    torta_eventq_free(&m.q);
    torta_timers_free(&m.timers);
    if (m.rng_service)
        gsl_rng_free(m.rng_service);
    free(m.req);
    free(h.finish_s);
    return rc;
}

int torta_saturation_fill(torta_sim *w, const torta_req_in *sample, int n, torta_err *e)
{
    /* One measurement per distinct server type: a short list of the types seen so far. */
    int *first_of_type = malloc(sizeof(int) * (size_t)(w->n_servers ? w->n_servers : 1)), n_types = 0;
    if (!first_of_type)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    int rc = 0;
    for (int s = 0; s < w->n_servers && !rc; s++) {
        torta_server_state *p = &w->server_pub[s];
        int same = -1;
        for (int t = 0; t < n_types && same < 0; t++) {
            int q = first_of_type[t];
            const torta_server_state *o = &w->server_pub[q];
            if (o->gpu == p->gpu && o->tp == p->tp && o->resident_model == p->resident_model &&
                w->servers[q].mem_budget_bytes == w->servers[s].mem_budget_bytes &&
                w->servers[q].batching.policy == w->servers[s].batching.policy &&
                w->servers[q].batching.kv_policy == w->servers[s].batching.kv_policy &&
                w->servers[q].batching.kv_preempt == w->servers[s].batching.kv_preempt)
                same = q;
        }
        if (same >= 0) {
            p->sat_rps = w->server_pub[same].sat_rps;
        } else {
            first_of_type[n_types++] = s;
            rc = torta_saturation_rps(w, s, sample, n, &p->sat_rps, e);
        }
    }
    free(first_of_type);
    return rc;
}
