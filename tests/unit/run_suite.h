/* run_suite(s): what every unit-test main() ends with: runs the suite (each test in a child
 * process, Check's default) and returns the exit status, failing if any test failed. */
#ifndef TORTA_TEST_RUN_SUITE_H
#define TORTA_TEST_RUN_SUITE_H

#include <check.h>
#include <stdlib.h>

static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
