/* Gaussian policy head: diagonal Gaussian with a state-independent log-std. */
#include "torta/policy.h"

#include <gsl/gsl_randist.h>
#include <math.h>

#define HALF_LOG_2PI 0.91893853320467274178

double torta_gauss_logp(const double *mu, const double *log_std, const double *a, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        double z = (a[j] - mu[j]) * exp(-log_std[j]);
        s += -0.5 * z * z - log_std[j] - HALF_LOG_2PI;
    }
    return s;
}

double torta_gauss_entropy(const double *log_std, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += log_std[j] + 0.5 + HALF_LOG_2PI;
    return s;
}

void torta_gauss_sample(const double *mu, const double *log_std, size_t d, gsl_rng *r,
                        double *a)
{
    for (size_t j = 0; j < d; j++)
        a[j] = mu[j] + exp(log_std[j]) * gsl_ran_gaussian_ziggurat(r, 1.0);
}

void torta_policy_mean(const torta_policy *p, torta_mlp_ws *ws, const double *obs,
                       double *action)
{
    double *in = torta_mlp_ws_input(ws);
    torta_norm_apply(&p->norm, obs, in);
    const double *mu = torta_mlp_forward(&p->net, ws, in);
    for (size_t j = 0; j < torta_mlp_out_dim(&p->net); j++)
        action[j] = mu[j];
}
