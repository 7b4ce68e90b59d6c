/* Azure LLM inference trace 2023 reader: CSV TIMESTAMP,ContextTokens,GeneratedTokens, with
 * wall-clock timestamps "YYYY-MM-DD HH:MM:SS.fffffff" turned into seconds since the first row.
 * Times are kept as integer 100 ns ticks so differences are exact before the final division. */
#include <stdlib.h>
#include <string.h>

#include "workload/wl_internal.h"

typedef struct azure {
    const char *path;
    int n_cols;
    int i_ts, i_in, i_out;
    int have_first;
    int64_t first_ticks;
} azure;

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly n digits at *p. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* Parses "YYYY-MM-DD HH:MM:SS[.f{1,9}][Z|+HH:MM|-HH:MM]" ('T' also accepted as separator)
 * into 100 ns ticks since 1970 UTC. Digits past the 7th (below 100 ns) are truncated. A zone
 * suffix (as in the Azure 2024 traces) is applied; without one the time is taken as written. */
static int parse_ts(const char *s, int64_t *ticks, const char **why)
{
    const char *p = s;
    int y, mo, d, h, mi, se;
    *why = "expected YYYY-MM-DD HH:MM:SS.fffffff";
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != ' ' && *p != 'T'))
        return -1;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &se))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59) {
        *why = "date or time out of range";
        return -1;
    }
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 7)
                frac = frac * 10 + (*p - '0');
            nd++;
            p++;
        }
        if (nd == 0 || nd > 9) {
            *why = "expected 1 to 9 fractional digits";
            return -1;
        }
        for (; nd < 7; nd++)
            frac *= 10;
    }
    int64_t off_min = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59) {
            *why = "bad time-zone offset (expected +HH:MM)";
            return -1;
        }
        off_min = sign * (oh * 60 + om);
    }
    if (*p) {
        *why = "unexpected text after the time";
        return -1;
    }
    int64_t sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off_min * 60;
    *ticks = sec * 10000000 + frac;
    return 0;
}

static int azure_next(void *impl, torta_lines *L, wl_warn *w, wl_row *row, torta_err *e)
{
    azure *a = impl;
    char *f[WL_MAX_FIELDS];
    int rc = wl_next_row(L, a->n_cols, f, e);
    if (rc <= 0)
        return rc;
    int64_t ticks;
    const char *why;
    if (parse_ts(f[a->i_ts], &ticks, &why))
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: TIMESTAMP: bad time '%.40s' (%s)", a->path,
                             (int)L->line, f[a->i_ts], why);
    if (!a->have_first) {
        a->have_first = 1;
        a->first_ticks = ticks;
    }
    memset(row, 0, sizeof *row);
    row->req.src_line = L->line;
    row->req.origin = -1;
    row->req.model = -1;
    /* Integer difference first: exact to 100 ns; one rounding in the division. */
    row->req.arrival_s = (double)(ticks - a->first_ticks) / 1e7;
    wl_copy_text(row->time_text, sizeof row->time_text, f[a->i_ts], "");
    row->time_field = "TIMESTAMP";
    if ((rc = wl_tokens_text(a->path, L->line, "ContextTokens", f[a->i_in], 0, w,
                             &row->req.input_tokens, e)) ||
        (rc = wl_tokens_text(a->path, L->line, "GeneratedTokens", f[a->i_out], 1, w,
                             &row->req.output_tokens, e)))
        return rc;
    return 1;
}

static void azure_free(void *impl) { free(impl); }

int wl_azure_open(const char *path, char *header, wl_reader *r, torta_err *e)
{
    char *f[WL_MAX_FIELDS];
    int n, rc = wl_split_header(path, header, f, &n, e);
    if (rc)
        return rc;
    static const char *const need[3] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
    int idx[3] = {-1, -1, -1};
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            if (strcmp(f[i], need[k]) == 0) {
                if (idx[k] >= 0)
                    return torta_err_set(e, TORTA_EINPUT, "%s:1: column '%s' appears twice", path,
                                         need[k]);
                idx[k] = i;
            }
    for (int k = 0; k < 3; k++)
        if (idx[k] < 0)
            return torta_err_set(e, TORTA_EINPUT,
                                 "%s:1: %s: missing column (Azure header is "
                                 "TIMESTAMP,ContextTokens,GeneratedTokens)",
                                 path, need[k]);
    azure *a = calloc(1, sizeof *a);
    if (!a)
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
    a->path = path;
    a->n_cols = n;
    a->i_ts = idx[0];
    a->i_in = idx[1];
    a->i_out = idx[2];
    r->impl = a;
    r->next = azure_next;
    r->free = azure_free;
    return 0;
}
