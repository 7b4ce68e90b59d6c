/* Internals shared by the workload files: CSV rows (over base/csv.h), strict number parsing,
 * token validation, and the source object with its per-kind operations. Not a public API. */
#ifndef TORTA_WL_INTERNAL_H
#define TORTA_WL_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "base/csv.h"
#include "torta/err.h"
#include "torta/workload.h"

#define WL_MAX_TOKENS 10000000L /* more tokens than this in one request is a data error */
#define WL_MAX_FIELDS 64        /* CSV columns kept per row; more is reported as ragged */
#define WL_MAX_ARRIVAL_S 1e8     /* later trace arrivals (s, after scaling) are a data error */

/* CSV headers and rows through the shared RFC 4180 reader (base/csv.h). A header split into
 * fields[WL_MAX_FIELDS]; *n_cols its number of columns. 0 or a negative error (file:1). */
int wl_split_header(const char *path, char *header, char **fields, int *n_cols, torta_err *e);
/* Next data record of a CSV file, split into fields[WL_MAX_FIELDS]; it must have n_cols fields,
 * as its header. 1, 0 at the end, or a negative error. */
int wl_next_row(torta_lines *L, int n_cols, char **fields, torta_err *e);

/* Copies src into dst[cap] (truncated, always terminated) then appends suffix if it fits: a
 * cheap stand-in for snprintf("%s%s") on every trace row. */
void wl_copy_text(char *dst, size_t cap, const char *src, const char *suffix);

/* Strict numbers: the whole text must be a finite number. Messages name file:line: field. */
int wl_parse_double(const char *path, int32_t line, const char *field, const char *text,
                    double *out, torta_err *e);

/* Token counts from a source row. Rules: whole number in [1, 10,000,000]; negative, zero input,
 * too large, NaN/inf are errors; zero *output* is raised to 1 and counted as a warning (the
 * model needs at least one output token, and nothing is silently changed). */
typedef struct wl_warn {
    long count;
    char first[256]; /* message for the first warning */
} wl_warn;
int wl_tokens_num(const char *path, int32_t line, const char *field, double v, int is_output,
                  wl_warn *w, int32_t *out, torta_err *e);
int wl_tokens_text(const char *path, int32_t line, const char *field, const char *text,
                   int is_output, wl_warn *w, int32_t *out, torta_err *e);

/* One trace row as a reader produces it, before scaling/ordering checks. */
typedef struct wl_row {
    torta_req_in req;     /* arrival_s holds the raw time in seconds (relative or absolute) */
    char time_text[64];   /* the time as written, for "out of order" messages */
    const char *time_field;
} wl_row;

/* Per-format trace reader operations. */
typedef struct wl_reader {
    void *impl;
    int (*next)(void *impl, torta_lines *L, wl_warn *w, wl_row *row, torta_err *e); /* 1/0/<0 */
    void (*free)(void *impl);
} wl_reader;

/* Each reader is set up from the header (Azure/native) or the first line (Mooncake). The
 * Mooncake reader keeps the first line and returns it as its first row. */
int wl_azure_open(const char *path, char *header, wl_reader *r, torta_err *e);
int wl_native_open(const char *path, char *header, wl_reader *r, torta_err *e);
int wl_mooncake_open(const char *path, const char *first_line, int32_t first_line_no,
                     wl_reader *r, torta_err *e);

/* Synthetic generator operations (synthetic.c). */
typedef struct wl_gen {
    void *impl;
    int (*next)(void *impl, torta_req_in *r, torta_err *e); /* 1/0/<0 */
    void (*free)(void *impl);
    double duration_s;
    double expected_count;
} wl_gen;

/* In-memory table of (input, output) lengths for synthetic sources (lengths.c). */
typedef struct wl_lengths {
    int32_t *in_tokens;
    int32_t *out_tokens;
    size_t n;
} wl_lengths;
int wl_lengths_load(const char *path, wl_lengths *t, wl_warn *w, torta_err *e);
void wl_lengths_free(wl_lengths *t);

/* The diurnal shape used by the diurnal generator: raised cosine with mean 1 (curve.c). */
double wl_cosine_curve(double local_hour, double peak_to_trough, double peak_hour);
/* Linear interpolation of 24 hourly values (value k at k:00), wrapping at midnight. */
double wl_curve24_at(const double *curve24, double local_hour);
/* Local hour in [0, 24) for a time t_s with t=0 at UTC hour start_hour, zone offset tz_h. */
double wl_local_hour(double t_s, double start_hour, double tz_h);

/* Constructs a source (source.c). Takes ownership of describe (malloc'ed). */
torta_source *wl_source_new_gen(wl_gen g, char *describe, const wl_warn *w, torta_err *e);

#endif
