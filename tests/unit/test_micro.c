/* Unit tests for the model-aware micro allocators (src/sched/micro/features.c, affinity.c,
 * torta_rl.c) on a hand-built view of one region: service estimates against the catalogue,
 * queue-tail model tracking, the greedy score by hand, hysteresis, the feature vector, parameter
 * errors, the policy fingerprint (catalogue, not topology), and torta-rl's argmax scoring with a
 * hand-set linear policy (any region size), including the errors of a wrong policy file; SkyLB's
 * selective pushing (`skylb-push`: defers when every replica is at its threshold, keeps a prefix
 * on its replica while it has room) and `lect` (least expected completion time) on an A100 and
 * an H100 server. */
#include <check.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/micro/features.h"
#include "torta/catalog.h"
#include "torta/config.h"
#include "torta/json.h"
#include "torta/policy_io.h"
#include "torta/rng.h"
#include "torta/sched.h"
#include "run_suite.h"

#define MAXS 8

typedef struct world {
    torta_catalog *cat;
    torta_region_state reg[2];
    torta_server_state srv[MAXS];
    torta_view v;
    double load_s[64];
    int l70, l13, l7, h100;
} world;

static cJSON *embedded(const char *name)
{
    torta_err e = {0};
    cJSON *j = NULL;
    const char *text = torta_embedded_config(name);
    ck_assert_msg(text != NULL, "%s not embedded", name);
    ck_assert_msg(torta_json_parse(text, name, &j, &e) == 0, "%s", e.msg);
    return j;
}

/* Region 0 holds servers [0, n) (H100 x4), all idle with llama2-70b active and resident;
 * region 1 holds the remaining MAXS - n. */
static void world_init(world *w, int n)
{
    memset(w, 0, sizeof *w);
    cJSON *g = embedded("gpus.json"), *m = embedded("models.json"), *p = embedded("profiles.json");
    torta_err e = {0};
    ck_assert_msg(torta_catalog_load(g, m, p, &w->cat, &e) == 0, "%s", e.msg);
    cJSON_Delete(g);
    cJSON_Delete(m);
    cJSON_Delete(p);
    w->l70 = torta_catalog_model(w->cat, "llama2-70b");
    w->l13 = torta_catalog_model(w->cat, "llama2-13b");
    w->l7 = torta_catalog_model(w->cat, "llama2-7b");
    w->h100 = torta_catalog_gpu(w->cat, "h100-80gb");
    ck_assert(w->l70 >= 0 && w->l13 >= 0 && w->l7 >= 0 && w->h100 >= 0);
    for (int s = 0; s < MAXS; s++) {
        torta_server_state *st = &w->srv[s];
        st->region = s < n ? 0 : 1;
        st->index_in_region = s < n ? s : s - n;
        st->gpu = w->h100;
        st->tp = 4;
        st->resident_model = w->l70;
        st->resident_mask = UINT64_C(1) << w->l70;
        st->alive = 1;
        st->kv_cap_tokens = 400000;
        st->last_switch_s = -INFINITY;
        st->speed = 1;
    }
    w->reg[0] = (torta_region_state){.name = "A", .first_server = 0, .n_servers = n, .n_alive = n};
    w->reg[1] = (torta_region_state){.name = "B", .first_server = n, .n_servers = MAXS - n,
                                     .n_alive = MAXS - n};
    for (int k = 0; k < w->cat->n_models; k++) /* server.load_gb_per_s = 5 */
        w->load_s[k] = w->cat->models[k].weight_bytes / 5e9;
    w->v.model_load_s = w->load_s;
    w->v.now_s = 1000;
    w->v.slot_s = 60;
    w->v.n_regions = 2;
    w->v.n_servers = MAXS;
    w->v.regions = w->reg;
    w->v.servers = w->srv;
    w->v.catalog = w->cat;
}

static void world_free(world *w)
{
    torta_catalog_free(w->cat);
}

static micro_params defaults(void)
{
    micro_params p;
    torta_err e = {0};
    ck_assert_int_eq(micro_params_parse(NULL, NULL, &p, &e), 0);
    return p;
}

static torta_request req(int model, int in, int out)
{
    torta_request r = {0};
    r.model = model;
    r.input_tokens = in;
    r.output_tokens = out;
    r.serve_region = 0;
    return r;
}

static double service_by_hand(const world *w, int model, double in, double out)
{
    torta_perf pf;
    torta_err e = {0};
    ck_assert_int_eq(torta_catalog_perf(w->cat, w->h100, model, 4, &pf, &e), 0);
    double tok = (pf.d0 + pf.d1 * 16 + pf.d2 * 16 * 1500.0) / 16.0;
    return pf.p0 + pf.p1 * in + pf.p2 * in * in + out * tok;
}

START_TEST(test_params)
{
    micro_params p = defaults();
    ck_assert_double_eq(p.overlap, 0.8);
    ck_assert_double_eq(p.switch_penalty_s, 30);
    ck_assert_double_eq(p.theta, 1.5);
    torta_err e = {0};
    cJSON *j = cJSON_Parse("{\"thetta\": 2}");
    ck_assert_int_eq(micro_params_parse(j, NULL, &p, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "thetta") && strstr(e.msg, "theta"), "%s", e.msg);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"theta\": 0.5}");
    ck_assert_int_eq(micro_params_parse(j, NULL, &p, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "scheduler.micro_params") && strstr(e.msg, "theta"), "%s", e.msg);
    cJSON_Delete(j);
    /* Keys of the caller (torta-rl's "policy") are accepted only when listed. */
    static const char *const extra[] = {"policy", NULL};
    j = cJSON_Parse("{\"policy\": \"x.json\", \"hold_s\": 5}");
    ck_assert_int_eq(micro_params_parse(j, NULL, &p, &e), TORTA_EINPUT);
    ck_assert_int_eq(micro_params_parse(j, extra, &p, &e), 0);
    ck_assert_double_eq(p.hold_s, 5);
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_score_by_hand)
{
    world w;
    world_init(&w, 3);
    micro_params p = defaults();
    micro_est m;
    torta_err e = {0};
    ck_assert_int_eq(micro_est_init(&m, &w.v, &p, &e), 0);
    ck_assert_int_eq(m.max_region, 5);
    /* Server 0: 70b active, 40 s of work. Server 1: 13b resident and active, idle.
     * Server 2: 70b active and idle, utilisation 0.5 in the last slot. */
    w.srv[0].outstanding_work_s = 40;
    w.srv[0].running = 3;
    w.srv[0].kv_used_tokens = 1000;
    w.srv[1].resident_model = w.l13;
    w.srv[1].resident_mask = UINT64_C(1) << w.l13;
    w.srv[2].util_last_slot = 0.5;
    torta_request r = req(w.l70, 1000, 200);
    ck_assert_int_eq(micro_est_candidates(&m, &r, 0), 3);
    double svc = service_by_hand(&w, w.l70, 1000, 200);
    double load70 = w.cat->models[w.l70].weight_bytes / 5e9;
    const micro_cand *c = m.cand;
    ck_assert_int_eq(c[0].match, 1);
    ck_assert_int_eq(c[0].resident, 1);
    ck_assert_double_eq_tol(c[0].wait_s, 40 * (1 - 0.8), 1e-12);
    ck_assert_double_eq_tol(c[0].service_s, svc, 1e-12);
    ck_assert_double_eq_tol(c[0].score, 8 + svc, 1e-9);
    ck_assert_int_eq(c[1].match, 0);
    ck_assert_int_eq(c[1].resident, 0);
    ck_assert_double_eq_tol(c[1].switch_s, load70 + 30, 1e-12);
    ck_assert_double_eq_tol(c[1].score, load70 + 30 + svc, 1e-9);
    ck_assert_double_eq_tol(c[2].score, svc + 0.5, 1e-9);
    ck_assert_int_eq(m.cand[micro_est_best(&m)].server, 2); /* idle and matching */

    /* A full KV cache means no joining the batch: the whole backlog is waited for. */
    w.srv[0].kv_used_tokens = w.srv[0].kv_cap_tokens;
    micro_est_candidates(&m, &r, 0);
    ck_assert_double_eq_tol(m.cand[0].wait_s, 40, 1e-12);

    /* A 13b request: server 1 matches; 70b servers must load 13b (26 GB / 5 GB/s). */
    torta_request r13 = req(w.l13, 500, 100);
    micro_est_candidates(&m, &r13, 0);
    ck_assert_int_eq(m.cand[micro_est_best(&m)].server, 1);
    ck_assert_double_eq_tol(m.cand[2].switch_s, 26e9 / 5e9 + 30, 1e-9);
    ck_assert_double_eq_tol(m.cand[1].service_s, service_by_hand(&w, w.l13, 500, 100), 1e-12);

    /* Resident but not active: only the activation penalty, and no batch overlap. */
    w.srv[2].resident_mask |= UINT64_C(1) << w.l13;
    w.srv[2].outstanding_work_s = 10;
    micro_est_candidates(&m, &r13, 0);
    ck_assert_int_eq(m.cand[2].resident, 1);
    ck_assert_int_eq(m.cand[2].match, 0);
    ck_assert_double_eq_tol(m.cand[2].switch_s, 5, 1e-12);
    ck_assert_double_eq_tol(m.cand[2].wait_s, 10, 1e-12);

    /* A load under way adds its remaining time to the wait. */
    w.srv[1].loading = 1;
    w.srv[1].last_switch_s = w.v.now_s - 2;
    micro_est_candidates(&m, &r13, 0);
    ck_assert_double_eq_tol(m.cand[1].wait_s, 26e9 / 5e9 - 2, 1e-9);

    /* Dead servers are not candidates. */
    w.srv[1].alive = 0;
    ck_assert_int_eq(micro_est_candidates(&m, &r13, 0), 2);
    ck_assert_int_eq(m.cand[0].server, 0);
    ck_assert_int_eq(m.cand[1].server, 2);
    micro_est_free(&m);
    world_free(&w);
}
END_TEST

START_TEST(test_tail_model_tracking)
{
    world w;
    world_init(&w, 2);
    micro_params p = defaults();
    micro_est m;
    torta_err e = {0};
    ck_assert_int_eq(micro_est_init(&m, &w.v, &p, &e), 0);
    torta_request r13 = req(w.l13, 100, 10), r70 = req(w.l70, 100, 10);
    /* A 13b request queued behind a 70b batch: the server will be serving 13b next. */
    micro_est_candidates(&m, &r13, 0);
    micro_est_placed(&m, &r13, 0);
    ck_assert_double_eq(m.change_s[0], w.v.now_s);
    w.srv[0].queued = 1;
    micro_est_candidates(&m, &r13, 0);
    ck_assert_int_eq(m.cand[0].match, 1);  /* follows the queued 13b request */
    micro_est_candidates(&m, &r70, 0);
    ck_assert_int_eq(m.cand[0].match, 0);  /* would need the model back */
    /* Once the queue is empty the active model counts again. */
    w.srv[0].queued = 0;
    micro_est_candidates(&m, &r70, 0);
    ck_assert_int_eq(m.cand[0].match, 1);
    micro_est_free(&m);
    world_free(&w);
}
END_TEST

START_TEST(test_hysteresis)
{
    world w;
    world_init(&w, 2);
    micro_params p = defaults();
    micro_est m;
    torta_err e = {0};
    ck_assert_int_eq(micro_est_init(&m, &w.v, &p, &e), 0);
    /* Both servers would have to load 13b; server 0 has 10 s less work but switched 10 s ago. */
    w.srv[1].outstanding_work_s = 10;
    w.srv[0].last_switch_s = w.v.now_s - 10;
    torta_request r13 = req(w.l13, 500, 100);
    micro_est_candidates(&m, &r13, 0);
    double j1 = m.cand[1].score, j0_raw = m.cand[0].score / 1.5;
    ck_assert_double_eq_tol(j1 - j0_raw, 10, 1e-9);
    ck_assert_double_eq_tol(m.cand[0].score, 1.5 * j0_raw, 1e-9);
    /* J0 = 1.5 (load + 30 + svc) > J1 = load + 30 + svc + 10 as (load + 30 + svc) > 20. */
    ck_assert(j0_raw > 20);
    ck_assert_int_eq(m.cand[micro_est_best(&m)].server, 1);
    /* After hold_s the recent switch no longer counts. */
    w.v.now_s += 60;
    micro_est_candidates(&m, &r13, 0);
    ck_assert_int_eq(m.cand[micro_est_best(&m)].server, 0);
    /* With theta = 1 there is no hysteresis. */
    w.v.now_s -= 60;
    m.prm.theta = 1;
    micro_est_candidates(&m, &r13, 0);
    ck_assert_int_eq(m.cand[micro_est_best(&m)].server, 0);
    /* A matching server is never penalised, however recent its switch. */
    m.prm.theta = 100;
    w.srv[0].resident_model = w.l13;
    w.srv[0].resident_mask = UINT64_C(1) << w.l13;
    micro_est_candidates(&m, &r13, 0);
    ck_assert_int_eq(m.cand[0].match, 1);
    ck_assert_int_eq(m.cand[micro_est_best(&m)].server, 0);
    /* A placement that changes the model counts as a switch for the hysteresis. */
    micro_est_placed(&m, &r13, 1);
    ck_assert_double_eq(m.change_s[1], w.v.now_s);
    micro_est_free(&m);
    world_free(&w);
}
END_TEST

START_TEST(test_features)
{
    world w;
    world_init(&w, 3);
    micro_params p = defaults();
    micro_est m;
    torta_err e = {0};
    ck_assert_int_eq(micro_est_init(&m, &w.v, &p, &e), 0);
    ck_assert_int_eq(MICRO_N_FEATURES, 13);
    w.srv[0].outstanding_work_s = 30;
    w.srv[0].queued = 2;
    w.srv[0].running = 5;
    w.srv[0].kv_used_tokens = 100000;
    w.srv[0].util_last_slot = 0.25;
    w.srv[1].outstanding_work_s = 10;
    w.srv[1].resident_model = w.l7;
    w.srv[1].resident_mask = UINT64_C(1) << w.l7;
    w.srv[1].last_switch_s = w.v.now_s - 100;
    w.srv[2].last_switch_s = w.v.now_s - 1e6;
    torta_request r = req(w.l70, 800, 150);
    micro_est_candidates(&m, &r, 0);
    micro_est_features(&m, &r);
    const double *f0 = m.feats, *f1 = m.feats + MICRO_N_FEATURES, *f2 = m.feats + 2 * MICRO_N_FEATURES;
    ck_assert_double_eq_tol(f0[0], log1p(30 * 0.2), 1e-12);    /* wait: joins the batch */
    ck_assert_double_eq_tol(f0[1], log1p(30 - 0), 1e-12);      /* work above the least loaded */
    ck_assert_double_eq_tol(f0[2], log1p(7), 1e-12);
    ck_assert_double_eq_tol(f0[3], 0.25, 1e-12);
    ck_assert_double_eq(f0[4], 1);
    ck_assert_double_eq(f0[5], 1);
    ck_assert_double_eq(f0[6], 0);
    ck_assert_double_eq_tol(f0[7], log1p(3600), 1e-12);        /* never switched: capped */
    ck_assert_double_eq_tol(f0[8], 1, 1e-12);                  /* same GPUs: same speed */
    ck_assert_double_eq_tol(f0[9], log1p(service_by_hand(&w, w.l70, 800, 150)), 1e-12);
    ck_assert_double_eq_tol(f0[10], 0.25, 1e-12);
    ck_assert_double_eq(f0[11], 0);
    ck_assert_double_eq(f1[4], 0);
    ck_assert_double_eq(f1[5], 0);
    ck_assert_double_eq_tol(f1[6], log1p(140e9 / 5e9), 1e-12);
    ck_assert_double_eq_tol(f1[7], log1p(100), 1e-12);
    ck_assert_double_eq_tol(f1[1], log1p(10), 1e-12);
    ck_assert_double_eq_tol(f2[7], log1p(3600), 1e-12);
    ck_assert_double_eq(f2[1], 0);
    /* greedy_rel: 0 for the greedy's choice, log1p(J - Jmin) for the others. */
    int b = micro_est_best(&m);
    ck_assert_int_eq(b, 2);
    ck_assert_double_eq(m.feats[b * MICRO_N_FEATURES + 12], 0);
    ck_assert_double_eq_tol(f0[12], log1p(m.cand[0].score - m.cand[2].score), 1e-12);
    for (int k = 0; k < 3 * MICRO_N_FEATURES; k++)
        ck_assert(isfinite(m.feats[k]));
    micro_est_free(&m);
    world_free(&w);
}
END_TEST

START_TEST(test_fingerprint_catalogue_not_topology)
{
    world a, b;
    world_init(&a, 2);
    world_init(&b, 6);
    char fa[96], fb[96];
    micro_fingerprint(&a.v, fa, sizeof fa);
    micro_fingerprint(&b.v, fb, sizeof fb);
    ck_assert_str_eq(fa, fb);
    ck_assert_msg(strncmp(fa, "micro/F13/M", 11) == 0, "%s", fa);
    b.cat->models[b.l7].weight_bytes *= 2;
    micro_fingerprint(&b.v, fb, sizeof fb);
    ck_assert_str_ne(fa, fb);
    world_free(&a);
    world_free(&b);
}
END_TEST

/* A linear softmax-candidates policy (no hidden layer, identity normaliser) with weight w[k] on
 * feature k, saved to a temporary file. */
static void linear_policy(const double *wts, const char *path, const char *fingerprint)
{
    torta_policy p;
    torta_err e = {0};
    size_t sizes[2] = {MICRO_N_FEATURES, 1};
    ck_assert_int_eq(torta_policy_init(&p, TORTA_POLICY_SOFTMAX, 2, sizes, TORTA_ACT_TANH, &e), 0);
    for (int k = 0; k < MICRO_N_FEATURES; k++)
        p.net.params[p.net.w_off[0] + k] = wts[k];
    ck_assert_int_eq(torta_policy_set_features(&p, MICRO_N_FEATURES, micro_feature_names, &e), 0);
    if (fingerprint)
        ck_assert_int_eq(torta_policy_set_fingerprint(&p, fingerprint, &e), 0);
    ck_assert_msg(torta_policy_save(&p, path, &e) == 0, "%s", e.msg);
    torta_policy_free(&p);
}

static int rl_init(const torta_micro_ops *ops, world *w, const char *policy, void **self, torta_err *e)
{
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "policy", policy);
    torta_sched_env env = {.seed = 1, .view = &w->v, .params = params, .topology_name = "t"};
    int rc = ops->init(self, &env, e);
    cJSON_Delete(params);
    return rc;
}

START_TEST(test_rl_argmax_scoring)
{
    const torta_micro_ops *ops = torta_micro_find("torta-rl");
    ck_assert_ptr_nonnull(ops);
    ck_assert_ptr_nonnull(torta_micro_find("affinity"));
    char path[] = "/tmp/test_micro_policy_XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    close(fd);
    for (int n = 3; n <= 7; n += 4) { /* one policy, any region size */
        world w;
        world_init(&w, n);
        char fp[96];
        micro_fingerprint(&w.v, fp, sizeof fp);
        double wt[MICRO_N_FEATURES] = {0};
        wt[4] = 5; /* model_match */
        linear_policy(wt, path, fp);
        void *self = NULL;
        torta_err e = {0};
        ck_assert_msg(rl_init(ops, &w, path, &self, &e) == 0, "%s", e.msg);
        /* Only the last server of the region serves 13b: the policy picks it. */
        w.srv[n - 1].resident_model = w.l13;
        w.srv[n - 1].resident_mask = UINT64_C(1) << w.l13;
        torta_request r13 = req(w.l13, 100, 10);
        ck_assert_int_eq(ops->pick(self, &r13, 0, &w.v), n - 1);
        /* Region 1 is another region: its first server index is n. */
        torta_request r70 = req(w.l70, 100, 10);
        ck_assert_int_eq(ops->pick(self, &r70, 1, &w.v), n);
        /* Ties (every 70b server matches): the lowest index. */
        ck_assert_int_eq(ops->pick(self, &r70, 0, &w.v), 0);
        ops->destroy(self);

        /* A policy that prefers less work (negative weight on work_rel_s). */
        memset(wt, 0, sizeof wt);
        wt[1] = -3;
        linear_policy(wt, path, fp);
        ck_assert_msg(rl_init(ops, &w, path, &self, &e) == 0, "%s", e.msg);
        for (int s = 0; s < n; s++)
            w.srv[s].outstanding_work_s = 50 - s;
        w.srv[1].outstanding_work_s = 1;
        ck_assert_int_eq(ops->pick(self, &r70, 0, &w.v), 1);
        w.srv[1].alive = 0;
        ck_assert_int_eq(ops->pick(self, &r70, 0, &w.v), n - 1);
        ops->destroy(self);
        world_free(&w);
    }
    remove(path);
}
END_TEST

/* torta-rl's own evaluation forward (plain loops, transposed weights) picks what the library's
 * softmax (BLAS forward) ranks first, for random relu and tanh networks and random states. */
START_TEST(test_rl_forward_matches_library)
{
    const torta_micro_ops *ops = torta_micro_find("torta-rl");
    char path[] = "/tmp/test_micro_policy_XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    close(fd);
    gsl_rng *r = torta_rng_stream(3, "test-micro");
    ck_assert_ptr_nonnull(r);
    for (int act = 0; act < 2; act++) {
        world w;
        world_init(&w, 7);
        char fp[96];
        micro_fingerprint(&w.v, fp, sizeof fp);
        torta_policy p;
        torta_err e = {0};
        size_t sizes[4] = {MICRO_N_FEATURES, 9, 5, 1};
        ck_assert_int_eq(torta_policy_init(&p, TORTA_POLICY_SOFTMAX, 4, sizes,
                                           act ? TORTA_ACT_TANH : TORTA_ACT_RELU, &e), 0);
        ck_assert_int_eq(torta_mlp_init_orthogonal(&p.net, r, sqrt(2.0), 1.0, &e), 0);
        for (size_t i = 0; i < p.net.n_params; i++) /* non-zero biases too */
            p.net.params[i] += 0.1 * (gsl_rng_uniform(r) - 0.5);
        double x[MICRO_N_FEATURES];
        for (int k = 0; k < 50; k++) { /* a non-trivial normaliser */
            for (int i = 0; i < MICRO_N_FEATURES; i++)
                x[i] = i + (1 + i % 3) * gsl_ran_ugaussian(r);
            torta_norm_update(&p.norm, x);
        }
        ck_assert_int_eq(torta_policy_set_features(&p, MICRO_N_FEATURES, micro_feature_names, &e), 0);
        ck_assert_int_eq(torta_policy_set_fingerprint(&p, fp, &e), 0);
        ck_assert_int_eq(torta_policy_save(&p, path, &e), 0);
        torta_policy loaded;
        ck_assert_int_eq(torta_policy_load(path, &loaded, &e), 0);
        torta_mlp_ws ws;
        ck_assert_int_eq(torta_mlp_ws_init(&ws, &loaded.net, 8, &e), 0);
        micro_params prm = defaults();
        micro_est m;
        ck_assert_int_eq(micro_est_init(&m, &w.v, &prm, &e), 0);
        void *self = NULL;
        ck_assert_msg(rl_init(ops, &w, path, &self, &e) == 0, "%s", e.msg);
        int models[3] = {w.l70, w.l13, w.l7}, differ = 0;
        unsigned picked = 0;
        for (int trial = 0; trial < 300; trial++) {
            for (int s = 0; s < 7; s++) {
                torta_server_state *st = &w.srv[s];
                st->resident_model = models[gsl_rng_uniform_int(r, 3)];
                st->resident_mask = UINT64_C(1) << st->resident_model |
                                    UINT64_C(1) << models[gsl_rng_uniform_int(r, 3)];
                st->outstanding_work_s = 50 * gsl_rng_uniform(r);
                st->running = (int)gsl_rng_uniform_int(r, 30);
                st->kv_used_tokens = 400000 * gsl_rng_uniform(r);
                st->util_last_slot = gsl_rng_uniform(r);
                st->last_switch_s = w.v.now_s - 200 * gsl_rng_uniform(r);
            }
            torta_request q = req(models[gsl_rng_uniform_int(r, 3)], 100 + trial, 20 + trial % 50);
            micro_est_candidates(&m, &q, 0);
            micro_est_features(&m, &q);
            double probs[8];
            ck_assert_int_eq(torta_cand_probs(&loaded, &ws, (size_t)m.n_cand, m.feats, probs, NULL, &e), 0);
            int want = m.cand[torta_cand_argmax(probs, (size_t)m.n_cand)].server;
            int got = ops->pick(self, &q, 0, &w.v);
            micro_est_placed(&m, &q, got); /* keep both trackers in step */
            differ += got != want;
            picked |= 1u << got;
        }
        ck_assert_int_eq(differ, 0);
        ck_assert_int_ge(__builtin_popcount(picked), 3); /* the choices do depend on the state */
        ops->destroy(self);
        micro_est_free(&m);
        torta_mlp_ws_free(&ws);
        torta_policy_free(&loaded);
        torta_policy_free(&p);
        world_free(&w);
    }
    gsl_rng_free(r);
    remove(path);
}
END_TEST

START_TEST(test_rl_policy_errors)
{
    const torta_micro_ops *ops = torta_micro_find("torta-rl");
    world w;
    world_init(&w, 3);
    char path[] = "/tmp/test_micro_policy_XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    close(fd);
    double wt[MICRO_N_FEATURES] = {0};
    void *self = NULL;
    torta_err e = {0};
    /* Another model catalogue. */
    linear_policy(wt, path, "micro/F13/M6/0000000000000000");
    ck_assert_int_eq(rl_init(ops, &w, path, &self, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "meta.fingerprint") != NULL, "%s", e.msg);
    ops->destroy(self);
    /* A macro (gaussian) policy. */
    torta_policy g;
    size_t sizes[2] = {MICRO_N_FEATURES, 1};
    ck_assert_int_eq(torta_policy_init(&g, TORTA_POLICY_GAUSSIAN, 2, sizes, TORTA_ACT_TANH, &e), 0);
    ck_assert_int_eq(torta_policy_save(&g, path, &e), 0);
    torta_policy_free(&g);
    self = NULL;
    ck_assert_int_eq(rl_init(ops, &w, path, &self, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "softmax-candidates") != NULL, "%s", e.msg);
    ops->destroy(self);
    /* A missing file names it. */
    remove(path);
    self = NULL;
    ck_assert(rl_init(ops, &w, path, &self, &e) != 0);
    ck_assert_msg(strstr(e.msg, path) != NULL, "%s", e.msg);
    ops->destroy(self);
    /* Unknown training key, with a suggestion. */
    cJSON *params = cJSON_Parse("{\"rl\": {\"hiden\": 8}}");
    torta_sched_env env = {.seed = 1, .view = &w.v, .params = params};
    self = NULL;
    ck_assert_int_eq(ops->init(&self, &env, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "hiden") && strstr(e.msg, "hidden"), "%s", e.msg);
    if (self)
        ops->destroy(self);
    cJSON_Delete(params);
    world_free(&w);
}
END_TEST

START_TEST(test_affinity_ops)
{
    const torta_micro_ops *ops = torta_micro_find("affinity");
    world w;
    world_init(&w, 3);
    cJSON *params = cJSON_Parse("{\"theta\": 2, \"policy\": \"ignored.json\"}");
    torta_sched_env env = {.seed = 1, .view = &w.v, .params = params};
    void *self = NULL;
    torta_err e = {0};
    ck_assert_msg(ops->init(&self, &env, &e) == 0, "%s", e.msg);
    w.srv[0].outstanding_work_s = 5;
    w.srv[2].resident_model = w.l13;
    w.srv[2].resident_mask = UINT64_C(1) << w.l13;
    torta_request r70 = req(w.l70, 300, 30), r13 = req(w.l13, 300, 30);
    ck_assert_int_eq(ops->pick(self, &r70, 0, &w.v), 1);
    ck_assert_int_eq(ops->pick(self, &r13, 0, &w.v), 2);
    for (int s = 0; s < 3; s++)
        w.srv[s].alive = 0;
    ck_assert_int_eq(ops->pick(self, &r13, 0, &w.v), TORTA_DEFER);
    ops->destroy(self);
    cJSON_Delete(params);
    world_free(&w);
}
END_TEST

static void *open_micro(const char *name, world *w, const char *params_json, cJSON **params)
{
    const torta_micro_ops *ops = torta_micro_find(name);
    ck_assert_msg(ops != NULL, "%s not registered", name);
    *params = params_json ? cJSON_Parse(params_json) : NULL;
    torta_sched_env env = {.seed = 1, .view = &w->v, .params = *params};
    void *self = NULL;
    torta_err e = {0};
    ck_assert_msg(ops->init(&self, &env, &e) == 0, "%s", e.msg);
    return self;
}

static void close_micro(const char *name, void *self, cJSON *params)
{
    torta_micro_find(name)->destroy(self);
    cJSON_Delete(params);
}

START_TEST(test_skylb_push_selective)
{
    const torta_micro_ops *ops = torta_micro_find("skylb-push");
    world w;
    world_init(&w, 3);
    cJSON *params;
    void *self = open_micro("skylb-push", &w, NULL, &params);
    torta_request r = req(w.l70, 300, 30);
    /* All have room (nothing waits): the fewest requests in flight. */
    w.srv[0].running = 5;
    w.srv[1].running = 2;
    w.srv[2].running = 4;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 1);
    /* A replica with a waiting request has no room, however few it runs. */
    w.srv[1].queued = 1;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 2);
    /* Every replica at the threshold: hold the request in the region queue. */
    w.srv[0].queued = w.srv[2].queued = 1;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), TORTA_DEFER);
    /* A replica that is not alive is never picked. */
    w.srv[0].queued = 0;
    w.srv[0].alive = 0;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), TORTA_DEFER);
    close_micro("skylb-push", self, params);
    /* max_pending 3: two waiting requests still leave room, three do not. */
    self = open_micro("skylb-push", &w, "{\"max_pending\": 3}", &params);
    w.srv[1].queued = 3;
    w.srv[2].queued = 2;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 2);
    close_micro("skylb-push", self, params);
    world_free(&w);
}
END_TEST

START_TEST(test_skylb_push_prefix)
{
    const torta_micro_ops *ops = torta_micro_find("skylb-push");
    world w;
    world_init(&w, 3);
    cJSON *params;
    void *self = open_micro("skylb-push", &w, NULL, &params);
    torta_request r = req(w.l70, 300, 30), other = req(w.l70, 300, 30);
    r.prefix_hash = 42;
    r.n_prefix_blocks = 2;
    other.prefix_hash = 43;
    w.srv[0].running = 3;
    w.srv[2].running = 3;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 1); /* least loaded; 42 -> server 1 */
    /* Server 1 is now the busiest, but it holds the prefix and has room: it keeps it. */
    w.srv[1].running = 9;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 1);
    ck_assert_int_eq(ops->pick(self, &other, 0, &w.v), 0); /* another prefix: least loaded */
    /* No room on the prefix's replica: least loaded with room, which takes the prefix over. */
    w.srv[1].queued = 1;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 0);
    w.srv[1].queued = 0;
    w.srv[0].running = 20;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 0);
    /* In another region the prefix's replica (region 0) is no candidate. */
    ck_assert_int_eq(ops->pick(self, &r, 1, &w.v), 3);
    close_micro("skylb-push", self, params);
    /* prefix_aware false: load only. */
    self = open_micro("skylb-push", &w, "{\"prefix_aware\": false}", &params);
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 2);
    close_micro("skylb-push", self, params);
    world_free(&w);
}
END_TEST

START_TEST(test_skylb_push_params)
{
    world w;
    world_init(&w, 3);
    const torta_micro_ops *ops = torta_micro_find("skylb-push");
    const char *bad[] = {"{\"pending\": \"queue\"}", "{\"max_pending\": 0}", "{\"prefix_slots\": 3}",
                         "{\"threshold\": 2}"};
    for (int i = 0; i < 4; i++) {
        cJSON *params = cJSON_Parse(bad[i]);
        torta_sched_env env = {.seed = 1, .view = &w.v, .params = params};
        void *self = NULL;
        torta_err e = {0};
        ck_assert_int_eq(ops->init(&self, &env, &e), TORTA_EINPUT);
        ck_assert_msg(strstr(e.msg, "scheduler.micro_params") != NULL, "%s", e.msg);
        ops->destroy(self);
        cJSON_Delete(params);
    }
    world_free(&w);
}
END_TEST

static double service_on(const world *w, int gpu, double in, double out)
{
    torta_perf pf;
    torta_err e = {0};
    ck_assert_int_eq(torta_catalog_perf(w->cat, gpu, w->l70, 4, &pf, &e), 0);
    double tok = (pf.d0 + pf.d1 * 16 + pf.d2 * 16 * 1500.0) / 16.0;
    return pf.p0 + pf.p1 * in + pf.p2 * in * in + out * tok;
}

/* Region 0: server 0 an A100, server 1 an H100 (both llama2-70b, TP 4). */
START_TEST(test_lect_speed_aware)
{
    const torta_micro_ops *ops = torta_micro_find("lect");
    world w;
    world_init(&w, 2);
    int a100 = torta_catalog_gpu(w.cat, "a100-80gb");
    ck_assert_int_ge(a100, 0);
    w.srv[0].gpu = a100;
    cJSON *params;
    void *self = open_micro("lect", &w, NULL, &params);
    torta_request r = req(w.l70, 1000, 200);
    double sa = service_on(&w, a100, 1000, 200), sh = service_on(&w, w.h100, 1000, 200);
    ck_assert(sh < sa);
    /* Equal backlog (idle, then 100 s each): the faster server, despite its higher index. */
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 1);
    w.srv[0].outstanding_work_s = w.srv[1].outstanding_work_s = 100;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 1);
    /* By expected completion: the H100 wins while its extra backlog is below the service gap. */
    w.srv[1].outstanding_work_s = 100 + (sa - sh) * 0.99;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 1);
    w.srv[1].outstanding_work_s = 100 + (sa - sh) * 1.01;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 0);
    /* Placing a stream of requests: completion times stay within one service of each other
     * and the H100 takes more of them. */
    w.srv[0].outstanding_work_s = w.srv[1].outstanding_work_s = 0;
    int n[2] = {0, 0};
    for (int i = 0; i < 200; i++) {
        int s = ops->pick(self, &r, 0, &w.v);
        ck_assert(s == 0 || s == 1);
        n[s]++;
        w.srv[s].outstanding_work_s += s == 0 ? sa : sh;
    }
    ck_assert_int_gt(n[1], n[0]);
    ck_assert(fabs(w.srv[0].outstanding_work_s - w.srv[1].outstanding_work_s) <= sa);
    /* Dead servers are skipped; none alive: defer. */
    w.srv[1].alive = 0;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), 0);
    w.srv[0].alive = 0;
    ck_assert_int_eq(ops->pick(self, &r, 0, &w.v), TORTA_DEFER);
    close_micro("lect", self, params);
    world_free(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("micro");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_params);
    tcase_add_test(tc, test_score_by_hand);
    tcase_add_test(tc, test_tail_model_tracking);
    tcase_add_test(tc, test_hysteresis);
    tcase_add_test(tc, test_features);
    tcase_add_test(tc, test_fingerprint_catalogue_not_topology);
    tcase_add_test(tc, test_rl_argmax_scoring);
    tcase_add_test(tc, test_rl_forward_matches_library);
    tcase_add_test(tc, test_rl_policy_errors);
    tcase_add_test(tc, test_affinity_ops);
    tcase_add_test(tc, test_skylb_push_selective);
    tcase_add_test(tc, test_skylb_push_prefix);
    tcase_add_test(tc, test_skylb_push_params);
    tcase_add_test(tc, test_lect_speed_aware);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
