/* Micro baseline `lect`: least expected completion time. For each live server of the region,
 * expected completion = its outstanding work (server-seconds on that server) + this request's
 * service estimate on that server (prefill of its input, decode of its output at a reference
 * batch of 16, from the server's own GPU/model/TP profile, as the core estimates work); the
 * minimum wins, lowest index on ties. Speed-aware: an H100 server finishes the same backlog and
 * the same request sooner than an A100 one, which least-loaded (tokens) and jsq (requests)
 * ignore. Servers that cannot hold the request's model are skipped unless none can; model
 * switching is not priced (`affinity` does that). */
#include <stdlib.h>

#include "torta/sched.h"

typedef struct {
    int n_models;
    double *coef; /* per server and model: prefill p0, p1, p2, decode s/token; tok = 0: cannot hold */
} lect;

static void destroy(void *self)
{
    lect *l = self;
    if (l)
        free(l->coef);
    free(l);
}

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    const torta_view *v = env->view;
    lect *l = calloc(1, sizeof *l);
    if (!l)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = l;
    l->n_models = v->catalog->n_models;
    if (!(l->coef = calloc((size_t)v->n_servers * l->n_models * 4, sizeof *l->coef)))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory for %d servers", v->n_servers);
    for (int s = 0; s < v->n_servers; s++)
        for (int m = 0; m < l->n_models; m++) {
            torta_perf pf;
            torta_err pe;
            if (torta_catalog_perf(v->catalog, v->servers[s].gpu, m, v->servers[s].tp, &pf, &pe) != 0)
                continue;
            double *c = &l->coef[((size_t)s * l->n_models + m) * 4];
            c[0] = pf.p0;
            c[1] = pf.p1;
            c[2] = pf.p2;
            c[3] = (pf.d0 + pf.d1 * 16 + pf.d2 * 16 * 1500.0) / 16.0;
        }
    return 0;
}

/* Seconds server s needs for request r alone; negative when it cannot hold r's model. */
static double service_s(const lect *l, int s, const torta_request *r)
{
    const double *c = &l->coef[((size_t)s * l->n_models + r->model) * 4];
    double in = r->input_tokens;
    return c[3] > 0 ? c[0] + c[1] * in + c[2] * in * in + r->output_tokens * c[3] : -1;
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    const lect *l = self;
    const torta_region_state *g = &v->regions[region];
    int best = TORTA_DEFER, best_fits = 0;
    double best_t = 0;
    for (int s = g->first_server; s < g->first_server + g->n_servers; s++) {
        const torta_server_state *st = &v->servers[s];
        if (!st->alive)
            continue;
        double svc = service_s(l, s, r);
        int fits = svc >= 0;
        double t = st->outstanding_work_s + (fits ? svc : 0);
        if (best == TORTA_DEFER || fits > best_fits || (fits == best_fits && t < best_t)) {
            best = s;
            best_fits = fits;
            best_t = t;
        }
    }
    return best;
}

const torta_micro_ops torta_micro_lect = {
    .name = "lect",
    .summary = "least expected completion time: outstanding work + this request's service "
               "estimate on each server (speed-aware)",
    .init = init,
    .pick = pick,
    .destroy = destroy,
};
