/* The macro layer's building blocks on hand-made views: the OT planner's plans, the plan
 * dispatcher's shares, and their behaviour with dead regions. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fake_world.h"
#include "sched/macro/ot_planner.h"
#include "torta/plan.h"
#include "run_suite.h"

START_TEST(ample_capacity_keeps_demand_local)
{
    fake_world w;
    make_world(&w, (int[R]){4, 4, 4});
    ot_planner p;
    torta_err e = {0};
    ck_assert_msg(ot_planner_init(&p, &w.v, NULL, &e) == 0, "%s", e.msg);
    double demand[R] = {50, 50, 50}, x[R * R]; /* 4 servers x 60 s x 0.85 = 204 s of capacity */
    ck_assert_msg(ot_planner_solve(&p, &w.v, demand, NULL, x, &e) == 0, "%s", e.msg);
    for (int i = 0; i < R; i++) {
        double s = 0;
        for (int j = 0; j < R; j++)
            s += x[i * R + j];
        ck_assert(fabs(s - 1) < 1e-9);
        ck_assert_msg(x[i * R + i] > 0.95, "origin %d keeps only %g locally", i, x[i * R + i]);
    }
    ot_planner_free(&p);
}
END_TEST

START_TEST(overflow_spills_to_the_nearest_region_first)
{
    fake_world w;
    make_world(&w, (int[R]){4, 4, 4});
    ot_planner p;
    torta_err e = {0};
    ck_assert(ot_planner_init(&p, &w.v, NULL, &e) == 0);
    /* Region 0 wants 400 s of work but has 204 s: about half must leave, to b before c. */
    double demand[R] = {400, 0, 0}, x[R * R];
    ck_assert(ot_planner_solve(&p, &w.v, demand, NULL, x, &e) == 0);
    ck_assert_msg(x[0] > 0.4 && x[0] < 0.6, "local share %g", x[0]);
    ck_assert_msg(x[1] > x[2], "b (10 ms) %g should take more than c (20 ms) %g", x[1], x[2]);
    ck_assert_msg(x[1] > 0.3, "b takes %g", x[1]);
    /* The exact solver moves the same amount: 196 of 400 to the nearest spare capacity. */
    ot_planner q;
    cJSON *ex = cJSON_Parse("{\"exact\": true}");
    ck_assert(ot_planner_init(&q, &w.v, ex, &e) == 0);
    double y[R * R];
    ck_assert(ot_planner_solve(&q, &w.v, demand, NULL, y, &e) == 0);
    ck_assert_msg(fabs(y[0] - 204.0 / 400) < 1e-6 && fabs(y[1] - 196.0 / 400) < 1e-6 && y[2] < 1e-9,
                  "exact plan row %g %g %g", y[0], y[1], y[2]);
    cJSON_Delete(ex);
    ot_planner_free(&q);
    ot_planner_free(&p);
}
END_TEST

START_TEST(capacity_multipliers_steer_the_plan)
{
    fake_world w;
    make_world(&w, (int[R]){4, 4, 4});
    ot_planner p;
    torta_err e = {0};
    ck_assert(ot_planner_init(&p, &w.v, NULL, &e) == 0);
    double demand[R] = {400, 0, 0}, x[R * R], y[R * R];
    double keep_b[R] = {1, 0.05, 1}; /* hold b's capacity back: the overflow goes to c */
    ck_assert(ot_planner_solve(&p, &w.v, demand, NULL, x, &e) == 0);
    ck_assert(ot_planner_solve(&p, &w.v, demand, keep_b, y, &e) == 0);
    ck_assert_msg(y[1] < x[1] / 3 && y[2] > x[2] + 0.2, "b %g -> %g, c %g -> %g", x[1], y[1], x[2], y[2]);
    ot_planner_free(&p);
}
END_TEST

START_TEST(dead_regions_get_nothing)
{
    fake_world w;
    make_world(&w, (int[R]){4, 4, 4});
    w.regions[1].n_alive = 0;
    ot_planner p;
    torta_err e = {0};
    ck_assert(ot_planner_init(&p, &w.v, NULL, &e) == 0);
    double demand[R] = {400, 100, 0}, x[R * R];
    ck_assert(ot_planner_solve(&p, &w.v, demand, NULL, x, &e) == 0);
    for (int i = 0; i < R; i++)
        ck_assert(x[i * R + 1] == 0);
    torta_plan plan;
    ck_assert(torta_plan_init(&plan, R, &e) == 0);
    memcpy(plan.x, x, sizeof x);
    for (int k = 0; k < 100; k++)
        ck_assert_int_ne(torta_plan_route(&plan, 1, &w.v), 1);
    torta_plan_free(&plan);
    ot_planner_free(&p);
}
END_TEST

START_TEST(dispatch_follows_the_shares_exactly)
{
    fake_world w;
    make_world(&w, (int[R]){4, 4, 4});
    torta_plan plan;
    torta_err e = {0};
    ck_assert(torta_plan_init(&plan, R, &e) == 0);
    double row[R] = {0.5, 0.3, 0.2};
    memcpy(plan.x, row, sizeof row);
    int count[R] = {0};
    for (int k = 1; k <= 1000; k++) {
        count[torta_plan_route(&plan, 0, &w.v)]++;
        for (int j = 0; j < R; j++) /* never more than one request off the shares */
            ck_assert_msg(fabs(count[j] - row[j] * k) <= 1.0, "after %d: %d to %d", k, count[j], j);
    }
    ck_assert_int_eq(count[0], 500);
    ck_assert_int_eq(count[1], 300);
    ck_assert_int_eq(count[2], 200);
    torta_plan_free(&plan);
}
END_TEST

START_TEST(planner_params_are_checked)
{
    fake_world w;
    make_world(&w, (int[R]){4, 4, 4});
    ot_planner p;
    torta_err e = {0};
    cJSON *bad = cJSON_Parse("{\"regg\": 0.1}");
    ck_assert_int_eq(ot_planner_init(&p, &w.v, bad, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "did you mean \"reg\""), "%s", e.msg);
    ot_planner_free(&p);
    cJSON_Delete(bad);
    bad = cJSON_Parse("{\"reg\": -1}");
    ck_assert_int_eq(ot_planner_init(&p, &w.v, bad, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "ot.reg"), "%s", e.msg);
    ot_planner_free(&p);
    cJSON_Delete(bad);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("macro");
    TCase *tc = tcase_create("macro");
    tcase_add_test(tc, ample_capacity_keeps_demand_local);
    tcase_add_test(tc, overflow_spills_to_the_nearest_region_first);
    tcase_add_test(tc, capacity_multipliers_steer_the_plan);
    tcase_add_test(tc, dead_regions_get_nothing);
    tcase_add_test(tc, dispatch_follows_the_shares_exactly);
    tcase_add_test(tc, planner_params_are_checked);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
