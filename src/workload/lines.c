/* CSV rows of trace files (over the shared reader, base/csv.h) and strict number/token parsing. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload/wl_internal.h"
#include "base/input_file.h"

int wl_split_header(const char *path, char *header, char **fields, int *n_cols, torta_err *e)
{
    const char *why;
    int n = torta_csv_split(header, fields, WL_MAX_FIELDS, &why);
    if (n < 0)
        return torta_err_set(e, TORTA_EINPUT, "%s:1: column %d: %s", path, -n, why);
    if (n > WL_MAX_FIELDS)
        return torta_err_set(e, TORTA_EINPUT, "%s:1: header has %d columns (at most %d)", path, n,
                             WL_MAX_FIELDS);
    *n_cols = n;
    return 0;
}

int wl_next_row(torta_lines *L, int n_cols, char **fields, torta_err *e)
{
    char *line;
    size_t len;
    int rc = torta_lines_next_data(L, &line, &len, e);
    if (rc <= 0)
        return rc;
    const char *why;
    int n = torta_csv_split(line, fields, WL_MAX_FIELDS, &why);
    if (n < 0)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: field %d: %s", L->path, (int)L->line, -n, why);
    if (n != n_cols)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: expected %d fields as in the header, got %d",
                             L->path, (int)L->line, n_cols, n);
    return 1;
}

void wl_copy_text(char *dst, size_t cap, const char *src, const char *suffix)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    size_t k = strlen(suffix);
    if (n + k < cap) {
        memcpy(dst + n, suffix, k);
        n += k;
    }
    dst[n] = '\0';
}

int wl_parse_double(const char *path, int32_t line, const char *field, const char *text,
                    double *out, torta_err *e)
{
    if (!*text)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: empty value", path, (int)line, field);
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: not a number: '%.40s'", path,
                             (int)line, field, text);
    if (!isfinite(v))
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: not a finite number: '%.40s'", path,
                             (int)line, field, text);
    *out = v;
    return 0;
}

int wl_tokens_num(const char *path, int32_t line, const char *field, double v, int is_output,
                  wl_warn *w, int32_t *out, torta_err *e)
{
    if (!isfinite(v))
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: not a finite number", path, (int)line,
                             field);
    if (v != floor(v))
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: not a whole number of tokens: %g", path,
                             (int)line, field, v);
    if (v < 0)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: negative token count %.0f", path,
                             (int)line, field, v);
    if (v > (double)WL_MAX_TOKENS)
        return torta_err_set(e, TORTA_EINPUT,
                             "%s:%d: %s: absurd token count %.0f (limit 10,000,000)", path,
                             (int)line, field, v);
    if (v == 0) {
        if (!is_output)
            return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: zero input tokens", path,
                                 (int)line, field);
        if (w) {
            if (w->count == 0)
                snprintf(w->first, sizeof w->first,
                         "%s:%d: %s: 0 output tokens raised to 1 (the model needs >= 1)", path,
                         (int)line, field);
            w->count++;
        }
        v = 1;
    }
    *out = (int32_t)v;
    return 0;
}

int wl_tokens_text(const char *path, int32_t line, const char *field, const char *text,
                   int is_output, wl_warn *w, int32_t *out, torta_err *e)
{
    /* Fast path for what traces hold, up to 9 plain digits (strtod gives the same value);
     * anything else, including every error, takes the strict path. */
    int32_t n = 0;
    int digits = 0;
    while (digits < 9 && text[digits] >= '0' && text[digits] <= '9')
        n = n * 10 + (text[digits++] - '0');
    if (digits > 0 && text[digits] == '\0' && n > 0 && n <= WL_MAX_TOKENS) {
        *out = n;
        return 0;
    }
    double v;
    int rc = wl_parse_double(path, line, field, text, &v, e);
    if (rc)
        return rc;
    return wl_tokens_num(path, line, field, v, is_output, w, out, e);
}
