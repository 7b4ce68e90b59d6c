/* TORTA's macro layer (our reconstruction of arXiv 2507.10259, MODEL.md section 8) and the
 * variants that switch its parts off. Per slot: forecast each origin's demand, let the RL policy
 * set per-region multipliers on spare capacity, solve optimal transport from demand to capacity,
 * blend with the previous plan, then dispatch requests by the plan. */
#ifndef TORTA_MACRO_H
#define TORTA_MACRO_H

#include <gsl/gsl_rng.h>

#include "sched/macro/ot_planner.h"
#include "torta/forecast.h"
#include "torta/plan.h"
#include "torta/policy.h"
#include "torta/ppo.h"
#include "torta/sched.h"

typedef struct torta_variant {
    const char *name;
    int forecast;   /* forecast demand (else: last slot's demand) */
    int rl;         /* policy multipliers on capacity */
    int smooth;     /* blend with the previous plan */
    int rl_only;    /* the policy outputs the routing matrix directly (no OT) */
    int exact;      /* exact transport instead of Sinkhorn */
    int capacity;   /* decides capacity per region (torta_capacity.c); else the autoscaler does */
} torta_variant;

/* TORTA's capacity plan (scheduler.macro_params.capacity). */
typedef struct torta_capacity_plan {
    double target_load;   /* planned load of the capacity it asks for */
    int down_slots;       /* a scale-down takes the largest request of this many slots */
    int32_t *hist;        /* n x down_slots recent requests per region (ring) */
    int head, filled;
    double *offered_rps;  /* n: forecast requests/s each region will be offered */
    double *planned_load; /* n: offered_rps over the region's reserved + whole pool capacity */
    double *mult;         /* n: the policy's multipliers on offered_rps (1 without RL) */
    int32_t churn;        /* sum over regions of |change| in the on-demand servers asked for */
    int32_t ahead_max;    /* the largest lead time in slots, which the forecasts must reach */
} torta_capacity_plan;

/* Reward weights and normalisers (MODEL.md 8.5, docs/torta.md). */
typedef struct torta_reward_cfg {
    double alpha, beta, gamma, eta;    /* latency, cost, load std, plan churn */
    double slo, churn;                 /* SLO violations, server starts and stops */
    double latency_ref_s, cost_ref_usd_per_server_h, slo_ttft_s, slo_e2e_s;
} torta_reward_cfg;

/* Shared across the episodes of `torta-sim train --layer macro`. */
typedef struct torta_macro_learner {
    torta_ppo *ppo;               /* created by the first episode, which knows the sizes */
    torta_ppo_cfg cfg;
    uint64_t seed;
    int bc_pending;               /* warm start: act with the OT plan, then clone it */
    double *bc_obs;
    size_t bc_n, bc_cap;
    char *fingerprint;
    char **feature_names;
    size_t n_features;
    /* rl.episodes_per_update >= 2 (torta_rl_batch.c): each episode acts with the parameters and
     * frozen normaliser of its iteration, samples from its own stream, never updates, and keeps
     * its raw observations (for the normaliser) until the trainer takes its rollout. */
    long episodes_per_update;
    double *raw_obs;
    size_t raw_n, raw_cap;
    /* Episode statistics, reset by the trainer. */
    double episode_reward;
    int episode_steps;
} torta_macro_learner;

typedef struct torta_macro {
    torta_variant var;
    const torta_view *v;
    int n, horizon;
    double kappa;                 /* smoothing: x = kappa x_prev + (1 - kappa) x_new */
    int migrate;                  /* move queued requests at slot boundaries */
    double migrate_min_gain_s, migrate_max_fraction;
    ot_planner ot;
    torta_plan plan;
    double *x_new, *x_prev;
    torta_forecaster **fc;
    double *fc_out;               /* n x horizon forecasts */
    double *demand;               /* what the OT step transports, server-seconds */
    /* RL */
    torta_macro_learner *learner; /* training */
    torta_policy policy;          /* evaluation */
    int have_policy;
    torta_mlp_ws ws;
    double *obs, *action, *mult;
    size_t obs_dim, act_dim;
    int shared_action;            /* one multiplier for every region (rl.action "shared") */
    size_t route_dim;             /* actions on routing; the rest act on capacity */
    double action_clip;
    torta_reward_cfg rw;
    double lat_sum;
    int64_t lat_n, slo_missed;
    int acted;                    /* a transition is open */
    torta_capacity_plan cap;
    char fingerprint[128];
} torta_macro;

/* torta_capacity.c */
int torta_capacity_plan_init(torta_macro *t, const cJSON *params, torta_err *e);
void torta_capacity_plan_free(torta_capacity_plan *c);
int torta_macro_capacity(void *self, const torta_view *v, int32_t *desired, torta_err *e);
/* Slots between starting a server of a region's pool and its readiness: ceil(lead / slot_s),
 * the largest over the world's on-demand and spot servers (0 when there are none). */
int torta_capacity_lead_slots(const torta_view *v);

/* torta_rl.c */
int torta_macro_rl_init(torta_macro *t, const torta_sched_env *env, const cJSON *params, torta_err *e);
void torta_macro_rl_free(torta_macro *t);
/* Fills t->mult (or t->x_new for rl-only) for the coming slot; closes the previous transition. */
int torta_macro_rl_act(torta_macro *t, const torta_view *v, torta_err *e);
/* Closes the last transition at the end of an episode. */
void torta_macro_rl_finish(torta_macro *t, const torta_view *v);
void torta_macro_learner_free(torta_macro_learner *l);

/* torta_rl_batch.c: parallel training (rl.episodes_per_update >= 2). An iteration's episodes
 * run in any process from the same learner state; each one's rollout is taken out of the
 * learner that ran it (a flat array of doubles, freed by the caller) and given, in episode
 * order, to the learner that trains, which then updates once. */
int torta_macro_learner_batched(const torta_macro_learner *l);
int torta_macro_learner_take(torta_macro_learner *l, double **rollout, size_t *n_doubles, torta_err *e);
int torta_macro_learner_give(torta_macro_learner *l, const double *rollout, size_t n_doubles, torta_err *e);
int torta_macro_learner_update(torta_macro_learner *l, torta_err *e);

#endif
