/* Where the shipped data (configs/policies, topologies, traces) is found at run time, so that a
 * binary run from a build folder, from another build folder or from an install prefix finds it. */
#ifndef TORTA_BASE_DATADIR_H
#define TORTA_BASE_DATADIR_H

#include <stddef.h>

/* Path of the shipped file `rel` (e.g. "configs/policies/micro-torta-rl.json"). With
 * $TORTA_DATA_DIR set, only $TORTA_DATA_DIR/rel; otherwise the first that exists of
 * <exe>/../share/torta-sim/rel (installed), <exe>/../rel (a build folder inside the source
 * tree), <source tree>/rel and <configured install prefix>/share/torta-sim/rel (both as at
 * build time). Writes it to out and returns 0; when none exists, writes the first candidate
 * (for the error message) and returns -1. */
int torta_data_path(const char *rel, char *out, size_t n);

#endif
