/* SHA-256 (FIPS 180-4) of a file, as lowercase hex: the fingerprint of a run's inputs in its
 * config.json (a rerun names the input whose hash changed). */
#ifndef TORTA_BASE_SHA256_H
#define TORTA_BASE_SHA256_H

#include "torta/err.h"

/* hex receives 64 hex digits and a terminator. */
int torta_sha256_file(const char *path, char hex[65], torta_err *e);

#endif
