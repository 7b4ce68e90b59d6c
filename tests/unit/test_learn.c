/* Unit tests for src/learn building blocks: MLP gradients against finite differences (tanh,
 * relu, batches, parameters and inputs), single vs batch forward, Adam on a quadratic, gradient
 * clipping, Welford normaliser, Gaussian head, behaviour cloning, the softmax-over-candidates
 * policy (REINFORCE and imitation on toy problems), and policy JSON round trips and errors.
 * Figures are printed to stderr for the record. */
#include <check.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/mlp.h"
#include "torta/optim.h"
#include "torta/policy.h"
#include "torta/policy_io.h"
#include "torta/rng.h"
#include "run_suite.h"

#define PI_ 3.14159265358979323846
#define OK(call)                                                                                   \
    do {                                                                                           \
        torta_err e_ = {0};                                                                        \
        int rc_ = (call);                                                                          \
        (void)e_;                                                                                  \
        ck_assert_msg(rc_ == 0, "%s -> %d", #call, rc_);                                           \
    } while (0)

/* L = sum_{rows, outputs} c * y, so dL/dy = c. */
static double loss_of(torta_mlp *m, torta_mlp_ws *ws, size_t n, const double *x, const double *c)
{
    const double *y = torta_mlp_forward_batch(m, ws, n, x);
    size_t out = torta_mlp_out_dim(m);
    double s = 0.0;
    for (size_t i = 0; i < n * out; i++)
        s += c[i] * y[i];
    return s;
}

static double rel_err(double a, double b)
{
    double den = fabs(a) + fabs(b);
    return den < 1e-12 ? 0.0 : fabs(a - b) / den;
}

static void grad_check(torta_act act, size_t n)
{
    const size_t sizes[] = {5, 7, 6, 3};
    torta_mlp m;
    torta_mlp_ws ws;
    torta_err e = {0};
    ck_assert_int_eq(torta_mlp_init(&m, 4, sizes, act, &e), 0);
    ck_assert_int_eq(torta_mlp_ws_init(&ws, &m, n, &e), 0);
    gsl_rng *r = torta_rng_stream(7, "test.gradcheck");
    ck_assert_int_eq(torta_mlp_init_orthogonal(&m, r, 1.0, 1.0, &e), 0);
    for (size_t i = 0; i < m.n_params; i++) /* non-zero biases too */
        m.params[i] += gsl_ran_gaussian(r, 0.3);
    double *x = malloc(n * 5 * sizeof *x), *c = malloc(n * 3 * sizeof *c);
    double *dx = malloc(n * 5 * sizeof *dx);
    for (size_t i = 0; i < n * 5; i++)
        x[i] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < n * 3; i++)
        c[i] = gsl_ran_gaussian(r, 1.0);
    torta_mlp_zero_grad(&m);
    loss_of(&m, &ws, n, x, c);
    torta_mlp_backward(&m, &ws, c, dx);
    const double h = 1e-5;
    double worst_p = 0.0, worst_x = 0.0;
    for (size_t i = 0; i < m.n_params; i++) {
        double keep = m.params[i];
        m.params[i] = keep + h;
        double lp = loss_of(&m, &ws, n, x, c);
        m.params[i] = keep - h;
        double lm = loss_of(&m, &ws, n, x, c);
        m.params[i] = keep;
        double re = rel_err(m.grads[i], (lp - lm) / (2 * h));
        if (re > worst_p)
            worst_p = re;
    }
    for (size_t i = 0; i < n * 5; i++) {
        double keep = x[i];
        x[i] = keep + h;
        double lp = loss_of(&m, &ws, n, x, c);
        x[i] = keep - h;
        double lm = loss_of(&m, &ws, n, x, c);
        x[i] = keep;
        double re = rel_err(dx[i], (lp - lm) / (2 * h));
        if (re > worst_x)
            worst_x = re;
    }
    fprintf(stderr, "gradcheck %s batch %zu: max rel err params %.2e inputs %.2e\n",
            torta_act_name(act), n, worst_p, worst_x);
    ck_assert_msg(worst_p < 1e-6, "param rel err %g", worst_p);
    ck_assert_msg(worst_x < 1e-6, "input rel err %g", worst_x);
    gsl_rng_free(r);
    free(x);
    free(c);
    free(dx);
    torta_mlp_ws_free(&ws);
    torta_mlp_free(&m);
}

START_TEST(test_gradcheck_tanh)
{
    grad_check(TORTA_ACT_TANH, 1);
    grad_check(TORTA_ACT_TANH, 9);
}
END_TEST

START_TEST(test_gradcheck_relu)
{
    grad_check(TORTA_ACT_RELU, 1);
    grad_check(TORTA_ACT_RELU, 9);
}
END_TEST

/* Backward accumulates: two calls give twice the gradient; batch = sum of single rows. */
START_TEST(test_backward_accumulates_and_batch_matches_single)
{
    const size_t sizes[] = {4, 8, 2};
    torta_mlp m;
    torta_mlp_ws ws;
    torta_err e = {0};
    OK(torta_mlp_init(&m, 3, sizes, TORTA_ACT_TANH, &e));
    OK(torta_mlp_ws_init(&ws, &m, 3, &e));
    gsl_rng *r = torta_rng_stream(3, "test.acc");
    torta_mlp_init_uniform(&m, r);
    double x[12], c[6];
    for (int i = 0; i < 12; i++)
        x[i] = gsl_ran_gaussian(r, 1.0);
    for (int i = 0; i < 6; i++)
        c[i] = gsl_ran_gaussian(r, 1.0);
    const double *yb = torta_mlp_forward_batch(&m, &ws, 3, x);
    double ybatch[6];
    memcpy(ybatch, yb, sizeof ybatch);
    torta_mlp_backward(&m, &ws, c, NULL);
    double *gbatch = malloc(m.n_params * sizeof *gbatch);
    memcpy(gbatch, m.grads, m.n_params * sizeof *gbatch);
    torta_mlp_zero_grad(&m);
    for (int i = 0; i < 3; i++) {
        const double *y = torta_mlp_forward(&m, &ws, x + 4 * i);
        for (int j = 0; j < 2; j++)
            ck_assert_double_eq_tol(y[j], ybatch[2 * i + j], 1e-14);
        torta_mlp_backward(&m, &ws, c + 2 * i, NULL);
    }
    for (size_t i = 0; i < m.n_params; i++)
        ck_assert_double_eq_tol(m.grads[i], gbatch[i], 1e-13);
    /* Capacity: a batch above max_batch is refused. */
    ck_assert_ptr_null(torta_mlp_forward_batch(&m, &ws, 4, x));
    free(gbatch);
    gsl_rng_free(r);
    torta_mlp_ws_free(&ws);
    torta_mlp_free(&m);
}
END_TEST

START_TEST(test_orthogonal_init)
{
    const size_t sizes[] = {3, 5, 2};
    torta_mlp m;
    torta_err e = {0};
    OK(torta_mlp_init(&m, 3, sizes, TORTA_ACT_TANH, &e));
    gsl_rng *r = torta_rng_stream(1, "test.ortho");
    OK(torta_mlp_init_orthogonal(&m, r, 2.0, 0.5, &e));
    /* Layer 0 is 5 x 3 (tall): W^T W = gain^2 I. Layer 1 is 2 x 5 (wide): W W^T = gain^2 I. */
    const double *W0 = m.params + m.w_off[0], *W1 = m.params + m.w_off[1];
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double s = 0.0;
            for (int i = 0; i < 5; i++)
                s += W0[i * 3 + a] * W0[i * 3 + b];
            ck_assert_double_eq_tol(s, a == b ? 4.0 : 0.0, 1e-12);
        }
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            double s = 0.0;
            for (int j = 0; j < 5; j++)
                s += W1[a * 5 + j] * W1[b * 5 + j];
            ck_assert_double_eq_tol(s, a == b ? 0.25 : 0.0, 1e-12);
        }
    for (int j = 0; j < 5; j++)
        ck_assert_double_eq(m.params[m.b_off[0] + j], 0.0);
    /* Same stream, same weights. */
    torta_mlp m2;
    OK(torta_mlp_init(&m2, 3, sizes, TORTA_ACT_TANH, &e));
    gsl_rng *r2 = torta_rng_stream(1, "test.ortho");
    OK(torta_mlp_init_orthogonal(&m2, r2, 2.0, 0.5, &e));
    ck_assert_int_eq(memcmp(m.params, m2.params, m.n_params * sizeof(double)), 0);
    gsl_rng_free(r);
    gsl_rng_free(r2);
    torta_mlp_free(&m);
    torta_mlp_free(&m2);
}
END_TEST

START_TEST(test_mlp_bad_shapes)
{
    torta_mlp m;
    torta_err e = {0};
    const size_t one[] = {3};
    ck_assert_int_eq(torta_mlp_init(&m, 1, one, TORTA_ACT_TANH, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "mlp: need at least 2 layer sizes, got 1");
    const size_t zero[] = {3, 0, 1};
    ck_assert_int_eq(torta_mlp_init(&m, 3, zero, TORTA_ACT_TANH, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "mlp: layer size 1 is 0");
}
END_TEST

/* Adam on f(x) = sum_i k_i (x_i - t_i)^2 reaches the minimum. */
START_TEST(test_adam_quadratic)
{
    double x[3] = {5.0, -4.0, 0.0}, g[3];
    const double t[3] = {1.0, 2.0, -3.0}, k[3] = {1.0, 10.0, 0.1};
    torta_adam a;
    torta_err e = {0};
    OK(torta_adam_init(&a, 3, 0.05, &e));
    torta_param_group grp = {x, g, 3};
    for (int it = 0; it < 3000; it++) {
        for (int i = 0; i < 3; i++)
            g[i] = 2 * k[i] * (x[i] - t[i]);
        ck_assert_int_eq(torta_adam_step(&a, &grp, 1), 0);
    }
    double err = 0.0;
    for (int i = 0; i < 3; i++)
        err = fmax(err, fabs(x[i] - t[i]));
    fprintf(stderr, "adam quadratic: max |x - x*| after 3000 steps = %.2e\n", err);
    ck_assert_msg(err < 1e-3, "adam error %g", err);
    /* The first step moves each coordinate by lr against the gradient's sign. */
    torta_adam_reset(&a);
    double y[1] = {0.0}, gy[1] = {-123.0};
    torta_adam b;
    OK(torta_adam_init(&b, 1, 0.01, &e));
    torta_param_group gb = {y, gy, 1};
    torta_adam_step(&b, &gb, 1);
    ck_assert_double_eq_tol(y[0], 0.01, 1e-9);
    /* A size mismatch is an internal error, not silent corruption. */
    ck_assert_int_eq(torta_adam_step(&a, &gb, 1), TORTA_EINTERNAL);
    torta_adam_free(&a);
    torta_adam_free(&b);
}
END_TEST

START_TEST(test_grad_clip)
{
    double p1[2] = {0}, g1[2] = {3.0, 0.0}, p2[1] = {0}, g2[1] = {4.0};
    torta_param_group g[2] = {{p1, g1, 2}, {p2, g2, 1}};
    ck_assert_double_eq_tol(torta_grad_norm(g, 2), 5.0, 1e-15);
    double before = torta_grad_clip(g, 2, 1.0);
    ck_assert_double_eq_tol(before, 5.0, 1e-15);
    ck_assert_double_eq_tol(g1[0], 0.6, 1e-15);
    ck_assert_double_eq_tol(g2[0], 0.8, 1e-15);
    ck_assert_double_eq_tol(torta_grad_norm(g, 2), 1.0, 1e-15);
    torta_grad_clip(g, 2, 10.0); /* below the limit: unchanged */
    ck_assert_double_eq_tol(g2[0], 0.8, 1e-15);
}
END_TEST

START_TEST(test_normalizer_welford)
{
    torta_norm z;
    torta_err e = {0};
    OK(torta_norm_init(&z, 2, &e));
    double xs[] = {1, 100, 2, 200, 4, 400, 8, 800, 16, 1600};
    torta_norm_update_batch(&z, 5, xs);
    double m0 = (1 + 2 + 4 + 8 + 16) / 5.0, v0 = 0.0;
    for (int i = 0; i < 5; i++)
        v0 += (xs[2 * i] - m0) * (xs[2 * i] - m0);
    v0 /= 5.0;
    ck_assert_double_eq_tol(z.mean[0], m0, 1e-12);
    ck_assert_double_eq_tol(torta_norm_var(&z, 0), v0, 1e-12);
    ck_assert_double_eq_tol(torta_norm_var(&z, 1), v0 * 1e4, 1e-8);
    double out[2];
    torta_norm_apply(&z, (double[]){m0, 100 * m0}, out);
    ck_assert_double_eq_tol(out[0], 0.0, 1e-12);
    torta_norm_apply(&z, (double[]){m0 + sqrt(v0), 1e9}, out);
    ck_assert_double_eq_tol(out[0], 1.0, 1e-6);
    ck_assert_double_eq(out[1], 10.0); /* clipped */
    z.frozen = 1;
    torta_norm_update(&z, (double[]){1e6, 1e6});
    ck_assert_double_eq(z.count, 5.0);
    torta_norm_free(&z);
}
END_TEST

START_TEST(test_gaussian_head)
{
    double mu[2] = {0.5, -1.0}, ls[2] = {log(2.0), 0.0}, a[2] = {1.5, -1.0};
    /* N(1.5; 0.5, 2) N(-1; -1, 1) */
    double want = -0.5 * 0.25 - log(2.0) - 0.5 * log(2 * PI_) - 0.5 * log(2 * PI_);
    ck_assert_double_eq_tol(torta_gauss_logp(mu, ls, a, 2), want, 1e-14);
    ck_assert_double_eq_tol(torta_gauss_entropy(ls, 2),
                            log(2.0) + 1.0 + log(2 * PI_), 1e-14);
    gsl_rng *r = torta_rng_stream(5, "test.gauss");
    double s = 0.0, s2 = 0.0;
    const int N = 20000;
    for (int i = 0; i < N; i++) {
        torta_gauss_sample(mu, ls, 2, r, a);
        s += a[0];
        s2 += (a[0] - 0.5) * (a[0] - 0.5);
    }
    ck_assert_double_eq_tol(s / N, 0.5, 0.05);
    ck_assert_double_eq_tol(sqrt(s2 / N), 2.0, 0.05);
    gsl_rng_free(r);
}
END_TEST

/* Behaviour cloning fits a linear map a = A obs + c. */
START_TEST(test_bc_linear)
{
    const size_t sizes[] = {3, 32, 32, 2};
    torta_policy p;
    torta_err e = {0};
    OK(torta_policy_init(&p, TORTA_POLICY_GAUSSIAN, 4, sizes, TORTA_ACT_TANH, &e));
    gsl_rng *r = torta_rng_stream(11, "test.bc");
    OK(torta_mlp_init_orthogonal(&p.net, r, sqrt(2.0), 0.01, &e));
    const size_t n = 512;
    double *obs = malloc(n * 3 * sizeof *obs), *tg = malloc(n * 2 * sizeof *tg);
    for (size_t i = 0; i < n; i++) {
        double *o = obs + 3 * i;
        for (int j = 0; j < 3; j++)
            o[j] = gsl_ran_flat(r, -1, 1) * (j + 1) + 5.0 * j; /* offset/scaled: normaliser */
        tg[2 * i] = 0.8 * o[0] - 0.3 * (o[1] - 5) + 0.1;
        tg[2 * i + 1] = -0.5 * o[0] + 0.2 * (o[2] - 10) - 0.4;
    }
    double mse = 0.0;
    int rc = torta_policy_bc(&p, n, obs, tg, 300, 64, 3e-3, r, &mse, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    fprintf(stderr, "behaviour cloning linear target: final MSE %.2e (target variance ~0.3)\n",
            mse);
    ck_assert_msg(mse < 1e-3, "bc mse %g", mse);
    ck_assert_double_eq(p.norm.count, (double)n);
    /* Held-out point through the evaluation path. */
    torta_mlp_ws ws;
    OK(torta_mlp_ws_init(&ws, &p.net, 1, &e));
    double o[3] = {0.2, 5.5, 9.0}, act[2];
    torta_policy_mean(&p, &ws, o, act);
    ck_assert_double_eq_tol(act[0], 0.8 * 0.2 - 0.3 * 0.5 + 0.1, 0.05);
    ck_assert_double_eq_tol(act[1], -0.5 * 0.2 + 0.2 * -1.0 - 0.4, 0.05);
    torta_mlp_ws_free(&ws);
    free(obs);
    free(tg);
    gsl_rng_free(r);
    torta_policy_free(&p);
}
END_TEST

/* ---- softmax over candidates ---- */

#define CAND_D 3
#define CAND_KMAX 8

/* Random candidate set: K in [2, 8], features f0 = queue in [0,1], f1 = resident in {0,1},
 * f2 = speed in [0.5, 1.5]. */
static size_t draw_cands(gsl_rng *r, double *f)
{
    size_t K = 2 + gsl_rng_uniform_int(r, CAND_KMAX - 1);
    for (size_t k = 0; k < K; k++) {
        f[k * CAND_D] = gsl_rng_uniform(r);
        f[k * CAND_D + 1] = gsl_rng_uniform(r) < 0.5 ? 1.0 : 0.0;
        f[k * CAND_D + 2] = gsl_ran_flat(r, 0.5, 1.5);
    }
    return K;
}

/* Reward of picking candidate k: a linear feature-based score. */
static double cand_reward(const double *f)
{
    return -2.0 * f[0] + 1.0 * f[1] + 1.5 * f[2];
}

/* A greedy teacher (the micro layer's rule of thumb): min queue / speed + 0.6 [not resident]. */
static size_t teacher(const double *f, size_t K)
{
    size_t best = 0;
    double bj = HUGE_VAL;
    for (size_t k = 0; k < K; k++) {
        const double *x = f + k * CAND_D;
        double j = x[0] / x[2] + 0.6 * (1.0 - x[1]);
        if (j < bj) {
            bj = j;
            best = k;
        }
    }
    return best;
}

static void make_cand_policy(torta_policy *p, torta_adam *opt, torta_mlp_ws *ws, uint64_t seed,
                             double lr)
{
    const size_t sizes[] = {CAND_D, 16, 16, 1};
    torta_err e = {0};
    OK(torta_policy_init(p, TORTA_POLICY_SOFTMAX, 4, sizes, TORTA_ACT_TANH, &e));
    gsl_rng *r = torta_rng_stream(seed, "test.cand.init");
    OK(torta_mlp_init_orthogonal(&p->net, r, sqrt(2.0), 0.01, &e));
    gsl_rng_free(r);
    OK(torta_adam_init(opt, p->net.n_params, lr, &e));
    OK(torta_mlp_ws_init(ws, &p->net, CAND_KMAX, &e));
}

START_TEST(test_cand_reinforce)
{
    torta_policy p;
    torta_adam opt;
    torta_mlp_ws ws;
    torta_err e = {0};
    make_cand_policy(&p, &opt, &ws, 21, 3e-3);
    gsl_rng *r = torta_rng_stream(21, "test.cand.env");
    double f[CAND_KMAX * CAND_D], probs[CAND_KMAX];
    double baseline = 0.0;
    const int batch = 16, updates = 600;
    for (int u = 0; u < updates; u++) {
        for (int b = 0; b < batch; b++) {
            size_t K = draw_cands(r, f);
            OK(torta_cand_probs(&p, &ws, K, f, probs, NULL, &e));
            size_t k = torta_cand_sample(probs, K, r);
            double rew = cand_reward(f + k * CAND_D);
            double lp;
            OK(torta_cand_reinforce(&p, &ws, K, f, k, (rew - baseline) / batch, &lp, &e));
            ck_assert_double_eq_tol(lp, log(probs[k]), 1e-12);
            baseline += 0.01 * (rew - baseline);
        }
        OK(torta_policy_step(&p, &opt, 1.0, NULL, &e));
    }
    /* Greedy evaluation on fresh sets: argmax picks the best candidate. */
    int hit = 0;
    const int N = 2000;
    double regret = 0.0;
    for (int i = 0; i < N; i++) {
        size_t K = draw_cands(r, f);
        OK(torta_cand_probs(&p, &ws, K, f, probs, NULL, &e));
        size_t k = torta_cand_argmax(probs, K), best = 0;
        for (size_t j = 1; j < K; j++)
            if (cand_reward(f + j * CAND_D) > cand_reward(f + best * CAND_D))
                best = j;
        hit += k == best;
        regret += cand_reward(f + best * CAND_D) - cand_reward(f + k * CAND_D);
    }
    fprintf(stderr, "softmax REINFORCE: best candidate picked %.1f%% of %d sets, mean regret "
            "%.4f (%d decisions trained)\n", 100.0 * hit / N, N, regret / N, batch * updates);
    ck_assert_msg(hit > 0.9 * N, "best picked %d of %d", hit, N);
    gsl_rng_free(r);
    torta_adam_free(&opt);
    torta_mlp_ws_free(&ws);
    torta_policy_free(&p);
}
END_TEST

START_TEST(test_cand_imitation)
{
    torta_policy p;
    torta_adam opt;
    torta_mlp_ws ws;
    torta_err e = {0};
    make_cand_policy(&p, &opt, &ws, 22, 3e-3);
    gsl_rng *r = torta_rng_stream(22, "test.cand.teacher");
    double f[CAND_KMAX * CAND_D], probs[CAND_KMAX];
    /* Statistics from a first look at the features (as the micro layer's warm start does). */
    for (int i = 0; i < 500; i++) {
        size_t K = draw_cands(r, f);
        torta_norm_update_batch(&p.norm, K, f);
    }
    p.norm.frozen = 1;
    const int batch = 32, updates = 800;
    double xent_first = 0.0, xent_last = 0.0;
    for (int u = 0; u < updates; u++) {
        double xs = 0.0;
        for (int b = 0; b < batch; b++) {
            size_t K = draw_cands(r, f), t = teacher(f, K);
            double x;
            OK(torta_cand_imitate(&p, &ws, K, f, t, 1.0 / batch, &x, &e));
            xs += x / batch;
        }
        if (u == 0)
            xent_first = xs;
        xent_last = xs;
        OK(torta_policy_step(&p, &opt, 1.0, NULL, &e));
    }
    int agree = 0;
    const int N = 2000;
    for (int i = 0; i < N; i++) {
        size_t K = draw_cands(r, f);
        OK(torta_cand_probs(&p, &ws, K, f, probs, NULL, &e));
        agree += torta_cand_argmax(probs, K) == teacher(f, K);
    }
    fprintf(stderr, "softmax imitation: agreement with teacher %.1f%% of %d sets; cross-entropy "
            "%.3f -> %.3f\n", 100.0 * agree / N, N, xent_first, xent_last);
    ck_assert_msg(agree > 0.95 * N, "agreement %d of %d", agree, N);
    gsl_rng_free(r);
    torta_adam_free(&opt);
    torta_mlp_ws_free(&ws);
    torta_policy_free(&p);
}
END_TEST

/* Gradient of the REINFORCE term against finite differences of -adv * log pi(chosen). */
START_TEST(test_cand_grad_fd)
{
    torta_policy p;
    torta_adam opt;
    torta_mlp_ws ws;
    torta_err e = {0};
    make_cand_policy(&p, &opt, &ws, 23, 1e-3);
    gsl_rng *r = torta_rng_stream(23, "test.cand.fd");
    for (size_t i = 0; i < p.net.n_params; i++)
        p.net.params[i] += gsl_ran_gaussian(r, 0.3);
    double f[CAND_KMAX * CAND_D], probs[CAND_KMAX];
    size_t K = 5;
    for (size_t i = 0; i < K * CAND_D; i++)
        f[i] = gsl_ran_gaussian(r, 1.0);
    const double adv = 1.7;
    torta_mlp_zero_grad(&p.net);
    OK(torta_cand_reinforce(&p, &ws, K, f, 3, adv, NULL, &e));
    /* Five-point stencil (smooth tanh net): O(h^4) truncation lets h be large enough that
     * rounding does not swamp small gradients. */
    double worst = 0.0;
    const double h = 1e-3, off[4] = {-2 * h, -h, h, 2 * h}, w[4] = {1, -8, 8, -1};
    for (size_t i = 0; i < p.net.n_params; i++) {
        double keep = p.net.params[i], fd = 0.0;
        for (int k = 0; k < 4; k++) {
            p.net.params[i] = keep + off[k];
            OK(torta_cand_probs(&p, &ws, K, f, probs, NULL, &e));
            fd += w[k] * -adv * log(probs[3]);
        }
        p.net.params[i] = keep;
        worst = fmax(worst, rel_err(p.net.grads[i], fd / (12 * h)));
    }
    fprintf(stderr, "softmax REINFORCE gradcheck: max rel err %.2e\n", worst);
    ck_assert_msg(worst < 1e-6, "rel err %g", worst);
    /* K above the workspace and a bad index are errors. */
    ck_assert_int_eq(torta_cand_probs(&p, &ws, CAND_KMAX + 1, f, probs, NULL, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "candidates: K = 9 outside 1..8 (workspace capacity)");
    ck_assert_int_eq(torta_cand_reinforce(&p, &ws, K, f, K, 1.0, NULL, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "candidates: chosen index 5 of 5");
    gsl_rng_free(r);
    torta_adam_free(&opt);
    torta_mlp_ws_free(&ws);
    torta_policy_free(&p);
}
END_TEST

/* ---- JSON ---- */

/* A gaussian policy with a critic, trained-looking weights, statistics and metadata. */
static void make_full_policy(torta_policy *p)
{
    const size_t sizes[] = {4, 6, 5, 2}, csizes[] = {4, 3, 1};
    torta_err e = {0};
    OK(torta_policy_init(p, TORTA_POLICY_GAUSSIAN, 4, sizes, TORTA_ACT_TANH, &e));
    OK(torta_policy_add_critic(p, 3, csizes, TORTA_ACT_RELU, &e));
    gsl_rng *r = torta_rng_stream(31, "test.json");
    for (size_t i = 0; i < p->net.n_params; i++)
        p->net.params[i] = gsl_ran_gaussian(r, 1.0) * pow(10.0, gsl_ran_flat(r, -8, 3));
    for (size_t i = 0; i < p->critic.n_params; i++)
        p->critic.params[i] = gsl_ran_gaussian(r, 1.0);
    p->net.params[0] = -0.0;
    p->net.params[1] = 1e-310; /* subnormal */
    p->log_std[0] = -0.7;
    p->log_std[1] = 0.1 / 3.0;
    double x[4];
    for (int i = 0; i < 50; i++) {
        for (int j = 0; j < 4; j++)
            x[j] = gsl_ran_gaussian(r, 3.0) + j;
        torta_norm_update(&p->norm, x);
    }
    const char *names[] = {"demand_o0", "backlog_r0", "price_r0", "hour_sin"};
    OK(torta_policy_set_features(p, 4, names, &e));
    OK(torta_policy_set_fingerprint(p, "topo:abilene:3f2a", &e));
    cJSON *extra = cJSON_Parse("{\"slot_s\": 60, \"regions\": [\"us-east\", \"eu-west\"]}");
    OK(torta_policy_set_extra(p, extra, &e));
    cJSON_Delete(extra);
    gsl_rng_free(r);
}

START_TEST(test_json_round_trip_exact)
{
    torta_policy p, q;
    torta_err e = {0};
    make_full_policy(&p);
    char *t1 = NULL, *t2 = NULL;
    OK(torta_policy_to_json(&p, &t1, &e));
    cJSON *root = cJSON_Parse(t1);
    ck_assert_ptr_nonnull(root);
    int rc = torta_policy_from_json(root, "mem.json", &q, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    cJSON_Delete(root);
    ck_assert_int_eq(q.kind, TORTA_POLICY_GAUSSIAN);
    ck_assert_int_eq(memcmp(p.net.params, q.net.params, p.net.n_params * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(p.critic.params, q.critic.params, p.critic.n_params * sizeof(double)),
                     0);
    ck_assert_int_eq(memcmp(p.log_std, q.log_std, 2 * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(p.norm.mean, q.norm.mean, 4 * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(p.norm.m2, q.norm.m2, 4 * sizeof(double)), 0);
    ck_assert_double_eq(p.norm.count, q.norm.count);
    ck_assert(signbit(q.net.params[0]));
    ck_assert_int_eq(q.norm.frozen, 1);
    ck_assert_int_eq(q.critic.hidden, TORTA_ACT_RELU);
    ck_assert_str_eq(q.fingerprint, "topo:abilene:3f2a");
    ck_assert_uint_eq(q.n_features, 4);
    ck_assert_str_eq(q.feature_names[3], "hour_sin");
    ck_assert_int_eq(cJSON_GetObjectItem(q.extra, "slot_s")->valueint, 60);
    /* Outputs are bitwise equal. */
    torta_mlp_ws wp, wq;
    OK(torta_mlp_ws_init(&wp, &p.net, 1, &e));
    OK(torta_mlp_ws_init(&wq, &q.net, 1, &e));
    double o[4] = {0.3, -2.0, 7.0, 1.0}, ap[2], aq[2];
    torta_policy_mean(&p, &wp, o, ap);
    torta_policy_mean(&q, &wq, o, aq);
    ck_assert_int_eq(memcmp(ap, aq, sizeof ap), 0);
    /* Writing is deterministic: the reloaded policy serialises to the same bytes. */
    OK(torta_policy_to_json(&q, &t2, &e));
    ck_assert_str_eq(t1, t2);
    /* Through a file; then the checks a caller makes. */
    const char *path = "build-test-learn-policy.json";
    OK(torta_policy_save(&p, path, &e));
    torta_policy f;
    rc = torta_policy_load(path, &f, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    ck_assert_int_eq(memcmp(p.net.params, f.net.params, p.net.n_params * sizeof(double)), 0);
    const char *names[] = {"demand_o0", "backlog_r0", "price_r0", "hour_sin"};
    ck_assert_int_eq(torta_policy_check(&f, path, "topo:abilene:3f2a", 4, names, &e), 0);
    ck_assert_int_eq(torta_policy_check(&f, path, "topo:geant:0000", 4, names, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "build-test-learn-policy.json: meta.fingerprint: policy was trained "
                            "for 'topo:abilene:3f2a', this run has 'topo:geant:0000'");
    /* A macro policy's fingerprint names the setting that differs and the value to use. */
    OK(torta_policy_set_fingerprint(&f, "Abilene/R11/H4/slot300/00ff", &e));
    ck_assert_int_eq(torta_policy_check(&f, path, "Abilene/R11/H4/slot60/00ff", 4, names, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "slot length (run with --slot-s 300)") != NULL, "%s", e.msg);
    ck_assert_int_eq(torta_policy_check(&f, path, "Abilene/R11/H8/slot300/00ff", 4, names, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "forecast.horizon_slots = 4") != NULL, "%s", e.msg);
    ck_assert_int_eq(torta_policy_check(&f, path, "Abilene/R11/H4/slot300/0100", 4, names, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "servers per region") != NULL, "%s", e.msg);
    const char *swapped[] = {"demand_o0", "price_r0", "backlog_r0", "hour_sin"};
    ck_assert_int_eq(torta_policy_check(&f, path, NULL, 4, swapped, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "build-test-learn-policy.json: meta.features[1]: policy was trained "
                            "with 'backlog_r0', the caller provides 'price_r0'");
    remove(path);
    fprintf(stderr, "policy JSON: %zu bytes for %zu + %zu parameters, round trip bit-exact\n",
            strlen(t1), p.net.n_params, p.critic.n_params);
    free(t1);
    free(t2);
    torta_mlp_ws_free(&wp);
    torta_mlp_ws_free(&wq);
    torta_policy_free(&p);
    torta_policy_free(&q);
    torta_policy_free(&f);
}
END_TEST

START_TEST(test_json_softmax_round_trip)
{
    torta_policy p, q;
    torta_adam opt;
    torta_mlp_ws ws;
    torta_err e = {0};
    make_cand_policy(&p, &opt, &ws, 41, 1e-3);
    char *t = NULL;
    OK(torta_policy_to_json(&p, &t, &e));
    ck_assert_ptr_null(strstr(t, "log_std"));
    ck_assert_ptr_nonnull(strstr(t, "\"kind\":\t\"softmax-candidates\""));
    cJSON *root = cJSON_Parse(t);
    OK(torta_policy_from_json(root, "m.json", &q, &e));
    ck_assert_int_eq(q.kind, TORTA_POLICY_SOFTMAX);
    ck_assert_int_eq(memcmp(p.net.params, q.net.params, p.net.n_params * sizeof(double)), 0);
    cJSON_Delete(root);
    free(t);
    torta_adam_free(&opt);
    torta_mlp_ws_free(&ws);
    torta_policy_free(&p);
    torta_policy_free(&q);
}
END_TEST

/* Applies `edit` to a valid document and expects loading to fail with exactly `want`. */
static void expect_load_error(const char *edit_name, void (*edit)(cJSON *), const char *want)
{
    torta_policy p, q;
    torta_err e = {0};
    make_full_policy(&p);
    char *t = NULL;
    OK(torta_policy_to_json(&p, &t, &e));
    cJSON *root = cJSON_Parse(t);
    edit(root);
    int rc = torta_policy_from_json(root, "bad.json", &q, &e);
    ck_assert_msg(rc == TORTA_EINPUT, "%s: rc %d", edit_name, rc);
    ck_assert_msg(strcmp(e.msg, want) == 0, "%s:\n got  %s\n want %s", edit_name, e.msg, want);
    ck_assert_ptr_null(q.net.params); /* freed on error */
    cJSON_Delete(root);
    free(t);
    torta_policy_free(&p);
}

static cJSON *layer(cJSON *root, const char *net, int l)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(root, net), "layers"), l);
}
static void short_row(cJSON *root)
{
    cJSON_DeleteItemFromArray(cJSON_GetArrayItem(cJSON_GetObjectItem(layer(root, "net", 1), "W"), 2),
                              0);
}
static void missing_row(cJSON *root)
{
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(layer(root, "net", 2), "W"), 0);
}
static void no_bias(cJSON *root)
{
    cJSON_DeleteItemFromObject(layer(root, "critic", 0), "b");
}
static void string_weight(cJSON *root)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(cJSON_GetObjectItem(layer(root, "net", 0), "W"), 1),
                             3, cJSON_CreateString("0.5"));
}
static void extra_layer_size(cJSON *root)
{
    cJSON_AddItemToArray(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "net"), "sizes"),
                         cJSON_CreateNumber(2));
}
static void short_log_std(cJSON *root)
{
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(root, "log_std"), 1);
}
static void norm_dim(cJSON *root)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(root, "normalizer"), "dim",
                              cJSON_CreateNumber(5));
}
static void features_count(cJSON *root)
{
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "meta"), "features"),
                              0);
}
static void typo_key(cJSON *root)
{
    cJSON *net = cJSON_GetObjectItem(root, "net");
    cJSON *l = cJSON_DetachItemFromObject(net, "layers");
    cJSON_AddItemToObject(net, "lyaers", l);
}
static void bad_activation(cJSON *root)
{
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(root, "net"), "hidden_activation",
                              cJSON_CreateString("sigmoid"));
}
static void softmax_two_outputs(cJSON *root)
{
    cJSON_ReplaceItemInObject(root, "kind", cJSON_CreateString("softmax-candidates"));
}
static void wrong_format(cJSON *root)
{
    cJSON_ReplaceItemInObject(root, "format", cJSON_CreateString("torta-config"));
}
static void zero_width(cJSON *root)
{
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "net"), "sizes"), 1,
                             cJSON_CreateNumber(0));
}

START_TEST(test_json_bad_shapes)
{
    expect_load_error("short row", short_row,
                      "bad.json: net.layers[1].W[2]: expected 6 numbers, found 5");
    expect_load_error("missing row", missing_row,
                      "bad.json: net.layers[2].W: expected 2 rows (outputs) of 5 numbers "
                      "(inputs), found 1 rows");
    expect_load_error("no bias", no_bias,
                      "bad.json: critic.layers[0].b: missing (an array of numbers is required)");
    expect_load_error("string weight", string_weight,
                      "bad.json: net.layers[0].W[1][3]: expected a finite number");
    expect_load_error("extra size", extra_layer_size,
                      "bad.json: net.layers: expected an array of 4 layers (sizes has 5 "
                      "entries), found 3");
    expect_load_error("short log_std", short_log_std,
                      "bad.json: log_std: expected 2 numbers, found 1");
    expect_load_error("normaliser dim", norm_dim,
                      "bad.json: normalizer.dim: 5 does not match the net's 4 inputs");
    expect_load_error("feature count", features_count,
                      "bad.json: meta.features: expected 4 names (the net's inputs), found 3");
    expect_load_error("typo", typo_key,
                      "bad.json: net: unknown key \"lyaers\" (did you mean \"layers\"?)");
    expect_load_error("activation", bad_activation,
                      "bad.json: net.hidden_activation: expected \"tanh\" or \"relu\"");
    expect_load_error("softmax outputs", softmax_two_outputs,
                      "bad.json: net.sizes[3]: a softmax-candidates net has 1 output, not 2");
    expect_load_error("format", wrong_format,
                      "bad.json: format: expected \"torta-policy\" (not a policy file?)");
    expect_load_error("zero width", zero_width,
                      "bad.json: net.sizes[1]: expected an integer in [1, 1000000]");
    /* Missing file and non-finite weights on save. */
    torta_policy p;
    torta_err e = {0};
    ck_assert_int_eq(torta_policy_load("no/such/policy.json", &p, &e), TORTA_EINPUT);
    make_full_policy(&p);
    p.net.params[p.net.w_off[1] + 7] = NAN; /* layer 1 is 5 x 6: row 1, column 1 */
    char *t = NULL;
    ck_assert_int_eq(torta_policy_to_json(&p, &t, &e), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, "policy: net.layers[1].W[1][1] is nan (training diverged?)");
    ck_assert_ptr_null(t);
    torta_policy_free(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("learn");
    TCase *tc = tcase_create("mlp");
    tcase_add_test(tc, test_gradcheck_tanh);
    tcase_add_test(tc, test_gradcheck_relu);
    tcase_add_test(tc, test_backward_accumulates_and_batch_matches_single);
    tcase_add_test(tc, test_orthogonal_init);
    tcase_add_test(tc, test_mlp_bad_shapes);
    suite_add_tcase(s, tc);
    tc = tcase_create("optim");
    tcase_add_test(tc, test_adam_quadratic);
    tcase_add_test(tc, test_grad_clip);
    tcase_add_test(tc, test_normalizer_welford);
    tcase_add_test(tc, test_gaussian_head);
    tcase_add_test(tc, test_bc_linear);
    suite_add_tcase(s, tc);
    tc = tcase_create("candidates");
    tcase_add_test(tc, test_cand_reinforce);
    tcase_add_test(tc, test_cand_imitation);
    tcase_add_test(tc, test_cand_grad_fd);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_add_test(tc, test_json_round_trip_exact);
    tcase_add_test(tc, test_json_softmax_round_trip);
    tcase_add_test(tc, test_json_bad_shapes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
