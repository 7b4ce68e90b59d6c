/* Saturation throughput of a server type, measured with the simulator's own server model: the
 * capacity that "load" is measured against (load = offered requests/s / saturation requests/s
 * of the active servers). */
#ifndef TORTA_SATURATION_H
#define TORTA_SATURATION_H

#include "core/sim.h"
#include "torta/run.h"

/* Length mix: up to `max` requests read from the run's workload (a second reader of the same
 * trace or synthetic spec, so the run itself is untouched). *n may be 0 for an empty workload. */
int torta_saturation_sample(const torta_run_opts *o, uint64_t seed, int n_regions, const double *tz,
                            int max, torta_req_in **out, int *n, torta_err *e);

/* Requests/s that server s of the built world completes when it always has work: all n sample
 * requests (lengths only; model = its resident model) queue at t = 0 and the rate is measured
 * between the 10th and the 90th percentile of completions (so neither the first batch's ramp
 * nor the last one's drain counts). Requests too long for its KV cache are left out. 0 when
 * nothing fits. */
int torta_saturation_rps(const torta_sim *world, int s, const torta_req_in *sample, int n,
                         double *rps, torta_err *e);

/* Sets sat_rps of every server of the world (one measurement per distinct GPU, model and TP). */
int torta_saturation_fill(torta_sim *world, const torta_req_in *sample, int n, torta_err *e);

#endif
