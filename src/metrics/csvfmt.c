/* Fast CSV field formatting. */
#include "metrics/csvfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static char *fmt_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *torta_fmt_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return fmt_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return fmt_u64(p, (uint64_t)v);
}

char *torta_fmt_fixed6(char *p, double x)
{
    if (!(fabs(x) < 1e12))
        return p + snprintf(p, 32, "%.6f", x);
    uint64_t micro = (uint64_t)llround(fabs(x) * 1e6);
    if (x < 0 && micro > 0)
        *p++ = '-';
    p = fmt_u64(p, micro / 1000000);
    *p++ = '.';
    uint64_t frac = micro % 1000000;
    for (int k = 5; k >= 0; k--) {
        p[k] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return p + 6;
}

char *torta_fmt_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}
