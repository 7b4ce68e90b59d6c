/* Unit tests for the PPO trainer (src/learn/ppo.c): GAE against a hand computation, learning a
 * contextual bandit with a known optimum, bit-identical weights for the same seed, the auxiliary
 * gradient hook and behaviour-cloning targets, warm start and resume from a policy, misuse
 * errors, rollouts moved between trainers (parallel training). Figures are printed to stderr for the record. */
#include <check.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torta/policy_io.h"
#include "torta/ppo.h"
#include "torta/rng.h"
#include "run_suite.h"

START_TEST(test_gae_by_hand)
{
    /* Episode boundary after t = 1; t = 3 bootstraps from last_value. */
    const double r[4] = {1.0, 2.0, 0.5, -1.0}, v[4] = {0.5, 1.0, 0.2, 0.3};
    const int done[4] = {0, 1, 0, 0};
    const double g = 0.9, l = 0.8, last = 2.0;
    double adv[4], ret[4];
    torta_gae(4, r, v, done, last, g, l, adv, ret);
    double d3 = -1.0 + g * last - 0.3;
    double d2 = 0.5 + g * 0.3 - 0.2;
    double d1 = 2.0 - 1.0; /* terminal: no bootstrap */
    double d0 = 1.0 + g * 1.0 - 0.5;
    double a3 = d3, a2 = d2 + g * l * a3, a1 = d1, a0 = d0 + g * l * a1;
    ck_assert_double_eq_tol(adv[3], a3, 1e-15);
    ck_assert_double_eq_tol(adv[2], a2, 1e-15);
    ck_assert_double_eq_tol(adv[1], a1, 1e-15);
    ck_assert_double_eq_tol(adv[0], a0, 1e-15);
    for (int t = 0; t < 4; t++)
        ck_assert_double_eq_tol(ret[t], adv[t] + v[t], 1e-15);
    /* lambda = 1, gamma = 1, no bootstrap: the advantage is the Monte Carlo return minus V. */
    const int none[4] = {0, 0, 0, 1};
    torta_gae(4, r, v, none, 99.0, 1.0, 1.0, adv, ret);
    ck_assert_double_eq_tol(ret[0], 1.0 + 2.0 + 0.5 - 1.0, 1e-15);
    ck_assert_double_eq_tol(ret[2], 0.5 - 1.0, 1e-15);
}
END_TEST

static torta_ppo *make(uint64_t seed, torta_ppo_cfg *c)
{
    torta_ppo *p = NULL;
    torta_err e = {0};
    int rc = torta_ppo_create(&p, c, seed, NULL, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    return p;
}

static void bandit_cfg(torta_ppo_cfg *c)
{
    torta_ppo_cfg_default(c, 1, 1);
    c->hidden[0] = c->hidden[1] = 32;
    c->horizon = 256;
    c->minibatch = 64;
    c->epochs = 10;
    c->lr_actor = 1e-3;
    c->lr_critic = 1e-3;
}

/* Contextual bandit: obs ~ U(-1, 1), reward -(a - 2 obs)^2, one-step episodes. The optimal
 * mean is 2 obs. Returns the largest |mean(obs) - 2 obs| over a grid of observations. */
static double train_bandit(torta_ppo *p, gsl_rng *env, int updates, torta_ppo_stats *last)
{
    torta_err e = {0};
    double obs, a;
    for (int u = 0; u < updates; u++) {
        while (!torta_ppo_full(p)) {
            obs = gsl_rng_uniform(env) * 2.0 - 1.0;
            ck_assert_int_eq(torta_ppo_act(p, &obs, &a, &e), 0);
            ck_assert_int_eq(torta_ppo_reward(p, -(a - 2 * obs) * (a - 2 * obs), 1, &e), 0);
        }
        int rc = torta_ppo_update(p, NULL, last, &e);
        ck_assert_msg(rc == 0, "%s", e.msg);
    }
    torta_ppo_freeze(p, 1);
    torta_policy *pol = torta_ppo_policy(p);
    torta_mlp_ws ws;
    ck_assert_int_eq(torta_mlp_ws_init(&ws, &pol->net, 1, &e), 0);
    double worst = 0.0;
    for (int i = 0; i <= 20; i++) {
        double o = -1.0 + 0.1 * i, m;
        torta_policy_mean(pol, &ws, &o, &m);
        worst = fmax(worst, fabs(m - 2 * o));
    }
    torta_mlp_ws_free(&ws);
    return worst;
}

START_TEST(test_ppo_contextual_bandit)
{
    torta_ppo_cfg c;
    bandit_cfg(&c);
    torta_ppo *p = make(2024, &c);
    gsl_rng *env = torta_rng_stream(2024, "test.env");
    torta_ppo_stats st;
    clock_t t0 = clock();
    const int updates = 60;
    double worst = train_bandit(p, env, updates, &st);
    double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
    double sd = exp(torta_ppo_policy(p)->log_std[0]);
    fprintf(stderr,
            "PPO bandit r = -(a - 2 obs)^2: %d updates x %zu steps, max |mean - 2 obs| on "
            "[-1,1] = %.3f, std %.3f, last mean return %.4f, approx_kl %.4f, clip_frac %.3f "
            "(%.2f s CPU)\n",
            updates, c.horizon, worst, sd, st.mean_return, st.approx_kl, st.clip_frac, cpu);
    ck_assert_msg(worst < 0.15, "policy mean off the optimum by %g", worst);
    ck_assert_msg(sd < 0.5, "std did not shrink: %g", sd); /* started at 1 */
    ck_assert_uint_eq(st.transitions, 256);
    ck_assert_uint_eq(st.steps, 40);
    gsl_rng_free(env);
    torta_ppo_destroy(p);
}
END_TEST

START_TEST(test_ppo_same_seed_same_weights)
{
    torta_ppo_cfg c;
    bandit_cfg(&c);
    c.horizon = 128;
    torta_ppo *p[3];
    for (int k = 0; k < 3; k++) {
        p[k] = make(k < 2 ? 77 : 78, &c);
        gsl_rng *env = torta_rng_stream(77, "test.env");
        train_bandit(p[k], env, 5, NULL);
        gsl_rng_free(env);
    }
    torta_policy *a = torta_ppo_policy(p[0]), *b = torta_ppo_policy(p[1]),
                 *d = torta_ppo_policy(p[2]);
    ck_assert_int_eq(memcmp(a->net.params, b->net.params, a->net.n_params * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(a->critic.params, b->critic.params,
                            a->critic.n_params * sizeof(double)),
                     0);
    ck_assert_int_eq(memcmp(a->log_std, b->log_std, sizeof(double)), 0);
    ck_assert_int_eq(memcmp(a->norm.mean, b->norm.mean, sizeof(double)), 0);
    ck_assert_int_ne(memcmp(a->net.params, d->net.params, a->net.n_params * sizeof(double)), 0);
    /* Same weights -> byte-identical policy files. */
    char *ta = NULL, *tb = NULL;
    torta_err e = {0};
    ck_assert_int_eq(torta_policy_to_json(a, &ta, &e), 0);
    ck_assert_int_eq(torta_policy_to_json(b, &tb, &e), 0);
    ck_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
    for (int k = 0; k < 3; k++)
        torta_ppo_destroy(p[k]);
}
END_TEST

/* Parallel training moves rollouts between trainers: transitions collected by two copies of a
 * trainer (each on its own sampling stream, one past its initial capacity), exported and
 * imported in order into a third, train it exactly as if it had collected them itself. */
static void collect(torta_ppo *p, uint64_t stream, int n, int grow)
{
    torta_err e = {0};
    gsl_rng *env = torta_rng_stream(stream, "test.env");
    ck_assert_int_eq(torta_ppo_reseed_act(p, stream, &e), 0);
    for (int t = 0; t < n; t++) {
        double obs = gsl_rng_uniform(env) * 2.0 - 1.0, a;
        if (grow)
            ck_assert_int_eq(torta_ppo_reserve(p, torta_ppo_size(p) + 1, &e), 0);
        ck_assert_int_eq(torta_ppo_act(p, &obs, &a, &e), 0);
        ck_assert_int_eq(torta_ppo_reward(p, -(a - 2 * obs) * (a - 2 * obs), t == n - 1, &e), 0);
    }
    gsl_rng_free(env);
}

START_TEST(test_ppo_rollout_export_import)
{
    torta_ppo_cfg c;
    bandit_cfg(&c);
    c.horizon = 32;
    torta_ppo *direct = make(5, &c), *w1 = make(5, &c), *w2 = make(5, &c), *trainer = make(5, &c);
    torta_ppo *all[4] = {direct, w1, w2, trainer};
    for (int k = 0; k < 4; k++)
        torta_ppo_freeze(all[k], 1);
    collect(direct, 11, 20, 0);
    collect(direct, 12, 50, 1); /* past the 32-row buffer it started with */
    collect(w1, 11, 20, 0);
    collect(w2, 12, 50, 1);
    torta_err e = {0};
    torta_ppo *workers[2] = {w1, w2};
    for (int k = 0; k < 2; k++) {
        size_t n = torta_ppo_size(workers[k]);
        double *rows = malloc(n * torta_ppo_row_doubles(workers[k]) * sizeof *rows);
        ck_assert_ptr_nonnull(rows);
        torta_ppo_export(workers[k], rows);
        torta_ppo_clear(workers[k]);
        ck_assert_uint_eq(torta_ppo_size(workers[k]), 0);
        ck_assert_int_eq(torta_ppo_import(trainer, n, rows, &e), 0);
        free(rows);
    }
    ck_assert_uint_eq(torta_ppo_size(trainer), 70);
    torta_ppo_stats sa, sb;
    ck_assert_int_eq(torta_ppo_update(direct, NULL, &sa, &e), 0);
    ck_assert_int_eq(torta_ppo_update(trainer, NULL, &sb, &e), 0);
    ck_assert_uint_eq(sa.transitions, 70);
    torta_policy *a = torta_ppo_policy(direct), *b = torta_ppo_policy(trainer);
    ck_assert_int_eq(memcmp(a->net.params, b->net.params, a->net.n_params * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(a->critic.params, b->critic.params, a->critic.n_params * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(a->log_std, b->log_std, sizeof(double)), 0);
    for (int k = 0; k < 4; k++)
        torta_ppo_destroy(all[k]);
}
END_TEST

/* Hook: pulls the mean towards 1.5 (gradient w (mean - 1.5)); constant rewards give zero
 * advantages, so the hook alone drives the actor. */
static double pull_hook(void *ctx, size_t index, const double *obs_norm, const double *mean,
                        double *dmean)
{
    int *calls = ctx;
    (*calls)++;
    double d = mean[0] - 1.5;
    dmean[0] += 2.0 * d;
    return d * d;
}

START_TEST(test_ppo_aux_hook_and_bc_targets)
{
    torta_ppo_cfg c;
    bandit_cfg(&c);
    c.horizon = 128;
    c.normalize_adv = 0; /* advantages -V(obs) shrink as the critic learns V = 0 */
    torta_err e = {0};
    double *first = NULL;
    for (int variant = 0; variant < 2; variant++) {
        if (variant == 1)
            c.bc_coef = 2.0;
        torta_ppo *p = make(5, &c);
        int calls = 0;
        if (variant == 0)
            torta_ppo_set_aux(p, pull_hook, &calls);
        gsl_rng *env = torta_rng_stream(5, "test.env");
        torta_ppo_stats st = {0};
        for (int u = 0; u < 15; u++) {
            while (!torta_ppo_full(p)) {
                double obs = gsl_rng_uniform(env), a, target = 1.5;
                ck_assert_int_eq(torta_ppo_act(p, &obs, &a, &e), 0);
                if (variant == 1)
                    ck_assert_int_eq(torta_ppo_set_target(p, &target, &e), 0);
                ck_assert_int_eq(torta_ppo_reward(p, 0.0, 1, &e), 0);
            }
            ck_assert_int_eq(torta_ppo_update(p, NULL, &st, &e), 0);
        }
        torta_ppo_freeze(p, 1);
        torta_policy *pol = torta_ppo_policy(p);
        torta_mlp_ws ws;
        ck_assert_int_eq(torta_mlp_ws_init(&ws, &pol->net, 1, &e), 0);
        double o = 0.5, m;
        torta_policy_mean(pol, &ws, &o, &m);
        fprintf(stderr, "PPO %s towards 1.5 with zero advantages: mean %.4f (aux %.2e, bc %.2e)\n",
                variant ? "bc targets" : "aux hook", m, st.aux_loss, st.bc_loss);
        ck_assert_double_eq_tol(m, 1.5, 0.02);
        if (variant == 0) {
            ck_assert_int_eq(calls, 15 * 10 * 128); /* every transition of every epoch */
            first = malloc(pol->net.n_params * sizeof *first);
            memcpy(first, pol->net.params, pol->net.n_params * sizeof *first);
        } else {
            /* A hook returning 2 (mean - t) is the bc term with bc_coef 2: same weights. */
            ck_assert_int_eq(memcmp(first, pol->net.params, pol->net.n_params * sizeof *first), 0);
            free(first);
        }
        torta_mlp_ws_free(&ws);
        gsl_rng_free(env);
        torta_ppo_destroy(p);
    }
}
END_TEST

/* Warm start by behaviour cloning, save, then resume PPO from the saved policy. */
START_TEST(test_ppo_bc_warm_start_and_resume)
{
    torta_ppo_cfg c;
    bandit_cfg(&c);
    torta_ppo *p = make(9, &c);
    torta_err e = {0};
    enum { N = 256 };
    double obs[N], tg[N];
    for (int i = 0; i < N; i++) {
        obs[i] = -1.0 + 2.0 * i / (N - 1);
        tg[i] = 2.0 * obs[i];
    }
    double mse;
    int rc = torta_ppo_bc(p, N, obs, tg, 400, &mse, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    fprintf(stderr, "PPO warm start (bc towards 2 obs): MSE %.2e\n", mse);
    ck_assert_msg(mse < 4e-3, "bc mse %g", mse); /* a warm start: within ~0.06 of 2 obs */
    const char *names[] = {"obs"};
    ck_assert_int_eq(torta_policy_set_features(torta_ppo_policy(p), 1, names, &e), 0);
    const char *path = "build-test-ppo-policy.json";
    ck_assert_int_eq(torta_policy_save(torta_ppo_policy(p), path, &e), 0);
    torta_policy loaded;
    rc = torta_policy_load(path, &loaded, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    remove(path);
    torta_ppo *q = NULL;
    rc = torta_ppo_create(&q, &c, 10, &loaded, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    torta_policy *a = torta_ppo_policy(p), *b = torta_ppo_policy(q);
    ck_assert_int_eq(memcmp(a->net.params, b->net.params, a->net.n_params * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(a->critic.params, b->critic.params,
                            a->critic.n_params * sizeof(double)),
                     0);
    ck_assert_double_eq(b->norm.count, N);
    ck_assert_int_eq(b->norm.frozen, 1); /* a loaded policy keeps its statistics ... */
    torta_ppo_freeze(q, 0);               /* ... until the trainer unfreezes them */
    ck_assert_int_eq(b->norm.frozen, 0);
    /* Resumed PPO stays at the optimum. */
    gsl_rng *env = torta_rng_stream(10, "test.env");
    double worst = train_bandit(q, env, 20, NULL);
    fprintf(stderr, "PPO resumed from warm start: max |mean - 2 obs| = %.3f after 20 updates\n",
            worst);
    ck_assert_msg(worst < 0.15, "resumed policy off by %g", worst);
    /* A policy of the wrong shape is refused. */
    torta_ppo_cfg c2;
    torta_ppo_cfg_default(&c2, 2, 1);
    torta_ppo *bad = NULL;
    ck_assert_int_eq(torta_ppo_create(&bad, &c2, 1, &loaded, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "ppo: initial policy must be gaussian with 2 inputs and 1 outputs");
    ck_assert_ptr_null(bad);
    gsl_rng_free(env);
    torta_policy_free(&loaded);
    torta_ppo_destroy(p);
    torta_ppo_destroy(q);
}
END_TEST

START_TEST(test_ppo_misuse)
{
    torta_ppo_cfg c;
    bandit_cfg(&c);
    c.horizon = 2;
    torta_ppo *p = make(1, &c);
    torta_err e = {0};
    double o = 0.1, a;
    ck_assert_int_eq(torta_ppo_update(p, NULL, NULL, &e), TORTA_EINTERNAL);
    ck_assert_str_eq(e.msg, "ppo: update with an empty buffer");
    ck_assert_int_eq(torta_ppo_reward(p, 1.0, 0, &e), TORTA_EINTERNAL);
    ck_assert_int_eq(torta_ppo_act(p, &o, &a, &e), 0);
    ck_assert_int_eq(torta_ppo_act(p, &o, &a, &e), TORTA_EINTERNAL);
    ck_assert_int_eq(torta_ppo_reward(p, NAN, 0, &e), TORTA_EINPUT);
    ck_assert_int_eq(torta_ppo_reward(p, 1.0, 0, &e), 0);
    ck_assert_int_eq(torta_ppo_act(p, &o, &a, &e), 0);
    ck_assert_int_eq(torta_ppo_reward(p, 1.0, 0, &e), 0);
    ck_assert(torta_ppo_full(p));
    ck_assert_int_eq(torta_ppo_act(p, &o, &a, &e), TORTA_EINTERNAL);
    ck_assert_str_eq(e.msg, "ppo: buffer full (2); call torta_ppo_update");
    ck_assert_int_eq(torta_ppo_update(p, &o, NULL, &e), 0); /* bootstraps from o */
    ck_assert_uint_eq(torta_ppo_size(p), 0);
    torta_ppo_destroy(p);
    c.clip = 0.0;
    torta_ppo *q = NULL;
    ck_assert_int_eq(torta_ppo_create(&q, &c, 1, NULL, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "ppo: clip and learning rates must be > 0");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ppo");
    TCase *tc = tcase_create("ppo");
    tcase_add_test(tc, test_gae_by_hand);
    tcase_add_test(tc, test_ppo_contextual_bandit);
    tcase_add_test(tc, test_ppo_same_seed_same_weights);
    tcase_add_test(tc, test_ppo_aux_hook_and_bc_targets);
    tcase_add_test(tc, test_ppo_bc_warm_start_and_resume);
    tcase_add_test(tc, test_ppo_misuse);
    tcase_add_test(tc, test_ppo_rollout_export_import);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
