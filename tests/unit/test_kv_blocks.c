/* Unit tests of the paged KV block counter (src/cluster/kv_blocks.c): for random batches, block
 * sizes and iteration ranges, the blocks held, the crossings over a range of iterations and the
 * room left by a number of free blocks (also under vLLM's preemption rule) must equal a plain
 * per-request, per-iteration count. */
#include <check.h>
#include <stdlib.h>

#include "cluster/kv_blocks.h"
#include "torta/rng.h"
#include "expect.h"
#include "run_suite.h"

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a > 0 ? (a + b - 1) / b : 0;
}

/* Blocks the requests hold after iteration j: sum of ceil((ctx_base + j) / bt). */
static int64_t held(const int64_t *base, int n, int64_t bt, uint64_t j)
{
    int64_t s = 0;
    for (int k = 0; k < n; k++)
        s += ceil_div(base[k] + (int64_t)j, bt);
    return s;
}

static void run_random(uint64_t seed, int32_t bt, int rounds)
{
    gsl_rng *g = torta_rng_stream(seed, "kv-blocks-test");
    for (int round = 0; round < rounds; round++) {
        torta_kv_blocks *kv = torta_kv_new(bt, 0.01);
        ck_assert_ptr_nonnull(kv);
        int n = (int)gsl_rng_uniform_int(g, 40);
        uint64_t j0 = 1 + gsl_rng_uniform_int(g, 5000); /* the iteration they are all at */
        int64_t base[40];
        for (int k = 0; k < n; k++) {
            /* context at j0 between 1 and 5000 tokens: ctx_base may be negative */
            base[k] = 1 + (int64_t)gsl_rng_uniform_int(g, 5000) - (int64_t)j0;
            torta_kv_join(kv, base[k], j0);
        }
        EXPECT(kv->used == held(base, n, bt, j0), "bt %d: %lld blocks held at join, expected %lld", bt,
               (long long)kv->used, (long long)held(base, n, bt, j0));
        uint64_t len = gsl_rng_uniform_int(g, 3 * (unsigned long)bt + 5);
        EXPECT(torta_kv_crossings(kv, j0 + 1, j0 + 1 + len) == held(base, n, bt, j0 + len) - held(base, n, bt, j0),
               "bt %d n %d: crossings over %llu iterations", bt, n, (unsigned long long)len);
        for (int k = 0; k < n; k++)
            EXPECT(torta_kv_crosses(kv, base[k], j0 + 1) ==
                       (ceil_div(base[k] + (int64_t)j0 + 1, bt) > ceil_div(base[k] + (int64_t)j0, bt)),
                   "bt %d: crosses", bt);
        /* Room: the most iterations after j0 whose new blocks fit in `free` (a scan). */
        int64_t free_blocks = (int64_t)gsl_rng_uniform_int(g, 200);
        uint64_t room = torta_kv_room(kv, j0 + 1, free_blocks), want = 0;
        if (n == 0) {
            EXPECT(room == UINT64_MAX, "empty batch: unlimited room");
        } else {
            while (held(base, n, bt, j0 + want + 1) - held(base, n, bt, j0) <= free_blocks)
                want++;
            EXPECT(room == want, "bt %d n %d free %lld: room %llu, expected %llu", bt, n, (long long)free_blocks,
                   (unsigned long long)room, (unsigned long long)want);
        }
        /* vLLM's rule, the last request the youngest: iteration j runs while the blocks needed
         * through j leave one free, or the youngest takes the last one. */
        if (n > 0) {
            uint64_t want_v = 0;
            for (;; want_v++) {
                uint64_t j = j0 + want_v + 1;
                int64_t need = held(base, n, bt, j) - held(base, n, bt, j0);
                int young = ceil_div(base[n - 1] + (int64_t)j, bt) > ceil_div(base[n - 1] + (int64_t)j - 1, bt);
                if (need > free_blocks - 1 + young)
                    break;
            }
            uint64_t room_v = torta_kv_room_vllm(kv, j0 + 1, free_blocks, base[n - 1]);
            EXPECT(room_v == want_v, "bt %d n %d free %lld: vllm room %llu, expected %llu", bt, n,
                   (long long)free_blocks, (unsigned long long)room_v, (unsigned long long)want_v);
        }
        /* Accounting a run of iterations, then everyone leaving, frees every block. */
        kv->from = j0 + 1;
        torta_kv_account(kv, j0 + 1 + len);
        EXPECT(kv->used == held(base, n, bt, j0 + len), "bt %d: accounted blocks", bt);
        for (int k = 0; k < n; k++)
            torta_kv_leave(kv, base[k], j0 + len);
        EXPECT(kv->used == 0 && kv->n == 0, "bt %d: %lld blocks left after everyone left", bt,
               (long long)kv->used);
        torta_kv_free(kv);
    }
    gsl_rng_free(g);
}

START_TEST(counts_match_a_scan)
{
    run_random(1, 1, 300);
    run_random(2, 16, 2000);
    run_random(3, 7, 1000);
    run_random(4, 256, 300);
}
END_TEST

START_TEST(capacity_and_watermark)
{
    torta_kv_blocks *kv = torta_kv_new(16, 0.01);
    ck_assert_ptr_nonnull(kv);
    torta_kv_set_capacity(kv, 451660); /* H100 x4, Llama-2-70B, kv_utilization 0.9 */
    ck_assert_int_eq(kv->n_blocks, 28228);
    ck_assert_int_eq(kv->watermark_blocks, 282);
    ck_assert_int_eq(torta_kv_blocks_for(kv, 0), 0);
    ck_assert_int_eq(torta_kv_blocks_for(kv, 16), 1);
    ck_assert_int_eq(torta_kv_blocks_for(kv, 17), 2);
    torta_kv_free(kv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kv_blocks");
    TCase *tc = tcase_create("kv_blocks");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, counts_match_a_scan);
    tcase_add_test(tc, capacity_and_watermark);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
