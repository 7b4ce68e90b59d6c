/* Grid profiles (catalog.h, torta_perf_grid; docs/profiles.md "The Vidur profile"): a CSV of
 * iteration times, read once when a run selects the profile, and the lookups the server makes. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "torta/catalog.h"

enum { PART_DECODE, PART_LINEAR, PART_ATTENTION, N_PARTS };
static const char *const part_names[N_PARTS] = {"decode", "prefill_linear", "prefill_attention"};

void torta_perf_grid_free(torta_perf_grid *g)
{
    if (!g)
        return;
    free(g->decode);
    free(g->linear);
    free(g->attention);
    free(g);
}

/* Grows a part's array to hold index i. */
static int reserve(double **a, int *cap, int i)
{
    if (i < *cap)
        return 0;
    int n = *cap ? *cap : 256;
    while (n <= i)
        n *= 2;
    double *p = realloc(*a, (size_t)n * sizeof *p);
    if (!p)
        return -1;
    *a = p;
    *cap = n;
    return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* One data row: its part, batch, tokens and time (ms), appended in the order the grid needs. */
static int grid_row(torta_perf_grid *g, int caps[N_PARTS], char **f, const char *path, int line,
                    torta_err *e)
{
    int part = -1;
    for (int k = 0; k < N_PARTS; k++)
        if (strcmp(f[0], part_names[k]) == 0)
            part = k;
    if (part < 0)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: part: \"%s\" is not decode, prefill_linear or "
                             "prefill_attention", path, line, f[0]);
    long b, tok;
    if (parse_long(f[1], 1, 1000000, &b))
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: batch: expected an integer in [1, 1000000], got "
                             "\"%s\"", path, line, f[1]);
    if (parse_long(f[2], 1, 1L << 24, &tok))
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: tokens: expected an integer in [1, 16777216], "
                             "got \"%s\"", path, line, f[2]);
    char *end;
    double ms = strtod(f[3], &end);
    if (end == f[3] || *end || !isfinite(ms) || ms < 0 || ms > 1e9)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: time_ms: expected a number in [0, 1e9], got "
                             "\"%s\"", path, line, f[3]);
    /* Rows come in order: decode by batch, then context k * granularity, k = 1, 2, ...; the
     * prefill parts by tokens, j * token_round and 1, 2, ... */
    double **arr = part == PART_DECODE ? &g->decode : part == PART_LINEAR ? &g->linear : &g->attention;
    int idx;
    long want_tok;
    if (part == PART_DECODE) {
        /* Batch 1's rows fix the contexts; every later batch lists the same ones. */
        idx = g->decode_rows++;
        if (b == 1 && idx == g->n_ctx)
            g->n_ctx++;
        long want_b = g->n_ctx ? idx / g->n_ctx + 1 : 1;
        if (b != want_b)
            return torta_err_set(e, TORTA_EINPUT, "%s:%d: batch: decode rows list batch 1, 2, ... in "
                                 "order, each with batch 1's contexts; expected %ld, got %ld", path,
                                 line, want_b, b);
        g->max_b = (int)b;
        want_tok = (long)(idx % g->n_ctx + 1) * g->granularity;
    } else if (part == PART_LINEAR) {
        want_tok = (long)(g->n_linear + 1) * g->token_round;
        idx = g->n_linear++;
    } else {
        want_tok = g->n_attention + 1;
        idx = g->n_attention++;
    }
    if (part != PART_DECODE && b != 1)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: batch: %s rows have batch 1, got %ld", path, line,
                             part_names[part], b);
    if (tok != want_tok)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: tokens: expected %ld (%s rows step by %d from the "
                             "first), got %ld", path, line, want_tok, part_names[part],
                             part == PART_DECODE ? g->granularity : part == PART_LINEAR ? g->token_round : 1,
                             tok);
    if (reserve(arr, &caps[part], idx))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory reading %s", path);
    (*arr)[idx] = ms * 1e-3;
    return 0;
}

int torta_perf_grid_load(const char *path, int granularity, int token_round, double batch_overhead,
                         torta_perf_grid **out, torta_err *e)
{
    *out = NULL;
    torta_perf_grid *g = calloc(1, sizeof *g);
    if (!g)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory reading %s", path);
    g->granularity = granularity;
    g->token_round = token_round;
    g->batch_overhead = batch_overhead;
    int caps[N_PARTS] = {0, 0, 0};
    torta_lines L;
    int rc = torta_lines_open(&L, path, e);
    if (rc) {
        torta_perf_grid_free(g);
        return rc;
    }
    char *text, *f[5];
    size_t len;
    const char *why;
    rc = torta_lines_next_data(&L, &text, &len, e);
    if (rc == 0)
        rc = torta_err_set(e, TORTA_EINPUT, "%s: empty file (expected the header part,batch,tokens,time_ms)",
                           path);
    else if (rc == 1 && (torta_csv_split(text, f, 5, &why) != 4 || strcmp(f[0], "part") ||
                         strcmp(f[1], "batch") || strcmp(f[2], "tokens") || strcmp(f[3], "time_ms")))
        rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: expected the header part,batch,tokens,time_ms", path,
                           L.line);
    else if (rc == 1)
        rc = 0;
    while (!rc && (rc = torta_lines_next_data(&L, &text, &len, e)) == 1) {
        int n = torta_csv_split(text, f, 5, &why);
        rc = n != 4 ? torta_err_set(e, TORTA_EINPUT, "%s:%d: expected 4 fields (part,batch,tokens,time_ms), "
                                    "got %d", path, L.line, n)
                    : grid_row(g, caps, f, path, L.line, e);
    }
    int line = L.line;
    torta_lines_close(&L);
    if (!rc && g->decode_rows != g->max_b * g->n_ctx)
        rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: batch %d has %d contexts, batch 1 has %d", path, line,
                           g->max_b, g->decode_rows - (g->max_b - 1) * g->n_ctx, g->n_ctx);
    for (int k = 0; k < N_PARTS && !rc; k++) {
        int n = k == PART_DECODE ? g->n_ctx : k == PART_LINEAR ? g->n_linear : g->n_attention;
        if (n < 2)
            rc = torta_err_set(e, TORTA_EINPUT, "%s: %s: %d rows, at least 2 needed", path, part_names[k],
                               n);
    }
    if (!rc && g->max_b < 2)
        rc = torta_err_set(e, TORTA_EINPUT, "%s: decode: %d batch sizes, at least 2 needed", path, g->max_b);
    if (rc) {
        torta_perf_grid_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

/* y[n-1] extended along the last step beyond the table (never below 0); x is 1-based. */
static double lookup(const double *y, int stride, int n, long x)
{
    if (x <= n)
        return y[(size_t)(x - 1) * stride];
    double last = y[(size_t)(n - 1) * stride], prev = y[(size_t)(n - 2) * stride];
    double v = last + (double)(x - n) * (last - prev);
    return v > 0 ? v : 0;
}

double torta_perf_grid_prefill_s(const torta_perf_grid *g, double P, double Q)
{
    long j = (long)ceil(P / g->token_round), s = lround(sqrt(Q));
    double t = lookup(g->linear, 1, g->n_linear, j < 1 ? 1 : j);
    if (s >= 1) /* several prompts (Q < P^2, which one prompt cannot give) cost a bit more */
        t += lookup(g->attention, 1, g->n_attention, s) * (Q < P * P ? 1.0 + g->batch_overhead : 1.0);
    return t;
}

double torta_perf_grid_decode_s(const torta_perf_grid *g, int64_t B, int64_t C, int64_t *c_next)
{
    int64_t mean = C / B, k = (mean + g->granularity - 1) / g->granularity;
    if (k < 1)
        k = 1;
    /* The time changes once the mean context passes k * granularity. */
    *c_next = (k * g->granularity + 1) * B;
    if (B <= g->max_b)
        return lookup(g->decode + (size_t)(B - 1) * g->n_ctx, 1, g->n_ctx, (long)k);
    double last = lookup(g->decode + (size_t)(g->max_b - 1) * g->n_ctx, 1, g->n_ctx, (long)k);
    double prev = lookup(g->decode + (size_t)(g->max_b - 2) * g->n_ctx, 1, g->n_ctx, (long)k);
    double v = last + (double)(B - g->max_b) * (last - prev);
    return v > 0 ? v : 0;
}
