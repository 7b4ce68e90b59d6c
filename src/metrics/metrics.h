/* Run metrics: per-request rows (requests.csv), per-slot per-region rows (slots.csv), latency
 * histograms (latency.csv), load balance and cost accumulators, and the summary (summary.json + stdout table).
 * Metrics observe the run; they never drive it. */
#ifndef TORTA_METRICS_H
#define TORTA_METRICS_H

#include <stdio.h>

#include "core/sim.h"

/* The output the configuration asks for: output.requests_csv (false: no requests.csv) and
 * output.compress ("none", the default: *gzip_level 0; "gzip": level 1; "gzip:N", N the deflate
 * level 1-9), which applies to requests.csv and slots.csv; an unknown value is an input error. */
int torta_metrics_output_mode(const cJSON *config, int *requests_csv, int *gzip_level, torta_err *e);
/* dir: folder to write requests.csv (when requests_csv) and slots.csv into, gzip-compressed
 * at gzip_level > 0 (.gz added to their names), or NULL for no files. */
int torta_metrics_new(torta_sim *sim, const char *dir, int requests_csv, int gzip_level,
                      torta_metrics **out, torta_err *e);
void torta_metrics_free(torta_metrics *m);
/* The service-level objective whose attainment the summary reports (config "slo"): the share of
 * completed requests with TTFT <= ttft_s and e2e <= e2e_s. */
void torta_metrics_set_slo(torta_metrics *m, double ttft_s, double e2e_s);
/* A request left the system (completed or rejected); net_out_s / ttft_net_s: response transfer. */
int torta_metrics_request(torta_metrics *m, const torta_sim *sim, const torta_request *r,
                          double net_out_s, double ttft_net_s, torta_err *e);
/* A slot [start, end) ended and the ledger has billed it: write its rows, fold its load,
 * occupancy and spread into the totals. */
int torta_metrics_slot(torta_metrics *m, torta_sim *sim, double start, double end, torta_err *e);
/* Flushes and closes the CSV files. */
int torta_metrics_close(torta_metrics *m, torta_err *e);
/* Writes dir/latency.csv: one row per non-empty bucket of each latency histogram (the
 * summary's latency_s), in the summary's metric order and by increasing value. */
int torta_metrics_write_latency(const torta_metrics *m, const char *dir, torta_err *e);
/* The summary as JSON (caller owns it). */
cJSON *torta_metrics_summary(const torta_metrics *m, const torta_sim *sim, const char *workload,
                             int complete);
void torta_metrics_print_table(const cJSON *summary, FILE *out);

#endif
