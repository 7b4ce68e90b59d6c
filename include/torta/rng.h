/* Named random streams: one gsl_rng (mt19937) per stream, seeded from the master seed and the
 * stream's name, so adding a stream never shifts the numbers another stream draws. */
#ifndef TORTA_RNG_H
#define TORTA_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* 64-bit FNV-1a of a string, continuing from h (start with TORTA_FNV_OFFSET). */
#define TORTA_FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t torta_fnv1a(uint64_t h, const void *data, size_t len);

/* SplitMix64 finaliser: a well-mixed 64-bit value from any 64-bit input. */
uint64_t torta_mix64(uint64_t x);

/* A new generator for stream `name` under `master_seed`; NULL when out of memory. */
gsl_rng *torta_rng_stream(uint64_t master_seed, const char *name);

#endif
