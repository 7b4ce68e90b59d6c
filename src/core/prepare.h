/* The part of a run before its event loop (run.c), shared with tools that need the same world
 * without simulating it (`torta-sim bound`): the world is built, the workload opened and the
 * origin assigner seeded exactly as torta_run does, so regions, servers, classes, prices,
 * start-up lead times, sat_rps and every request's origin are identical to a run's. */
#ifndef TORTA_PREPARE_H
#define TORTA_PREPARE_H

#include "core/sim.h"
#include "torta/run.h"

/* Fills *sim (which it zeroes first): run parameters, world, workload source (sim->source),
 * origin assigner (sim->origin), model mix, saturation throughput of every server. On error
 * *sim may be partly built: torta_run_release it all the same. */
int torta_run_prepare(torta_sim *sim, const torta_run_opts *o, torta_err *e);
/* After torta_run_prepare: starts the macro and micro schedulers as a run would (loading and
 * checking trained policies), without simulating anything. */
int torta_run_prepare_schedulers(torta_sim *sim, const torta_run_opts *o, torta_err *e);
/* Frees everything torta_run_prepare (or a run) built. */
void torta_run_release(torta_sim *sim);

#endif
