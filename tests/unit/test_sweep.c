/* Unit tests of the many-runs engine: seed lists, grid expansion (order, ids, ranges, override
 * order, errors), scheduler names and presets, summary flattening and number text, the 95% CI,
 * CSV round trips and the benchmark-vs-baseline verdicts. Nothing here runs a simulation. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/outdir.h"
#include "sweep/sweep.h"
#include "torta/sched.h"
#include "run_suite.h"

static char tmpdir[64];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/torta-test-sweep-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    torta_remove_tree(tmpdir);
}

typedef struct path_buf {
    char s[256];
} path_buf;

/* Writes tmpdir/name; returns its path (by value: no shared buffer). */
static path_buf write_file(const char *name, const char *text)
{
    path_buf path;
    snprintf(path.s, sizeof path.s, "%s/%s", tmpdir, name);
    FILE *f = fopen(path.s, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(seeds_lists_and_ranges)
{
    double *s;
    int n;
    torta_err e = {0};
    ck_assert_int_eq(torta_seeds_parse("1-3,7,10-11", &s, &n, &e), 0);
    double want[] = {1, 2, 3, 7, 10, 11};
    ck_assert_int_eq(n, 6);
    for (int i = 0; i < n; i++)
        ck_assert_double_eq(s[i], want[i]);
    free(s);
    ck_assert_int_eq(torta_seeds_parse("5", &s, &n, &e), 0);
    ck_assert_int_eq(n, 1);
    free(s);
    const char *bad[] = {"3-1", "a", "1,,2", "1-", "-1", "1.5", "", "1,2,"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(torta_seeds_parse(bad[i], &s, &n, &e), TORTA_EINPUT);
        ck_assert_ptr_null(s);
        ck_assert_ptr_nonnull(strstr(e.msg, "expected whole numbers >= 0"));
    }
}
END_TEST

START_TEST(grid_expands_in_order_with_ids_and_overrides)
{
    path_buf spec = write_file("s.json",
        "{\"topologies\": [\"topologies/Abilene.gml\", {\"name\": \"geant\", \"file\": \"topologies/Geant2012.gml\"}],\n"
        " \"workloads\": [\"poisson:rate_per_s=2,duration_s=60,input_tokens=10,output_tokens=5\",\n"
        "               {\"name\": \"az\", \"trace\": \"traces/AzureLLMInferenceTrace_conv.csv\", \"duration_s\": 300}],\n"
        " \"schedulers\": [\"least-loaded/jsq\", \"local\"],\n"
        " \"set\": {\"server.max_batch\": [8, 16], \"slot_s\": {\"from\": 0.1, \"to\": 0.3, \"step\": 0.1},\n"
        "         \"scheduler.micro\": \"p2c\"},\n"
        " \"seeds\": \"1-2\"}");
    torta_points pl;
    torta_err e = {0};
    ck_assert_msg(torta_sweep_spec_load(spec.s, &pl, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(pl.n, 2 * 2 * 2 * 2 * 3 * 1 * 2);
    ck_assert_int_eq(pl.n_params, 7);
    const char *params[] = {"topology", "workload", "scheduler", "server.max_batch", "slot_s",
                            "scheduler.micro", "seed"};
    for (int k = 0; k < 7; k++)
        ck_assert_str_eq(pl.params[k], params[k]);
    /* the last axis varies fastest */
    ck_assert_str_eq(pl.p[0].id, "Abilene__poisson_rate_per_s=2_duration_s=60_input_tokens=10_output_tokens=5"
                                 "__least-loaded+jsq__server.max_batch=8__slot_s=0.1__scheduler.micro=p2c__s1");
    ck_assert_str_eq(pl.p[1].values[6], "2");
    ck_assert_str_eq(pl.p[2].values[4], "0.2"); /* 0.1 + 0.1, not 0.20000000000000001 */
    ck_assert_str_eq(pl.p[4].values[4], "0.3");
    ck_assert_str_eq(pl.p[0].topology, "topologies/Abilene.gml");
    ck_assert_ptr_nonnull(pl.p[0].workload);
    ck_assert_ptr_null(pl.p[0].trace);
    /* overrides: set keys, then the scheduler (so "macro/micro" wins over a swept micro), then the seed */
    const torta_point *p = &pl.p[0];
    ck_assert_int_eq(p->n_sets, 6);
    ck_assert_str_eq(p->sets[0], "server.max_batch=8");
    ck_assert_str_eq(p->sets[1], "slot_s=0.1");
    ck_assert_str_eq(p->sets[2], "scheduler.micro=\"p2c\"");
    ck_assert_str_eq(p->sets[3], "scheduler.macro=\"least-loaded\"");
    ck_assert_str_eq(p->sets[4], "scheduler.micro=\"jsq\"");
    ck_assert_str_eq(p->sets[5], "seed=1");
    /* a bare macro keeps the configured micro */
    const torta_point *q = &pl.p[12];
    ck_assert_str_eq(q->values[2], "local");
    ck_assert_int_eq(q->n_sets, 5);
    ck_assert_str_eq(q->sets[3], "scheduler.macro=\"local\"");
    /* the second workload is the trace, named */
    const torta_point *t = &pl.p[24];
    ck_assert_str_eq(t->values[1], "az");
    ck_assert_str_eq(t->trace, "traces/AzureLLMInferenceTrace_conv.csv");
    ck_assert_double_eq(t->trace_opts.duration_s, 300);
    ck_assert_ptr_nonnull(strstr(t->id, "Abilene__az__"));
    ck_assert_str_eq(pl.p[48].values[0], "geant");
    ck_assert_ptr_nonnull(strstr(pl.p[48].id, "geant__"));
    torta_points_free(&pl);
}
END_TEST

static void expect_error(const char *spec_text, const char *fragment)
{
    path_buf spec = write_file("bad.json", spec_text);
    torta_points pl;
    torta_err e = {0};
    int rc = torta_sweep_spec_load(spec.s, &pl, &e);
    ck_assert_msg(rc == TORTA_EINPUT, "expected an input error for %s", spec_text);
    ck_assert_msg(strstr(e.msg, fragment) != NULL, "message \"%s\" lacks \"%s\"", e.msg, fragment);
}

START_TEST(spec_errors_name_the_field)
{
    const char *base = "\"topologies\": \"topologies/Abilene.gml\", \"workloads\": \"poisson:rate_per_s=1\"";
    char buf[1024];
    snprintf(buf, sizeof buf, "{%s, \"schedulers\": [\"least-loaded\", \"jsqq\"]}", base);
    expect_error(buf, "bad.json: schedulers[1]: scheduler \"jsqq\": unknown macro scheduler \"jsqq\"");
    snprintf(buf, sizeof buf, "{%s, \"schedulers\": \"least-loaded/jsk\"}", base);
    expect_error(buf, "unknown micro scheduler \"jsk\" (did you mean \"jsq\"?)");
    snprintf(buf, sizeof buf, "{%s, \"schedulers\": \"local\", \"seed\": 3}", base);
    expect_error(buf, "unknown key \"seed\" (did you mean \"seeds\"?)");
    snprintf(buf, sizeof buf, "{%s, \"schedulers\": \"local\", \"set\": {\"server.max_bach\": [1, 2]}}", base);
    expect_error(buf, "server.max_bach");
    snprintf(buf, sizeof buf, "{%s, \"schedulers\": \"local\", \"set\": {\"seed\": [1, 2]}}", base);
    expect_error(buf, "set.seed: use \"seeds\" instead");
    snprintf(buf, sizeof buf, "{%s, \"schedulers\": \"local\", \"seeds\": {\"from\": 3, \"to\": 1}}", base);
    expect_error(buf, "seeds: \"to\" (1) is below \"from\" (3)");
    snprintf(buf, sizeof buf, "{%s, \"schedulers\": []}", base);
    expect_error(buf, "schedulers: empty list");
    expect_error("{\"workloads\": \"poisson:rate_per_s=1\", \"schedulers\": \"local\"}", "missing \"topologies\"");
    expect_error("{\"topologies\": [\"a/x.gml\", \"b/x.gml\"], \"workloads\": \"poisson:rate_per_s=1\", "
                 "\"schedulers\": \"local\"}", "two points have the same id");
    expect_error("{\"topologies\": \"t.gml\", \"workloads\": {\"trace\": \"a.csv\", \"workload\": \"p\"}, "
                 "\"schedulers\": \"local\"}", "workloads: give exactly one of \"trace\" or \"workload\"");
}
END_TEST

START_TEST(scheduler_names_and_presets)
{
    char ma[64], mi[64];
    torta_err e = {0};
    ck_assert_int_eq(torta_sched_resolve("least-loaded", ma, sizeof ma, mi, sizeof mi, &e), 0);
    ck_assert_str_eq(ma, "least-loaded");
    ck_assert_str_eq(mi, "");
    ck_assert_int_eq(torta_sched_resolve("latency-greedy/p2c", ma, sizeof ma, mi, sizeof mi, &e), 0);
    ck_assert_str_eq(ma, "latency-greedy");
    ck_assert_str_eq(mi, "p2c");
    /* every preset resolves to its pair, or says which scheduler this build lacks */
    for (const torta_sched_preset *p = torta_sched_presets(); p->name; p++) {
        int rc = torta_sched_resolve(p->name, ma, sizeof ma, mi, sizeof mi, &e);
        if (!p->micro) { /* the configured micro */
            ck_assert_int_eq(rc, 0);
            ck_assert_str_eq(ma, p->macro);
            ck_assert_str_eq(mi, "");
        } else if (torta_macro_find(p->macro) && torta_micro_find(p->micro)) {
            ck_assert_int_eq(rc, 0);
            ck_assert_str_eq(ma, p->macro);
            ck_assert_str_eq(mi, p->micro);
        } else {
            ck_assert_int_eq(rc, TORTA_EINPUT);
            ck_assert_ptr_nonnull(strstr(e.msg, "unknown"));
            ck_assert_ptr_nonnull(strstr(e.msg, torta_micro_find(p->micro) ? p->macro : p->micro));
        }
    }
    ck_assert_int_eq(torta_sched_resolve("least-loadd", ma, sizeof ma, mi, sizeof mi, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "scheduler \"least-loadd\": unknown macro scheduler \"least-loadd\" (did you "
                            "mean \"least-loaded\"?) (see --list-schedulers)");
    ck_assert_int_eq(torta_sched_resolve("local/", ma, sizeof ma, mi, sizeof mi, &e), TORTA_EINPUT);
    char *sets[4];
    int n = 0;
    ck_assert_int_eq(torta_sched_sets("local/jsq", sets, &n, &e), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(sets[0], "scheduler.macro=\"local\"");
    ck_assert_str_eq(sets[1], "scheduler.micro=\"jsq\"");
    free(sets[0]);
    free(sets[1]);
    /* a preset with an autoscaler: macro, then its autoscaler (the micro stays configured) */
    n = 0;
    ck_assert_int_eq(torta_sched_sets("reactive", sets, &n, &e), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(sets[0], "scheduler.macro=\"least-loaded\"");
    ck_assert_str_eq(sets[1], "capacity.autoscaler=\"reactive\"");
    free(sets[0]);
    free(sets[1]);
}
END_TEST

START_TEST(numbers_read_back_exactly)
{
    char b[64];
    const double xs[] = {0.1, 1.0 / 3, 2.5e-300, 1e20, -7, 123456789012345.0, 9.5390757853384063};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        torta_fmt_num(xs[i], b, sizeof b);
        ck_assert_msg(strtod(b, NULL) == xs[i], "%s", b);
    }
    torta_fmt_num(0.1, b, sizeof b);
    ck_assert_str_eq(b, "0.1");
    torta_fmt_num(3, b, sizeof b);
    ck_assert_str_eq(b, "3");
    torta_fmt_num(-0.0, b, sizeof b);
    ck_assert_str_eq(b, "0");
    torta_fmt_num(NAN, b, sizeof b);
    ck_assert_str_eq(b, "nan");
}
END_TEST

START_TEST(summary_flattens_in_key_order)
{
    cJSON *s = cJSON_Parse("{\"complete\": true, \"seed\": 7, \"topology\": {\"name\": \"A,B\", "
                           "\"dropped_sites\": [\"x\", \"y\"]}, \"latency_s\": {\"e2e\": {\"mean\": 0.25, "
                           "\"p95\": 1}}, \"cost_usd\": {\"total\": 38.5}}");
    cJSON *f = torta_summary_flatten(s);
    const char *keys[] = {"complete", "seed", "topology.name", "topology.dropped_sites",
                          "latency_s.e2e.mean", "latency_s.e2e.p95", "cost_usd.total"};
    const char *vals[] = {"true", "7", "A,B", "x;y", "0.25", "1", "38.5"};
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, f)
    {
        ck_assert_int_lt(k, 7);
        ck_assert_str_eq(it->string, keys[k]);
        ck_assert_str_eq(it->valuestring, vals[k]);
        k++;
    }
    ck_assert_int_eq(k, 7);
    cJSON_Delete(f);
    cJSON_Delete(s);
}
END_TEST

START_TEST(ci95_is_student_t)
{
    double x[] = {1, 2, 3, 4, 5}, m, h;
    torta_mean_ci95(x, 5, &m, &h);
    ck_assert_double_eq_tol(m, 3.0, 1e-12);
    /* t(0.975, 4) = 2.7764451; s = sqrt(2.5) */
    ck_assert_double_eq_tol(h, 2.7764451052 * sqrt(2.5) / sqrt(5.0), 1e-8);
    double y[] = {4, 4};
    torta_mean_ci95(y, 2, &m, &h);
    ck_assert_double_eq(h, 0.0);
    torta_mean_ci95(x, 1, &m, &h);
    ck_assert_double_eq(m, 1.0);
    ck_assert(isnan(h));
}
END_TEST

START_TEST(paired_t_test_by_hand)
{
    /* differences 0.2, 0.6, -0.1, 0.4, 0.7: mean 0.36, sd 0.3209361, t = 2.5082389 with 4 dof;
     * t(0.975, 4) = 2.7764451; p = 2 P(T4 > t) = 0.0661816 (closed form of the t(4) tail) */
    double a[] = {10.2, 11.1, 9.8, 10.5, 10.9}, b[] = {10.0, 10.5, 9.9, 10.1, 10.2};
    torta_paired p;
    torta_paired_t(a, b, 5, &p);
    ck_assert_int_eq(p.n, 5);
    ck_assert_double_eq_tol(p.diff, 0.36, 1e-12);
    ck_assert_double_eq_tol(p.sd, 0.32093613071762445, 1e-12);
    ck_assert_double_eq_tol(p.t, 2.5082388514498235, 1e-9);
    ck_assert_double_eq_tol(p.half, 2.7764451052 * 0.32093613071762445 / sqrt(5.0), 1e-8);
    ck_assert_double_eq_tol(p.p, 0.06618163508633734, 1e-8);
    ck_assert_int_eq(torta_paired_significant(&p), 0); /* the CI [-0.04, 0.76] includes 0 */
    double c[] = {10.3, 11.2, 9.95, 10.6, 11.0}; /* differences 0.3, 0.7, 0.05, 0.5, 0.8 */
    torta_paired_t(c, b, 5, &p);
    ck_assert_int_eq(torta_paired_significant(&p), 1);
    ck_assert(p.p < 0.05);
    torta_paired_t(b, b, 5, &p); /* identical: no difference at all */
    ck_assert_double_eq(p.t, 0.0);
    ck_assert_double_eq(p.p, 1.0);
    ck_assert_int_eq(torta_paired_significant(&p), 0);
    torta_paired_t(a, b, 1, &p);
    ck_assert_int_eq(torta_paired_significant(&p), -1);
    ck_assert(isnan(p.p));
}
END_TEST

START_TEST(bench_pools_seeds)
{
    char base[128], cur[128];
    snprintf(base, sizeof base, "%s/pbase.csv", tmpdir);
    snprintf(cur, sizeof cur, "%s/pcur.csv", tmpdir);
    write_file("pbase.csv", "point,scheduler,seed,latency_s.e2e.mean\n"
                            "a__s1,a,1,10\na__s2,a,2,12\nb__s1,b,1,5\nb__s2,b,2,5\n");
    write_file("pcur.csv", "point,scheduler,seed,latency_s.e2e.mean\n"
                           "a__s1,a,1,11\na__s2,a,2,13.2\nb__s1,b,1,5\nb__s2,b,2,5\n");
    torta_bench_metric m = {"latency_s.e2e.mean", 0.02, -1};
    const char *group[] = {"scheduler"};
    torta_bench_opts o = {group, 1, "seed", 0};
    torta_bench_tally t;
    torta_err e = {0};
    char *text = NULL;
    size_t len = 0;
    FILE *md = open_memstream(&text, &len);
    ck_assert_int_eq(torta_bench_compare(base, cur, &m, 1, &o, md, &t, &e), 0);
    fclose(md);
    /* a: mean 11 -> 12.1 (+10%); paired differences 1, 1.2: half-width t(0.975,1) * 0.1 = 1.2706,
     * so the change is [-1.55%, +21.55%] of 11: not significant with two seeds, yet beyond 2% */
    ck_assert_msg(strstr(text, "| a | latency_s.e2e.mean | 11 ± 13 | 12.1 ± 14 | +10.00% [-1.55, +21.55] "
                               "n.s. | 2% | **REGRESSION** |") != NULL, "%s", text);
    ck_assert_ptr_null(strstr(text, "| b |"));
    ck_assert_int_eq(t.values, 2);
    ck_assert_int_eq(t.configs, 2);
    ck_assert_int_eq(t.regressions, 1);
    ck_assert_msg(strstr(text, "2 values (2 configurations x 1 metrics, each the mean over its seeds): "
                               "1 regression, 0 improvements, 0 other changes within tolerance.") != NULL,
                  "%s", text);
    free(text);
}
END_TEST

START_TEST(csv_round_trip_with_quotes)
{
    char path[128];
    snprintf(path, sizeof path, "%s/q.csv", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("a,b,c\n", f);
    const char *cells[] = {"plain", "with,comma", "say \"hi\"\nnext line"};
    for (int i = 0; i < 3; i++) {
        if (i)
            fputc(',', f);
        torta_csv_cell(f, cells[i]);
    }
    fputs("\r\nshort\n", f);
    fclose(f);
    torta_csv t;
    torta_err e = {0};
    ck_assert_int_eq(torta_csv_read(path, &t, &e), 0);
    ck_assert_int_eq(t.n_cols, 3);
    ck_assert_int_eq(t.n_rows, 2);
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(t.rows[0][i], cells[i]);
    ck_assert_str_eq(t.rows[1][0], "short");
    ck_assert_str_eq(t.rows[1][2], "");
    ck_assert_int_eq(torta_csv_col(&t, "c"), 2);
    ck_assert_int_eq(torta_csv_col(&t, "d"), -1);
    torta_csv_free(&t);
    write_file("bad.csv", "a,b\n1,2,3\n");
    snprintf(path, sizeof path, "%s/bad.csv", tmpdir);
    ck_assert_int_eq(torta_csv_read(path, &t, &e), TORTA_EINPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, "bad.csv:2: 3 fields, the header has 2"));
}
END_TEST

START_TEST(bench_verdicts)
{
    char base[128], cur[128];
    snprintf(base, sizeof base, "%s/base.csv", tmpdir);
    snprintf(cur, sizeof cur, "%s/cur.csv", tmpdir);
    write_file("base.csv", "point,latency_s.e2e.mean,requests.completed,cost_usd.total\n"
                           "p1,10,100,5\np2,10,100,5\np3,1,1,1\n");
    write_file("cur.csv", "point,latency_s.e2e.mean,requests.completed,cost_usd.total\n"
                          "p1,10.1,100,4\np2,10.5,99,5\np4,1,1,1\n");
    torta_bench_metric m[] = {{"latency_s.e2e.mean", 0.02, torta_bench_direction("latency_s.e2e.mean")},
                              {"requests.completed", 0.0, torta_bench_direction("requests.completed")},
                              {"cost_usd.total", 0.02, torta_bench_direction("cost_usd.total")}};
    ck_assert_int_eq(m[0].better, -1);
    ck_assert_int_eq(m[1].better, 1);
    ck_assert_int_eq(m[2].better, -1);
    char *text = NULL;
    size_t len = 0;
    FILE *md = open_memstream(&text, &len);
    torta_err e = {0};
    torta_bench_opts all = {NULL, 0, NULL, 1}, changes = {NULL, 0, NULL, 0};
    torta_bench_tally t;
    ck_assert_int_eq(torta_bench_compare(base, cur, m, 3, &all, md, &t, &e), 0);
    fclose(md);
    int reg = t.regressions;
    /* p1: +1% e2e within 2%, cost -20% better; p2: +5% e2e and 1 fewer completed are regressions;
     * p3 missing now, p4 not in the baseline */
    ck_assert_msg(reg == 4, "%d regressions in\n%s", reg, text);
    ck_assert_ptr_nonnull(strstr(text, "| p1 | latency_s.e2e.mean | 10 | 10.1 | +1.00% | 2% | ok |"));
    ck_assert_ptr_nonnull(strstr(text, "| p1 | cost_usd.total | 5 | 4 | -20.00% | 2% | better |"));
    ck_assert_ptr_nonnull(strstr(text, "| p2 | latency_s.e2e.mean | 10 | 10.5 | +5.00% | 2% | **REGRESSION** |"));
    ck_assert_ptr_nonnull(strstr(text, "| p2 | requests.completed | 100 | 99 | -1.00% | 0% | **REGRESSION** |"));
    ck_assert_ptr_nonnull(strstr(text, "| p3 | (all) |"));
    ck_assert_ptr_nonnull(strstr(text, "| p4 | (all) |"));
    ck_assert_ptr_nonnull(strstr(text, "| p1 | requests.completed | 100 | 100 | +0.00% | 0% | ok |"));
    free(text);
    /* changes only: the unchanged value is not shown; the total counts it */
    md = open_memstream(&text, &len);
    ck_assert_int_eq(torta_bench_compare(base, cur, m, 3, &changes, md, &t, &e), 0);
    fclose(md);
    ck_assert_ptr_null(strstr(text, "| p1 | requests.completed |"));
    ck_assert_ptr_nonnull(strstr(text, "| p1 | latency_s.e2e.mean | 10 | 10.1 | +1.00% | 2% | ok |"));
    ck_assert_msg(strstr(text, "6 values (2 points x 3 metrics): 4 regressions, 1 improvement, 1 other "
                               "change within tolerance.") != NULL, "%s", text);
    free(text);
    m[0].tolerance = 0.10;
    m[1].tolerance = 0.05;
    md = open_memstream(&text, &len);
    ck_assert_int_eq(torta_bench_compare(base, base, m, 3, &changes, md, &t, &e), 0);
    fclose(md);
    ck_assert_int_eq(t.regressions, 0);
    ck_assert_msg(strstr(text, "No value changed (--all prints every row).") != NULL &&
                  strstr(text, "| point |") == NULL, "%s", text);
    free(text);
    torta_bench_metric bad = {"latency_s.nope", 0.1, -1};
    md = open_memstream(&text, &len);
    ck_assert_int_eq(torta_bench_compare(base, cur, &bad, 1, &all, md, &t, &e), TORTA_EINPUT);
    fclose(md);
    free(text);
    ck_assert_ptr_nonnull(strstr(e.msg, "metric \"latency_s.nope\": not a column"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, seeds_lists_and_ranges);
    tcase_add_test(tc, grid_expands_in_order_with_ids_and_overrides);
    tcase_add_test(tc, spec_errors_name_the_field);
    tcase_add_test(tc, scheduler_names_and_presets);
    tcase_add_test(tc, numbers_read_back_exactly);
    tcase_add_test(tc, summary_flattens_in_key_order);
    tcase_add_test(tc, ci95_is_student_t);
    tcase_add_test(tc, csv_round_trip_with_quotes);
    tcase_add_test(tc, bench_verdicts);
    tcase_add_test(tc, paired_t_test_by_hand);
    tcase_add_test(tc, bench_pools_seeds);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
