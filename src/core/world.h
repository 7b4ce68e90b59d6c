/* World construction from the effective configuration (see world.c). */
#ifndef TORTA_WORLD_H
#define TORTA_WORLD_H

#include "core/sim.h"

int torta_world_build(torta_sim *sim, const cJSON *cfg, const char *topology_path, torta_err *e);

#endif
