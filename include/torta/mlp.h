/* Multi-layer perceptron for the learned schedulers: dense layers with a tanh or relu hidden
 * activation and a linear output, forward on one input or a batch (GSL BLAS), backward that
 * accumulates parameter gradients and optionally returns input gradients.
 *
 * Parameters live in one contiguous vector (layer by layer: W row-major out x in, then b), so
 * optimisers, clipping, copying and serialisation treat a network as a flat array. Activations
 * live in a workspace sized once for a maximum batch: no allocation on the hot path. */
#ifndef TORTA_MLP_H
#define TORTA_MLP_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "torta/err.h"

typedef enum torta_act { TORTA_ACT_TANH = 0, TORTA_ACT_RELU = 1 } torta_act;

/* "tanh" / "relu"; NULL for an unknown value. */
const char *torta_act_name(torta_act a);
/* Parses a name; returns 0, or -1 when unknown. */
int torta_act_parse(const char *name, torta_act *out);

typedef struct torta_mlp {
    size_t n_layers;  /* weight layers; sizes has n_layers + 1 entries */
    size_t *sizes;    /* sizes[0] = input dim, sizes[n_layers] = output dim */
    torta_act hidden; /* activation after every layer but the last (linear output) */
    size_t n_params;
    double *params;   /* layer l: W_l at w_off[l] (sizes[l+1] x sizes[l], row-major), b_l at b_off[l] */
    double *grads;    /* same layout; backward adds into it */
    size_t *w_off, *b_off;
} torta_mlp;

/* Allocates a network with n_sizes >= 2 layer sizes (all >= 1); parameters and gradients are
 * zero until an init function is called. */
int torta_mlp_init(torta_mlp *m, size_t n_sizes, const size_t *sizes, torta_act hidden,
                   torta_err *e);
void torta_mlp_free(torta_mlp *m);
/* dst becomes a deep copy of src (dst must be uninitialised or freed). */
int torta_mlp_copy(torta_mlp *dst, const torta_mlp *src, torta_err *e);
size_t torta_mlp_in_dim(const torta_mlp *m);
size_t torta_mlp_out_dim(const torta_mlp *m);

/* Orthogonal initialisation (Saxe et al. 2014, as in PyTorch's orthogonal_): each W is a
 * random orthonormal matrix (QR of a Gaussian matrix drawn from r) times a gain; biases 0.
 * Usual PPO gains: hidden sqrt(2), policy output 0.01, value output 1. */
int torta_mlp_init_orthogonal(torta_mlp *m, gsl_rng *r, double hidden_gain, double out_gain,
                              torta_err *e);
/* Scaled uniform (Glorot): W ~ U(-g, g), g = sqrt(6 / (in + out)); biases 0. */
void torta_mlp_init_uniform(torta_mlp *m, gsl_rng *r);

void torta_mlp_zero_grad(torta_mlp *m);

/* Activations of the last forward pass, for backward. */
typedef struct torta_mlp_ws {
    size_t max_batch, n_layers, n; /* n: rows of the last forward */
    size_t *sizes;                 /* copy of the network's sizes, to check compatibility */
    double **act;                  /* act[l]: max_batch x sizes[l]; act[0] is the input */
    double *delta_a, *delta_b;     /* max_batch x max(sizes): backward scratch */
    double *dout;                  /* max_batch x out: for the caller to build dL/dout in */
} torta_mlp_ws;

int torta_mlp_ws_init(torta_mlp_ws *ws, const torta_mlp *m, size_t max_batch, torta_err *e);
void torta_mlp_ws_free(torta_mlp_ws *ws);

/* One input vector (sizes[0]) -> pointer to the output (sizes[n_layers]) inside ws, valid until
 * the next forward. Uses gsl_blas_dgemv; afterwards backward with n = 1 is valid. */
const double *torta_mlp_forward(const torta_mlp *m, torta_mlp_ws *ws, const double *x);
/* n inputs (row-major n x sizes[0], n <= ws->max_batch) -> n x out outputs inside ws.
 * Uses gsl_blas_dgemm. Returns NULL when n is 0 or above the workspace capacity. */
const double *torta_mlp_forward_batch(const torta_mlp *m, torta_mlp_ws *ws, size_t n,
                                      const double *x);
/* The workspace's input rows: write n rows here, then torta_mlp_forward_ws (saves a copy when
 * the input is built in place, e.g. normalised features). */
double *torta_mlp_ws_input(torta_mlp_ws *ws);
const double *torta_mlp_forward_ws(const torta_mlp *m, torta_mlp_ws *ws, size_t n);

/* Given dL/dout for the rows of the last forward (ws->n x out, row-major), adds dL/dparams into
 * m->grads (summed over rows in row order) and, when dx is non-NULL, writes dL/dinput
 * (ws->n x in). */
void torta_mlp_backward(torta_mlp *m, torta_mlp_ws *ws, const double *dout, double *dx);

#endif
