/* Unit tests of the command-line lists of compare and capacity-search: the scheduler list with
 * per-scheduler parameters (inline "NAME:key=value,key=value" and a JSON file; labels, order,
 * errors) and the SLO strings (aliases, summary fields, errors). Nothing here runs a simulation. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/sched_list.h"
#include "cli/slo.h"
#include "run_suite.h"

START_TEST(inline_list_with_parameters)
{
    cli_sched_list l;
    torta_err e = {0};
    ck_assert_int_eq(cli_sched_list_parse("schedulers", "least-loaded/jsq,least-loaded/jsq:server.max_batch=4,"
                                          "slot_s=30,local:label=mine,server.max_batch=8,skylb", &l, &e), 0);
    ck_assert_int_eq(l.n, 4);
    ck_assert_str_eq(l.s[0].label, "least-loaded/jsq");
    ck_assert_int_eq(l.s[0].n_sets, 0);
    ck_assert_str_eq(l.s[1].name, "least-loaded/jsq");
    ck_assert_str_eq(l.s[1].label, "least-loaded/jsq:server.max_batch=4,slot_s=30");
    ck_assert_int_eq(l.s[1].n_sets, 2);
    ck_assert_str_eq(l.s[1].sets[0], "server.max_batch=4");
    ck_assert_str_eq(l.s[1].sets[1], "slot_s=30");
    ck_assert_str_eq(l.s[2].name, "local");
    ck_assert_str_eq(l.s[2].label, "mine");
    ck_assert_int_eq(l.s[2].n_sets, 1);
    ck_assert_str_eq(l.s[3].label, "skylb");
    /* the scheduler's own overrides come after its name's */
    char *sets[8] = {0};
    int n = 0;
    ck_assert_int_eq(cli_sched_sets(&l.s[1], sets, &n, &e), 0);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(sets[0], "scheduler.macro=\"least-loaded\"");
    ck_assert_str_eq(sets[1], "scheduler.micro=\"jsq\"");
    ck_assert_str_eq(sets[3], "slot_s=30");
    for (int k = 0; k < n; k++)
        free(sets[k]);
    char id[300];
    cli_sched_id(l.s[1].label, id, sizeof id);
    ck_assert_str_eq(id, "least-loaded+jsq_server.max_batch=4_slot_s=30");
    cli_sched_list_free(&l);
}
END_TEST

START_TEST(inline_list_errors)
{
    static const struct {
        const char *list, *msg;
    } bad[] = {
        {"a=1,local", "\"a=1\" is not a scheduler name"},
        {"local,,jsq", "empty name"},
        {"local:", "expected NAME:key=value"},
        {"local:seed=3", "seed cannot be a per-scheduler parameter"},
        {"local:scheduler.macro=\"x\"", "scheduler.macro cannot be"},
        {"local,local", "\"local\" is listed twice"},
        {"local:label=,x=1", "empty label="},
        {"locl", "did you mean \"local\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cli_sched_list l;
        torta_err e = {0};
        ck_assert_int_eq(cli_sched_list_parse("schedulers", bad[i].list, &l, &e), TORTA_EINPUT);
        ck_assert_msg(strstr(e.msg, bad[i].msg) != NULL, "%s: %s", bad[i].list, e.msg);
        ck_assert_int_eq(l.n, 0);
    }
}
END_TEST

START_TEST(json_file)
{
    char dir[] = "/tmp/torta-test-scheds-XXXXXX", path[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[\"local\", {\"name\": \"least-loaded/jsq\", \"set\": {\"server.max_batch\": 4, "
          "\"scheduler.macro_params.policy\": \"/p,q.json\"}}, {\"name\": \"skylb\", \"label\": \"s\"}]", f);
    fclose(f);
    cli_sched_list l;
    torta_err e = {0};
    ck_assert_int_eq(cli_sched_list_parse("schedulers", path, &l, &e), 0);
    ck_assert_int_eq(l.n, 3);
    ck_assert_str_eq(l.s[0].label, "local");
    ck_assert_str_eq(l.s[1].label, "least-loaded/jsq:server.max_batch=4,scheduler.macro_params.policy=/p,q.json");
    ck_assert_str_eq(l.s[1].sets[0], "server.max_batch=4");
    ck_assert_str_eq(l.s[1].sets[1], "scheduler.macro_params.policy=\"/p,q.json\""); /* commas allowed */
    ck_assert_str_eq(l.s[2].label, "s");
    cli_sched_list_free(&l);
    f = fopen(path, "w");
    fputs("[{\"name\": \"local\", \"sets\": {}}]", f);
    fclose(f);
    ck_assert_int_eq(cli_sched_list_parse("schedulers", path, &l, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "[0]: unknown key \"sets\"") != NULL, "%s", e.msg);
    remove(path);
    rmdir(dir);
}
END_TEST

START_TEST(slo_strings)
{
    cli_slo *s = NULL;
    int n = 0;
    torta_err e = {0};
    ck_assert_int_eq(cli_slo_parse("ttft_p95=2,tpot_p95=0.2,requests.rejected=0", &s, &n, &e), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(s[0].field, "latency_s.ttft.p95");
    ck_assert_double_eq(s[0].max, 2.0);
    ck_assert_str_eq(s[1].field, "latency_s.tpot.p95");
    ck_assert_double_eq(s[1].max, 0.2);
    ck_assert_str_eq(s[2].field, "requests.rejected");
    ck_assert_double_eq(s[2].max, 0.0);
    free(s);
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"ttft_p95", "\"ttft_p95\" is not NAME=VALUE"},
        {"=2", "\"=2\" is not NAME=VALUE"},
        {"ttft_p95=", "ttft_p95: \"\" is not a number >= 0"},
        {"ttft_p95=1e", "\"1e\" is not a number"},
        {"ttft_p95=nan", "\"nan\" is not a number"},
        {"ttft_p95=-0.5", "\"-0.5\" is not a number >= 0"},
        {"ttft_p959=2", "unknown metric \"ttft_p959\" (did you mean \"ttft_p95\"?)"},
        {"p95=2", "unknown metric \"p95\""},
        {"e2e_mean=2,", "empty item"},
        {"e2e_mean=2,latency_s.e2e.mean=3", "latency_s.e2e.mean is given twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(cli_slo_parse(bad[i].text, &s, &n, &e), TORTA_EINPUT);
        ck_assert_msg(strstr(e.msg, bad[i].msg) != NULL, "%s: %s", bad[i].text, e.msg);
        ck_assert_ptr_null(s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_lists");
    TCase *tc = tcase_create("cli_lists");
    tcase_add_test(tc, inline_list_with_parameters);
    tcase_add_test(tc, inline_list_errors);
    tcase_add_test(tc, json_file);
    tcase_add_test(tc, slo_strings);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
