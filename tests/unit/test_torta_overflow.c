/* The OT planner when demand exceeds all spare capacity: the overflow is spread in proportion to
 * each region's full capacity, so every region ends the slot with the same excess work per unit
 * of capacity (no herding onto the regions that were idle last slot); "spare" keeps the former
 * rule for comparison. Checked against the hand-computed incoming work, both solvers. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fake_world.h"
#include "sched/macro/ot_planner.h"
#include "run_suite.h"

/* Work each region receives under plan x: sum_i demand_i x_ij. */
static void incoming(const double *demand, const double *x, double *in)
{
    for (int j = 0; j < R; j++) {
        in[j] = 0;
        for (int i = 0; i < R; i++)
            in[j] += demand[i] * x[i * R + j];
    }
}

static void solve(const fake_world *w, const char *params, const double *demand, const double *mult,
                  double *x)
{
    ot_planner p;
    torta_err e = {0};
    cJSON *j = params ? cJSON_Parse(params) : NULL;
    ck_assert_msg(ot_planner_init(&p, &w->v, j, &e) == 0, "%s", e.msg);
    ck_assert_msg(ot_planner_solve(&p, &w->v, demand, mult, x, &e) == 0, "%s", e.msg);
    ot_planner_free(&p);
    cJSON_Delete(j);
}

/* 4 servers each: capacity 4 x 60 x 0.85 = 204 s. Region a's backlog fills it (spare 0), b and c
 * are idle: spare 408 s against 900 s of demand, 492 s of overflow. Spread by capacity (164 s
 * each), a gets 164 s and b, c get 204 + 164 = 368 s: every region ends 164 s over. */
START_TEST(overflow_equalises_the_excess_per_capacity)
{
    static const int servers[R] = {4, 4, 4};
    static const char *const params[] = {NULL, "{\"exact\": true}", "{\"overflow_spread\": \"capacity\"}"};
    fake_world w;
    make_world(&w, servers);
    w.regions[0].outstanding_work_s = 204;
    double demand[R] = {300, 300, 300}, x[R * R], in[R];
    for (size_t k = 0; k < sizeof params / sizeof *params; k++) {
        solve(&w, params[k], demand, NULL, x);
        incoming(demand, x, in);
        double want[R] = {164, 368, 368};
        for (int j = 0; j < R; j++)
            ck_assert_msg(fabs(in[j] - want[j]) < 0.5, "%s: region %d receives %g s, want %g",
                          params[k] ? params[k] : "default", j, in[j], want[j]);
    }
}
END_TEST

/* The former rule hands the overflow out like spare capacity: a (no spare) gets nothing and the
 * idle regions get 450 s each, 246 s over their capacity while a drains: the next slot swaps. */
START_TEST(spare_spread_herds_onto_idle_regions)
{
    static const int servers[R] = {4, 4, 4};
    fake_world w;
    make_world(&w, servers);
    w.regions[0].outstanding_work_s = 204;
    double demand[R] = {300, 300, 300}, x[R * R], in[R];
    solve(&w, "{\"overflow_spread\": \"spare\"}", demand, NULL, x);
    incoming(demand, x, in);
    ck_assert_msg(in[0] < 0.01 && fabs(in[1] - 450) < 0.5 && fabs(in[2] - 450) < 0.5,
                  "incoming %g %g %g", in[0], in[1], in[2]);
}
END_TEST

/* Unequal regions (2, 4, 6 servers: 102, 204, 306 s) with no backlog and twice the capacity in
 * demand: each region gets twice its capacity, multipliers scale its share of the overflow too. */
START_TEST(overflow_follows_servers_and_multipliers)
{
    static const int servers[R] = {2, 4, 6};
    fake_world w;
    make_world(&w, servers);
    double demand[R] = {600, 300, 324}, x[R * R], in[R];
    solve(&w, NULL, demand, NULL, x);
    incoming(demand, x, in);
    for (int j = 0; j < R; j++)
        ck_assert_msg(fabs(in[j] - 2 * 51 * servers[j]) < 0.5, "region %d receives %g", j, in[j]);
    double mult[R] = {1, 0.5, 1}; /* capacities 102, 102, 306 = 510; overflow 714 */
    solve(&w, NULL, demand, mult, x);
    incoming(demand, x, in);
    double want[R] = {102 + 714 * 0.2, 102 + 714 * 0.2, 306 + 714 * 0.6};
    for (int j = 0; j < R; j++)
        ck_assert_msg(fabs(in[j] - want[j]) < 0.5, "region %d receives %g, want %g", j, in[j], want[j]);
}
END_TEST

START_TEST(overflow_spread_is_checked)
{
    static const int servers[R] = {4, 4, 4};
    fake_world w;
    make_world(&w, servers);
    ot_planner p;
    torta_err e = {0};
    cJSON *bad = cJSON_Parse("{\"overflow_spread\": \"even\"}");
    ck_assert_int_eq(ot_planner_init(&p, &w.v, bad, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "scheduler.macro_params.ot.overflow_spread: \"even\": expected "
                            "\"capacity\" or \"spare\"");
    ot_planner_free(&p);
    cJSON_Delete(bad);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("torta_overflow");
    TCase *tc = tcase_create("torta_overflow");
    tcase_add_test(tc, overflow_equalises_the_excess_per_capacity);
    tcase_add_test(tc, spare_spread_herds_onto_idle_regions);
    tcase_add_test(tc, overflow_follows_servers_and_multipliers);
    tcase_add_test(tc, overflow_spread_is_checked);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
