/* The request source object: opens a trace (format detection), or wraps a synthetic generator,
 * and applies what every source shares: arrival order check, rate scaling, duration cut, ids,
 * and the warning count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workload/wl_internal.h"

struct torta_source {
    int is_trace;
    /* trace */
    char *path;
    torta_lines L;
    wl_reader rd;
    torta_trace_fmt fmt;
    int have_pending;
    wl_row pending;
    int have_prev;
    double prev_raw_s;
    int32_t prev_line;
    char prev_text[64];
    /* synthetic */
    wl_gen gen;
    /* shared */
    double rate_scale, duration_s;
    uint64_t next_id;
    int ended;
    int fail_code;
    char fail_msg[sizeof(((torta_err *)0)->msg)];
    wl_warn warn;
    char *describe;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static const char *fmt_name(torta_trace_fmt f)
{
    switch (f) {
    case TORTA_FMT_AZURE: return "azure";
    case TORTA_FMT_MOONCAKE: return "mooncake";
    case TORTA_FMT_NATIVE: return "native";
    default: return "auto";
    }
}

/* Picks the format from the first line: a JSON object is Mooncake, a CSV header naming
 * TIMESTAMP is Azure, one naming arrival_s is native. */
static int detect(const char *path, const char *first, torta_trace_fmt *out, torta_err *e)
{
    if (first[strspn(first, " \t")] == '{') {
        *out = TORTA_FMT_MOONCAKE;
        return 0;
    }
    char *copy = dup_str(first);
    if (!copy)
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
    char *f[WL_MAX_FIELDS];
    const char *why;
    int n = torta_csv_split(copy, f, WL_MAX_FIELDS, &why); /* malformed: the reader says so */
    if (n > WL_MAX_FIELDS)
        n = WL_MAX_FIELDS;
    int azure = 0, native = 0, lengths = 0;
    for (int i = 0; i < n; i++) {
        azure |= strcmp(f[i], "TIMESTAMP") == 0;
        native |= strcmp(f[i], "arrival_s") == 0;
        lengths |= strcmp(f[i], "num_prefill_tokens") == 0;
    }
    free(copy);
    if (azure) {
        *out = TORTA_FMT_AZURE;
        return 0;
    }
    if (native) {
        *out = TORTA_FMT_NATIVE;
        return 0;
    }
    if (lengths)
        return torta_err_set(e, TORTA_EINPUT,
                             "%s:1: this is a length file (no arrival times); use it as "
                             "lengths=%s in a synthetic workload",
                             path, path);
    return torta_err_set(e, TORTA_EINPUT,
                         "%s:1: unknown trace format: expected an Azure header "
                         "(TIMESTAMP,ContextTokens,GeneratedTokens), a native header "
                         "(arrival_s,input_tokens,output_tokens,...) or a Mooncake JSON object; "
                         "got '%.60s'",
                         path, first);
}

/* Reads the next row from the reader and checks arrival order on the raw times. */
static int read_row(torta_source *s, wl_row *row, torta_err *e)
{
    int rc = s->rd.next(s->rd.impl, &s->L, &s->warn, row, e);
    if (rc <= 0)
        return rc;
    if (s->have_prev && row->req.arrival_s < s->prev_raw_s)
        return torta_err_set(e, TORTA_EINPUT,
                             "%s:%d: %s: out of order: %s (line %d) is earlier than %s (line %d)",
                             s->path, (int)row->req.src_line, row->time_field, row->time_text,
                             (int)row->req.src_line, s->prev_text, (int)s->prev_line);
    s->have_prev = 1;
    s->prev_raw_s = row->req.arrival_s;
    s->prev_line = row->req.src_line;
    wl_copy_text(s->prev_text, sizeof s->prev_text, row->time_text, "");
    return 1;
}

int torta_source_open_trace(const char *path, const torta_trace_opts *o, torta_source **out,
                            torta_err *e)
{
    *out = NULL;
    torta_trace_opts def = {TORTA_FMT_AUTO, 1.0, 0.0};
    if (!o)
        o = &def;
    double scale = o->rate_scale == 0 ? 1.0 : o->rate_scale; /* 0 = unset = 1 */
    if (!(scale > 0) || !isfinite(scale))
        return torta_err_set(e, TORTA_EINPUT, "%s: rate_scale must be a positive number, got %g",
                             path, o->rate_scale);
    if (isnan(o->duration_s))
        return torta_err_set(e, TORTA_EINPUT, "%s: duration_s is NaN", path);
    torta_source *s = calloc(1, sizeof *s);
    if (!s)
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
    s->is_trace = 1;
    s->rate_scale = scale;
    s->duration_s = o->duration_s > 0 ? o->duration_s : 0;
    s->path = dup_str(path);
    int rc;
    if (!s->path) {
        rc = torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((rc = torta_lines_open(&s->L, s->path, e)))
        goto fail;
    char *first;
    size_t len;
    rc = torta_lines_next_data(&s->L, &first, &len, e);
    if (rc < 0)
        goto fail;
    if (rc == 0) {
        rc = torta_err_set(e, TORTA_EINPUT, "%s: empty file (no header, no requests)", path);
        goto fail;
    }
    s->fmt = o->format;
    if (s->fmt == TORTA_FMT_AUTO && (rc = detect(path, first, &s->fmt, e)))
        goto fail;
    s->L.csv_records = s->fmt != TORTA_FMT_MOONCAKE; /* JSON lines are not CSV */
    switch (s->fmt) {
    case TORTA_FMT_AZURE: rc = wl_azure_open(s->path, first, &s->rd, e); break;
    case TORTA_FMT_NATIVE: rc = wl_native_open(s->path, first, &s->rd, e); break;
    case TORTA_FMT_MOONCAKE:
        rc = wl_mooncake_open(s->path, first, s->L.line, &s->rd, e);
        break;
    default: rc = torta_err_set(e, TORTA_EINPUT, "%s: unknown trace format %d", path, s->fmt);
    }
    if (rc)
        goto fail;
    /* The first row is read now so that a header-only file fails at open. */
    rc = read_row(s, &s->pending, e);
    if (rc < 0)
        goto fail;
    if (rc == 0) {
        rc = torta_err_set(e, TORTA_EINPUT, "%s: no requests (the file has only a header)", path);
        goto fail;
    }
    s->have_pending = 1;
    char desc[4200];
    int k = snprintf(desc, sizeof desc, "%s:%s", fmt_name(s->fmt), path);
    if (scale != 1.0 && k > 0 && (size_t)k < sizeof desc)
        k += snprintf(desc + k, sizeof desc - (size_t)k, ",rate_scale=%g", scale);
    if (s->duration_s > 0 && k > 0 && (size_t)k < sizeof desc)
        snprintf(desc + k, sizeof desc - (size_t)k, ",duration_s=%g", s->duration_s);
    if (!(s->describe = dup_str(desc))) {
        rc = torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    torta_source_close(s);
    return rc;
}

torta_source *wl_source_new_gen(wl_gen g, char *describe, const wl_warn *w, torta_err *e)
{
    torta_source *s = calloc(1, sizeof *s);
    if (!s) {
        torta_err_set(e, TORTA_ENOMEM, "out of memory");
        return NULL;
    }
    s->gen = g;
    s->describe = describe;
    s->rate_scale = 1.0;
    s->duration_s = g.duration_s;
    if (w)
        s->warn = *w;
    return s;
}

int torta_source_next(torta_source *s, torta_req_in *r, torta_err *e)
{
    if (s->fail_code)
        return torta_err_set(e, s->fail_code, "%s", s->fail_msg);
    if (s->ended)
        return 0;
    int rc;
    const char *time_field = NULL;
    if (!s->is_trace) {
        rc = s->gen.next(s->gen.impl, r, e);
    } else if (s->have_pending) {
        s->have_pending = 0;
        *r = s->pending.req;
        time_field = s->pending.time_field;
        rc = 1;
    } else {
        wl_row row;
        rc = read_row(s, &row, e);
        if (rc == 1) {
            *r = row.req;
            time_field = row.time_field;
        }
    }
    if (rc < 0) {
        s->fail_code = rc;
        snprintf(s->fail_msg, sizeof s->fail_msg, "%s", e ? e->msg : "error");
        return rc;
    }
    if (rc == 0) {
        s->ended = 1;
        return 0;
    }
    if (s->is_trace) {
        r->arrival_s /= s->rate_scale;
        if (s->duration_s > 0 && r->arrival_s >= s->duration_s) {
            s->ended = 1;
            return 0;
        }
        /* The run simulates every timeslot up to the last arrival: a time like 1e308 (or an
         * Azure date in year 9999) would run for hours or forever. */
        if (r->arrival_s > WL_MAX_ARRIVAL_S) {
            s->fail_code = torta_err_set(
                e, TORTA_EINPUT,
                "%s:%d: %s: arrival at %g s (after rate scaling) is past the limit of %g s "
                "(about 3 years); check the time unit, or cut the trace with --duration-s",
                s->path, (int)r->src_line, time_field ? time_field : "time", r->arrival_s,
                WL_MAX_ARRIVAL_S);
            snprintf(s->fail_msg, sizeof s->fail_msg, "%s", e ? e->msg : "error");
            return s->fail_code;
        }
    }
    r->id = s->next_id++;
    return 1;
}

const char *torta_source_describe(const torta_source *s) { return s->describe; }

const char *torta_source_path(const torta_source *s) { return s->is_trace ? s->path : NULL; }

double torta_source_expected_duration_s(const torta_source *s)
{
    if (!s->is_trace)
        return s->gen.duration_s;
    return s->duration_s > 0 ? s->duration_s : -1;
}

double torta_source_expected_count(const torta_source *s)
{
    return s->is_trace ? -1 : s->gen.expected_count;
}

long torta_source_warnings(const torta_source *s, const char **first_msg)
{
    if (first_msg)
        *first_msg = s->warn.count ? s->warn.first : NULL;
    return s->warn.count;
}

void torta_source_close(torta_source *s)
{
    if (!s)
        return;
    if (s->rd.free)
        s->rd.free(s->rd.impl);
    if (s->gen.free)
        s->gen.free(s->gen.impl);
    torta_lines_close(&s->L);
    free(s->path);
    free(s->describe);
    free(s);
}
