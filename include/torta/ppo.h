/* Proximal Policy Optimisation (Schulman et al. 2017) with GAE(lambda) for TORTA's macro layer:
 * a Gaussian actor (torta_policy) and a separate critic MLP, a rollout buffer, clipped surrogate,
 * value loss, entropy bonus, minibatch epochs with a seeded shuffle; plus two supervised terms
 * the macro layer uses for OT supervision: behaviour cloning of the actor mean (warm start, or an
 * auxiliary MSE term on transitions given a target action) and a caller hook that adds any
 * gradient on the actor's output (e.g. a KL term towards the OT plan).
 *
 * Usage per environment step:  torta_ppo_act(obs) -> action; env; torta_ppo_reward(r, done).
 * When the buffer is full (torta_ppo_full), torta_ppo_update(last_obs) trains and empties it.
 * Everything is seeded from one master seed (named streams "learn.init", "learn.act",
 * "learn.shuffle"): same seed and same inputs -> bit-identical weights. */
#ifndef TORTA_PPO_H
#define TORTA_PPO_H

#include <stddef.h>
#include <stdint.h>

#include "torta/err.h"
#include "torta/policy.h"

#define TORTA_PPO_MAX_HIDDEN 8

typedef struct torta_ppo_cfg {
    size_t obs_dim, act_dim;
    size_t n_hidden, hidden[TORTA_PPO_MAX_HIDDEN]; /* hidden widths, actor and critic: 64, 64 */
    torta_act activation;  /* tanh */
    size_t horizon;        /* transitions per update (buffer capacity): 2048 */
    size_t epochs;         /* passes over the buffer per update: 10 */
    size_t minibatch;      /* transitions per gradient step: 64 */
    double gamma;          /* discount: 0.99 */
    double lambda;         /* GAE: 0.95 */
    double clip;           /* surrogate clip epsilon: 0.2 */
    double lr_actor;       /* Adam learning rate: 3e-4 */
    double lr_critic;      /* 3e-4 */
    double ent_coef;       /* entropy bonus: 0 */
    double max_grad_norm;  /* global-norm clip per network: 0.5 (<= 0: off) */
    double init_log_std;   /* 0 (std 1) */
    double bc_coef;        /* weight of the auxiliary MSE towards targets (torta_ppo_set_target): 0 */
    int normalize_adv;     /* standardise advantages over the buffer: 1 */
    int normalize_obs;     /* running observation normalisation: 1 */
} torta_ppo_cfg;

/* Defaults above for the given dimensions. */
void torta_ppo_cfg_default(torta_ppo_cfg *c, size_t obs_dim, size_t act_dim);

/* Auxiliary-loss hook, called for every transition of every minibatch: given the buffer index of
 * the transition, its normalised observation and the actor's mean, add dL_aux/dmean into dmean
 * (act_dim values, already weighted and NOT divided by the minibatch size; the trainer averages
 * over the minibatch). Return the transition's aux loss (for reporting) or NAN to abort. */
typedef double (*torta_ppo_aux_fn)(void *ctx, size_t index, const double *obs_norm,
                                   const double *mean, double *dmean);

typedef struct torta_ppo_stats {
    double policy_loss, value_loss, entropy, approx_kl, clip_frac, aux_loss, bc_loss;
    double mean_return;    /* mean GAE return over the buffer */
    size_t transitions, steps; /* buffer size used, gradient steps taken */
} torta_ppo_stats;

typedef struct torta_ppo torta_ppo;

/* A trainer with freshly initialised networks (orthogonal: hidden sqrt(2), actor output 0.01,
 * critic output 1). When init is non-NULL (a gaussian policy with the same shapes), its actor,
 * log-std, normaliser and, if present, critic are copied instead. */
int torta_ppo_create(torta_ppo **out, const torta_ppo_cfg *cfg, uint64_t seed,
                     const torta_policy *init, torta_err *e);
void torta_ppo_destroy(torta_ppo *p);
const torta_ppo_cfg *torta_ppo_config(const torta_ppo *p);
/* The trained policy (actor, log-std, normaliser, critic). Set metadata on it before saving;
 * for evaluation use torta_policy_mean after freezing the normaliser (torta_ppo_freeze). */
torta_policy *torta_ppo_policy(torta_ppo *p);
/* Freezes (1) or unfreezes (0) the observation statistics. */
void torta_ppo_freeze(torta_ppo *p, int frozen);
void torta_ppo_set_aux(torta_ppo *p, torta_ppo_aux_fn fn, void *ctx);

/* Samples an action for a raw observation (updating the normaliser unless frozen) and opens a
 * transition (normalised obs, action, log-prob, value); close it with torta_ppo_reward. */
int torta_ppo_act(torta_ppo *p, const double *obs, double *action, torta_err *e);
/* Optional, between act and reward: a target action for this transition (bc_coef term). */
int torta_ppo_set_target(torta_ppo *p, const double *target, torta_err *e);
/* Closes the open transition; done = the episode ended after it (no bootstrap). */
int torta_ppo_reward(torta_ppo *p, double reward, int done, torta_err *e);
/* Transitions stored; 1 when the buffer holds cfg.horizon of them. */
size_t torta_ppo_size(const torta_ppo *p);
int torta_ppo_full(const torta_ppo *p);

/* Grows the buffer to hold at least `rows` transitions (it starts with cfg.horizon). */
int torta_ppo_reserve(torta_ppo *p, size_t rows, torta_err *e);
/* Restarts the action-sampling stream from `seed` ("learn.act" under it): episodes that must
 * not depend on each other's draws (parallel training) each get their own. */
int torta_ppo_reseed_act(torta_ppo *p, uint64_t seed, torta_err *e);

/* Moving closed transitions between trainers (parallel training): torta_ppo_export writes the
 * torta_ppo_size(p) stored transitions as rows of torta_ppo_row_doubles(p) doubles;
 * torta_ppo_import appends such rows (growing the buffer); torta_ppo_clear empties it. */
size_t torta_ppo_row_doubles(const torta_ppo *p);
void torta_ppo_export(const torta_ppo *p, double *out);
int torta_ppo_import(torta_ppo *p, size_t n, const double *rows, torta_err *e);
void torta_ppo_clear(torta_ppo *p);

/* GAE(lambda) on arrays (exposed for tests): adv_t = sum_k (gamma lambda)^k delta_{t+k},
 * delta_t = r_t + gamma (1 - done_t) V_{t+1} - V_t, with V_n = last_value; ret = adv + value. */
void torta_gae(size_t n, const double *reward, const double *value, const int *done,
               double last_value, double gamma, double lambda, double *adv, double *ret);

/* Trains on the buffer (epochs x shuffled minibatches) and empties it. last_obs (raw) is the
 * observation after the last transition, used to bootstrap when it was not terminal (NULL:
 * treat as terminal). stats may be NULL. */
int torta_ppo_update(torta_ppo *p, const double *last_obs, torta_ppo_stats *stats,
                     torta_err *e);

/* Behaviour cloning: regresses the actor mean towards target actions, minimising
 * mean_i 0.5 |mean(obs_i) - target_i|^2 over n samples (raw obs n x obs_dim, targets
 * n x act_dim) with `epochs` passes of shuffled minibatches (cfg.minibatch, lr_actor). The
 * normaliser first absorbs all n observations unless frozen. *mse (if non-NULL) receives the
 * final mean of |mean - target|^2 / act_dim over the samples. */
int torta_ppo_bc(torta_ppo *p, size_t n, const double *obs, const double *target, size_t epochs,
                 double *mse, torta_err *e);

#endif
