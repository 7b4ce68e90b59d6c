/* Unit tests of the remaining-time estimate on progress lines (src/cli/eta.c). */
#include <check.h>

#include "cli/eta.h"
#include "run_suite.h"

static const char *eta(double elapsed_s, long done, long total)
{
    static char buf[64];
    cli_eta(buf, sizeof buf, elapsed_s, done, total);
    return buf;
}

START_TEST(remaining_time_at_the_pace_so_far)
{
    ck_assert_str_eq(eta(10.0, 1, 4), ", ETA 30 s");            /* 3 more at 10 s */
    ck_assert_str_eq(eta(1.75, 1, 1000), ", ETA 29 min 08 s");  /* 999 x 1.75 s = 1748.25 s */
    ck_assert_str_eq(eta(60.0, 2, 300), ", ETA 2 h 29 min");    /* 298 x 30 s = 8940 s */
    ck_assert_str_eq(eta(59.6, 1, 2), ", ETA 1 min 00 s");      /* rounds to the second */
}
END_TEST

START_TEST(nothing_to_estimate)
{
    ck_assert_str_eq(eta(5.0, 0, 10), "");  /* nothing done yet */
    ck_assert_str_eq(eta(5.0, 10, 10), ""); /* nothing left */
    ck_assert_str_eq(eta(5.0, 12, 10), "");
    ck_assert_str_eq(eta(0.4, 1, 2), ""); /* under a second */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_eta");
    TCase *tc = tcase_create("cli_eta");
    tcase_add_test(tc, remaining_time_at_the_pace_so_far);
    tcase_add_test(tc, nothing_to_estimate);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
