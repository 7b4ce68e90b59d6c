/* Streaming line reader, CSV field splitting and strict number/token parsing for trace files. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workload/wl_internal.h"
#include "core/input_file.h"

int wl_lines_open(wl_lines *L, const char *path, torta_err *e)
{
    memset(L, 0, sizeof *L);
    L->path = path;
    int rc = torta_input_file_check(path, "", 1, e); /* traces may stream from a pipe */
    if (rc)
        return rc;
    L->f = fopen(path, "rb");
    if (!L->f)
        return torta_err_set(e, TORTA_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    L->cap = 4096;
    L->buf = malloc(L->cap);
    if (!L->buf) {
        fclose(L->f);
        L->f = NULL;
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
    }
    return 0;
}

void wl_lines_close(wl_lines *L)
{
    if (L->f)
        fclose(L->f);
    free(L->buf);
    memset(L, 0, sizeof *L);
}

int wl_lines_next(wl_lines *L, char **text, size_t *len, torta_err *e)
{
    size_t n = 0;
    int got = 0;
    for (;;) {
        if (!fgets(L->buf + n, (int)(L->cap - n), L->f))
            break;
        got = 1;
        n += strlen(L->buf + n);
        if (n > 0 && L->buf[n - 1] == '\n')
            break;
        if (n + 1 < L->cap)
            continue; /* short read without newline: end of file follows */
        if (L->cap > ((size_t)1 << 30))
            return torta_err_set(e, TORTA_EINPUT, "%s:%d: line longer than 1 GiB", L->path,
                                 (int)L->line + 1);
        char *nb = realloc(L->buf, L->cap * 2);
        if (!nb)
            return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", L->path);
        L->buf = nb;
        L->cap *= 2;
    }
    if (ferror(L->f))
        return torta_err_set(e, TORTA_EIO, "%s:%d: read error", L->path, (int)L->line + 1);
    if (!got)
        return 0;
    L->line++;
    if (n > 0 && L->buf[n - 1] == '\n')
        L->buf[--n] = '\0';
    if (n > 0 && L->buf[n - 1] == '\r')
        L->buf[--n] = '\0';
    char *s = L->buf;
    if (L->line == 1 && n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
        (unsigned char)s[2] == 0xBF) {
        s += 3;
        n -= 3;
    }
    *text = s;
    *len = n;
    return 1;
}

int wl_is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r')
            return 0;
    return 1;
}

int wl_lines_next_data(wl_lines *L, char **text, size_t *len, torta_err *e)
{
    int32_t first_blank = 0;
    for (;;) {
        int rc = wl_lines_next(L, text, len, e);
        if (rc <= 0)
            return rc;
        if (wl_is_blank(*text)) {
            if (!first_blank)
                first_blank = L->line;
            continue;
        }
        if (first_blank)
            return torta_err_set(e, TORTA_EINPUT,
                                 "%s:%d: blank line inside the data (only trailing blank lines "
                                 "are allowed)",
                                 L->path, (int)first_blank);
        return 1;
    }
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

int wl_csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        if (n < max)
            fields[n] = trim(p);
        n++;
        if (!c)
            break;
        p = c + 1;
    }
    return n;
}

int wl_next_row(wl_lines *L, int n_cols, char **fields, torta_err *e)
{
    char *line;
    size_t len;
    int rc = wl_lines_next_data(L, &line, &len, e);
    if (rc <= 0)
        return rc;
    int n = wl_csv_split(line, fields, WL_MAX_FIELDS);
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
