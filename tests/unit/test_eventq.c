/* Unit tests of the future-event list (src/core/eventq.c): randomized differential tests against
 * a reference (a sorted array, earliest (time, sequence) last) over push/pop interleavings with
 * equal times, pushes at exactly the current time, huge gaps, growth past the initial capacity,
 * empty pops and pushes into the past; payloads must follow their events. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/eventq.h"
#include "torta/rng.h"
#include "expect.h"
#include "run_suite.h"

typedef struct {
    torta_event *v; /* descending by (t, seq): the earliest is last */
    size_t n, cap;
} ref_queue;

static int ref_later(const torta_event *x, const torta_event *y)
{
    return x->t > y->t || (x->t == y->t && x->seq > y->seq);
}

static void ref_push(ref_queue *r, torta_event ev)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        EXPECT(r->v, "out of memory");
    }
    size_t lo = 0, hi = r->n; /* first position whose event is not later than ev */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ref_later(&r->v[mid], &ev))
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&r->v[lo + 1], &r->v[lo], (r->n - lo) * sizeof *r->v);
    r->v[lo] = ev;
    r->n++;
}

/* Pops one event from both and checks they agree; returns the time popped (or -1 if empty). */
static double pop_both(torta_eventq *q, ref_queue *r)
{
    torta_event got;
    memset(&got, 0xA5, sizeof got);
    int ok = torta_eventq_pop(q, &got);
    if (r->n == 0) {
        EXPECT(ok == 0 && q->n == 0, "pop from an empty queue returned %d (n = %zu)", ok, q->n);
        return -1;
    }
    torta_event want = r->v[--r->n];
    EXPECT(ok == 1, "pop returned %d with %zu events pending", ok, r->n + 1);
    EXPECT(got.t == want.t && got.seq == want.seq, "popped (%.17g, %llu), expected (%.17g, %llu)",
           got.t, (unsigned long long)got.seq, want.t, (unsigned long long)want.seq);
    EXPECT(got.type == want.type && got.tag == want.tag && got.a == want.a,
           "payload of event %llu: (%u, %u, %lld), expected (%u, %u, %lld)",
           (unsigned long long)want.seq, got.type, got.tag, (long long)got.a, want.type,
           want.tag, (long long)want.a);
    EXPECT(q->n == r->n, "%zu events pending, expected %zu", q->n, r->n);
    return got.t;
}

/* A time at or after now drawn from a mix that stresses the queue: exactly now, a few coarse
 * values (bursts of equal times), the next double, short and long exponential gaps, gaps up to
 * 1e6 and beyond; with past_p > 0, also times before now. */
static double draw_time(gsl_rng *g, double now, double past_p)
{
    double u = gsl_rng_uniform(g);
    if (past_p > 0 && gsl_rng_uniform(g) < past_p)
        return now * gsl_rng_uniform(g);
    if (u < 0.15)
        return now;
    if (u < 0.30)
        return ceil(now) + (double)gsl_rng_uniform_int(g, 4);
    if (u < 0.35)
        return nextafter(now, INFINITY);
    if (u < 0.65)
        return now - 1e-3 * log1p(-gsl_rng_uniform(g));
    if (u < 0.85)
        return now - log1p(-gsl_rng_uniform(g));
    if (u < 0.95)
        return now + 1e6 * gsl_rng_uniform(g);
    if (u < 0.98)
        return now + 1e6;
    return now + 1e12 * gsl_rng_uniform(g);
}

/* One random interleaving: `ops` operations, a push with probability push_p (else a pop). */
static void run_interleaving(uint64_t seed, long ops, double push_p, double past_p, size_t init_cap)
{
    gsl_rng *g = torta_rng_stream(seed, "eventq-test");
    torta_eventq q;
    ck_assert_int_eq(torta_eventq_init(&q, init_cap), 0);
    ref_queue r = {0};
    double now = 0;
    uint64_t seq = 0;
    size_t peak = 0;
    for (long i = 0; i < ops; i++) {
        if (gsl_rng_uniform(g) < push_p) {
            torta_event ev = {draw_time(g, now, past_p), seq++, (uint32_t)gsl_rng_uniform_int(g, 16),
                              (uint32_t)gsl_rng_get(g), (int64_t)gsl_rng_get(g) - 1000000};
            EXPECT(torta_eventq_push(&q, ev.t, ev.type, ev.tag, ev.a) == 0, "push failed");
            ref_push(&r, ev);
            peak = r.n > peak ? r.n : peak;
        } else {
            double t = pop_both(&q, &r);
            if (t >= 0)
                now = t;
        }
    }
    while (r.n)
        pop_both(&q, &r);
    pop_both(&q, &r); /* empty */
    ck_assert_uint_gt(peak, init_cap); /* the queue grew past its initial capacity */
    torta_eventq_free(&q);
    free(r.v);
    gsl_rng_free(g);
}

/* The simulator keeps its next arrival outside the list (torta_eventq_take_seq at its would-be
 * push, torta_eventq_pop_before at each pop): the merged order must be that of pushing it. */
static void run_merged(uint64_t seed, long ops, double push_p, double past_p)
{
    gsl_rng *g = torta_rng_stream(seed, "eventq-merge-test");
    torta_eventq q;
    ck_assert_int_eq(torta_eventq_init(&q, 1), 0);
    ref_queue r = {0};
    double now = 0;
    torta_event outside = {0};
    int have_outside = 0;
    long from_outside = 0;
    for (long i = 0; i < ops; i++) {
        double u = gsl_rng_uniform(g);
        if (u < push_p) {
            torta_event ev = {draw_time(g, now, past_p), 0, 1, 0, i};
            if (!have_outside && gsl_rng_uniform(g) < 0.3) {
                ev.seq = torta_eventq_take_seq(&q);
                outside = ev;
                have_outside = 1;
            } else {
                ev.seq = q.next_seq;
                EXPECT(torta_eventq_push(&q, ev.t, ev.type, ev.tag, ev.a) == 0, "push failed");
            }
            ref_push(&r, ev);
            continue;
        }
        torta_event got;
        int ok = have_outside ? torta_eventq_pop_before(&q, outside.t, outside.seq, &got)
                              : torta_eventq_pop(&q, &got);
        if (!ok && have_outside) {
            got = outside;
            have_outside = 0;
            ok = 1;
            from_outside++;
        }
        if (r.n == 0) {
            EXPECT(!ok, "popped from nothing");
            continue;
        }
        torta_event want = r.v[--r.n];
        EXPECT(ok && got.t == want.t && got.seq == want.seq && got.a == want.a,
               "op %ld: popped (%.17g, %llu), expected (%.17g, %llu)", i, got.t,
               (unsigned long long)got.seq, want.t, (unsigned long long)want.seq);
        now = got.t;
    }
    ck_assert_int_gt(from_outside, 100);
    torta_eventq_free(&q);
    free(r.v);
    gsl_rng_free(g);
}

START_TEST(an_event_kept_outside_takes_its_place_in_the_order)
{
    run_merged(8, 100000, 0.5, 0);
    run_merged(9, 100000, 0.45, 0);
    run_merged(10, 50000, 0.5, 0.05);
}
END_TEST

START_TEST(random_interleavings_pop_in_time_then_insertion_order)
{
    /* Growing (more pushes), steady, and draining (pops often find the queue empty). */
    run_interleaving(1, 100000, 0.55, 0, 1);
    run_interleaving(2, 100000, 0.50, 0, 64);
    run_interleaving(3, 100000, 0.45, 0, 1);
    run_interleaving(4, 20000, 0.90, 0, 1000);
}
END_TEST

START_TEST(pushes_into_the_past_still_pop_in_order)
{
    run_interleaving(5, 50000, 0.55, 0.05, 1);
    run_interleaving(6, 50000, 0.50, 0.5, 1);
}
END_TEST

START_TEST(hold_model_matches_reference)
{
    /* The benchmark's pattern at 2,000 pending: pop the earliest, push one a random gap later. */
    gsl_rng *g = torta_rng_stream(7, "eventq-test");
    torta_eventq q;
    ck_assert_int_eq(torta_eventq_init(&q, 16), 0);
    ref_queue r = {0};
    uint64_t seq = 0;
    for (int i = 0; i < 2000; i++) {
        torta_event ev = {gsl_rng_uniform(g), seq++, 1, 0, i};
        EXPECT(torta_eventq_push(&q, ev.t, 1, 0, i) == 0, "push failed");
        ref_push(&r, ev);
    }
    for (int i = 0; i < 50000; i++) {
        double t = pop_both(&q, &r);
        torta_event ev = {t - log1p(-gsl_rng_uniform(g)), seq++, 2, (uint32_t)i, i};
        EXPECT(torta_eventq_push(&q, ev.t, ev.type, ev.tag, ev.a) == 0, "push failed");
        ref_push(&r, ev);
    }
    while (r.n)
        pop_both(&q, &r);
    torta_eventq_free(&q);
    free(r.v);
    gsl_rng_free(g);
}
END_TEST

START_TEST(equal_times_pop_first_in_first_out)
{
    torta_eventq q;
    ck_assert_int_eq(torta_eventq_init(&q, 1), 0);
    torta_event ev;
    ck_assert_int_eq(torta_eventq_pop(&q, &ev), 0); /* empty from the start */
    enum { N = 10000 };
    for (int i = 0; i < N; i++) /* 3.5 first, then 2.0 and 3.5 alternating */
        EXPECT(torta_eventq_push(&q, i < N / 2 ? 3.5 : (i % 2 ? 2.0 : 3.5), 0, 0, i) == 0, "push");
    int last_a = -1;
    for (int i = 0; i < N / 4; i++) { /* the 2.0s, in insertion order */
        EXPECT(torta_eventq_pop(&q, &ev) == 1 && ev.t == 2.0 && ev.a > last_a && ev.a % 2 == 1,
               "pop %d: (%g, a %lld) after a %d", i, ev.t, (long long)ev.a, last_a);
        last_a = (int)ev.a;
    }
    /* Pushes at exactly the current time queue behind the events already there. */
    ck_assert_int_eq(torta_eventq_push(&q, 2.0, 0, 0, N), 0);
    ck_assert_int_eq(torta_eventq_pop(&q, &ev), 1);
    ck_assert(ev.t == 2.0 && ev.a == N && ev.seq == N);
    last_a = -1;
    for (int i = 0; i < 3 * N / 4; i++) {
        EXPECT(torta_eventq_pop(&q, &ev) == 1 && ev.t == 3.5 && ev.a > last_a,
               "pop %d: (%g, a %lld) after a %d", i, ev.t, (long long)ev.a, last_a);
        last_a = (int)ev.a;
        if (i == N / 2) /* a push at now behind thousands of equal times */
            ck_assert_int_eq(torta_eventq_push(&q, 3.5, 0, 0, 2 * N), 0);
    }
    ck_assert_int_eq(torta_eventq_pop(&q, &ev), 1);
    ck_assert(ev.t == 3.5 && ev.a == 2 * N);
    ck_assert_int_eq(torta_eventq_pop(&q, &ev), 0);
    ck_assert_int_eq(torta_eventq_pop(&q, &ev), 0);
    /* Usable again after running empty, including at and before the last time popped. */
    ck_assert_int_eq(torta_eventq_push(&q, 3.5, 0, 0, 1), 0);
    ck_assert_int_eq(torta_eventq_push(&q, 1.0, 0, 0, 2), 0);
    ck_assert_int_eq(torta_eventq_pop(&q, &ev), 1);
    ck_assert(ev.t == 1.0 && ev.a == 2);
    ck_assert_int_eq(torta_eventq_pop(&q, &ev), 1);
    ck_assert(ev.t == 3.5 && ev.a == 1);
    ck_assert_uint_eq(q.n, 0);
    torta_eventq_free(&q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("eventq");
    TCase *tc = tcase_create("eventq");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, random_interleavings_pop_in_time_then_insertion_order);
    tcase_add_test(tc, pushes_into_the_past_still_pop_in_order);
    tcase_add_test(tc, hold_model_matches_reference);
    tcase_add_test(tc, equal_times_pop_first_in_first_out);
    tcase_add_test(tc, an_event_kept_outside_takes_its_place_in_the_order);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
