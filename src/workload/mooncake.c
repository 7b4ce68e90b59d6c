/* Mooncake JSONL reader: one object per line with timestamp (ms), input_length, output_length
 * and hash_ids (prefix-block ids, 512 tokens each). Each line is parsed with cJSON and freed
 * before the next, so memory stays bounded by the longest line. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "torta/rng.h"
#include "workload/wl_internal.h"

typedef struct mooncake {
    const char *path;
    char *pending; /* the first line, read during format detection */
    int32_t pending_line;
    int have_first;
    double first_ms;
} mooncake;

static int get_num(const cJSON *o, const char *key, const char *path, int32_t line, double *out,
                   torta_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: missing field", path, (int)line, key);
    if (!cJSON_IsNumber(v))
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: not a number", path, (int)line, key);
    if (!isfinite(v->valuedouble))
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: not a finite number", path, (int)line,
                             key);
    *out = v->valuedouble;
    return 0;
}

static int parse_line(mooncake *m, const char *text, size_t len, int32_t line, wl_warn *w,
                      wl_row *row, torta_err *e)
{
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!o)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d:%d: JSON syntax error near '%.20s'", m->path,
                             (int)line, end ? (int)(end - text) + 1 : 1, end ? end : "");
    /* Only whitespace may follow the object. */
    for (const char *p = end; p && p < text + len; p++)
        if (*p != ' ' && *p != '\t') {
            cJSON_Delete(o);
            return torta_err_set(e, TORTA_EINPUT, "%s:%d:%d: text after the JSON object",
                                 m->path, (int)line, (int)(p - text) + 1);
        }
    int rc = 0;
    double ts_ms, in, out;
    if (!cJSON_IsObject(o)) {
        rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: expected a JSON object", m->path, (int)line);
        goto done;
    }
    if ((rc = get_num(o, "timestamp", m->path, line, &ts_ms, e)) ||
        (rc = get_num(o, "input_length", m->path, line, &in, e)) ||
        (rc = get_num(o, "output_length", m->path, line, &out, e)))
        goto done;
    memset(row, 0, sizeof *row);
    row->req.src_line = line;
    row->req.origin = -1;
    row->req.model = -1;
    if ((rc = wl_tokens_num(m->path, line, "input_length", in, 0, w, &row->req.input_tokens, e)) ||
        (rc = wl_tokens_num(m->path, line, "output_length", out, 1, w, &row->req.output_tokens,
                            e)))
        goto done;
    if (!m->have_first) {
        m->have_first = 1;
        m->first_ms = ts_ms;
    }
    row->req.arrival_s = (ts_ms - m->first_ms) / 1000.0;
    snprintf(row->time_text, sizeof row->time_text, "%.17g ms", ts_ms);
    row->time_field = "timestamp";
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "hash_ids");
    if (h && !cJSON_IsNull(h)) {
        if (!cJSON_IsArray(h)) {
            rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: hash_ids: not a list", m->path, (int)line);
            goto done;
        }
        int n = cJSON_GetArraySize(h);
        const cJSON *first = cJSON_GetArrayItem(h, 0);
        if (first) {
            double v = first->valuedouble;
            if (!cJSON_IsNumber(first) || !isfinite(v) || v != floor(v) || v < 0 || v > 9e15) {
                rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: hash_ids[0]: not a block id",
                                   m->path, (int)line);
                goto done;
            }
            /* A well-mixed 64-bit key; 0 is reserved for "no prefix". */
            uint64_t hv = torta_mix64((uint64_t)v);
            row->req.prefix_hash = hv ? hv : 1;
        }
        row->req.n_prefix_blocks = n;
    }
done:
    cJSON_Delete(o);
    return rc ? rc : 1;
}

static int mooncake_next(void *impl, torta_lines *L, wl_warn *w, wl_row *row, torta_err *e)
{
    mooncake *m = impl;
    if (m->pending) {
        int rc = parse_line(m, m->pending, strlen(m->pending), m->pending_line, w, row, e);
        free(m->pending);
        m->pending = NULL;
        return rc;
    }
    char *line;
    size_t len;
    int rc = torta_lines_next_data(L, &line, &len, e);
    if (rc <= 0)
        return rc;
    return parse_line(m, line, len, L->line, w, row, e);
}

static void mooncake_free(void *impl)
{
    mooncake *m = impl;
    if (m)
        free(m->pending);
    free(m);
}

int wl_mooncake_open(const char *path, const char *first_line, int32_t first_line_no,
                     wl_reader *r, torta_err *e)
{
    mooncake *m = calloc(1, sizeof *m);
    size_t n = strlen(first_line);
    if (m)
        m->pending = malloc(n + 1);
    if (!m || !m->pending) {
        free(m);
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
    }
    memcpy(m->pending, first_line, n + 1);
    m->pending_line = first_line_no;
    m->path = path;
    r->impl = m;
    r->next = mooncake_next;
    r->free = mooncake_free;
    return 0;
}
