/* Synthetic request sources from a spec "KIND:key=value,...": Poisson and Gamma renewal
 * arrivals, and diurnal per-region non-homogeneous Poisson arrivals (by thinning), with fixed
 * lengths or lengths sampled from a length file. Random numbers come from named streams
 * ("arrivals", "lengths") so that changing one part never shifts another. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"
#include "torta/rng.h"
#include "workload/wl_internal.h"

enum kind { K_POISSON, K_GAMMA, K_DIURNAL, K_N };
static const char *const KINDS[K_N + 1] = {"poisson", "gamma", "diurnal", NULL};

/* Every key, and the kinds that accept it (bit mask over enum kind). */
enum key {
    KEY_RATE, KEY_DUR, KEY_IN, KEY_OUT, KEY_LENGTHS, KEY_CV, KEY_P2T, KEY_PEAK, KEY_START,
    KEY_WEIGHTS, KEY_N
};
static const char *const KEYS[KEY_N + 1] = {"rate_per_s", "duration_s", "input_tokens",
                                            "output_tokens", "lengths", "cv", "peak_to_trough",
                                            "peak_hour", "start_hour", "weights", NULL};
static const double PI = 3.14159265358979323846;

#define ALL ((1 << K_POISSON) | (1 << K_GAMMA) | (1 << K_DIURNAL))
static const int KEY_KINDS[KEY_N] = {ALL, ALL, ALL, ALL, ALL, 1 << K_GAMMA, 1 << K_DIURNAL,
                                     1 << K_DIURNAL, 1 << K_DIURNAL, 1 << K_DIURNAL};

typedef struct gen {
    int kind;
    double rate_per_s, duration_s, cv, gamma_shape, gamma_scale_s;
    int32_t in_tokens, out_tokens; /* fixed lengths when tab.n == 0 */
    wl_lengths tab;
    gsl_rng *arrivals, *lengths;
    double t_s;
    /* diurnal */
    int n_regions;
    double *base_per_s, *tz_h;
    double peak_to_trough, peak_hour, start_hour, lam_max_per_s;
    /* Region i's curve is 1 + amp cos(theta(t) + phi_i), phi_i its time-zone phase: one cos and
     * sin of theta per candidate (from a table, see thin) instead of a cos and an fmod per region. */
    double amp, *cos_phi, *sin_phi;
    double rate_sum_per_s, base_cos_per_s, base_sin_per_s; /* sums over regions of base_i (cos, sin phi_i) */
    double gap_mean_s;           /* 1 / lam_max */
    double hour_shift;           /* start_hour - peak_hour */
    double *trig_cos, *trig_sin; /* cos and sin of 2 pi k / TRIG_N */
} gen;

enum { TRIG_N = 1024 };
static const double FAST_TRIG_MAX_S = 1e8; /* 3 years */

static void gen_free(void *impl)
{
    gen *g = impl;
    if (!g)
        return;
    wl_lengths_free(&g->tab);
    if (g->arrivals)
        gsl_rng_free(g->arrivals);
    if (g->lengths)
        gsl_rng_free(g->lengths);
    free(g->base_per_s);
    free(g->tz_h);
    free(g->cos_phi);
    free(g->sin_phi);
    free(g->trig_cos);
    free(g->trig_sin);
    free(g);
}

/* Thinning decision for a candidate at time t with u uniform on [0, lam_max): the region it
 * lands in, or -1 when rejected. The total rate has a closed form, so most rejections need no
 * loop over regions (the margin covers the loop's rounding, so decisions are those of the
 * loop). */
static int thin_exact(const gen *g, double u, double t)
{
    double theta = 2.0 * PI * (g->start_hour + t / 3600.0 - g->peak_hour) / 24.0;
    double ct = cos(theta), st = sin(theta), cum = 0;
    double total = g->rate_sum_per_s + g->amp * (ct * g->base_cos_per_s - st * g->base_sin_per_s);
    if (u > total * (1.0 + 1e-9))
        return -1;
    for (int i = 0; i < g->n_regions; i++) {
        cum += g->base_per_s[i] * (1.0 + g->amp * (ct * g->cos_phi[i] - st * g->sin_phi[i]));
        if (u < cum)
            return i;
    }
    return -1;
}

/* cos and sin of the curve angle at time t without libm: the nearest table angle and Taylor
 * terms for the rest, |d| <= pi / TRIG_N. They differ from libm's by rounding alone, which grows
 * with t: below 1e-11 up to FAST_TRIG_MAX_S, where thin stops using them. */
static void sincos_table(const gen *g, double t, double *c, double *s)
{
    double q = (t * (1.0 / 3600.0) + g->hour_shift) * (TRIG_N / 24.0), kf = floor(q + 0.5);
    double d = (q - kf) * (2.0 * PI / TRIG_N), d2 = d * d;
    size_t k = (size_t)((long long)kf & (TRIG_N - 1));
    double cd = 1.0 - d2 * (0.5 - d2 * (1.0 / 24.0));
    double sd = d * (1.0 - d2 * (1.0 / 6.0 - d2 * (1.0 / 120.0)));
    *c = g->trig_cos[k] * cd - g->trig_sin[k] * sd;
    *s = g->trig_sin[k] * cd + g->trig_cos[k] * sd;
}

/* thin_exact's decision, with cos and sin from the table: every threshold the decision compares
 * u with is then known to within far less than `band`, so when u is more than `band` away from
 * each that it was compared with, the exact decision is the same; otherwise (about one
 * candidate in 1e9) thin_exact decides. The stream does not depend on the shortcut. */
static int thin(const gen *g, double u, double t)
{
    double ct, st, band = 1e-10 * g->lam_max_per_s;
    if (t > FAST_TRIG_MAX_S)
        return thin_exact(g, u, t);
    sincos_table(g, t, &ct, &st);
    double limit = (g->rate_sum_per_s + g->amp * (ct * g->base_cos_per_s - st * g->base_sin_per_s)) *
                   (1.0 + 1e-9);
    if (u > limit + band)
        return -1;
    if (u >= limit - band)
        return thin_exact(g, u, t);
    double cum = 0, prev = 0;
    for (int i = 0; i < g->n_regions; i++) {
        cum += g->base_per_s[i] * (1.0 + g->amp * (ct * g->cos_phi[i] - st * g->sin_phi[i]));
        if (u < cum)
            return cum - u > band && u - prev > band ? i : thin_exact(g, u, t);
        prev = cum;
    }
    return u - cum > band ? -1 : thin_exact(g, u, t);
}

static int gen_next(void *impl, torta_req_in *r, torta_err *e)
{
    gen *g = impl;
    int origin = -1;
    switch (g->kind) {
    case K_POISSON: g->t_s += gsl_ran_exponential(g->arrivals, 1.0 / g->rate_per_s); break;
    case K_GAMMA: g->t_s += gsl_ran_gamma(g->arrivals, g->gamma_shape, g->gamma_scale_s); break;
    default:
        /* Thinning: candidates at the peak total rate; one uniform both accepts and picks the
         * region, landing in region i with probability rate_i(t) / lam_max. */
        do { /* an exponential gap, written out as gsl_ran_exponential computes it */
            g->t_s -= g->gap_mean_s * log1p(-gsl_rng_uniform(g->arrivals));
            if (g->t_s >= g->duration_s)
                return 0;
            double u = gsl_rng_uniform(g->arrivals) * g->lam_max_per_s;
            origin = thin(g, u, g->t_s);
        } while (origin < 0);
    }
    if (g->t_s >= g->duration_s)
        return 0;
    memset(r, 0, sizeof *r);
    r->arrival_s = g->t_s;
    r->origin = origin;
    r->model = -1;
    if (g->tab.n) {
        size_t k = (size_t)gsl_rng_uniform_int(g->lengths, (unsigned long)g->tab.n);
        r->input_tokens = g->tab.in_tokens[k];
        r->output_tokens = g->tab.out_tokens[k];
    } else {
        r->input_tokens = g->in_tokens;
        r->output_tokens = g->out_tokens;
    }
    (void)e;
    return 1;
}

/* Shortest of %.15g / %.17g that reads back exactly, for a stable, readable description. */
static void fmt_num(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, n, "%.17g", v);
}

typedef struct spec {
    int kind;
    int given[KEY_N];
    double num[KEY_N];
    const char *lengths; /* points into the copied spec */
    const char *weights;
} spec;

static int parse_value(const char *spec_s, const char *key, const char *val, double lo,
                       double hi, int whole, double *out, torta_err *e)
{
    char *end;
    double v = strtod(val, &end);
    if (!*val || *end || !isfinite(v))
        return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': %s: not a number: '%s'", spec_s,
                             key, val);
    if (whole && v != floor(v))
        return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': %s: not a whole number: '%s'",
                             spec_s, key, val);
    if (v < lo || v > hi)
        return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': %s: %s is out of range [%g, %g]",
                             spec_s, key, val, lo, hi);
    *out = v;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Parses spec_s into sp; text is a writable copy of spec_s that sp may point into. */
static int parse_spec(const char *spec_s, char *text, spec *sp, torta_err *e)
{
    memset(sp, 0, sizeof *sp);
    char *colon = strchr(text, ':');
    if (colon)
        *colon = '\0';
    char *kind = trim(text);
    for (sp->kind = 0; sp->kind < K_N && strcmp(kind, KINDS[sp->kind]) != 0; sp->kind++)
        ;
    if (sp->kind == K_N) {
        const char *s = torta_did_you_mean(kind, KINDS);
        return torta_err_set(e, TORTA_EINPUT,
                             "workload spec '%s': unknown kind '%s'%s%s%s (kinds: poisson, gamma, "
                             "diurnal)",
                             spec_s, kind, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
    }
    char *p = colon ? colon + 1 : NULL;
    while (p) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *item = trim(p);
        p = comma ? comma + 1 : NULL;
        if (!*item)
            return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': empty item", spec_s);
        char *eq = strchr(item, '=');
        if (!eq)
            return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': '%s' is not key=value",
                                 spec_s, item);
        *eq = '\0';
        char *key = trim(item), *val = trim(eq + 1);
        int k = 0;
        while (k < KEY_N && strcmp(key, KEYS[k]) != 0)
            k++;
        if (k == KEY_N) {
            const char *s = torta_did_you_mean(key, KEYS);
            return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': unknown key '%s'%s%s%s",
                                 spec_s, key, s ? " (did you mean '" : "", s ? s : "",
                                 s ? "'?)" : "");
        }
        if (!(KEY_KINDS[k] & (1 << sp->kind)))
            return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': key '%s' is not valid for %s",
                                 spec_s, key, KINDS[sp->kind]);
        if (sp->given[k])
            return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': key '%s' given twice",
                                 spec_s, key);
        sp->given[k] = 1;
        int rc = 0;
        switch (k) {
        case KEY_RATE: rc = parse_value(spec_s, key, val, 1e-12, 1e9, 0, &sp->num[k], e); break;
        case KEY_DUR: rc = parse_value(spec_s, key, val, 1e-9, 1e12, 0, &sp->num[k], e); break;
        case KEY_IN:
        case KEY_OUT:
            rc = parse_value(spec_s, key, val, 1, (double)WL_MAX_TOKENS, 1, &sp->num[k], e);
            break;
        case KEY_CV: rc = parse_value(spec_s, key, val, 1e-3, 1e3, 0, &sp->num[k], e); break;
        case KEY_P2T: rc = parse_value(spec_s, key, val, 1, 1e6, 0, &sp->num[k], e); break;
        case KEY_PEAK:
        case KEY_START: rc = parse_value(spec_s, key, val, 0, 24, 0, &sp->num[k], e); break;
        case KEY_LENGTHS:
            if (!*val)
                rc = torta_err_set(e, TORTA_EINPUT, "workload spec '%s': lengths: empty path",
                                   spec_s);
            sp->lengths = val;
            break;
        case KEY_WEIGHTS: sp->weights = val; break;
        }
        if (rc)
            return rc;
    }
    if (!sp->given[KEY_RATE])
        return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': rate_per_s: missing", spec_s);
    if (sp->kind == K_GAMMA && !sp->given[KEY_CV])
        return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': cv: missing (gamma needs it)",
                             spec_s);
    int fixed = sp->given[KEY_IN] || sp->given[KEY_OUT];
    if (fixed && sp->lengths)
        return torta_err_set(e, TORTA_EINPUT,
                             "workload spec '%s': give either lengths= or input_tokens= and "
                             "output_tokens=, not both",
                             spec_s);
    if (!sp->lengths && !(sp->given[KEY_IN] && sp->given[KEY_OUT]))
        return torta_err_set(e, TORTA_EINPUT,
                             "workload spec '%s': %s: missing (give lengths=FILE, or both "
                             "input_tokens= and output_tokens=)",
                             spec_s,
                             sp->given[KEY_IN] ? "output_tokens"
                             : sp->given[KEY_OUT] ? "input_tokens"
                                                   : "lengths");
    if (!sp->given[KEY_DUR])
        sp->num[KEY_DUR] = sp->kind == K_DIURNAL ? 86400.0 : 3600.0;
    if (!sp->given[KEY_P2T])
        sp->num[KEY_P2T] = 4.0;
    if (!sp->given[KEY_PEAK])
        sp->num[KEY_PEAK] = 14.0;
    return 0;
}

/* weights "w0;w1;..." -> exactly n non-negative numbers with a positive sum. */
static int parse_weights(const char *spec_s, const char *text, int n, double *w, torta_err *e)
{
    const char *p = text;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        char *end;
        w[i] = strtod(p, &end);
        if (end == p || !isfinite(w[i]) || w[i] < 0)
            return torta_err_set(e, TORTA_EINPUT,
                                 "workload spec '%s': weights: item %d is not a non-negative "
                                 "number",
                                 spec_s, i + 1);
        sum += w[i];
        p = end;
        if (i + 1 < n && *p != ';')
            return torta_err_set(e, TORTA_EINPUT,
                                 "workload spec '%s': weights: %d values for %d regions", spec_s,
                                 i + 1, n);
        if (i + 1 < n)
            p++;
    }
    if (*p)
        return torta_err_set(e, TORTA_EINPUT,
                             "workload spec '%s': weights: more values than the %d regions",
                             spec_s, n);
    if (!(sum > 0))
        return torta_err_set(e, TORTA_EINPUT, "workload spec '%s': weights: all zero", spec_s);
    if (!isfinite(sum)) /* rates are w_i / sum: an infinite sum would silently zero them */
        return torta_err_set(e, TORTA_EINPUT,
                             "workload spec '%s': weights: too large (their sum overflows)", spec_s);
    return 0;
}

static char *describe(const spec *sp, const gen *g)
{
    char buf[8192], num[40];
    size_t k = 0;
#define ADD(...)                                                                                \
    do {                                                                                        \
        if (k < sizeof buf)                                                                     \
            k += (size_t)snprintf(buf + k, sizeof buf - k, __VA_ARGS__);                        \
    } while (0)
    fmt_num(num, sizeof num, g->rate_per_s);
    ADD("%s:rate_per_s=%s", KINDS[sp->kind], num);
    fmt_num(num, sizeof num, g->duration_s);
    ADD(",duration_s=%s", num);
    if (sp->kind == K_GAMMA) {
        fmt_num(num, sizeof num, g->cv);
        ADD(",cv=%s", num);
    }
    if (sp->lengths)
        ADD(",lengths=%s", sp->lengths);
    else
        ADD(",input_tokens=%d,output_tokens=%d", (int)g->in_tokens, (int)g->out_tokens);
    if (sp->kind == K_DIURNAL) {
        fmt_num(num, sizeof num, g->peak_to_trough);
        ADD(",peak_to_trough=%s", num);
        fmt_num(num, sizeof num, g->peak_hour);
        ADD(",peak_hour=%s", num);
        fmt_num(num, sizeof num, g->start_hour);
        ADD(",start_hour=%s", num);
        if (sp->weights)
            ADD(",weights=%s", sp->weights);
    }
#undef ADD
    size_t n = strlen(buf) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, buf, n);
    return d;
}

int torta_source_open_synthetic(const char *spec_s, uint64_t seed, int n_regions,
                                const double *tz_offsets_h, torta_source **out, torta_err *e)
{
    *out = NULL;
    size_t len = strlen(spec_s);
    char *text = malloc(len + 1);
    gen *g = calloc(1, sizeof *g);
    wl_warn warn = {0};
    int rc = 0;
    if (!text || !g) {
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(text, spec_s, len + 1);
    spec sp;
    if ((rc = parse_spec(spec_s, text, &sp, e)))
        goto done;
    g->kind = sp.kind;
    g->rate_per_s = sp.num[KEY_RATE];
    g->duration_s = sp.num[KEY_DUR];
    g->cv = sp.num[KEY_CV];
    if (g->kind == K_GAMMA) {
        /* Mean inter-arrival 1/rate and CV cv: shape 1/cv^2, scale mean/shape. */
        g->gamma_shape = 1.0 / (g->cv * g->cv);
        g->gamma_scale_s = 1.0 / (g->rate_per_s * g->gamma_shape);
    }
    g->in_tokens = (int32_t)sp.num[KEY_IN];
    g->out_tokens = (int32_t)sp.num[KEY_OUT];
    g->peak_to_trough = sp.num[KEY_P2T];
    g->peak_hour = sp.num[KEY_PEAK];
    g->start_hour = sp.num[KEY_START];
    if (g->kind == K_DIURNAL) {
        if (n_regions < 1 || n_regions > 100000) {
            rc = torta_err_set(e, TORTA_EINPUT,
                               "workload spec '%s': diurnal needs at least one region (got %d)",
                               spec_s, n_regions);
            goto done;
        }
        g->n_regions = n_regions;
        g->base_per_s = calloc((size_t)n_regions, sizeof(double));
        g->tz_h = calloc((size_t)n_regions, sizeof(double));
        if (!g->base_per_s || !g->tz_h) {
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
            goto done;
        }
        double sum = 0;
        if (sp.weights) {
            if ((rc = parse_weights(spec_s, sp.weights, n_regions, g->base_per_s, e)))
                goto done;
        } else {
            for (int i = 0; i < n_regions; i++)
                g->base_per_s[i] = 1.0;
        }
        for (int i = 0; i < n_regions; i++)
            sum += g->base_per_s[i];
        for (int i = 0; i < n_regions; i++) {
            g->base_per_s[i] *= g->rate_per_s / sum;
            g->tz_h[i] = tz_offsets_h ? tz_offsets_h[i] : 0.0;
            if (!isfinite(g->tz_h[i])) {
                rc = torta_err_set(e, TORTA_EINPUT, "region %d: time-zone offset is not finite", i);
                goto done;
            }
        }
        g->cos_phi = calloc((size_t)n_regions, sizeof(double));
        g->sin_phi = calloc((size_t)n_regions, sizeof(double));
        g->trig_cos = calloc(TRIG_N, sizeof(double));
        g->trig_sin = calloc(TRIG_N, sizeof(double));
        if (!g->cos_phi || !g->sin_phi || !g->trig_cos || !g->trig_sin) {
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
            goto done;
        }
        g->amp = (g->peak_to_trough - 1.0) / (g->peak_to_trough + 1.0);
        for (int i = 0; i < n_regions; i++) {
            g->cos_phi[i] = cos(2.0 * PI * g->tz_h[i] / 24.0);
            g->sin_phi[i] = sin(2.0 * PI * g->tz_h[i] / 24.0);
            g->rate_sum_per_s += g->base_per_s[i];
            g->base_cos_per_s += g->base_per_s[i] * g->cos_phi[i];
            g->base_sin_per_s += g->base_per_s[i] * g->sin_phi[i];
        }
        for (int k = 0; k < TRIG_N; k++) {
            g->trig_cos[k] = cos(2.0 * PI * k / TRIG_N);
            g->trig_sin[k] = sin(2.0 * PI * k / TRIG_N);
        }
        /* Every curve is at most its peak, so the sum of peaks bounds the total rate. */
        g->lam_max_per_s = g->rate_per_s * wl_cosine_curve(g->peak_hour, g->peak_to_trough,
                                                           g->peak_hour);
        g->gap_mean_s = 1.0 / g->lam_max_per_s;
        g->hour_shift = g->start_hour - g->peak_hour;
    }
    if (sp.lengths && (rc = wl_lengths_load(sp.lengths, &g->tab, &warn, e))) {
        if (e) { /* the inner message already names file:line: field */
            char inner[sizeof e->msg];
            memcpy(inner, e->msg, sizeof inner);
            torta_err_set(e, rc, "workload spec: lengths: %.900s", inner);
        }
        goto done;
    }
    g->arrivals = torta_rng_stream(seed, "arrivals");
    g->lengths = torta_rng_stream(seed, "lengths");
    if (!g->arrivals || !g->lengths) {
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        goto done;
    }
    wl_gen wg = {g, gen_next, gen_free, g->duration_s, g->rate_per_s * g->duration_s};
    char *desc = describe(&sp, g);
    if (!desc) {
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        goto done;
    }
    *out = wl_source_new_gen(wg, desc, &warn, e);
    if (!*out) {
        free(desc);
        rc = TORTA_ENOMEM;
        goto done;
    }
    g = NULL; /* owned by the source now */
done:
    gen_free(g);
    free(text);
    return rc;
}
