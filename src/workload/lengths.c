/* Length tables for synthetic workloads: (input, output) token pairs loaded from a ShareGPT
 * length CSV (num_prefill_tokens,num_decode_tokens,...) or from any supported trace. Held in
 * memory: the size is bounded by the length file, not by the workload being generated. */
#include <stdlib.h>
#include <string.h>

#include "workload/wl_internal.h"

static int push(wl_lengths *t, size_t *cap, int32_t in, int32_t out, const char *path,
                torta_err *e)
{
    if (t->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        int32_t *a = realloc(t->in_tokens, nc * sizeof *a);
        if (!a)
            return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
        t->in_tokens = a;
        int32_t *b = realloc(t->out_tokens, nc * sizeof *b);
        if (!b)
            return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
        t->out_tokens = b;
        *cap = nc;
    }
    t->in_tokens[t->n] = in;
    t->out_tokens[t->n] = out;
    t->n++;
    return 0;
}

/* ShareGPT-style CSV: only num_prefill_tokens and num_decode_tokens are used; other columns
 * (num_total_tokens, pd_ratio, ...) are ignored. */
static int load_sharegpt(torta_lines *L, char *header, wl_lengths *t, size_t *cap, wl_warn *w,
                         torta_err *e)
{
    char *f[WL_MAX_FIELDS];
    int n_cols, rc = wl_split_header(L->path, header, f, &n_cols, e);
    if (rc)
        return rc;
    int i_in = -1, i_out = -1;
    for (int i = 0; i < n_cols; i++) {
        if (strcmp(f[i], "num_prefill_tokens") == 0)
            i_in = i;
        else if (strcmp(f[i], "num_decode_tokens") == 0)
            i_out = i;
    }
    if (i_in < 0)
        return torta_err_set(e, TORTA_EINPUT, "%s:1: num_prefill_tokens: missing column", L->path);
    if (i_out < 0)
        return torta_err_set(e, TORTA_EINPUT, "%s:1: num_decode_tokens: missing column", L->path);
    while ((rc = wl_next_row(L, n_cols, f, e)) == 1) {
        int32_t in, out;
        if ((rc = wl_tokens_text(L->path, L->line, "num_prefill_tokens", f[i_in], 0, w, &in, e)) ||
            (rc = wl_tokens_text(L->path, L->line, "num_decode_tokens", f[i_out], 1, w, &out, e)) ||
            (rc = push(t, cap, in, out, L->path, e)))
            return rc;
    }
    return rc;
}

int wl_lengths_load(const char *path, wl_lengths *t, wl_warn *w, torta_err *e)
{
    memset(t, 0, sizeof *t);
    size_t cap = 0;
    torta_lines L;
    int rc = torta_lines_open(&L, path, e);
    if (rc)
        return rc;
    char *first;
    size_t len;
    rc = torta_lines_next_data(&L, &first, &len, e);
    if (rc == 0)
        rc = torta_err_set(e, TORTA_EINPUT, "%s: empty file (no header, no rows)", path);
    int sharegpt = rc == 1 && strstr(first, "num_prefill_tokens") != NULL;
    L.csv_records = 1;
    if (rc == 1 && sharegpt)
        rc = load_sharegpt(&L, first, t, &cap, w, e);
    torta_lines_close(&L);
    if (rc == 1 && !sharegpt) {
        /* Any trace: reuse the trace readers, keeping only the lengths. */
        torta_source *s;
        rc = torta_source_open_trace(path, NULL, &s, e);
        if (rc == 0) {
            torta_req_in r;
            while ((rc = torta_source_next(s, &r, e)) == 1)
                if ((rc = push(t, &cap, r.input_tokens, r.output_tokens, path, e)))
                    break;
            const char *msg;
            long nw = torta_source_warnings(s, &msg);
            if (nw && w) {
                if (!w->count)
                    snprintf(w->first, sizeof w->first, "%s", msg);
                w->count += nw;
            }
            torta_source_close(s);
        }
    }
    if (rc == 0 && t->n == 0)
        rc = torta_err_set(e, TORTA_EINPUT, "%s: no rows (the file has only a header)", path);
    if (rc) {
        wl_lengths_free(t);
        return rc;
    }
    return 0;
}

void wl_lengths_free(wl_lengths *t)
{
    free(t->in_tokens);
    free(t->out_tokens);
    memset(t, 0, sizeof *t);
}
