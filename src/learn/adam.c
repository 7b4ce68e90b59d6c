/* Adam optimiser and global-norm gradient clipping over parameter groups. */
#include "torta/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int torta_adam_init(torta_adam *a, size_t n, double lr, torta_err *e)
{
    memset(a, 0, sizeof *a);
    a->lr = lr;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-8;
    a->n = n;
    a->m = calloc(n ? n : 1, sizeof *a->m);
    a->v = calloc(n ? n : 1, sizeof *a->v);
    if (!a->m || !a->v) {
        torta_adam_free(a);
        return torta_err_set(e, TORTA_ENOMEM, "adam: out of memory");
    }
    return 0;
}

void torta_adam_free(torta_adam *a)
{
    if (!a)
        return;
    free(a->m);
    free(a->v);
    memset(a, 0, sizeof *a);
}

void torta_adam_reset(torta_adam *a)
{
    memset(a->m, 0, a->n * sizeof *a->m);
    memset(a->v, 0, a->n * sizeof *a->v);
    a->t = 0;
}

int torta_adam_step(torta_adam *a, const torta_param_group *g, size_t n_groups)
{
    size_t total = 0;
    for (size_t k = 0; k < n_groups; k++)
        total += g[k].n;
    if (total != a->n)
        return TORTA_EINTERNAL;
    a->t++;
    double bc1 = 1.0 - pow(a->beta1, (double)a->t);
    double bc2 = 1.0 - pow(a->beta2, (double)a->t);
    size_t off = 0;
    for (size_t k = 0; k < n_groups; k++) {
        double *p = g[k].param;
        const double *d = g[k].grad;
        double *m = a->m + off, *v = a->v + off;
        for (size_t i = 0; i < g[k].n; i++) {
            m[i] = a->beta1 * m[i] + (1.0 - a->beta1) * d[i];
            v[i] = a->beta2 * v[i] + (1.0 - a->beta2) * d[i] * d[i];
            double mhat = m[i] / bc1, vhat = v[i] / bc2;
            p[i] -= a->lr * mhat / (sqrt(vhat) + a->eps);
        }
        off += g[k].n;
    }
    return 0;
}

double torta_grad_norm(const torta_param_group *g, size_t n_groups)
{
    double s = 0.0;
    for (size_t k = 0; k < n_groups; k++)
        for (size_t i = 0; i < g[k].n; i++)
            s += g[k].grad[i] * g[k].grad[i];
    return sqrt(s);
}

double torta_grad_clip(const torta_param_group *g, size_t n_groups, double max_norm)
{
    double norm = torta_grad_norm(g, n_groups);
    if (max_norm > 0.0 && norm > max_norm) {
        double s = max_norm / norm;
        for (size_t k = 0; k < n_groups; k++)
            for (size_t i = 0; i < g[k].n; i++)
                g[k].grad[i] *= s;
    }
    return norm;
}

void torta_grad_zero(const torta_param_group *g, size_t n_groups)
{
    for (size_t k = 0; k < n_groups; k++)
        memset(g[k].grad, 0, g[k].n * sizeof *g[k].grad);
}
