/* What `torta-sim compare` reports once its runs are done: the table on stdout (mean +- 95% CI per
 * scheduler, the reference's paired relative change against each other scheduler with its CI
 * and a mark where it is not significant) and DIR/compare_stats.csv (the same numbers for every
 * numeric summary field, with the paired t-test's t and p-value). */
#ifndef TORTA_CLI_COMPARE_REPORT_H
#define TORTA_CLI_COMPARE_REPORT_H

#include "cli/sched_list.h"
#include "sweep/sweep.h"

/* Below this many seeds the table and stderr say that the intervals are wide. */
#define COMPARE_FEW_SEEDS 5

typedef struct compare_input {
    const torta_points *pl;        /* values[0] = scheduler label, values[1] = seed */
    const torta_point_result *res;
    const char *out_dir;
    const cli_sched_list *scheds;
    int ref;                       /* index of the reference scheduler */
    const char *why;               /* why it is the reference */
    const double *seeds;
    int n_seeds;
    const char *const *metrics;    /* table rows; NULL: the default list; "all" resolved by caller */
    int all_metrics;               /* every numeric field as a table row */
} compare_input;

/* Prints the table, warns below COMPARE_FEW_SEEDS seeds, writes DIR/compare_stats.csv.
 * Returns 0 or a TORTA_E* code (e set). */
int compare_report(const compare_input *in, torta_err *e);

#endif
