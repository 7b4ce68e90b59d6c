/* Unit tests of the per-server timers (src/core/timers.c): after every random set, replace and
 * clear, the tree's first timer must be the earliest by (time, sequence) of a plain array, with
 * many equal times, and `pending` must count the timers set. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "core/timers.h"
#include "torta/rng.h"
#include "expect.h"
#include "run_suite.h"

static void run_random(uint64_t seed, int n, long ops)
{
    gsl_rng *g = torta_rng_stream(seed, "timers-test");
    torta_timers t;
    ck_assert_int_eq(torta_timers_init(&t, n), 0);
    double *when = malloc((size_t)n * sizeof *when);
    uint64_t *seq = malloc((size_t)n * sizeof *seq);
    int *set = calloc((size_t)n, sizeof *set);
    uint64_t next_seq = 0;
    for (long op = 0; op < ops; op++) {
        int i = (int)gsl_rng_uniform_int(g, (unsigned long)n);
        if (gsl_rng_uniform(g) < 0.7) {
            /* coarse times: ties are common */
            when[i] = floor(gsl_rng_uniform(g) * 20.0) * 0.5;
            seq[i] = next_seq++;
            set[i] = 1;
            torta_timers_set(&t, i, when[i], seq[i], (uint32_t)(i % 3));
        } else {
            set[i] = 0;
            torta_timers_clear(&t, i);
        }
        int best = -1, count = 0;
        for (int k = 0; k < n; k++) {
            if (!set[k])
                continue;
            count++;
            if (best < 0 || when[k] < when[best] || (when[k] == when[best] && seq[k] < seq[best]))
                best = k;
        }
        const torta_timer_node *first = torta_timers_first(&t);
        EXPECT(first->owner == best, "op %ld: first timer of owner %d, expected %d", op,
               first->owner, best);
        EXPECT(t.pending == count, "op %ld: %d pending, expected %d", op, t.pending, count);
        EXPECT(best < 0 || (t.when[best] == when[best] && first->seq == seq[best] &&
                            t.type[best] == (uint32_t)(best % 3)),
               "op %ld: the first timer's time, sequence or type is wrong", op);
        EXPECT(torta_timers_seq(&t, i) == (set[i] ? seq[i] : UINT64_MAX), "op %ld: seq of %d", op, i);
    }
    torta_timers_free(&t);
    free(when);
    free(seq);
    free(set);
    gsl_rng_free(g);
}

START_TEST(first_timer_matches_a_scan)
{
    run_random(1, 1, 2000);   /* one owner */
    run_random(2, 5, 20000);  /* not a power of two */
    run_random(3, 22, 50000); /* Abilene's servers */
    run_random(4, 64, 50000); /* exactly a power of two */
    run_random(5, 1489, 20000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timers");
    TCase *tc = tcase_create("timers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, first_timer_matches_a_scan);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
