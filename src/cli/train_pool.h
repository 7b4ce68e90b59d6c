/* Worker processes for `torta-sim train --jobs N`: runs a range of episodes, each in a forked
 * worker (at most `jobs` at a time), and returns what each one reported, in episode order. */
#ifndef TORTA_CLI_TRAIN_POOL_H
#define TORTA_CLI_TRAIN_POOL_H

#include <stddef.h>

#include "torta/err.h"

/* What one episode reports: a byte string (the worker writes it to a pipe). */
typedef struct train_blob {
    char *data;
    size_t len, cap;
} train_blob;

int train_blob_add(train_blob *b, const void *data, size_t len);
void train_blob_free(train_blob *b);

/* Runs episode ep, appending its report to out; returns 0, or an exit status after printing
 * the error. */
typedef int (*train_episode_fn)(void *ctx, long ep, train_blob *out);

/* Runs episodes first .. first + n - 1 with fn in forked workers (jobs >= 2) or in this process
 * (jobs 1), and fills out[0 .. n) with their reports. Returns 0; an episode's exit status when
 * one failed (remaining workers are stopped); 130 when *stop was raised. */
int train_pool_run(long first, long n, int jobs, train_episode_fn fn, void *ctx, train_blob *out,
                   volatile int *stop);

#endif
