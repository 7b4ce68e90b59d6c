/* PPO trainer: rollout buffer, GAE, clipped-surrogate minibatch epochs for a Gaussian actor and
 * a separate critic, with auxiliary gradients on the actor mean (behaviour-cloning targets and a
 * caller hook). See include/torta/ppo.h. */
#include "torta/ppo.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "torta/rng.h"

struct torta_ppo {
    torta_ppo_cfg cfg;
    torta_policy pol; /* actor, log-std, normaliser and critic */
    torta_adam opt_actor, opt_critic;
    torta_mlp_ws ws_actor, ws_critic;
    gsl_rng *r_act, *r_shuffle;
    torta_ppo_aux_fn aux;
    void *aux_ctx;
    size_t n; /* closed transitions */
    size_t cap; /* buffer rows: cfg.horizon, or more after torta_ppo_reserve */
    int open; /* a transition awaits its reward */
    /* buffer, cap rows */
    double *obs, *act, *target, *logp, *rew, *val, *adv, *ret;
    int *done, *has_target;
    size_t *perm;
    double *aux_grad; /* act_dim scratch for the hook */
};

void torta_ppo_cfg_default(torta_ppo_cfg *c, size_t obs_dim, size_t act_dim)
{
    memset(c, 0, sizeof *c);
    c->obs_dim = obs_dim;
    c->act_dim = act_dim;
    c->n_hidden = 2;
    c->hidden[0] = 64;
    c->hidden[1] = 64;
    c->activation = TORTA_ACT_TANH;
    c->horizon = 2048;
    c->epochs = 10;
    c->minibatch = 64;
    c->gamma = 0.99;
    c->lambda = 0.95;
    c->clip = 0.2;
    c->lr_actor = 3e-4;
    c->lr_critic = 3e-4;
    c->ent_coef = 0.0;
    c->max_grad_norm = 0.5;
    c->init_log_std = 0.0;
    c->bc_coef = 0.0;
    c->normalize_adv = 1;
    c->normalize_obs = 1;
}

static int check_cfg(const torta_ppo_cfg *c, torta_err *e)
{
    if (c->obs_dim < 1 || c->act_dim < 1)
        return torta_err_set(e, TORTA_EINPUT, "ppo: obs_dim and act_dim must be >= 1");
    if (c->n_hidden > TORTA_PPO_MAX_HIDDEN)
        return torta_err_set(e, TORTA_EINPUT, "ppo: at most %d hidden layers",
                             TORTA_PPO_MAX_HIDDEN);
    if (c->horizon < 1 || c->epochs < 1 || c->minibatch < 1)
        return torta_err_set(e, TORTA_EINPUT, "ppo: horizon, epochs and minibatch must be >= 1");
    if (!(c->gamma >= 0.0 && c->gamma <= 1.0) || !(c->lambda >= 0.0 && c->lambda <= 1.0))
        return torta_err_set(e, TORTA_EINPUT, "ppo: gamma and lambda must be in [0, 1]");
    if (!(c->clip > 0.0) || !(c->lr_actor > 0.0) || !(c->lr_critic > 0.0))
        return torta_err_set(e, TORTA_EINPUT, "ppo: clip and learning rates must be > 0");
    return 0;
}

static int make_nets(torta_ppo *p, const torta_policy *init, uint64_t seed, torta_err *e)
{
    const torta_ppo_cfg *c = &p->cfg;
    size_t sizes[TORTA_PPO_MAX_HIDDEN + 2], n = 0;
    sizes[n++] = c->obs_dim;
    for (size_t i = 0; i < c->n_hidden; i++)
        sizes[n++] = c->hidden[i];
    sizes[n++] = c->act_dim;
    int rc;
    if (init) {
        if (init->kind != TORTA_POLICY_GAUSSIAN || torta_mlp_in_dim(&init->net) != c->obs_dim
            || torta_mlp_out_dim(&init->net) != c->act_dim)
            return torta_err_set(e, TORTA_EINPUT,
                                 "ppo: initial policy must be gaussian with %zu inputs and %zu "
                                 "outputs",
                                 c->obs_dim, c->act_dim);
        if ((rc = torta_policy_init(&p->pol, TORTA_POLICY_GAUSSIAN, init->net.n_layers + 1,
                                    init->net.sizes, init->net.hidden, e)))
            return rc;
        memcpy(p->pol.net.params, init->net.params, init->net.n_params * sizeof(double));
        memcpy(p->pol.log_std, init->log_std, c->act_dim * sizeof(double));
        torta_norm_free(&p->pol.norm);
        if ((rc = torta_norm_copy(&p->pol.norm, &init->norm, e)))
            return rc;
        if (init->has_critic) {
            if ((rc = torta_policy_add_critic(&p->pol, init->critic.n_layers + 1,
                                              init->critic.sizes, init->critic.hidden, e)))
                return rc;
            memcpy(p->pol.critic.params, init->critic.params,
                   init->critic.n_params * sizeof(double));
            return 0;
        }
    } else {
        if ((rc = torta_policy_init(&p->pol, TORTA_POLICY_GAUSSIAN, n, sizes, c->activation, e)))
            return rc;
        for (size_t j = 0; j < c->act_dim; j++)
            p->pol.log_std[j] = c->init_log_std;
    }
    gsl_rng *r = torta_rng_stream(seed, "learn.init");
    if (!r)
        return torta_err_set(e, TORTA_ENOMEM, "ppo: out of memory");
    if (!init)
        rc = torta_mlp_init_orthogonal(&p->pol.net, r, sqrt(2.0), 0.01, e);
    sizes[n - 1] = 1;
    if (!rc)
        rc = torta_policy_add_critic(&p->pol, n, sizes, c->activation, e);
    if (!rc)
        rc = torta_mlp_init_orthogonal(&p->pol.critic, r, sqrt(2.0), 1.0, e);
    gsl_rng_free(r);
    return rc;
}

/* Grows every buffer array to `rows` rows (realloc keeps the stored transitions). */
#define GROW(field, per_row)                                                                     \
    do {                                                                                         \
        void *q_ = realloc(p->field, rows * (per_row) * sizeof *p->field);                       \
        if (!q_)                                                                                 \
            return torta_err_set(e, TORTA_ENOMEM, "ppo: out of memory");                         \
        p->field = q_;                                                                           \
    } while (0)

int torta_ppo_reserve(torta_ppo *p, size_t rows, torta_err *e)
{
    if (rows <= p->cap)
        return 0;
    if (p->cap > 0 && rows < 2 * p->cap)
        rows = 2 * p->cap; /* amortised growth: an episode reserves one row at a time */
    size_t od = p->cfg.obs_dim, ad = p->cfg.act_dim;
    GROW(obs, od);
    GROW(act, ad);
    GROW(target, ad);
    GROW(logp, 1);
    GROW(rew, 1);
    GROW(val, 1);
    GROW(adv, 1);
    GROW(ret, 1);
    GROW(done, 1);
    GROW(has_target, 1);
    GROW(perm, 1);
    p->cap = rows;
    return 0;
}
#undef GROW

int torta_ppo_create(torta_ppo **out, const torta_ppo_cfg *cfg, uint64_t seed,
                     const torta_policy *init, torta_err *e)
{
    *out = NULL;
    int rc = check_cfg(cfg, e);
    if (rc)
        return rc;
    torta_ppo *p = calloc(1, sizeof *p);
    if (!p)
        return torta_err_set(e, TORTA_ENOMEM, "ppo: out of memory");
    p->cfg = *cfg;
    if ((rc = make_nets(p, init, seed, e)))
        goto fail;
    if (!cfg->normalize_obs)
        p->pol.norm.frozen = 1;
    size_t H = cfg->horizon, ad = cfg->act_dim;
    torta_param_group g[2];
    size_t k = torta_policy_groups(&p->pol, g);
    if ((rc = torta_adam_init(&p->opt_actor, g[0].n + (k > 1 ? g[1].n : 0), cfg->lr_actor, e))
        || (rc = torta_adam_init(&p->opt_critic, p->pol.critic.n_params, cfg->lr_critic, e))
        || (rc = torta_mlp_ws_init(&p->ws_actor, &p->pol.net, cfg->minibatch, e))
        || (rc = torta_mlp_ws_init(&p->ws_critic, &p->pol.critic, cfg->minibatch, e)))
        goto fail;
    p->r_act = torta_rng_stream(seed, "learn.act");
    p->r_shuffle = torta_rng_stream(seed, "learn.shuffle");
    p->aux_grad = malloc(ad * sizeof *p->aux_grad);
    if (!p->r_act || !p->r_shuffle || !p->aux_grad) {
        rc = torta_err_set(e, TORTA_ENOMEM, "ppo: out of memory");
        goto fail;
    }
    if ((rc = torta_ppo_reserve(p, H, e)))
        goto fail;
    *out = p;
    return 0;
fail:
    torta_ppo_destroy(p);
    return rc;
}

void torta_ppo_destroy(torta_ppo *p)
{
    if (!p)
        return;
    torta_policy_free(&p->pol);
    torta_adam_free(&p->opt_actor);
    torta_adam_free(&p->opt_critic);
    torta_mlp_ws_free(&p->ws_actor);
    torta_mlp_ws_free(&p->ws_critic);
    if (p->r_act)
        gsl_rng_free(p->r_act);
    if (p->r_shuffle)
        gsl_rng_free(p->r_shuffle);
    free(p->obs);
    free(p->act);
    free(p->target);
    free(p->logp);
    free(p->rew);
    free(p->val);
    free(p->adv);
    free(p->ret);
    free(p->done);
    free(p->has_target);
    free(p->perm);
    free(p->aux_grad);
    free(p);
}

const torta_ppo_cfg *torta_ppo_config(const torta_ppo *p)
{
    return &p->cfg;
}

torta_policy *torta_ppo_policy(torta_ppo *p)
{
    return &p->pol;
}

void torta_ppo_freeze(torta_ppo *p, int frozen)
{
    p->pol.norm.frozen = frozen || !p->cfg.normalize_obs;
}

void torta_ppo_set_aux(torta_ppo *p, torta_ppo_aux_fn fn, void *ctx)
{
    p->aux = fn;
    p->aux_ctx = ctx;
}

size_t torta_ppo_size(const torta_ppo *p)
{
    return p->n;
}

int torta_ppo_full(const torta_ppo *p)
{
    return p->n >= p->cfg.horizon;
}

static double critic_value(torta_ppo *p, const double *obs_norm)
{
    return torta_mlp_forward(&p->pol.critic, &p->ws_critic, obs_norm)[0];
}

int torta_ppo_act(torta_ppo *p, const double *obs, double *action, torta_err *e)
{
    if (p->open)
        return torta_err_set(e, TORTA_EINTERNAL, "ppo: act called twice without a reward");
    if (p->n >= p->cap)
        return torta_err_set(e, TORTA_EINTERNAL, "ppo: buffer full (%zu); call torta_ppo_update",
                             p->n);
    size_t od = p->cfg.obs_dim, ad = p->cfg.act_dim, t = p->n;
    double *o = p->obs + t * od, *a = p->act + t * ad;
    torta_norm_update(&p->pol.norm, obs);
    torta_norm_apply(&p->pol.norm, obs, o);
    const double *mu = torta_mlp_forward(&p->pol.net, &p->ws_actor, o);
    torta_gauss_sample(mu, p->pol.log_std, ad, p->r_act, a);
    p->logp[t] = torta_gauss_logp(mu, p->pol.log_std, a, ad);
    p->val[t] = critic_value(p, o);
    p->has_target[t] = 0;
    memcpy(action, a, ad * sizeof *a);
    p->open = 1;
    return 0;
}

int torta_ppo_set_target(torta_ppo *p, const double *target, torta_err *e)
{
    if (!p->open)
        return torta_err_set(e, TORTA_EINTERNAL, "ppo: set_target without an open transition");
    memcpy(p->target + p->n * p->cfg.act_dim, target, p->cfg.act_dim * sizeof *target);
    p->has_target[p->n] = 1;
    return 0;
}

int torta_ppo_reward(torta_ppo *p, double reward, int done, torta_err *e)
{
    if (!p->open)
        return torta_err_set(e, TORTA_EINTERNAL, "ppo: reward without an action");
    if (!isfinite(reward))
        return torta_err_set(e, TORTA_EINPUT, "ppo: reward %g is not finite", reward);
    p->rew[p->n] = reward;
    p->done[p->n] = done != 0;
    p->n++;
    p->open = 0;
    return 0;
}

int torta_ppo_reseed_act(torta_ppo *p, uint64_t seed, torta_err *e)
{
    gsl_rng *r = torta_rng_stream(seed, "learn.act");
    if (!r)
        return torta_err_set(e, TORTA_ENOMEM, "ppo: out of memory");
    gsl_rng_free(p->r_act);
    p->r_act = r;
    return 0;
}

/* Rollout rows: normalised obs, action, target, then logp, reward, value, done, has_target. */
size_t torta_ppo_row_doubles(const torta_ppo *p)
{
    return p->cfg.obs_dim + 2 * p->cfg.act_dim + 5;
}

void torta_ppo_export(const torta_ppo *p, double *out)
{
    size_t od = p->cfg.obs_dim, ad = p->cfg.act_dim;
    for (size_t t = 0; t < p->n; t++) {
        memcpy(out, p->obs + t * od, od * sizeof *out);
        memcpy(out + od, p->act + t * ad, ad * sizeof *out);
        if (p->has_target[t])
            memcpy(out + od + ad, p->target + t * ad, ad * sizeof *out);
        else /* never written: keep the rows free of uninitialised bytes */
            memset(out + od + ad, 0, ad * sizeof *out);
        out += od + 2 * ad;
        *out++ = p->logp[t];
        *out++ = p->rew[t];
        *out++ = p->val[t];
        *out++ = p->done[t];
        *out++ = p->has_target[t];
    }
}

int torta_ppo_import(torta_ppo *p, size_t n, const double *rows, torta_err *e)
{
    if (p->open)
        return torta_err_set(e, TORTA_EINTERNAL, "ppo: import with a transition awaiting reward");
    size_t od = p->cfg.obs_dim, ad = p->cfg.act_dim;
    int rc = torta_ppo_reserve(p, p->n + n, e);
    for (size_t i = 0; !rc && i < n; i++) {
        size_t t = p->n++;
        memcpy(p->obs + t * od, rows, od * sizeof *rows);
        memcpy(p->act + t * ad, rows + od, ad * sizeof *rows);
        memcpy(p->target + t * ad, rows + od + ad, ad * sizeof *rows);
        rows += od + 2 * ad;
        p->logp[t] = *rows++;
        p->rew[t] = *rows++;
        p->val[t] = *rows++;
        p->done[t] = *rows++ != 0.0;
        p->has_target[t] = *rows++ != 0.0;
    }
    return rc;
}

void torta_ppo_clear(torta_ppo *p)
{
    p->n = 0;
    p->open = 0;
}

void torta_gae(size_t n, const double *reward, const double *value, const int *done,
               double last_value, double gamma, double lambda, double *adv, double *ret)
{
    double gae = 0.0;
    for (size_t t = n; t-- > 0;) {
        double next = t + 1 < n ? value[t + 1] : last_value;
        double live = done[t] ? 0.0 : 1.0;
        double delta = reward[t] + gamma * next * live - value[t];
        gae = delta + gamma * lambda * live * gae;
        adv[t] = gae;
        ret[t] = gae + value[t];
    }
}

/* Sums for the statistics over one update. */
typedef struct sums {
    double pl, vl, kl, cf, aux, bc;
    size_t rows;
} sums;

/* One actor gradient step on the minibatch idx[0..m). */
static int actor_step(torta_ppo *p, const size_t *idx, size_t m, sums *s, torta_err *e)
{
    const torta_ppo_cfg *c = &p->cfg;
    size_t od = c->obs_dim, ad = c->act_dim;
    double *in = torta_mlp_ws_input(&p->ws_actor);
    for (size_t i = 0; i < m; i++)
        memcpy(in + i * od, p->obs + idx[i] * od, od * sizeof *in);
    const double *mu = torta_mlp_forward_ws(&p->pol.net, &p->ws_actor, m);
    double *dmu = p->ws_actor.dout, *ls = p->pol.log_std, *dls = p->pol.log_std_grad;
    double inv_m = 1.0 / (double)m;
    for (size_t i = 0; i < m; i++) {
        size_t t = idx[i];
        const double *mi = mu + i * ad, *a = p->act + t * ad;
        double *g = dmu + i * ad;
        double lp = torta_gauss_logp(mi, ls, a, ad), ratio = exp(lp - p->logp[t]);
        double A = p->adv[t], lo = 1.0 - c->clip, hi = 1.0 + c->clip;
        double clipped = ratio < lo ? lo : (ratio > hi ? hi : ratio);
        double s1 = ratio * A, s2 = clipped * A;
        s->pl += -(s1 < s2 ? s1 : s2);
        s->kl += (ratio - 1.0) - (lp - p->logp[t]); /* Schulman's low-variance KL estimator */
        s->cf += fabs(ratio - 1.0) > c->clip;
        /* d(-min(s1, s2))/dlogp: zero where the clipped term is the (constant) minimum. */
        int flat = (A >= 0.0 && ratio > hi) || (A < 0.0 && ratio < lo);
        double dlp = flat ? 0.0 : -ratio * A * inv_m;
        for (size_t j = 0; j < ad; j++) {
            double inv_var = exp(-2.0 * ls[j]), d = a[j] - mi[j];
            g[j] = dlp * d * inv_var;
            dls[j] += dlp * (d * d * inv_var - 1.0);
        }
        if (c->bc_coef > 0.0 && p->has_target[t]) {
            const double *tg = p->target + t * ad;
            double sq = 0.0;
            for (size_t j = 0; j < ad; j++) {
                double d = mi[j] - tg[j];
                sq += d * d;
                g[j] += c->bc_coef * d * inv_m;
            }
            s->bc += 0.5 * sq;
        }
        if (p->aux) {
            memset(p->aux_grad, 0, ad * sizeof *p->aux_grad);
            double l = p->aux(p->aux_ctx, t, p->obs + t * od, mi, p->aux_grad);
            if (isnan(l))
                return torta_err_set(e, TORTA_EINPUT, "ppo: auxiliary loss hook aborted");
            s->aux += l;
            for (size_t j = 0; j < ad; j++)
                g[j] += p->aux_grad[j] * inv_m;
        }
    }
    /* Entropy bonus: d(-ent_coef * H)/dlog_std_j = -ent_coef. */
    for (size_t j = 0; j < ad; j++)
        dls[j] -= c->ent_coef;
    torta_mlp_backward(&p->pol.net, &p->ws_actor, dmu, NULL);
    s->rows += m;
    return torta_policy_step(&p->pol, &p->opt_actor, c->max_grad_norm, NULL, e);
}

/* One critic step: loss 0.5 mean (V - R)^2. */
static int critic_step(torta_ppo *p, const size_t *idx, size_t m, sums *s)
{
    size_t od = p->cfg.obs_dim;
    double *in = torta_mlp_ws_input(&p->ws_critic);
    for (size_t i = 0; i < m; i++)
        memcpy(in + i * od, p->obs + idx[i] * od, od * sizeof *in);
    const double *v = torta_mlp_forward_ws(&p->pol.critic, &p->ws_critic, m);
    double *dv = p->ws_critic.dout;
    for (size_t i = 0; i < m; i++) {
        double d = v[i] - p->ret[idx[i]];
        s->vl += 0.5 * d * d;
        dv[i] = d / (double)m;
    }
    torta_mlp_backward(&p->pol.critic, &p->ws_critic, dv, NULL);
    torta_param_group g = {p->pol.critic.params, p->pol.critic.grads, p->pol.critic.n_params};
    torta_grad_clip(&g, 1, p->cfg.max_grad_norm);
    int rc = torta_adam_step(&p->opt_critic, &g, 1);
    torta_grad_zero(&g, 1);
    return rc;
}

int torta_ppo_update(torta_ppo *p, const double *last_obs, torta_ppo_stats *stats,
                     torta_err *e)
{
    const torta_ppo_cfg *c = &p->cfg;
    if (p->open)
        return torta_err_set(e, TORTA_EINTERNAL, "ppo: update with a transition awaiting reward");
    if (p->n == 0)
        return torta_err_set(e, TORTA_EINTERNAL, "ppo: update with an empty buffer");
    size_t n = p->n;
    double last_value = 0.0;
    if (last_obs && !p->done[n - 1]) {
        double *in = torta_mlp_ws_input(&p->ws_critic);
        torta_norm_apply(&p->pol.norm, last_obs, in);
        last_value = critic_value(p, in);
    }
    torta_gae(n, p->rew, p->val, p->done, last_value, c->gamma, c->lambda, p->adv, p->ret);
    double mean_ret = 0.0;
    for (size_t t = 0; t < n; t++)
        mean_ret += p->ret[t];
    mean_ret /= (double)n;
    if (c->normalize_adv && n > 1) {
        double mean = 0.0, var = 0.0;
        for (size_t t = 0; t < n; t++)
            mean += p->adv[t];
        mean /= (double)n;
        for (size_t t = 0; t < n; t++)
            var += (p->adv[t] - mean) * (p->adv[t] - mean);
        double sd = sqrt(var / (double)n) + 1e-8;
        for (size_t t = 0; t < n; t++)
            p->adv[t] = (p->adv[t] - mean) / sd;
    }
    sums s = {0};
    size_t steps = 0;
    for (size_t t = 0; t < n; t++)
        p->perm[t] = t;
    for (size_t ep = 0; ep < c->epochs; ep++) {
        gsl_ran_shuffle(p->r_shuffle, p->perm, n, sizeof *p->perm);
        for (size_t b = 0; b < n; b += c->minibatch) {
            size_t m = n - b < c->minibatch ? n - b : c->minibatch;
            int rc = actor_step(p, p->perm + b, m, &s, e);
            if (!rc && critic_step(p, p->perm + b, m, &s))
                rc = torta_err_set(e, TORTA_EINTERNAL, "ppo: critic optimiser size mismatch");
            if (rc) {
                p->n = 0;
                return rc;
            }
            steps++;
        }
    }
    if (stats) {
        double rows = (double)s.rows;
        stats->policy_loss = s.pl / rows;
        stats->value_loss = s.vl / rows;
        stats->approx_kl = s.kl / rows;
        stats->clip_frac = s.cf / rows;
        stats->aux_loss = s.aux / rows;
        stats->bc_loss = s.bc / rows;
        stats->entropy = torta_gauss_entropy(p->pol.log_std, c->act_dim);
        stats->mean_return = mean_ret;
        stats->transitions = n;
        stats->steps = steps;
    }
    p->n = 0;
    return 0;
}

int torta_ppo_bc(torta_ppo *p, size_t n, const double *obs, const double *target, size_t epochs,
                 double *mse, torta_err *e)
{
    if (p->open)
        return torta_err_set(e, TORTA_EINTERNAL, "ppo: behaviour cloning with an open transition");
    return torta_policy_bc(&p->pol, n, obs, target, epochs, p->cfg.minibatch, p->cfg.lr_actor,
                           p->r_shuffle, mse, e);
}
