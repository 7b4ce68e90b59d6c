/* Failure injection (see faults.c). */
#ifndef TORTA_FAULTS_H
#define TORTA_FAULTS_H

#include "core/sim.h"

/* Schedules the faults of the configuration's "faults" section. */
int torta_faults_setup(torta_sim *sim, const cJSON *cfg, torta_err *e);

#endif
