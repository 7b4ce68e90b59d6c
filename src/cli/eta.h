/* Remaining-time estimates for the progress lines of long commands (train, compare, sweep).
 * Wall-clock time only ever goes to stderr. */
#ifndef TORTA_CLI_ETA_H
#define TORTA_CLI_ETA_H

#include <stddef.h>

/* Monotonic wall-clock seconds. */
double cli_wall_s(void);

/* Writes into buf[n] ", ETA 12 min 05 s": the time the remaining (total - done) items take at
 * the pace of the first `done`, which took elapsed_s; "" when nothing is done yet or less than
 * a second is left. */
void cli_eta(char *buf, size_t n, double elapsed_s, long done, long total);

#endif
