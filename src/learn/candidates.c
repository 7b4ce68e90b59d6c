/* Softmax-over-candidates policy for the micro layer: one shared MLP scores each of K candidate
 * servers, pi = softmax(scores); REINFORCE and imitation gradients through the shared MLP. */
#include "torta/policy.h"

#include <math.h>

/* Normalises the K feature rows into the workspace and scores them; NULL on a bad K. */
static const double *score(const torta_policy *p, torta_mlp_ws *ws, size_t K,
                           const double *feats, torta_err *e)
{
    if (p->kind != TORTA_POLICY_SOFTMAX) {
        torta_err_set(e, TORTA_EINPUT, "candidates: policy kind is %s, not softmax-candidates",
                      torta_policy_kind_name(p->kind));
        return NULL;
    }
    if (K == 0 || K > ws->max_batch) {
        torta_err_set(e, TORTA_EINPUT, "candidates: K = %zu outside 1..%zu (workspace capacity)",
                      K, ws->max_batch);
        return NULL;
    }
    torta_norm_apply_batch(&p->norm, K, feats, torta_mlp_ws_input(ws));
    return torta_mlp_forward_ws(&p->net, ws, K);
}

/* probs = softmax(s), max-shifted; returns log-sum-exp(s). */
static double softmax(const double *s, size_t K, double *probs)
{
    double mx = s[0];
    for (size_t k = 1; k < K; k++)
        if (s[k] > mx)
            mx = s[k];
    double z = 0.0;
    for (size_t k = 0; k < K; k++) {
        probs[k] = exp(s[k] - mx);
        z += probs[k];
    }
    for (size_t k = 0; k < K; k++)
        probs[k] /= z;
    return mx + log(z);
}

int torta_cand_probs(const torta_policy *p, torta_mlp_ws *ws, size_t K, const double *feats,
                     double *probs, double *scores, torta_err *e)
{
    const double *s = score(p, ws, K, feats, e);
    if (!s)
        return TORTA_EINPUT;
    if (scores)
        for (size_t k = 0; k < K; k++)
            scores[k] = s[k];
    softmax(s, K, probs);
    return 0;
}

size_t torta_cand_sample(const double *probs, size_t K, gsl_rng *r)
{
    double u = gsl_rng_uniform(r), c = 0.0;
    for (size_t k = 0; k < K; k++) {
        c += probs[k];
        if (u < c)
            return k;
    }
    /* Rounding left the cumulative sum just below u: the last candidate with mass. */
    for (size_t k = K; k-- > 0;)
        if (probs[k] > 0.0)
            return k;
    return K - 1;
}

size_t torta_cand_argmax(const double *probs, size_t K)
{
    size_t best = 0;
    for (size_t k = 1; k < K; k++)
        if (probs[k] > probs[best])
            best = k;
    return best;
}

/* Adds the gradient of -weight * log pi(idx): dL/ds_k = weight * (pi_k - [k == idx]). */
static int logp_grad(torta_policy *p, torta_mlp_ws *ws, size_t K, const double *feats,
                     size_t idx, double weight, double *logp, torta_err *e)
{
    if (idx >= K)
        return torta_err_set(e, TORTA_EINPUT, "candidates: chosen index %zu of %zu", idx, K);
    const double *s = score(p, ws, K, feats, e);
    if (!s)
        return TORTA_EINPUT;
    double *g = ws->dout;
    double lse = softmax(s, K, g);
    if (logp)
        *logp = s[idx] - lse;
    for (size_t k = 0; k < K; k++)
        g[k] = weight * (g[k] - (k == idx ? 1.0 : 0.0));
    torta_mlp_backward(&p->net, ws, g, NULL);
    return 0;
}

int torta_cand_reinforce(torta_policy *p, torta_mlp_ws *ws, size_t K, const double *feats,
                         size_t chosen, double advantage, double *logp, torta_err *e)
{
    return logp_grad(p, ws, K, feats, chosen, advantage, logp, e);
}

int torta_cand_imitate(torta_policy *p, torta_mlp_ws *ws, size_t K, const double *feats,
                       size_t teacher, double weight, double *xent, torta_err *e)
{
    double lp = 0.0;
    int rc = logp_grad(p, ws, K, feats, teacher, weight, &lp, e);
    if (!rc && xent)
        *xent = -lp;
    return rc;
}
