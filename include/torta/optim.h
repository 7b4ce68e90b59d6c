/* Optimisation helpers for the learned schedulers: parameter groups (a network's flat parameter
 * vector, a log-std vector, ...), Adam, and global-norm gradient clipping over groups. */
#ifndef TORTA_OPTIM_H
#define TORTA_OPTIM_H

#include <stddef.h>

#include "torta/err.h"

/* A slice of trainable parameters and their gradients. */
typedef struct torta_param_group {
    double *param;
    double *grad;
    size_t n;
} torta_param_group;

typedef struct torta_adam {
    double lr, beta1, beta2, eps; /* defaults 3e-4, 0.9, 0.999, 1e-8; lr may change between steps */
    size_t n;                     /* total parameters over the groups it was made for */
    long t;                       /* steps taken */
    double *m, *v;                /* first and second moment estimates */
} torta_adam;

/* Moments for n parameters (the sum of the groups' n passed to every step). */
int torta_adam_init(torta_adam *a, size_t n, double lr, torta_err *e);
void torta_adam_free(torta_adam *a);
/* Forgets the moments and the step count (e.g. after a warm start with other targets). */
void torta_adam_reset(torta_adam *a);
/* One bias-corrected Adam step (Kingma & Ba 2015) on the groups, in order: param -= lr *
 * mhat / (sqrt(vhat) + eps). Returns 0, or TORTA_EINTERNAL when the groups' total is not a->n. */
int torta_adam_step(torta_adam *a, const torta_param_group *g, size_t n_groups);

/* Euclidean norm of all gradients of the groups (summed in group, then index order). */
double torta_grad_norm(const torta_param_group *g, size_t n_groups);
/* Scales all gradients so their global norm is at most max_norm (no-op when max_norm <= 0 or
 * the norm is already below); returns the norm before clipping. */
double torta_grad_clip(const torta_param_group *g, size_t n_groups, double max_norm);
/* Sets the groups' gradients to zero. */
void torta_grad_zero(const torta_param_group *g, size_t n_groups);

#endif
