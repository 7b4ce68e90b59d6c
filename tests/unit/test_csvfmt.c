/* Unit tests of the requests.csv field formatters (src/metrics/csvfmt.c) against printf: the
 * integers exactly; %.6f exactly except where the documented contract allows a difference (a
 * value within rounding error of half a microsecond, or a negative value that rounds to zero,
 * written without its sign), and then by at most one in the last place. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/csvfmt.h"
#include "torta/rng.h"
#include "expect.h"
#include "run_suite.h"

static void check_i64(int64_t v)
{
    char got[32], want[32];
    *torta_fmt_i64(got, v) = '\0';
    snprintf(want, sizeof want, "%lld", (long long)v);
    EXPECT(strcmp(got, want) == 0, "%lld written as \"%s\"", (long long)v, got);
}

static void check_fixed6(double x)
{
    char got[TORTA_FMT_FIXED6_MAX + 1], want[TORTA_FMT_FIXED6_MAX + 1];
    *torta_fmt_fixed6(got, x) = '\0';
    snprintf(want, sizeof want, "%.6f", x);
    if (strcmp(got, want) == 0)
        return;
    double y = fabs(x) * 1e6, frac = y - floor(y);
    int near_tie = fabs(frac - 0.5) <= y * 1e-15 + 1e-12;
    int signed_zero = signbit(x) && strcmp(want, "-0.000000") == 0 && strcmp(got, "0.000000") == 0;
    EXPECT(near_tie || signed_zero, "%.17g written as \"%s\", printf writes \"%s\"", x, got, want);
    EXPECT(strlen(want) <= TORTA_FMT_FIXED6_MAX, "%.17g: printf wrote %zu characters", x, strlen(want));
    EXPECT(fabs(strtod(got, NULL) - strtod(want, NULL)) <= 1.000001e-6 + fabs(x) * 1e-15,
           "%.17g: \"%s\" and \"%s\" are more than 1e-6 apart", x, got, want);
}

START_TEST(integers_match_printf)
{
    const int64_t edges[] = {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, 99999999,
                             100000000, -1, -9, -10, -100, -12345, INT64_MAX, INT64_MIN,
                             INT64_MAX / 10, 1000000000000000000LL, 9999999999999999999ULL / 2};
    for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
        check_i64(edges[k]);
    uint64_t p = 1;
    for (int d = 0; d < 19; d++, p *= 10) { /* every digit count, and its neighbours */
        check_i64((int64_t)p - 1);
        check_i64((int64_t)p);
        check_i64((int64_t)p + 1);
        check_i64(-(int64_t)p);
    }
    gsl_rng *g = torta_rng_stream(7, "csvfmt-test");
    for (int k = 0; k < 200000; k++) {
        uint64_t v = (uint64_t)gsl_rng_get(g) << 32 ^ gsl_rng_get(g);
        check_i64((int64_t)(v >> gsl_rng_uniform_int(g, 64)));
    }
    gsl_rng_free(g);
}
END_TEST

START_TEST(fixed6_matches_printf)
{
    const double edges[] = {0.0, -0.0, 1e-7, 4e-7, 5e-7, 6e-7, -4e-7, -6e-7, 0.000001, 0.5, 1.0,
                            0.9999994, 0.9999996, 9.9999995, 59.999999, 123456.789012,
                            999999999.999999, 1e9, 9e9 + 0.25, 999999999999.0, 1e12, -1e12, 1e300, -DBL_MAX, -5.25,
                            INFINITY, -INFINITY, NAN};
    for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
        check_fixed6(edges[k]);
    gsl_rng *g = torta_rng_stream(8, "csvfmt-test");
    for (int k = 0; k < 300000; k++) { /* magnitudes from 1e-8 to 1e13, either sign */
        double x = pow(10.0, -8.0 + 21.0 * gsl_rng_uniform(g));
        check_fixed6(gsl_rng_uniform(g) < 0.2 ? -x : x);
    }
    for (int k = 0; k < 100000; k++) /* whole microseconds: the shortest fractions */
        check_fixed6((double)gsl_rng_uniform_int(g, 1000000000) * 1e-6);
    gsl_rng_free(g);
}
END_TEST

START_TEST(str_copies_without_terminator)
{
    char buf[8] = "#######";
    char *end = torta_fmt_str(buf, "abc");
    ck_assert_ptr_eq(end, buf + 3);
    ck_assert_int_eq(memcmp(buf, "abc####", 7), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csvfmt");
    TCase *tc = tcase_create("csvfmt");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, integers_match_printf);
    tcase_add_test(tc, fixed6_matches_printf);
    tcase_add_test(tc, str_copies_without_terminator);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
