/* Deterministic origin-region assignment for traces that carry none: smooth weighted
 * round-robin over w_i * curve(local hour of region i), so counts track the weights with no
 * sampling noise and regional peaks follow each region's time of day. The seed sets the
 * initial credits and the tie-break order, so another seed gives another (equally fair) order. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "torta/rng.h"
#include "workload/wl_internal.h"

struct torta_origin_assigner {
    int n;
    double *w, *tz_h, *credit, *eff;
    int *rank; /* lower rank wins an exact tie in credit */
    int has_curve;
    double curve24[24];
    double start_hour;
    /* Between two hour boundaries (of any region's local time) every region's curve value is
     * linear in t: curve_i(t) = ca_i + cb_i t on [seg_lo, seg_hi). Caching that keeps each
     * assignment to one multiply-add per region instead of a time-zone conversion. */
    double *ca, *cb, seg_lo, seg_hi;
};

void torta_origin_free(torta_origin_assigner *a)
{
    if (!a)
        return;
    free(a->w);
    free(a->tz_h);
    free(a->credit);
    free(a->eff);
    free(a->rank);
    free(a->ca);
    free(a->cb);
    free(a);
}

int torta_origin_new(int n_regions, const double *weights, const double *tz_offsets_h,
                     const double *curve24, double start_hour, uint64_t seed,
                     torta_origin_assigner **out, torta_err *e)
{
    *out = NULL;
    if (n_regions < 1)
        return torta_err_set(e, TORTA_EINPUT, "origin assignment: need at least one region");
    if (!isfinite(start_hour))
        return torta_err_set(e, TORTA_EINPUT, "origin assignment: start_hour is not finite");
    double sum = 0;
    for (int i = 0; i < n_regions; i++) {
        double w = weights ? weights[i] : 1.0;
        if (!isfinite(w) || w < 0)
            return torta_err_set(e, TORTA_EINPUT,
                                 "origin assignment: region %d: weight %g must be >= 0", i, w);
        sum += w;
        if (tz_offsets_h && !isfinite(tz_offsets_h[i]))
            return torta_err_set(e, TORTA_EINPUT,
                                 "origin assignment: region %d: time-zone offset is not finite", i);
    }
    if (!(sum > 0))
        return torta_err_set(e, TORTA_EINPUT, "origin assignment: all region weights are zero");
    double peak = 1.0;
    if (curve24) {
        double csum = 0;
        peak = 0;
        for (int k = 0; k < 24; k++) {
            if (!isfinite(curve24[k]) || curve24[k] < 0)
                return torta_err_set(e, TORTA_EINPUT,
                                     "origin assignment: diurnal curve hour %d: value %g must be "
                                     ">= 0",
                                     k, curve24[k]);
            csum += curve24[k];
            peak = fmax(peak, curve24[k]);
        }
        if (!(csum > 0))
            return torta_err_set(e, TORTA_EINPUT, "origin assignment: diurnal curve is all zero");
    }
    /* Shares are w_i * curve / sum over regions: an overflowing sum would turn them into 0 or
     * NaN and silently break the assignment. */
    if (!isfinite(sum * peak))
        return torta_err_set(e, TORTA_EINPUT,
                             "origin assignment: region weights x diurnal curve are too large "
                             "(their sum overflows: weights sum to %g, curve peak %g)",
                             sum, peak);
    torta_origin_assigner *a = calloc(1, sizeof *a);
    gsl_rng *rng = torta_rng_stream(seed, "origin");
    size_t nz = (size_t)n_regions;
    if (a) {
        a->w = malloc(nz * sizeof(double));
        a->tz_h = malloc(nz * sizeof(double));
        a->credit = malloc(nz * sizeof(double));
        a->eff = malloc(nz * sizeof(double));
        a->rank = malloc(nz * sizeof(int));
        a->ca = malloc(nz * sizeof(double));
        a->cb = malloc(nz * sizeof(double));
    }
    if (!a || !rng || !a->w || !a->tz_h || !a->credit || !a->eff || !a->rank || !a->ca || !a->cb) {
        torta_origin_free(a);
        if (rng)
            gsl_rng_free(rng);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    a->n = n_regions;
    a->start_hour = start_hour;
    a->has_curve = curve24 != NULL;
    a->seg_lo = a->seg_hi = 0; /* empty: the first call computes the segment */
    if (curve24)
        memcpy(a->curve24, curve24, sizeof a->curve24);
    for (int i = 0; i < n_regions; i++) {
        a->w[i] = weights ? weights[i] : 1.0;
        a->tz_h[i] = tz_offsets_h ? tz_offsets_h[i] : 0.0;
        /* Seed-dependent phase in [0, 1): shifts which region is ahead, so seeds give different
         * (equally fair) sequences. Phases scaled to [0, share) would keep deviations a little
         * smaller but leave most seeds with the same sequence. */
        a->credit[i] = gsl_rng_uniform(rng);
        a->rank[i] = i;
    }
    gsl_ran_shuffle(rng, a->rank, nz, sizeof(int));
    gsl_rng_free(rng);
    *out = a;
    return 0;
}

static void refresh_segment(torta_origin_assigner *a, double t)
{
    a->seg_lo = t;
    a->seg_hi = INFINITY;
    for (int i = 0; i < a->n; i++) {
        double h = wl_local_hour(t, a->start_hour, a->tz_h[i]);
        int k = (int)floor(h);
        double f = h - k, c0 = a->curve24[k % 24], c1 = a->curve24[(k + 1) % 24];
        a->cb[i] = (c1 - c0) / 3600.0;
        a->ca[i] = c0 * (1.0 - f) + c1 * f - a->cb[i] * t;
        a->seg_hi = fmin(a->seg_hi, t + (1.0 - f) * 3600.0);
    }
}

int torta_origin_assign(torta_origin_assigner *a, double arrival_s)
{
    double sum = 0;
    if (a->has_curve && !(arrival_s >= a->seg_lo && arrival_s < a->seg_hi))
        refresh_segment(a, arrival_s);
    for (int i = 0; i < a->n; i++) {
        double c = a->has_curve ? a->ca[i] + a->cb[i] * arrival_s : 1.0;
        c = c > 0 ? c : 0.0;
        a->eff[i] = a->w[i] * c;
        sum += a->eff[i];
    }
    if (!(sum > 0)) { /* every weighted region is at a zero of the curve: fall back to weights */
        sum = 0;
        for (int i = 0; i < a->n; i++)
            sum += (a->eff[i] = a->w[i]);
    }
    /* Credits are in units of requests: each call hands out one request's worth in total. Only
     * regions with demand now may win (a zero weight must never be picked). */
    int best = -1;
    for (int i = 0; i < a->n; i++) {
        a->credit[i] += a->eff[i] / sum;
        if (a->eff[i] <= 0)
            continue;
        if (best < 0 || a->credit[i] > a->credit[best] ||
            (a->credit[i] == a->credit[best] && a->rank[i] < a->rank[best]))
            best = i;
    }
    a->credit[best] -= 1.0;
    return best;
}
