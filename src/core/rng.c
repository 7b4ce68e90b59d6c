/* Named RNG streams. */
#include "torta/rng.h"

#include <string.h>

uint64_t torta_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t torta_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

gsl_rng *torta_rng_stream(uint64_t master_seed, const char *name)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    uint64_t h = torta_fnv1a(TORTA_FNV_OFFSET, name, strlen(name));
    uint64_t s = torta_mix64(h ^ torta_mix64(master_seed));
    /* mt19937 takes an unsigned long seed; 0 would select GSL's default seed. */
    gsl_rng_set(r, (unsigned long)(s ? s : 1));
    return r;
}
