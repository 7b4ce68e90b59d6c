/* Native CSV reader: header arrival_s,input_tokens,output_tokens[,origin_region][,model] in any
 * column order; arrival_s is taken as written (seconds, >= 0). Unknown columns are errors. */
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"
#include "workload/wl_internal.h"

enum { C_ARR, C_IN, C_OUT, C_ORIGIN, C_MODEL, C_N };
static const char *const COLS[C_N + 1] = {"arrival_s", "input_tokens", "output_tokens",
                                          "origin_region", "model", NULL};

typedef struct native {
    const char *path;
    int n_cols;
    int idx[C_N];
} native;

static int native_next(void *impl, torta_lines *L, wl_warn *w, wl_row *row, torta_err *e)
{
    native *a = impl;
    char *f[WL_MAX_FIELDS];
    int rc = wl_next_row(L, a->n_cols, f, e);
    if (rc <= 0)
        return rc;
    memset(row, 0, sizeof *row);
    row->req.src_line = L->line;
    row->req.origin = -1;
    row->req.model = -1;
    const char *t = f[a->idx[C_ARR]];
    if ((rc = wl_parse_double(a->path, L->line, "arrival_s", t, &row->req.arrival_s, e)))
        return rc;
    if (row->req.arrival_s < 0)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: arrival_s: negative time %s", a->path,
                             (int)L->line, t);
    wl_copy_text(row->time_text, sizeof row->time_text, t, " s");
    row->time_field = "arrival_s";
    if ((rc = wl_tokens_text(a->path, L->line, "input_tokens", f[a->idx[C_IN]], 0, w,
                             &row->req.input_tokens, e)) ||
        (rc = wl_tokens_text(a->path, L->line, "output_tokens", f[a->idx[C_OUT]], 1, w,
                             &row->req.output_tokens, e)))
        return rc;
    /* Names point into the line buffer: valid until the next call. Empty = to be assigned. */
    if (a->idx[C_ORIGIN] >= 0 && *f[a->idx[C_ORIGIN]])
        row->req.origin_name = f[a->idx[C_ORIGIN]];
    if (a->idx[C_MODEL] >= 0 && *f[a->idx[C_MODEL]])
        row->req.model_name = f[a->idx[C_MODEL]];
    return 1;
}

static void native_free(void *impl) { free(impl); }

int wl_native_open(const char *path, char *header, wl_reader *r, torta_err *e)
{
    char *f[WL_MAX_FIELDS];
    int n, rc = wl_split_header(path, header, f, &n, e);
    if (rc)
        return rc;
    int idx[C_N];
    for (int k = 0; k < C_N; k++)
        idx[k] = -1;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < C_N && strcmp(f[i], COLS[k]) != 0)
            k++;
        if (k == C_N) {
            const char *s = torta_did_you_mean(f[i], COLS);
            return torta_err_set(e, TORTA_EINPUT,
                                 "%s:1: unknown column '%s'%s%s%s (native columns: arrival_s, "
                                 "input_tokens, output_tokens, origin_region, model)",
                                 path, f[i], s ? " (did you mean '" : "", s ? s : "",
                                 s ? "'?)" : "");
        }
        if (idx[k] >= 0)
            return torta_err_set(e, TORTA_EINPUT, "%s:1: column '%s' appears twice", path, COLS[k]);
        idx[k] = i;
    }
    for (int k = 0; k <= C_OUT; k++)
        if (idx[k] < 0)
            return torta_err_set(e, TORTA_EINPUT, "%s:1: %s: missing column (native header needs "
                                 "arrival_s,input_tokens,output_tokens)",
                                 path, COLS[k]);
    native *a = calloc(1, sizeof *a);
    if (!a)
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
    a->path = path;
    a->n_cols = n;
    memcpy(a->idx, idx, sizeof idx);
    r->impl = a;
    r->next = native_next;
    r->free = native_free;
    return 0;
}
