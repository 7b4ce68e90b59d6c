/* Mooncake JSONL reader: one object per line with timestamp (ms), input_length, output_length
 * and hash_ids (prefix-block ids, 512 tokens each). Each line is parsed with cJSON and freed
 * before the next, so memory stays bounded by the longest line; the block ids go into one
 * reusable buffer that the row points into (valid until the next row). */
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
    uint64_t *ids; /* the current row's hash_ids */
    int32_t ids_cap;
} mooncake;

/* A block id: a whole number in [0, 9e15] (exact in a double, as JSON numbers are read). */
static int block_id(const cJSON *v, uint64_t *out)
{
    double x = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (!isfinite(x) || x != floor(x) || x < 0 || x > 9e15)
        return -1;
    *out = (uint64_t)x;
    return 0;
}

/* Reads the hash_ids list into m->ids. */
static int read_ids(mooncake *m, const cJSON *h, int32_t line, torta_req_in *req, torta_err *e)
{
    int n = cJSON_GetArraySize(h);
    if (n > m->ids_cap) {
        int32_t cap = m->ids_cap ? m->ids_cap : 64;
        while (cap < n)
            cap *= 2;
        uint64_t *p = realloc(m->ids, sizeof *p * (size_t)cap);
        if (!p)
            return torta_err_set(e, TORTA_ENOMEM, "%s:%d: out of memory (%d hash_ids)", m->path,
                                 (int)line, n);
        m->ids = p;
        m->ids_cap = cap;
    }
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, h)
    {
        if (block_id(it, &m->ids[k]))
            return torta_err_set(e, TORTA_EINPUT, "%s:%d: hash_ids[%d]: not a block id", m->path,
                                 (int)line, k);
        k++;
    }
    if (n > 0) {
        /* A well-mixed 64-bit key of the first block; 0 is reserved for "no prefix". */
        uint64_t hv = torta_mix64(m->ids[0]);
        req->prefix_hash = hv ? hv : 1;
        req->prefix_ids = m->ids;
    }
    req->n_prefix_blocks = n;
    return 0;
}

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
        rc = read_ids(m, h, line, &row->req, e);
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
    if (m) {
        free(m->pending);
        free(m->ids);
    }
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
