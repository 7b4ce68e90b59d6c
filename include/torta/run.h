/* One simulation run: configuration + topology + workload in, metrics files and a summary out. */
#ifndef TORTA_RUN_H
#define TORTA_RUN_H

#include <cjson/cJSON.h>

#include "torta/err.h"
#include "torta/topology.h"
#include "torta/workload.h"

typedef struct torta_run_opts {
    const cJSON *config;          /* effective configuration (torta_config_build) */
    const char *topology_path;
    const char *trace_path;       /* exactly one of trace_path / workload_spec */
    const char *workload_spec;
    torta_trace_opts trace;
    const char *out_dir;          /* NULL: no files; else written atomically (temp dir + rename) */
    int force;                    /* replace an existing out_dir, if torta-sim made it (--force) */
    const char *extra_json_name;  /* non-NULL: one more file written with the outputs (sweep: */
    const cJSON *extra_json;      /*   point.json), so the folder is complete when it appears */
    int progress;                 /* progress line on stderr */
    volatile int *stop_flag;      /* non-NULL: a signal handler sets *stop_flag to stop early */
    void *macro_learner;          /* training: passed to the schedulers (torta_sched_env.learner) */
    void *micro_learner;
    const cJSON *record;          /* NULL, or config.json's "run" member: inputs with their
                                   * sha256, command line, commit (torta-sim rerun reads it) */
    torta_warn_fn warn;           /* non-fatal warnings (may be NULL) */
    void *warn_ud;
} torta_run_opts;

/* Runs to completion (or until *stop_flag). On success *summary holds the summary JSON (the
 * caller frees it) and, with out_dir, requests.csv, slots.csv, summary.json and config.json are
 * in out_dir. On error nothing is left in out_dir; an existing out_dir is checked (and a bad one
 * refused) before any set-up work. */
int torta_run(const torta_run_opts *o, cJSON **summary, torta_err *e);

/* Saturation throughput per server type (GPU, model, TP) of the world a run with these options
 * would build, for its workload's length mix (the capacity that load is measured against): a
 * JSON array of {gpu, model, tp, servers, saturation_rps, fitted_profile}. Runs no simulation. */
int torta_saturation_table(const torta_run_opts *o, cJSON **table, torta_err *e);

#endif
