/* TORTA's micro layer `torta-rl` (MODEL.md section 9): one shared MLP scores every candidate
 * server of the region from its features (features.h), softmax over the candidates; evaluation
 * takes the argmax. Training (`torta-sim train --layer micro`) shares one learner across
 * episodes: the first episodes imitate the `affinity` greedy (cross-entropy towards its choice,
 * which also fits the feature normaliser), the later ones sample from the softmax and follow
 * REINFORCE on the per-request reward -(time in the region + switching penalty), with a running
 * baseline and a small imitation term that keeps the policy near the greedy where the reward
 * says nothing. Same seed, same command -> bit-identical policy. */
#ifndef TORTA_RL_MICRO_H
#define TORTA_RL_MICRO_H

#include <stdint.h>

#include "torta/optim.h"
#include "torta/policy.h"

/* scheduler.micro_params.rl */
typedef struct torta_micro_rl_cfg {
    long hidden;              /* two hidden layers of this width: 32 */
    torta_act activation;     /* their activation ("relu" or "tanh"): relu (cheap to evaluate) */
    double lr;                /* Adam: 1e-3 */
    long batch;               /* decisions per Adam step: 64 */
    long imitation_episodes;  /* episodes acting as, and cloning, the greedy: 3 */
    double imitation_coef;    /* weight of the imitation term during policy gradient: 0.1 */
    double latency_ref_s;     /* reward scale: 10 */
    double switch_penalty_s;  /* charged to a decision that makes its server load a model: 30 */
    double max_grad_norm;     /* global-norm clip: 1 */
    double baseline_decay;    /* running mean / variance of the reward: 0.995 */
} torta_micro_rl_cfg;

/* Shared across the episodes of a training run. memset to 0, set seed, and free with
 * torta_micro_learner_free. */
typedef struct torta_micro_learner {
    uint64_t seed;
    int ready;                /* policy and optimiser created (by the first episode) */
    torta_micro_rl_cfg cfg;
    torta_policy policy;
    torta_adam opt;
    torta_mlp_ws ws;
    size_t ws_cap;
    char *fingerprint;
    long episode;             /* episodes finished */
    long pending;             /* decisions whose gradients wait for the next step */
    double r_mean, r_var;     /* running reward statistics (baseline, scale) */
    int r_seen;
    /* Statistics of the episode under way, reset by the trainer. */
    double episode_reward;    /* sum of per-request rewards (RL episodes) */
    long episode_steps;       /* decisions taken */
    long episode_agree;       /* choices equal to the greedy's (imitation: the policy's argmax) */
} torta_micro_learner;

void torta_micro_learner_free(torta_micro_learner *l);
/* Sets metadata (features, fingerprint, extra) on the trained policy and writes it. */
int torta_micro_learner_save(torta_micro_learner *l, long episodes, double seed, const char *path,
                             torta_err *e);

#endif
