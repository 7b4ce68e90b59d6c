/* Deterministic MLP weight initialisation from a caller's gsl_rng (orthogonal or Glorot). */
#include "torta/mlp.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

/* W (out x in) = gain * an orthonormal matrix: QR of a Gaussian (rows >= cols) matrix, Q's
 * columns sign-corrected by diag(R) so the draw is uniform over orthogonal matrices. */
static int orthogonal(double *w, size_t out, size_t in, double gain, gsl_rng *r)
{
    size_t rows = out > in ? out : in, cols = out > in ? in : out;
    gsl_matrix *G = gsl_matrix_alloc(rows, cols);
    gsl_vector *tau = gsl_vector_alloc(cols);
    gsl_matrix *Q = gsl_matrix_alloc(rows, rows);
    gsl_matrix *R = gsl_matrix_alloc(rows, cols);
    int rc = -1;
    if (!G || !tau || !Q || !R)
        goto done;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            gsl_matrix_set(G, i, j, gsl_ran_gaussian(r, 1.0));
    if (gsl_linalg_QR_decomp(G, tau) || gsl_linalg_QR_unpack(G, tau, Q, R))
        goto done;
    for (size_t j = 0; j < cols; j++) {
        double s = gsl_matrix_get(R, j, j) < 0.0 ? -gain : gain;
        for (size_t i = 0; i < rows; i++) {
            double q = s * gsl_matrix_get(Q, i, j);
            if (out >= in)
                w[i * in + j] = q; /* Q[:, :in] is out x in */
            else
                w[j * in + i] = q; /* transpose of the in x out Q[:, :out] */
        }
    }
    rc = 0;
done:
    gsl_matrix_free(G);
    gsl_vector_free(tau);
    gsl_matrix_free(Q);
    gsl_matrix_free(R);
    return rc;
}

int torta_mlp_init_orthogonal(torta_mlp *m, gsl_rng *r, double hidden_gain, double out_gain,
                              torta_err *e)
{
    memset(m->params, 0, m->n_params * sizeof *m->params);
    for (size_t l = 0; l < m->n_layers; l++) {
        double gain = l + 1 == m->n_layers ? out_gain : hidden_gain;
        if (orthogonal(m->params + m->w_off[l], m->sizes[l + 1], m->sizes[l], gain, r))
            return torta_err_set(e, TORTA_ENOMEM, "mlp: orthogonal init of layer %zu failed", l);
    }
    return 0;
}

void torta_mlp_init_uniform(torta_mlp *m, gsl_rng *r)
{
    memset(m->params, 0, m->n_params * sizeof *m->params);
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        double g = sqrt(6.0 / (double)(in + out));
        double *w = m->params + m->w_off[l];
        for (size_t i = 0; i < out * in; i++)
            w[i] = gsl_ran_flat(r, -g, g);
    }
}
