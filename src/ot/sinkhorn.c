/* Entropic OT by Sinkhorn iterations in the log domain, balanced and unbalanced (KL-relaxed
 * marginals), warm-started from the workspace's potentials.
 *
 * Each half-step is the log-domain update
 *   f_i <- phi_ (reg log a_i - reg LSE_j((g_j - C_ij) / reg))      (phi = 1 balanced,
 *   g_j <- phi_ (reg log b_j - reg LSE_i((f_i - C_ij) / reg))       rho / (rho + reg) unbalanced)
 * computed in one of two exact-equivalent ways:
 *  - "log step": the full log-sum-exp with max subtraction over C (n*m exp). It also rebuilds the
 *    stabilised kernel K_ij = exp((fh_i + gh_j - C_ij) / reg) at the new potentials for free.
 *  - "kernel step": with f = fh + reg log u, g = gh + reg log v, the sum is a product with K
 *    (n*m multiply-adds, no exp). Used while the scalings u, v stay within [1/BAND, BAND] and
 *    every row/column sum is a normal number; otherwise that half-step is redone as a log step,
 *    which absorbs u, v into the potentials (Schmitzer's stabilisation, with the log step as the
 *    safe fallback). So small reg never overflows, and a warm start costs one log step.
 * Sums run in fixed order (no -ffast-math), so results are bit-reproducible. */
#include "ot_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* e^50. Kernel entries that underflowed (< e^-744 of the plan scale at the last rebuild) grow by
 * at most BAND^2 = e^100 before the next rebuild, so they stay below e^-644: negligible. */
#define BAND 5.184705528587072e21

typedef struct {
    torta_ot_ws *ws;
    int n, m;
    const double *a, *b, *C;
    double reg, inv_reg, phi;
    int balanced;
    int kernel_valid; /* K, fh, gh, u, v describe the current potentials */
} sk_ctx;

/* x . y over len entries with four fixed partial sums (vectorisable, still deterministic). */
static double dot4(const double *x, const double *y, int len)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int j = 0;
    for (; j + 4 <= len; j += 4) {
        s0 += x[j] * y[j];
        s1 += x[j + 1] * y[j + 1];
        s2 += x[j + 2] * y[j + 2];
        s3 += x[j + 3] * y[j + 3];
    }
    for (; j < len; j++)
        s0 += x[j] * y[j];
    return (s0 + s1) + (s2 + s3);
}

/* f = fh + reg log u on active rows, when the kernel representation is current. */
static void materialise_f(sk_ctx *c)
{
    torta_ot_ws *ws = c->ws;
    if (!c->kernel_valid)
        return;
    for (int i = 0; i < c->n; i++)
        if (ws->ract[i])
            ws->f[i] = ws->fh[i] + c->reg * log(ws->u[i]);
}

static void materialise_g(sk_ctx *c)
{
    torta_ot_ws *ws = c->ws;
    if (!c->kernel_valid)
        return;
    for (int j = 0; j < c->m; j++)
        if (ws->cact[j])
            ws->g[j] = ws->gh[j] + c->reg * log(ws->v[j]);
}

/* After a log step: the kernel is built at (f, g), so the scalings restart at 1. */
static void set_reference(sk_ctx *c)
{
    torta_ot_ws *ws = c->ws;
    for (int i = 0; i < c->n; i++) {
        ws->fh[i] = ws->f[i];
        ws->u[i] = ws->ract[i] ? 1.0 : 0.0;
    }
    for (int j = 0; j < c->m; j++) {
        ws->gh[j] = ws->g[j];
        ws->v[j] = ws->cact[j] ? 1.0 : 0.0;
    }
    c->kernel_valid = 1;
}

/* Column update by full log-sum-exp; rebuilds K. Returns 1 if a value overflowed. */
static int log_g_step(sk_ctx *c)
{
    torta_ot_ws *ws = c->ws;
    const int n = c->n, m = c->m;
    const double *C = c->C, *f = ws->f;
    double *colmax = ws->cbuf, *colsum = ws->cbuf2;
    for (int j = 0; j < m; j++) {
        colmax[j] = -INFINITY;
        colsum[j] = 0.0;
    }
    for (int i = 0; i < n; i++) {
        if (!ws->ract[i])
            continue;
        const double *Ci = C + (size_t)i * m;
        const double fi = f[i];
        for (int j = 0; j < m; j++) {
            double t = fi - Ci[j];
            if (t > colmax[j])
                colmax[j] = t;
        }
    }
    for (int i = 0; i < n; i++) {
        double *Ki = ws->K + (size_t)i * m;
        if (!ws->ract[i]) {
            memset(Ki, 0, (size_t)m * sizeof *Ki);
            continue;
        }
        const double *Ci = C + (size_t)i * m;
        const double fi = f[i];
        for (int j = 0; j < m; j++) {
            double k = exp((fi - Ci[j] - colmax[j]) * c->inv_reg);
            Ki[j] = k;
            colsum[j] += k;
        }
    }
    /* colmax becomes the column scale exp((g_j + colmax_j) / reg) turning exp(t - max) into K. */
    for (int j = 0; j < m; j++) {
        if (!ws->cact[j]) {
            colmax[j] = 0.0;
            continue;
        }
        double lr = log(c->b[j] / colsum[j]);
        double gj = c->phi * (c->reg * lr - colmax[j]);
        double scale = c->balanced ? c->b[j] / colsum[j]
                                   : exp(c->phi * lr + (1.0 - c->phi) * colmax[j] * c->inv_reg);
        if (!isfinite(gj) || !isfinite(scale))
            return 1;
        ws->g[j] = gj;
        colmax[j] = scale;
    }
    for (int i = 0; i < n; i++) {
        if (!ws->ract[i])
            continue;
        double *Ki = ws->K + (size_t)i * m;
        for (int j = 0; j < m; j++)
            Ki[j] *= colmax[j];
    }
    set_reference(c);
    return 0;
}

/* Row update by full log-sum-exp; rebuilds K; *err = L1 row-mass change, *mass = plan mass
 * before the update. Returns 1 if a value overflowed. */
static int log_f_step(sk_ctx *c, double *err, double *mass)
{
    torta_ot_ws *ws = c->ws;
    const int n = c->n, m = c->m;
    double *ge = ws->cbuf; /* g with -inf on empty columns, so they drop out of the sums */
    for (int j = 0; j < m; j++)
        ge[j] = ws->cact[j] ? ws->g[j] : -INFINITY;
    double e = 0.0, mt = 0.0;
    for (int i = 0; i < n; i++) {
        double *Ki = ws->K + (size_t)i * m;
        if (!ws->ract[i]) {
            memset(Ki, 0, (size_t)m * sizeof *Ki);
            continue;
        }
        const double *Ci = c->C + (size_t)i * m;
        double rmax = -INFINITY;
        for (int j = 0; j < m; j++) {
            double t = ge[j] - Ci[j];
            if (t > rmax)
                rmax = t;
        }
        double s = 0.0;
        for (int j = 0; j < m; j++) {
            double k = exp((ge[j] - Ci[j] - rmax) * c->inv_reg);
            Ki[j] = k;
            s += k;
        }
        double lr = log(c->a[i] / s);
        double fi = c->phi * (c->reg * lr - rmax);
        double r_old = exp((ws->f[i] + rmax) * c->inv_reg) * s;
        double scale = c->balanced ? c->a[i] / s
                                   : exp(c->phi * lr + (1.0 - c->phi) * rmax * c->inv_reg);
        if (!isfinite(fi) || !isfinite(scale))
            return 1;
        e += fabs(r_old - scale * s);
        mt += r_old;
        for (int j = 0; j < m; j++)
            Ki[j] *= scale;
        ws->f[i] = fi;
    }
    *err = e;
    *mass = mt;
    set_reference(c);
    return 0;
}

/* Row update through the kernel; *err = L1 row-mass change, *mass = plan mass before it.
 * Returns 1 (nothing changed) when the half-step must be a log step instead. */
static int kernel_f_step(sk_ctx *c, double *err, double *mass)
{
    torta_ot_ws *ws = c->ws;
    const int n = c->n, m = c->m;
    double e = 0.0, mt = 0.0;
    for (int i = 0; i < n; i++) {
        if (!ws->ract[i])
            continue;
        double kv = dot4(ws->K + (size_t)i * m, ws->v, m);
        if (!(kv >= DBL_MIN && kv <= DBL_MAX))
            return 1;
        double un;
        if (c->balanced) {
            un = c->a[i] / kv;
            e += fabs(ws->u[i] * kv - c->a[i]);
        } else {
            un = exp(c->phi * log(c->a[i] / kv) + (c->phi - 1.0) * ws->fh[i] * c->inv_reg);
            e += kv * fabs(ws->u[i] - un);
        }
        if (!(un >= 1.0 / BAND && un <= BAND))
            return 1;
        ws->rbuf[i] = un;
        mt += ws->u[i] * kv;
    }
    for (int i = 0; i < n; i++)
        if (ws->ract[i])
            ws->u[i] = ws->rbuf[i];
    *err = e;
    *mass = mt;
    return 0;
}

/* Column update through the kernel (row-major axpy). Returns 1 (nothing changed) when the
 * half-step must be a log step instead. */
static int kernel_g_step(sk_ctx *c)
{
    torta_ot_ws *ws = c->ws;
    const int n = c->n, m = c->m;
    double *ktu = ws->cbuf;
    for (int j = 0; j < m; j++)
        ktu[j] = 0.0;
    for (int i = 0; i < n; i++) {
        if (!ws->ract[i])
            continue;
        const double *Ki = ws->K + (size_t)i * m;
        const double ui = ws->u[i];
        for (int j = 0; j < m; j++)
            ktu[j] += Ki[j] * ui;
    }
    for (int j = 0; j < m; j++) {
        if (!ws->cact[j])
            continue;
        double s = ktu[j];
        if (!(s >= DBL_MIN && s <= DBL_MAX))
            return 1;
        double vn = c->balanced
                        ? c->b[j] / s
                        : exp(c->phi * log(c->b[j] / s) + (c->phi - 1.0) * ws->gh[j] * c->inv_reg);
        if (!(vn >= 1.0 / BAND && vn <= BAND))
            return 1;
        ktu[j] = vn;
    }
    for (int j = 0; j < m; j++)
        if (ws->cact[j])
            ws->v[j] = ktu[j];
    return 0;
}

/* log sum_k w_k exp(-x_k / rho) over active entries, with max subtraction. */
static double lse_dual(const double *w, const double *xh, const double *sc, const unsigned char *act,
                       int len, double reg, double inv_rho)
{
    double mx = -INFINITY, s = 0.0;
    for (int k = 0; k < len; k++)
        if (act[k]) {
            double t = log(w[k]) - (xh[k] + reg * log(sc[k])) * inv_rho;
            mx = t > mx ? t : mx;
        }
    for (int k = 0; k < len; k++)
        if (act[k])
            s += exp(log(w[k]) - (xh[k] + reg * log(sc[k])) * inv_rho - mx);
    return mx + log(s);
}

/* Unbalanced only. The plan depends on f + g alone, so (f + t, g - t) is free to choose; the
 * Sinkhorn updates move along it only at rate rho / (rho + reg), the slow mode when rho >> reg.
 * The dual -rho sum a e^(-f/rho) - rho sum b e^(-g/rho) - reg sum e^((f+g-C)/reg) is maximised
 * over t in closed form: t = rho/2 log(sum a e^(-f/rho) / sum b e^(-g/rho)) (the translation-
 * invariant Sinkhorn of Sejourne et al. 2022). Shifting the reference potentials leaves K, u, v
 * and the plan unchanged. */
static void translate(sk_ctx *c, double rho)
{
    torta_ot_ws *ws = c->ws;
    double inv_rho = 1.0 / rho;
    double la = lse_dual(c->a, ws->fh, ws->u, ws->ract, c->n, c->reg, inv_rho);
    double lb = lse_dual(c->b, ws->gh, ws->v, ws->cact, c->m, c->reg, inv_rho);
    double t = 0.5 * rho * (la - lb);
    if (!isfinite(t))
        return;
    for (int i = 0; i < c->n; i++)
        ws->fh[i] += t;
    for (int j = 0; j < c->m; j++)
        ws->gh[j] -= t;
}

static void marginal_errors(int n, int m, const double *a, const double *b, const double *plan,
                            double *colsum, torta_ot_stats *st)
{
    double ea = 0.0, eb = 0.0;
    for (int j = 0; j < m; j++)
        colsum[j] = 0.0;
    for (int i = 0; i < n; i++) {
        const double *Pi = plan + (size_t)i * m;
        double r = 0.0;
        for (int j = 0; j < m; j++) {
            r += Pi[j];
            colsum[j] += Pi[j];
        }
        ea += fabs(r - a[i]);
    }
    for (int j = 0; j < m; j++)
        eb += fabs(colsum[j] - b[j]);
    st->marg_err_a = ea;
    st->marg_err_b = eb;
}

int torta_ot_sinkhorn(torta_ot_ws *ws, int n, int m, const double *a, const double *b,
                      const double *C, const torta_ot_params *p, double *plan,
                      torta_ot_stats *st, torta_err *e)
{
    torta_ot_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (!ws || !a || !b || !C || !p || !plan)
        return torta_err_set(e, TORTA_EINPUT, "torta_ot_sinkhorn: NULL argument");
    if (n != ws->n || m != ws->m)
        return torta_err_set(e, TORTA_EINPUT,
                             "OT size mismatch: problem is %d x %d but the workspace is %d x %d",
                             n, m, ws->n, ws->m);
    if (!(p->reg > 0.0) || !isfinite(p->reg))
        return torta_err_set(e, TORTA_EINPUT,
                             "reg = %g: the entropic regularisation must be finite and > 0",
                             p->reg);
    if (isnan(p->rho))
        return torta_err_set(e, TORTA_EINPUT, "rho is NaN: use > 0 (unbalanced) or <= 0 / inf "
                                              "(balanced)");
    const int balanced = !(p->rho > 0.0 && isfinite(p->rho));
    const int max_iter = p->max_iter > 0 ? p->max_iter : 10000;
    const double tol = p->tol > 0.0 ? p->tol : 1e-9;
    double sa, sb;
    int rc;
    if ((rc = torta_ot_check_masses(a, n, "a", &sa, e)) < 0 ||
        (rc = torta_ot_check_masses(b, m, "b", &sb, e)) < 0 ||
        (rc = torta_ot_check_costs(n, m, C, e)) < 0)
        return rc;
    if (balanced && (rc = torta_ot_check_balance(sa, sb, e)) < 0)
        return rc;

    size_t nm = (size_t)n * (size_t)m;
    if (sa == 0.0 || sb == 0.0) { /* nothing to move (unbalanced: the KL terms forbid mass) */
        memset(plan, 0, nm * sizeof *plan);
        st->converged = 1;
        marginal_errors(n, m, a, b, plan, ws->cbuf, st);
        return 0;
    }
    for (int i = 0; i < n; i++)
        ws->ract[i] = a[i] > 0.0;
    for (int j = 0; j < m; j++)
        ws->cact[j] = b[j] > 0.0;

    sk_ctx c = {.ws = ws, .n = n, .m = m, .a = a, .b = b, .C = C, .reg = p->reg,
                .inv_reg = 1.0 / p->reg, .phi = balanced ? 1.0 : p->rho / (p->rho + p->reg),
                .balanced = balanced};
    /* Relative to the plan's mass (unbalanced plans can be far lighter than a and b); balanced
     * with masses unequal within the accepted 1e-9: rows cannot all be met better. */
    const double slack = balanced ? fabs(sa - sb) : 0.0;
    int warm = p->warm_start && ws->have_pot;
    /* Same costs and reg as the last solve: its kernel and scalings are still exact, so a warm
     * start needs no log step at all (e.g. only the marginals moved since the last timeslot). */
    int reuse = warm && ws->kernel_ok && ws->reg_prev == p->reg &&
                memcmp(ws->Cprev, C, nm * sizeof *C) == 0;
    for (int i = 0; i < n && reuse; i++)
        reuse = !ws->ract[i] || ws->u[i] > 0.0;
    for (int j = 0; j < m && reuse; j++)
        reuse = !ws->cact[j] || ws->v[j] > 0.0;
    ws->have_pot = 0;
    ws->kernel_ok = 0;

    for (;;) {
        if (!warm) {
            reuse = 0;
            memset(ws->f, 0, (size_t)n * sizeof *ws->f);
            memset(ws->g, 0, (size_t)m * sizeof *ws->g);
        }
        if (reuse) { /* rows/columns that lost their mass drop out of the plan */
            for (int i = 0; i < n; i++)
                ws->u[i] = ws->ract[i] ? ws->u[i] : 0.0;
            for (int j = 0; j < m; j++)
                ws->v[j] = ws->cact[j] ? ws->v[j] : 0.0;
        }
        c.kernel_valid = reuse; /* otherwise the first g-step is a log step */
        int it, overflow = 0;
        double err = INFINITY, mass = 0.0, thr = 0.0;
        for (it = 1; it <= max_iter; it++) {
            if (!c.kernel_valid || kernel_g_step(&c)) {
                materialise_f(&c);
                if ((overflow = log_g_step(&c)))
                    break;
                st->log_steps++;
            }
            if (kernel_f_step(&c, &err, &mass)) {
                materialise_f(&c); /* the error needs the current f */
                materialise_g(&c);
                if ((overflow = log_f_step(&c, &err, &mass)))
                    break;
                st->log_steps++;
            }
            thr = tol * mass + slack; /* inf when warm potentials are far off: not converged */
            if (isfinite(thr) && err <= thr)
                break;
            if (!balanced)
                translate(&c, p->rho);
        }
        if (overflow) {
            if (warm) { /* the old potentials do not fit this problem at all: start cold */
                warm = 0;
                continue;
            }
            return torta_err_set(e, TORTA_EINPUT,
                                 "Sinkhorn overflowed the double range (reg %g, rho %g): "
                                 "rescale the costs or the masses",
                                 p->reg, p->rho);
        }
        st->iterations = it > max_iter ? max_iter : it;
        st->converged = isfinite(thr) && err <= thr;
        st->err = err;
        break;
    }
    materialise_f(&c);
    materialise_g(&c);
    for (int i = 0; i < n; i++) {
        const double *Ki = ws->K + (size_t)i * m;
        double *Pi = plan + (size_t)i * m;
        const double ui = ws->u[i];
        for (int j = 0; j < m; j++)
            Pi[j] = Ki[j] * ui * ws->v[j];
    }
    ws->have_pot = 1;
    if (!reuse)
        memcpy(ws->Cprev, C, nm * sizeof *C);
    ws->reg_prev = p->reg;
    ws->kernel_ok = 1;
    marginal_errors(n, m, a, b, plan, ws->cbuf, st);
    return 0;
}
