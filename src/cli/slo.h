/* Service-level objectives of capacity-search: "ttft_p95=2,tpot_p95=0.2" = p95 TTFT at most 2 s
 * and p95 TPOT at most 0.2 s. docs/capacity-search.md. */
#ifndef TORTA_CLI_SLO_H
#define TORTA_CLI_SLO_H

#include "torta/err.h"

typedef struct cli_slo {
    char name[64];   /* as written: "ttft_p95" or a summary field */
    char field[128]; /* the flattened summary field: "latency_s.ttft.p95" */
    double max;      /* the bound: met when the value is at most this */
} cli_slo;

/* Parses "NAME=X[,NAME=X...]": NAME is {ttft,tpot,e2e,queue,network}_{mean,p50,p95,p99,max}
 * (seconds) or a flattened summary field with a dot (requests.rejected=0); X a number >= 0.
 * *out is malloc'ed. Errors (TORTA_EINPUT) name the bad part. */
int cli_slo_parse(const char *text, cli_slo **out, int *n, torta_err *e);

#endif
