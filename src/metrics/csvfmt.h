/* Fast CSV field formatting for the per-request rows (printf's %.6f dominated a run's time). */
#ifndef TORTA_CSVFMT_H
#define TORTA_CSVFMT_H

#include <stdint.h>

/* Decimal integer; returns the end of what was written. */
char *torta_fmt_i64(char *p, int64_t v);

/* Longest "%.6f" of a double: sign, 309 integer digits, point, 6 decimals. */
#define TORTA_FMT_FIXED6_MAX 317

/* x rounded to 6 decimals, as printf("%.6f") writes it for |x| < 1e9 (ties may round away
 * from zero where printf rounds to even, and a negative x that rounds to zero has no sign:
 * never more than 1e-6 apart). Larger or non-finite values go through snprintf. Writes at
 * most TORTA_FMT_FIXED6_MAX characters; needs room for one more. */
char *torta_fmt_fixed6(char *p, double x);
/* Copies a NUL-terminated string. */
char *torta_fmt_str(char *p, const char *s);

#endif
