/* Micro allocator `affinity`: the model-affinity greedy of MODEL.md section 9. Each live server
 * of the region gets J = estimated wait + switch cost + service estimate + beta_util x
 * utilisation (features.h), with hysteresis against switching the same server again soon; the
 * lowest J wins. Parameters: scheduler.micro_params (features.h; "policy" and "rl", which
 * torta-rl reads, are accepted and ignored so both can share one configuration). */
#include <stdlib.h>

#include "sched/micro/features.h"
#include "torta/sched.h"

static const char *const OTHER_KEYS[] = {"policy", "rl", NULL};

static void destroy(void *self)
{
    micro_est *m = self;
    if (!m)
        return;
    micro_est_free(m);
    free(m);
}

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    micro_params p;
    int rc = micro_params_parse(env->params, OTHER_KEYS, &p, e);
    if (rc)
        return rc;
    micro_est *m = calloc(1, sizeof *m);
    if (!m)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *self = m;
    return micro_est_init(m, env->view, &p, e);
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    micro_est *m = self;
    if (micro_est_candidates(m, r, region) == 0)
        return TORTA_DEFER;
    int s = m->cand[micro_est_best(m)].server;
    micro_est_placed(m, r, s);
    return s;
}

const torta_micro_ops torta_micro_affinity = {
    .name = "affinity",
    .summary = "model-affinity greedy: wait + switch cost + service + utilisation, with hysteresis",
    .init = init,
    .pick = pick,
    .destroy = destroy,
};
