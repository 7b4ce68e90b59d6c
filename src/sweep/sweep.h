/* Many runs: a list of points (one independent deterministic simulation each) built from a sweep
 * spec (spec.c) or by `compare`, run by worker processes (pool.c) or MPI ranks (mpi.c), and
 * gathered into CSV tables (tables.c); plus the statistics of compare (stats.c) and the
 * benchmark-vs-baseline check (bench.c). Point outputs live in OUT/<point id>/. */
#ifndef TORTA_SWEEP_H
#define TORTA_SWEEP_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "torta/err.h"
#include "torta/run.h"

/* ---- points ---------------------------------------------------------------------------- */

typedef struct torta_point {
    char *id;          /* folder name under the output folder: [A-Za-z0-9._=+-], unique */
    char **values;     /* the point's value of each axis (torta_points.params), as text */
    char **sets;       /* "path=value" overrides applied over the base config file, in order */
    int n_sets;
    char *topology;
    char *trace;       /* exactly one of trace / workload */
    char *workload;
    torta_trace_opts trace_opts;
    cJSON *desc;       /* everything above that affects the run; written to point.json */
} torta_point;

typedef struct torta_points {
    torta_point *p;
    int n, cap;
    char **params;     /* axis names: the parameter columns of manifest.csv and the result CSVs */
    int n_params;
    char *config_path; /* base configuration file (merged over the defaults), or NULL */
} torta_points;

int torta_points_init(torta_points *pl, const char *const *params, int n_params,
                      const char *config_path, torta_err *e);
/* Adds a point (everything is copied). Ids must be unique; values has n_params entries. */
int torta_points_add(torta_points *pl, const char *id, const char *const *values,
                     const char *const *sets, int n_sets, const char *topology, const char *trace,
                     const char *workload, const torta_trace_opts *trace_opts, torta_err *e);
void torta_points_free(torta_points *pl);
/* Builds every point's configuration once, so a typo fails before anything runs. */
int torta_points_validate(const torta_points *pl, torta_err *e);

/* Turns text into an id fragment: '/' becomes '+', other characters outside [A-Za-z0-9._=+-]
 * become '_'. */
void torta_id_sanitize(const char *in, char *out, size_t n);

/* ---- schedulers by name (presets.c) ---------------------------------------------------- */

typedef struct torta_sched_preset {
    const char *name, *macro, *micro, *summary; /* micro NULL: the configured one */
    const char *autoscaler; /* capacity.autoscaler it runs with, or NULL for the configured one */
} torta_sched_preset;

/* At most this many --set overrides come from one scheduler name. */
#define TORTA_SCHED_MAX_SETS 3

/* The preset table, terminated by a NULL name. */
const torta_sched_preset *torta_sched_presets(void);
/* Resolves a scheduler name as used by compare and sweep: a preset, a macro name (the micro
 * is the configured scheduler.micro: *micro = ""), or "macro/micro". Both parts are checked
 * against the registry; an unknown name is a TORTA_EINPUT error with a did-you-mean. */
int torta_sched_resolve(const char *name, char *macro, size_t macro_n, char *micro, size_t micro_n,
                        torta_err *e);
/* Appends the --set overrides that select the scheduler `name` to sets[*n] (strings malloc'ed). */
int torta_sched_sets(const char *name, char **sets, int *n, torta_err *e);

/* ---- sweep spec (spec.c) --------------------------------------------------------------- */

/* Loads a sweep spec (docs/sweeps.md) and expands its grid into points, in the order
 * topologies x workloads x schedulers x set keys (spec order) x seeds, the last varying fastest. */
int torta_sweep_spec_load(const char *path, torta_points *pl, torta_err *e);
/* Parses a seed list "1-5", "1,2,7" or "3" (whole numbers >= 0) into a malloc'ed array. */
int torta_seeds_parse(const char *text, double **seeds, int *n, torta_err *e);

/* ---- running (pool.c, mpi.c) ----------------------------------------------------------- */

typedef enum {
    TORTA_PT_PENDING,     /* not run (yet) */
    TORTA_PT_OK,          /* ran now, complete */
    TORTA_PT_CACHED,      /* complete outputs of an earlier invocation found; not re-run */
    TORTA_PT_FAILED,      /* error or crash: `error` says which */
    TORTA_PT_INTERRUPTED  /* stopped by a signal; re-run next time */
} torta_point_status;

#define TORTA_SWEEP_KEY_METRICS 7
typedef struct torta_point_result {
    int status;           /* torta_point_status */
    double wall_s;        /* wall-clock seconds (manifest.csv only: not deterministic); < 0 unknown */
    double key[TORTA_SWEEP_KEY_METRICS]; /* torta_sweep_key_metrics() of the summary, NAN if none */
    int rank;             /* the MPI rank that ran it (0: local) */
    char error[1024];
} torta_point_result;

/* The summary fields manifest.csv shows (flattened names, e.g. "latency_s.e2e.mean"). */
const char *const *torta_sweep_key_metrics(void);
const char *torta_point_status_name(int status);

typedef void (*torta_sweep_progress_fn)(void *ud, const torta_points *pl, int i,
                                        const torta_point_result *r, int n_done, int n_todo);

typedef struct torta_sweep_opts {
    const char *out_dir;
    int jobs;                 /* worker processes (<= 0: the number of online cores) */
    int rerun_all;            /* ignore earlier complete outputs (benchmarks) */
    volatile int *stop_flag;  /* set by a signal handler: stop launching, interrupt the running */
    torta_sweep_progress_fn progress; /* called in the parent after each point; may be NULL */
    void *progress_ud;
    torta_warn_fn warn;       /* run warnings, called in the worker with "point <id>: ..." */
    void *warn_ud;
} torta_sweep_opts;

/* check.c: starts the schedulers of each kind of point (once per topology and set of overrides,
 * whatever the seed and workload); an error starting one (e.g. a trained policy that does not
 * fit) is returned, naming the point. */
int torta_points_check_schedulers(const torta_points *pl, torta_err *e);

/* Marks each point CACHED (its summary.json says "complete": true and its point.json matches)
 * or PENDING, taking wall times of cached points from an earlier manifest.csv. First, before
 * writing anything, checks that every point's schedulers start (torta_points_check_schedulers). */
int torta_sweep_prepare(const torta_points *pl, const torta_sweep_opts *o, torta_point_result *res,
                        torta_err *e);
/* Runs the PENDING points, o->jobs at a time, each in a forked worker process (a crash fails
 * that point only). Errors only for the pool itself (fork, pipe); point failures go to res. */
int torta_sweep_run_local(const torta_points *pl, const torta_sweep_opts *o,
                          torta_point_result *res, torta_err *e);
/* Runs point i in this process: config, torta_run into OUT/<id>, then OUT/<id>/point.json.
 * TORTA_EINTERRUPTED when stopped (outputs then say "complete": false). */
int torta_point_run(const torta_points *pl, int i, const char *out_dir, volatile int *stop_flag,
                    torta_warn_fn warn, void *warn_ud, torta_err *e);
/* Runs point i in one forked worker and waits for it; fills *r (used by MPI ranks). */
void torta_point_run_isolated(const torta_points *pl, int i, const torta_sweep_opts *o,
                              torta_point_result *r);
/* Removes a folder and everything in it (temporary benchmark outputs). */
/* Fills r->key from OUT/<id>/summary.json (NAN when absent). */
void torta_point_read_key(const torta_points *pl, int i, const char *out_dir, torta_point_result *r);

#ifdef TORTA_WITH_MPI
/* The same as prepare + run_local across MPI ranks (MPI initialised by the caller): rank 0 hands
 * point indices to ranks 1..N-1 as they ask, each rank runs its point in a forked worker.
 * Only rank 0's res is filled. With one rank, runs locally with o->jobs. */
int torta_sweep_run_mpi(const torta_points *pl, const torta_sweep_opts *o, torta_point_result *res,
                        torta_err *e);
#endif

/* ---- tables (tables.c) ----------------------------------------------------------------- */

/* The summary as a flat object {"latency_s.e2e.mean": "9.53...", ...}, in the summary's key
 * order; every value a string: numbers in shortest round-trip form, arrays joined by ';'. */
cJSON *torta_summary_flatten(const cJSON *summary);
/* Shortest text that reads back as exactly x ("12", "0.1", "nan"). */
void torta_fmt_num(double x, char *buf, size_t n);
/* Writes path through path.tmp-PID + rename: fill(f, ud, e) writes the contents and returns 0
 * or a TORTA_E* code. */
int torta_table_write(const char *path, int (*fill)(FILE *, void *, torta_err *), void *ud,
                      torta_err *e);
/* Writes s CSV-quoted when needed. */
void torta_csv_cell(FILE *f, const char *s);

/* OUT/manifest.csv: point, status, wall_s, parameters, key metrics, error (one row per point). */
int torta_sweep_write_manifest(const torta_points *pl, const torta_point_result *res,
                               const char *out_dir, torta_err *e);
/* OUT/<name>: [point,] parameters, then every flattened summary field (columns in summary key
 * order; one named like a parameter, e.g. "seed", is written as "summary.seed"), one row per
 * complete point in list order. Deterministic: the same inputs give the same bytes, however the points were run. */
int torta_sweep_write_results(const torta_points *pl, const torta_point_result *res,
                              const char *out_dir, const char *name, int with_point_id,
                              torta_err *e);

/* A CSV file read into memory (RFC 4180 quoting). */
typedef struct torta_csv {
    char **cols;
    int n_cols;
    char ***rows;      /* rows[r][c], "" when the row is short */
    int n_rows;
} torta_csv;
int torta_csv_read(const char *path, torta_csv *t, torta_err *e);
int torta_csv_col(const torta_csv *t, const char *name);  /* index or -1 */
void torta_csv_free(torta_csv *t);

/* ---- statistics (stats.c) -------------------------------------------------------------- */

/* Mean and the half-width of its 95% confidence interval (Student t, n-1 degrees of freedom);
 * *half = NAN when n < 2. */
void torta_mean_ci95(const double *x, int n, double *mean, double *half);

/* A paired comparison of two schedulers (or two versions) over the same seeds: the differences
 * d_i = a_i - b_i, their mean, the 95% confidence interval of the mean (Student t, n-1 degrees
 * of freedom) and the two-sided paired t-test of "mean difference = 0". */
typedef struct torta_paired {
    int n;             /* pairs */
    double mean_a, mean_b;
    double diff;       /* mean of a_i - b_i (= mean_a - mean_b) */
    double sd;         /* sample standard deviation of the differences; NAN when n < 2 */
    double half;       /* t(0.975, n-1) * sd / sqrt(n): the CI is diff +- half; NAN when n < 2 */
    double t;          /* diff / (sd / sqrt(n)); +-INFINITY when sd = 0 < |diff|, 0 when every
                        * difference is 0, NAN when n < 2 */
    double p;          /* two-sided p-value, P(|T| >= |t|), T ~ Student t(n-1); NAN when n < 2 */
} torta_paired;
void torta_paired_t(const double *a, const double *b, int n, torta_paired *r);
/* 1 when the 95% CI of the mean difference excludes 0 (equivalently p < 0.05), 0 when it
 * includes 0 (not significant), -1 when it cannot be said (n < 2). */
int torta_paired_significant(const torta_paired *r);

/* ---- benchmark check (bench.c) --------------------------------------------------------- */

typedef struct torta_bench_metric {
    const char *name;  /* flattened summary field */
    double tolerance;  /* relative: 0.02 = 2% */
    int better;        /* -1 lower is better, +1 higher is better, 0 any change is a regression */
} torta_bench_metric;

/* The direction of a metric, guessed from its name (latency/cost/rejected/std/cv: lower). */
int torta_bench_direction(const char *metric);
/* How torta_bench_compare groups and shows the points. */
typedef struct torta_bench_opts {
    const char *const *group_by; /* parameter columns naming a configuration (topology, workload,
                                  * scheduler, set keys): its points (the seeds) are pooled */
    int n_group_by;              /* 0: every point is a configuration of its own */
    const char *seed_col;        /* "seed": shortens a configuration's label to its point id
                                  * without "__s<seed>"; NULL: labels join the group_by values */
    int all_rows;                /* 1: a row per configuration x metric; 0: only the rows that
                                  * changed, regressed or cannot be compared */
} torta_bench_opts;

typedef struct torta_bench_tally {
    int values;        /* configuration x metric comparisons */
    int configs;       /* configurations compared */
    int regressions;   /* beyond tolerance in the bad direction, not comparable, points missing */
    int improvements;  /* beyond tolerance in the good direction */
    int changed;       /* any other difference (within tolerance) */
} torta_bench_tally;

/* Compares two result CSVs (sweep.csv format) on the given metrics, pooled per configuration:
 * the mean over its seeds now against the baseline's, with the 95% CI of each and the paired
 * (by point) CI of the change, and writes a Markdown table (configuration, metric, baseline,
 * now, change, tolerance, verdict) and a one-line total to md. The verdict uses the relative
 * change of the mean against the tolerance; a point missing on either side is a regression of
 * its own. */
int torta_bench_compare(const char *baseline_csv, const char *current_csv,
                        const torta_bench_metric *m, int n_m, const torta_bench_opts *o, FILE *md,
                        torta_bench_tally *t, torta_err *e);

#endif
