/* The forecaster object and the "auto" selector. A fixed method just forwards to its state.
 * Auto runs all base methods; when y_t arrives, each method's score for slot t is the sum over
 * h = 1..H of |y_t - its forecast for t made h slots earlier| (H-step errors, what the macro
 * layer consumes), and auto uses the method with the lowest score summed over the last W slots
 * (ties: seasonal-naive, ewma, holt-winters). Forecasts are clamped at 0 before being scored. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/fc_internal.h"

/* Sum of the last w pushed values, amortised O(1) and without subtraction: values come in blocks
 * of w; the window is a suffix of the previous block (suffix sums computed once per block) plus
 * the prefix of the current block. Equal value sequences give bit-equal sums, and a window of
 * zeros sums to exactly 0, so the selector's ties are exact. */
typedef struct winsum {
    int w;
    long n;
    double cur_sum;
    double *cur; /* current block, w values */
    double *suf; /* suf[j] = sum of the previous block's values j..w-1; suf[w] = 0 */
} winsum;

static int winsum_init(winsum *s, int w)
{
    s->w = w;
    s->n = 0;
    s->cur_sum = 0.0;
    s->cur = calloc((size_t)w, sizeof *s->cur);
    s->suf = calloc((size_t)w + 1, sizeof *s->suf);
    return s->cur && s->suf ? 0 : TORTA_ENOMEM;
}

static void winsum_push(winsum *s, double x)
{
    int k = (int)(s->n % s->w);
    if (k == 0 && s->n > 0) {
        s->suf[s->w] = 0.0;
        for (int j = s->w - 1; j >= 0; j--)
            s->suf[j] = s->cur[j] + s->suf[j + 1];
        s->cur_sum = 0.0;
    }
    s->cur[k] = x;
    s->cur_sum += x;
    s->n++;
}

static double winsum_get(const winsum *s)
{
    if (s->n == 0)
        return 0.0;
    int k = (int)((s->n - 1) % s->w);
    return s->cur_sum + s->suf[k + 1];
}

static void winsum_free(winsum *s)
{
    free(s->cur);
    free(s->suf);
}

struct torta_forecaster {
    torta_forecast_params p;
    long n;
    int runs[TORTA_FC_N_BASE]; /* which base methods are kept up to date */
    fc_snaive sn;
    fc_ewma ewma;
    fc_hw hw;
    double *cur;  /* [TORTA_FC_N_BASE][H]: clamped forecasts from the latest origin */
    double *past; /* auto: [TORTA_FC_N_BASE][H origins, ring by t % H][H leads] */
    winsum win[TORTA_FC_N_BASE];
    torta_forecast_method active;
};

void torta_forecaster_free(torta_forecaster *f)
{
    if (!f)
        return;
    fc_snaive_free(&f->sn);
    fc_hw_free(&f->hw);
    for (int i = 0; i < TORTA_FC_N_BASE; i++)
        winsum_free(&f->win[i]);
    free(f->cur);
    free(f->past);
    free(f);
}

int torta_forecaster_new(const torta_forecast_params *p, torta_forecaster **out, torta_err *e)
{
    *out = NULL;
    int rc = torta_forecast_params_check(p, e);
    if (rc)
        return rc;
    torta_forecaster *f = calloc(1, sizeof *f);
    if (!f)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory creating a forecaster");
    f->p = *p;
    int is_auto = p->method == TORTA_FC_AUTO;
    size_t H = (size_t)p->horizon_slots;
    for (int i = 0; i < TORTA_FC_N_BASE; i++)
        f->runs[i] = is_auto || (int)p->method == i;
    f->active = is_auto ? TORTA_FC_SEASONAL_NAIVE : p->method;
    fc_ewma_init(&f->ewma, p->ewma_alpha);
    int oom = 0;
    if (f->runs[TORTA_FC_SEASONAL_NAIVE])
        oom |= fc_snaive_init(&f->sn, p->season_slots) != 0;
    if (f->runs[TORTA_FC_HOLT_WINTERS])
        oom |= fc_hw_init(&f->hw, p) != 0;
    f->cur = calloc(TORTA_FC_N_BASE * H, sizeof *f->cur);
    oom |= !f->cur;
    if (is_auto) {
        f->past = calloc(TORTA_FC_N_BASE * H * H, sizeof *f->past);
        oom |= !f->past;
        for (int i = 0; i < TORTA_FC_N_BASE; i++)
            oom |= winsum_init(&f->win[i], p->auto_window_slots) != 0;
    }
    if (oom) {
        torta_forecaster_free(f);
        return torta_err_set(e, TORTA_ENOMEM,
                             "out of memory creating a forecaster (season %d slots)",
                             p->season_slots);
    }
    *out = f;
    return 0;
}

/* Scores y_t against each method's past forecasts for slot t (auto only). */
static void score(torta_forecaster *f, double y)
{
    int H = f->p.horizon_slots;
    long t = f->n;
    for (int i = 0; i < TORTA_FC_N_BASE; i++) {
        double err = 0.0;
        for (int h = 1; h <= H && t - h >= 0; h++) {
            const double *made = f->past + ((size_t)i * H + (size_t)((t - h) % H)) * H;
            err += fabs(y - made[h - 1]);
        }
        if (t > 0)
            winsum_push(&f->win[i], err);
    }
}

int torta_forecaster_observe(torta_forecaster *f, double y, torta_err *e)
{
    if (!isfinite(y) || y < 0.0)
        return torta_err_set(e, TORTA_EINPUT, "forecast: observation %ld is %g (demand must be "
                             "finite and >= 0)", f->n, y);
    int H = f->p.horizon_slots, is_auto = f->p.method == TORTA_FC_AUTO;
    if (is_auto)
        score(f, y);
    if (f->runs[TORTA_FC_SEASONAL_NAIVE]) {
        fc_snaive_observe(&f->sn, y);
        fc_snaive_forecast(&f->sn, H, f->cur + (size_t)TORTA_FC_SEASONAL_NAIVE * H);
    }
    if (f->runs[TORTA_FC_EWMA]) {
        fc_ewma_observe(&f->ewma, y);
        fc_ewma_forecast(&f->ewma, H, f->cur + (size_t)TORTA_FC_EWMA * H);
    }
    if (f->runs[TORTA_FC_HOLT_WINTERS]) {
        fc_hw_observe(&f->hw, y);
        fc_hw_forecast(&f->hw, H, f->cur + (size_t)TORTA_FC_HOLT_WINTERS * H);
    }
    for (size_t k = 0; k < TORTA_FC_N_BASE * (size_t)H; k++)
        if (!(f->cur[k] > 0.0)) /* demand is never negative */
            f->cur[k] = 0.0;
    if (is_auto) {
        for (int i = 0; i < TORTA_FC_N_BASE; i++)
            memcpy(f->past + ((size_t)i * H + (size_t)(f->n % H)) * H, f->cur + (size_t)i * H,
                   (size_t)H * sizeof *f->cur);
        int best = 0;
        double best_err = winsum_get(&f->win[0]);
        for (int i = 1; i < TORTA_FC_N_BASE; i++) {
            double err = winsum_get(&f->win[i]);
            if (err < best_err) {
                best = i;
                best_err = err;
            }
        }
        f->active = (torta_forecast_method)best;
    }
    f->n++;
    return 0;
}

void torta_forecaster_predict(const torta_forecaster *f, double *out)
{
    int H = f->p.horizon_slots;
    memcpy(out, f->cur + (size_t)f->active * H, (size_t)H * sizeof *out);
}

torta_forecast_method torta_forecaster_active(const torta_forecaster *f)
{
    return f->active;
}

long torta_forecaster_n_obs(const torta_forecaster *f)
{
    return f->n;
}

double torta_forecaster_window_error(const torta_forecaster *f, torta_forecast_method m)
{
    if (f->p.method != TORTA_FC_AUTO || (int)m < 0 || (int)m >= TORTA_FC_N_BASE)
        return -1.0;
    return winsum_get(&f->win[m]);
}
