/* EXPECT(cond, fmt, ...): a Check assertion for hot test loops. Check records the location of
 * every passing ck_assert (a write per call); this calls into Check only on failure. */
#ifndef TORTA_TEST_EXPECT_H
#define TORTA_TEST_EXPECT_H

#include <check.h>

#define EXPECT(cond, ...)              \
    do {                               \
        if (!(cond))                   \
            ck_abort_msg(__VA_ARGS__); \
    } while (0)

#endif
