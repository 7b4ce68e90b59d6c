/* Parallel training's side of the macro learner (rl.episodes_per_update = K >= 2): the K
 * episodes of an iteration act with the same parameters and frozen normaliser, each from its
 * own sampling stream (torta_rl.c), so they may run in any process in any order. Each one's
 * rollout moves out of the learner that ran it as one flat array,
 *   [rows, raw, rows x torta_ppo_row_doubles, raw x obs_dim]
 * (its transitions and its raw observations), and into the learner that trains, in episode
 * order; one PPO update on the iteration's transitions follows. Whatever the number of worker
 * processes, the trainer sees the same arrays in the same order: the same policy, bit for bit. */
#include <stdlib.h>
#include <string.h>

#include "sched/macro/torta_macro.h"

int torta_macro_learner_batched(const torta_macro_learner *l)
{
    return l->ppo && l->episodes_per_update > 1 && !l->bc_pending;
}

int torta_macro_learner_take(torta_macro_learner *l, double **rollout, size_t *n_doubles, torta_err *e)
{
    *rollout = NULL;
    *n_doubles = 0;
    if (!l->ppo)
        return torta_err_set(e, TORTA_EINTERNAL, "macro learner: no episode ran");
    size_t rows = torta_ppo_size(l->ppo), rd = torta_ppo_row_doubles(l->ppo), od = l->cfg.obs_dim;
    size_t n = 2 + rows * rd + l->raw_n * od;
    double *r = malloc(n * sizeof *r);
    if (!r)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    r[0] = (double)rows;
    r[1] = (double)l->raw_n;
    torta_ppo_export(l->ppo, r + 2);
    if (l->raw_n)
        memcpy(r + 2 + rows * rd, l->raw_obs, l->raw_n * od * sizeof *r);
    torta_ppo_clear(l->ppo);
    l->raw_n = 0;
    *rollout = r;
    *n_doubles = n;
    return 0;
}

int torta_macro_learner_give(torta_macro_learner *l, const double *rollout, size_t n_doubles, torta_err *e)
{
    if (!l->ppo)
        return torta_err_set(e, TORTA_EINTERNAL, "macro learner: no episode ran");
    size_t rd = torta_ppo_row_doubles(l->ppo), od = l->cfg.obs_dim;
    size_t rows = n_doubles >= 2 ? (size_t)rollout[0] : 0, raw = n_doubles >= 2 ? (size_t)rollout[1] : 0;
    if (n_doubles < 2 || n_doubles != 2 + rows * rd + raw * od)
        return torta_err_set(e, TORTA_EINTERNAL, "macro learner: a rollout of %zu values does not "
                             "match its header", n_doubles);
    int rc = torta_ppo_import(l->ppo, rows, rollout + 2, e);
    if (rc)
        return rc;
    /* The normaliser learns from the iteration's observations only now, in episode order. */
    torta_ppo_freeze(l->ppo, 0);
    torta_norm_update_batch(&torta_ppo_policy(l->ppo)->norm, raw, rollout + 2 + rows * rd);
    torta_ppo_freeze(l->ppo, 1);
    return 0;
}

int torta_macro_learner_update(torta_macro_learner *l, torta_err *e)
{
    if (!l->ppo || torta_ppo_size(l->ppo) == 0)
        return 0;
    return torta_ppo_update(l->ppo, NULL, NULL, e);
}
