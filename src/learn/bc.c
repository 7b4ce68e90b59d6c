/* Behaviour cloning (supervised MSE regression) of a gaussian policy's mean: the warm start of
 * TORTA's macro actor towards the OT plan's actions. */
#include "torta/policy.h"

#include <gsl/gsl_randist.h>
#include <stdlib.h>
#include <string.h>

int torta_policy_bc(torta_policy *p, size_t n, const double *obs, const double *target,
                    size_t epochs, size_t minibatch, double lr, gsl_rng *r, double *mse,
                    torta_err *e)
{
    if (p->kind != TORTA_POLICY_GAUSSIAN)
        return torta_err_set(e, TORTA_EINPUT, "behaviour cloning: policy is not gaussian");
    if (n == 0 || minibatch == 0)
        return torta_err_set(e, TORTA_EINPUT, "behaviour cloning: no samples or minibatch 0");
    size_t in = torta_mlp_in_dim(&p->net), out = torta_mlp_out_dim(&p->net);
    double *x = malloc(n * in * sizeof *x);
    size_t *perm = malloc(n * sizeof *perm);
    torta_adam opt = {0};
    torta_mlp_ws ws = {0};
    int rc = 0;
    if (!x || !perm) {
        rc = torta_err_set(e, TORTA_ENOMEM, "behaviour cloning: out of memory");
        goto done;
    }
    if ((rc = torta_adam_init(&opt, p->net.n_params, lr, e))
        || (rc = torta_mlp_ws_init(&ws, &p->net, minibatch, e)))
        goto done;
    torta_norm_update_batch(&p->norm, n, obs);
    torta_norm_apply_batch(&p->norm, n, obs, x);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    torta_param_group g = {p->net.params, p->net.grads, p->net.n_params};
    torta_mlp_zero_grad(&p->net);
    for (size_t ep = 0; ep < epochs; ep++) {
        gsl_ran_shuffle(r, perm, n, sizeof *perm);
        for (size_t b = 0; b < n; b += minibatch) {
            size_t m = n - b < minibatch ? n - b : minibatch;
            double *wi = torta_mlp_ws_input(&ws);
            for (size_t i = 0; i < m; i++)
                memcpy(wi + i * in, x + perm[b + i] * in, in * sizeof *x);
            const double *mu = torta_mlp_forward_ws(&p->net, &ws, m);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < out; j++)
                    ws.dout[i * out + j] =
                        (mu[i * out + j] - target[perm[b + i] * out + j]) / (double)m;
            torta_mlp_backward(&p->net, &ws, ws.dout, NULL);
            torta_adam_step(&opt, &g, 1);
            torta_grad_zero(&g, 1);
        }
    }
    if (mse) {
        double s = 0.0;
        for (size_t b = 0; b < n; b += minibatch) {
            size_t m = n - b < minibatch ? n - b : minibatch;
            const double *mu = torta_mlp_forward_batch(&p->net, &ws, m, x + b * in);
            for (size_t k = 0; k < m * out; k++) {
                double d = mu[k] - target[b * out + k];
                s += d * d;
            }
        }
        *mse = s / (double)(n * out);
    }
done:
    torta_adam_free(&opt);
    torta_mlp_ws_free(&ws);
    free(x);
    free(perm);
    return rc;
}
