/* Running input normalisation (Welford's online mean/variance), frozen at evaluation. */
#include "torta/policy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int torta_norm_init(torta_norm *z, size_t dim, torta_err *e)
{
    memset(z, 0, sizeof *z);
    z->dim = dim;
    z->clip = 10.0;
    z->mean = calloc(dim ? dim : 1, sizeof *z->mean);
    z->m2 = calloc(dim ? dim : 1, sizeof *z->m2);
    if (!z->mean || !z->m2) {
        torta_norm_free(z);
        return torta_err_set(e, TORTA_ENOMEM, "normaliser: out of memory");
    }
    return 0;
}

void torta_norm_free(torta_norm *z)
{
    if (!z)
        return;
    free(z->mean);
    free(z->m2);
    memset(z, 0, sizeof *z);
}

int torta_norm_copy(torta_norm *dst, const torta_norm *src, torta_err *e)
{
    int rc = torta_norm_init(dst, src->dim, e);
    if (rc)
        return rc;
    dst->count = src->count;
    dst->clip = src->clip;
    dst->frozen = src->frozen;
    memcpy(dst->mean, src->mean, src->dim * sizeof *src->mean);
    memcpy(dst->m2, src->m2, src->dim * sizeof *src->m2);
    return 0;
}

void torta_norm_update(torta_norm *z, const double *x)
{
    if (z->frozen)
        return;
    z->count += 1.0;
    for (size_t i = 0; i < z->dim; i++) {
        double d = x[i] - z->mean[i];
        z->mean[i] += d / z->count;
        z->m2[i] += d * (x[i] - z->mean[i]);
    }
}

void torta_norm_update_batch(torta_norm *z, size_t n, const double *x)
{
    for (size_t r = 0; r < n; r++)
        torta_norm_update(z, x + r * z->dim);
}

double torta_norm_var(const torta_norm *z, size_t i)
{
    return z->count >= 2.0 ? z->m2[i] / z->count : 1.0;
}

void torta_norm_apply(const torta_norm *z, const double *x, double *out)
{
    for (size_t i = 0; i < z->dim; i++) {
        double y = (x[i] - z->mean[i]) / sqrt(torta_norm_var(z, i) + 1e-8);
        out[i] = y > z->clip ? z->clip : (y < -z->clip ? -z->clip : y);
    }
}

void torta_norm_apply_batch(const torta_norm *z, size_t n, const double *x, double *out)
{
    for (size_t r = 0; r < n; r++)
        torta_norm_apply(z, x + r * z->dim, out + r * z->dim);
}
