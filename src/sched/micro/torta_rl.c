/* Micro allocator `torta-rl` (torta_rl_micro.h): evaluation with a trained softmax-candidates
 * policy, and the imitation + REINFORCE learner used by `torta-sim train --layer micro`.
 * Params (scheduler.micro_params): "policy" (file; default the shipped
 * configs/policies/micro-torta-rl.json, found as base/datadir.h says, or
 * $TORTA_POLICY_DIR/micro-torta-rl.json), "rl" (training,
 * torta_micro_rl_cfg), and the greedy's keys (features.h), which the features and the imitation
 * teacher use. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/micro/features.h"
#include "sched/micro/torta_rl_micro.h"
#include "base/datadir.h"
#include "torta/json.h"
#include "torta/policy_io.h"
#include "torta/rng.h"
#include "torta/sched.h"

#define POLICY_FILE "micro-torta-rl.json"
#define F MICRO_N_FEATURES

static const char *const OTHER_KEYS[] = {"policy", "rl", NULL};
static const char *const RL_KEYS[] = {"hidden", "activation", "lr", "batch", "imitation_episodes",
                                      "imitation_coef", "latency_ref_s", "switch_penalty_s",
                                      "max_grad_norm", "baseline_decay", NULL};

/* A training decision waiting for its request to complete. */
typedef struct decision {
    int32_t K, chosen, load, live;
    double base_s;            /* the fastest candidate's service estimate (variance reduction) */
} decision;

typedef struct micro_rl {
    micro_est est;
    char fingerprint[96];
    /* evaluation */
    torta_policy policy;
    int have_policy;
    double *sd;               /* per feature: sqrt(variance + 1e-8) of the frozen normaliser */
    double *act_a, *act_b;    /* one candidate's activations (widest layer) */
    double *wt;               /* the net's weights, each layer transposed (in x out) */
    double *scores;           /* max_region */
    double *probs;            /* softmax scratch (training) */
    /* training */
    torta_micro_learner *l;
    gsl_rng *rng;
    decision *dec;            /* by slot */
    double *dec_feats;        /* slot x max_region x F */
    int32_t *free_slots;
    size_t n_slots, n_free;
    int32_t *slot_of;         /* by request id: slot + 1 (0: none) */
    size_t n_ids;
} micro_rl;

static int parse_rl(const cJSON *r, torta_micro_rl_cfg *c, torta_err *e)
{
    const char *w = "scheduler.micro_params.rl";
    int rc = r ? torta_json_check_keys(r, w, RL_KEYS, e) : 0;
    if (!rc) rc = torta_json_int(r, "hidden", w, 1, 4096, 0, 32, &c->hidden, e);
    const char *act = "relu";
    if (!rc) rc = torta_json_str(r, "activation", w, 0, "relu", &act, e);
    if (!rc && torta_act_parse(act, &c->activation) != 0)
        rc = torta_err_set(e, TORTA_EINPUT, "%s.activation: \"%s\": expected relu or tanh", w, act);
    if (!rc) rc = torta_json_num(r, "lr", w, 1e-9, 1, 0, 1e-3, &c->lr, e);
    if (!rc) rc = torta_json_int(r, "batch", w, 1, 1 << 20, 0, 64, &c->batch, e);
    if (!rc) rc = torta_json_int(r, "imitation_episodes", w, 0, 1 << 20, 0, 3, &c->imitation_episodes, e);
    if (!rc) rc = torta_json_num(r, "imitation_coef", w, 0, 1e3, 0, 0.1, &c->imitation_coef, e);
    if (!rc) rc = torta_json_num(r, "latency_ref_s", w, 1e-6, 1e6, 0, 10.0, &c->latency_ref_s, e);
    if (!rc) rc = torta_json_num(r, "switch_penalty_s", w, 0, 1e6, 0, 30.0, &c->switch_penalty_s, e);
    if (!rc) rc = torta_json_num(r, "max_grad_norm", w, 0, 1e6, 0, 1.0, &c->max_grad_norm, e);
    if (!rc) rc = torta_json_num(r, "baseline_decay", w, 0, 0.999999, 0, 0.995, &c->baseline_decay, e);
    return rc;
}

/* configs/policies/micro-torta-rl.json among the shipped data (base/datadir.h), or in
 * $TORTA_POLICY_DIR. */
static int default_policy_path(char *out, size_t n)
{
    const char *dir = getenv("TORTA_POLICY_DIR");
    if (dir) {
        snprintf(out, n, "%s/%s", dir, POLICY_FILE);
        return 0;
    }
    torta_data_path("configs/policies/" POLICY_FILE, out, n); /* the caller reports a miss */
    return 0;
}

static int learner_ready(torta_micro_learner *l, const torta_micro_rl_cfg *cfg, const char *fp,
                         size_t max_k, torta_err *e)
{
    int rc;
    if (!l->ready) {
        l->cfg = *cfg;
        size_t sizes[4] = {F, (size_t)cfg->hidden, (size_t)cfg->hidden, 1};
        if ((rc = torta_policy_init(&l->policy, TORTA_POLICY_SOFTMAX, 4, sizes, cfg->activation, e)) != 0)
            return rc;
        l->ready = 1; /* from here on torta_micro_learner_free releases the policy */
        gsl_rng *r = torta_rng_stream(l->seed, "micro-rl.init");
        if (!r)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        rc = torta_mlp_init_orthogonal(&l->policy.net, r, sqrt(2.0), 0.01, e);
        gsl_rng_free(r);
        if (!rc)
            rc = torta_adam_init(&l->opt, l->policy.net.n_params, cfg->lr, e);
        if (!rc && !(l->fingerprint = strdup(fp)))
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        if (rc)
            return rc;
    } else if (strcmp(l->fingerprint, fp) != 0) {
        return torta_err_set(e, TORTA_EINPUT, "training episodes must share one model catalogue "
                             "(%s vs %s)", l->fingerprint, fp);
    }
    if (l->ws_cap < max_k) {
        if (l->ws_cap)
            torta_mlp_ws_free(&l->ws);
        l->ws_cap = 0;
        if ((rc = torta_mlp_ws_init(&l->ws, &l->policy.net, max_k, e)) != 0)
            return rc;
        l->ws_cap = max_k;
    }
    return 0;
}

void torta_micro_learner_free(torta_micro_learner *l)
{
    if (!l)
        return;
    if (l->ready) {
        torta_policy_free(&l->policy);
        torta_adam_free(&l->opt);
    }
    if (l->ws_cap)
        torta_mlp_ws_free(&l->ws);
    free(l->fingerprint);
    memset(l, 0, sizeof *l);
}

int torta_micro_learner_save(torta_micro_learner *l, long episodes, double seed, const char *path,
                             torta_err *e)
{
    if (!l->ready)
        return torta_err_set(e, TORTA_EINTERNAL, "micro learner: no episode ran");
    torta_policy *p = &l->policy;
    int rc = torta_policy_set_fingerprint(p, l->fingerprint, e);
    if (!rc)
        rc = torta_policy_set_features(p, F, micro_feature_names, e);
    cJSON *extra = cJSON_CreateObject();
    if (!extra)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    cJSON_AddStringToObject(extra, "layer", "micro");
    cJSON_AddStringToObject(extra, "scheduler", "torta-rl");
    cJSON_AddNumberToObject(extra, "episodes", (double)episodes);
    cJSON_AddNumberToObject(extra, "imitation_episodes", (double)l->cfg.imitation_episodes);
    cJSON_AddNumberToObject(extra, "seed", seed);
    if (!rc)
        rc = torta_policy_set_extra(p, extra, e);
    cJSON_Delete(extra);
    if (!rc)
        rc = torta_policy_save(p, path, e);
    return rc;
}

/* Adam step on the gradients accumulated so far. */
static void learner_step(torta_micro_learner *l)
{
    if (l->pending == 0)
        return;
    torta_err e = {0};
    torta_policy_step(&l->policy, &l->opt, l->cfg.max_grad_norm, NULL, &e);
    l->pending = 0;
}

static void destroy(void *self)
{
    micro_rl *t = self;
    if (!t)
        return;
    torta_micro_learner *l = t->l;
    if (l && l->ready) { /* end of a training episode */
        learner_step(l);
        l->episode++;
        l->policy.norm.frozen = 1;
    }
    if (t->have_policy)
        torta_policy_free(&t->policy);
    free(t->sd);
    free(t->act_a);
    free(t->act_b);
    free(t->wt);
    free(t->scores);
    if (t->rng)
        gsl_rng_free(t->rng);
    micro_est_free(&t->est);
    free(t->probs);
    free(t->dec);
    free(t->dec_feats);
    free(t->free_slots);
    free(t->slot_of);
    free(t);
}

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    const cJSON *params = env->params;
    micro_params p;
    int rc = micro_params_parse(params, OTHER_KEYS, &p, e);
    torta_micro_rl_cfg cfg;
    if (!rc)
        rc = parse_rl(cJSON_GetObjectItemCaseSensitive(params, "rl"), &cfg, e);
    if (rc)
        return rc;
    micro_rl *t = calloc(1, sizeof *t);
    if (!t)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = t;
    if ((rc = micro_est_init(&t->est, env->view, &p, e)) != 0)
        return rc;
    micro_fingerprint(env->view, t->fingerprint, sizeof t->fingerprint);
    size_t K = (size_t)t->est.max_region;
    if (!(t->probs = calloc(K, sizeof(double))))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");

    if (env->learner) { /* training */
        t->l = env->learner;
        if ((rc = learner_ready(t->l, &cfg, t->fingerprint, K, e)) != 0)
            return rc;
        if (!(t->rng = torta_rng_stream(env->seed, "micro-rl.act")))
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        return 0;
    }

    const char *path = NULL;
    char buf[4096];
    if ((rc = torta_json_str(params, "policy", "scheduler.micro_params", 0, NULL, &path, e)) != 0)
        return rc;
    if (!path) {
        if (default_policy_path(buf, sizeof buf) != 0 || access(buf, R_OK) != 0)
            return torta_err_set(e, TORTA_EINPUT,
                                 "torta-rl needs a trained policy: none found at %s. Train one "
                                 "with `torta-sim train --layer micro --micro torta-rl "
                                 "--policy-out FILE ...` and pass --set "
                                 "scheduler.micro_params.policy=FILE", buf);
        path = buf;
    }
    if ((rc = torta_policy_load(path, &t->policy, e)) != 0)
        return rc;
    t->have_policy = 1;
    if (t->policy.kind != TORTA_POLICY_SOFTMAX)
        return torta_err_set(e, TORTA_EINPUT, "%s: a %s policy, torta-rl needs softmax-candidates "
                             "(a macro policy?)", path, torta_policy_kind_name(t->policy.kind));
    if ((rc = torta_policy_check(&t->policy, path, t->fingerprint, F, micro_feature_names, e)) != 0)
        return rc;
    const torta_mlp *net = &t->policy.net;
    size_t wide = 0;
    for (size_t i = 0; i <= net->n_layers; i++)
        wide = net->sizes[i] > wide ? net->sizes[i] : wide;
    t->sd = malloc(F * sizeof(double));
    t->act_a = malloc(wide * sizeof(double));
    t->act_b = malloc(wide * sizeof(double));
    t->scores = malloc(K * sizeof(double));
    t->wt = malloc(net->n_params * sizeof(double));
    if (!t->sd || !t->act_a || !t->act_b || !t->scores || !t->wt)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (size_t l = 0; l < net->n_layers; l++) {
        size_t in = net->sizes[l], out = net->sizes[l + 1];
        for (size_t j = 0; j < out; j++)
            for (size_t i = 0; i < in; i++)
                t->wt[net->w_off[l] + i * out + j] = net->params[net->w_off[l] + j * in + i];
    }
    for (size_t i = 0; i < F; i++)
        t->sd[i] = sqrt(torta_norm_var(&t->policy.norm, i) + 1e-8);
    return 0;
}

/* Evaluation score of one candidate: the network of torta_cand_probs (normalise, dense layers,
 * hidden activation, linear output) in plain loops, because the reference CBLAS dgemm and libm
 * tanh dominated the decision time. Weights are read transposed so the inner loop runs over
 * independent outputs (vectorisable without reassociating any sum; each output still sums its
 * inputs in index order). Equal to the BLAS forward up to rounding. */
static double score_one(const micro_rl *t, const double *x)
{
    const torta_mlp *m = &t->policy.net;
    const torta_norm *z = &t->policy.norm;
    double *a = t->act_a, *b = t->act_b;
    for (size_t i = 0; i < F; i++) {
        double y = (x[i] - z->mean[i]) / t->sd[i];
        a[i] = y > z->clip ? z->clip : (y < -z->clip ? -z->clip : y);
    }
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        const double *Wt = t->wt + m->w_off[l], *bias = m->params + m->b_off[l];
        double *restrict o = b;
        for (size_t j = 0; j < out; j++)
            o[j] = bias[j];
        for (size_t i = 0; i < in; i++) {
            const double ai = a[i], *restrict w = Wt + i * out;
            for (size_t j = 0; j < out; j++)
                o[j] += w[j] * ai;
        }
        if (l + 1 < m->n_layers)
            for (size_t j = 0; j < out; j++)
                b[j] = m->hidden == TORTA_ACT_RELU ? (b[j] > 0 ? b[j] : 0) : tanh(b[j]);
        double *tmp = a;
        a = b;
        b = tmp;
    }
    return a[0];
}

/* A slot for a training decision of request id; NULL when out of memory. */
static decision *dec_slot(micro_rl *t, uint64_t id, double **feats)
{
    size_t row = (size_t)t->est.max_region * F;
    if (id >= t->n_ids) {
        size_t n = t->n_ids ? t->n_ids : 1024;
        while (n <= id)
            n *= 2;
        int32_t *p = realloc(t->slot_of, n * sizeof *p);
        if (!p)
            return NULL;
        memset(p + t->n_ids, 0, (n - t->n_ids) * sizeof *p);
        t->slot_of = p;
        t->n_ids = n;
    }
    int32_t s = t->slot_of[id] - 1;
    if (s < 0) { /* (a retried request reuses its slot) */
        if (t->n_free == 0) {
            size_t n = t->n_slots ? 2 * t->n_slots : 256;
            decision *d = realloc(t->dec, n * sizeof *d);
            if (d)
                t->dec = d;
            double *f = d ? realloc(t->dec_feats, n * row * sizeof(double)) : NULL;
            if (f)
                t->dec_feats = f;
            int32_t *fs = f ? realloc(t->free_slots, n * sizeof *fs) : NULL;
            if (!fs)
                return NULL;
            t->free_slots = fs;
            for (size_t k = n; k-- > t->n_slots;)
                t->free_slots[t->n_free++] = (int32_t)k;
            t->n_slots = n;
        }
        s = t->free_slots[--t->n_free];
        t->slot_of[id] = s + 1;
    }
    *feats = t->dec_feats + (size_t)s * row;
    return &t->dec[s];
}

static int pick_train(micro_rl *t, const torta_request *r, int teacher)
{
    torta_micro_learner *l = t->l;
    micro_est *m = &t->est;
    size_t K = (size_t)m->n_cand;
    torta_err e = {0};
    torta_policy *p = &l->policy;
    if (!p->norm.frozen) /* the first episode fits the feature statistics */
        torta_norm_update_batch(&p->norm, K, m->feats);
    if (l->episode < l->cfg.imitation_episodes) { /* warm start: act as the greedy, clone it */
        if (torta_cand_probs(p, &l->ws, K, m->feats, t->probs, NULL, &e) == 0)
            l->episode_agree += (int)torta_cand_argmax(t->probs, K) == teacher;
        torta_cand_imitate(p, &l->ws, K, m->feats, (size_t)teacher, 1.0 / l->cfg.batch, NULL, &e);
        l->episode_steps++;
        if (++l->pending >= l->cfg.batch)
            learner_step(l);
        return teacher;
    }
    if (torta_cand_probs(p, &l->ws, K, m->feats, t->probs, NULL, &e) != 0)
        return teacher;
    int k = (int)torta_cand_sample(t->probs, K, t->rng);
    if (l->cfg.imitation_coef > 0)
        torta_cand_imitate(p, &l->ws, K, m->feats, (size_t)teacher,
                           l->cfg.imitation_coef / l->cfg.batch, NULL, &e);
    l->episode_steps++;
    l->episode_agree += k == teacher;
    double *feats;
    decision *d = dec_slot(t, r->id, &feats);
    if (d) {
        memcpy(feats, m->feats, K * F * sizeof(double));
        double base = INFINITY;
        for (size_t c = 0; c < K; c++)
            base = fmin(base, m->cand[c].service_s);
        *d = (decision){(int32_t)K, k, !m->cand[k].resident, 1, base};
    }
    return k;
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    micro_rl *t = self;
    micro_est *m = &t->est;
    if (micro_est_candidates(m, r, region) == 0)
        return TORTA_DEFER;
    micro_est_features(m, r);
    int k;
    if (t->l) {
        k = pick_train(t, r, micro_est_best(m));
    } else {
        k = 0; /* argmax of the scores (= of the softmax), the lowest index on ties */
        for (int c = 0; c < m->n_cand; c++) {
            t->scores[c] = score_one(t, m->feats + (size_t)c * F);
            if (t->scores[c] > t->scores[k])
                k = c;
        }
    }
    int s = m->cand[k].server;
    micro_est_placed(m, r, s);
    return s;
}

/* REINFORCE on the completed request's decision: reward -(time in region + switch penalty). */
static void on_complete(void *self, const torta_request *r, const torta_view *v)
{
    micro_rl *t = self;
    torta_micro_learner *l = t->l;
    if (!l || r->id >= t->n_ids || t->slot_of[r->id] == 0)
        return;
    int32_t s = t->slot_of[r->id] - 1;
    decision *d = &t->dec[s];
    t->slot_of[r->id] = 0;
    t->free_slots[t->n_free++] = s;
    if (!d->live)
        return;
    d->live = 0;
    double cost_s = (r->finish_s - r->reach_s) - d->base_s + l->cfg.switch_penalty_s * d->load;
    double rw = -cost_s / l->cfg.latency_ref_s;
    l->episode_reward += rw;
    double a = l->cfg.baseline_decay;
    if (!l->r_seen) {
        l->r_mean = rw;
        l->r_var = 1.0;
        l->r_seen = 1;
    }
    double adv = (rw - l->r_mean) / sqrt(l->r_var + 1e-8);
    double dv = rw - l->r_mean;
    l->r_mean += (1 - a) * dv;
    l->r_var = a * (l->r_var + (1 - a) * dv * dv);
    torta_err e = {0};
    const double *feats = t->dec_feats + (size_t)s * t->est.max_region * F;
    torta_cand_reinforce(&l->policy, &l->ws, (size_t)d->K, feats, (size_t)d->chosen,
                         adv / l->cfg.batch, NULL, &e);
    if (++l->pending >= l->cfg.batch)
        learner_step(l);
}

const torta_micro_ops torta_micro_torta_rl = {
    .name = "torta-rl",
    .summary = "TORTA micro layer: shared-MLP softmax over candidate servers (trained policy)",
    .init = init,
    .pick = pick,
    .on_complete = on_complete,
    .destroy = destroy,
};
