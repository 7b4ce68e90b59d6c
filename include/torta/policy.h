/* Learned policies shared by TORTA's two layers, and the unit that is saved to a policy file:
 *  - macro layer: a Gaussian policy, action mean = MLP(normalised observation), state-independent
 *    log-std parameters; evaluation uses the mean;
 *  - micro layer: a softmax over a variable number K of candidates, score s_k = MLP(features_k)
 *    (one shared network with a single output), pi = softmax(s).
 * Both carry an input normaliser (running mean/variance, frozen at evaluation) and caller
 * metadata (feature names, a topology fingerprint, a free-form object). */
#ifndef TORTA_POLICY_H
#define TORTA_POLICY_H

#include <cjson/cJSON.h>
#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "torta/err.h"
#include "torta/mlp.h"
#include "torta/optim.h"

/* ---- input normalisation: Welford running mean / variance ---- */

typedef struct torta_norm {
    size_t dim;
    double count;     /* samples seen */
    double *mean, *m2; /* Welford state: variance = m2 / count (1 before two samples) */
    double clip;      /* normalised values are clipped to [-clip, clip]; default 10 */
    int frozen;       /* when set, updates are ignored (evaluation) */
} torta_norm;

int torta_norm_init(torta_norm *z, size_t dim, torta_err *e);
void torta_norm_free(torta_norm *z);
int torta_norm_copy(torta_norm *dst, const torta_norm *src, torta_err *e);
/* Adds one sample (dim values) to the statistics, unless frozen. */
void torta_norm_update(torta_norm *z, const double *x);
void torta_norm_update_batch(torta_norm *z, size_t n, const double *x);
double torta_norm_var(const torta_norm *z, size_t i);
/* out = clip((x - mean) / sqrt(var + 1e-8)); out may be x. */
void torta_norm_apply(const torta_norm *z, const double *x, double *out);
void torta_norm_apply_batch(const torta_norm *z, size_t n, const double *x, double *out);

/* ---- the policy ---- */

typedef enum torta_policy_kind {
    TORTA_POLICY_GAUSSIAN = 0, /* "gaussian" */
    TORTA_POLICY_SOFTMAX = 1   /* "softmax-candidates" */
} torta_policy_kind;

typedef struct torta_policy {
    torta_policy_kind kind;
    torta_mlp net;      /* gaussian: obs -> action mean; softmax: features -> one score */
    torta_norm norm;    /* dim = net input */
    double *log_std;    /* gaussian: one per action dimension; NULL for softmax */
    double *log_std_grad;
    int has_critic;
    torta_mlp critic;   /* optional value network obs -> 1, saved so training can resume */
    size_t n_features;  /* 0, or the net's input dim */
    char **feature_names;
    char *fingerprint;  /* e.g. a topology hash the policy was trained on; NULL when unset */
    cJSON *extra;       /* caller's free-form metadata object (owned); NULL when unset */
} torta_policy;

/* A policy with net layer sizes `sizes` (softmax needs a last size of 1), zero weights, an
 * unfrozen normaliser and log-std 0. Initialise weights with torta_mlp_init_* on p->net. */
int torta_policy_init(torta_policy *p, torta_policy_kind kind, size_t n_sizes,
                      const size_t *sizes, torta_act hidden, torta_err *e);
void torta_policy_free(torta_policy *p);
/* "gaussian" / "softmax-candidates". */
const char *torta_policy_kind_name(torta_policy_kind k);
/* Adds a value network (sizes[0] must be the net's input dim, last size 1), zero weights. */
int torta_policy_add_critic(torta_policy *p, size_t n_sizes, const size_t *sizes,
                            torta_act hidden, torta_err *e);
/* Metadata, copied: n must equal the net's input dim. */
int torta_policy_set_features(torta_policy *p, size_t n, const char *const *names, torta_err *e);
int torta_policy_set_fingerprint(torta_policy *p, const char *fingerprint, torta_err *e);
int torta_policy_set_extra(torta_policy *p, const cJSON *extra, torta_err *e);
/* Checks a loaded policy against what the caller will feed it: same feature names in the
 * same order (when names is non-NULL) and the same fingerprint (when fingerprint is non-NULL).
 * `origin` (e.g. the file name) prefixes the messages. */
int torta_policy_check(const torta_policy *p, const char *origin, const char *fingerprint,
                       size_t n_features, const char *const *names, torta_err *e);
/* The trainable groups of the actor: {net} or {net, log_std}; returns how many (1 or 2). */
size_t torta_policy_groups(torta_policy *p, torta_param_group g[2]);

/* ---- Gaussian head ---- */

/* log N(a; mu, diag(exp(log_std))^2), summed over d dimensions. */
double torta_gauss_logp(const double *mu, const double *log_std, const double *a, size_t d);
double torta_gauss_entropy(const double *log_std, size_t d);
void torta_gauss_sample(const double *mu, const double *log_std, size_t d, gsl_rng *r,
                        double *a);
/* Evaluation: mean action for a raw observation (normalised by the frozen-or-not statistics,
 * which it does not update). ws must be made for p->net. */
void torta_policy_mean(const torta_policy *p, torta_mlp_ws *ws, const double *obs,
                       double *action);

/* Behaviour cloning of a gaussian policy's mean: minimises mean_i 0.5 |mean(obs_i) - target_i|^2
 * over n samples (raw obs n x in, targets n x out) with `epochs` passes of minibatches shuffled
 * by r, using a fresh Adam (lr) on the net only (log-std untouched). Unless frozen, the
 * normaliser first absorbs all n observations. *mse (if non-NULL) receives the final mean
 * squared error per action component. */
int torta_policy_bc(torta_policy *p, size_t n, const double *obs, const double *target,
                    size_t epochs, size_t minibatch, double lr, gsl_rng *r, double *mse,
                    torta_err *e);

/* ---- softmax over candidates ---- */
/* feats: K rows of the net's input dim (raw; normalised inside with the current statistics,
 * which are not updated). K may change per call but must be <= ws->max_batch. */

/* probs[k] = softmax(s)_k; also returns the scores when scores is non-NULL. */
int torta_cand_probs(const torta_policy *p, torta_mlp_ws *ws, size_t K, const double *feats,
                     double *probs, double *scores, torta_err *e);
/* Draws an index from probs with r (inverse CDF in index order). */
size_t torta_cand_sample(const double *probs, size_t K, gsl_rng *r);
/* The most probable index (the lowest on ties). */
size_t torta_cand_argmax(const double *probs, size_t K);
/* REINFORCE: adds to p->net.grads the gradient of -advantage * log pi(chosen), backpropagated
 * through the shared MLP for every candidate. *logp (if non-NULL) receives log pi(chosen). */
int torta_cand_reinforce(torta_policy *p, torta_mlp_ws *ws, size_t K, const double *feats,
                         size_t chosen, double advantage, double *logp, torta_err *e);
/* Imitation: adds the gradient of weight * cross-entropy towards the teacher's choice
 * (-weight * log pi(teacher)); *xent (if non-NULL) receives -log pi(teacher). */
int torta_cand_imitate(torta_policy *p, torta_mlp_ws *ws, size_t K, const double *feats,
                       size_t teacher, double weight, double *xent, torta_err *e);

/* Clips the actor's gradients to global norm max_norm (<= 0: no clipping), takes an Adam step
 * (opt made for the sum of the groups' sizes) and zeroes the gradients. *norm (if non-NULL)
 * receives the norm before clipping. */
int torta_policy_step(torta_policy *p, torta_adam *opt, double max_norm, double *norm,
                      torta_err *e);

#endif
