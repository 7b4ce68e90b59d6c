/* Unit tests of the prefix-block LRU (src/cluster/prefix_cache.c): eviction order, touch,
 * leading-run matches, capacities 0 and 1, clear, and random operations against a plain array
 * kept in recency order (with ids that collide in the hash table, so backward-shift deletion is
 * exercised). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/prefix_cache.h"
#include "torta/rng.h"
#include "expect.h"
#include "run_suite.h"

/* The ids from most to least recent must be exactly want[0..n). */
static void expect_order(const torta_pcache *c, const uint64_t *want, int n)
{
    ck_assert_int_eq(c->n, n);
    uint64_t got[64] = {0};
    torta_pcache_order(c, got);
    for (int i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "position %d: got %llu, want %llu", i,
                      (unsigned long long)got[i], (unsigned long long)want[i]);
}

START_TEST(evicts_the_least_recently_used)
{
    torta_pcache c;
    ck_assert_int_eq(torta_pcache_init(&c, 3), 0);
    ck_assert_int_eq(torta_pcache_touch(&c, 10), 1);
    ck_assert_int_eq(torta_pcache_touch(&c, 11), 1);
    ck_assert_int_eq(torta_pcache_touch(&c, 12), 1);
    expect_order(&c, (uint64_t[]){12, 11, 10}, 3);
    ck_assert_int_eq(torta_pcache_touch(&c, 10), 0); /* touch: 10 becomes the most recent */
    expect_order(&c, (uint64_t[]){10, 12, 11}, 3);
    ck_assert_int_eq(torta_pcache_touch(&c, 13), 1); /* full: 11, the least recent, goes */
    expect_order(&c, (uint64_t[]){13, 10, 12}, 3);
    ck_assert(!torta_pcache_has(&c, 11));
    ck_assert_int_eq(c.evicted, 1);
    ck_assert_int_eq(torta_pcache_touch(&c, 11), 1); /* back in; 12 goes */
    expect_order(&c, (uint64_t[]){11, 13, 10}, 3);
    ck_assert_int_eq(c.evicted, 2);
    ck_assert_int_eq(torta_pcache_touch(&c, 11), 0); /* already the head: nothing moves */
    expect_order(&c, (uint64_t[]){11, 13, 10}, 3);
    torta_pcache_free(&c);
}
END_TEST

START_TEST(match_is_the_leading_run)
{
    torta_pcache c;
    ck_assert_int_eq(torta_pcache_init(&c, 8), 0);
    const uint64_t p[] = {0, 1, 2, 3, 4};
    ck_assert_int_eq(torta_pcache_match(&c, p, 5), 0);
    for (int k = 2; k >= 0; k--)
        torta_pcache_touch(&c, p[k]);
    torta_pcache_touch(&c, 4); /* held, but after a gap: does not count */
    ck_assert_int_eq(torta_pcache_match(&c, p, 5), 3);
    ck_assert_int_eq(torta_pcache_match(&c, p, 2), 2);
    ck_assert_int_eq(torta_pcache_match(&c, p + 1, 4), 2);
    ck_assert_int_eq(torta_pcache_match(&c, p + 3, 2), 0);
    ck_assert_int_eq(torta_pcache_match(&c, p, 0), 0);
    /* Matching changes nothing: 4 is still the most recent, 2..0 follow. */
    expect_order(&c, (uint64_t[]){4, 0, 1, 2}, 4);
    torta_pcache_clear(&c);
    ck_assert_int_eq(c.n, 0);
    ck_assert_int_eq(torta_pcache_match(&c, p, 5), 0);
    ck_assert_int_eq(torta_pcache_touch(&c, 3), 1); /* usable after a clear */
    expect_order(&c, (uint64_t[]){3}, 1);
    torta_pcache_free(&c);
}
END_TEST

START_TEST(capacity_zero_and_one)
{
    torta_pcache c;
    ck_assert_int_eq(torta_pcache_init(&c, 0), 0);
    ck_assert_int_eq(torta_pcache_touch(&c, 7), 0); /* holds nothing */
    ck_assert_int_eq(c.n, 0);
    ck_assert(!torta_pcache_has(&c, 7));
    ck_assert_int_eq(torta_pcache_match(&c, (uint64_t[]){7}, 1), 0);
    torta_pcache_clear(&c);
    torta_pcache_free(&c);

    ck_assert_int_eq(torta_pcache_init(&c, 1), 0);
    ck_assert_int_eq(torta_pcache_touch(&c, 7), 1);
    ck_assert(torta_pcache_has(&c, 7));
    ck_assert_int_eq(torta_pcache_touch(&c, 7), 0);
    ck_assert_int_eq(torta_pcache_touch(&c, 8), 1); /* 7 goes */
    ck_assert(!torta_pcache_has(&c, 7) && torta_pcache_has(&c, 8));
    expect_order(&c, (uint64_t[]){8}, 1);
    ck_assert_int_eq(c.evicted, 1);
    /* A prompt of 3 blocks touched last to first leaves its first block. */
    const uint64_t p[] = {20, 21, 22};
    for (int k = 2; k >= 0; k--)
        torta_pcache_touch(&c, p[k]);
    ck_assert_int_eq(torta_pcache_match(&c, p, 3), 1);
    torta_pcache_free(&c);
}
END_TEST

/* Random touches against a reference list in recency order. Ids come from a range a little
 * larger than the capacity, so the cache stays full and evicts on most misses: deletions inside
 * probe runs are frequent (the table is at its load limit of one half). */
static void run_random(uint64_t seed, int cap, int range, int ops)
{
    gsl_rng *g = torta_rng_stream(seed, "prefix-cache-test");
    torta_pcache c;
    ck_assert_int_eq(torta_pcache_init(&c, cap), 0);
    uint64_t *ref = malloc(sizeof *ref * (size_t)(cap + 1)), *got = malloc(sizeof *got * (size_t)(cap + 1));
    int n = 0;
    int64_t evicted = 0;
    for (int op = 0; op < ops; op++) {
        uint64_t id = gsl_rng_uniform_int(g, (unsigned long)range) * 1000003u; /* spread-out ids */
        int at = -1;
        for (int k = 0; k < n; k++)
            if (ref[k] == id)
                at = k;
        int inserted = torta_pcache_touch(&c, id);
        EXPECT(inserted == (at < 0), "op %d: touch returned %d for an id %s", op, inserted,
               at < 0 ? "absent" : "held");
        if (at < 0) {
            if (n == cap) {
                n--; /* the tail goes */
                evicted++;
            }
            at = n++;
        }
        memmove(ref + 1, ref, sizeof *ref * (size_t)at);
        ref[0] = id;
        torta_pcache_order(&c, got);
        EXPECT(c.n == n && memcmp(got, ref, sizeof *ref * (size_t)n) == 0, "op %d: order differs", op);
        for (int v = 0; v < range; v += 7) {
            uint64_t q = (uint64_t)v * 1000003u;
            int held = 0;
            for (int k = 0; k < n; k++)
                held |= ref[k] == q;
            EXPECT(torta_pcache_has(&c, q) == held, "op %d: has(%llu)", op, (unsigned long long)q);
        }
    }
    EXPECT(c.evicted == evicted, "evicted %lld, want %lld", (long long)c.evicted, (long long)evicted);
    torta_pcache_free(&c);
    free(ref);
    free(got);
    gsl_rng_free(g);
}

START_TEST(random_operations_match_a_list)
{
    run_random(1, 1, 4, 2000);
    run_random(2, 5, 12, 20000);
    run_random(3, 32, 80, 40000);
    run_random(4, 100, 150, 20000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prefix_cache");
    TCase *tc = tcase_create("prefix_cache");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, evicts_the_least_recently_used);
    tcase_add_test(tc, match_is_the_leading_run);
    tcase_add_test(tc, capacity_zero_and_one);
    tcase_add_test(tc, random_operations_match_a_list);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
