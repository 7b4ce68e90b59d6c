/* Fast CSV field formatting for the per-request rows (printf's %.6f dominated a run's time). */
#ifndef TORTA_CSVFMT_H
#define TORTA_CSVFMT_H

#include <stdint.h>

/* Decimal integer; returns the end of what was written. */
char *torta_fmt_i64(char *p, int64_t v);
/* x rounded to 6 decimals, as printf("%.6f") writes it for |x| < 1e12 (ties may round away
 * from zero where printf rounds to even: never more than 1e-6 apart). Larger or non-finite
 * values go through snprintf. Writes at most 32 characters. */
char *torta_fmt_fixed6(char *p, double x);
/* Copies a NUL-terminated string. */
char *torta_fmt_str(char *p, const char *s);

#endif
