/* RFC 4180 reading (csv.h). Hot path: a trace row without quotes costs one memchr for the
 * quote test and one strchr per field, as the comma-only splitter it replaced. */
#include "base/csv.h"
#include "base/input_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int torta_lines_open(torta_lines *L, const char *path, torta_err *e)
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

void torta_lines_close(torta_lines *L)
{
    if (L->f)
        fclose(L->f);
    free(L->buf);
    memset(L, 0, sizeof *L);
}

/* Appends the next physical line at buf + *n, without its "\n" or "\r\n". 1, 0 at end of file,
 * or a negative error. */
static int read_line_at(torta_lines *L, size_t *n, torta_err *e)
{
    size_t start = *n, k = start;
    int got = 0;
    for (;;) {
        if (k + 1 >= L->cap) {
            if (L->cap > ((size_t)1 << 30))
                return torta_err_set(e, TORTA_EINPUT, "%s:%d: line longer than 1 GiB", L->path,
                                     (int)L->line + 1);
            char *nb = realloc(L->buf, L->cap * 2);
            if (!nb)
                return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", L->path);
            L->buf = nb;
            L->cap *= 2;
        }
        if (!fgets(L->buf + k, (int)(L->cap - k), L->f))
            break;
        got = 1;
        k += strlen(L->buf + k);
        if (k > start && L->buf[k - 1] == '\n')
            break;
        if (k + 1 < L->cap)
            break; /* short read without newline: end of file follows */
    }
    if (ferror(L->f))
        return torta_err_set(e, TORTA_EIO, "%s:%d: read error", L->path, (int)L->line + 1);
    if (!got)
        return 0;
    L->line++;
    if (k > start && L->buf[k - 1] == '\n')
        L->buf[--k] = '\0';
    if (k > start && L->buf[k - 1] == '\r')
        L->buf[--k] = '\0';
    *n = k;
    return 1;
}

/* Whether a quoted field is still open after s[0..n) (an odd number of quotes: "" counts 2). */
static int quote_open(const char *s, size_t n, int open)
{
    for (const char *q = memchr(s, '"', n); q; q = memchr(q + 1, '"', n - (size_t)(q + 1 - s)))
        open = !open;
    return open;
}

int torta_lines_next(torta_lines *L, char **text, size_t *len, torta_err *e)
{
    size_t n = 0;
    int rc = read_line_at(L, &n, e);
    if (rc <= 0)
        return rc;
    int32_t first = L->line;
    if (L->csv_records) {
        int open = quote_open(L->buf, n, 0);
        while (open) { /* the record goes on: keep the line break, as RFC 4180 says */
            size_t before = n;
            L->buf[n++] = '\n';
            if ((rc = read_line_at(L, &n, e)) < 0)
                return rc;
            if (rc == 0)
                return torta_err_set(e, TORTA_EINPUT, "%s:%d: quoted field not closed before the "
                                     "end of the file", L->path, (int)first);
            open = quote_open(L->buf + before + 1, n - before - 1, open);
        }
    }
    char *s = L->buf;
    if (first == 1 && n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
        (unsigned char)s[2] == 0xBF) {
        s += 3;
        n -= 3;
    }
    *text = s;
    *len = n;
    return 1;
}

int torta_lines_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r')
            return 0;
    return 1;
}

int torta_lines_next_data(torta_lines *L, char **text, size_t *len, torta_err *e)
{
    int32_t first_blank = 0;
    for (;;) {
        int rc = torta_lines_next(L, text, len, e);
        if (rc <= 0)
            return rc;
        if (torta_lines_blank(*text)) {
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

static int is_blank_char(char c) { return c == ' ' || c == '\t'; }

int torta_csv_split(char *record, char **fields, int max, const char **why)
{
    int n = 0;
    char *p = record;
    for (;;) {
        while (is_blank_char(*p))
            p++;
        char *start, *end;
        if (*p == '"') {
            char *r = ++p, *w = p;
            start = p;
            for (;;) {
                if (*r == '\0') {
                    *why = "quoted field not closed";
                    return -(n + 1);
                }
                if (*r == '"') {
                    if (r[1] != '"')
                        break;
                    r++; /* "" stands for one quote */
                }
                *w++ = *r++;
            }
            r++;
            while (is_blank_char(*r))
                r++;
            if (*r != ',' && *r != '\0') {
                *why = "text after the closing quote (a quote inside a field is written \"\")";
                return -(n + 1);
            }
            end = w;
            p = r;
        } else {
            start = p;
            char *c = strchr(p, ',');
            p = c ? c : p + strlen(p);
            end = p;
            while (end > start && is_blank_char(end[-1]))
                end--;
        }
        int more = *p == ',';
        *end = '\0'; /* end <= p: the comma is read before it may be overwritten */
        if (n < max)
            fields[n] = start;
        n++;
        if (!more)
            return n;
        p++;
    }
}

int torta_csv_max_fields(const char *record)
{
    int n = 1;
    for (const char *c = strchr(record, ','); c; c = strchr(c + 1, ','))
        n++;
    return n;
}
