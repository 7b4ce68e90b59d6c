/* Unit tests of the scheduler registry's dynamic part (torta_sched_register, what a plugin load
 * ends with): added schedulers are found and listed after the built-ins; a name clashing with a
 * built-in, an earlier plugin or the same plugin, an invalid name or missing callbacks are
 * rejected with a message naming the source, and a rejected batch adds nothing; the capacity is
 * bounded. Loading shared objects is tested end to end in tests/integration/test_plugin.py. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/plugin.h"

static size_t n_builtin_macros, n_builtin_micros;

static int init(void **self, const torta_sched_env *env, torta_err *e)
{
    *self = NULL;
    return 0;
}

static int route(void *self, const torta_request *r, const torta_view *v)
{
    return r->origin;
}

static int pick(void *self, const torta_request *r, int region, const torta_view *v)
{
    return v->regions[region].first_server;
}

static size_t n_macros(void)
{
    size_t n = 0;
    for (const torta_macro_ops *const *p = torta_macro_all(); *p; p++)
        n++;
    return n;
}

static size_t n_micros(void)
{
    size_t n = 0;
    for (const torta_micro_ops *const *p = torta_micro_all(); *p; p++)
        n++;
    return n;
}

static const torta_macro_ops m_a = {.name = "reg-a", .summary = "a", .init = init, .route = route};
static const torta_macro_ops m_b = {.name = "reg-b", .summary = "b", .init = init, .route = route};
static const torta_macro_ops m_clash = {.name = "least-loaded", .summary = "x", .init = init, .route = route};
static const torta_micro_ops u_a = {.name = "reg-u", .summary = "u", .init = init, .pick = pick};

START_TEST(added_schedulers_are_found_and_listed)
{
    ck_assert_ptr_null(torta_macro_find("reg-a"));
    const torta_macro_ops *const ma[] = {&m_a, &m_b, NULL};
    const torta_micro_ops *const mu[] = {&u_a, NULL};
    torta_err e = {0};
    ck_assert_msg(torta_sched_register(ma, mu, "plugin t.so", &e) == 0, "%s", e.msg);
    ck_assert_ptr_eq(torta_macro_find("reg-a"), &m_a);
    ck_assert_ptr_eq(torta_macro_find("reg-b"), &m_b);
    ck_assert_ptr_eq(torta_micro_find("reg-u"), &u_a);
    ck_assert_ptr_nonnull(torta_macro_find("least-loaded")); /* built-ins still there */
    ck_assert_uint_eq(n_macros(), n_builtin_macros + 2);
    ck_assert_uint_eq(n_micros(), n_builtin_micros + 1);
    ck_assert_ptr_eq(torta_macro_all()[n_builtin_macros], &m_a); /* after the built-ins, in order */
    ck_assert_ptr_eq(torta_macro_all()[n_builtin_macros + 1], &m_b);
    /* Macro-only and micro-only plugins. */
    static const torta_macro_ops m_c = {.name = "reg-c", .summary = "c", .init = init, .route = route};
    const torta_macro_ops *const mc[] = {&m_c, NULL};
    ck_assert_msg(torta_sched_register(mc, NULL, "plugin c.so", &e) == 0, "%s", e.msg);
    ck_assert_ptr_eq(torta_macro_find("reg-c"), &m_c);
}
END_TEST

START_TEST(clashes_are_rejected_whole)
{
    torta_err e = {0};
    size_t before = n_macros();
    const torta_macro_ops *const clash[] = {&m_a, &m_clash, NULL};
    ck_assert_int_eq(torta_sched_register(clash, NULL, "plugin bad.so", &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "macro scheduler \"least-loaded\" of plugin bad.so: the name is taken by a "
                            "built-in scheduler");
    ck_assert_ptr_null(torta_macro_find("reg-a")); /* nothing of the batch was added */
    ck_assert_uint_eq(n_macros(), before);

    const torta_macro_ops *const twice[] = {&m_a, &m_a, NULL};
    ck_assert_int_eq(torta_sched_register(twice, NULL, "plugin dup.so", &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "macro scheduler \"reg-a\" of plugin dup.so: the name is taken by another "
                            "scheduler of the same plugin");

    const torta_macro_ops *const one[] = {&m_a, NULL};
    ck_assert_int_eq(torta_sched_register(one, NULL, "plugin one.so", &e), 0);
    ck_assert_int_eq(torta_sched_register(one, NULL, "plugin again.so", &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "macro scheduler \"reg-a\" of plugin again.so: the name is taken by a "
                            "scheduler of an earlier plugin");

    static const torta_micro_ops u_clash = {.name = "jsq", .summary = "x", .init = init, .pick = pick};
    const torta_micro_ops *const mu[] = {&u_clash, NULL};
    ck_assert_int_eq(torta_sched_register(NULL, mu, "plugin m.so", &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "micro scheduler \"jsq\" of plugin m.so: the name is taken by a built-in "
                            "scheduler");
    /* The same name in the other layer is fine. */
    static const torta_micro_ops u_ll = {.name = "reg-a", .summary = "x", .init = init, .pick = pick};
    const torta_micro_ops *const mu2[] = {&u_ll, NULL};
    ck_assert_int_eq(torta_sched_register(NULL, mu2, "plugin m2.so", &e), 0);
}
END_TEST

START_TEST(invalid_ops_are_rejected)
{
    torta_err e = {0};
    static const torta_macro_ops noname = {.summary = "x", .init = init, .route = route};
    static const torta_macro_ops space = {.name = "two words", .summary = "x", .init = init, .route = route};
    static const torta_macro_ops noroute = {.name = "reg-r", .summary = "x", .init = init};
    static const torta_micro_ops nopick = {.name = "reg-p", .summary = "x", .init = init};
    const torta_macro_ops *const l1[] = {&noname, NULL}, *const l2[] = {&space, NULL}, *const l3[] = {&noroute, NULL};
    const torta_micro_ops *const l4[] = {&nopick, NULL};
    ck_assert_int_eq(torta_sched_register(l1, NULL, "plugin n.so", &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "plugin n.so: a macro scheduler has no name");
    ck_assert_int_eq(torta_sched_register(l2, NULL, "plugin s.so", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "plugin s.so: macro scheduler name \"two words\": expected 1-63 letters"),
                  "%s", e.msg);
    ck_assert_int_eq(torta_sched_register(l3, NULL, "plugin r.so", &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "macro scheduler \"reg-r\" of plugin r.so: summary, init and route are required");
    ck_assert_int_eq(torta_sched_register(NULL, l4, "plugin p.so", &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "micro scheduler \"reg-p\" of plugin p.so: summary, init and pick are required");
    ck_assert_int_eq(torta_sched_register(NULL, NULL, "plugin e.so", &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "plugin e.so: defines no scheduler (both lists are empty)");
    ck_assert_ptr_null(torta_macro_find("reg-r"));
    ck_assert_ptr_null(torta_micro_find("reg-p"));
}
END_TEST

START_TEST(capacity_is_bounded)
{
    enum { N = 80 };
    static char names[N][16];
    static torta_macro_ops ops[N];
    torta_err e = {0};
    int added = 0, rc = 0;
    for (int i = 0; i < N && rc == 0; i++) {
        snprintf(names[i], sizeof names[i], "cap-%d", i);
        ops[i] = (torta_macro_ops){.name = names[i], .summary = "x", .init = init, .route = route};
        const torta_macro_ops *const l[] = {&ops[i], NULL};
        if ((rc = torta_sched_register(l, NULL, "plugin cap.so", &e)) == 0)
            added++;
    }
    ck_assert_int_eq(rc, TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "plugin cap.so: too many plugin schedulers (at most 64 per layer)");
    ck_assert_uint_eq(n_macros(), n_builtin_macros + 64);
    ck_assert_ptr_eq(torta_macro_find("cap-0"), &ops[0]);
    ck_assert_ptr_null(torta_macro_find(names[added]));
}
END_TEST

int main(void)
{
    n_builtin_macros = n_macros();
    n_builtin_micros = n_micros();
    Suite *s = suite_create("sched_registry");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, added_schedulers_are_found_and_listed);
    tcase_add_test(tc, clashes_are_rejected_whole);
    tcase_add_test(tc, invalid_ops_are_rejected);
    tcase_add_test(tc, capacity_is_bounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK); /* each test starts from the built-in registry */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
