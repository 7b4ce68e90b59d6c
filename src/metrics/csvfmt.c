/* Fast CSV field formatting: digits two at a time from a table of the pairs 00..99. */
#include "metrics/csvfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char digit_pairs[200] = {
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899"};

static const uint64_t powers_of_ten[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL, 10000000000000000000ULL};

static void put_pair(char *p, unsigned v)
{
    memcpy(p, digit_pairs + 2 * v, 2);
}

/* Digits of v from the end backwards; most values here fit 32 bits, which divide faster. */
static char *fmt_u64(char *p, uint64_t v)
{
    int n = 1;
    while (n < 20 && v >= powers_of_ten[n])
        n++;
    char *end = p + n, *q = end;
    for (; v > UINT32_MAX; v /= 100) {
        q -= 2;
        put_pair(q, (unsigned)(v % 100));
    }
    uint32_t w = (uint32_t)v;
    for (; w >= 100; w /= 100) {
        q -= 2;
        put_pair(q, w % 100);
    }
    if (w >= 10)
        put_pair(q - 2, w);
    else
        q[-1] = (char)('0' + w);
    return end;
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
    if (!(fabs(x) < 1e9)) /* beyond, x * 1e6 cannot hold the microseconds exactly */
        return p + snprintf(p, TORTA_FMT_FIXED6_MAX + 1, "%.6f", x);
    /* Rounds half away from zero, as llround: every step is exact below 2^53. */
    double y = fabs(x) * 1e6;
    uint64_t micro = (uint64_t)y;
    micro += y - (double)micro >= 0.5;
    if (x < 0 && micro > 0)
        *p++ = '-';
    p = fmt_u64(p, micro / 1000000);
    *p++ = '.';
    unsigned frac = (unsigned)(micro % 1000000);
    put_pair(p, frac / 10000);
    put_pair(p + 2, frac / 100 % 100);
    put_pair(p + 4, frac % 100);
    return p + 6;
}

char *torta_fmt_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}
