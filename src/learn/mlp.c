/* MLP allocation, forward (GSL BLAS dgemv/dgemm) and backward; see include/torta/mlp.h. */
#include "torta/mlp.h"

#include <gsl/gsl_blas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *torta_act_name(torta_act a)
{
    switch (a) {
    case TORTA_ACT_TANH:
        return "tanh";
    case TORTA_ACT_RELU:
        return "relu";
    }
    return NULL;
}

int torta_act_parse(const char *name, torta_act *out)
{
    if (name && strcmp(name, "tanh") == 0) {
        *out = TORTA_ACT_TANH;
        return 0;
    }
    if (name && strcmp(name, "relu") == 0) {
        *out = TORTA_ACT_RELU;
        return 0;
    }
    return -1;
}

int torta_mlp_init(torta_mlp *m, size_t n_sizes, const size_t *sizes, torta_act hidden,
                   torta_err *e)
{
    memset(m, 0, sizeof *m);
    if (n_sizes < 2)
        return torta_err_set(e, TORTA_EINPUT, "mlp: need at least 2 layer sizes, got %zu",
                             n_sizes);
    if (!torta_act_name(hidden))
        return torta_err_set(e, TORTA_EINPUT, "mlp: unknown activation %d", (int)hidden);
    for (size_t i = 0; i < n_sizes; i++)
        if (sizes[i] < 1)
            return torta_err_set(e, TORTA_EINPUT, "mlp: layer size %zu is 0", i);
    size_t L = n_sizes - 1;
    m->n_layers = L;
    m->hidden = hidden;
    m->sizes = malloc(n_sizes * sizeof *m->sizes);
    m->w_off = malloc(L * sizeof *m->w_off);
    m->b_off = malloc(L * sizeof *m->b_off);
    if (!m->sizes || !m->w_off || !m->b_off)
        goto nomem;
    memcpy(m->sizes, sizes, n_sizes * sizeof *sizes);
    size_t off = 0;
    for (size_t l = 0; l < L; l++) {
        m->w_off[l] = off;
        off += sizes[l + 1] * sizes[l];
        m->b_off[l] = off;
        off += sizes[l + 1];
    }
    m->n_params = off;
    m->params = calloc(off, sizeof *m->params);
    m->grads = calloc(off, sizeof *m->grads);
    if (!m->params || !m->grads)
        goto nomem;
    return 0;
nomem:
    torta_mlp_free(m);
    return torta_err_set(e, TORTA_ENOMEM, "mlp: out of memory");
}

void torta_mlp_free(torta_mlp *m)
{
    if (!m)
        return;
    free(m->sizes);
    free(m->w_off);
    free(m->b_off);
    free(m->params);
    free(m->grads);
    memset(m, 0, sizeof *m);
}

int torta_mlp_copy(torta_mlp *dst, const torta_mlp *src, torta_err *e)
{
    int rc = torta_mlp_init(dst, src->n_layers + 1, src->sizes, src->hidden, e);
    if (rc)
        return rc;
    memcpy(dst->params, src->params, src->n_params * sizeof *src->params);
    memcpy(dst->grads, src->grads, src->n_params * sizeof *src->grads);
    return 0;
}

size_t torta_mlp_in_dim(const torta_mlp *m)
{
    return m->sizes[0];
}

size_t torta_mlp_out_dim(const torta_mlp *m)
{
    return m->sizes[m->n_layers];
}

void torta_mlp_zero_grad(torta_mlp *m)
{
    memset(m->grads, 0, m->n_params * sizeof *m->grads);
}

int torta_mlp_ws_init(torta_mlp_ws *ws, const torta_mlp *m, size_t max_batch, torta_err *e)
{
    memset(ws, 0, sizeof *ws);
    if (max_batch < 1)
        return torta_err_set(e, TORTA_EINPUT, "mlp workspace: max_batch is 0");
    size_t L = m->n_layers, widest = 0;
    ws->max_batch = max_batch;
    ws->n_layers = L;
    ws->sizes = malloc((L + 1) * sizeof *ws->sizes);
    ws->act = calloc(L + 1, sizeof *ws->act);
    if (!ws->sizes || !ws->act)
        goto nomem;
    memcpy(ws->sizes, m->sizes, (L + 1) * sizeof *ws->sizes);
    for (size_t l = 0; l <= L; l++) {
        if (m->sizes[l] > widest)
            widest = m->sizes[l];
        ws->act[l] = calloc(max_batch * m->sizes[l], sizeof **ws->act);
        if (!ws->act[l])
            goto nomem;
    }
    ws->delta_a = calloc(max_batch * widest, sizeof *ws->delta_a);
    ws->delta_b = calloc(max_batch * widest, sizeof *ws->delta_b);
    ws->dout = calloc(max_batch * m->sizes[L], sizeof *ws->dout);
    if (!ws->delta_a || !ws->delta_b || !ws->dout)
        goto nomem;
    return 0;
nomem:
    torta_mlp_ws_free(ws);
    return torta_err_set(e, TORTA_ENOMEM, "mlp workspace: out of memory");
}

void torta_mlp_ws_free(torta_mlp_ws *ws)
{
    if (!ws)
        return;
    if (ws->act)
        for (size_t l = 0; l <= ws->n_layers; l++)
            free(ws->act[l]);
    free(ws->act);
    free(ws->sizes);
    free(ws->delta_a);
    free(ws->delta_b);
    free(ws->dout);
    memset(ws, 0, sizeof *ws);
}

static void activate(torta_act a, double *z, size_t n)
{
    if (a == TORTA_ACT_TANH) {
        for (size_t i = 0; i < n; i++)
            z[i] = tanh(z[i]);
    } else {
        for (size_t i = 0; i < n; i++)
            z[i] = z[i] > 0.0 ? z[i] : 0.0;
    }
}

/* Multiplies delta by the activation's derivative, expressed through the activation's output y. */
static void activate_backward(torta_act a, const double *y, double *delta, size_t n)
{
    if (a == TORTA_ACT_TANH) {
        for (size_t i = 0; i < n; i++)
            delta[i] *= 1.0 - y[i] * y[i];
    } else {
        for (size_t i = 0; i < n; i++)
            if (!(y[i] > 0.0))
                delta[i] = 0.0;
    }
}

const double *torta_mlp_forward(const torta_mlp *m, torta_mlp_ws *ws, const double *x)
{
    memmove(ws->act[0], x, m->sizes[0] * sizeof *x);
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        gsl_matrix_const_view W = gsl_matrix_const_view_array(m->params + m->w_off[l], out, in);
        gsl_vector_const_view a = gsl_vector_const_view_array(ws->act[l], in);
        gsl_vector_view z = gsl_vector_view_array(ws->act[l + 1], out);
        memcpy(ws->act[l + 1], m->params + m->b_off[l], out * sizeof(double));
        gsl_blas_dgemv(CblasNoTrans, 1.0, &W.matrix, &a.vector, 1.0, &z.vector);
        if (l + 1 < m->n_layers)
            activate(m->hidden, ws->act[l + 1], out);
    }
    ws->n = 1;
    return ws->act[m->n_layers];
}

double *torta_mlp_ws_input(torta_mlp_ws *ws)
{
    return ws->act[0];
}

const double *torta_mlp_forward_ws(const torta_mlp *m, torta_mlp_ws *ws, size_t n)
{
    if (n == 0 || n > ws->max_batch)
        return NULL;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        gsl_matrix_const_view W = gsl_matrix_const_view_array(m->params + m->w_off[l], out, in);
        gsl_matrix_const_view A = gsl_matrix_const_view_array(ws->act[l], n, in);
        gsl_matrix_view Z = gsl_matrix_view_array(ws->act[l + 1], n, out);
        const double *b = m->params + m->b_off[l];
        for (size_t i = 0; i < n; i++)
            memcpy(ws->act[l + 1] + i * out, b, out * sizeof *b);
        /* Z = A W^T + b */
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &A.matrix, &W.matrix, 1.0, &Z.matrix);
        if (l + 1 < m->n_layers)
            activate(m->hidden, ws->act[l + 1], n * out);
    }
    ws->n = n;
    return ws->act[m->n_layers];
}

const double *torta_mlp_forward_batch(const torta_mlp *m, torta_mlp_ws *ws, size_t n,
                                      const double *x)
{
    if (n == 0 || n > ws->max_batch)
        return NULL;
    memmove(ws->act[0], x, n * m->sizes[0] * sizeof *x);
    return torta_mlp_forward_ws(m, ws, n);
}

void torta_mlp_backward(torta_mlp *m, torta_mlp_ws *ws, const double *dout, double *dx)
{
    size_t n = ws->n, L = m->n_layers;
    double *delta = ws->delta_a, *next = ws->delta_b;
    memcpy(delta, dout, n * m->sizes[L] * sizeof *dout);
    for (size_t l = L; l-- > 0;) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        gsl_matrix_const_view D = gsl_matrix_const_view_array(delta, n, out);
        gsl_matrix_const_view A = gsl_matrix_const_view_array(ws->act[l], n, in);
        gsl_matrix_view dW = gsl_matrix_view_array(m->grads + m->w_off[l], out, in);
        /* dW += D^T A */
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, &D.matrix, &A.matrix, 1.0, &dW.matrix);
        double *db = m->grads + m->b_off[l];
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < out; j++)
                db[j] += delta[i * out + j];
        if (l == 0 && !dx)
            break;
        gsl_matrix_const_view W = gsl_matrix_const_view_array(m->params + m->w_off[l], out, in);
        gsl_matrix_view P = gsl_matrix_view_array(next, n, in);
        /* dA = D W */
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &D.matrix, &W.matrix, 0.0, &P.matrix);
        if (l == 0) {
            memcpy(dx, next, n * in * sizeof *dx);
            break;
        }
        activate_backward(m->hidden, ws->act[l], next, n * in);
        double *t = delta;
        delta = next;
        next = t;
    }
}
